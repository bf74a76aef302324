// Thin's config, as the deploy started Thin with it (`bundle exec thin -C config/thin.yml start`).
// Thin 1.8's Runner (lib/thin/runner.rb, checked against Debian's thin 1.8.1 in
// test/appserver/thin-config.test.ts) reads the file with `YAML.load(ERB.new(File.read(file)).result)`
// and sets `@options[key.to_sym] = value` for each key, after the command line is parsed: the file's
// value wins over a flag (`-e staging` loses to `environment: production`). What no file sets is
// Thin's default: one server process (no `servers`: a single Controller, not a Cluster), timeout 30
// (Server::DEFAULT_TIMEOUT), environment ENV['RACK_ENV'] || 'development'.
import type { AnalyzerContext, Fact, RValue, Stage, ThinFacts } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { isHash } from "../ruby/evaluate.js";
import { readErbYaml } from "../rails/erb-yaml.js";
import { startLines } from "./started.js";

/** The keys carried or checked: the rest (max_persistent_conns, threaded, onebyone...) say nothing a pod needs. */
const THIN_KEYS = ["servers", "timeout", "environment", "port", "socket", "chdir", "pid", "wait", "max_conns"] as const;

/** `thin ... -C PATH` / `--config PATH` / `--config=PATH` on a line that runs thin. */
const CONFIG_FLAG = /\bthin\b.*?(?:\s-C\s*|\s--config[=\s]\s*)(["']?)(#\{[^}]*\}[^\s"';&|]*|[^\s"';&|]+)\1/;
const ENV_FLAG = /\bthin\b.*?(?:\s-e\s*|\s--environment[=\s]\s*)(["']?)(#\{[^}]*\}[^\s"';&|]*|[^\s"';&|]+)\1/;

/** The path as the release sees it: `#{release_path}/`, `#{current_path}/` and `./` name the app's own directory. */
function repoPath(raw: string): string | null {
  const p = raw.replace(/^#\{\s*(?:release_path|current_path|fetch\(:(?:release_path|current_path)\))\s*\}\//, "").replace(/^\.\//, "");
  return p.includes("#{") || p.startsWith("/") ? null : p;
}

/** The config the deploy starts Thin with, read by Thin's rules; null when no start line names one. */
export function thinFacts(ctx: AnalyzerContext, stages: Stage[]): ThinFacts | null {
  let found: { raw: string; source: ThinFacts["startedWith"]; env?: string } | null = null;
  for (const { text, source } of startLines(ctx)) {
    const m = CONFIG_FLAG.exec(text);
    if (!m) continue;
    const e = ENV_FLAG.exec(text);
    found = { raw: m[2]!, source, ...(e ? { env: e[2]! } : {}) };
    break;
  }
  if (!found) return null;
  const envFlag: Fact<RValue> | undefined = found.env ? { value: found.env.includes("#{") ? { unknown: `\`-e ${found.env}\` is computed by the deploy` } : found.env, source: found.source } : undefined;
  const file = repoPath(found.raw);
  if (file === null || !ctx.repo.paths.includes(file))
    return {
      startedWith: found.source,
      file: file ?? found.raw,
      unread: file === null ? `the deploy starts Thin with ${found.raw}, a path on the servers outside the release` : `the deploy starts Thin with ${file}, which the repo does not hold (it is on the servers)`,
      settings: {},
      ...(envFlag ? { envFlag } : {}),
    };
  const y = readErbYaml(ctx, file);
  const settings: Record<string, Fact<RValue>> = {};
  if (y && isHash(y.value)) {
    // key.to_sym: `servers` and `:servers` are one key; the later line wins, as in the Hash Thin fills.
    for (const [key, value] of Object.entries(y.value)) {
      const k = key.replace(/^:/, "");
      if ((THIN_KEYS as readonly string[]).includes(k)) settings[k] = { value, source: { file, line: y.lineOf([key]) } };
    }
  } else if (y) ctx.problem({ file, line: 1, message: "Thin's config is not a mapping: Thin stops at `each` on it", severity: "warning" });
  const env = settings["environment"]?.value ?? envFlag?.value;
  const at = settings["environment"]?.source ?? envFlag?.source;
  if (typeof env === "string" && at)
    for (const st of stages)
      if (railsEnvOf(st) !== env)
        ctx.problem({ ...at, message: `Thin ran in environment ${JSON.stringify(env)} (${at.file}:${at.line}${settings["environment"] && envFlag ? `, over the start line's -e: Thin's config file wins` : ""}), but stage ${st.name}'s RAILS_ENV is ${JSON.stringify(railsEnvOf(st))}; the pods run ${JSON.stringify(railsEnvOf(st))}`, severity: "warning" });
  return { startedWith: found.source, file, settings, ...(envFlag ? { envFlag } : {}) };
}
