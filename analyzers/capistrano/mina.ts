// Mina's ways of naming several targets in one config/deploy.rb (besides mina-multistage's files):
// - a task per target that sets the host: `task :staging do set :domain, "..." end`, run as
//   `mina staging deploy` (the task runs first, then `deploy`, which runs `environment`);
// - a branch on a variable given on the command line: `case ENV['to'] when 'production' ...`,
//   `if ENV['on'] == 'staging'`, run as `mina deploy to=production` (Rake-style `NAME=value`
//   arguments are set in ENV);
// - the host set inside `task :environment` (`remote_environment` in Mina 1.x), which every
//   deploy runs before its own steps;
// - a task per target picked by a command-line variable while deploy.rb loads: `set :server,
//   ENV['to'] || default_server` then `invoke :"env:#{server}"`, the tasks `env:<name>` in
//   lib/mina/servers/*.rb or mina-stack's config/servers/*.rb (valuesInvoking);
// - a literal list the variable is checked against: `raise ... unless %w[sandbox production].include?(ENV['to'])`
//   (envGuards), its default given by `ENV['to'] ||= 'sandbox'`.
// Each target whose `domain` is known becomes a stage, named by its task or by the value given; a
// target of the last two kinds is one even when its domain is not known (the repo names it as a
// target; its servers are then a question, never invented).
import type { Source } from "../../src/model.js";
import { argsOf, kind, literalName, type ParsedRuby, childrenOf } from "../ruby/prism.js";

/** The tasks a Mina deploy runs before its own steps, in the order Mina 0.3 and 1.x define them. */
export const MINA_ENV_TASKS = ["environment", "remote_environment"];
/** Tasks that are Mina's own commands, never a target. */
const COMMANDS = new Set(["deploy", "setup", "rollback", "console", "log", "restart", "local_environment", ...MINA_ENV_TASKS]);

export interface MinaTarget {
  name: string;
  /** The env task a command-line variable selects for this target (`env:production`). */
  selects?: string;
  /** Named by the repo as a target (an env task, a guard list): a stage even when its domain is not known. */
  named?: boolean;
  /** ENV variables given to the run. */
  env: Record<string, string>;
  /** Top-level tasks run after the file, in order. */
  tasks: string[];
  source: Source;
}

/** The targets config/deploy.rb names: per-target tasks, then values of command-line variables. */
export function minaTargets(parsed: ParsedRuby): { targets: MinaTarget[]; envTasks: string[]; vars: string[] } {
  const top = topTasks(parsed);
  const envTasks = MINA_ENV_TASKS.filter((t) => top.some((x) => x.name === t));
  const targets: MinaTarget[] = [];
  const seen = new Set<string>();
  for (const t of top) {
    if (COMMANDS.has(t.name) || seen.has(t.name) || !setsDomain(t.body)) continue;
    seen.add(t.name);
    targets.push({ name: t.name, env: {}, tasks: [t.name, ...envTasks], source: parsed.sourceOf(t.node) });
  }
  const comparisons = envComparisons(parsed);
  for (const c of comparisons) {
    if (seen.has(c.value)) continue;
    seen.add(c.value);
    targets.push({ name: c.value, env: { [c.env]: c.value }, tasks: envTasks, source: parsed.sourceOf(c.node) });
  }
  return { targets, envTasks, vars: [...new Set(comparisons.map((c) => c.env))] };
}

interface TopTask {
  name: string;
  node: any;
  body: any;
}

function topTasks(parsed: ParsedRuby): TopTask[] {
  const out: TopTask[] = [];
  const stmts = parsed.root?.statements?.body ?? [];
  for (const st of stmts) {
    if (kind(st) !== "CallNode" || st.receiver || st.name !== "task" || !st.block || kind(st.block) !== "BlockNode") continue;
    let n = argsOf(st)[0];
    if (n && (kind(n) === "KeywordHashNode" || kind(n) === "HashNode")) n = n.elements[0]?.key;
    const name = n ? literalName(n) : null;
    if (name) out.push({ name, node: st, body: st.block.body });
  }
  return out;
}

const isDomainSet = (n: any) => kind(n) === "CallNode" && !n.receiver && n.name === "set" && literalName(argsOf(n)[0]) === "domain";
function setsDomain(node: any): boolean {
  let found = false;
  visit(node, (n) => {
    if (isDomainSet(n)) found = true;
  });
  return found;
}

/**
 * A `case ENV[...]` branch that sets what tells targets apart (its host, deploy_to, rails_env or
 * branch): `when "production" then set :deploy_to, ".../production/app"` is a target even where
 * `domain` is set once for all, above the case.
 */
const STAGE_VARIABLES = ["domain", "deploy_to", "rails_env", "branch"];
function setsStageVariable(node: any): boolean {
  let found = false;
  visit(node, (n) => {
    if (kind(n) === "CallNode" && !n.receiver && n.name === "set" && STAGE_VARIABLES.includes(literalName(argsOf(n)[0]) ?? "")) found = true;
  });
  return found;
}

/** `ENV['X']` / `ENV.fetch('X', ...)`: the variable's name. */
function envRead(n: any): string | null {
  if (kind(n) !== "CallNode" || (n.name !== "[]" && n.name !== "fetch") || kind(n.receiver) !== "ConstantReadNode" || n.receiver.name !== "ENV") return null;
  return literalName(argsOf(n)[0]);
}

/**
 * String values a command-line variable is compared with where the branch sets what tells targets apart (setsStageVariable):
 * `case ENV['to'] when 'a', 'b'`, `ENV['on'] == 'staging'` (either side), in source order.
 */
function envComparisons(parsed: ParsedRuby): { env: string; value: string; node: any }[] {
  const out: { env: string; value: string; node: any }[] = [];
  visit(parsed.root, (n) => {
    const k = kind(n);
    if (k === "CaseNode" && n.predicate) {
      const env = envRead(n.predicate);
      if (!env) return;
      for (const w of n.conditions ?? []) {
        if (kind(w) !== "WhenNode" || !setsStageVariable(w.statements)) continue;
        for (const c of w.conditions ?? []) {
          const v = kind(c) === "StringNode" ? literalName(c) : null;
          if (v) out.push({ env, value: v, node: c });
        }
      }
      // The `else` branch is what a run without the variable takes (a plain `mina deploy`): index.ts's
      // run given no target (the variable unset) reads it, and names it by its rails_env.
    }
    if ((k === "IfNode" || k === "UnlessNode") && setsDomain(n)) {
      const p = n.predicate;
      if (kind(p) !== "CallNode" || p.name !== "==" || !p.receiver) return;
      const [l, r] = [p.receiver, argsOf(p)[0]];
      const env = envRead(l) ?? envRead(r);
      const v = kind(r) === "StringNode" ? literalName(r) : kind(l) === "StringNode" ? literalName(l) : null;
      if (env && v) out.push({ env, value: v, node: p });
    }
  });
  return out;
}

/** Every command-line variable the file reads (`ENV['on']`), in source order. */
export function envReads(parsed: ParsedRuby): string[] {
  const out: string[] = [];
  visit(parsed.root, (n) => {
    const env = envRead(n);
    if (env && !out.includes(env)) out.push(env);
  });
  return out;
}

/** Stands for a command-line variable's value in a probe run; no path or name holds it. */
export const envMarker = (name: string) => `R2KENV${name.replace(/\W/g, "_")}R2KENV`;

/**
 * A target named by the file it loads: a run given `marker` for a variable required a path built from
 * it (`require "config/deploy/#{ENV['on']}.rb"`, through `set :rails_env, ENV['on']`). Mina (Rake)
 * sets ENV from `mina deploy on=staging` before loading deploy.rb, so each value for which that path
 * is a repo file is a target; any other value fails to load. The values, with the path each loads.
 */
export function valuesLoading(target: string, marker: string, paths: readonly string[]): { value: string; file: string }[] {
  const norm = target.replace(/^(\.\/)+/, "").replace(/\/+/g, "/");
  const pieces = norm.split(marker);
  if (pieces.length < 2) return [];
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^${pieces.map(esc).join("([A-Za-z0-9_-]+)")}(?:\\.rb)?$`);
  const out: { value: string; file: string }[] = [];
  for (const p of paths) {
    const m = re.exec(p);
    if (!m) continue;
    const values = new Set(m.slice(1));
    const value = m[1]!;
    if (values.size === 1 && !out.some((o) => o.value === value)) out.push({ value, file: p });
  }
  return out.sort((a, b) => a.value.localeCompare(b.value));
}

/**
 * The targets an `invoke` picks by a command-line variable: a probe run given `marker` invoked
 * `name` (`env:R2KENVto…`); each task the repo defines whose name fits it in place of the marker is
 * a target (`mina deploy to=<value>` invokes it), with the task and where it is defined.
 */
export function valuesInvoking(name: string, marker: string, tasks: readonly { name: string; source: Source }[]): { value: string; task: string; source: Source }[] {
  const pieces = name.split(marker);
  if (pieces.length < 2) return [];
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^${pieces.map(esc).join("([A-Za-z0-9_-]+)")}$`);
  const out: { value: string; task: string; source: Source }[] = [];
  for (const t of tasks) {
    const m = re.exec(t.name);
    if (!m || new Set(m.slice(1)).size !== 1 || out.some((o) => o.value === m[1])) continue;
    out.push({ value: m[1]!, task: t.name, source: t.source });
  }
  return out.sort((a, b) => a.value.localeCompare(b.value));
}

/**
 * A literal list a command-line variable must be in, or the deploy stops: `raise(...) unless
 * %w[a b].include?(ENV['to'])` (also `abort`/`fail`/`exit`, and `if !LIST.include?`). Each value is
 * a target; any other value makes Mina stop while it loads deploy.rb.
 */
export function envGuards(parsed: ParsedRuby): { env: string; values: string[]; node: any }[] {
  const out: { env: string; values: string[]; node: any }[] = [];
  const stops = (n: any): boolean => {
    let found = false;
    visit(n, (x) => {
      if (kind(x) === "CallNode" && !x.receiver && ["raise", "abort", "fail", "exit"].includes(x.name)) found = true;
    });
    return found;
  };
  visit(parsed.root, (n) => {
    const k = kind(n);
    if ((k !== "IfNode" && k !== "UnlessNode") || !stops(n.statements)) return;
    let p = n.predicate;
    let negated = k === "UnlessNode";
    if (kind(p) === "CallNode" && p.name === "!" && p.receiver) (p = p.receiver), (negated = !negated);
    if (!negated || kind(p) !== "CallNode" || p.name !== "include?" || kind(p.receiver) !== "ArrayNode") return;
    const env = envRead(argsOf(p)[0]);
    const values = (p.receiver.elements ?? []).map((e: any) => (kind(e) === "StringNode" || kind(e) === "SymbolNode" ? literalName(e) : null));
    if (!env || !values.length || values.some((v: string | null) => v === null || !/^[A-Za-z0-9_-]+$/.test(v))) return;
    out.push({ env, values: [...new Set(values as string[])], node: n });
  });
  return out;
}

function visit(node: any, fn: (n: any) => void): void {
  if (!node) return;
  fn(node);
  const kids: any[] = childrenOf(node);
  for (const k of kids) visit(k, fn);
}
