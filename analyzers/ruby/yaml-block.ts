// A quick reader for the plain block YAML that config files are mostly written in: nested `key:
// value` mappings and `- item` lists, plain and simply quoted scalars, anchors, aliases and merge
// keys, comments. A cold `yaml` parse costs ~0.2 ms per small file, which is most of the analysis
// of an app with hundreds of Global files; this reads the same files in a fraction of that.
//
// It only decides how a file is read, never what it means: it builds the same nodes the `yaml`
// package would (so yaml.ts applies Psych's rules to both alike) — or, through the same reading,
// hands each scalar, entry and item to a Builder that makes the values in that one pass (yaml.ts's
// direct reader, for large files, where a node per scalar was most of the time) — and on anything outside its
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
  /** 1-based line number. */
  no: number;
}

/** What a value was written as: the rules of merge keys depend on it. */
export type BlockKind = "scalar" | "alias" | "map" | "seq";

/**
 * What the reader makes of each piece, in document order (an anchor's start before its value is
 * read, its end after). `N` is what a value becomes; `M` and `S` a mapping and a list being filled.
 */
export interface BlockBuilder<N, M, S> {
  /** A plain (`PLAIN`) or quoted scalar's text (quotes removed, `''` undone); `empty`: nothing after `key:`. */
  scalar(text: string, type: "PLAIN" | "QUOTE_DOUBLE" | "QUOTE_SINGLE", at: number, empty: boolean): N;
  alias(name: string, at: number, end: number): N;
  emptyFlow(seq: boolean, at: number, end: number): N;
  anchorStart(name: string): void;
  anchorEnd(name: string, node: N): N;
  mapStart(): M;
  /** A `key: value` entry: the key's text (a plain scalar), where it starts, and its line. */
  mapEntry(map: M, key: string, keyAt: number, keyLine: number, value: N, kind: BlockKind): void;
  mapEnd(map: M, start: number, end: number): N;
  seqStart(): S;
  /** A list item and the line where it starts. */
  seqItem(seq: S, item: N, line: number): void;
  seqEnd(seq: S, start: number, end: number): N;
}

/** Nesting past this is left to the full parser (and its limits). */
const MAX_DEPTH = 100;
export const MAX_BLOCK_DEPTH = MAX_DEPTH;
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
/** Thrown by a Builder for a text in the subset whose meaning it leaves to the node reader. */
export class BuilderBail extends Error {}
// One instance, thrown every time: an Error records a stack when made, and `hasKey` bails on every
// plain list item (thousands in a large file).
const BAIL = new Bail();
const bail = (): never => {
  throw BAIL;
};

/** The document's root node, or null when the text is outside the subset (or empty). */
export function parseBlockYaml(text: string): { contents: YNode } | null {
  const r = readBlockYaml(text, NODES);
  return r === null || r === "builder" ? null : { contents: r.root };
}

/**
 * The document read through a Builder: its root, null when the text is outside the subset (or
 * empty), "builder" when the builder bailed (BuilderBail) on a text in the subset.
 */
export function readBlockYaml<N, M, S>(text: string, builder: BlockBuilder<N, M, S>): { root: N } | null | "builder" {
  // Native string operations throughout: this runs once per file in a cold process, where a
  // loop over characters in the interpreter costs more than the regex engine's compiled scan.
  if (OUTSIDE.test(text)) return null;
  const lines: Line[] = [];
  let at = 0;
  let no = 0;
  for (const raw of text.split("\n")) {
    no++;
    const body = raw.trimStart();
    if (body !== "" && body[0] !== "#") {
      const indent = raw.length - body.length;
      const line = { indent, text: body, at: at + indent, no };
      if (indent === 0 && MARKER.test(body)) {
        // A leading `---` alone opens the one document; any other marker or directive is left alone.
        if (lines.length || body !== "---") return null;
      } else lines.push(line);
    }
    at += raw.length + 1;
  }
  if (!lines.length) return null;
  try {
    const reader = new Reader(lines, builder);
    const root = reader.block(lines[0].indent, 0);
    if (reader.pos !== lines.length) return null;
    return { root };
  } catch (e) {
    if (e instanceof Bail || e instanceof RangeError) return null;
    if (e instanceof BuilderBail) return "builder";
    throw e;
  }
}

class Reader<N, M, S> {
  pos = 0;
  /** What the last value() read was written as. */
  private kind: BlockKind = "scalar";
  constructor(
    private readonly lines: Line[],
    private readonly b: BlockBuilder<N, M, S>,
  ) {}

  /** The mapping or list whose first line is the current one, at `indent`. */
  block(indent: number, depth: number): N {
    if (depth > MAX_DEPTH) bail();
    const node = isDash(this.lines[this.pos].text) ? this.seq(indent, depth) : this.map(indent, depth);
    const next = this.lines[this.pos];
    if (next && next.indent >= indent) bail();
    return node;
  }

  map(indent: number, depth: number): N {
    const map = this.b.mapStart();
    const first = this.lines[this.pos];
    while (this.pos < this.lines.length && this.lines[this.pos].indent === indent) {
      const line = this.lines[this.pos];
      if (isDash(line.text)) bail();
      const colon = keyEnd(line.text);
      this.pos++;
      const rest = line.text.slice(colon + 1);
      const value = this.value(rest, line.at + colon + 1, indent, true, depth);
      this.b.mapEntry(map, line.text.slice(0, colon), line.at, line.no, value, this.kind);
    }
    return this.b.mapEnd(map, first.at, this.end());
  }

  seq(indent: number, depth: number): N {
    const seq = this.b.seqStart();
    const first = this.lines[this.pos];
    while (this.pos < this.lines.length && this.lines[this.pos].indent === indent && isDash(this.lines[this.pos].text)) {
      const line = this.lines[this.pos];
      let skip = 1;
      while (line.text.charCodeAt(skip) === 32) skip++;
      const rest = line.text.slice(skip);
      if (rest !== "" && !rest.startsWith("#") && !rest.startsWith("&") && hasKey(rest)) {
        // `- key: value`: a mapping whose lines start at the item's text. The line is read again
        // as the mapping's first line, without its dash.
        this.lines[this.pos] = { indent: indent + skip, text: rest, at: line.at + skip, no: line.no };
        this.b.seqItem(seq, this.block(indent + skip, depth + 1), line.no);
      } else {
        this.pos++;
        const item = this.value(rest, line.at + skip, indent, false, depth);
        this.b.seqItem(seq, item, this.startLine);
      }
    }
    return this.b.seqEnd(seq, first.at, this.end());
  }

  /** The line where the last value() read starts. */
  private startLine = 0;

  /** What follows `key:` or `- ` on a line: a scalar, an alias, or a block on the next lines. */
  value(rest: string, at: number, indent: number, inMap: boolean, depth: number): N {
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
    const here = this.lines[this.pos - 1].no;
    let node: N;
    let kind: BlockKind;
    let line = here;
    if (s === "" || s.startsWith("#")) {
      const next = this.lines[this.pos];
      if (next && next.indent > indent) {
        kind = isDash(next.text) ? "seq" : "map";
        line = next.no;
        if (anchor) this.b.anchorStart(anchor);
        node = this.block(next.indent, depth + 1);
      }
      // `key:` followed by `- item` lines at the key's own indent: the list is the key's value.
      else if (inMap && next && next.indent === indent && isDash(next.text)) {
        kind = "seq";
        line = next.no;
        if (anchor) this.b.anchorStart(anchor);
        node = this.seq(indent, depth + 1);
      } else {
        kind = "scalar";
        if (anchor) this.b.anchorStart(anchor);
        node = this.b.scalar("", "PLAIN", at, true);
      }
    } else {
      if (s.startsWith("*")) {
        const m = ALIAS.exec(s);
        if (!m || anchor) bail();
        kind = "alias";
        node = this.b.alias(m![1], offset, offset + m![1].length + 1);
      } else {
        if (anchor) this.b.anchorStart(anchor);
        if (s.startsWith('"') || s.startsWith("'")) (node = quoted(s, offset, this.b)), (kind = "scalar");
        else if (EMPTY_FLOW.test(s)) (node = emptyFlow(s, offset, this.b)), (kind = s[0] === "[" ? "seq" : "map");
        else (node = plain(s, offset, this.b)), (kind = "scalar");
      }
      // A scalar ends its entry: a deeper line after it would continue it (or be an error).
      const next = this.lines[this.pos];
      if (next && next.indent > indent) bail();
    }
    if (anchor) node = this.b.anchorEnd(anchor, node);
    this.kind = kind;
    this.startLine = line;
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

/** The builder of the `yaml` package's nodes, as its parser makes them for these texts. */
const NODES: BlockBuilder<YNode, YAMLMap, YAMLSeq> = {
  scalar: (text, type, at, empty) => scalar(text, type, at, empty ? null : text),
  alias: (name, at, end) => {
    const alias = new Alias(name);
    alias.range = [at, end, end];
    return alias;
  },
  emptyFlow: (seq, at, end) => {
    const node = seq ? new YAMLSeq() : new YAMLMap();
    node.flow = true;
    node.range = [at, end, end];
    return node;
  },
  anchorStart: () => {},
  anchorEnd: (name, node) => {
    (node as { anchor?: string }).anchor = name;
    return node;
  },
  mapStart: () => new YAMLMap(),
  mapEntry: (map, key, keyAt, _line, value) => {
    map.items.push(new Pair(scalar(key, "PLAIN", keyAt), value));
  },
  mapEnd: (map, start, end) => {
    map.range = [start, end, end];
    return map;
  },
  seqStart: () => new YAMLSeq(),
  seqItem: (seq, item) => {
    seq.items.push(item);
  },
  seqEnd: (seq, start, end) => {
    seq.range = [start, end, end];
    return seq;
  },
};

function emptyFlow<N>(s: string, at: number, b: BlockBuilder<N, unknown, unknown>): N {
  const end = at + s.indexOf(s[0] === "[" ? "]" : "}") + 1;
  return b.emptyFlow(s[0] === "[", at, end);
}

function quoted<N>(s: string, at: number, b: BlockBuilder<N, unknown, unknown>): N {
  if (s[0] === '"') {
    const close = s.indexOf('"', 1);
    if (close < 0) bail();
    const body = s.slice(1, close);
    if (body.includes("\\") || !AFTER_QUOTE.test(s.slice(close + 1))) bail();
    return b.scalar(body, "QUOTE_DOUBLE", at, false);
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
    return b.scalar(s.slice(1, q).replace(/''/g, "'"), "QUOTE_SINGLE", at, false);
  }
}

function plain<N>(s: string, at: number, b: BlockBuilder<N, unknown, unknown>): N {
  if (NOT_PLAIN_START.has(s[0]) || (/^[-?:]/.test(s) && (s.length === 1 || s[1] === " "))) bail();
  const hash = s.indexOf(" #");
  const text = (hash >= 0 ? s.slice(0, hash) : s).trimEnd();
  // `a: b: c` and `url: http:` are errors in YAML; leave them to the full parser to report.
  if (text.includes(": ") || text.endsWith(":")) bail();
  return b.scalar(text, "PLAIN", at, false);
}

const isDash = (text: string) => text.charCodeAt(0) === 45 && (text.length === 1 || text.charCodeAt(1) === 32);

/** Whether a list item's text is a `key:` line (asked of every list item: no throw for "no"). */
const hasKey = (text: string): boolean => keyAt(text) >= 0;

/**
 * Where a `key:` line's key ends (the colon). Only simple plain keys: no quotes or indicators
 * first, no colon inside (a leading one is a Symbol, `:name:`), no comment, no trailing blank.
 */
function keyEnd(text: string): number {
  const i = keyAt(text);
  return i < 0 ? bail() : i;
}

/** keyEnd's colon, or -1 where keyEnd bails. */
function keyAt(text: string): number {
  const c = text[0];
  if (NOT_PLAIN_START.has(c) || c === "-" || c === "?" || (c === ":" && (text.length === 1 || text[1] === " "))) return -1;
  const i = text.indexOf(":", 1);
  if (i < 0 || i > MAX_KEY || (i + 1 < text.length && text[i + 1] !== " ")) return -1;
  const key = text.slice(0, i);
  if (key.includes(":", 1) || key.includes(" #") || key.endsWith(" ") || /[[\]{},]/.test(key)) return -1;
  return i;
}
