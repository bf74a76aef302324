// Shared by the Global oracle tests: the analyzer's namespaces put back together as Global's
// configuration (the way the generated loader does), ENV references resolved as the ERB tag would
// have written them, and both sides in the typed encoding of test/yaml/ruby.ts.
import { psychScalar, rubyNumberToS } from "../../analyzers/ruby/yaml.js";
import { isEnvRef, isInterp, isHash, isSym, isUnknown, rubyToS } from "../../analyzers/ruby/evaluate.js";
import type { GlobalNamespace, RValue } from "../../src/model.js";
import { normalizeTime } from "../yaml/ruby.js";

/** Global's configuration for one environment rebuilt from the namespaces (children deep-merged). */
export function assemble(namespaces: GlobalNamespace[], env: string): RValue {
  const tree: Record<string, RValue> = {};
  for (const ns of [...namespaces].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!(env in ns.values)) continue;
    const parts = ns.name.split(".");
    let node = tree;
    for (const p of parts.slice(0, -1)) node = (node[p] = isHash(node[p]) ? node[p] : {}) as Record<string, RValue>;
    const leaf = parts[parts.length - 1];
    const v = ns.values[env];
    node[leaf] = isHash(node[leaf]) && isHash(v) ? deepMerge(node[leaf] as Record<string, RValue>, v) : v;
  }
  return tree;
}

function deepMerge(a: Record<string, RValue>, b: Record<string, RValue>): Record<string, RValue> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isHash(out[k]) && isHash(v) ? deepMerge(out[k] as Record<string, RValue>, v) : v;
  return out;
}

/** The text an ERB tag wrote (the variable's value, else its default), as Psych reads it there. */
/**
 * `ruby`: the text a tag with a conversion (`ENV["W"].to_i`) printed, as Ruby computed it (the
 * oracle evaluates those expressions in the same ENV).
 */
export function resolveRefs(v: RValue, env: (name: string) => string | undefined, ruby: (expr: string) => string = missingRuby): RValue {
  const text = (p: RValue): string => {
    if (!isEnvRef(p)) return rubyToS(p) ?? "";
    if (p.ruby !== undefined) return ruby(p.ruby);
    const set = env(p.env);
    return set !== undefined ? set : p.default === null ? "" : text(p.default);
  };
  // A bare tag's text is typed by YAML; an Interp (a quoted tag, text around tags) is a String.
  if (isEnvRef(v)) return psychScalar(text(v));
  if (isInterp(v)) return v.interp.map(text).join("");
  if (Array.isArray(v)) return v.map((x) => resolveRefs(x, env, ruby));
  if (isHash(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveRefs(x, env, ruby)]));
  return v;
}

const missingRuby = (expr: string): string => {
  throw new Error(`no Ruby value given for ${expr}`);
};

/** Every converting expression (`ruby`) of ENV references in a value. */
export function rubyExprs(v: RValue, into: Set<string>): Set<string> {
  if (isEnvRef(v)) {
    if (v.ruby !== undefined) into.add(v.ruby);
  } else if (isInterp(v)) v.interp.forEach((p) => rubyExprs(p, into));
  else if (Array.isArray(v)) v.forEach((x) => rubyExprs(x, into));
  else if (isHash(v)) Object.values(v).forEach((x) => rubyExprs(x, into));
  return into;
}

/** A model value in the oracle's typed encoding. */
export function encodePlain(v: RValue): any {
  if (v === null || typeof v === "boolean") return v;
  if (typeof v === "string") return { s: v };
  if (typeof v === "number") return Number.isInteger(v) ? { i: String(v) } : { f: rubyNumberToS(v, true) };
  if (Array.isArray(v)) return { a: v.map(encodePlain) };
  if (isSym(v)) return { y: v.sym };
  if (isUnknown(v)) return { ours: v };
  if ("float" in v && Object.keys(v).length === 1) return { f: v.float };
  if ("date" in v && Object.keys(v).length === 1) return { d: v.date };
  if ("time" in v && Object.keys(v).length === 1) return { t: normalizeTime(String(v.time)) };
  if (isHash(v)) return { h: Object.entries(v).map(([k, x]) => [{ s: k }, encodePlain(x)]) };
  return { ours: v };
}

/** Hash entries sorted by key: a JSON object does not keep Ruby's key order for every key. */
export function canon(v: any): any {
  if (v === null || typeof v !== "object") return v;
  if ("h" in v) return { h: v.h.map(([k, x]: [any, any]) => [k, canon(x)]).sort((p: any, q: any) => (JSON.stringify(p[0]) < JSON.stringify(q[0]) ? -1 : 1)) };
  if ("a" in v) return { a: v.a.map(canon) };
  return v;
}
