// What the Capistrano session needs beyond the evaluator to follow real deploy configs: the loop
// methods whose blocks it runs, mutations of local Arrays, servers read from committed YAML/JSON
// files, and — for what it cannot follow — which servers and variables that code would have
// declared, so they become questions instead of silent holes.
import type { RValue, RepoFiles, Source } from "../../src/model.js";
import { kind, argsOf, literalName, type ParsedRuby } from "../ruby/prism.js";
import { unknown } from "../ruby/evaluate.js";
import { loadRubyYaml, unusableYamlError } from "../ruby/yaml.js";
import { tooManyElements } from "../ruby/idioms/limits.js";

/** Methods whose block the session runs as statements (servers and `set` inside them take effect). */
export const LOOP_METHODS = new Set(["each", "each_with_index", "with_index", "each_pair", "times", "upto", "downto", "each_slice", "map", "flat_map", "collect"]);

/**
 * Variables an output is built from (the emitters and gaps read them): when code that sets one is
 * not followed, its value is not known, whatever it was before that code.
 */
export const OUTPUT_VARIABLES = new Set(["rails_env", "branch", "deploy_to", "application", "default_env", "linked_files", "linked_dirs", "migration_role", "assets_roles", "sidekiq_roles", "sidekiq_role", "sidekiq_processes", "whenever_roles", "whenever_environment", "puma_bind", "unicorn_config_path"]);

/** The stage's record of what was not followed: servers once per place, output variables once per name. */
export function unreadOf(list: Unread[]): { what: "servers" | "variable"; name?: string; source: Source; message: string }[] {
  const out: { what: "servers" | "variable"; name?: string; source: Source; message: string }[] = [];
  const seen = new Set<string>();
  for (const u of list) {
    const at = `${u.source.file}:${u.source.line}`;
    if (u.servers && !seen.has(`s\0${at}`)) seen.add(`s\0${at}`), out.push({ what: "servers", source: u.source, message: u.message });
    for (const name of u.variables)
      if (OUTPUT_VARIABLES.has(name) && !seen.has(`v\0${name}`)) seen.add(`v\0${name}`), out.push({ what: "variable", name, source: u.source, message: u.message });
  }
  return out;
}

/** Code not followed that would have declared servers or set variables. */
export interface Unread {
  servers: boolean;
  variables: string[];
  source: Source;
  message: string;
}

/** `server`/`role` calls and `set :name` inside a node (a block, a branch), read syntactically. */
export function declaredIn(node: any): { servers: boolean; variables: string[] } {
  let servers = false;
  const variables: string[] = [];
  const walk = (n: any, depth: number): void => {
    if (!n || typeof n !== "object" || depth > 200) return;
    if (kind(n) === "CallNode" && !n.receiver) {
      if (n.name === "server" || n.name === "role") servers = true;
      if (["set", "set_if_empty", "append", "remove", "_cset"].includes(n.name)) {
        const k = literalName(argsOf(n)[0]);
        if (k !== null && !variables.includes(k)) variables.push(k);
      }
    }
    for (const [key, v] of Object.entries(n)) {
      if (key === "location" || key === "constructor") continue;
      if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
      else if (v && typeof v === "object" && kind(v).endsWith("Node")) walk(v, depth + 1);
    }
  };
  walk(node, 0);
  return { servers, variables };
}

/** `list << x`, `list.push(x)`, `list.concat(y)` on a local Array: the new value (in place, as Ruby shares it). */
export function localMutation(cur: RValue, name: string, args: RValue[]): RValue | undefined {
  if (!Array.isArray(cur)) return undefined;
  if (name === "<<" || name === "push" || name === "append") cur.push(...args);
  else if (name === "unshift" || name === "prepend") cur.unshift(...args);
  else if (name === "concat" && args.every(Array.isArray)) cur.push(...(args as RValue[][]).flat(1));
  else return undefined;
  return tooManyElements(cur.length) ? undefined : cur;
}

/**
 * `YAML.load_file(p)`, `YAML.safe_load(File.read(p))`, `YAML.load(...)`, `JSON.parse(File.read(p))`,
 * `JSON.load_file(p)` for a committed file; undefined when the call is not one of these.
 */
export function readDataFile(constName: string, name: string, node: any, args: any[], ev: (n: any) => RValue, repo: RepoFiles, parsed: ParsedRuby, unusable?: (file: string, line: number, message: string) => void): RValue | undefined {
  const yaml = (constName === "YAML" || constName === "Psych") && ["load_file", "safe_load_file", "unsafe_load_file", "load", "safe_load", "unsafe_load"].includes(name);
  const json = constName === "JSON" && ["parse", "load_file", "load"].includes(name);
  if ((!yaml && !json) || !args.length) return undefined;
  const fromFile = name.endsWith("_file");
  const arg = ev(args[0]);
  if (typeof arg !== "string") return unknown(parsed, node, `${constName}.${name} of ${fromFile ? "a path" : "text"} not known statically`);
  let text = arg;
  let file = "(text)";
  if (fromFile) {
    file = normalizePath(arg);
    const r = repo.read(file);
    if (!("text" in r)) return unknown(parsed, node, `${constName}.${name}(${JSON.stringify(arg)}): ${r.error}`);
    text = r.text;
  }
  if (json) {
    try {
      const v = JSON.parse(text) as RValue;
      return countOk(v) ? fromJson(v) : unknown(parsed, node, `${file}: too many values to read (limit)`);
    } catch (e) {
      return unknown(parsed, node, `${file}: not valid JSON (${(e as Error).message})`);
    }
  }
  const y = loadRubyYaml(text);
  const bad = unusableYamlError(y);
  if (bad) {
    const at = fromFile ? { file, line: bad.line } : parsed.sourceOf(node);
    unusable?.(at.file, at.line, `YAML${fromFile ? "" : ` (line ${bad.line} of the text read here)`}: ${bad.message}`);
  }
  if (y.errors.length) return unknown(parsed, node, `${file}:${y.errors[0].line}: ${y.errors[0].message}`);
  return y.value;
}

/** JSON numbers that are not integers stay Ruby Floats in the model's shape. */
function fromJson(v: unknown): RValue {
  if (Array.isArray(v)) return v.map(fromJson);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x)]));
  if (typeof v === "number" && !Number.isInteger(v)) return { float: String(v) } as RValue;
  return v as RValue;
}

function countOk(v: unknown): boolean {
  let n = 0;
  const walk = (x: unknown): boolean => {
    if (++n > 100_000) return false;
    if (Array.isArray(x)) return x.every(walk);
    if (x && typeof x === "object") return Object.values(x).every(walk);
    return true;
  };
  return walk(v);
}

function normalizePath(p: string): string {
  const out: string[] = [];
  for (const seg of p.replace(/^\.\//, "").split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return out.join("/");
}
