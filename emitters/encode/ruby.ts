// Ruby literals for values read from the repo. A double-quoted literal whose `#`, `"` and `\` are
// all escaped cannot interpolate or end early, and every character outside printable ASCII is
// written as an escape, so the literal is one line whatever the value holds (newlines, NUL,
// terminal escapes, lone surrogates).
//
// Ruby that ERB reads first (an ERB tag in a config_for file) also has `%` escaped: ERB ends a tag
// at the first `%>` whatever Ruby string it sits in, so a value holding `%>` would close the tag.

interface Options {
  /** The literal sits inside an ERB tag: no `%` is written as itself. */
  erb?: boolean;
}

/** The inside of a double-quoted literal (no quotes): for a literal built from parts. */
export function rubyStringBody(value: string, opts: Options = {}): string {
  let out = "";
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\" || ch === "#") out += "\\" + ch;
    else if (opts.erb && ch === "%") out += "\\u{25}";
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += "\\uFFFD"; // a lone surrogate has no UTF-8 form
    else out += `\\u{${cp.toString(16)}}`;
  }
  return out;
}

/** A Ruby String literal that evaluates to exactly `value` (as UTF-8). */
export function rubyString(value: string, opts: Options = {}): string {
  return `"${rubyStringBody(value, opts)}"`;
}

/** A Ruby Array literal of Strings, frozen. */
export function rubyStringArray(values: readonly string[]): string {
  return `[${values.map((v) => rubyString(v)).join(", ")}].freeze`;
}

/** A Symbol literal, `:"..."`, with the String literal's escaping: `:"a b"`, `:"#{x}"` is inert. */
export function rubySymbol(value: string, opts: Options = {}): string {
  return `:${rubyString(value, opts)}`;
}

/** A frozen Hash literal of String keys and values, one pair a line at `indent`. */
export function rubyStringHash(entries: readonly (readonly [string, string])[], indent = ""): string {
  if (entries.length === 0) return "{}.freeze";
  return `{\n${entries.map(([k, v]) => `${indent}  ${rubyString(k)} => ${rubyString(v)},`).join("\n")}\n${indent}}.freeze`;
}

/** An Integer literal; anything but a safe whole number is a bug of the caller, so it throws. */
export function rubyInteger(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an Integer: ${String(n)}`);
  return String(n);
}

/** A Float literal Ruby reads back as the same double (Infinity and NaN by name). */
export function rubyFloat(n: number): string {
  if (Number.isNaN(n)) return "Float::NAN";
  if (n === Infinity) return "Float::INFINITY";
  if (n === -Infinity) return "-Float::INFINITY";
  return floatDigits(n);
}

/**
 * A finite Float's shortest round-trip digits with a decimal point, as both Ruby and Psych's FLOAT
 * pattern need it (`1e-7` → `1.0e-7`, `3` → `3.0`; JavaScript always signs the exponent).
 */
export function floatDigits(n: number): string {
  const s = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([-+]\d+)$/.exec(s);
  if (m) return `${m[1]}${m[2]}.${m[3] ?? "0"}e${m[4]}`;
  return s.includes(".") ? s : `${s}.0`;
}

/**
 * A repo value shown in a Ruby comment (a file name, an address): as it is when it is a plain path,
 * else as a String literal, so that a newline in it cannot end the comment and start code.
 */
export function rubyCommentValue(value: string): string {
  return /^[A-Za-z0-9_./@+-]+$/.test(value) ? value : rubyString(value);
}
