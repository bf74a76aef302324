// A deploy task's lines as they ran, with its Ruby loops unrolled: `%w(database amqp).each do |f|
// run "ln -nfs #{shared_path}/#{f}.yml #{release_path}/config/" end` runs one `ln` per element, each
// with the block variable bound (Ruby's `each`, `each_with_index`, `for x in list`). A reader of a
// task's shell lines (links and copies from shared/: manual-links.ts) reads these lines instead of
// the task's text, so a link made in a loop is the link of each element, not one link to a path
// named `#{f}`. The list is evaluated by the caller (the session: a literal, a local, `fetch(:x)` or
// a Capistrano 2 variable as the stage left it). A list not known statically is not guessed: its
// body is kept as written, and the loop is returned so that what its lines do with the block
// variable is named as not read. Each loop is cut at MAX_LOOP_ELEMENTS elements and a task at
// MAX_UNROLLED copies of loop bodies (nested loops multiply), or MAX_UNROLLED_BYTES of them: what is
// cut is returned, by element.
import type { RValue, Source } from "../../src/model.js";
import { kind, argsOf, childrenOf, type ParsedRuby } from "../ruby/prism.js";
import { fileJoin, isSym, isUnknown, rubyToS } from "../ruby/evaluate.js";
import { bindParams, yieldsOf } from "../ruby/idioms/blocks.js";

/** Elements of one loop that are read; the rest are named as cut. */
export const MAX_LOOP_ELEMENTS = 100;
/** Copies of loop bodies one task body is unrolled into (a loop in a loop multiplies them). */
export const MAX_UNROLLED = 1000;
/** Bytes of loop bodies one task body is unrolled into: a long body copied MAX_UNROLLED times is cut here first. */
export const MAX_UNROLLED_BYTES = 1 << 20;
/** An element longer than this, or holding a newline, is no path part: its copy is not read. */
const MAX_ELEMENT = 1024;

/** Loops whose block is run once per element (a `map` written where `each` was meant runs the same). */
const EACH = new Set(["each", "each_with_index", "map", "collect", "flat_map"]);

export interface RunLine {
  text: string;
  /** The source line the text was written on (an unrolled copy keeps its body's lines). */
  line: number;
}

export interface TaskLoop {
  /** The loop's first line (its list and `each`). */
  source: Source;
  /** The last line of its body. */
  endLine: number;
  /** The block variables. */
  vars: string[];
  /** The list as written. */
  list: string;
  /** Why the list is not known statically (its body kept as written); absent when it was unrolled. */
  unknown?: string;
  /** Elements not read (past MAX_LOOP_ELEMENTS or MAX_UNROLLED), as Ruby prints them. */
  cut?: string[];
}

/** Evaluates a loop's list where the task was defined, with the enclosing loops' variables bound. */
export type ListOf = (node: any, bound: ReadonlyMap<string, RValue>) => RValue;

/** Whether the body holds a loop this module unrolls (only such task bodies need the evaluator). */
export function hasTaskLoop(body: any): boolean {
  if (isLoop(body)) return true;
  return childrenOf(body).some(hasTaskLoop);
}

function isLoop(n: any): boolean {
  const k = kind(n);
  if (k === "ForNode") return true;
  return k === "CallNode" && n.receiver && EACH.has(n.name) && kind(n.block) === "BlockNode";
}

const buffers = new WeakMap<ParsedRuby, Buffer>();

/** The lines of `node` (a task body) as run, each loop over a known list unrolled; and the loops met. */
export function runLinesOf(node: any, parsed: ParsedRuby, listOf: ListOf): { lines: RunLine[]; loops: TaskLoop[] } {
  let bytes = buffers.get(parsed);
  if (!bytes) buffers.set(parsed, (bytes = Buffer.from(parsed.text, "utf8")));
  const out = new Emitter(bytes, parsed, node.location.startOffset);
  const loops: TaskLoop[] = [];
  let unrolled = 0;
  let copied = 0;

  // Only a loop written as a statement runs its block as lines of the task; one inside an expression
  // (`run "ln -s #{%w(a b).map { |x| … }.join(" ")} …"`) is not unrolled, its variable named as unread.
  const visit = (n: any, bound: ReadonlyMap<string, RValue>, stmt = false): void => {
    if (isLoop(n)) {
      if (stmt) return loop(n, bound);
      loops.push({ ...loopInfo(n), unknown: "the loop is part of an expression, not a statement of the task: not unrolled" });
    }
    if (bound.size) {
      const r = replacement(n, bound, parsed);
      if (r !== null) {
        out.to(n.location.startOffset);
        out.put(r);
        out.skip(n.location.startOffset + n.location.length);
        return;
      }
    }
    const stmts = kind(n) === "StatementsNode";
    for (const c of childrenOf(n)) visit(c, bound, stmts);
  };

  const loopInfo = (n: any): TaskLoop => {
    const isFor = kind(n) === "ForNode";
    const vars = isFor ? forVars(n.index) : blockVars(n.block.parameters);
    return { source: parsed.sourceOf(n), endLine: parsed.lineOf(n.location.startOffset + n.location.length), vars: vars ?? [], list: oneLine(parsed.textOf(isFor ? n.collection : n.receiver)) };
  };

  const loop = (n: any, bound: ReadonlyMap<string, RValue>): void => {
    const isFor = kind(n) === "ForNode";
    const recv = isFor ? n.collection : n.receiver;
    const body = isFor ? n.statements : n.block.body;
    const vars = isFor ? forVars(n.index) : blockVars(n.block.parameters);
    const info = loopInfo(n);
    loops.push(info);
    const list = listOf(recv, bound);
    let why: string | null = null;
    let items: RValue[] = [];
    if (vars === null) why = "its block parameters are not plain names";
    else if (isUnknown(list)) why = list.unknown;
    else if (!Array.isArray(list)) why = "it is not a list known statically";
    else items = list;
    // `each_with_index` yields the index too; `map`/`flat_map` run the block like `each`.
    const cut: RValue[] = items.slice(MAX_LOOP_ELEMENTS);
    const yields = why === null ? yieldsOf(items.slice(0, MAX_LOOP_ELEMENTS), isFor ? "each" : n.name, []) : why;
    if (typeof yields === "string") {
      // Kept as written: the block variable stays `#{f}` in its lines, which the reader names.
      info.unknown = yields;
      for (const c of childrenOf(n)) visit(c, bound);
      return;
    }
    out.to(n.location.startOffset);
    out.newLine();
    yields.forEach((y, i) => {
      const size = body ? body.location.length : 0;
      if (unrolled >= MAX_UNROLLED || copied + size > MAX_UNROLLED_BYTES) return void cut.push(items[i]!);
      const b = isFor ? new Map([[vars![0]!, y[0]!]]) : bindParams(n.block.parameters, y);
      if (!b || [...b.values()].some((v) => !scalarText(v))) return void cut.push(items[i]!);
      unrolled++;
      copied += size;
      const inner = new Map(bound);
      b.forEach((v, k) => inner.set(k, v));
      if (body) {
        out.jump(body.location.startOffset);
        visit(body, inner);
        out.to(body.location.startOffset + body.location.length);
      }
      out.newLine();
    });
    if (cut.length) info.cut = cut.map(printed);
    out.skip(n.location.startOffset + n.location.length);
  };

  visit(node, new Map());
  out.to(node.location.startOffset + node.location.length);
  return { lines: out.done(), loops };
}

/** Builds lines from source pieces and replacements, each line with the source line it starts on. */
class Emitter {
  private lines: RunLine[] = [];
  private cur: RunLine;
  private at: number;
  constructor(
    private bytes: Buffer,
    private parsed: ParsedRuby,
    start: number,
  ) {
    this.at = start;
    this.cur = { text: "", line: parsed.lineOf(start) };
  }
  /** Copies the source up to `end`. */
  to(end: number): void {
    if (end <= this.at) return;
    const text = this.bytes.subarray(this.at, end).toString("utf8");
    let off = this.at;
    const parts = text.split("\n");
    parts.forEach((p, i) => {
      if (i > 0) {
        this.lines.push(this.cur);
        this.cur = { text: "", line: this.parsed.lineOf(off) };
      }
      this.cur.text += p;
      off += Buffer.byteLength(p, "utf8") + 1;
    });
    this.at = end;
  }
  put(text: string): void {
    this.cur.text += text;
  }
  skip(to: number): void {
    this.at = Math.max(this.at, to);
  }
  /** Reads on from `to` (an unrolled body, again), on a line of its own. */
  jump(to: number): void {
    this.at = to;
    this.cur.line = this.parsed.lineOf(to);
  }
  newLine(): void {
    if (this.cur.text.trim()) this.lines.push(this.cur);
    this.cur = { text: "", line: this.parsed.lineOf(this.at) };
  }
  done(): RunLine[] {
    this.newLine();
    return this.lines;
  }
}

function blockVars(params: any): string[] | null {
  if (!params) return [];
  const p = kind(params) === "BlockParametersNode" ? params.parameters : null;
  if (!p) return kind(params) === "BlockParametersNode" ? [] : null;
  const names: string[] = [];
  const add = (t: any): boolean => {
    if (kind(t) === "RequiredParameterNode") return names.push(t.name), true;
    if (kind(t) === "MultiTargetNode") return (t.lefts ?? []).every(add) && !t.rest && !(t.rights?.length);
    return false;
  };
  return (p.requireds ?? []).every(add) ? names : null;
}

/** `for f in list`: the loop variable (a plain local). */
function forVars(index: any): string[] | null {
  return kind(index) === "LocalVariableTargetNode" ? [index.name] : null;
}

/** An element's text in a path: a String, Symbol or Integer on one line, not too long. */
function scalarText(v: RValue): string | null {
  const s = typeof v === "string" || isSym(v) || (typeof v === "number" && Number.isInteger(v)) ? rubyToS(v) : null;
  return s !== null && s.length <= MAX_ELEMENT && !s.includes("\n") ? s : null;
}

function printed(v: RValue): string {
  const s = scalarText(v);
  return s !== null ? JSON.stringify(s) : "(a value that is not a String)";
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > 120 ? `${t.slice(0, 117)}...` : t;
}

/** Whether the expression reads one of the bound block variables. */
function readsBound(n: any, bound: ReadonlyMap<string, RValue>): boolean {
  if (kind(n) === "LocalVariableReadNode" && bound.has(n.name)) return true;
  return childrenOf(n).some((c) => readsBound(c, bound));
}

/**
 * The text an interpolation (`#{f}`, `#{File.join(shared_path, "config/" + f)}`) or a bare read of a
 * block variable (`shared_path.join(f)`) stands for with the variables bound; null to keep the source.
 */
function replacement(n: any, bound: ReadonlyMap<string, RValue>, parsed: ParsedRuby): string | null {
  const k = kind(n);
  if (k === "EmbeddedStatementsNode") {
    const body = n.statements?.body ?? [];
    if (body.length !== 1 || !readsBound(body[0], bound)) return null;
    return pathText(body[0], bound, parsed);
  }
  if (k === "LocalVariableReadNode" && bound.has(n.name)) {
    // Outside a string: a Ruby String literal of the value, as the call's argument read it.
    const s = scalarText(bound.get(n.name)!);
    return s !== null && /^[\w./@:+=,-]*$/.test(s) ? `"${s}"` : null;
  }
  return null;
}

/**
 * The string an expression builds, the bound variables put in and any part that does not read them
 * kept as an interpolation of its source (`#{shared_path}`, for the reader's own rules): string
 * literals, interpolation, `+`, `File.join`, `to_s`. null for anything else that reads a variable.
 */
function pathText(n: any, bound: ReadonlyMap<string, RValue>, parsed: ParsedRuby): string | null {
  if (!readsBound(n, bound)) {
    const k = kind(n);
    if (k === "StringNode") return n.unescaped?.value ?? "";
    return `#{${parsed.textOf(n)}}`;
  }
  switch (kind(n)) {
    case "LocalVariableReadNode":
      return scalarText(bound.get(n.name)!);
    case "ParenthesesNode": {
      const b = n.body?.body ?? [];
      return b.length === 1 ? pathText(b[0], bound, parsed) : null;
    }
    case "InterpolatedStringNode": {
      let s = "";
      for (const p of n.parts ?? []) {
        if (kind(p) === "StringNode") s += p.unescaped?.value ?? "";
        else if (kind(p) === "EmbeddedStatementsNode" && (p.statements?.body ?? []).length === 1) {
          const v = pathText(p.statements.body[0], bound, parsed);
          if (v === null) return null;
          s += v;
        } else return null;
      }
      return s;
    }
    case "CallNode": {
      const args = argsOf(n);
      if (n.name === "to_s" && n.receiver && !args.length) return pathText(n.receiver, bound, parsed);
      if (n.name === "+" && n.receiver && args.length === 1) {
        const a = pathText(n.receiver, bound, parsed);
        const b = pathText(args[0], bound, parsed);
        return a !== null && b !== null ? a + b : null;
      }
      if (n.name === "join" && kind(n.receiver) === "ConstantReadNode" && n.receiver.name === "File" && args.length) {
        const parts = args.map((a: any) => pathText(a, bound, parsed));
        return parts.every((p: string | null) => p !== null) ? fileJoin(parts as string[]) : null;
      }
      return null;
    }
    default:
      return null;
  }
}
