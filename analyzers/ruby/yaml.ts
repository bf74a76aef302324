// YAML as Ruby's Psych reads it (Psych 4, `YAML.safe_load(text, permitted_classes: [Date, Time,
// DateTime, Symbol], aliases: true)`). The `yaml` package gives the structure (anchors, aliases,
// tags, styles, line positions); everything Ruby decides is ported from Psych itself:
// - plain scalars: ScalarScanner#tokenize (psych/scalar_scanner.rb) — `1:30` is 5400, `1e3` a
//   String, `:foo` a Symbol, `y`/`n` Strings, `0755` octal;
// - tags, quoting, merge keys `<<`, duplicate keys: Visitors::ToRuby (psych/visitors/to_ruby.rb) —
//   a key written again keeps its first position and takes the last value; `<<` merges the
//   aliased Hash into the keys read so far (so a `<<` after a key overrides it); a quoted scalar is
//   a String unless it carries a tag; classes outside the permitted list raise.
// Ruby Hash keys keep their type here (`:a` and `"a"`, `1` and `"1"` are different keys), because
// code that merges loaded Hashes (Global's deep_merge) sees them so; `rubyToValue` then gives the
// JSON-safe view with String keys, as `with_indifferent_access` does.
import { parseAllDocuments, isMap, isSeq, isScalar, isAlias, isPair, type Scalar, type Node as YNode } from "yaml";
import { parseBlockYaml, readBlockYaml, BuilderBail, MAX_BLOCK_DEPTH, type BlockBuilder } from "./yaml-block.js";
import type { RValue, Sym, FloatValue, DateValue, TimeValue, Unknown, EnvRef, Interp, CapRef } from "../../src/model.js";
import { plainHash } from "../../src/model.js";
import { lastAtOrBefore } from "./line-index.js";

export const YAML_LIMITS = {
  /** Alias nodes per document. */
  maxAliasCount: 10_000,
  /** Nodes once aliases are expanded: a "billion laughs" file stops here with an error. */
  maxExpandedNodes: 200_000,
  /** Nesting depth of collections (aliases expanded). */
  maxDepth: 200,
};

export interface RubyYamlError {
  message: string;
  line: number;
  /** An alias limit was hit (a "billion laughs" file): hostile input, not a mistake to report and pass. */
  aliasBomb?: true;
  /** An alias inside its own anchor: Ruby's value would hold itself, and no finite value can be carried. */
  recursive?: true;
}

/**
 * The error that makes a YAML file unusable input (exit 2 naming file and line), not a mistake to
 * report and pass: an alias bomb, or an alias whose value holds itself. Every YAML file the tool
 * reads is held to this one rule.
 */
export const unusableYamlError = (y: Pick<RubyYaml, "errors">): RubyYamlError | undefined => y.errors.find((e) => e.aliasBomb || e.recursive);

// --- Ruby values, typed ------------------------------------------------------------------------

/** A Ruby Hash as Psych builds it: insertion-ordered, keys compared by Ruby type and value. */
export class RubyHash {
  readonly entries = new Map<string, RubyEntry>();
  get(key: RubyVal): RubyVal | undefined {
    return this.entries.get(rubyKeyId(key))?.value;
  }
  /** Ruby's `h[k] = v`: an existing key keeps its position. */
  set(entry: RubyEntry, id = rubyKeyId(entry.key, entry.floatKey)): void {
    const old = this.entries.get(id);
    this.entries.set(id, old ? { ...entry, key: old.key, floatKey: old.floatKey } : entry);
  }
  /** Ruby's `merge!`. */
  mergeFrom(other: RubyHash): void {
    for (const e of other.entries.values()) this.set(e);
  }
  clone(): RubyHash {
    const h = new RubyHash();
    for (const [id, e] of this.entries) h.entries.set(id, e);
    return h;
  }
}

export interface RubyEntry {
  key: RubyVal;
  value: RubyVal;
  /** 1-based line of the key in its file. */
  line: number;
  /** The file the entry was read from (set by callers that merge several files). */
  file?: string;
  /** The key is a Float (`1.0:`): a different key from the Integer 1. */
  floatKey?: boolean;
}

/**
 * A value as Psych gives it. Floats are plain numbers (the model does not keep them apart). EnvRef,
 * Interp and CapRef never come out of the YAML itself: callers put them back where ERB tags were.
 */
export type RubyVal = null | boolean | number | string | Sym | FloatValue | DateValue | TimeValue | Unknown | EnvRef | Interp | CapRef | RubyHash | RubyVal[];

export const isRubyHash = (v: unknown): v is RubyHash => v instanceof RubyHash;

/** A key's identity in a Ruby Hash (`eql?`): type and value. */
export function rubyKeyId(k: RubyVal, float = false): string {
  if (k === null) return "nil";
  if (typeof k === "boolean") return `b:${k}`;
  if (typeof k === "number") return float || !Number.isInteger(k) ? `f:${k}` : `i:${k}`;
  if (typeof k === "string") return `s:${k}`;
  if (Array.isArray(k)) return `a:[${k.map((x) => rubyKeyId(x)).join(",")}]`;
  if (isRubyHash(k)) return `h:{${[...k.entries].map(([id, e]) => `${id}=>${rubyKeyId(e.value)}`).join(",")}}`;
  if ("sym" in k) return `y:${k.sym}`;
  if ("date" in k) return `d:${k.date}`;
  if ("time" in k) return `t:${k.time}`;
  return `u:${JSON.stringify(k)}`;
}

/** A key as the String the model uses (Symbols lose their colon, as with_indifferent_access does). */
export function keyString(k: RubyVal, float = false): string {
  if (k === null) return "";
  if (typeof k === "string") return k;
  if (typeof k === "boolean") return String(k);
  if (typeof k === "number") return rubyNumberToS(k, float);
  if (Array.isArray(k) || isRubyHash(k)) return JSON.stringify(rubyToValue(k));
  if ("sym" in k) return k.sym;
  if ("date" in k) return k.date;
  if ("time" in k) return k.time;
  return JSON.stringify(k);
}

/** Ruby's `Float#to_s` of a number, or `Integer#to_s` when it is not a Float. */
export function rubyNumberToS(n: number, float: boolean): string {
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : n < 0 ? "-Infinity" : "NaN";
  if (!float && Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  // Float#to_s: plain decimals in [1e-4, 1e16), else `d.ddde+XX` with at least two exponent digits.
  if (a !== 0 && (a >= 1e16 || a < 1e-4)) {
    const [mant, exp] = n.toExponential().split("e") as [string, string];
    const sign = exp.startsWith("-") ? "-" : "+";
    return `${mant.includes(".") ? mant : `${mant}.0`}e${sign}${exp.replace(/^[-+]/, "").padStart(2, "0")}`;
  }
  const s = String(n);
  return s.includes(".") ? s : `${s}.0`;
}

/** Defines a key on a plain object without tripping over `__proto__`. */
export function setKey(o: { [k: string]: RValue }, k: string, v: RValue): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * The JSON-safe view: Hash keys as Strings, the way `with_indifferent_access` sees them (a Symbol
 * and a String of the same name are one key: first position, last value).
 */
export function rubyToValue(v: RubyVal): RValue {
  if (isRubyHash(v)) {
    const out: { [k: string]: RValue } = {};
    for (const e of v.entries.values()) setKey(out, keyString(e.key, e.floatKey), rubyToValue(e.value));
    // A Hash is a Hash whatever its keys spell (`{sym: short}` is no Symbol).
    return plainHash(out);
  }
  if (Array.isArray(v)) return v.map(rubyToValue);
  return v as RValue;
}

// --- scalars: Psych's ScalarScanner#tokenize ---------------------------------------------------

/** An error Psych raises while building a value: the whole load fails in Ruby. */
class PsychError extends Error {}

interface Token {
  value: RubyVal;
  float?: boolean;
}

// Ruby's \s and [[:alpha:]] (Onigmo, Unicode strings): ASCII whitespace, Unicode Alphabetic.
const WS = "[ \\t\\r\\n\\f\\v]";
const STRINGISH = /^[^\d.:-]?[\p{Alphabetic}_ \t\r\n\f\v!@#$%^&*(){}<>|/\\~;=]+/u;
const TIME = new RegExp(`^-?\\d{4}-\\d{1,2}-\\d{1,2}(?:[Tt]|${WS}+)\\d{1,2}:\\d\\d:\\d\\d(?:\\.\\d*)?(?:${WS}*(?:Z|[-+]\\d{1,2}:?(?:\\d\\d)?))?$`);
const DATE = /^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$/;
const SEXA_INT = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$/;
const SEXA_FLOAT = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*$/;
const FLOAT = /^(?:[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?)$/;
const INTEGER_LEGACY = /^(?:[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+)$/;

function tokenize(s: string): Token {
  if (s === "") return { value: null };
  if (STRINGISH.test(s) || s.includes("\n")) {
    if (codePointsOver5(s)) return { value: s };
    if (/^[^ytonf~]/i.test(s)) return { value: s };
    if (s === "~" || /^null$/i.test(s)) return { value: null };
    if (/^(yes|true|on)$/i.test(s)) return { value: true };
    if (/^(no|false|off)$/i.test(s)) return { value: false };
    return { value: s };
  }
  if (TIME.test(s)) return { value: validTime(s) ? { time: s } : s };
  if (DATE.test(s)) {
    const d = validDate(s);
    return { value: d ? { date: d } : s };
  }
  if (/^\+?\.inf$/i.test(s)) return { value: Infinity, float: true };
  if (/^-\.inf$/i.test(s)) return { value: -Infinity, float: true };
  if (/^\.nan$/i.test(s)) return { value: NaN, float: true };
  if (/^:./.test(s)) {
    const m = /^:(["'])(.*)\1/.exec(s);
    return { value: { sym: m ? m[2].replace(/^:/, "") : s.slice(1) } };
  }
  if (SEXA_INT.test(s)) return { value: sexagesimal(s, rubyToI) };
  if (SEXA_FLOAT.test(s)) return { value: sexagesimal(s, rubyToF), float: true };
  if (FLOAT.test(s)) {
    if (/^[-+]?\.$/.test(s)) return { value: s };
    return { value: rubyFloat(s.replace(/[,_]/g, "").replace(/\.([Ee]|$)/, "$1")), float: true };
  }
  if (INTEGER_LEGACY.test(s)) return { value: rubyInteger(s.replace(/[,_]/g, ""), s) };
  return { value: s };
}

/** `[...s].length > 5`, without making the array (asked of most scalars and keys). */
function codePointsOver5(s: string): boolean {
  if (s.length <= 5) return false;
  if (s.length > 10) return true;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate with its low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    n++;
  }
  return n > 5;
}

/**
 * A token as a value (not a Hash key, which keeps number + flag): a Float that a number alone
 * would not show as one becomes a FloatValue.
 */
function valueOf(t: Token): RubyVal {
  if (t.float && typeof t.value === "number" && (!Number.isFinite(t.value) || Number.isInteger(t.value))) return { float: rubyNumberToS(t.value, true) };
  return t.value;
}

/** Psych's plain-scalar resolution (never throws: what Psych raises on becomes an Unknown). */
export function psychScalar(s: string): RValue {
  try {
    return rubyToValue(valueOf(tokenize(s)));
  } catch (e) {
    return { unknown: `Psych raises on this scalar: ${(e as Error).message}`, expr: s.slice(0, 80) };
  }
}

/** `Integer("...")` for what INTEGER_LEGACY admits, commas and underscores removed. */
function rubyInteger(body: string, original: string): RubyVal {
  const neg = body.startsWith("-");
  const b = body.replace(/^[-+]/, "");
  let digits: string;
  let base: number;
  if (/^0b/i.test(b)) [digits, base] = [b.slice(2), 2];
  else if (/^0x/i.test(b)) [digits, base] = [b.slice(2), 16];
  else if (/^0./.test(b)) [digits, base] = [b.slice(1), 8];
  else [digits, base] = [b, 10];
  if (digits === "") throw new PsychError(`invalid value for Integer(): "${body}"`);
  const big = BigInt(base === 10 ? digits : `0${base === 2 ? "b" : base === 16 ? "x" : "o"}${digits}`);
  const n = neg ? -big : big;
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) {
    return { unknown: "an Integer too large to carry exactly", expr: original.slice(0, 80) };
  }
  return Number(n);
}

/** `Float("...")` for the text FLOAT leaves after Psych's clean-up: a mantissa needs a digit. */
function rubyFloat(s: string): number {
  const mantissa = s.split(/[eE]/)[0];
  if (!/\d/.test(mantissa)) throw new PsychError(`invalid value for Float(): "${s}"`);
  return Number(s);
}

/** `String#to_i`: leading sign and digits, single underscores between digits. */
function rubyToI(s: string): number {
  const m = /^[ \t\r\n\f\v]*([-+]?)(\d+(?:_\d+)*)/.exec(s);
  return m ? Number(m[1] + m[2].replace(/_/g, "")) || 0 : 0;
}

/** `String#to_f`. */
function rubyToF(s: string): number {
  const m = /^[ \t\r\n\f\v]*([-+]?\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?(?:[eE][-+]?\d+)?)/.exec(s);
  return m ? Number(m[1].replace(/_/g, "")) : 0;
}

/** Psych sums `n * 60 ** (e - 2).abs` over the parts: base 60 for three parts, not for two. */
function sexagesimal(s: string, conv: (p: string) => number): number {
  let total = 0;
  s.split(":").forEach((n, e) => {
    total += conv(n) * 60 ** Math.abs(e - 2);
  });
  return total;
}

/** Whether `Time.utc`/`Time.new` accept the parts Psych's parse_time reads (else it stays a String). */
function validTime(s: string): boolean {
  const [date, time] = splitOnce(s, /[ tT]/);
  const dm = /^(-?\d{4})-(\d{1,2})-(\d{1,2})/.exec(date)!;
  const [m, d] = [Number(dm[2]), Number(dm[3])];
  const md = /(\d+:\d+:\d+)(?:\.(\d*))?[ \t\r\n\f\v]*(Z|[-+]\d+(:\d\d)?)?/.exec(time);
  if (!md) return false;
  const [hh, mm, ss] = md[1].split(":").map(Number);
  if (m < 1 || m > 12 || d < 1 || d > 31 || hh > 24 || mm > 59 || ss > 60) return false;
  if (hh === 24 && (mm > 0 || ss > 0)) return false;
  if (!md[3] || md[3] === "Z") return true;
  const tz = /^([+-]?\d{1,2}):?(\d{1,2})?$/.exec(md[3]);
  if (!tz) return false;
  const offset = Math.abs(Number(tz[1])) * 3600 + Number(tz[2] ?? 0) * 60;
  return offset < 86400;
}

function splitOnce(s: string, re: RegExp): [string, string] {
  const m = re.exec(s);
  return m ? [s.slice(0, m.index), s.slice(m.index + 1)] : [s, ""];
}

/**
 * `Date.strptime(s, "%Y-%m-%d")` validity, with Ruby's default calendar reform (ITALY): Julian
 * before 1582-10-15 (1500-02-29 exists), 1582-10-05..14 do not exist. Returns the ISO text.
 */
function validDate(s: string): string | null {
  const [y, m, d] = s.split("-").map(Number);
  if (m < 1 || m > 12 || d < 1) return null;
  const julian = y < 1582 || (y === 1582 && (m < 10 || (m === 10 && d < 5)));
  if (y === 1582 && m === 10 && d >= 5 && d <= 14) return null;
  const leap = julian ? y % 4 === 0 : (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  if (d > days) return null;
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

// --- tagged scalars: ToRuby#deserialize --------------------------------------------------------

const STR_TAG = "tag:yaml.org,2002:str";

function deserialize(node: Scalar): Token {
  const text = typeof node.source === "string" ? node.source : String(node.value ?? "");
  const tag = node.tag;
  // libyaml's quoted_implicit: a non-plain scalar without a tag. A tagged quoted scalar goes
  // through the tag's rules (`!!int "3"` is 3, `! "123"` is 123).
  if (!tag) return node.type === "PLAIN" || node.type === undefined ? tokenize(text) : { value: text };
  if (tag === "!binary" || tag === "tag:yaml.org,2002:binary") {
    const bytes = Buffer.from(text.replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
    const str = bytes.toString("utf8");
    return { value: Buffer.from(str, "utf8").equals(bytes) ? str : { unknown: "binary data (not UTF-8 text)", expr: text.slice(0, 80) } };
  }
  const str = /^!(?:str|ruby\/string)(?::(.*))?$/.exec(tag);
  if (str || tag === STR_TAG) {
    if (str?.[1]) throw new PsychError(`Tried to load unspecified class: ${str[1]}`);
    return { value: text };
  }
  if (tag === "!ruby/object:DateTime") {
    if (!TIME.test(text) && !/^\d{4}-\d{1,2}-\d{1,2}[ tT]\d+:\d+:\d+/.test(text)) throw new PsychError(`cannot read a DateTime from "${text}"`);
    return { value: { time: text } };
  }
  if (tag === "!ruby/encoding") return { value: { unknown: "a Ruby Encoding object", expr: text } };
  if (tag === "tag:yaml.org,2002:float" || tag === "!float") {
    const t = tokenize(text).value;
    if (typeof t === "number") return { value: t, float: true };
    if (typeof t === "string") return { value: rubyFloatStrict(t), float: true };
    throw new PsychError(`can't convert ${t === null ? "nil" : typeof t === "boolean" ? String(t) : "this value"} into Float`);
  }
  if (/^!ruby\/sym(bol)?:?(.*)?$/.test(tag)) return { value: { sym: text } };
  const cls = disallowedScalarClass(tag);
  if (cls) throw new PsychError(`Tried to load unspecified class: ${cls}`);
  return tokenize(text);
}

function disallowedScalarClass(tag: string): string | null {
  const known: Record<string, string> = {
    "!ruby/object:BigDecimal": "BigDecimal",
    "!ruby/object:Complex": "Complex",
    "!ruby/object:Rational": "Rational",
    "!ruby/regexp": "Regexp",
    "!ruby/range": "Range",
    "!ruby/class": "Class",
    "!ruby/module": "Module",
  };
  return known[tag] ?? null;
}

/** Ruby's `Float(string)`: decimal (underscores between digits), or hex; surrounding blanks allowed. */
function rubyFloatStrict(s: string): number {
  const t = s.trim();
  if (/^[-+]?0x[0-9a-f]+(?:_[0-9a-f]+)*$/i.test(t)) return (t.startsWith("-") ? -1 : 1) * parseInt(t.replace(/^[-+]?0x/i, "").replace(/_/g, ""), 16);
  const digits = "\\d+(?:_\\d+)*";
  if (new RegExp(`^[-+]?(?:${digits}(?:\\.${digits})?|\\.${digits})(?:[eE][-+]?${digits})?$`).test(t)) return Number(t.replace(/_/g, ""));
  throw new PsychError(`invalid value for Float(): "${s}"`);
}

// --- documents ---------------------------------------------------------------------------------

export interface RubyYaml {
  /** The document's value, keys as Strings (null for an empty document: Psych's safe_load gives nil). */
  value: RValue;
  /** The document as Ruby holds it, keys typed (null when nothing could be loaded). */
  ruby: RubyVal;
  /** No document, or only comments. */
  empty: boolean;
  /** What Psych raises on (syntax, unknown alias, a class not permitted, ...) or our limits. */
  errors: RubyYamlError[];
  /** The 1-based line where the value at a key path starts (keys as Strings, array indexes as numbers). */
  lineOf(path: (string | number)[]): number;
}

/** Lines of array items (Hash entries carry their own). */
const itemLines = new WeakMap<RubyVal[], number[]>();

/**
 * Parses YAML text as Psych would (safe_load with aliases; the first document only). Never throws.
 * `quick: false` always takes the full parser (the tests compare the two readers).
 */
export function loadRubyYaml(text: string, opts: { quick?: boolean } = {}): RubyYaml {
  // Plain block YAML read straight to its values, in one pass (Psych's rules below, applied as
  // each scalar, entry and item is read); anything it leaves alone goes on to the node readers.
  let outside = opts.quick === false;
  if (!outside) {
    const direct = loadBlockDirect(text);
    if (typeof direct === "object") return direct;
    outside = direct === "outside";
  }
  const errors: RubyYamlError[] = [];
  let lineStarts: number[] | null = null;
  const lineAt = (offset: number) => {
    if (!lineStarts) {
      lineStarts = [0];
      for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
    }
    return lastAtOrBefore(lineStarts, offset) + 1;
  };
  const failed = (message: string, line = 1, aliasBomb = false): RubyYaml => ({
    value: null,
    ruby: null,
    empty: false,
    errors: [...errors, { message, line, ...(aliasBomb ? { aliasBomb: true as const } : {}) }],
    lineOf: () => line,
  });

  // Plain block YAML (most config files) is read by the quick reader; anything else, or anything
  // it is unsure of, by the full parser. Both give the same nodes, so the rules below apply alike.
  const quick = outside ? null : parseBlockYaml(text);
  if (quick) return fromDocument({ ...quick, errors: [] }, errors, lineAt, failed);
  let docs;
  try {
    docs = parseAllDocuments(text, { version: "1.1", merge: false, uniqueKeys: false, strict: false, prettyErrors: false, keepSourceTokens: false });
  } catch (e) {
    return failed((e as Error).message);
  }
  // Psych.safe_load reads the first document and stops: later documents are never parsed.
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (!doc) return { value: null, ruby: null, empty: true, errors: [], lineOf: () => 1 };
  return fromDocument(doc, errors, lineAt, failed);
}

interface ParsedDocument {
  contents: unknown;
  errors: { message: string; linePos?: { line: number }[]; pos: [number, number] }[];
}

/** The Ruby value of a parsed document, by Psych's rules. */
function fromDocument(doc: ParsedDocument, errors: RubyYamlError[], lineAt: (offset: number) => number, failed: (message: string, line?: number, aliasBomb?: boolean) => RubyYaml): RubyYaml {
  const lineOfNode = (n: YNode | null | undefined) => (n?.range ? lineAt(n.range[0]) : 1);
  for (const e of doc.errors) errors.push({ message: e.message.split("\n")[0], line: e.linePos?.[0]?.line ?? lineAt(e.pos[0]) });

  const anchors = new Map<string, YNode>();
  const memo = new Map<YNode, Token>();
  const building = new Set<YNode>();
  /** The Hash each anchored mapping still being read has so far (Psych registers it before filling it). */
  const partial = new Map<YNode, RubyHash>();
  let aliasCount = 0;
  /** The last alias read: where an expansion that grows too large is named. */
  let aliasLine = 1;

  const psychFail = (node: YNode | null | undefined, e: unknown, recursive = false): Unknown => {
    const message = (e as Error).message;
    errors.push({ message, line: lineOfNode(node), ...(recursive ? { recursive: true as const } : {}) });
    return { unknown: `Psych raises: ${message}` };
  };

  const countAlias = (node: YNode) => {
    aliasLine = lineOfNode(node);
    if (++aliasCount > YAML_LIMITS.maxAliasCount) throw new LimitError(`more than ${YAML_LIMITS.maxAliasCount} aliases (an alias bomb?): not loaded`, aliasLine, true);
  };

  const convert = (node: YNode | null | undefined, depth: number, inFlow = false): Token => {
    if (node == null) return { value: null };
    // `[a: 1]`: a single-pair mapping inside a flow sequence.
    if (isPair(node)) {
      const h = new RubyHash();
      const k = convert(node.key as YNode, depth + 1, true);
      h.set({ key: k.value, floatKey: k.float, value: valueOf(convert(node.value as YNode, depth + 1, true)), line: lineOfNode(node.key as YNode) });
      return { value: h };
    }
    if (depth > YAML_LIMITS.maxDepth) throw new LimitError(`nesting deeper than ${YAML_LIMITS.maxDepth}`, lineOfNode(node));
    if (isAlias(node)) {
      countAlias(node);
      const target = anchors.get(node.source);
      if (!target) return { value: psychFail(node, new PsychError(`Unknown alias: ${node.source}`)) };
      if (building.has(target)) return { value: psychFail(node, new PsychError(`recursive alias *${node.source}: Ruby builds a Hash that contains itself`), true) };
      if (memo.has(target)) return memo.get(target)!;
      return convert(target, depth);
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) {
      anchors.set(anchor, node);
      building.add(node);
    }
    let out: Token;
    try {
      out = build(node, depth, inFlow);
    } finally {
      if (anchor) building.delete(node);
    }
    if (anchor) memo.set(node, out);
    return out;
  };

  const build = (node: YNode, depth: number, inFlow: boolean): Token => {
    if (isScalar(node)) {
      // libyaml: inside `[...]`/`{...}` a plain scalar cannot start with `:` or `?` (`[:sym]` is a
      // syntax error in Ruby, though YAML 1.2 parsers accept it).
      if (inFlow && node.type === "PLAIN" && /^[:?]/.test(String(node.source ?? ""))) {
        return { value: psychFail(node, new PsychError("found character that cannot start any token while scanning a plain scalar in a flow collection")) };
      }
      try {
        return deserialize(node);
      } catch (e) {
        if (e instanceof PsychError) return { value: psychFail(node, e) };
        throw e;
      }
    }
    if (isSeq(node)) {
      const tag = node.tag;
      if (tag && /^!(?:seq|ruby\/array):(.*)$/.test(tag)) return { value: psychFail(node, new PsychError(`Tried to load unspecified class: ${tag.split(":").pop()}`)) };
      if (tag === "!omap" || tag === "tag:yaml.org,2002:omap") {
        // Psych::Omap, a Hash: each item a one-pair mapping.
        const h = new RubyHash();
        for (const item of node.items) {
          const pair = isPair(item) ? item : isMap(item) ? item.items[0] : null;
          if (!isPair(pair)) continue;
          const k = convert(pair.key as YNode, depth + 1, node.flow);
          h.set({ key: k.value, floatKey: k.float, value: valueOf(convert(pair.value as YNode, depth + 1, node.flow)), line: lineOfNode(pair.key as YNode) });
        }
        return { value: h };
      }
      const list: RubyVal[] = [];
      const lines: number[] = [];
      for (const item of node.items) {
        list.push(valueOf(convert(item as YNode, depth + 1, inFlow || !!node.flow)));
        lines.push(lineOfNode(item as YNode));
      }
      itemLines.set(list, lines);
      return { value: list };
    }
    if (isMap(node)) {
      const tag = node.tag;
      const cls = tag ? disallowedMapClass(tag) : null;
      if (cls) return { value: psychFail(node, new PsychError(`Tried to load unspecified class: ${cls}`)) };
      return { value: reviveHash(node, depth, inFlow || !!node.flow) };
    }
    return { value: null };
  };

  // ToRuby#revive_hash, pair by pair.
  const reviveHash = (node: YNode & { items: unknown[] }, depth: number, flow: boolean): RubyHash => {
    const hash = new RubyHash();
    if (building.has(node)) partial.set(node, hash);
    // An alias to an anchor still being read (this mapping's or any enclosing one's): Psych hands
    // back the object as filled so far. A merge copies the entries it has now (for this very
    // mapping, its own: nothing changes); anything else would make an object that holds itself.
    const enclosing = (n: unknown): RubyHash | "recursive" | null => {
      if (!isAlias(n)) return null;
      const target = anchors.get(n.source);
      if (!target || !building.has(target)) return null;
      return partial.get(target) ?? "recursive";
    };
    const recursive = (n: YNode) => psychFail(n, new PsychError(`recursive alias *${(n as { source?: string }).source ?? ""}: Ruby builds an object that contains itself`), true);
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YNode | null;
      const valNode = pair.value as YNode | null;
      if (isScalar(keyNode) && keyNode.type === "PLAIN" && keyNode.source === "<<" && !keyNode.tag) {
        const outer = enclosing(valNode);
        if (outer) {
          countAlias(valNode!);
          // A list being read cannot be merged: Psych keeps it under `<<`, inside itself.
          if (outer === "recursive") hash.set({ key: "<<", value: recursive(valNode!), line: lineOfNode(keyNode) });
          else hash.mergeFrom(outer.clone());
          continue;
        }
        if (isSeq(valNode) && valNode.items.some(enclosing)) {
          // Each Hash as it is now, in the list's order (earlier entries win), then into this one.
          // Which item held the object still being read is decided as each is read: a later item
          // can redefine the anchor (`[*a, &a 1]`), and asking again afterwards finds none.
          let heldBy: YNode | null = null;
          const parts = valNode.items.map((n) => {
            const e = enclosing(n);
            if (e) countAlias(n as YNode);
            if (e === "recursive" && !heldBy) heldBy = n as YNode;
            return e === null ? valueOf(convert(n as YNode, depth + 1, flow)) : e === "recursive" ? e : e.clone();
          });
          if (parts.every(isRubyHash)) {
            const h = new RubyHash();
            for (const m of [...parts].reverse()) h.mergeFrom(m as RubyHash);
            hash.mergeFrom(h);
          } else {
            // Psych keeps the list under `<<`, and it holds an object still being read.
            hash.set({ key: "<<", value: recursive(heldBy ?? valNode), line: lineOfNode(keyNode) });
          }
          continue;
        }
      }
      const key = convert(keyNode, depth + 1, flow);
      const val = valueOf(convert(valNode, depth + 1, flow));
      const line = lineOfNode(keyNode ?? valNode);
      if (key.value === "<<" && !(isScalar(keyNode) && keyNode.tag === STR_TAG)) {
        if ((isAlias(valNode) || isMap(valNode)) && isRubyHash(val)) {
          hash.mergeFrom(val);
          continue;
        }
        if (isSeq(valNode) && Array.isArray(val) && val.every(isRubyHash)) {
          // Later Hashes of the list first, so the earlier ones win; then into the keys read so far.
          const h = new RubyHash();
          for (const m of [...val].reverse()) h.mergeFrom(m as RubyHash);
          hash.mergeFrom(h);
          continue;
        }
        // Not a Hash (TypeError in merge!) or a plain scalar: Psych keeps `<<` as an ordinary key.
      }
      hash.set({ key: key.value, floatKey: key.float, value: val, line });
    }
    return hash;
  };

  let ruby: RubyVal;
  try {
    ruby = valueOf(convert(doc.contents as YNode, 0));
    // Without aliases nothing is shared: the nodes are the text's own and convert bounded the depth.
    const size = aliasCount ? expandedSize(ruby) : { nodes: 0, own: 0, depth: 0 };
    // What the aliases add is bounded, not the document's own nodes: a 2 MB file that reuses one
    // anchor is not a bomb, and its text is bounded by the file-size limit already.
    if (size.nodes - size.own > YAML_LIMITS.maxExpandedNodes) throw new LimitError(`aliases expand to more than ${YAML_LIMITS.maxExpandedNodes} nodes (an alias bomb?): not loaded`, aliasLine, true);
    if (size.depth > YAML_LIMITS.maxDepth) throw new LimitError(`nesting deeper than ${YAML_LIMITS.maxDepth} once aliases are expanded`, aliasLine, true);
  } catch (e) {
    if (e instanceof LimitError) return failed(e.message, e.line, e.aliasBomb);
    if (e instanceof RangeError) return failed(`too deeply nested: ${e.message}`);
    throw e;
  }
  const empty = doc.contents == null;
  return loaded(ruby, empty, errors);
}

/** A loaded document; its String-keyed view is made when first read (the Global reader never reads it). */
function loaded(ruby: RubyVal, empty: boolean, errors: RubyYamlError[]): RubyYaml {
  let value: RValue | undefined;
  return {
    get value() {
      if (value === undefined) value = rubyToValue(ruby);
      return value;
    },
    ruby,
    empty,
    errors,
    lineOf: (path) => lineAtPath(ruby, path, 1),
  };
}

// --- the direct reader -----------------------------------------------------------------------------

/**
 * An alias to an anchor still being read (its own mapping's or an enclosing one's): only a merge
 * key may hold it. `hash`: the mapping as filled so far; none for a list.
 */
interface Enclosing extends Token {
  enclosing: { hash?: RubyHash };
}
const isEnclosing = (t: Token): t is Enclosing => "enclosing" in t;

/**
 * Plain block YAML to its value in one pass: the quick reader's reading, with the rules of
 * fromDocument applied as it goes. It makes no value of its own where those rules would raise or
 * record an error, or reach a limit (a scalar Psych refuses, an unknown or recursive alias, an
 * anchor defined twice, a merge of anything but a Hash, the alias limits): then "rules", and the
 * node readers take the text, with their messages; "outside" when the text is not plain block YAML.
 * The quick-reader test holds both to the full parser.
 */
export function loadBlockDirect(text: string): RubyYaml | "outside" | "rules" {
  const anchors = new Map<string, Token>();
  /** Anchors still being read, each with its mapping as filled so far (none for a list or scalar). */
  const building = new Map<string, { hash?: RubyHash }>();
  /** The anchor just started: the next mapping opened, if it comes first, is its value. */
  let pending: string | null = null;
  let aliasCount = 0;
  /** Each key text read as a key, and its id (a few dozen names make up most keys of a large file). */
  const keys = new Map<string, { token: Token; id: string }>();
  /** Uses of each anchor by an alias (not counting those to an anchor still being read). */
  const uses = new Map<string, number>();
  let enclosingUsed = false;
  const no = (): never => {
    throw new BuilderBail();
  };
  const token = (t: () => Token): Token => {
    try {
      return t();
    } catch (e) {
      if (e instanceof PsychError) no();
      throw e;
    }
  };
  type Seq = { list: RubyVal[]; lines: number[] };
  const builder: BlockBuilder<Token, RubyHash, Seq> = {
    scalar: (text, type) => (type === "PLAIN" ? token(() => tokenize(text)) : { value: text }),
    alias: (name) => {
      if (++aliasCount > YAML_LIMITS.maxAliasCount) no();
      const open = building.get(name);
      if (open) return (enclosingUsed = true), { value: null, enclosing: open } as Enclosing;
      uses.set(name, (uses.get(name) ?? 0) + 1);
      return anchors.get(name) ?? no();
    },
    emptyFlow: (seq) => {
      if (!seq) return { value: new RubyHash() };
      const list: RubyVal[] = [];
      itemLines.set(list, []);
      return { value: list };
    },
    anchorStart: (name) => {
      // Defined again: which node an alias then means follows the node reader's bookkeeping.
      if (anchors.has(name) || building.has(name)) no();
      building.set(name, {});
      pending = name;
    },
    anchorEnd: (name, node) => {
      pending = null;
      building.delete(name);
      anchors.set(name, node);
      return node;
    },
    mapStart: () => {
      const hash = new RubyHash();
      if (pending !== null) building.get(pending)!.hash = hash;
      pending = null;
      return hash;
    },
    mapEntry: (hash, keyText, _at, line, value, kind) => {
      if (keyText === "<<") {
        // Psych merges the entries such a mapping has now (for this very mapping: nothing changes).
        if (isEnclosing(value)) {
          if (!value.enclosing.hash) no();
          hash.mergeFrom(value.enclosing.hash!.clone());
          return;
        }
        const val = valueOf(value);
        if ((kind === "alias" || kind === "map") && isRubyHash(val)) {
          hash.mergeFrom(val);
          return;
        }
        // A list of Hashes, or anything else, is left to the node reader.
        no();
      }
      if (isEnclosing(value)) no();
      let key = keys.get(keyText);
      if (key === undefined) {
        const t = token(() => tokenize(keyText));
        key = { token: t, id: rubyKeyId(t.value, t.float) };
        // A key that is a value (not an object a caller could hold) is the same key every time.
        if (t.value === null || typeof t.value !== "object") keys.set(keyText, key);
      }
      hash.set({ key: key.token.value, floatKey: key.token.float, value: valueOf(value), line }, key.id);
    },
    mapEnd: (hash) => ({ value: hash }),
    seqStart: () => {
      pending = null;
      return { list: [], lines: [] };
    },
    seqItem: (seq, item, line) => {
      if (isEnclosing(item)) no();
      seq.list.push(valueOf(item));
      seq.lines.push(line);
    },
    seqEnd: (seq) => {
      itemLines.set(seq.list, seq.lines);
      return { value: seq.list };
    },
  };
  const r = readBlockYaml(text, builder);
  if (r === null) return "outside";
  if (r === "builder") return "rules";
  const ruby = valueOf(r.root);
  if (aliasCount && !withinAliasLimits(uses, anchors, enclosingUsed)) {
    const size = expandedSize(ruby);
    if (size.nodes - size.own > YAML_LIMITS.maxExpandedNodes || size.depth > YAML_LIMITS.maxDepth) return "rules";
  }
  return loaded(ruby, false, []);
}

/**
 * Whether the aliases surely stay within the limits, from the anchored values alone: each use adds
 * at most its target's expanded size, and reaches at most the reader's nesting plus the target's
 * depth. A walk of the whole document (most of a 2 MB file's reading that reuses one small anchor
 * thousands of times) is left for when this bound does not settle it.
 */
function withinAliasLimits(uses: Map<string, number>, anchors: Map<string, Token>, enclosingUsed: boolean): boolean {
  if (enclosingUsed) return false;
  let added = 0;
  let depth = 0;
  for (const [name, n] of uses) {
    const target = anchors.get(name);
    if (!target) return false;
    const size = expandedSize(target.value);
    added += n * size.nodes;
    depth = Math.max(depth, size.depth);
  }
  return added <= YAML_LIMITS.maxExpandedNodes && BLOCK_NESTING + depth <= YAML_LIMITS.maxDepth;
}

/** A bound on the nesting the quick reader reads (it leaves deeper text to the full parser), with room. */
const BLOCK_NESTING = MAX_BLOCK_DEPTH + 10;

class LimitError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly aliasBomb = false,
  ) {
    super(message);
  }
}

/** The class a tagged mapping would load (ToRuby#visit_Psych_Nodes_Mapping); null for a plain Hash. */
function disallowedMapClass(tag: string): string | null {
  let m: RegExpExecArray | null;
  if ((m = /^!ruby\/object:?(.*)?$/.exec(tag))) return m[1] === "Hash" ? null : m[1] || "Object";
  if ((m = /^!ruby\/struct:?(.*)?$/.exec(tag))) return m[1] || "Struct";
  if ((m = /^!(?:str|ruby\/string)(?::(.*))?$/.exec(tag)) || tag === STR_TAG) return m?.[1] || "String (with instance variables)";
  if ((m = /^!ruby\/(?:array|marshalable):(.*)$/.exec(tag))) return m[1];
  if (tag === "!ruby/range") return "Range";
  if ((m = /^!ruby\/exception:?(.*)?$/.exec(tag))) return m[1] || "Exception";
  if (tag === "!set" || tag === "tag:yaml.org,2002:set") return "Psych::Set";
  if (tag === "!omap" || tag === "tag:yaml.org,2002:omap") return "Psych::Omap";
  if ((m = /^!ruby\/hash-with-ivars(?::(.*))?$/.exec(tag))) return m[1] || "Hash (with instance variables)";
  if ((m = /^!(?:map|ruby\/hash):(.*)$/.exec(tag))) return m[1];
  return null;
}

/**
 * Size and depth once aliases are expanded (shared nodes counted each time they are reached), and
 * `own`: the nodes counted once each, as the text holds them.
 */
function expandedSize(v: RubyVal): { nodes: number; own: number; depth: number } {
  const memo = new Map<object, { nodes: number; depth: number }>();
  let own = 0;
  // A scalar: one node, no depth (shared, not made per scalar: a 2 MB file has a few hundred thousand).
  const SCALAR = { nodes: 1, depth: 0 };
  const walk = (x: RubyVal): { nodes: number; depth: number } => {
    if (x === null || typeof x !== "object") return SCALAR;
    const known = memo.get(x);
    if (known) return known;
    const r = { nodes: 1, depth: 0 };
    own++;
    const kid = (k: RubyVal) => {
      if (k === null || typeof k !== "object") own++;
      const s = walk(k);
      r.nodes = Math.min(r.nodes + s.nodes, Number.MAX_SAFE_INTEGER);
      r.depth = Math.max(r.depth, s.depth + 1);
    };
    if (isRubyHash(x))
      for (const e of x.entries.values()) {
        kid(e.key);
        kid(e.value);
      }
    else if (Array.isArray(x)) for (const k of x) kid(k);
    memo.set(x, r);
    return r;
  };
  const top = walk(v);
  return { ...top, own: v === null || typeof v !== "object" ? 1 : own };
}

/** The line of the value at a path (String keys as the model sees them), else of its nearest parent. */
export function lineAtPath(v: RubyVal, path: (string | number)[], fallback: number): number {
  let cur: RubyVal = v;
  let line = fallback;
  for (const p of path) {
    if (isRubyHash(cur)) {
      let found: RubyEntry | undefined;
      for (const e of cur.entries.values()) if (keyString(e.key, e.floatKey) === String(p)) found = e;
      if (!found) return line;
      line = found.line;
      cur = found.value;
    } else if (Array.isArray(cur) && typeof p === "number" && p < cur.length) {
      line = itemLines.get(cur)?.[p] ?? line;
      cur = cur[p];
    } else return line;
  }
  return line;
}
