// A deploy.rb that loads its settings from a file whose path it builds from ENV
// (`YAML.load_file(File.expand_path('../deploy/' + ENV['DEPLOY'] + '.yml', __FILE__))`, run as
// `cap deploy DEPLOY=<name>`): its stages are those files, one per value the deploying person gave.
// The repo holds at most examples of them (config/deploy/example.yml); the values each deploy read
// (servers, branch, user) were in copies kept off the repo. Such a deploy is not "one stage,
// production": the pattern is named and the stages are asked.
import { posix } from "node:path";
import type { Source } from "../../src/model.js";

export interface EnvStageFiles {
  /** The ENV name the path is built from (`DEPLOY`). */
  env: string;
  /** The path with the ENV part as `<ENV>` (`config/deploy/<DEPLOY>.yml`); null when it cannot be resolved statically. */
  pattern: string | null;
  /** The loading line. */
  source: Source;
  /** Repo files of that shape: examples, not stages (`config/deploy/example.yml`). */
  examples: string[];
}

const LOADER = /\b(?:(?:YAML|Psych)(?:\.|::)(?:safe_|unsafe_)?load(?:_file)?|JSON(?:\.|::)parse|File(?:\.|::)read|IO(?:\.|::)read|ERB(?:\.|::)new)\b/;
const ENV_READ = /ENV(?:\[\s*(['"])([A-Za-z_][A-Za-z0-9_]*)\1\s*\]|\.fetch\(\s*(['"])([A-Za-z_][A-Za-z0-9_]*)\3(?:\s*,[^()]*)?\s*\))/;

/** The string literal text nearest the ENV read on either side (`'../deploy/' +`, `+ '.yml'`, or an interpolation's). */
function literalBefore(text: string): string | null {
  const m = /(['"])([^'"]*)\1\s*\+\s*$/.exec(text) ?? /"([^"]*)#\{\s*$/.exec(text);
  return m ? (m.length === 3 ? m[2]! : m[1]!) : null;
}
function literalAfter(text: string): string | null {
  const m = /^\s*\+\s*(['"])([^'"]*)\1/.exec(text) ?? /^\s*\}([^"]*)"/.exec(text);
  return m ? (m.length === 3 ? m[2]! : m[1]!) : null;
}

/** Finds the pattern in `file`'s text (deploy.rb); null when no loader reads a path built from ENV. */
export function envStageFiles(file: string, text: string, paths: readonly string[]): EnvStageFiles | null {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*#/.test(line) || !LOADER.test(line)) continue;
    const env = ENV_READ.exec(line);
    if (!env) continue;
    const name = env[2] ?? env[4]!;
    const before = literalBefore(line.slice(0, env.index));
    const after = literalAfter(line.slice(env.index + env[0].length));
    let pattern: string | null = null;
    if (before !== null && after !== null && !after.includes("/")) {
      // File.expand_path(x, __FILE__) resolves x against the file's own path (so '../deploy/' is its
      // folder's deploy/); __dir__ / File.dirname(__FILE__) against its folder; else the repo root,
      // where `cap` runs.
      const base = /expand_path\([^)]*__FILE__/.test(line) ? file : /__dir__|dirname\(\s*__FILE__/.test(line) ? posix.dirname(file) : ".";
      const dir = posix.normalize(posix.join(base, before.replace(/[^/]*$/, ""))).replace(/\/+$/, "");
      const head = before.slice(before.lastIndexOf("/") + 1);
      if (!dir.startsWith("..") && !dir.startsWith("/")) pattern = `${dir === "." ? "" : `${dir}/`}${head}<${name}>${after}`;
    }
    const examples = pattern ? paths.filter((p) => matches(p, pattern!, name)).sort() : [];
    return { env: name, pattern, source: { file, line: i + 1 }, examples };
  }
  return null;
}

function matches(path: string, pattern: string, env: string): boolean {
  const [pre, post] = pattern.split(`<${env}>`) as [string, string];
  return path.length > pre.length + post.length && path.startsWith(pre) && path.endsWith(post) && !path.slice(pre.length, path.length - post.length).includes("/");
}
