// nginx templates (`config/deploy/templates/nginx.conf.erb`) are rendered by Capistrano once per
// stage. We render them with the stage's variables (renderErb + stageScope), parse the output, and
// name each directive by the template line it came from; values no stage knows are put back as
// their ERB text and reported.
import type { Problem, RValue, Stage } from "../../src/model.js";
import { renderErb, restoreString, splitErb } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { isEnvRef, isInterp, isSym, isUnknown, type Scope } from "../ruby/evaluate.js";
import type { TreeNode } from "./tree.js";

export interface RenderedTemplate {
  text: string;
  refs: Map<string, RValue>;
  /** Output line → template line. */
  lineOf: (line: number) => number;
}

export function renderTemplate(file: string, text: string, stage: Stage | null, problem: (p: Problem) => void): RenderedTemplate {
  const scope: Scope = stage ? stageScope(stage) : {};
  // Conditionals run as Ruby runs them with the stage's variables (`<% if fetch(:nginx_use_ssl) %>`
  // false keeps only the plain-HTTP server, and its hosts); a condition not known keeps every branch.
  const out = renderErb(file, text, scope, problem, { branches: true });
  for (const l of out.logic)
    problem({ file, line: l.line, message: "nginx template: Ruby code tag (<% %>) not run (its condition or loop is not known for the stage); every branch is read as if rendered", severity: "warning" });
  // A dropped branch leaves no text to find in the output, so the renderer's own line map is the one.
  const map = out.lines;
  return { text: wholeDirectivesOut(file, out.output, out.refs, (n) => map[n] ?? n, problem), refs: out.refs, lineOf: (n) => map[n] ?? n };
}

/**
 * A line that is one unknown tag and nothing else (`<%= server %>` in a loop over the stage's
 * binds, writing `server unix:…;`) holds whole directives the analysis cannot know: read as text it
 * is a directive with no `;`, and the parse stops there, losing every block after it (capistrano3-
 * puma's nginx_conf.erb lost its server block, its client_max_body_size and hosts). The line is
 * emptied, keeping the line count, and said.
 */
function wholeDirectivesOut(file: string, text: string, refs: Map<string, RValue>, lineOf: (n: number) => number, problem: (p: Problem) => void): string {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^[ \t]*(R2K_REF_\d+_)[ \t]*$/.exec(lines[i]!);
    if (!m || typeof refs.get(m[1]!) === "string") continue;
    lines[i] = "";
    problem({ file, line: lineOf(i + 1), message: "nginx template: this line is only an ERB value the analysis cannot know (whole directives written by Ruby); it is left out, and the rest of the file is read", severity: "warning" });
  }
  return lines.join("\n");
}

/**
 * Maps output lines to template lines. renderErb copies text between tags verbatim, so walking the
 * template's segments over the output finds where each tag's value sits; `-%>` (which eats a
 * newline) and multi-line tags are what make the two line counts differ.
 */
export function lineMap(template: string, output: string): number[] {
  const segs = splitErb(template);
  const templateLines = (template.match(/\n/g) ?? []).length + 1;
  const nl = (s: string) => (s.match(/\n/g) ?? []).length;
  const map: number[] = [];
  let cursor = 0;
  let outLine = 1;
  const advance = (to: number, srcLine: number, step: boolean) => {
    if (map[outLine] === undefined) map[outLine] = srcLine;
    for (let i = cursor; i < to && i < output.length; i++) {
      if (output[i] === "\n") {
        outLine++;
        if (step) srcLine++;
        if (map[outLine] === undefined) map[outLine] = srcLine;
      }
    }
    cursor = Math.max(cursor, to);
  };
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    if (seg.text !== undefined) {
      // The line a text segment starts on: the next tag's line, less the text's own newlines.
      const nextTag = segs.slice(i + 1).find((s) => s.tag)?.tag;
      const start = (nextTag ? nextTag.line : templateLines) - nl(seg.text);
      const at = output.startsWith(seg.text, cursor) ? cursor : output.indexOf(seg.text, cursor);
      if (at < 0) break;
      advance(at, start, false);
      advance(at + seg.text.length, start, true);
      continue;
    }
    const tag = seg.tag!;
    if (tag.kind !== "output") continue;
    const token = /^R2K_REF_\d+_/.exec(output.slice(cursor));
    let end: number;
    if (token) end = cursor + token[0].length;
    else {
      const next = segs.slice(i + 1).find((s) => s.text !== undefined)?.text;
      end = next === undefined ? output.length : output.indexOf(next, cursor);
      if (end < 0) end = output.length;
    }
    advance(end, tag.line, false);
  }
  return map;
}

/** An unresolved value as the ERB a reader would recognise. */
export function displayValue(v: RValue): string {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return v.map(displayValue).join(" ");
  if (isUnknown(v)) return `<%= ${v.expr ?? "?"} %>`;
  if (isEnvRef(v)) return `<%= ENV["${v.env}"] %>`;
  if (isSym(v)) return v.sym;
  if (isInterp(v)) return v.interp.map(displayValue).join("");
  if ("cap" in v && typeof v.cap === "string") return `<%= fetch(:${v.cap}) %>`;
  return `<%= ${JSON.stringify(v)} %>`;
}

const TOKEN = /R2K_REF_\d+_/g;

/** Puts unresolved values back into a rendered tree (as ERB text) and reports each one once. */
export function restoreTree(nodes: TreeNode[], refs: Map<string, RValue>, stage: string | null, problem: (p: Problem) => void): TreeNode[] {
  if (refs.size === 0) return nodes;
  const reported = new Set<string>();
  const restore = (s: string, n: TreeNode): string => {
    if (!s.includes("R2K_REF_")) return s;
    for (const m of s.matchAll(TOKEN)) {
      const v = refs.get(m[0]);
      const key = `${n.file}:${n.line}:${m[0]}`;
      if (v === undefined || reported.has(key)) continue;
      reported.add(key);
      const why = v !== null && typeof v === "object" && !Array.isArray(v) && isUnknown(v) ? ` (${v.unknown})` : "";
      problem({
        file: n.file,
        line: n.line,
        message: `nginx template: ${displayValue(v)} has no value known${stage ? ` for stage ${stage}` : ""}${why}; kept as written`,
        severity: "warning",
      });
    }
    // A word that is one tag's value is that value; tokens inside a longer word are replaced one
    // by one, so the text around them (`<%= current_path %>/public`) stays.
    if (refs.has(s)) return displayValue(restoreString(s, refs));
    return s.replace(TOKEN, (t) => displayValue(restoreString(t, refs)));
  };
  const walk = (level: TreeNode[]): TreeNode[] =>
    level.map((n) => {
      const copy: TreeNode = { ...n, name: restore(n.name, n), args: n.args.map((a) => restore(a, n)) };
      if (n.block) copy.block = walk(n.block);
      return copy;
    });
  return walk(nodes);
}
