// A quick reader for the plain block YAML that config files are mostly written in: nested `key:
// value` mappings and `- item` lists, plain and simply quoted scalars, anchors, aliases and merge
// keys, comments. A cold `yaml` parse costs ~0.2 ms per small file, which is most of the analysis
// of an app with hundreds of Global files; this reads the same files in a fraction of that.
//
// It only decides how a file is read, never what it means: it builds the same nodes the `yaml`
// package would (so yaml.ts applies Psych's rules to both alike), and on anything outside its
// subset — a tab, a non-ASCII character, flow collections other than `[]` and `{}`, block scalars,
// tags, escapes, multi-line scalars, odd indentation, a second document — it answers null and the
// full parser reads the file.
// A test holds it to the full parser's nodes on every fixture and on generated documents.
import { Alias, Pair, Scalar, YAMLMap, YAMLSeq, type Node as YNode } from "yaml";

interface Line {
  /** Column of the first character. */
  indent: number;
  /** The line from its first character to its end. */
  text: string;
  /** Offset of `text` in the document. */
  at: number;
}

/** Nesting past this is left to the full parser (and its limits). */
const MAX_DEPTH = 100;
/** libyaml refuses an implicit key longer than 1024 characters. */
const MAX_KEY = 1000;

/** Anything but printable ASCII and newlines (tabs, CR, non-ASCII: the full parser's business). */
const OUTSIDE = /[^\n\x20-\x7e]/;
const MARKER = /^(---|\.\.\.)( |$)|^%/;
const ANCHOR = /^&([A-Za-z0-9_-]+)(?: +|$)/;
const ALIAS = /^\*([A-Za-z0-9_-]+)(?: +#.*| *)$/;
const AFTER_QUOTE = /^(?: +#.*| *)$/;
/** Characters that cannot start a plain scalar here, or start something this reader leaves alone. */
const NOT_PLAIN_START = new Set([..."[]{},#&*!|>'\"%@`"]);

/** `[]` or `{}` alone (a comment may follow): the commonest flow collections, and the only ones read here. */
const EMPTY_FLOW = /^(\[\s*\]|\{\s*\})(?: +#.*| *)$/;

class Bail extends Error {}
// One instance, thrown every time: an Error records a stack when made, and `hasKey` bails on every
// plain list item (thousands in a large file).
const BAIL = new Bail();
const bail = (): never => {
  throw BAIL;
};

/** The document's root node, or null when the text is outside the subset (or empty). */
export function parseBlockYaml(text: string): { contents: YNode } | null {
  // Native string operations throughout: this runs once per file in a cold process, where a
  // loop over characters in the interpreter costs more than the regex engine's compiled scan.
  if (OUTSIDE.test(text)) return null;
  const lines: Line[] = [];
  let at = 0;
  for (const raw of text.split("\n")) {
    const body = raw.trimStart();
    if (body !== "" && body[0] !== "#") {
      const indent = raw.length - body.length;
      const line = { indent, text: body, at: at + indent };
      if (indent === 0 && MARKER.test(body)) {
        // A leading `---` alone opens the one document; any other marker or directive is left alone.
        if (lines.length || body !== "---") return null;
      } else lines.push(line);
    }
    at += raw.length + 1;
  }
  if (!lines.length) return null;
  try {
    const reader = new Reader(lines);
    const contents = reader.block(lines[0].indent, 0);
    if (reader.pos !== lines.length) return null;
    return { contents };
  } catch (e) {
    if (e instanceof Bail || e instanceof RangeError) return null;
    throw e;
  }
}

class Reader {
  pos = 0;
  constructor(private readonly lines: Line[]) {}

  /** The mapping or list whose first line is the current one, at `indent`. */
  block(indent: number, depth: number): YNode {
    if (depth > MAX_DEPTH) bail();
    const node = isDash(this.lines[this.pos].text) ? this.seq(indent, depth) : this.map(indent, depth);
    const next = this.lines[this.pos];
    if (next && next.indent >= indent) bail();
    return node;
  }

  map(indent: number, depth: number): YAMLMap {
    const map = new YAMLMap();
    const first = this.lines[this.pos];
    while (this.pos < this.lines.length && this.lines[this.pos].indent === indent) {
      const line = this.lines[this.pos];
      if (isDash(line.text)) bail();
      const colon = keyEnd(line.text);
      const key = scalar(line.text.slice(0, colon), "PLAIN", line.at);
      this.pos++;
      const rest = line.text.slice(colon + 1);
      map.items.push(new Pair(key, this.value(rest, line.at + colon + 1, indent, true, depth)));
    }
    map.range = [first.at, this.end(), this.end()];
    return map;
  }

  seq(indent: number, depth: number): YAMLSeq {
    const seq = new YAMLSeq();
    const first = this.lines[this.pos];
    while (this.pos < this.lines.length && this.lines[this.pos].indent === indent && isDash(this.lines[this.pos].text)) {
      const line = this.lines[this.pos];
      let skip = 1;
      while (line.text.charCodeAt(skip) === 32) skip++;
      const rest = line.text.slice(skip);
      if (rest !== "" && !rest.startsWith("#") && !rest.startsWith("&") && hasKey(rest)) {
        // `- key: value`: a mapping whose lines start at the item's text. The line is read again
        // as the mapping's first line, without its dash.
        this.lines[this.pos] = { indent: indent + skip, text: rest, at: line.at + skip };
        seq.items.push(this.block(indent + skip, depth + 1));
      } else {
        this.pos++;
        seq.items.push(this.value(rest, line.at + skip, indent, false, depth));
      }
    }
    seq.range = [first.at, this.end(), this.end()];
    return seq;
  }

  /** What follows `key:` or `- ` on a line: a scalar, an alias, or a block on the next lines. */
  value(rest: string, at: number, indent: number, inMap: boolean, depth: number): YNode {
    let s = rest;
    let offset = at;
    const skipSpaces = () => {
      let i = 0;
      while (s.charCodeAt(i) === 32) i++;
      s = s.slice(i);
      offset += i;
    };
    skipSpaces();
    let anchor: string | undefined;
    const a = ANCHOR.exec(s);
    if (a) {
      anchor = a[1];
      s = s.slice(a[0].length);
      offset += a[0].length;
    } else if (s.startsWith("&")) bail();
    let node: YNode;
    if (s === "" || s.startsWith("#")) {
      const next = this.lines[this.pos];
      if (next && next.indent > indent) node = this.block(next.indent, depth + 1);
      // `key:` followed by `- item` lines at the key's own indent: the list is the key's value.
      else if (inMap && next && next.indent === indent && isDash(next.text)) node = this.seq(indent, depth + 1);
      else node = scalar("", "PLAIN", at, null);
    } else {
      if (s.startsWith("*")) {
        const m = ALIAS.exec(s);
        if (!m || anchor) bail();
        const alias = new Alias(m![1]);
        alias.range = [offset, offset + m![1].length + 1, offset + m![1].length + 1];
        node = alias;
      } else if (s.startsWith('"') || s.startsWith("'")) node = quoted(s, offset);
      else if (EMPTY_FLOW.test(s)) node = emptyFlow(s, offset);
      else node = plain(s, offset);
      // A scalar ends its entry: a deeper line after it would continue it (or be an error).
      const next = this.lines[this.pos];
      if (next && next.indent > indent) bail();
    }
    if (anchor) (node as { anchor?: string }).anchor = anchor;
    return node;
  }

  /** Offset just past the last line read. */
  private end(): number {
    const last = this.lines[this.pos - 1];
    return last ? last.at + last.text.length : 0;
  }
}

function scalar(source: string, type: Scalar.Type, at: number, value: string | null = source): Scalar {
  const node = new Scalar(value);
  node.source = source;
  node.type = type;
  node.range = [at, at + source.length, at + source.length];
  return node;
}

function emptyFlow(s: string, at: number): YAMLSeq | YAMLMap {
  const node = s[0] === "[" ? new YAMLSeq() : new YAMLMap();
  node.flow = true;
  const end = at + s.indexOf(s[0] === "[" ? "]" : "}") + 1;
  node.range = [at, end, end];
  return node;
}

function quoted(s: string, at: number): Scalar {
  if (s[0] === '"') {
    const close = s.indexOf('"', 1);
    if (close < 0) bail();
    const body = s.slice(1, close);
    if (body.includes("\\") || !AFTER_QUOTE.test(s.slice(close + 1))) bail();
    return scalar(body, "QUOTE_DOUBLE", at);
  }
  let i = 1;
  for (;;) {
    const q = s.indexOf("'", i);
    if (q < 0) bail();
    if (s[q + 1] === "'") {
      i = q + 2;
      continue;
    }
    if (!AFTER_QUOTE.test(s.slice(q + 1))) bail();
    return scalar(s.slice(1, q).replace(/''/g, "'"), "QUOTE_SINGLE", at);
  }
}

function plain(s: string, at: number): Scalar {
  if (NOT_PLAIN_START.has(s[0]) || (/^[-?:]/.test(s) && (s.length === 1 || s[1] === " "))) bail();
  const hash = s.indexOf(" #");
  const text = (hash >= 0 ? s.slice(0, hash) : s).trimEnd();
  // `a: b: c` and `url: http:` are errors in YAML; leave them to the full parser to report.
  if (text.includes(": ") || text.endsWith(":")) bail();
  return scalar(text, "PLAIN", at);
}

const isDash = (text: string) => text.charCodeAt(0) === 45 && (text.length === 1 || text.charCodeAt(1) === 32);

/** Whether a list item's text is a `key:` line. */
function hasKey(text: string): boolean {
  try {
    keyEnd(text);
    return true;
  } catch (e) {
    if (e instanceof Bail) return false;
    throw e;
  }
}

/**
 * Where a `key:` line's key ends (the colon). Only simple plain keys: no quotes or indicators
 * first, no colon inside (a leading one is a Symbol, `:name:`), no comment, no trailing blank.
 */
function keyEnd(text: string): number {
  const c = text[0];
  if (NOT_PLAIN_START.has(c) || c === "-" || c === "?" || (c === ":" && (text.length === 1 || text[1] === " "))) bail();
  const i = text.indexOf(":", 1);
  if (i < 0 || i > MAX_KEY || (i + 1 < text.length && text[i + 1] !== " ")) bail();
  const key = text.slice(0, i);
  if (key.includes(":", 1) || key.includes(" #") || key.endsWith(" ") || /[[\]{},]/.test(key)) bail();
  return i;
}
