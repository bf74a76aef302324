// A fleet's stage files are one file written many times with other host names, branches and envs:
// they differ only in the text inside plain string literals. Prism (a WASM call and a deserialisation
// per file) was half of the analysis of 10,000 of them. Files of one shape are parsed once; each
// other file of that shape gets its own tree built from that one, with its own strings and offsets.
//
// Why the tree is the one Prism gives: the other file is checked to be, byte for byte, the parsed
// file with only the contents of some of its `"..."`/`'...'` literals changed, each old and new
// content being non-empty text that cannot end a string, escape, interpolate or start a line
// (printable ASCII without quotes, backslash, `#`, backquote). Ruby's lexer reads such a content as
// string content whatever it is, so the token stream, the nodes, their ids and flags are the same,
// and only those strings and the offsets after them differ. A file that does not pass the check is
// parsed by Prism. test/capistrano/same-shape.test.ts holds both paths equal, node for node.
import { parseRuby, nestingDepth, MAX_NESTING, type ParsedRuby } from "../ruby/prism.js";
import { lastAtOrBefore } from "../ruby/line-index.js";

/** Bytes a literal's content may hold to be changed without changing anything else of the parse. */
const SAFE = new Uint8Array(128);
for (let b = 0x20; b < 0x7f; b++) SAFE[b] = 1;
for (const c of `"'\\#\``) SAFE[c.charCodeAt(0)] = 0;

/** A parsed file and how to build its tree again for other contents of its literals. */
interface Shape {
  bytes: Uint8Array;
  /** Content ranges [start, end) of the changeable literals, in order, as byte offsets. */
  starts: number[];
  ends: number[];
  build: Build;
}

/** Makes a node (or a value of its fields) for one file of the shape. */
type Build = (m: Mapping) => unknown;

interface Mapping {
  /** The offset in this file of an offset in the shape's file. */
  at(offset: number): number;
  /** This file's content of the shape's i-th literal. */
  content(i: number): string;
}

/** Files kept as shapes at most (a repo's deploy files have a few shapes, not thousands). */
const MAX_SHAPES = 64;

/**
 * A parser for one analysis: parseRuby's result, built from an earlier file of the same shape when
 * there is one. A shape is made on its second file (a file parsed once, like deploy.rb, costs nothing more).
 */
export function shapeParser(): (file: string, text: string) => ParsedRuby {
  const seen = new Map<string, ParsedRuby | Shape | null>();
  return (file, text) => {
    const key = keyOf(text);
    let known = seen.get(key);
    if (known && "root" in known) seen.set(key, (known = shapeOf(known)));
    if (known) {
      const hit = fromShape(known, file, text);
      if (hit) return hit;
    }
    const parsed = parseRuby(file, text);
    // A shape that did not fit gives way to this file's (the key only groups likely ones).
    if (known !== null && (known || seen.size < MAX_SHAPES)) seen.set(key, parsed.errors.length ? null : parsed);
    return parsed;
  };
}

/** Groups texts that are likely of one shape (the check itself is in fromShape). */
function keyOf(text: string): string {
  return text.replace(/"[^"'\\#`\n]+"|'[^"'\\#`\n]+'/g, "''");
}

/** The shape of a parse, or null when it cannot serve (syntax errors, or nothing to change). */
export function shapeOf(parsed: ParsedRuby): Shape | null {
  if (parsed.errors.length) return null;
  const bytes = Buffer.from(parsed.text, "utf8");
  const literals: Literal[] = [];
  let build: Build;
  try {
    build = compile(parsed.root, bytes, literals);
  } catch {
    return null;
  }
  if (!literals.length) return null;
  literals.sort((a, b) => a.start - b.start);
  literals.forEach((l, i) => (l.index = i));
  return { bytes, starts: literals.map((l) => l.start), ends: literals.map((l) => l.end), build };
}

/** `text` parsed through `shape`, or null when `text` is not of that shape. */
export function fromShape(shape: Shape, file: string, text: string): ParsedRuby | null {
  const bytes = Buffer.from(text, "utf8");
  const { bytes: base, starts, ends } = shape;
  const n = starts.length;
  const newStarts = new Array<number>(n);
  const newEnds = new Array<number>(n);
  let from = 0; // in the shape's file
  let at = 0; // in this file
  for (let i = 0; i <= n; i++) {
    const segEnd = i < n ? starts[i] : base.length;
    const len = segEnd - from;
    if (at + len > bytes.length) return null;
    for (let k = 0; k < len; k++) if (bytes[at + k] !== base[from + k]) return null;
    at += len;
    if (i === n) break;
    newStarts[i] = at;
    while (at < bytes.length && bytes[at] < 0x80 && SAFE[bytes[at]]) at++;
    if (at === newStarts[i]) return null;
    newEnds[i] = at;
    from = ends[i];
  }
  if (at !== bytes.length) return null;
  // Prism's own guard (parseRuby reads such text as empty): the check is on this file's text.
  if (nestingDepth(text) > MAX_NESTING) return null;
  const delta: number[] = [];
  let sum = 0;
  for (let i = 0; i < n; i++) delta.push((sum += newEnds[i] - newStarts[i] - (ends[i] - starts[i])));
  const m: Mapping = {
    // Offsets after a literal's content move by how much longer the contents up to there became.
    at: (offset) => {
      if (offset < ends[0]) return offset;
      return offset + delta[lastAtOrBefore(ends, offset)];
    },
    content: (i) => bytes.toString("latin1", newStarts[i], newEnds[i]),
  };
  return parsedOf(file, text, bytes, shape.build(m));
}

/** What parseRuby returns, for a tree without syntax errors (kept equal to it by the test). */
function parsedOf(file: string, text: string, bytes: Buffer, root: unknown): ParsedRuby {
  const starts: number[] = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) starts.push(i + 1);
  const lineOf = (offset: number): number => lastAtOrBefore(starts, offset) + 1;
  return {
    file,
    text,
    root,
    errors: [],
    lineOf,
    sourceOf: (node) => ({ file, line: lineOf(node.location.startOffset) }),
    textOf: (node) => bytes.subarray(node.location.startOffset, node.location.startOffset + node.location.length).toString("utf8"),
  };
}

const isLocation = (v: object): v is { startOffset: number; length: number } => {
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  const keys = Object.keys(v);
  return keys.length === 2 && keys[0] === "startOffset" && keys[1] === "length";
};

/** A Prism value (node, location, list, string) as a builder; throws on anything it does not know. */
function compile(v: unknown, bytes: Uint8Array, literals: Literal[]): Build {
  if (v === null || typeof v !== "object") return () => v;
  if (Array.isArray(v)) {
    const items = v.map((x) => compile(x, bytes, literals));
    return (m) => items.map((b) => b(m));
  }
  if (isLocation(v)) {
    const start = v.startOffset;
    const end = start + v.length;
    return (m) => {
      const s = m.at(start);
      return { startOffset: s, length: m.at(end) - s };
    };
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype) {
    // A RubyString ({ encoding, validEncoding, value }): copied, so no two trees share one.
    const keys = Object.keys(v);
    const r = v as { encoding: unknown; validEncoding: unknown; value: unknown };
    if (keys.join() !== "encoding,validEncoding,value" || typeof r.value !== "string") throw new Error("unknown value");
    const { encoding, validEncoding, value } = r;
    return () => ({ encoding, validEncoding, value });
  }
  // A node: its constructor takes (nodeID, location, flags, ...its other fields in order); the
  // flags are private and read through toJSON.
  const node = v as { nodeID: number; location: object; toJSON(): { flags: number } };
  const C = proto?.constructor as (new (...args: unknown[]) => unknown) | undefined;
  const keys = Object.keys(v);
  if (!C || typeof node.toJSON !== "function" || keys[0] !== "nodeID" || keys[1] !== "location" || C.length !== keys.length + 1) throw new Error("unknown node");
  const flags = node.toJSON().flags;
  const id = node.nodeID;
  const loc = compile(node.location, bytes, literals);
  const fields = keys.slice(2).map((k) => compile((v as Record<string, unknown>)[k], bytes, literals));
  const literal = changeable(v, bytes);
  if (literal) {
    // Its index among the literals is known once all are found and sorted (shapeOf sets it).
    const ref: Literal = { ...literal, index: -1 };
    literals.push(ref);
    const u = (v as { unescaped: { encoding: unknown; validEncoding: unknown } }).unescaped;
    fields[keys.indexOf("unescaped") - 2] = (m) => ({ encoding: u.encoding, validEncoding: u.validEncoding, value: m.content(ref.index) });
  }
  // Spelled out for the common sizes: a spread call is several times slower.
  const [a, b, c, d, e, f] = fields;
  switch (fields.length) {
    case 0:
      return (m) => new C(id, loc(m), flags);
    case 1:
      return (m) => new C(id, loc(m), flags, a(m));
    case 2:
      return (m) => new C(id, loc(m), flags, a(m), b(m));
    case 3:
      return (m) => new C(id, loc(m), flags, a(m), b(m), c(m));
    case 4:
      return (m) => new C(id, loc(m), flags, a(m), b(m), c(m), d(m));
    case 5:
      return (m) => new C(id, loc(m), flags, a(m), b(m), c(m), d(m), e(m));
    case 6:
      return (m) => new C(id, loc(m), flags, a(m), b(m), c(m), d(m), e(m), f(m));
    default:
      return (m) => new C(id, loc(m), flags, ...fields.map((x) => x(m)));
  }
}

/** A `"..."` or `'...'` StringNode whose content may change (see the top of this file). */
function changeable(v: object, bytes: Uint8Array): { start: number; end: number } | null {
  if (v.constructor?.name !== "StringNode") return null;
  const s = v as { openingLoc: Loc | null; contentLoc: Loc; closingLoc: Loc | null; unescaped: { value: string } };
  const o = s.openingLoc;
  const c = s.closingLoc;
  if (!o || !c || o.length !== 1 || c.length !== 1) return null;
  const q = bytes[o.startOffset];
  if ((q !== 0x22 && q !== 0x27) || bytes[c.startOffset] !== q) return null;
  const start = s.contentLoc.startOffset;
  const end = start + s.contentLoc.length;
  if (end <= start || start !== o.startOffset + 1 || end !== c.startOffset) return null;
  for (let i = start; i < end; i++) if (bytes[i] >= 0x80 || !SAFE[bytes[i]]) return null;
  if (s.unescaped.value !== Buffer.from(bytes.subarray(start, end)).toString("latin1")) return null;
  return { start, end };
}

type Loc = { startOffset: number; length: number };
type Literal = { start: number; end: number; index: number };
