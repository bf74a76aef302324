// Apache httpd's config grammar, as its own reader (server/config.c, util.c) takes it: one
// directive per line, a trailing backslash joins the next line, `#` starts a comment only as a
// line's first word, `<Section args>` ... `</Section>` nest, and an argument may be quoted.
import type { ApacheDirective } from "../../src/model.js";

export interface ParsedApache {
  directives: ApacheDirective[];
  error: { line: number; message: string } | null;
}

/** Splits a directive's text into words: quotes group, backslash escapes the quote inside them. */
function words(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\S+)/g;
  for (const m of s.matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!);
  return out;
}

/** Parses `text` as `file`; `lineOf` maps a line of text to the line to cite (a template's, for a render). */
export function parseApache(file: string, text: string, lineOf: (line: number) => number = (n) => n): ParsedApache {
  const root: ApacheDirective[] = [];
  const stack: { name: string; block: ApacheDirective[]; line: number }[] = [];
  const lines = text.split(/\r?\n/);
  const here = () => (stack.length ? stack[stack.length - 1]!.block : root);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    while (/\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + " " + lines[++i]!;
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const source = { file, line: lineOf(start) };
    const close = /^<\/([\w:.-]+)\s*>$/.exec(t);
    if (close) {
      const open = stack.pop();
      if (!open || open.name.toLowerCase() !== close[1]!.toLowerCase())
        return { directives: root, error: { line: lineOf(start), message: `</${close[1]}> closes ${open ? `<${open.name}> (line ${open.line})` : "no section"}` } };
      continue;
    }
    const section = /^<([\w:.-]+)(?:\s+(.*?))?\s*>$/.exec(t);
    if (section) {
      const d: ApacheDirective = { name: section[1]!, args: words(section[2] ?? ""), source, block: [] };
      here().push(d);
      stack.push({ name: section[1]!, block: d.block!, line: lineOf(start) });
      continue;
    }
    if (t.startsWith("<")) return { directives: root, error: { line: lineOf(start), message: `a section line that does not end with ">": ${t.slice(0, 60)}` } };
    const [name, ...args] = words(t);
    here().push({ name: name!, args, source });
  }
  if (stack.length) {
    const open = stack[stack.length - 1]!;
    return { directives: root, error: { line: open.line, message: `<${open.name}> is never closed` } };
  }
  return { directives: root, error: null };
}
