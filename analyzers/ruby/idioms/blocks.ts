// Blocks, ranges, lambdas and `case` for the evaluator: `(1..3).map { |i| "app#{i}" }`,
// `%w[a b].each_with_index.map { |h, i| ... }`, `build = ->(n) { ... }; build.(2)`,
// `case fetch(:stage) when :production then ...`. A block runs on values the evaluator knows, under
// the budget of the stage's run (see limits.ts); what it cannot run is an Unknown naming why.
import type { RValue } from "../../../src/model.js";
import { kind, argsOf, statementsOf, type ParsedRuby } from "../prism.js";
import { isHash, isKnown, isUnknown, same, truthy, unknown, type Scope } from "../evaluate.js";
import { Budget, EVAL_LIMITS, tooManyElements } from "./limits.js";
import { idiomMethod, isLimit, seq, type Outcome } from "./methods.js";
import { regexCaseEquals } from "./regex.js";

type Ev = (node: any, scope: Scope) => RValue;

/** A lambda the config built: its parameters, body and the scope it closes over. */
interface Closure {
  params: any;
  body: any;
  scope: Scope;
  parsed: ParsedRuby;
}
/** Lambdas are held as Unknown values (what Capistrano would store is a Proc), known by identity. */
const closures = new WeakMap<object, Closure>();

/** The budget of a scope's run; a scope without one gets its own for this evaluation. */
const budgets = new WeakMap<Scope, Budget>();
export function budgetOf(scope: Scope): Budget {
  if (scope.budget) return scope.budget;
  let b = budgets.get(scope);
  if (!b) budgets.set(scope, (b = new Budget()));
  return b;
}

/** A scope where `names` are local variables (a block's parameters), falling back to the outer scope. */
export function withLocals(scope: Scope, names: Map<string, RValue>): Scope {
  return { ...scope, budget: budgetOf(scope), local: (n) => (names.has(n) ? names.get(n) : scope.local?.(n)) };
}

/** Ranges: `(1..3)`, `(1...n)`, `("a".."c")` as the Array they enumerate (bounded). */
export function evalRange(node: any, p: ParsedRuby, scope: Scope, ev: Ev): RValue {
  const lo = node.left ? ev(node.left, scope) : null;
  const hi = node.right ? ev(node.right, scope) : null;
  const exclusive = typeof node.isExcludeEnd === "function" ? node.isExcludeEnd() : false;
  if (typeof lo === "number" && typeof hi === "number" && Number.isInteger(lo) && Number.isInteger(hi)) {
    const r = seq(lo, exclusive ? hi - 1 : hi);
    return isLimit(r) ? unknown(p, node, r.limit) : r;
  }
  if (typeof lo === "string" && typeof hi === "string" && /^[a-z]$/.test(lo) && /^[a-z]$/.test(hi)) {
    const out: string[] = [];
    for (let c = lo.charCodeAt(0); c <= hi.charCodeAt(0) - (exclusive ? 1 : 0); c++) out.push(String.fromCharCode(c));
    return out;
  }
  if (isUnknown(lo)) return lo;
  if (isUnknown(hi)) return hi;
  return unknown(p, node, "range with bounds not known statically (or endless)");
}

/** `-> (x) { }` / `lambda { |x| }` / `proc { }`: an Unknown that can be called later. */
export function makeClosure(node: any, p: ParsedRuby, scope: Scope): RValue {
  const u = unknown(p, node, "a callable inside a value (not called by Capistrano)");
  closures.set(u, { params: node.parameters, body: node.body, scope, parsed: p });
  return u;
}

export const closureOf = (v: RValue): Closure | undefined => (typeof v === "object" && v !== null ? closures.get(v) : undefined);

/** Calls a closure with arguments (`l.call(x)`, `l.(x)`, `l[x]`). */
export function callClosure(c: Closure, args: RValue[], node: any, p: ParsedRuby, ev: Ev): RValue {
  const budget = budgetOf(c.scope);
  if (budget.depth >= EVAL_LIMITS.depth) return unknown(p, node, `lambdas call each other more than ${EVAL_LIMITS.depth} deep: stopped (limit)`);
  const over = budget.take(1);
  if (over) return unknown(p, node, over);
  budget.depth++;
  try {
    return runBody(c.params, c.body, args, c.scope, c.parsed, ev, node);
  } finally {
    budget.depth--;
  }
}

/**
 * Binds a block's parameters as Ruby's `yield` does: one Array yielded to a block with several
 * parameters is spread; `|(a, b), i|` destructures. null when the parameters are not plain.
 */
export function bindParams(paramsNode: any, args: RValue[]): Map<string, RValue> | null {
  const out = new Map<string, RValue>();
  const k = kind(paramsNode);
  if (!paramsNode) return out;
  if (k === "NumberedParametersNode") {
    const n: number = paramsNode.maximum ?? 1;
    const vals = n > 1 && args.length === 1 && Array.isArray(args[0]) ? (args[0] as RValue[]) : args;
    for (let i = 1; i <= n; i++) out.set(`_${i}`, vals[i - 1] ?? null);
    return out;
  }
  if (k === "ItParametersNode") {
    out.set("it", args[0] ?? null);
    return out;
  }
  const params = k === "BlockParametersNode" ? paramsNode.parameters : paramsNode;
  if (!params) return out;
  if (params.optionals?.length || params.rest || params.posts?.length || params.keywords?.length || params.keywordRest) return null;
  const req: any[] = params.requireds ?? [];
  const spread = (req.length > 1 || kind(req[0]) === "MultiTargetNode") && args.length === 1 && Array.isArray(args[0]);
  const vals = spread ? (args[0] as RValue[]) : args;
  return bindList(req, vals, out) ? out : null;
}

function bindList(targets: any[], vals: RValue[], out: Map<string, RValue>): boolean {
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    const v = vals[i] ?? null;
    if (kind(t) === "RequiredParameterNode") out.set(t.name, v);
    else if (kind(t) === "MultiTargetNode") {
      if (t.rest || t.rights?.length) return false;
      if (!bindList(t.lefts ?? [], Array.isArray(v) ? v : [v], out)) return false;
    } else return false;
  }
  return true;
}

/** Runs a block or lambda body with its parameters bound; the value of its last statement. */
function runBody(paramsNode: any, body: any, args: RValue[], scope: Scope, p: ParsedRuby, ev: Ev, node: any): RValue {
  const bound = bindParams(paramsNode, args);
  if (!bound) return unknown(p, node, "block parameters we do not bind statically (optional, splat or keyword)");
  const inner = withLocals(scope, bound);
  const stmts = statementsOf(body);
  for (const s of stmts.slice(0, -1)) {
    if (kind(s) === "LocalVariableWriteNode") bound.set(s.name, ev(s.value, inner));
    else return unknown(p, s, "a block with statements besides assignments: not evaluated statically");
  }
  return stmts.length ? ev(stmts[stmts.length - 1], inner) : null;
}

const BLOCK_METHODS = new Set(["map", "collect", "flat_map", "collect_concat", "select", "filter", "reject", "filter_map", "each", "each_with_index", "with_index", "each_with_object", "times", "upto", "downto", "find", "detect", "any?", "all?", "none?", "count", "sum", "to_h", "sort_by", "min_by", "max_by", "group_by", "partition", "each_slice"]);

/** What a method with a block yields, one argument list per call; or a reason it cannot tell. */
export function yieldsOf(recv: RValue, name: string, args: RValue[]): RValue[][] | string {
  if (typeof recv === "number" && Number.isInteger(recv)) {
    const range = name === "times" ? seq(0, recv - 1) : name === "upto" && typeof args[0] === "number" ? seq(recv, args[0]) : name === "downto" && typeof args[0] === "number" ? (seq(args[0], recv) as RValue[]) : null;
    if (range === null) return `\`${name}\` on an Integer with arguments not known statically`;
    if (isLimit(range)) return range.limit;
    const list = name === "downto" ? [...(range as RValue[])].reverse() : (range as RValue[]);
    return list.map((x) => [x]);
  }
  let list: RValue[];
  if (Array.isArray(recv)) list = recv;
  else if (isHash(recv)) list = Object.entries(recv).map(([k, v]) => [k, v]);
  else return "a receiver not known statically";
  const lim = tooManyElements(list.length);
  if (lim) return lim;
  if (name === "each_with_index") return list.map((x, i) => [x, i]);
  if (name === "with_index") {
    const off = typeof args[0] === "number" ? args[0] : 0;
    return list.map((x, i) => [x, i + off]);
  }
  if (name === "each_slice") {
    const n = args[0];
    if (typeof n !== "number" || n < 1) return "each_slice with a size not known statically";
    const out: RValue[][] = [];
    for (let i = 0; i < list.length; i += n) out.push([list.slice(i, i + n)]);
    return out;
  }
  return list.map((x) => [x]);
}

/** A call with a block the evaluator computes, or undefined when it is not one of ours. */
export function evalBlockCall(node: any, p: ParsedRuby, scope: Scope, ev: Ev): RValue | undefined {
  const name: string = node.name;
  if (!node.receiver || !node.block || !BLOCK_METHODS.has(name)) return undefined;
  // `list.map(&:upcase)`: the block calls one method on each item.
  if (kind(node.block) === "BlockArgumentNode") return symbolBlock(node, p, scope, ev);
  if (kind(node.block) !== "BlockNode") return undefined;
  const recv = ev(node.receiver, scope);
  const args = argsOf(node).map((a: any) => ev(a, scope));
  if (isUnknown(recv)) return recv;
  if (!isKnown(recv) && !Array.isArray(recv) && !isHash(recv)) return unknown(p, node, `\`${name}\` over a value not known statically`);
  const yields = yieldsOf(recv, name, args);
  if (typeof yields === "string") return unknown(p, node, `\`${name}\`: ${yields}`);
  const budget = budgetOf(scope);
  const over = budget.take(yields.length);
  if (over) return unknown(p, node, over);
  const call = (a: RValue[]) => runBody(node.block.parameters, node.block.body, a, scope, p, ev, node);
  const results: RValue[] = [];
  for (const y of yields) {
    const v = call(y);
    results.push(v);
    // A block whose value we do not know makes the whole result unknown, except for `each`, whose
    // value is its receiver.
    if (isUnknown(v) && !["each", "each_with_index", "times", "upto", "downto", "each_slice"].includes(name)) return v;
  }
  const flags = () => results.map(truthy);
  const items = yields.map((y) => (y.length === 1 ? y[0] : y));
  switch (name) {
    case "each":
    case "each_with_index":
    case "times":
    case "upto":
    case "downto":
    case "each_slice":
      return recv;
    case "map":
    case "collect":
    case "with_index":
      return results;
    case "flat_map":
    case "collect_concat":
      return results.flatMap((r) => (Array.isArray(r) ? r : [r]));
    case "select":
    case "filter":
    case "reject":
    case "find":
    case "detect":
    case "any?":
    case "all?":
    case "none?":
    case "count":
    case "partition":
    case "filter_map": {
      const f = flags();
      if (f.some((x) => x === null)) return unknown(p, node, `\`${name}\` with a block whose result is not known statically`);
      const keep = (i: number) => (name === "reject" ? !f[i] : !!f[i]);
      if (name === "find" || name === "detect") return items[f.findIndex((x) => x)] ?? null;
      if (name === "any?") return f.some((x) => x);
      if (name === "all?") return f.every((x) => x);
      if (name === "none?") return !f.some((x) => x);
      if (name === "count") return f.filter((x) => x).length;
      if (name === "partition") return [items.filter((_, i) => keep(i)), items.filter((_, i) => !keep(i))];
      if (name === "filter_map") return results.filter((_, i) => keep(i));
      return items.filter((_, i) => keep(i));
    }
    case "sum":
      return results.every((x) => typeof x === "number") ? (results as number[]).reduce((x, y) => x + y, typeof args[0] === "number" ? args[0] : 0) : unknown(p, node, "`sum` of values not known statically");
    case "to_h": {
      const out: Record<string, RValue> = {};
      for (const r of results) {
        if (!Array.isArray(r) || r.length !== 2) return unknown(p, node, "`to_h` block not giving pairs");
        const k = r[0];
        const key = typeof k === "string" ? k : typeof k === "object" && k !== null && "sym" in k ? (k as { sym: string }).sym : typeof k === "number" ? String(k) : null;
        if (key === null) return unknown(p, node, "`to_h` with keys not known statically");
        out[key] = r[1];
      }
      return out;
    }
    case "sort_by":
    case "min_by":
    case "max_by": {
      const keys = results;
      if (!(keys.every((k) => typeof k === "number") || keys.every((k) => typeof k === "string"))) return unknown(p, node, `\`${name}\` by keys not known statically`);
      const idx = items.map((_, i) => i).sort((x, y) => ((keys[x] as number) < (keys[y] as number) ? -1 : (keys[x] as number) > (keys[y] as number) ? 1 : x - y));
      if (name === "sort_by") return idx.map((i) => items[i]);
      if (!idx.length) return null;
      return items[name === "min_by" ? idx[0] : idx[idx.length - 1]];
    }
    case "group_by": {
      const out: Record<string, RValue> = {};
      for (let i = 0; i < items.length; i++) {
        const k = results[i];
        const key = typeof k === "string" ? k : typeof k === "object" && k !== null && "sym" in k ? (k as { sym: string }).sym : typeof k === "number" ? String(k) : null;
        if (key === null) return unknown(p, node, "`group_by` with keys not known statically");
        (out[key] ??= [] as RValue[]);
        (out[key] as RValue[]).push(items[i]);
      }
      return out;
    }
    case "each_with_object":
      return unknown(p, node, "`each_with_object` is not evaluated statically");
  }
  return undefined;
}

function symbolBlock(node: any, p: ParsedRuby, scope: Scope, ev: Ev): RValue | undefined {
  const sym = node.block.expression;
  if (kind(sym) !== "SymbolNode" || !["map", "collect", "select", "filter", "reject", "flat_map", "each"].includes(node.name)) return undefined;
  const recv = ev(node.receiver, scope);
  if (!Array.isArray(recv) || !isKnown(recv)) return isUnknown(recv) ? recv : unknown(p, node, `\`${node.name}\` over a value not known statically`);
  const m: string = sym.unescaped.value;
  const over = budgetOf(scope).take(recv.length);
  if (over) return unknown(p, node, over);
  const results: RValue[] = [];
  for (const x of recv) {
    const v = applyMethod(x, m, p, node);
    if (v === undefined) return unknown(p, node, `\`&:${m}\` on a value we do not compute`);
    results.push(v);
  }
  if (node.name === "each") return recv;
  if (node.name === "flat_map") return results.flatMap((r) => (Array.isArray(r) ? r : [r]));
  if (node.name === "map" || node.name === "collect") return results;
  const f = results.map(truthy);
  return recv.filter((_, i) => (node.name === "reject" ? !f[i] : !!f[i]));
}

/** One method without arguments, through the evaluator's own method tables. */
let applyMethod: (x: RValue, m: string, p: ParsedRuby, node: any) => RValue | undefined = () => undefined;
export function setMethodApplier(fn: typeof applyMethod): void {
  applyMethod = fn;
}

/** `x.call(a)`, `x.(a)`, `x[a]` on a lambda the config built. */
export function evalClosureCall(node: any, p: ParsedRuby, scope: Scope, ev: Ev): RValue | undefined {
  if (!node.receiver || !["call", "[]", "yield", "()"].includes(node.name)) return undefined;
  const recv = ev(node.receiver, scope);
  const c = closureOf(recv);
  if (!c) return undefined;
  return callClosure(c, argsOf(node).map((a: any) => ev(a, scope)), node, p, ev);
}

/**
 * The branch of a `case` that Ruby takes (`===`: equality for values, membership for a range held
 * as an Array, Class checks not modelled). null = the subject or a `when` is not known statically.
 */
export function caseBranch(node: any, scope: Scope, ev: Ev): { statements: any } | null {
  if (!node.predicate) {
    // `case` without a subject: the first `when` whose condition is truthy.
    for (const w of node.conditions ?? []) {
      for (const c of w.conditions ?? []) {
        const t = truthy(ev(c, scope));
        if (t === null) return null;
        if (t) return { statements: w.statements };
      }
    }
    return { statements: node.elseClause?.statements ?? node.consequent?.statements ?? null };
  }
  const read = ev(node.predicate, scope);
  const subject = scope.caseSubject ? scope.caseSubject(read) : read;
  if (!isKnown(subject)) return null;
  for (const w of node.conditions ?? []) {
    if (kind(w) !== "WhenNode") return null; // `case ... in` pattern matching
    for (const c of w.conditions ?? []) {
      const isRange = kind(c) === "RangeNode" || (kind(c) === "ParenthesesNode" && kind(statementsOf(c.body)[0]) === "RangeNode");
      if (kind(c) === "SplatNode") {
        const list = ev(c.expression, scope);
        if (!Array.isArray(list) || !isKnown(list)) return null;
        if (list.some((x) => same(x, subject))) return { statements: w.statements };
        continue;
      }
      if (kind(c) === "ConstantReadNode" && /^(String|Symbol|Integer|Array|Hash|NilClass|Numeric)$/.test(c.name)) {
        const cls = c.name;
        const t = typeof subject;
        const hit = cls === "String" ? t === "string" : cls === "Integer" || cls === "Numeric" ? t === "number" : cls === "Array" ? Array.isArray(subject) : cls === "Hash" ? isHash(subject) : cls === "NilClass" ? subject === null : typeof subject === "object" && subject !== null && "sym" in subject;
        if (hit) return { statements: w.statements };
        continue;
      }
      if (kind(c) === "RegularExpressionNode") {
        // decided only where JS's RegExp answers as Ruby's does (idioms/regex.ts)
        const hit = regexCaseEquals(c, subject);
        if (hit === null) return null;
        if (hit) return { statements: w.statements };
        continue;
      }
      const v = ev(c, scope);
      if (!isKnown(v)) return null;
      if (isRange && Array.isArray(v) ? v.some((x) => same(x, subject)) : same(v, subject)) return { statements: w.statements };
    }
  }
  return { statements: node.elseClause?.statements ?? null };
}

export function evalCase(node: any, p: ParsedRuby, scope: Scope, ev: Ev): RValue {
  const b = caseBranch(node, scope, ev);
  if (!b) return unknown(p, node, "case over a value not known statically");
  const stmts = statementsOf(b.statements);
  return stmts.length ? ev(stmts[stmts.length - 1], scope) : null;
}

/** Non-block methods from methods.ts, with a limit turned into an Unknown. */
export function evalIdiomMethod(r: RValue, name: string, a: RValue[], p: ParsedRuby, node: any): RValue | undefined {
  const out: Outcome | undefined = idiomMethod(r, name, a);
  if (out === undefined) return undefined;
  return isLimit(out) ? unknown(p, node, out.limit) : out;
}
