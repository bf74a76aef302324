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
    // Continuations gathered in parts: joining one by one would copy the line once per part.
    const parts = [lines[i]!];
    while (parts[parts.length - 1]!.endsWith("\\") && i + 1 < lines.length) {
      parts[parts.length - 1] = parts[parts.length - 1]!.slice(0, -1);
      parts.push(lines[++i]!);
    }
    const line = parts.join(" ");
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const source = { file, line: lineOf(start) };
    // Sections read without a backtracking pattern: a line may be any length.
    const close = t.startsWith("</") && t.endsWith(">") ? /^[\w:.-]+$/.exec(t.slice(2, -1).trim()) : null;
    if (close) {
      const open = stack.pop();
      if (!open || open.name.toLowerCase() !== close[0].toLowerCase())
        return { directives: root, error: { line: lineOf(start), message: `</${close[0]}> closes ${open ? `<${open.name}> (line ${open.line})` : "no section"}` } };
      continue;
    }
    const inner = t.startsWith("<") && t.endsWith(">") ? t.slice(1, -1) : null;
    const head = inner === null ? null : /^[\w:.-]+/.exec(inner);
    if (inner !== null && head && (inner.length === head[0].length || /\s/.test(inner[head[0].length]!))) {
      const d: ApacheDirective = { name: head[0], args: words(inner.slice(head[0].length)), source, block: [] };
      here().push(d);
      stack.push({ name: head[0], block: d.block!, line: lineOf(start) });
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
