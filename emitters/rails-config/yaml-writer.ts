// Writes values as YAML text that Ruby reads back (ERB first, then Psych) to exactly the same
// values. Strings are left plain only when no YAML 1.1 / Psych rule could read them as anything
// else; everything else is double-quoted (JSON escapes are valid YAML escapes). Because the file
// goes through ERB before YAML, a literal `<%` is written `<%%`. Environment references become
// ERB tags, as Global's own files had them.
import { isDateValue, isFloatValue, isPlainHash, isSym, isTimeValue, type RValue } from "../../src/model.js";
import { floatDigits, rubyFloat, rubyInteger, rubyString, rubySymbol } from "../encode/ruby.js";

const SAFE_PLAIN = /^[A-Za-z_][A-Za-z0-9_./@+-]*$/;
const SPECIAL_WORDS = /^(y|n|yes|no|on|off|true|false|null|nil)$/i;
const SIMPLE_SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*[?!]?$/;

/** An ERB tag to place as a scalar, produced by the planner. */
export interface ErbScalar {
  erb: string;
}

export type OutValue = RValue | ErbScalar | OutValue[] | { [k: string]: OutValue };

export const isErb = (v: unknown): v is ErbScalar => typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as ErbScalar).erb === "string" && Object.keys(v).length === 1 && !isPlainHash(v);

/** A lone surrogate has no UTF-8 form: written as U+FFFD, as the Ruby encoder does. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const erbEscape = (s: string) => s.replace(/<%/g, "<%%");

/**
 * A YAML double-quoted scalar. JSON's escapes are YAML's, but JSON leaves raw what Psych refuses or
 * reads as a line break (DEL, C1 controls, U+2028/2029, a BOM, bidi controls that would reorder the line on screen, lone surrogates): those are escaped
 * too, so any value is one line Psych reads back as itself.
 */
function doubleQuoted(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `erb`: the text will pass through ERB first (a file), so `<%` must be escaped. */
export function quoteString(s: string, erb = true): string {
  const q = doubleQuoted(s.replace(LONE_SURROGATE, "\ufffd"));
  return erb ? erbEscape(q) : q;
}

/** A repo value (a file name) in a comment of a file ERB reads first: one line, no ERB tag. */
export function commentValue(s: string): string {
  return quoteString(s, true);
}

/** A string as a YAML scalar that Psych reads back as that same String. */
export function stringScalar(s: string, erb = true): string {
  if (SAFE_PLAIN.test(s) && !SPECIAL_WORDS.test(s) && s.length > 0) return s;
  return quoteString(s, erb);
}

/** A Float as Psych's FLOAT pattern reads it back (it needs a dot: `1e-7` would be a String). */
export function floatScalar(n: number): string {
  if (Number.isNaN(n)) return ".nan";
  if (n === Infinity) return ".inf";
  if (n === -Infinity) return "-.inf";
  return floatDigits(n);
}

function scalar(v: OutValue, erb = true): string | null {
  if (isErb(v)) return v.erb;
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isInteger(v) && Number.isFinite(v) ? String(v) : floatScalar(v);
  if (typeof v === "string") return stringScalar(v, erb);
  if (Array.isArray(v)) return v.length === 0 ? "[]" : null;
  const o = v as Record<string, unknown>;
  if (isSym(o)) return SIMPLE_SYMBOL.test(o.sym) ? `:${o.sym}` : `:${quoteString(o.sym, erb)}`;
  if (isFloatValue(o)) return floatText(o.float);
  if (isDateValue(o)) return o.date;
  if (isTimeValue(o)) return o.time;
  if (Object.keys(o).length === 0) return "{}";
  return null;
}

function key(k: string): string {
  return stringScalar(k);
}

/** Renders a mapping (the top of a config file) as block YAML. */
export function writeYaml(value: { [k: string]: OutValue }, indent = 0): string {
  const pad = " ".repeat(indent);
  let out = "";
  for (const [k, v] of Object.entries(value)) {
    const s = scalar(v);
    if (s !== null) out += `${pad}${key(k)}: ${s}\n`;
    else if (Array.isArray(v)) out += `${pad}${key(k)}:\n${writeSeq(v, indent + 2)}`;
    else out += `${pad}${key(k)}:\n${writeYaml(v as { [k: string]: OutValue }, indent + 2)}`;
  }
  return out;
}

function writeSeq(list: OutValue[], indent: number): string {
  const pad = " ".repeat(indent);
  let out = "";
  for (const item of list) {
    const s = scalar(item);
    if (s !== null) out += `${pad}- ${s}\n`;
    else if (Array.isArray(item)) out += `${pad}-\n${writeSeq(item, indent + 2)}`;
    else {
      // "- " followed by the mapping's first key on the same line, the rest aligned under it.
      const body = writeYaml(item as { [k: string]: OutValue }, indent + 2);
      out += `${pad}- ${body.slice(indent + 2)}`;
    }
  }
  return out;
}

/** A FloatValue (Ruby's Float#to_s) as a YAML scalar Psych reads back as that Float. */
function floatText(rubyText: string): string {
  if (rubyText === "Infinity") return ".inf";
  if (rubyText === "-Infinity") return "-.inf";
  if (rubyText === "NaN") return ".nan";
  return rubyText;
}

/** A Ruby literal for an ENV default inside an ERB tag (`ENV.fetch("X", <literal>)`). */
export function rubyLiteral(v: RValue): string | null {
  if (v === null) return "nil";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return Number.isSafeInteger(v) ? rubyInteger(v) : Number.isInteger(v) || !Number.isFinite(v) ? null : rubyFloat(v);
  if (typeof v === "string") return rubyString(v, { erb: true });
  if (isSym(v)) return rubySymbol(v.sym, { erb: true });
  if (isFloatValue(v)) {
    const f = v.float;
    if (f === "Infinity") return "Float::INFINITY";
    if (f === "-Infinity") return "-Float::INFINITY";
    if (f === "NaN") return "Float::NAN";
    // Ruby's own Float#to_s text, checked: it is written as code.
    return /^-?\d+\.\d+(e[-+]\d+)?$/.test(f) ? f : null;
  }
  return null;
}

/**
 * Ruby copied on purpose from a Global file's ERB tag into a config_for file's tag: the same code,
 * with every `%>` written `%%>` (ERB's own escape inside a tag, read back as `%>`), so no text of
 * it can close the tag early and turn the rest into something else.
 */
export function erbCode(ruby: string): string {
  return ruby.replace(/%>/g, "%%>");
}

/**
 * A value as one-line YAML (flow style), for a value carried in an environment variable: ERB
 * inserts it into the file's text after ERB has run, so nothing is ERB-escaped here.
 */
export function writeFlow(v: OutValue): string {
  const s = scalar(v, false);
  if (s !== null) return s;
  if (Array.isArray(v)) return `[${v.map(writeFlow).join(", ")}]`;
  return `{${Object.entries(v as { [k: string]: OutValue }).map(([k, x]) => `${stringScalar(k, false)}: ${writeFlow(x)}`).join(", ")}}`;
}
