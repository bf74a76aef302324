// The environment whenever's own process had on the servers, as far as the deploy says it, so that a
// schedule's `if ENV["X"] == "true"` is decided per stage where the deploy set X.
//
// whenever 1.0's Capistrano 3 task (lib/whenever/capistrano/v3/tasks/whenever.rake, Debian's
// ruby-whenever 1.0.0 under /usr/lib/ruby/vendor_ruby) runs
//   within fetch(:whenever_path) { with fetch(:whenever_command_environment_variables) { execute(*args) } }
// with `args = Array(fetch(:whenever_command)) + …`, and defaults
//   whenever_command_environment_variables → fetch(:default_env).merge(rails_env: fetch(:whenever_environment)).
// SSHKit (lib/sshkit/command.rb) exports that Hash as `( export KEY="value" … ; cmd )`, a Symbol key
// upcased, a String key as written, the value's `to_s` — but only when the command is mapped
// (`should_map?`: its first word holds no blank). A `whenever_command` string such as
// `"bundle exec whenever"` or a `bash -l -c '…'` is sent as written: no export, no `cd`, so the
// process has only what the servers' login gave it, which the repo does not say, and the String's
// own `NAME=value` words before whenever (whenever/command-string.ts).
//
// What is not exported (and every variable where nothing is) stays unknown: the servers' own
// environment may have set it. Capistrano 2's whenever recipe is not read here (its run has no such
// Hash): its conditions stay undecided.
import type { RValue, Source, Stage } from "../../src/model.js";
import { isSym } from "../../src/model.js";
import { hashKeyOf } from "../ruby/evaluate.js";
import { mapped, piecesOf, wheneverRunIn } from "./command-string.js";

export interface StageWheneverEnv {
  stage: string;
  /** The variables whenever's process had, by name, as text. */
  env: Record<string, string>;
  /** The deploy line that says them (the stage's default_env, or its whenever_command_environment_variables). */
  from: Source;
  /** What the plugin passes as `--set environment=` (whenever_environment), when known. */
  environment: string | null;
}

/** Per stage that loads whenever's Capistrano 3 task, the environment the deploy exported to whenever (empty where nothing known is). */
export function wheneverStageEnvs(stages: Stage[]): StageWheneverEnv[] {
  const out: StageWheneverEnv[] = [];
  for (const st of stages) {
    const vars = st.variables["whenever_command_environment_variables"];
    const command = st.variables["whenever_command"];
    if (!vars || !command) continue;
    const we = st.variables["whenever_environment"];
    const environment = we ? text(we.value) : null;
    const env: Record<string, string> = {};
    if (!mapped(command.value)) {
      // Sent as written (whenever/command-string.ts): only the String's own `NAME=value` words reach whenever.
      Object.assign(env, wheneverRunIn(piecesOf(command.value))?.env ?? {});
      out.push({ stage: st.name, env, from: command.source, environment });
      continue;
    }
    let from: Source = vars.source;
    if (vars.defaultOf !== undefined) {
      // The plugin's own Hash: default_env's entries, then its `rails_env:` Symbol key (RAILS_ENV).
      const dflt = st.variables["default_env"];
      if (dflt && typeof dflt.value === "object" && dflt.value !== null && !Array.isArray(dflt.value)) {
        Object.assign(env, exported(dflt.value as Record<string, RValue>));
        if (dflt.defaultOf === undefined) from = dflt.source;
      }
      if (environment !== null) env["RAILS_ENV"] = environment;
      else delete env["RAILS_ENV"];
    } else if (typeof vars.value === "object" && vars.value !== null && !Array.isArray(vars.value)) Object.assign(env, exported(vars.value as Record<string, RValue>));
    out.push({ stage: st.name, env, from, environment });
  }
  return out;
}

/**
 * The names SSHKit exports for a Hash: a Symbol key upcased, a String key as written. Where the model
 * no longer knows which a key was (a Hash built by merging), a key in upper case is the same name
 * either way; a key with lower-case letters is one or the other, so neither name is known to be set.
 */
function exported(h: Record<string, RValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    // Where the Hash is the literal the deploy wrote, its key is known as written (evaluate.ts).
    const key = hashKeyOf(h, k);
    const name = isSym(key) ? k.toUpperCase() : typeof key === "string" ? k : k === k.toUpperCase() ? k : null;
    if (name === null) continue;
    const t = text(v);
    if (t !== null) out[name] = t;
  }
  return out;
}

/** A value's `to_s` where it is known: a String, a Symbol's name, a number, true/false, nil as "". */
function text(v: RValue): string | null {
  if (typeof v === "string") return v;
  if (isSym(v)) return v.sym;
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  if (typeof v === "boolean") return String(v);
  if (v === null) return "";
  return null;
}

/** The ENV names a schedule's text reads (`ENV["X"]`, `ENV['X']`, `ENV.fetch("X"…)`). */
export function envNamesRead(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\bENV(?:\[\s*|\.fetch\(\s*)(["'])([^"'\\]+)\1/g)) out.add(m[2]!);
  return out;
}
