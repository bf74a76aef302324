// One Prism parser for the whole process (the WASM module is compiled once), and the glue every
// Ruby-reading analyzer needs: byte offsets → line numbers, source text of a node, syntax errors
// as Problems with file:line.
import { loadPrism } from "@ruby/prism";
import type { Source } from "../../src/model.js";
import { lastAtOrBefore } from "./line-index.js";

type ParseFn = Awaited<ReturnType<typeof loadPrism>>;
let parser: ParseFn | null = null;

/** Loads Prism once. Call (and await) before any `parseRuby`; later calls are free. */
export async function initPrism(): Promise<void> {
  if (!parser) parser = await loadPrism();
}

export interface RubySyntaxError {
  message: string;
  line: number;
}

export interface ParsedRuby {
  file: string;
  text: string;
  /** The ProgramNode. Typed loosely: analyzers switch on `node.constructor.name`. */
  root: any;
  errors: RubySyntaxError[];
  /** 1-based line of a byte offset. */
  lineOf(offset: number): number;
  /** The Source (file, line) of a node. */
  sourceOf(node: { location: { startOffset: number } }): Source;
  /** The source text of a node (Prism offsets are UTF-8 bytes). */
  textOf(node: { location: { startOffset: number; length: number } }): string;
}

/** Parses Ruby. `lineOffset` shifts lines, for snippets cut from a larger file (ERB tags). */
export function parseRuby(file: string, text: string, lineOffset = 0): ParsedRuby {
  if (!parser) throw new Error("initPrism() must be awaited before parseRuby()");
  const tooDeep = nestingDepth(text) > MAX_NESTING;
  // Offsets and lines of an empty program are valid for any text: the file reads as empty.
  const bytes = Buffer.from(tooDeep ? "" : text, "utf8");
  const result = tooDeep ? { value: parser("").value, errors: [] } : parser(text);
  // Line starts in byte offsets, for a binary search per lookup.
  const starts: number[] = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) starts.push(i + 1);
  const lineOf = (offset: number): number => lastAtOrBefore(starts, offset) + 1 + lineOffset;
  return {
    file,
    text,
    root: result.value,
    errors: tooDeep
      ? [{ message: `nested deeper than ${MAX_NESTING} levels: not read`, line: 1 + lineOffset }]
      : result.errors.map((e: any) => ({ message: e.message, line: lineOf(e.location.startOffset) })),
    lineOf,
    sourceOf: (node) => ({ file, line: lineOf(node.location.startOffset) }),
    textOf: (node) => bytes.subarray(node.location.startOffset, node.location.startOffset + node.location.length).toString("utf8"),
  };
}

/** The node's class name, e.g. "CallNode". */
export function kind(node: any): string {
  return node?.constructor?.name ?? "";
}

/**
 * Every child node of `node`, in source order. Walkers use this, never the binding's
 * compactChildNodes: in @ruby/prism 1.9 that one drops every list field (its `compact.concat(...)`
 * throws the result away), so a `case`'s `when`s, an array's elements, a rescue's exception list and
 * a multiple assignment's targets went unseen.
 */
export function childrenOf(node: any): any[] {
  return typeof node?.childNodes === "function" ? node.childNodes().filter((n: any) => n != null) : [];
}

/** Statements of a body node (StatementsNode, BeginNode, ProgramNode, BlockNode...), or []. */
export function statementsOf(node: any): any[] {
  if (!node) return [];
  switch (kind(node)) {
    case "ProgramNode":
      return node.statements?.body ?? [];
    case "StatementsNode":
      return node.body ?? [];
    case "BlockNode":
    case "LambdaNode":
    case "DefNode":
      return statementsOf(node.body);
    case "BeginNode":
      return statementsOf(node.statements);
    case "ParenthesesNode":
      return statementsOf(node.body);
    default:
      return [node];
  }
}

/** Arguments of a CallNode (the KeywordHashNode, if any, is last), or []. */
export function argsOf(call: any): any[] {
  return call?.arguments_?.arguments_ ?? [];
}

/** A string literal's text (`"x"`, `'x'`, `:x`), else null. */
export function literalName(node: any): string | null {
  switch (kind(node)) {
    case "StringNode":
    case "SymbolNode":
      return node.unescaped?.value ?? null;
    default:
      return null;
  }
}

/**
 * Prism's JavaScript side walks the tree recursively: a file nested thousands deep overflows the
 * stack and leaves the WASM parser unusable for every later file, so such text is never parsed.
 */
export const MAX_NESTING = 1000;

/**
 * An upper bound of the nesting a parse would reach: brackets, and the keywords that always close
 * with `end` (not `if`/`while`..., which may be modifiers without one).
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  const re = /[([{]|[)\]}]|\b(?:do|begin|def|class|module|case)\b|\bend\b/g;
  // Comments hold English ("what to do"), not nesting; `#{` starts an interpolation, not a comment.
  const code = text.replace(/#(?!\{)[^\n]*/g, "");
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const t = m[0];
    if (t === "(" || t === "[" || t === "{" || (t.length > 1 && t !== "end")) max = Math.max(max, ++depth);
    else if (depth > 0) depth--;
  }
  return max;
}
