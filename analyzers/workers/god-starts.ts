// The start command of each god watch, as god's config file computes it: god `load`s the file as
// Ruby, so `w.start = "/bin/bash -c '#{script} start'"` reads a local assigned above it in the watch
// (`script = "cd #{RAILS_ROOT}; …"`), the file's top-level constants and locals, and a loop's variable
// (`2.times do |num|` runs the watch once per value). Read with Prism through the config walk
// (analyzers/appserver/config-walk.ts), which keeps those in scope and walks a known loop once per pass;
// the command carried is the first pass's (the watches differ in the loop variable only where they use
// it, e.g. a `-i #{num}` identifier). A value the walk cannot know is said with the line it comes from.
import type { RValue, Source } from "../../src/model.js";
import { isEnvRef, isHash, isInterp, isUnknown, rubyToS } from "../ruby/evaluate.js";
import type { EnvSetting } from "./daemon-env.js";
import { kind, parseRuby, statementsOf } from "../ruby/prism.js";
import { walkConfig } from "../appserver/config-walk.js";

export interface GodStart {
  /** The command the first pass computes; null when the file does not state it. */
  command: string | null;
  /** Why the command is not known, and the line the unknown piece comes from. */
  unknown?: { reason: string; source: Source };
  /** Distinct commands over the passes the walk made (the loop variable's values). */
  commands: string[];
  /** The `God.watch` line the start sits in. */
  watch: Source;
  /**
   * Each pass of the watch (a loop runs it once per value): the command and the `w.env` god gave that
   * process (god 0.13 lib/god/process.rb sets each pair in the child's ENV before it execs the start).
   */
  passes: GodPass[];
}

/** One process a watch started: its command (null when not known) and its `w.env`, each value as god's `to_s` gives it. */
export interface GodPass {
  command: string | null;
  /** `w.name = …` as this pass computed it, where it is a string. */
  name?: string;
  env: EnvSetting[];
  /** `w.env = …` whose value is no Hash the file states: its line. */
  envUnknown?: Source;
}

/**
 * The command text a start value gives: known pieces as they are, an ENV variable or Capistrano
 * reference as the Ruby that reads it (`#{ENV["RAILS_ENV"]}`: the servers' shell filled it in, as the
 * start-line readers already say), anything else unknown, with why and where.
 */
function asCommand(v: RValue): string | { unknown?: string; expr?: string; source?: Source } {
  const s = rubyToS(v);
  if (s !== null && (typeof v === "string" || typeof v === "number")) return s;
  if (isUnknown(v)) return v;
  if (isEnvRef(v)) return `#{ENV["${v.env}"]}`;
  if (v && typeof v === "object" && !Array.isArray(v) && typeof (v as { cap?: unknown }).cap === "string" && Object.keys(v).length === 1) return `#{${(v as { cap: string }).cap}}`;
  if (isInterp(v)) {
    let out = "";
    for (const piece of v.interp) {
      const p = asCommand(piece);
      if (typeof p !== "string") return p;
      out += p;
    }
    return out;
  }
  return {};
}

/** A god file's top-level constants and locals set to an absolute path (`RAILS_ROOT = "/home/app/current"`). */
export interface GodRoot {
  name: string;
  value: string;
  source: Source;
}

/** Each `w.start =` line (1-based) of a god file with what it computes; empty when the file does not parse. */
export function godStarts(file: string, text: string): { starts: Map<number, GodStart>; roots: GodRoot[] } {
  const starts = new Map<number, GodStart>();
  const roots: GodRoot[] = [];
  const parsed = parseRuby(file, text);
  if (parsed.errors.length) return { starts, roots };
  // The watch whose body the walk is in, with the name its block gives the watch (`|w|`).
  let watch: { param: string; source: Source; pass: GodPass & { line?: number } } | null = null;
  walkConfig(
    parsed,
    null,
    (call, w) => {
      const recv = call.node.receiver;
      if ((call.name === "watch" || call.name === "task") && recv && kind(recv) === "ConstantReadNode" && recv.name === "God" && call.block && kind(call.block) === "BlockNode") {
        const req = call.block.parameters?.parameters?.requireds ?? [];
        const outer = watch;
        const own: NonNullable<typeof watch> = { param: req[0] && kind(req[0]) === "RequiredParameterNode" ? String(req[0].name) : "", source: call.source, pass: { command: null, env: [] } };
        watch = own;
        w.body(call.block, call.condition, call.conditionAt);
        watch = outer;
        const { line, ...pass } = own.pass;
        if (line !== undefined) starts.get(line)?.passes.push(pass);
        return;
      }
      if (watch && call.name === "name=" && recv && kind(recv) === "LocalVariableReadNode" && String(recv.name) === watch.param) {
        const v: RValue = call.args[0] === undefined ? null : w.ev(call.args[0]);
        if (typeof v === "string" || typeof v === "number") watch.pass.name = String(v);
        return;
      }
      if (watch && call.name === "env=" && recv && kind(recv) === "LocalVariableReadNode" && String(recv.name) === watch.param) {
        const v: RValue = call.args[0] === undefined ? null : w.ev(call.args[0]);
        if (!isHash(v)) watch.pass.envUnknown = call.source;
        else
          watch.pass.env = Object.entries(v).map(([name, x]) => {
            const s = rubyToS(x);
            return s !== null && (typeof x === "string" || typeof x === "number" || typeof x === "boolean") ? { name, value: s, source: call.source } : { name, value: null, source: call.source, why: "its value is not one the file states" };
          });
        return;
      }
      if (!watch || call.name !== "start=" || !recv || kind(recv) !== "LocalVariableReadNode" || String(recv.name) !== watch.param) return;
      const v: RValue = call.args[0] === undefined ? null : w.ev(call.args[0]);
      const s = asCommand(v);
      const prev = starts.get(call.source.line);
      watch.pass.line = call.source.line;
      watch.pass.command = typeof s === "string" ? s : null;
      if (typeof s === "string") {
        if (prev) {
          if (!prev.commands.includes(s)) prev.commands.push(s);
        } else starts.set(call.source.line, { command: s, commands: [s], watch: watch.source, passes: [] });
        return;
      }
      if (prev) return;
      const u = s;
      starts.set(call.source.line, {
        command: null,
        commands: [],
        watch: watch.source,
        passes: [],
        unknown: { reason: u.unknown ? `${u.expr ? `\`${u.expr}\`: ` : ""}${u.unknown}` : "its value is not a String the file states", source: u.source ?? call.source },
      });
    },
    undefined,
    undefined,
    undefined,
    undefined,
    { receiverCalls: true },
  );
  // Top-level `RAILS_ROOT = "/abs/path"` / `app_home = "…"`: directories on the servers the file names (the caller keeps those a start `cd`s into).
  for (const st of statementsOf(parsed.root)) {
    const k = kind(st);
    if ((k === "ConstantWriteNode" || k === "LocalVariableWriteNode") && kind(st.value) === "StringNode") {
      const value = String(st.value.unescaped?.value ?? "");
      if (value.startsWith("/")) roots.push({ name: String(st.name), value, source: parsed.sourceOf(st) });
    }
  }
  return { starts, roots };
}
