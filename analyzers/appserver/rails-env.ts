// Conditions on the Rails environment inside a Unicorn/Puma config (`workers 4 if rails_env ==
// "production"`, `if ENV["RAILS_ENV"] == "production" ... else ... end`, `Rails.env.production?`),
// decided for one environment. The deploy tells which environment each stage runs (its
// `rails_env`), so a config read for a stage sees it as the server did.
//
// What the servers' environment held when the file was evaluated:
// - RAILS_ENV: the stage's rails_env. capistrano3-unicorn starts Unicorn inside
//   `with rails_env: fetch(:rails_env)`, and Rails apps started any other way are started for the
//   environment they run.
// - RACK_ENV, for a Puma that capistrano3-puma before 6.0 starts: it runs Puma inside `with
//   rack_env: fetch(:puma_env)`, and puma_env defaults to rails_env. A Puma started otherwise
//   (systemd, Procfile, capistrano3-puma 6+'s `puma -e <env>`) may have no RACK_ENV at all: Puma
//   sets it from -e only after loading its config.
// - RACK_ENV, as the start line naming the file sets it: `RACK_ENV=x ...`, or plain unicorn's
//   `-E x` (bin/unicorn sets it while parsing its options, before the config is read). Otherwise
//   it stays unknown in a Unicorn config (capistrano3-unicorn 0.2.1 passes `deployment`, not the
//   Rails env; bin/unicorn defaults it to `development`).
// - `Rails.env`: the Rails environment, when the config loads Rails (`Rails.env.production?`).
// A bare `rails_env` method does not exist in either DSL (a NameError there); as a local
// (`rails_env = ENV["RAILS_ENV"] || "production"`) it is the ENV read and is decided through it.
import type { RValue } from "../../src/model.js";
import { kind, argsOf, type ParsedRuby } from "../ruby/prism.js";
import { literalHashIndex } from "../ruby/idioms/hash-index.js";
import { isEnvRef, isKnown, same, unknown, type Scope } from "../ruby/evaluate.js";

const isConst = (node: any, name: string) => kind(node) === "ConstantReadNode" && node.name === name;
const isRailsEnv = (node: any) => kind(node) === "CallNode" && node.name === "env" && node.receiver && isConst(node.receiver, "Rails") && argsOf(node).length === 0;

/**
 * A Scope.call hook deciding Rails-environment reads for `railsEnv`; undefined when none is known.
 * `parsed`: the file, so that per-env tables written as Hash literals (`{ production: 5 }[rails_env.to_sym]`)
 * are looked up with Ruby's key equality.
 */
export function railsEnvCall(railsEnv: string | null, rackEnvToo: boolean, parsed?: ParsedRuby, rackEnv: string | null = null): Scope["call"] | undefined {
  const known = knownEnvs(railsEnv, rackEnvToo, rackEnv);
  if (known.size === 0) return parsed ? undecided(parsed, ENV_VARS) : undefined;
  const resolve = resolver(known);
  const decide = (node: any, ev: (n: any) => RValue): RValue | undefined => {
    if (kind(node) !== "CallNode") return undefined;
    const args = argsOf(node);
    const recv = node.receiver;
    if (railsEnv !== null && isRailsEnv(node)) return railsEnv;
    if (railsEnv !== null && recv && isRailsEnv(recv) && args.length === 0 && /^[a-z_][a-z0-9_]*\?$/.test(node.name) && node.name !== "nil?") return railsEnv === node.name.slice(0, -1);
    if ((node.name === "==" || node.name === "!=" || node.name === "eql?") && recv && args.length === 1) {
      const l = resolve(ev(recv));
      const r = resolve(ev(args[0]));
      if (!isKnown(l) || !isKnown(r)) return undefined;
      return node.name === "!=" ? !same(l, r) : same(l, r);
    }
    // %w[production staging].include?(ENV["RAILS_ENV"])
    if (node.name === "include?" && recv && args.length === 1) {
      const list = ev(recv);
      const item = resolve(ev(args[0]));
      if (!Array.isArray(list) || !isKnown(list) || !isKnown(item)) return undefined;
      return list.some((x) => same(x, item));
    }
    // `rails_env.to_sym`, `ENV["RAILS_ENV"].to_s`: the name as a Symbol or a String.
    if (recv && args.length === 0 && ["to_sym", "intern", "to_s", "to_str"].includes(node.name)) {
      const r = ev(recv);
      if (isEnvRef(r) && known.has(r.env)) return node.name === "to_sym" || node.name === "intern" ? { sym: known.get(r.env)! } : known.get(r.env)!;
      return undefined;
    }
    // WORKERS[rails_env.to_sym], { "production" => 5 }[ENV["RAILS_ENV"]], table.fetch(rails_env, 2)
    if (parsed && recv && (node.name === "[]" || node.name === "fetch") && args.length >= 1) {
      const key = resolve(ev(args[0]));
      return isKnown(key) ? literalHashIndex(recv, node, parsed, key, ev) : undefined;
    }
    return undefined;
  };
  // Only RACK_ENV known (a start line's `unicorn -E x`): RAILS_ENV's branches stay undecided.
  if (railsEnv === null && parsed) {
    const rest = undecided(parsed, ENV_VARS.filter((v) => !known.has(v)));
    return (node, ev) => decide!(node, ev) ?? rest!(node, ev);
  }
  return decide;
}

/** RAILS_ENV and RACK_ENV as the servers held them when this reading's file was evaluated (see the top of this file). */
function knownEnvs(railsEnv: string | null, rackEnvToo: boolean, rackEnv: string | null): Map<string, string> {
  const known = new Map<string, string>();
  if (railsEnv !== null) known.set("RAILS_ENV", railsEnv);
  const rack = rackEnvToo && railsEnv !== null ? railsEnv : rackEnv;
  if (rack !== null) known.set("RACK_ENV", rack);
  return known;
}

// `ENV["RAILS_ENV"] || "development"`: the variable is set, so its fallback never counts. A chain
// starting with another variable (`ENV["APP_ENV"] || ENV["RAILS_ENV"]`) stays unknown.
const resolver = (known: Map<string, string>) => (v: RValue): RValue => (isEnvRef(v) && known.has(v.env) ? known.get(v.env)! : v);

/**
 * A Scope.caseSubject deciding `case ENV["RAILS_ENV"]` (`case ENV.fetch("RAILS_ENV", "development")`,
 * `case rails_env` after `rails_env = ENV[...]`, `case ENV["RACK_ENV"]` where RACK_ENV is known) for
 * the reading's environment; undefined when none is known, so the case walks every branch, marked.
 */
export function railsEnvSubject(railsEnv: string | null, rackEnvToo: boolean, rackEnv: string | null = null): Scope["caseSubject"] | undefined {
  const known = knownEnvs(railsEnv, rackEnvToo, rackEnv);
  return known.size ? resolver(known) : undefined;
}

// Tests the evaluator would otherwise decide by an ENV variable's default (analyzers/ruby/evaluate.ts).
const ENV_TESTS = new Set(["==", "!=", "eql?", "===", "include?", "start_with?", "end_with?", "empty?", "nil?", "!", "to_sym", "intern", "[]", "fetch"]);
const ENV_VARS = ["RAILS_ENV", "RACK_ENV"];

/**
 * For a config read without a known environment: the servers had RAILS_ENV/RACK_ENV set to
 * something this reading does not know, so `ENV["RAILS_ENV"] || "development"` is not its default
 * and no branch on it is decided (only a known environment decides one).
 */
function undecided(parsed: ParsedRuby, vars: string[]): Scope["call"] {
  const isEnvVar = (v: RValue) => isEnvRef(v) && vars.includes(v.env);
  return (node, ev) => {
    if (kind(node) !== "CallNode" || !ENV_TESTS.has(node.name)) return undefined;
    const args = argsOf(node);
    const recv = node.receiver;
    if (!recv) return undefined;
    // `TABLE[ENV["RAILS_ENV"]]` / `%w[a b].include?(RAILS_ENV)`: the key; `RAILS_ENV == "x"`: either side
    const operands = node.name === "[]" || node.name === "fetch" || node.name === "include?" ? args.slice(0, 1) : [recv, ...args.slice(0, 1)];
    if (node.name === "[]" || node.name === "fetch") {
      // ENV["RAILS_ENV"] itself is the read, not a test of it
      if (kind(recv) === "ConstantReadNode" && recv.name === "ENV") return undefined;
    }
    const hit = operands.map(ev).find(isEnvVar);
    return hit && isEnvRef(hit) ? unknown(parsed, node, `${hit.env} is not known for this reading (no environment the deploy states)`) : undefined;
  };
}
