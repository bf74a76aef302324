// Ruby literals for values read from the repo. A double-quoted literal whose `#`, `"` and `\` are
// all escaped cannot interpolate or end early, and every character outside printable ASCII is
// written as an escape, so the literal is one line whatever the value holds (newlines, NUL,
// terminal escapes, lone surrogates).

/** A Ruby String literal that evaluates to exactly `value` (as UTF-8). */
export function rubyString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\" || ch === "#") out += "\\" + ch;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += "\\uFFFD"; // a lone surrogate has no UTF-8 form
    else out += `\\u{${cp.toString(16)}}`;
  }
  return out + '"';
}

/** A Ruby Array literal of Strings, frozen. */
export function rubyStringArray(values: readonly string[]): string {
  return `[${values.map(rubyString).join(", ")}].freeze`;
}
