// ERB, statically: a template is split into text and tags; each `<%= %>` tag's Ruby is parsed with
// Prism and evaluated with the caller's Scope (a stage's Capistrano variables, ENV references...).
// Values not known as plain text are rendered as unique placeholder tokens, so that the output can
// still be parsed (as YAML or nginx config) and each token mapped back to its value afterwards.
import type { RValue, Source, Problem } from "../../src/model.js";
import { kind, parseRuby, statementsOf } from "./prism.js";
import { evaluate, rubyToS, isEnvRef, isUnknown, isInterp, truthy, type Scope } from "./evaluate.js";
import { isCarriedErb, setOwn } from "../../src/model.js";
import { rubyNumberToS } from "./yaml.js";
import { formatValue } from "../../src/model/format.js";

export interface ErbTag {
  kind: "output" | "code" | "comment";
  code: string;
  line: number;
}

export interface ErbSegment {
  text?: string;
  tag?: ErbTag;
  /** For a text segment: the template line it starts on. */
  line?: number;
}

/** Splits an ERB template. `-%>` eats the newline after it, `<%-` the indentation before it. */
export function splitErb(text: string): ErbSegment[] {
  const out: ErbSegment[] = [];
  const re = /<%(%|#|=|-)?([\s\S]*?)(-?)%>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  let line = 1;
  const countLines = (s: string) => (s.match(/\n/g) ?? []).length;
  while ((m = re.exec(text))) {
    let before = text.slice(last, m.index);
    if (m[1] === "%") {
      // `<%%` is a literal `<%`.
      out.push({ text: before + "<%", line });
      line += countLines(before);
      last = m.index + 3;
      re.lastIndex = last;
      continue;
    }
    if (m[1] === "-") before = before.replace(/[ \t]*$/, "");
    out.push({ text: before, line });
    line += countLines(text.slice(last, m.index));
    const kindOf = m[1] === "#" ? "comment" : m[1] === "=" ? "output" : "code";
    let code = m[2];
    // `<%-=` is not valid, but `<%=-` is not either; keep code as is.
    out.push({ tag: { kind: kindOf, code, line } });
    line += countLines(m[0]);
    last = m.index + m[0].length;
    if (m[3] === "-" && text[last] === "\n") last += 1;
    else if (m[3] === "-" && text.slice(last, last + 2) === "\r\n") last += 2;
    if (last > m.index + m[0].length) line += 1;
  }
  out.push({ text: text.slice(last), line });
  return out.filter((s) => s.tag || s.text);
}

export interface RenderedErb {
  /** The output with a token in place of every value not known as plain text. */
  output: string;
  /** token → value (EnvRef, CapRef, Interp, Unknown...). */
  refs: Map<string, RValue>;
  /** Code tags (`<% if %>`, loops): the output may differ from what the template renders. */
  logic: Source[];
  /**
   * Output tags Ruby certainly raises on (a syntax error, a `raise` that nothing guards): rendering
   * the template fails. A tag whose outcome is merely unknown is not here; it is a token in refs.
   */
  raises: { line: number; why: string }[];
  /** Output line (1-based) → the template line it comes from. */
  lines: number[];
  /**
   * With `branches`: conditionals whose condition is not known, each with the output lines its
   * branches span (every branch is in the output): a value read there was set only if it ran.
   */
  undecided: { condition: string; line: number; from: number; to: number }[];
}

const TOKEN_PREFIX = "R2K_REF_";
/**
 * `ENV["X"]`, `ENV.fetch("X", lit)`, `ENV.fetch("X") { lit }`, `ENV["X"] || lit`: a read with
 * nothing around it, which an EnvRef says whole. Anything more (a conversion, a second ENV read as
 * the fallback) keeps its expression (`ruby`), which the app's config files then carry verbatim.
 */
/** Calls only Capistrano's binding answers (`fetch(:x)`, `release_path`...): not the app's. */
const CAPISTRANO_CALL = /(?<![.\w:@$])(?:fetch|any\?|roles|release_path|shared_path|current_path|deploy_to|host|server)\b(?!\s*:)/;
/** A plain read's default written as a Float literal: `ENV.fetch("T", 1.0)`, `ENV["T"] || 2.0`. */
const FLOAT_DEFAULT = /(?:,|\|\||\{)\s*(-?\d+\.\d+)\s*[)}]?\s*$/;
const LIT = String.raw`(?:"[^"]*"|'[^']*'|-?\d+(?:\.\d+)?|nil|true|false)`;
const PLAIN_ENV_READ = new RegExp(String.raw`^\s*ENV(?:\[\s*["']\w+["']\s*\](?:\s*\|\|\s*${LIT})?|\.fetch\(\s*["']\w+["']\s*(?:,\s*${LIT}\s*)?\)(?:\s*\{\s*${LIT}\s*\})?)\s*$`);

export interface RenderOptions {
  /**
   * Run the template's conditionals (`<% if %>`/`unless`/`elsif`/`else`/`end`) as Ruby does: a
   * branch whose condition is known is kept or dropped (nil and false are falsy, everything else,
   * 0 and "" too, truthy); a condition not known keeps every branch, and its tag is in `logic`.
   */
  branches?: boolean;
}

/** Renders a template with a Scope. Tags that do not evaluate become tokens; never throws. */
export function renderErb(file: string, text: string, scope: Scope, problems?: (p: Problem) => void, opts: RenderOptions = {}): RenderedErb {
  const refs = new Map<string, RValue>();
  const logic: Source[] = [];
  const raises: RenderedErb["raises"] = [];
  let output = "";
  // output line (1-based) → template line
  const lines: number[] = [];
  let outLine = 1;
  let atLineStart = true;
  const emit = (s: string, from: number, textLines: boolean) => {
    // At the start of an output line, the line is where this piece comes from: after a dropped
    // branch, the line the text before it ended on no longer is.
    // (A flag, not output.endsWith: that flattens the growing string at every piece, quadratic on a 2 MB template.)
    if (lines[outLine] === undefined || (s !== "" && atLineStart)) lines[outLine] = from;
    for (const ch of s)
      if (ch === "\n") {
        outLine++;
        if (textLines) from++;
        if (lines[outLine] === undefined) lines[outLine] = from;
      }
    output += s;
    if (s !== "") atLineStart = s.endsWith("\n");
  };
  const flow = opts.branches ? new Branches(file, scope) : null;
  for (const seg of splitErb(text)) {
    if (seg.text !== undefined) {
      if (!flow || flow.active()) emit(seg.text, seg.line ?? 1, true);
      continue;
    }
    const tag = seg.tag!;
    if (tag.kind === "comment") continue;
    if (tag.kind === "code") {
      if (!flow) logic.push({ file, line: tag.line });
      else if (!flow.step(tag, outLine)) logic.push({ file, line: tag.line });
      continue;
    }
    if (flow && !flow.active()) continue;
    let output0 = "";
    // The commonest tag of all, `ENV["X"]`, needs no parser (a Prism round trip costs ~0.1 ms).
    const bare = /^\s*ENV\[\s*(?:"(\w+)"|'(\w+)')\s*\]\s*$/.exec(tag.code);
    if (bare) {
      const token = `${TOKEN_PREFIX}${refs.size}_`;
      refs.set(token, { env: (bare[1] ?? bare[2])!, default: null });
      output0 += token;
      emit(output0, tag.line, false);
      continue;
    }
    const parsed = parseRuby(file, tag.code, tag.line - 1);
    if (parsed.errors.length) {
      problems?.({ file, line: parsed.errors[0].line, message: `ERB tag: ${parsed.errors[0].message}`, severity: "error" });
      raises.push({ line: parsed.errors[0].line, why: `ERB tag: Ruby syntax error: ${parsed.errors[0].message}` });
      const token = `${TOKEN_PREFIX}${refs.size}_`;
      refs.set(token, { unknown: "ERB tag with a Ruby syntax error", expr: tag.code.trim().slice(0, 80), source: { file, line: tag.line } });
      output0 += token;
      emit(output0, tag.line, false);
      continue;
    }
    const stmts = statementsOf(parsed.root);
    const raising = certainRaise(stmts[0]);
    if (raising) raises.push({ line: parsed.lineOf(stmts[0].location.startOffset), why: `ERB tag \`${tag.code.trim().slice(0, 80)}\` raises when the file is rendered` });
    let value: RValue = stmts.length ? evaluate(stmts[stmts.length - 1], parsed, scope) : null;
    // The evaluator reads a Float literal that is a whole number (`1.0`) as the Integer 1: in a
    // default written back into a config file, it must stay a Float.
    const floatDefault = isEnvRef(value) && typeof value.default === "number" && Number.isInteger(value.default) && PLAIN_ENV_READ.test(tag.code) ? FLOAT_DEFAULT.exec(tag.code) : null;
    if (floatDefault && isEnvRef(value)) value = { ...value, default: { float: rubyNumberToS(Number(floatDefault[1]), true) } };
    // The evaluator reads `ENV["X"].to_i` as "what ENV["X"] holds"; the expression itself goes with
    // it, so that whatever carries the value on (config_for files) evaluates the same conversion.
    // A tag that also reads Capistrano's variables (a deploy template's) cannot run in the app: the
    // conversion is then not carried, and said.
    if (isEnvRef(value) && !PLAIN_ENV_READ.test(tag.code)) {
      if (!CAPISTRANO_CALL.test(tag.code)) value = { env: value.env, default: value.default, ruby: tag.code.trim() };
      else problems?.({ file, line: tag.line, message: `ERB tag \`${tag.code.trim().slice(0, 80)}\` is read as ENV["${value.env}"] as it is: it also reads Capistrano's variables, so the conversion around it is not carried over; check the value's type after the move`, severity: "warning" });
    }
    // `key: <%= ENV.fetch("X") { "" } %>` outside quotes: the empty default renders an empty scalar,
    // which YAML reads as nil — the default the app gets is nil, as with no default at all.
    if (isEnvRef(value) && value.default === "" && value.ruby === undefined && !/["'][ \t]*$/.test(output)) value = { env: value.env, default: null };
    const s = typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value === null ? rubyToS(value) : null;
    if (s !== null) {
      output0 += s;
    } else {
      const token = `${TOKEN_PREFIX}${refs.size}_`;
      if (isUnknown(value)) {
        value = value.source ? value : { ...value, source: { file, line: tag.line } };
        // In the app's own files (no Capistrano binding), the tag is carried as it is written: the
        // app evaluates it again, in Rails, wherever the value goes (config_for renders ERB too).
        if (scope.activeSupport && !CAPISTRANO_CALL.test(tag.code) && !/[@$]/.test(tag.code)) {
          value = { ...value, erb: tag.code.trim() };
          // Inside YAML quotes the tag's text is a String, whatever it looks like: said as an Interp.
          if (/["']$/.test(output)) value = { interp: [value] };
        }
      }
      refs.set(token, value);
      output0 += token;
    }
    emit(output0, tag.line, false);
  }
  return { output, refs, logic, raises, lines, undecided: flow?.undecided ?? [] };
}

interface Frame {
  /** "if": a conditional this rendering runs; "opaque": a block it does not (a loop, `case`, `begin`). */
  kind: "if" | "opaque";
  /** take: in the branch Ruby runs; skip: looking for the branch it runs; done: past it; unknown: every branch kept. */
  state: "take" | "skip" | "done" | "unknown";
  /** For an unknown conditional: where it starts, in the template and in the output. */
  open?: { condition: string; line: number; from: number };
}

const IF = /^\s*(if|unless|elsif)\s+([\s\S]+?)(?:\s+then)?\s*$/;
const OPENS_BLOCK = /(?:\bdo\s*(?:\|[^|]*\|)?|^\s*(?:while|until|for|case|begin)\b.*)\s*$/;

/** The conditionals of one rendering; `step` runs a code tag and says whether it was run. */
class Branches {
  private frames: Frame[] = [];
  readonly undecided: RenderedErb["undecided"] = [];
  constructor(private file: string, private scope: Scope) {}

  active(): boolean {
    return this.frames.every((f) => f.kind === "opaque" || f.state === "take" || f.state === "unknown");
  }

  /** False: the tag was not run (every branch under it is read), so the caller says so. */
  step(tag: ErbTag, outLine: number): boolean {
    const code = tag.code.replace(/^\s*#.*$/gm, "").trim();
    const top = this.frames[this.frames.length - 1];
    // `<% if a; b; end %>` is a whole statement in one tag, not a branch around the text
    const m = /[;\n]/.test(code) ? null : IF.exec(code);
    if (m && m[1] !== "elsif") {
      if (!this.active()) return this.push("done");
      const t = this.test(m[2]!, tag.line);
      const pushed = this.push(t === null ? "unknown" : (m[1] === "unless" ? !t : t) ? "take" : "skip");
      if (t === null) this.frames[this.frames.length - 1]!.open = { condition: `${m[1]} ${m[2]}`, line: tag.line, from: outLine };
      return pushed;
    }
    if (m && top?.kind === "if") {
      if (top.state === "take") top.state = "done";
      else if (top.state === "skip") {
        const t = this.test(m[2]!, tag.line);
        top.state = t === null ? "unknown" : t ? "take" : "skip";
        if (t === null) top.open = { condition: `elsif ${m[2]}`, line: tag.line, from: outLine };
        return t !== null;
      }
      return true;
    }
    // an unknown conditional was said at its `if`; its `else` and `end` add nothing
    if (code === "else" && top?.kind === "if") {
      if (top.state === "take") top.state = "done";
      else if (top.state === "skip") top.state = "take";
      return true;
    }
    if (/^end\s*$/.test(code) && top) {
      this.frames.pop();
      if (top.open) this.undecided.push({ ...top.open, to: outLine });
      return top.kind === "if" || !this.active();
    }
    if (OPENS_BLOCK.test(code)) this.frames.push({ kind: "opaque", state: "unknown" });
    return !this.active();
  }

  private push(state: Frame["state"]): boolean {
    this.frames.push({ kind: "if", state });
    return state !== "unknown";
  }

  /** Ruby's truthiness of a condition; null when its value is not known. */
  private test(cond: string, line: number): boolean | null {
    const parsed = parseRuby(this.file, cond, line - 1);
    if (parsed.errors.length) return null;
    const stmts = statementsOf(parsed.root);
    if (stmts.length !== 1) return null;
    return truthy(evaluate(stmts[0], parsed, this.scope));
  }
}

/**
 * `raise ...` / `fail ...` (or `Kernel.raise`) as a tag's first statement: nothing runs before it
 * that could skip it, so Ruby raises for sure. A raise under a condition or a rescue is not certain.
 */
function certainRaise(node: any): boolean {
  if (kind(node) !== "CallNode" || (node.name !== "raise" && node.name !== "fail")) return false;
  return !node.receiver || (kind(node.receiver) === "ConstantReadNode" && node.receiver.name === "Kernel");
}

/** A token in rendered output (use with matchAll, which copies the regex). */
export const TOKEN_RE = new RegExp(`${TOKEN_PREFIX}\\d+_`, "g");

/** Maps tokens in a parsed string back to values: a whole-token string is the value itself. */
export function restoreString(s: string, refs: Map<string, RValue>): RValue {
  if (!s.includes(TOKEN_PREFIX)) return s;
  const whole = refs.get(s);
  if (whole !== undefined) return whole;
  const parts: RValue[] = [];
  let last = 0;
  for (const m of s.matchAll(TOKEN_RE)) {
    if (m.index! > last) parts.push(s.slice(last, m.index));
    const r = refs.get(m[0]);
    if (isInterp(r)) parts.push(...r.interp);
    else parts.push(r ?? m[0]);
    last = m.index! + m[0].length;
  }
  if (last < s.length) parts.push(s.slice(last));
  // A tag the app evaluates again (Unknown.erb) stays a part of the String, as written.
  const unknownPart = parts.find((x) => typeof x === "object" && x !== null && isUnknown(x) && !isCarriedErb(x));
  return unknownPart ?? { interp: parts };
}

/** Walks a value and restores tokens in every string (keys too). */
export function restoreRefs(v: RValue, refs: Map<string, RValue>): RValue {
  if (refs.size === 0) return v;
  if (typeof v === "string") return restoreString(v, refs);
  if (Array.isArray(v)) return v.map((x) => restoreRefs(x, refs));
  if (isUnknown(v)) return restoreInUnknown(v, refs);
  if (v && typeof v === "object") {
    const out: { [k: string]: RValue } = {};
    for (const [k, x] of Object.entries(v)) setOwn(out, k, restoreRefs(x, refs));
    return out;
  }
  return v;
}

/**
 * An Unknown read from a rendering (`workers R2K_REF_3_` read as a constant): its reason and
 * expression are words about the value, where a token is no value to put back (an object there
 * printed as `[object Object]`). A token standing for a tag whose value is itself unknown gives that
 * tag's Unknown, whose reason is the real one (`Figaro.env.puma_workers || 2`); any other token is
 * put back as the text the tag rendered.
 */
function restoreInUnknown(v: RValue & { unknown: string }, refs: Map<string, RValue>): RValue {
  const texts = Object.values(v).filter((x): x is string => typeof x === "string");
  for (const t of texts)
    for (const m of t.matchAll(TOKEN_RE)) {
      const r = refs.get(m[0]);
      if (r !== undefined && isUnknown(r)) return r;
    }
  const out: { [k: string]: RValue } = {};
  for (const [k, x] of Object.entries(v)) setOwn(out, k, typeof x === "string" ? x.replace(TOKEN_RE, (tok) => { const r = refs.get(tok); return r === undefined ? tok : rubyToS(r) ?? formatValue(r); }) : x);
  return out;
}
