// Pure methods of known values beyond the evaluator's core set: the string building deploy configs
// do to name hosts (`rjust`, `gsub` with literal arguments, `%`, `*`), comparisons for conditions,
// and Array/Hash helpers (`product`, `zip`, `keys`). undefined = not handled here.
import type { RValue } from "../../../src/model.js";
import { isHash, isSym, rubyToS, same, truthy } from "../evaluate.js";
import { rubyFormat } from "./format.js";
import { tooLong, tooManyElements } from "./limits.js";

/** A result, or an explanation of why the limit stopped it. */
export type Outcome = RValue | { limit: string };
export const isLimit = (v: unknown): v is { limit: string } => typeof v === "object" && v !== null && typeof (v as { limit: unknown }).limit === "string" && Object.keys(v).length === 1;

export function idiomMethod(r: RValue, name: string, a: RValue[]): Outcome | undefined {
  // Equality and negation work on any known value.
  switch (name) {
    case "==":
    case "eql?":
    case "equal?":
      return a.length === 1 ? same(r, a[0]) : undefined;
    case "!=":
      return a.length === 1 ? !same(r, a[0]) : undefined;
    case "!":
      return a.length === 0 ? !truthy(r) : undefined;
    case "nil?":
      return a.length === 0 ? r === null : undefined;
    // ActiveSupport's, which schedules and configs load to guard optional settings (`at: x if x.present?`)
    case "blank?":
    case "present?":
      return a.length === 0 ? (name === "blank?") === isBlank(r) : undefined;
    case "to_a":
      if (Array.isArray(r)) return r;
      if (isHash(r)) return Object.entries(r).map(([k, v]) => [k, v]);
      return undefined;
  }
  if (typeof r === "string") return stringMethod(r, name, a);
  if (typeof r === "number" && Number.isInteger(r)) return integerMethod(r, name, a);
  if (isSym(r)) {
    if (["upcase", "downcase", "capitalize", "length", "size", "start_with?", "end_with?"].includes(name)) {
      const v = stringMethod(r.sym, name, a);
      return typeof v === "string" ? { sym: v } : v;
    }
    return undefined;
  }
  if (Array.isArray(r)) return arrayMethod(r, name, a);
  if (isHash(r)) return hashMethod(r, name, a);
  return undefined;
}

function stringMethod(s: string, name: string, a: RValue[]): Outcome | undefined {
  const str = (i: number) => (typeof a[i] === "string" ? (a[i] as string) : null);
  const int = (i: number) => (typeof a[i] === "number" && Number.isInteger(a[i]) ? (a[i] as number) : null);
  switch (name) {
    case "rjust":
    case "ljust":
    case "center": {
      const w = int(0);
      const padWith = a.length > 1 ? str(1) : " ";
      if (w === null || padWith === null || padWith === "") return undefined;
      const lim = tooLong(w);
      if (lim) return { limit: lim };
      const chars = [...s];
      const n = w - chars.length;
      if (n <= 0) return s;
      const fill = (k: number) => padWith.repeat(Math.ceil(k / padWith.length)).slice(0, k);
      if (name === "rjust") return fill(n) + s;
      if (name === "ljust") return s + fill(n);
      const l = Math.floor(n / 2);
      return fill(l) + s + fill(n - l);
    }
    case "gsub":
    case "sub":
    case "tr":
    case "delete": {
      if (name === "delete") return str(0) === null ? undefined : [...s].filter((c) => !(str(0) as string).includes(c)).join("");
      const from = str(0);
      const to = str(1);
      if (from === null || to === null || a.length !== 2) return undefined;
      if (name === "tr") return tr(s, from, to);
      // A literal replacement; `\\1`, `\\0` and `\\k<>` refer to groups in Ruby even then.
      if (/\\/.test(to)) return undefined;
      if (from === "") return undefined;
      const out = name === "gsub" ? s.split(from).join(to) : s.replace(from, () => to);
      return tooLong(out.length) ? { limit: tooLong(out.length)! } : out;
    }
    case "%": {
      const args = Array.isArray(a[0]) ? (a[0] as RValue[]) : a;
      const out = rubyFormat(s, args);
      return out === null ? undefined : out;
    }
    case "*": {
      const n = int(0);
      if (n === null || n < 0) return undefined;
      const lim = tooLong(s.length * n);
      return lim ? { limit: lim } : s.repeat(n);
    }
    case "capitalize":
      return s.length ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s;
    case "swapcase":
      return [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");
    case "length":
    case "size":
      return [...s].length;
    case "start_with?":
      return a.length >= 1 && a.every((x) => typeof x === "string") ? (a as string[]).some((p) => s.startsWith(p)) : undefined;
    case "end_with?":
      return a.length >= 1 && a.every((x) => typeof x === "string") ? (a as string[]).some((p) => s.endsWith(p)) : undefined;
    case "include?":
      return str(0) === null ? undefined : s.includes(str(0)!);
    case "lstrip":
      return s.replace(/^[\s\0]+/, "");
    case "rstrip":
      return s.replace(/[\s\0]+$/, "");
    case "reverse":
      return [...s].reverse().join("");
    case "<=>":
      return str(0) === null ? undefined : s < str(0)! ? -1 : s > str(0)! ? 1 : 0;
    case "<":
    case ">":
    case "<=":
    case ">=":
      return str(0) === null ? undefined : compare(s, str(0)!, name);
    case "succ":
    case "next":
      return undefined;
    case "chars":
      return [...s];
    case "lines":
      return s.split(/(?<=\n)/).filter((x) => x !== "");
    case "to_str":
      return s;
  }
  return undefined;
}

function tr(s: string, from: string, to: string): string | undefined {
  // Ranges (`a-z`) and negation (`^`) are tr's own little language: only plain character lists here.
  if (/[-^\\]/.test(from) || /[-\\]/.test(to)) return undefined;
  const f = [...from];
  const t = [...to];
  if (!t.length) return [...s].filter((c) => !f.includes(c)).join("");
  return [...s].map((c) => (f.includes(c) ? t[Math.min(f.indexOf(c), t.length - 1)] : c)).join("");
}

function compare(x: string | number, y: string | number, op: string): boolean {
  switch (op) {
    case "<":
      return x < y;
    case ">":
      return x > y;
    case "<=":
      return x <= y;
    default:
      return x >= y;
  }
}

function integerMethod(n: number, name: string, a: RValue[]): Outcome | undefined {
  const m = typeof a[0] === "number" && Number.isInteger(a[0]) ? (a[0] as number) : null;
  switch (name) {
    case "succ":
    case "next":
      return n + 1;
    case "pred":
      return n - 1;
    case "even?":
      return n % 2 === 0;
    case "odd?":
      return Math.abs(n % 2) === 1;
    case "zero?":
      return n === 0;
    case "abs":
      return Math.abs(n);
    case "to_s":
      if (m !== null && m >= 2 && m <= 36) return n.toString(m);
      return undefined;
    case "/":
      return m === null || m === 0 ? undefined : Math.floor(n / m);
    case "%":
    case "modulo":
      return m === null || m === 0 ? undefined : ((n % m) + m) % m;
    case "**":
      if (m === null || m < 0) return undefined;
      {
        const v = n ** m;
        return Number.isSafeInteger(v) ? v : undefined;
      }
    case "<":
    case ">":
    case "<=":
    case ">=":
      return typeof a[0] === "number" ? compare(n, a[0], name) : undefined;
    case "<=>":
      return typeof a[0] === "number" ? Math.sign(n - a[0]) : undefined;
    case "times": // an Enumerator, held as the Array it yields
      return a.length === 0 ? seq(0, n - 1) : undefined;
    case "upto":
      return m === null ? undefined : seq(n, m);
    case "downto":
      return m === null ? undefined : seqDown(n, m);
  }
  return undefined;
}

export function seq(from: number, to: number): Outcome {
  const n = Math.max(0, to - from + 1);
  const lim = tooManyElements(n);
  if (lim) return { limit: lim };
  return Array.from({ length: n }, (_, i) => from + i);
}

function seqDown(from: number, to: number): Outcome {
  const n = Math.max(0, from - to + 1);
  const lim = tooManyElements(n);
  if (lim) return { limit: lim };
  return Array.from({ length: n }, (_, i) => from - i);
}

function arrayMethod(r: RValue[], name: string, a: RValue[]): Outcome | undefined {
  switch (name) {
    case "product": {
      if (!a.every(Array.isArray)) return undefined;
      const lists = [r, ...(a as RValue[][])];
      const total = lists.reduce((n, l) => n * l.length, 1);
      const lim = tooManyElements(total);
      if (lim) return { limit: lim };
      let out: RValue[][] = [[]];
      for (const l of lists) out = out.flatMap((prefix) => l.map((x) => [...prefix, x]));
      return out;
    }
    case "zip":
      if (!a.every(Array.isArray)) return undefined;
      return r.map((x, i) => [x, ...(a as RValue[][]).map((l) => (i < l.length ? l[i] : null))]);
    case "each":
    case "map":
    case "collect":
    case "to_a":
    case "entries":
      return a.length === 0 ? r : undefined;
    case "each_with_index":
    case "with_index":
    case "each_with_index_pairs": {
      const off = a.length && typeof a[0] === "number" ? a[0] : 0;
      return r.map((x, i) => [x, i + off]);
    }
    case "include?":
      return a.length === 1 ? r.some((x) => same(x, a[0])) : undefined;
    case "sort":
      if (r.every((x) => typeof x === "string") || r.every((x) => typeof x === "number")) return [...r].sort((x, y) => ((x as string | number) < (y as string | number) ? -1 : (x as string | number) > (y as string | number) ? 1 : 0));
      return undefined;
    case "reverse":
      return [...r].reverse();
    case "take":
      return typeof a[0] === "number" ? r.slice(0, Math.max(0, a[0])) : undefined;
    case "drop":
      return typeof a[0] === "number" ? r.slice(Math.max(0, a[0])) : undefined;
    case "[]":
    case "at":
    case "dig": {
      if (a.length !== 1 || typeof a[0] !== "number") return undefined;
      const i = a[0] < 0 ? r.length + a[0] : a[0];
      return i >= 0 && i < r.length ? r[i] : null;
    }
    case "fetch": {
      if (typeof a[0] !== "number") return undefined;
      const i = a[0] < 0 ? r.length + a[0] : a[0];
      if (i >= 0 && i < r.length) return r[i];
      return a.length > 1 ? a[1] : undefined;
    }
    case "to_h":
      if (a.length === 0 && r.every((x) => Array.isArray(x) && x.length === 2)) {
        const out: Record<string, RValue> = {};
        for (const [k, v] of r as RValue[][]) {
          const key = isSym(k) ? k.sym : typeof k === "string" ? k : null;
          if (key === null) return undefined;
          out[key] = v;
        }
        return out;
      }
      return undefined;
    case "*":
      if (typeof a[0] === "string") {
        const parts = r.map(rubyToS);
        return parts.every((x) => x !== null) ? parts.join(a[0]) : undefined;
      }
      if (typeof a[0] === "number" && a[0] >= 0) {
        const lim = tooManyElements(r.length * a[0]);
        return lim ? { limit: lim } : Array.from({ length: a[0] }, () => r).flat(1);
      }
      return undefined;
    case "sum":
      return r.every((x) => typeof x === "number") ? (r as number[]).reduce((x, y) => x + y, typeof a[0] === "number" ? a[0] : 0) : undefined;
    case "max":
    case "min":
      if (!r.length) return null;
      if (r.every((x) => typeof x === "number")) return name === "max" ? Math.max(...(r as number[])) : Math.min(...(r as number[]));
      return undefined;
    case "any?":
      return a.length === 0 ? r.some((x) => truthy(x) === true) : undefined;
    case "none?":
      return a.length === 0 ? !r.some((x) => truthy(x) === true) : undefined;
  }
  return undefined;
}

function hashMethod(h: Record<string, RValue>, name: string, a: RValue[]): Outcome | undefined {
  const key = (v: RValue) => (isSym(v) ? v.sym : typeof v === "string" ? v : null);
  switch (name) {
    case "keys":
      return Object.keys(h);
    case "values":
      return Object.values(h);
    case "key?":
    case "has_key?":
    case "include?":
    case "member?":
      return key(a[0]) === null ? undefined : key(a[0])! in h;
    case "dig": {
      let cur: RValue = h;
      for (const k of a) {
        if (isHash(cur)) {
          const kk = key(k);
          if (kk === null) return undefined;
          cur = kk in cur ? cur[kk] : null;
        } else if (Array.isArray(cur) && typeof k === "number") cur = cur[k] ?? null;
        else if (cur === null) return null;
        else return undefined;
      }
      return cur;
    }
    case "size":
    case "length":
    case "count":
      return a.length === 0 ? Object.keys(h).length : undefined;
    case "empty?":
      return Object.keys(h).length === 0;
    case "each":
    case "map":
    case "to_a":
      return a.length === 0 ? Object.entries(h).map(([k, v]) => [k, v]) : undefined;
    case "to_h":
      return a.length === 0 ? h : undefined;
  }
  return undefined;
}

/** ActiveSupport's Object#blank?: nil, false, a whitespace-only String, an empty Array, Hash or Symbol. */
function isBlank(r: RValue): boolean {
  if (r === null || r === false) return true;
  if (typeof r === "string") return /^\s*$/.test(r);
  if (Array.isArray(r)) return r.length === 0;
  if (isSym(r)) return r.sym === "";
  if (isHash(r)) return Object.keys(r).length === 0;
  return false;
}
