// Walks a Ruby DSL config file (Unicorn, Puma) the way the server's `instance_eval` runs it, minus
// the running: top-level calls in order, local variables assigned on the way (`app_path = "..."`),
// `if`/`unless`/`case` taken when the condition is known, `each` over a literal list. Each DSL call is
// handed to the caller with an evaluator that sees those locals and the file's deployed location.
import type { AppServerConfig, RValue, Source } from "../../src/model.js";
import { plainHash, setOwn } from "../../src/model.js";
import { kind, argsOf, statementsOf, type ParsedRuby } from "../ruby/prism.js";
import { evaluate, truthy, isKnown, isHash, same, unknown, hashKeyOf, type Scope } from "../ruby/evaluate.js";
import { fileScopeCall } from "./ruby-file.js";
import { caseBranch } from "../ruby/idioms/blocks.js";

export interface DslCall {
  name: string;
  node: any;
  /** Argument nodes (a trailing keyword hash included). */
  args: any[];
  /** A `do ... end` / `{ }` block, or a `&proc` argument. */
  block: any | null;
  source: Source;
  /** The source text of the unknown condition the call sits under, if any. */
  condition: string | null;
  /** Where that condition is written (its `if`, `case` or loop line). */
  conditionAt?: Source | null;
}

/** An undecided condition: its text and where it is written. */
interface Cond {
  text: string;
  source: Source;
  /**
   * The rest of an `each` pass after a `next if <undecided>`: the pass goes on only where the
   * condition let it, so what it assigns is known there; only whether its calls ran is not.
   */
  passOnly?: boolean;
}

export interface ConfigWalker {
  /** Evaluates a node with the file's locals and path helpers at this point of the walk. */
  ev(node: any): RValue;
  /** Walks a block's body the same way (DSLs that nest: whenever's `every ... do`); `at`: where the condition is written. */
  body(block: any, condition: string | null, at?: Source | null): void;
  parsed: ParsedRuby;
}

/**
 * Walks the file's top level. `deployedPath` is where the file lives on the server (what
 * `__FILE__` is there), or null when it is not known.
 */
export type Base = Pick<AppServerConfig, "file" | "env" | "stages">;

/** A config with nothing read yet: every setting unset until a DSL call says otherwise. */
export function emptyConfig(kind: AppServerConfig["kind"], base: Base): AppServerConfig {
  return { kind, ...base, workers: null, threads: null, listen: [], timeout: null, preloadApp: null, pid: null, stdoutPath: null, stderrPath: null, workingDirectory: null, hooks: [] };
}

/**
 * `ivar` answers an instance variable the DSL itself set before the file ran (whenever's `--set`
 * and setup.rb values): `@x ||= v` keeps that value and takes `v` only when it is nil.
 */
/** `caseSubject`: a `case` subject the caller knows (the Rails env a config is read for), as Scope.caseSubject. */
/** `env`: an ENV variable's value where the caller knows it (whenever's process, from the deploy), as Scope.env. */
/** `receiverCalls`: calls on an object (`God.watch`, `w.start = …`) are handed to `visit` too, for DSLs whose calls have a receiver (god). */
export function walkConfig(parsed: ParsedRuby, deployedPath: string | null, visit: (call: DslCall, w: ConfigWalker) => void, extraCall?: Scope["call"], ivar?: (name: string) => RValue | undefined, caseSubject?: Scope["caseSubject"], env?: Scope["env"], opts: { receiverCalls?: boolean } = {}): void {
  const frames: Map<string, RValue>[] = [new Map()];
  // Methods the file defines (`def nightly(name)`), walked where it calls them; the depth stops recursion.
  const defs = new Map<string, any>();
  let callDepth = 0;
  // Instance variables the file assigns (`@scenario ||= "api"`): one object (the DSL's) for the whole file.
  const ivars = new Map<string, RValue>();
  // Top-level constants the file assigns (`RAILS_ENV = ENV["RAILS_ENV"]`): the DSL's instance_eval
  // defines them on Object, so every later line (blocks included) reads them.
  const constants = new Map<string, RValue>();
  const scope: Scope = {
    ...(caseSubject ? { caseSubject } : {}),
    ...(env ? { env } : {}),
    constant: (name) => constants.get(name),
    local(name) {
      for (let i = frames.length - 1; i >= 0; i--) if (frames[i].has(name)) return frames[i].get(name);
      return undefined;
    },
    call: (node, ev) => {
      if (kind(node) === "InstanceVariableReadNode" && ivars.has(String(node.name))) return ivars.get(String(node.name))!;
      // nil is an answer (a table's miss), not "undecided"
      const v = extraCall?.(node, ev);
      return v !== undefined ? v : fileScopeCall(node, ev, deployedPath);
    },
  };
  const ev = (node: any) => evaluate(node, parsed, scope);
  const walker: ConfigWalker = {
    ev,
    parsed,
    body(block, condition, at) {
      frames.push(new Map());
      walk(statementsOf(block?.body), condition === null ? null : { text: condition, source: at ?? { file: parsed.file, line: 0 } });
      frames.pop();
    },
  };
  const assign = (name: string, v: RValue) => {
    for (let i = frames.length - 1; i >= 0; i--) if (frames[i].has(name)) return void frames[i].set(name, v);
    frames[frames.length - 1].set(name, v);
  };

  // `opts[:at] = x`: a Hash local built up before the DSL call it is passed to (whenever's `every
  // freq, opts`). A copy is changed, so a Hash another local also holds keeps its keys.
  const indexWrite = (st: any, condition: Cond | null) => {
    const name = String(st.receiver.name);
    const cur = scope.local!(name);
    if (cur === undefined || !isHash(cur)) return;
    const [k, v] = argsOf(st);
    const key = k === undefined ? null : ev(k);
    const keyName = key !== null && typeof key === "object" && !Array.isArray(key) && "sym" in key && typeof key.sym === "string" ? key.sym : typeof key === "string" ? key : null;
    if (keyName === null || v === undefined) return assign(name, unknown(parsed, st, `${name}[...] = ...: a key not known statically`));
    const next: Record<string, RValue> = { ...(cur as Record<string, RValue>) };
    setOwn(next, keyName, valueCond(condition) ? unknown(parsed, st, `assigned under \`${condition!.text}\`, not known statically`) : ev(v));
    assign(name, plainHash(next));
  };

  // One pass of an `each` body: a leading `next if <cond>` / `next unless <cond>` (a row the loop
  // skips) ends the pass when the condition holds, changes nothing when it does not, and leaves the
  // rest of the pass under the condition when that is not known.
  const walkIteration = (stmts: any[], condition: Cond | null) => {
    for (let i = 0; i < stmts.length; i++) {
      const st = stmts[i];
      const k = kind(st);
      const elseBranch = k === "IfNode" ? st.subsequent ?? st.consequent : k === "UnlessNode" ? st.elseClause ?? st.else_clause : null;
      const then = k === "IfNode" || k === "UnlessNode" ? statementsOf(st.statements) : [];
      if (!elseBranch && then.length === 1 && kind(then[0]) === "NextNode" && !then[0].arguments) {
        const t = truthy(ev(st.predicate));
        const skips = t === null ? null : (k === "IfNode") === t;
        if (skips === true) return;
        if (skips === null) {
          const text = `${k === "IfNode" ? "unless" : "if"} ${shorten(parsed.textOf(st.predicate))} (the loop's \`next\`)`;
          return walk(stmts.slice(i + 1), condition ?? { text, source: parsed.sourceOf(st), passOnly: true });
        }
        continue;
      }
      walk([st], condition);
    }
  };

  // One pass of a block per yielded value, its parameters bound as Ruby binds them; false (nothing
  // walked) when the yields are not known or a binding is not one this reader makes.
  const walkPasses = (passes: (Map<string, RValue> | null)[] | null | undefined, body: any, condition: Cond | null): boolean => {
    if (!passes || !passes.every((b) => b !== null)) return false;
    for (const b of passes) {
      frames.push(b!);
      walkIteration(statementsOf(body), condition);
      frames.pop();
    }
    return true;
  };

  // A condition inside another: the outer one marks the calls (as before), unless it only ended a
  // loop pass (passOnly), where the inner one is named too and values under it are no longer known.
  const inner = (outer: Cond | null, text: string, source: Source): Cond =>
    outer === null ? { text, source } : outer.passOnly ? { text: `${text}, after ${outer.text}`, source } : outer;

  const walk = (stmts: any[], condition: Cond | null) => {
    for (const st of stmts) {
      switch (kind(st)) {
        case "LocalVariableWriteNode":
          assign(st.name, valueCond(condition) ? unknown(parsed, st, `assigned under \`${condition!.text}\`, not known statically`) : ev(st.value));
          break;
        case "ConstantWriteNode":
          constants.set(st.name, valueCond(condition) ? unknown(parsed, st, `assigned under \`${condition!.text}\`, not known statically`) : ev(st.value));
          break;
        case "ConstantOrWriteNode": {
          const cur = constants.get(st.name);
          if (cur === undefined || truthy(cur) === false) constants.set(st.name, valueCond(condition) ? unknown(parsed, st, `assigned under \`${condition!.text}\`, not known statically`) : ev(st.value));
          break;
        }
        case "InstanceVariableWriteNode":
          ivars.set(String(st.name), valueCond(condition) ? unknown(parsed, st, `assigned under \`${condition!.text}\`, not known statically`) : ev(st.value));
          break;
        case "InstanceVariableOrWriteNode": {
          const name = String(st.name);
          const cur = ivars.has(name) ? ivars.get(name)! : ivar?.(name.slice(1));
          const t = cur === undefined ? false : isStringAtRun(cur) ? true : truthy(cur);
          if (t === false) ivars.set(name, valueCond(condition) ? unknown(parsed, st, `assigned under \`${condition!.text}\`, not known statically`) : ev(st.value));
          else if (t === null) ivars.set(name, unknown(parsed, st, `${name} ||= ...: ${cur !== undefined && typeof cur === "object" && cur !== null && typeof (cur as { unknown?: unknown }).unknown === "string" ? (cur as { unknown: string }).unknown : `whether ${name} was already set is not known statically`}`));
          break;
        }
        case "LocalVariableOrWriteNode": {
          const cur = scope.local!(st.name);
          if (cur === undefined || truthy(cur) === false) assign(st.name, ev(st.value));
          break;
        }
        case "IfNode":
        case "UnlessNode": {
          const c = truthy(ev(st.predicate));
          const elseBranch = kind(st) === "IfNode" ? st.subsequent ?? st.consequent : st.elseClause ?? st.else_clause;
          const thenStmts = statementsOf(st.statements);
          const elseStmts = !elseBranch ? [] : kind(elseBranch) === "ElseNode" ? statementsOf(elseBranch.statements) : [elseBranch];
          // Both branches written alike (a team's "for now, the same in either case"): whichever the
          // server takes runs that code, so it is walked once, as known.
          const textOf = (xs: any[]) => xs.map((x) => parsed.textOf(x).replace(/\s+/g, " ")).join("\n");
          if (c === null && elseBranch && kind(elseBranch) === "ElseNode" && thenStmts.length && textOf(thenStmts) === textOf(elseStmts)) {
            walk(thenStmts, condition);
          } else if (c === null) {
            const text = `${kind(st) === "IfNode" ? "if" : "unless"} ${shorten(parsed.textOf(st.predicate))}`;
            walk(thenStmts, inner(condition, text, parsed.sourceOf(st)));
            walk(elseStmts, inner(condition, text, parsed.sourceOf(st)));
          } else walk((kind(st) === "IfNode") === c ? thenStmts : elseStmts, condition);
          break;
        }
        case "CaseNode":
        case "CaseMatchNode": {
          // `case @environment when "production"`, `case ENV["RAILS_ENV"]` read for one environment:
          // the branch Ruby takes when the subject and the `when`s are known; else every branch,
          // each call marked with the case it sits under.
          const b = kind(st) === "CaseNode" ? caseBranch(st, scope, (n, sc) => evaluate(n, parsed, sc)) : null;
          if (b) walk(statementsOf(b.statements), condition);
          else {
            const text = `case ${shorten(parsed.textOf(st.predicate ?? st))}`;
            const here = inner(condition, text, parsed.sourceOf(st));
            for (const w of st.conditions ?? []) walk(statementsOf(w.statements), here);
            const last = st.elseClause ?? st.else_clause ?? st.consequent;
            if (last) walk(statementsOf(last.statements), here);
          }
          break;
        }
        case "DefNode":
          // `def self.x` is another object's; a plain def is a method of the DSL object the file runs in.
          if (!st.receiver) defs.set(String(st.name), st);
          break;
        case "ParenthesesNode":
        case "BeginNode":
          walk(statementsOf(st), condition);
          break;
        case "CallNode": {
          if (st.receiver && st.name === "each" && st.block && kind(st.block) === "BlockNode") {
            const list = ev(st.receiver);
            const param = blockParam(st.block);
            const noParams = !st.block.parameters;
            // A literal list, its items known or not: one pass per item, so each item's job is its own
            // (a table of jobs where one row's time comes from ENV keeps the other rows decided).
            if (Array.isArray(list) && (param || noParams)) {
              for (const item of list) {
                frames.push(new Map(param ? [[param, item]] : []));
                walkIteration(statementsOf(st.block.body), condition);
                frames.pop();
              }
              break;
            }
            // A Hash literal: one pass per entry, `|key, value|` given the key as Ruby wrote it (a Symbol
            // for `a:`) and its value, `|pair|` the two as a list (Hash#each yields [key, value]).
            const pairParams = blockParams(st.block);
            if (isHash(list) && pairParams) {
              const entries = Object.entries(list).map(([k, v]): [RValue, RValue] | null => {
                const key = hashKeyOf(list, k);
                return key === undefined ? null : [key, v];
              });
              if (entries.every((e) => e !== null)) {
                for (const [k, v] of entries as [RValue, RValue][]) {
                  frames.push(new Map(pairParams.length === 2 ? [[pairParams[0]!, k], [pairParams[1]!, v]] : [[pairParams[0]!, [k, v]]]));
                  walkIteration(statementsOf(st.block.body), condition);
                  frames.pop();
                }
                break;
              }
            }
            // Other parameter shapes over a known list or Hash (`|n, t|` over pairs, `|(name, time)|`): bound as Ruby yields.
            const yields = iterationYields("each_with_index", list, st.receiver)?.map((y) => [y[0]!]);
            if (walkPasses(yields?.map((y) => bindYield(st.block.parameters?.parameters ?? null, y)), st.block.body, condition)) break;
            // A list known only on the server (`ENV.fetch("REGIONS").split(",").each`): its body
            // runs once here, each call marked as under that loop and the item not known, so what
            // the loop declares is said rather than dropped.
            const text = `${shorten(parsed.textOf(st.receiver))}.each`;
            frames.push(new Map(param ? [[param, unknown(parsed, st.receiver, `an item of ${text}, a list not known statically`)]] : []));
            walk(statementsOf(st.block.body), inner(condition, text, parsed.sourceOf(st)));
            frames.pop();
            break;
          }
          // Hash#each_pair is Hash#each; each_with_index and N.times over what is known: one pass per
          // item with the block's parameters bound as Ruby yields them (whenever writes every job).
          if (st.receiver && st.block && kind(st.block) === "BlockNode" && ITERATIONS.has(String(st.name))) {
            const yields = iterationYields(String(st.name), ev(st.receiver), st.receiver);
            const params = st.block.parameters ? st.block.parameters.parameters : null;
            if (walkPasses(yields?.map((y) => bindYield(params, y)), st.block.body, condition)) break;
            // Not known here (the list, or parameters this reader does not bind): the body runs once,
            // each call marked as under that loop, its parameters unknown — said, never dropped.
            const text = `${shorten(parsed.textOf(st.receiver))}.${st.name}`;
            const names = paramNames(params);
            frames.push(new Map(names.map((n) => [n, unknown(parsed, st.receiver, `a value ${text} yields, not known statically`)])));
            walk(statementsOf(st.block.body), inner(condition, text, parsed.sourceOf(st)));
            frames.pop();
            break;
          }
          if (st.name === "[]=" && kind(st.receiver) === "LocalVariableReadNode") {
            indexWrite(st, condition);
            break;
          }
          if (st.receiver && !opts.receiverCalls) break; // `require`-like calls on objects, `ActiveRecord::Base...`: not DSL
          // A helper the file defined (`def nightly(name) every … end; nightly "Fn"`): its body runs
          // with the call's arguments, as Ruby does; arguments it cannot bind make the body run once
          // under the call, marked, so its jobs are said rather than dropped.
          const def = st.receiver ? undefined : defs.get(String(st.name));
          if (def && callDepth < 8) {
            const names = paramNames(def.parameters);
            const args = argsOf(st);
            const simple = def.parameters ? bindYield(def.parameters, args.map((a: any) => ev(a)), true) : args.length === 0 ? new Map<string, RValue>() : null;
            callDepth++;
            if (simple) {
              frames.push(simple);
              walk(statementsOf(def.body), condition);
            } else {
              const text = `${shorten(parsed.textOf(st))} (the file's method ${st.name})`;
              frames.push(new Map(names.map((n) => [n, unknown(parsed, st, `an argument of ${st.name}, not bound statically`)])));
              walk(statementsOf(def.body), inner(condition, text, parsed.sourceOf(st)));
            }
            frames.pop();
            callDepth--;
            break;
          }
          const block = st.block ? (kind(st.block) === "BlockArgumentNode" ? st.block.expression ?? st.block : st.block) : null;
          visit({ name: st.name, node: st, args: argsOf(st), block, source: parsed.sourceOf(st), condition: condition?.text ?? null, conditionAt: condition?.source ?? null }, walker);
          break;
        }
        default:
          break;
      }
    }
  };
  walk(statementsOf(parsed.root), null);
}

/** The condition a value assigned under it is unknown for: none after a loop's undecided `next` alone. */
const valueCond = (c: Cond | null): Cond | null => (c && !c.passOnly ? c : null);

/** A Capistrano reference (`release_path`) or a string with unknown pieces: a String when the file runs, never nil. */
function isStringAtRun(v: RValue): boolean {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  return keys.length === 1 && ((keys[0] === "cap" && typeof o.cap === "string") || (keys[0] === "interp" && Array.isArray(o.interp)));
}

/** `|a|` or `|a, b|`: the names of a block's one or two plain parameters, or null for any other list. */
/** Block calls that iterate: read per item where the receiver is known, else marked as a loop. */
const ITERATIONS = new Set(["each_pair", "each_with_index", "times", "each_slice", "each_cons", "each_with_object", "each_key", "each_value", "each_entry", "map", "collect", "flat_map", "upto", "downto", "step", "reverse_each", "cycle"]);

/** What each pass yields, for the iterations read here over a known receiver; null: not read. */
function iterationYields(name: string, recv: RValue, node: any): RValue[][] | null {
  // A literal count, or a constant or local the file set to one (`WORKERS = 3`, `WORKERS.times`).
  if (name === "times") return ["IntegerNode", "ConstantReadNode", "LocalVariableReadNode"].includes(kind(node)) && typeof recv === "number" && Number.isInteger(recv) && recv >= 0 && recv <= 1000 ? Array.from({ length: recv }, (_, i) => [i]) : null;
  const items: RValue[] | null = Array.isArray(recv)
    ? recv
    : isHash(recv)
      ? (() => {
          const e = Object.entries(recv).map(([k, v]) => {
            const key = hashKeyOf(recv, k);
            return key === undefined ? null : ([key, v] as RValue);
          });
          return e.every((x) => x !== null) ? (e as RValue[]) : null;
        })()
      : null;
  if (!items) return null;
  if (name === "each_pair") return isHash(recv) ? items.map((x) => [x]) : null;
  if (name === "each_with_index") return items.map((x, i) => [x, i]);
  return null;
}

/** The names a parameter list binds (destructured ones included). */
function paramNames(p: any): string[] {
  if (!p) return [];
  const out: string[] = [];
  const add = (n: any) => {
    if (kind(n) === "RequiredParameterNode") out.push(String(n.name));
    else if (kind(n) === "MultiTargetNode") for (const x of [...(n.lefts ?? []), ...(n.rights ?? [])]) add(x);
  };
  for (const n of [...(p.requireds ?? []), ...(p.optionals ?? []).map((o: any) => ({ ...o, type: "RequiredParameterNode" }))]) add(n);
  return out;
}

/**
 * The locals one pass binds, as Ruby binds a block's (or, `method`, a method's) required parameters
 * to what is yielded: one Array yielded to several parameters is spread, a `(a, b)` parameter spreads
 * its item. null where the list has other parameter kinds or the counts do not fit.
 */
function bindYield(p: any, yielded: RValue[], method = false): Map<string, RValue> | null {
  const out = new Map<string, RValue>();
  if (!p) return out;
  if ((p.optionals?.length ?? 0) || p.rest || (p.posts?.length ?? 0) || (p.keywords?.length ?? 0) || p.keywordRest || p.block) return null;
  const req: any[] = p.requireds ?? [];
  let vals = yielded;
  if (!method && req.length > 1 && vals.length === 1 && Array.isArray(vals[0])) vals = vals[0] as RValue[];
  if (method && vals.length !== req.length) return null;
  const bind = (n: any, v: RValue | undefined): boolean => {
    if (kind(n) === "RequiredParameterNode") return out.set(String(n.name), v === undefined ? null : v), true;
    if (kind(n) === "MultiTargetNode" && !n.rest && !(n.rights?.length)) {
      const arr = Array.isArray(v) ? v : [v ?? null];
      return (n.lefts ?? []).every((x: any, i: number) => bind(x, arr[i]));
    }
    return false;
  };
  return req.every((n, i) => bind(n, vals[i])) ? out : null;
}

function blockParams(block: any): string[] | null {
  const p = block.parameters?.parameters;
  if (!p) return null;
  const req = p.requireds ?? [];
  if ((p.optionals?.length ?? 0) || p.rest || (p.posts?.length ?? 0) || (p.keywords?.length ?? 0) || p.keywordRest || p.block) return null;
  if (req.length < 1 || req.length > 2 || !req.every((r: any) => kind(r) === "RequiredParameterNode")) return null;
  return req.map((r: any) => String(r.name));
}

function blockParam(block: any): string | null {
  const req = block.parameters?.parameters?.requireds ?? [];
  return req.length === 1 && kind(req[0]) === "RequiredParameterNode" ? req[0].name : null;
}

function shorten(s: string): string {
  const one = s.replace(/\s+/g, " ");
  return one.length > 60 ? one.slice(0, 57) + "..." : one;
}

/** A value set under an unknown condition is not known: which branch ran is decided on the server. */
export function conditional(call: DslCall, parsed: ParsedRuby, v: RValue): RValue {
  if (!call.condition) return v;
  return unknown(parsed, call.node, `set under \`${call.condition}\`, not known statically`);
}

export { same };
