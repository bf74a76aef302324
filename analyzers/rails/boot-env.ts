// Every ENV read the app makes while it boots outside Global and database.yml: config/application.rb,
// config/boot.rb, config/environment.rb, config/environments/<env>.rb (that environment only),
// config/initializers/**, the app server config, and the ERB of config/*.yml (cable, storage,
// sidekiq, redis...). Ruby is read with Prism: `ENV["X"]`, `ENV.fetch("X")`, `ENV.fetch("X", d)`,
// `ENV.fetch("X") { d }`, `ENV["X"] || d`, `ENV.key?("X")`. YAML ERB is read by the ERB reader,
// each read under the environment section it sits in. A default that is not a literal is kept as an
// Unknown with its source text: shown as "a default (see the source)", never guessed.
import type { AnalyzerContext, AppServerConfig, RValue, RubyEnvRead } from "../../src/model.js";
import { envReadsOf, isEnvRefShape, isTaggedValue, reportUnusable } from "../../src/model.js";
import { kind, parseRuby } from "../ruby/prism.js";
import { renderErb, restoreRefs, splitErb } from "../ruby/erb.js";
import { loadRubyYaml, unusableYamlError } from "../ruby/yaml.js";

export type { RubyEnvRead };

const RUBY_FILES = /^config\/(application|boot|environment)\.rb$|^config\/initializers\/.+\.rb$/;
const ENV_FILE = /^config\/environments\/([^/]+)\.rb$/;
/** Read elsewhere (Global, database.yml), or ours. */
const SKIP_YAML = /^config\/(database|global|rails2k8s)[^/]*\.ya?ml$/;
const OURS = /^config\/initializers\/00_rails2k8s_config\.rb$/;
const SECTION_NAMES = new Set(["development", "test", "production", "staging"]);

/**
 * `notBooted`: files of the repo that the app never reads while it boots, only a process the pods
 * do not run (Thin's config: src/analyze.ts passes analyzers/appserver/thin.ts thinConfigFiles).
 */

/**
 * Global's files, for the names their ERB reads that the Global analysis did not turn into a value
 * (`<%= ENV["X"]&.split(",") %>` is an Unknown, carried as ERB): `dir` and the names it did read.
 */
export interface GlobalErbScan {
  dir: string;
  known: ReadonlySet<string>;
}

export function findBootEnvReads(ctx: AnalyzerContext, appServers: AppServerConfig[], railsEnvs: string[], global?: GlobalErbScan, notBooted: ReadonlySet<string> = new Set()): RubyEnvRead[] {
  const out: RubyEnvRead[] = [];
  const sections = new Set([...SECTION_NAMES, ...railsEnvs]);
  const serverFiles = serverFileEnvs(appServers, railsEnvs);
  for (const path of ctx.repo.paths) {
    let envs: (string | null)[] | undefined;
    const envFile = ENV_FILE.exec(path);
    if (envFile) envs = [envFile[1]!];
    else if (RUBY_FILES.test(path) && !OURS.test(path)) envs = [null];
    else if (serverFiles.has(path)) envs = serverFiles.get(path)!;
    if (envs !== undefined) {
      const read = ctx.repo.read(path);
      if ("text" in read && read.text.includes("ENV")) {
        const reads = rubyReads(path, read.text, null);
        for (const railsEnv of envs) out.push(...reads.map((r) => ({ ...r, railsEnv })));
      }
      continue;
    }
    // A file only another process reads (Thin's config, read by Thin's runner on the servers): the pods never do.
    if (notBooted.has(path)) continue;
    if (/^config\/[^/]+\.ya?ml$/.test(path) && !SKIP_YAML.test(path)) {
      const read = ctx.repo.read(path);
      if ("text" in read && read.text.includes("ENV") && read.text.includes("<%")) {
        const reads = yamlReads(ctx, path, read.text, sections);
        out.push(...reads, ...namesInTags(path, read.text, sections, new Set(reads.map((r) => r.env))));
      }
      continue;
    }
    if (global && (path.startsWith(`${global.dir}/`) || path === `${global.dir}.yml`) && /\.ya?ml$/.test(path)) {
      const read = ctx.repo.read(path);
      if ("text" in read && read.text.includes("ENV") && read.text.includes("<%")) out.push(...namesInTags(path, read.text, sections, global.known));
    }
  }
  return out;
}

/** A name read from ENV inside Ruby code: `ENV["X"]`, `ENV['X']`, `ENV.fetch("X"…`, `ENV.key?("X")`. */
const ENV_NAME_IN_CODE = /(?<![\w:])(?:::)?ENV\s*(?:\[\s*|\.\s*(?:fetch|key\?|has_key\?|include\?|member\?)\s*\(?\s*)(?:"([A-Za-z_]\w*)"|'([A-Za-z_]\w*)')/g;

/**
 * Every ENV name inside an ERB tag of a YAML file, whatever the expression around it (a method on
 * the read, `&.split(",")`, a condition), that `known` does not already list: the app reads it at
 * boot even where its value could not be worked out here. Each once per file, at its first line,
 * under the top-level section it sits in (none: every environment). Its default is not read.
 */
function namesInTags(file: string, text: string, sections: Set<string>, known: ReadonlySet<string>): RubyEnvRead[] {
  const out: RubyEnvRead[] = [];
  const seen = new Set<string>();
  const lines = text.split("\n");
  const sectionAt = (line: number): string | null => {
    for (let i = line - 1; i >= 0; i--) {
      const m = /^(["']?)([^\s#"':][^"':]*)\1\s*:(?:\s|$)/.exec(lines[i] ?? "");
      if (m) return sections.has(m[2]!) ? m[2]! : null;
    }
    return null;
  };
  for (const seg of splitErb(text)) {
    const tag = seg.tag;
    if (!tag || tag.kind === "comment" || !tag.code.includes("ENV")) continue;
    for (const m of tag.code.matchAll(ENV_NAME_IN_CODE)) {
      const env = (m[1] ?? m[2])!;
      if (known.has(env) || seen.has(env)) continue;
      seen.add(env);
      const line = tag.line + (tag.code.slice(0, m.index).match(/\n/g) ?? []).length;
      out.push({ env, default: null, source: { file, line }, railsEnv: sectionAt(line) });
    }
  }
  return out;
}

/**
 * The environments each server config file is read for. A file read per environment (one entry per
 * env, analyzers/appserver.ts perEnv) is read in each of them: every environment when they cover
 * all the stages' environments or one entry serves all (env null), else each one.
 */
function serverFileEnvs(appServers: AppServerConfig[], railsEnvs: string[]): Map<string, (string | null)[]> {
  const byFile = new Map<string, (string | null)[]>();
  for (const a of appServers) byFile.set(a.file, [...(byFile.get(a.file) ?? []), a.env]);
  for (const [file, envs] of byFile) {
    const named = [...new Set(envs.filter((e): e is string => e !== null))].sort();
    const all = envs.includes(null) || (envs.length > 1 && railsEnvs.length > 0 && railsEnvs.every((e) => named.includes(e)));
    byFile.set(file, all ? [null] : named);
  }
  return byFile;
}

const isEnvConst = (n: any): boolean => (kind(n) === "ConstantReadNode" && n.name === "ENV") || (kind(n) === "ConstantPathNode" && n.parent == null && n.name === "ENV");

/** A literal default as its value; anything else as an Unknown holding its source text. */
function literal(node: any, textOf: (n: any) => string): RValue {
  switch (kind(node)) {
    case "StringNode":
      return node.unescaped?.value ?? "";
    case "IntegerNode":
      return Number(node.value);
    case "NilNode":
      return null;
    case "TrueNode":
      return true;
    case "FalseNode":
      return false;
    case "SymbolNode":
      return { sym: node.unescaped?.value ?? "" } as RValue;
    case "StatementsNode":
      if (node.body?.length === 1) return literal(node.body[0], textOf);
  }
  const text = textOf(node);
  return { unknown: "computed in Ruby", expr: text.length > 120 ? text.slice(0, 117) + "..." : text } as RValue;
}

function rubyReads(file: string, text: string, railsEnv: string | null): RubyEnvRead[] {
  const parsed = parseRuby(file, text);
  if (parsed.errors.length) return [];
  const out: RubyEnvRead[] = [];
  const taken = new Set<any>();
  const nameOf = (call: any): string | null => {
    const a = call.arguments_?.arguments_?.[0];
    return kind(a) === "StringNode" || kind(a) === "SymbolNode" ? (a.unescaped?.value ?? null) : null;
  };
  const visit = (node: any) => {
    if (!node || typeof node !== "object") return;
    if (kind(node) === "OrNode" && kind(node.left) === "CallNode" && node.left.name === "[]" && isEnvConst(node.left.receiver)) {
      const env = nameOf(node.left);
      if (env) {
        out.push({ env, default: literal(node.right, parsed.textOf), source: parsed.sourceOf(node.left), railsEnv });
        taken.add(node.left);
      }
    }
    if (kind(node) === "CallNode" && isEnvConst(node.receiver) && !taken.has(node)) {
      const env = nameOf(node);
      const args = node.arguments_?.arguments_ ?? [];
      if (env && node.name === "[]") out.push({ env, default: null, source: parsed.sourceOf(node), railsEnv });
      else if (env && node.name === "fetch") {
        const block = kind(node.block) === "BlockNode" ? node.block : null;
        const d = args.length > 1 ? literal(args[1], parsed.textOf) : block ? (block.body ? literal(block.body, parsed.textOf) : null) : undefined;
        out.push({ env, default: d === undefined ? null : d, source: parsed.sourceOf(node), railsEnv, ...(d === undefined ? { required: true as const } : {}) });
      } else if (env && ["key?", "has_key?", "include?", "member?", "present?"].includes(node.name)) out.push({ env, default: null, source: parsed.sourceOf(node), railsEnv });
    }
    for (const [key, v] of Object.entries(node)) {
      if (key === "location" || key.endsWith("Loc")) continue;
      if (Array.isArray(v)) for (const x of v) visit(x);
      else if (v && typeof v === "object" && kind(v).endsWith("Node")) visit(v);
    }
  };
  visit(parsed.root);
  return out;
}

/** The ENV reads of a YAML file's ERB, each under the environment section it sits in. */
function yamlReads(ctx: AnalyzerContext, file: string, text: string, sections: Set<string>): RubyEnvRead[] {
  const rendered = renderErb(file, text, {}, () => {});
  const y = loadRubyYaml(rendered.output);
  // A file read only for its ENV names is still input: an alias bomb in it is refused like anywhere.
  const bad = unusableYamlError(y);
  if (bad) reportUnusable(ctx, { file, line: bad.line, message: `YAML: ${bad.message}` });
  if (y.errors.length) return [];
  const value = restoreRefs(y.value, rendered.refs);
  const out: RubyEnvRead[] = [];
  const sectioned = typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).some((k) => sections.has(k));
  const walk = (v: RValue, path: (string | number)[]) => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, [...path, i]));
    if (typeof v === "object" && v !== null && !isEnvRefShape(v) && !Array.isArray((v as { interp?: unknown }).interp) && !isTaggedValue(v)) {
      for (const [k, x] of Object.entries(v)) {
        // In a file of environment sections, other top-level keys (`default: &default`) are read
        // only through the sections that merge them.
        if (path.length === 0 && sectioned && !sections.has(k)) continue;
        walk(x, [...path, k]);
      }
      return;
    }
    const top = typeof path[0] === "string" ? path[0] : null;
    const railsEnv = sectioned && top !== null ? top : null;
    for (const r of envReadsOf(v)) out.push({ env: r.env, default: r.default, source: { file, line: y.lineOf(path) || 1 }, railsEnv });
  };
  walk(value, []);
  return out;
}
