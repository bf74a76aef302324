// A small static evaluator of Ruby expressions, shared by every analyzer that reads Ruby
// (Capistrano, Unicorn, Puma, whenever, ERB tags). It computes what is computable without running
// anything — literals, %w[], hashes, interpolation, ENV references with their defaults, a few pure
// String/Array methods — and returns an Unknown (with the reason and the source) for anything else.
// It never throws on odd input: a Rails team's deploy config is full of Ruby we do not model.
//
// Context-specific names (Capistrano's `fetch`, `shared_path`, a block's local variable) come from
// the Scope the caller passes in.
import type { RValue, Source, Unknown, EnvRef } from "../../src/model.js";
import { isDateValue, isEnvRefShape, isFloatValue, isInterp, isSym, isTaggedValue, isTimeValue, isUnknown, plainHash, setOwn } from "../../src/model.js";
import { kind, argsOf, statementsOf, type ParsedRuby } from "./prism.js";
import type { Budget } from "./idioms/limits.js";
import { evalRange, evalCase, makeClosure, evalBlockCall, evalClosureCall, evalIdiomMethod, setMethodApplier } from "./idioms/blocks.js";
import { rubyFormat } from "./idioms/format.js";
import { tooLong } from "./idioms/limits.js";
import { rubyNumberToS } from "./yaml.js";
import { shellReason, MACHINE } from "./shell-reason.js";

export interface Scope {
  /** `fetch(:name)` / `fetch(:name, default)` without a receiver. */
  fetch?(name: string, dflt: RValue | undefined, node: any): RValue;
  /** A local variable (block parameter, assignment earlier in the file). */
  local?(name: string): RValue | undefined;
  /**
   * Any other call the caller understands (e.g. Capistrano's `shared_path`, `File.read`).
   * Return undefined to let the evaluator decide (usually: Unknown).
   */
  call?(node: any, ev: (n: any) => RValue): RValue | undefined;
  /** A constant the caller knows (e.g. one assigned earlier in a deploy config). */
  constant?(name: string, node?: any): RValue | undefined;
  /**
   * The code runs inside the Rails app (a Global file's ERB, config_for): ActiveSupport's Integer
   * durations and byte sizes (`1.month`, `5.megabytes`) are known. Not Capistrano's own Ruby.
   */
  activeSupport?: boolean;
  /** The app's ActiveSupport (Gemfile.lock), which fixes what a month and a year are; null: unknown, the current table. */
  activeSupportVersion?: string | null;
  /** The iteration budget of the run this scope belongs to (one per Capistrano stage). */
  budget?: Budget;
  /** Told when a condition was decided by an ENV variable's default (the deploy may set it). */
  envDefault?(env: string, node: any): void;
  /** An ENV variable's value where the caller sets it (a Mina run given `to=staging`), null where it knows it unset; else undefined. */
  env?(name: string): string | null | undefined;
  /**
   * A `case` subject as the caller knows it where the evaluator does not: a server config read for
   * one Rails environment gives `case ENV["RAILS_ENV"]` that environment (analyzers/appserver/rails-env.ts).
   */
  caseSubject?(v: RValue): RValue;
}

/**
 * ActiveSupport (5.1–8.x, `active_support/core_ext/numeric` and `integer/time`): an Integer's
 * duration in seconds and size in bytes. A Duration prints its seconds (`1.month.to_s` is
 * "2629746", the mean Gregorian month); sizes are plain Integers. Checked against real Ruby in
 * test/global/computed-erb.test.ts. Older months and years: OLD_AS_UNITS.
 */
const AS_UNITS: Record<string, number> = {
  second: 1, seconds: 1, minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86400, days: 86400,
  week: 604800, weeks: 604800, fortnight: 1209600, fortnights: 1209600, month: 2629746, months: 2629746, year: 31556952, years: 31556952,
  byte: 1, bytes: 1, kilobyte: 1024, kilobytes: 1024, megabyte: 1024 ** 2, megabytes: 1024 ** 2, gigabyte: 1024 ** 3, gigabytes: 1024 ** 3,
  terabyte: 1024 ** 4, terabytes: 1024 ** 4, petabyte: 1024 ** 5, petabytes: 1024 ** 5, exabyte: 1024 ** 6, exabytes: 1024 ** 6,
};

/**
 * Before 5.1 (activesupport 5.0.7 `Duration::SECONDS_PER_MONTH = 2592000 # 30 days`,
 * `SECONDS_PER_YEAR = 31557600`; 4.2 and 5.0.0–5.0.6 `integer/time.rb`: `self * 30.days`,
 * `self * 365.25.days` — a Float before 5.0, `.to_i` from 5.0.0): a month is 30 days, a year 365.25.
 */
const OLD_AS_UNITS: Record<string, number> = { month: 2592000, months: 2592000, year: 31557600, years: 31557600 };

/** `N.<unit>` in seconds (a Float where that ActiveSupport computed one), by the app's ActiveSupport. */
function asDuration(n: number, unit: string, version: string | null | undefined): RValue | null {
  const [major, minor] = (version ?? "").split(".").map((x) => parseInt(x, 10));
  const old = Number.isFinite(major) && (major < 5 || (major === 5 && (minor || 0) < 1));
  const v = n * (old && Object.hasOwn(OLD_AS_UNITS, unit) ? OLD_AS_UNITS[unit]! : AS_UNITS[unit]!);
  if (!Number.isSafeInteger(v)) return null;
  // 4.x: `365.25.days` is a Float Duration, and so is every `N.years`: ERB prints "31557600.0".
  if (old && major < 5 && (unit === "year" || unit === "years")) return { float: rubyNumberToS(v, true) };
  return v;
}

export function unknown(parsed: ParsedRuby, node: any, reason: string): Unknown {
  let expr = node ? parsed.textOf(node) : "";
  if (expr.length > 80) expr = expr.slice(0, 77) + "...";
  return node ? { unknown: reason, expr, source: parsed.sourceOf(node) } : { unknown: reason };
}

// --- value predicates -------------------------------------------------------------------------

const isObj = (v: RValue): v is { [k: string]: RValue } => typeof v === "object" && v !== null && !Array.isArray(v);
// The model's own predicates (src/model.ts), under the names the analyzers use.
export { isUnknown, isSym, isInterp } from "../../src/model.js";
export const isEnvRef = (v: RValue): v is EnvRef => isEnvRefShape(v);
/** Tagged values that are not a plain Ruby Hash (the model's one rule). */
export const isTagged = (v: RValue): boolean => isTaggedValue(v);
/** True for a plain Ruby Hash value. */
export const isHash = (v: RValue): v is { [k: string]: RValue } => isObj(v) && !isTagged(v);
/** A value that is fully known (no Unknown, EnvRef, Interp or CapRef anywhere inside). */
export function isKnown(v: RValue): boolean {
  if (Array.isArray(v)) return v.every(isKnown);
  if (isHash(v)) return Object.values(v).every(isKnown);
  if (isObj(v)) return isSym(v) || isDateValue(v) || isTimeValue(v) || isFloatValue(v);
  return true;
}

/** Ruby's `to_s` for values known enough to print; null when it is not a plain string. */
export function rubyToS(v: RValue): string | null {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : rubyFloatToS(v);
  if (isFloatValue(v)) return v.float;
  if (typeof v === "boolean") return String(v);
  if (isSym(v)) return v.sym;
  if (Array.isArray(v)) {
    const parts = v.map(rubyInspect);
    return parts.every((p) => p !== null) ? `[${parts.join(", ")}]` : null;
  }
  return null;
}

function rubyFloatToS(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : v < 0 ? "-Infinity" : "NaN";
  const s = String(v);
  return s.includes(".") || s.includes("e") ? s : `${s}.0`;
}

export function rubyInspect(v: RValue): string | null {
  if (v === null) return "nil";
  if (typeof v === "string") return JSON.stringify(v);
  if (isSym(v)) return `:${v.sym}`;
  return rubyToS(v);
}

// An Unknown may still know its truthiness (`x && false` is nil or false, whatever x is).
export const truthy = (v: RValue): boolean | null => (isKnown(v) ? v !== null && v !== false : isUnknown(v) && typeof v.truthy === "boolean" ? v.truthy : null);

// --- the evaluator ----------------------------------------------------------------------------

/** Evaluates an expression node. Never throws. */
export function evaluate(node: any, parsed: ParsedRuby, scope: Scope = {}): RValue {
  try {
    return ev(node, parsed, scope);
  } catch (e) {
    return unknown(parsed, node, `could not evaluate (${(e as Error).message})`);
  }
}

function ev(node: any, p: ParsedRuby, scope: Scope): RValue {
  const self = (n: any) => ev(n, p, scope);
  switch (kind(node)) {
    case "StringNode":
      return node.unescaped.value;
    case "SymbolNode":
      return { sym: node.unescaped.value };
    case "IntegerNode":
      return typeof node.value === "bigint" ? Number(node.value) : node.value;
    case "FloatNode":
      return node.value;
    case "TrueNode":
      return true;
    case "FalseNode":
      return false;
    case "NilNode":
      return null;
    case "SourceFileNode":
      return scope.call?.(node, self) ?? unknown(p, node, "__FILE__ depends on where the file is deployed");
    case "InstanceVariableReadNode":
      // DSLs that keep settings in instance variables (whenever's `@environment`) answer through the hook
      return scope.call?.(node, self) ?? unknown(p, node, `instance variable ${node.name} is not known statically`);
    case "ArrayNode": {
      const out: RValue[] = [];
      for (const el of node.elements) {
        if (kind(el) === "SplatNode") {
          const v = self(el.expression);
          if (Array.isArray(v)) out.push(...v);
          else return unknown(p, node, "splat of a value not known statically");
        } else out.push(self(el));
      }
      return out;
    }
    case "HashNode":
    case "KeywordHashNode":
      return evalHash(node, p, scope);
    case "InterpolatedStringNode":
    case "InterpolatedSymbolNode":
    case "InterpolatedXStringNode": {
      if (kind(node) === "InterpolatedXStringNode") return unknown(p, node, shellReason(p.textOf(node)));
      const parts: RValue[] = [];
      for (const part of node.parts) {
        const v = kind(part) === "StringNode" ? part.unescaped.value : kind(part) === "EmbeddedStatementsNode" ? lastValue(part.statements, p, scope) : self(part);
        const s = rubyToS(v);
        parts.push(s ?? v);
      }
      const joined = joinParts(parts);
      if (typeof joined === "string" && tooLong(joined.length)) return unknown(p, node, tooLong(joined.length)!);
      if (kind(node) === "InterpolatedSymbolNode") return typeof joined === "string" ? { sym: joined } : joined;
      return joined;
    }
    case "XStringNode":
      return unknown(p, node, shellReason(node.unescaped?.value ?? ""));
    case "ParenthesesNode":
      return lastValue(node.body, p, scope);
    case "StatementsNode":
    case "BeginNode":
      return lastValue(node, p, scope);
    case "LocalVariableReadNode": {
      const v = scope.local?.(node.name);
      return v === undefined ? unknown(p, node, `local variable ${node.name} is not known statically`) : v;
    }
    case "OrNode": {
      const left = self(node.left);
      // ENV["A"] || ENV["B"] || "x": each unset variable falls through to the next.
      if (isEnvRef(left) && envChainOpen(left)) return withLastDefault(left, self(node.right));
      // Set, a variable is a String; unset, its default: neither nil nor false, so `||` keeps it.
      if (isEnvRef(left) && left.default !== false && !isEnvRef(left.default) && left.default !== null) return left;
      const t = truthy(left);
      if (t === true) return left;
      if (t === false) return self(node.right);
      // Ruby: `x || true` is x when x is truthy, else true: truthy either way, its value still not known.
      // A value that is the machine's own (`Concurrent.processor_count || 2`) keeps saying so.
      const host = machineOf(p, node, [left]);
      if (truthy(self(node.right)) === true) return { ...(host ?? unknown(p, node, "`||` over a value not known statically (truthy either way)")), truthy: true };
      return host ?? unknown(p, node, "`||` over a value not known statically");
    }
    case "AndNode": {
      const left = self(node.left);
      const t = truthy(left);
      if (t === true) return self(node.right);
      if (t === false) return left;
      // Ruby: `x && false` is false when x is truthy, else x (nil or false): falsy either way.
      if (truthy(self(node.right)) === false) return { ...unknown(p, node, "`&&` over a value not known statically (falsy either way)"), truthy: false };
      return machineOf(p, node, [left]) ?? unknown(p, node, "`&&` over a value not known statically");
    }
    case "IfNode":
    case "UnlessNode": {
      const c = truthy(self(node.predicate));
      if (c === null) return unknown(p, node, "condition not known statically");
      const takeThen = kind(node) === "IfNode" ? c : !c;
      const branch = takeThen ? node.statements : kind(node) === "IfNode" ? node.subsequent ?? node.consequent : node.elseClause ?? node.else_clause;
      if (!branch) return null;
      if (kind(branch) === "ElseNode") return lastValue(branch.statements, p, scope);
      return kind(branch) === "IfNode" ? self(branch) : lastValue(branch, p, scope);
    }
    case "CallNode":
      return evalCall(node, p, scope);
    case "ConstantReadNode": {
      const v = scope.constant?.(node.name, node);
      return v === undefined ? unknown(p, node, `constant ${node.name} is not known statically`) : v;
    }
    case "RangeNode":
      return evalRange(node, p, scope, (n, s) => ev(n, p, s));
    case "CaseNode":
      return evalCase(node, p, scope, (n, s) => ev(n, p, s));
    case "LambdaNode":
      return makeClosure(node, p, scope);
    // `{ KEY: }` (Ruby 3.1's hash value omission): the value is a read of the local, method or
    // constant of that name.
    case "ImplicitNode":
      return ev(node.value, p, scope);
    case "ItLocalVariableReadNode": {
      const v = scope.local?.("it");
      return v === undefined ? unknown(p, node, "`it` is not known statically") : v;
    }
    default:
      return unknown(p, node, `${describe(node)} is not evaluated statically`);
  }
}

/** An ENV reference whose fallback chain ends without a default (`ENV["A"] || ENV["B"]`). */
function envChainOpen(v: EnvRef): boolean {
  return v.default === null || (isEnvRef(v.default) && envChainOpen(v.default));
}

function withLastDefault(v: EnvRef, dflt: RValue): EnvRef {
  return { env: v.env, default: v.default === null ? dflt : withLastDefault(v.default as EnvRef, dflt) };
}

function describe(node: any): string {
  const k = kind(node).replace(/Node$/, "");
  return k ? k.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase() : "expression";
}

function lastValue(stmts: any, p: ParsedRuby, scope: Scope): RValue {
  const list = statementsOf(stmts);
  return list.length ? ev(list[list.length - 1], p, scope) : null;
}

/** Joins interpolation pieces: a plain string when all are known, else an Interp. */
/**
 * Unknowns that stand for the release's own root (`release_path`/`current_path` while deploy_to is not
 * known), each with the name it was read by. Inside an interpolation such a root stays a reference
 * (`{cap: "release_path"}`), so `"#{release_path}/config/unicorn.rb"` keeps its tail: the release's
 * file at that path is the repo's file there, whatever deploy_to is.
 */
const releaseRoots = new WeakMap<object, string>();

/** A fresh Unknown for `name` (release_path, current_path) read while deploy_to is not known. */
export function releaseRootUnknown(u: Unknown, name: string): Unknown {
  const copy = { ...u };
  releaseRoots.set(copy, name);
  return copy;
}

function joinParts(parts: RValue[]): RValue {
  const merged: RValue[] = [];
  for (let part of parts) {
    const last = merged[merged.length - 1];
    // Only as the first piece: "#{release_path}/x" is the release's x; "a#{release_path}" is no path of it.
    if (isUnknown(part) && merged.length === 0 && releaseRoots.has(part)) part = { cap: releaseRoots.get(part)! };
    if (typeof part === "string" && typeof last === "string") merged[merged.length - 1] = last + part;
    else if (isInterp(part)) merged.push(...part.interp);
    else if (part !== "") merged.push(part);
  }
  if (merged.length === 0) return "";
  if (merged.length === 1 && typeof merged[0] === "string") return merged[0];
  if (merged.some(isUnknown)) {
    const u = merged.find(isUnknown)!;
    return { ...u };
  }
  return { interp: merged };
}

/**
 * What each key of a Hash literal was in Ruby (a Symbol, a String, an Integer), for the Hashes this
 * evaluator built: the model's Hash keys are text, and `each do |key, value|` hands the key itself.
 */
const literalKeys = new WeakMap<object, Map<string, RValue>>();

/** The Ruby key of a Hash literal's entry (`:a`, `"a"`, `1`), or undefined where the Hash was not built from a literal here. */
export function hashKeyOf(hash: RValue, key: string): RValue | undefined {
  return typeof hash === "object" && hash !== null ? literalKeys.get(hash)?.get(key) : undefined;
}

function evalHash(node: any, p: ParsedRuby, scope: Scope): RValue {
  const out: { [k: string]: RValue } = {};
  const keys = new Map<string, RValue>();
  for (const el of node.elements) {
    if (kind(el) === "AssocSplatNode") {
      const v = ev(el.value, p, scope);
      if (!isHash(v)) return unknown(p, node, "double splat of a value not known statically");
      for (const [k, x] of Object.entries(v)) setOwn(out, k, x);
      continue;
    }
    const k = ev(el.key, p, scope);
    const key = isSym(k) ? k.sym : typeof k === "string" || typeof k === "number" ? String(k) : null;
    if (key === null) return unknown(p, el.key, "hash key not known statically");
    setOwn(out, key, ev(el.value, p, scope));
    keys.set(key, k);
  }
  // A Ruby Hash literal is a Hash whatever its keys spell (`{ sym: "x" }` is no Symbol).
  const h = plainHash(out);
  if (typeof h === "object" && h !== null) literalKeys.set(h, keys);
  return h;
}

const isConst = (node: any, name: string) => kind(node) === "ConstantReadNode" && node.name === name;

function evalCall(node: any, p: ParsedRuby, scope: Scope): RValue {
  const self = (n: any) => ev(n, p, scope);
  const name: string = node.name;
  const args = argsOf(node);
  const recv = node.receiver;

  // ENV["X"], ENV.fetch("X"), ENV.fetch("X", d), ENV.fetch("X") { d }
  if (recv && isConst(recv, "ENV") && (name === "[]" || name === "fetch")) {
    const key = args.length ? self(args[0]) : null;
    if (typeof key !== "string") return unknown(p, node, "ENV key not known statically");
    const given = scope.env?.(key);
    if (typeof given === "string") return given;
    if (given === null && name === "[]") return null;
    let dflt: RValue | null = null;
    if (name === "fetch" && args.length > 1) dflt = self(args[1]);
    else if (name === "fetch" && node.block && kind(node.block) === "BlockNode") dflt = lastValue(node.block.body, p, scope);
    if (given === null && dflt !== null) return dflt;
    return { env: key, default: dflt };
  }

  // Lambdas, blocks and `format`: analyzers/ruby/idioms.
  if (!recv && (name === "lambda" || name === "proc") && node.block && kind(node.block) === "BlockNode") return makeClosure(node.block, p, scope);
  const evIn = (n: any, s: Scope) => ev(n, p, s);
  const blockCall = evalBlockCall(node, p, scope, evIn) ?? evalClosureCall(node, p, scope, evIn);
  if (blockCall !== undefined) return blockCall;
  if (!recv && (name === "format" || name === "sprintf") && args.length >= 1) {
    const a = args.map(self);
    const out = typeof a[0] === "string" && a.every(isKnown) ? rubyFormat(a[0], a.slice(1)) : null;
    return out ?? unknown(p, node, `${name} with a format or arguments not known statically`);
  }

  const hooked = scope.call?.(node, self);
  if (hooked !== undefined) return hooked;

  if (!recv && name === "fetch" && args.length >= 1 && scope.fetch) {
    const key = self(args[0]);
    const keyName = isSym(key) ? key.sym : typeof key === "string" ? key : null;
    if (keyName === null) return unknown(p, node, "fetch of a name not known statically");
    let dflt: RValue | undefined = args.length > 1 ? self(args[1]) : undefined;
    if (dflt === undefined && node.block && kind(node.block) === "BlockNode") dflt = lastValue(node.block.body, p, scope);
    return scope.fetch(keyName, dflt, node);
  }

  // `File.join(shared_path, "puma.rb")`: a path built from known Strings (and Arrays of them).
  if (recv && isConst(recv, "File") && name === "join" && !node.block) {
    const parts = args.map(self).flat(Infinity as 1) as RValue[];
    const strs = parts.map((x) => (typeof x === "string" ? x : null));
    return strs.every((x) => x !== null) ? fileJoin(strs as string[]) : unknown(p, node, "File.join of a value not known statically");
  }

  // Integer(x) / Float(x) / String(x): keep ENV references (their default cast), cast literals.
  if (!recv && (name === "Integer" || name === "Float" || name === "String") && args.length >= 1) {
    const v = self(args[0]);
    // Integer() is stricter than to_i: a radix prefix counts ("010" is 8), and junk raises.
    if (name === "Integer" && isEnvRef(v)) return { env: v.env, default: v.default === null ? null : kernelInteger(v.default) ?? v.default };
    if (name === "Integer" && !isUnknown(v)) return kernelInteger(v) ?? unknown(p, node, "Integer() raises on this value");
    return cast(v, name === "Integer" ? "to_i" : name === "Float" ? "to_f" : "to_s") ?? unknown(p, node, `${name}() of a value not known statically`);
  }

  // Only on an Integer literal (or an Integer computed from them): `1.5.hours` is a Float Duration.
  if (scope.activeSupport && recv && !args.length && !node.block && Object.hasOwn(AS_UNITS, name) && integerExpr(recv)) {
    const n = self(recv);
    const v = typeof n === "number" && Number.isSafeInteger(n) ? asDuration(n, name, scope.activeSupportVersion) : null;
    if (v !== null) return v;
  }

  if (recv) {
    const r = self(recv);
    const a = args.map(self);
    const res = method(r, name, a);
    if (typeof res === "string" && tooLong(res.length)) return unknown(p, node, tooLong(res.length)!);
    if (res !== undefined) return res;
    if (isKnown(r) && a.every(isKnown)) {
      const more = evalIdiomMethod(r, name, a, p, node);
      if (more !== undefined) return more;
    }
    // A condition on an ENV variable with a default: decided as Capistrano decides it when the
    // variable is not set, and said so (the deploy may set it).
    if (isEnvRef(r) && r.default !== null && isKnown(r.default) && a.every(isKnown) && ENV_PREDICATES.has(name)) {
      const more = method(r.default, name, a) ?? evalIdiomMethod(r.default, name, a, p, node);
      if (more !== undefined) {
        scope.envDefault?.(r.env, node);
        return more;
      }
    }
    if (isUnknown(r)) return r;
    // `2 * cpus` where cpus read /proc/cpuinfo: still the machine's number.
    const host = machineOf(p, node, a);
    if (host) return host;
  }
  return unknown(p, node, recv ? `method \`${name}\` on a value not known statically` : `call to \`${name}\` is not evaluated statically`);
}

/**
 * Ruby's File.join (file.c rb_file_join): a part that starts with `/` replaces the separators the
 * result ends with; else one `/` is added unless the result ends with one. So `File.join("a/", "b")`
 * and `File.join("a", "/b")` are "a/b", `File.join("a//", "//b")` is "a//b", `File.join("a", "")` "a/".
 */
export function fileJoin(parts: string[]): string {
  let out = "";
  parts.forEach((part, i) => {
    if (i > 0) {
      if (part.startsWith("/")) out = out.replace(/\/+$/, "");
      else if (!out.endsWith("/")) out += "/";
    }
    out += part;
  });
  return out;
}

/** Integer literals and `+ - *` of them (with durations inside): what Ruby computes as an Integer. */
function integerExpr(node: any): boolean {
  switch (kind(node)) {
    case "IntegerNode":
      return true;
    case "ParenthesesNode": {
      const body = statementsOf(node.body);
      return body.length === 1 && integerExpr(body[0]);
    }
    case "CallNode":
      if (["+", "-", "*"].includes(node.name) && node.receiver && argsOf(node).length === 1) return integerExpr(node.receiver) && integerExpr(argsOf(node)[0]);
      return !argsOf(node).length && Object.hasOwn(AS_UNITS, node.name) && node.receiver && integerExpr(node.receiver);
  }
  return false;
}

/** Methods whose result on an ENV variable is taken from its default (conditions, not values). */
const ENV_PREDICATES = new Set(["==", "!=", "include?", "start_with?", "end_with?", "empty?", "nil?", "!"]);

/** Ruby's `Integer(x)` of a String or number: null where Ruby raises. */
function kernelInteger(v: RValue): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v !== "string") return null;
  const m = /^\s*([-+]?)(0[bB][01]+(?:_[01]+)*|0[oO]?[0-7]+(?:_[0-7]+)*|0[xX][\da-fA-F]+(?:_[\da-fA-F]+)*|\d+(?:_\d+)*)\s*$/.exec(v);
  if (!m) return null;
  const body = m[2].replace(/_/g, "");
  // A leading 0 makes it octal: "08" and "019" raise in Ruby.
  if (/^0\d/.test(body) && !/^0[0-7]+$/.test(body)) return null;
  const n = /^0[bB]/.test(body) ? parseInt(body.slice(2), 2) : /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : /^0[oO]/.test(body) ? parseInt(body.slice(2), 8) : body.length > 1 && body[0] === "0" ? parseInt(body.slice(1), 8) : parseInt(body, 10);
  return m[1] === "-" ? -n : n;
}

/** A cast (`to_i`, `to_s`...) of a value; EnvRefs keep their name, with the default cast. */
function cast(v: RValue, how: "to_i" | "to_f" | "to_s" | "to_sym"): RValue | undefined {
  // An unset variable is nil, and nil.to_i is 0, nil.to_s "" (nil.to_sym raises): `ENV["X"].to_i`
  // is never nil, so a `|| default` after it never applies.
  if (isEnvRef(v)) return { env: v.env, default: v.default === null ? (how === "to_i" || how === "to_f" ? 0 : how === "to_s" ? "" : null) : cast(v.default, how) ?? v.default };
  if (isUnknown(v)) return v;
  const s = rubyToS(v);
  switch (how) {
    case "to_s":
      return s ?? undefined;
    case "to_sym":
      return s === null ? undefined : { sym: s };
    case "to_i": {
      if (typeof v === "number") return Math.trunc(v);
      if (v === null) return 0;
      if (typeof v !== "string") return undefined;
      const m = /^\s*([-+]?\d[\d_]*)/.exec(v);
      return m ? parseInt(m[1].replace(/_/g, ""), 10) : 0;
    }
    case "to_f": {
      if (typeof v === "number") return v;
      if (typeof v !== "string") return undefined;
      const f = parseFloat(v);
      return Number.isNaN(f) ? 0 : f;
    }
  }
}

/** Pure methods of known values. undefined = not handled. */
function method(r: RValue, name: string, a: RValue[]): RValue | undefined {
  if (["to_i", "to_f", "to_s", "to_sym"].includes(name) && a.length === 0) return cast(r, name as "to_i");
  // A literal Hash some of whose values are not known (a row of a job table whose time comes from
  // ENV): its keys are, so a lookup by a known key answers that key's value, known or not.
  if (isHash(r) && !isKnown(r) && a.length >= 1 && isKnown(a[0]!) && ["[]", "fetch", "dig", "key?", "has_key?", "include?", "member?"].includes(name) && (name !== "dig" || a.length === 1)) {
    const k = a[0];
    const key = isSym(k) ? k.sym : typeof k === "string" ? k : null;
    if (key !== null) {
      if (name === "key?" || name === "has_key?" || name === "include?" || name === "member?") return a.length === 1 ? key in r : undefined;
      if (key in r) return r[key];
      if (name === "fetch") return a.length > 1 ? a[1] : undefined;
      return null;
    }
  }
  if (!isKnown(r) || !a.every(isKnown)) {
    // Concatenation with a partly known string keeps the pieces.
    if (name === "+" && (typeof r === "string" || isInterp(r) || isEnvRef(r)) && a.length === 1) return joinParts([r, a[0]]);
    return undefined;
  }
  if (["freeze", "dup", "clone", "itself"].includes(name)) return r;
  // #inspect of a Symbol, a plain String or an Integer (Ruby's quoting for text without escapes).
  if (name === "inspect" && a.length === 0) {
    if (isSym(r) && /^[A-Za-z_][A-Za-z0-9_]*[?!]?$/.test(r.sym)) return `:${r.sym}`;
    if (typeof r === "string" && /^[ -~]*$/.test(r) && !/["\\#]/.test(r)) return `"${r}"`;
    if (typeof r === "number" && Number.isInteger(r)) return String(r);
  }
  if (typeof r === "string") {
    switch (name) {
      case "strip":
        return r.replace(/^[\s\0]+|[\s\0]+$/g, "");
      case "chomp":
        return r.replace(/\r?\n$|\r$/, "");
      case "downcase":
        return r.toLowerCase();
      case "upcase":
        return r.toUpperCase();
      case "+":
        return typeof a[0] === "string" ? r + a[0] : undefined;
      case "split":
        if (a.length === 0) return r.trim().split(/\s+/).filter(Boolean);
        return typeof a[0] === "string" ? r.split(a[0]) : undefined;
      case "empty?":
        return r.length === 0;
      case "%": {
        // Kernel#format with a Hash: `'/etc/init.d/x %{cmd}' % {cmd: 'start'}` (named references only; a
        // missing key raises KeyError in Ruby, so it is not known). Other directives are not read.
        const h = a[0];
        if (a.length !== 1 || !isHash(h) || /%(?![{%])/.test(r)) return undefined;
        let missing = false;
        const out = r.replace(/%%|%\{(\w+)\}/g, (m, k: string | undefined) => {
          if (m === "%%") return "%";
          const v = Object.prototype.hasOwnProperty.call(h, k!) ? rubyToS(h[k!]!) : null;
          if (v === null || v === undefined) missing = true;
          return v ?? "";
        });
        return missing ? undefined : out;
      }
    }
    return undefined;
  }
  if (Array.isArray(r)) {
    switch (name) {
      case "+":
      case "concat":
      case "|":
        if (!Array.isArray(a[0])) return undefined;
        return name === "|" ? uniq([...r, ...a[0]]) : [...r, ...a[0]];
      case "push":
      case "<<":
        return [...r, ...a];
      case "-":
      {
        const other = a[0];
        return Array.isArray(other) ? r.filter((x) => !other.some((y) => same(x, y))) : undefined;
      }
      case "uniq":
        return uniq(r);
      case "compact":
        return r.filter((x) => x !== null);
      case "flatten":
        return r.flat(Infinity as 1) as RValue[];
      case "first":
        return r.length ? r[0] : null;
      case "last":
        return r.length ? r[r.length - 1] : null;
      case "join": {
        const parts = r.map(rubyToS);
        const sep = a.length ? rubyToS(a[0]) : "";
        return parts.every((x) => x !== null) && sep !== null ? parts.join(sep) : undefined;
      }
      case "empty?":
        return r.length === 0;
      case "size":
      case "length":
      case "count":
        return a.length === 0 ? r.length : undefined;
    }
    return undefined;
  }
  if (isHash(r)) {
    switch (name) {
      case "merge":
        return isHash(a[0]) ? { ...r, ...a[0] } : undefined;
      // The keys of a literal Hash are known even where some values are not (a row of a job table
      // whose time comes from ENV): `row.key?(:only_when)`.
      case "key?":
      case "has_key?":
      case "include?":
      case "member?": {
        const k = a[0];
        const key = isSym(k) ? k.sym : typeof k === "string" ? k : null;
        return key === null || a.length !== 1 ? undefined : key in r;
      }
      case "[]":
      case "fetch": {
        const k = a[0];
        const key = isSym(k) ? k.sym : typeof k === "string" ? k : null;
        if (key === null) return undefined;
        if (key in r) return r[key];
        return name === "fetch" && a.length > 1 ? a[1] : name === "[]" ? null : undefined;
      }
    }
  }
  if (typeof r === "number" && typeof a[0] === "number") {
    switch (name) {
      case "+":
        return r + a[0];
      case "-":
        return r - a[0];
      case "*":
        return r * a[0];
      case "/":
        // Integer#/ floors (`7 / 2` is 3, `-7 / 2` is -4); a Float or a zero divisor is not read.
        return Number.isInteger(r) && Number.isInteger(a[0]) && a[0] !== 0 ? Math.floor(r / a[0]) : undefined;
    }
  }
  return undefined;
}

// `list.map(&:upcase)` applies the same methods a call would.
setMethodApplier((x, m, p, node) => method(x, m, []) ?? (isKnown(x) ? evalIdiomMethod(x, m, [], p, node) : undefined));

export function same(x: RValue, y: RValue): boolean {
  return JSON.stringify(x) === JSON.stringify(y);
}

function uniq(list: RValue[]): RValue[] {
  const out: RValue[] = [];
  for (const x of list) if (!out.some((y) => same(x, y))) out.push(x);
  return out;
}

export type { Source };

/** An unknown for `node` keeping the reason of the first operand that is the machine's own value (shell-reason.ts), or null. */
function machineOf(p: ParsedRuby, node: any, operands: RValue[]): Unknown | null {
  const hit = operands.find((v) => isUnknown(v) && v.unknown.startsWith(MACHINE));
  return hit && isUnknown(hit) ? unknown(p, node, hit.unknown) : null;
}
