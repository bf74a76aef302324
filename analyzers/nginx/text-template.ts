// nginx configs written as Jinja (Ansible's `templates/nginx.conf.j2`: `{{ var }}`, `{% if %}`) or
// Go templates (`{{ .Values.host }}`, `{{ if }}...{{ end }}`), found in the repo beside the app.
// Nothing here renders them (their variables live in an inventory or a values file the repo may not
// hold): what is written literally is read (upload limits, locations, a literal server_name), each
// templated value is named as unknown, and its text is kept only to be recognised as unresolved
// (emitters never write a word holding `{{` or `{%`). Control flow is not run: what an `if` or a loop
// holds is not read at all (whether, or how often, the servers had it is not known), and said.
import type { Problem } from "../../src/model.js";
import type { TreeNode } from "./tree.js";

export type TextTemplateKind = "jinja" | "go-template";

/** Template tags of either language: output `{{ }}`, statements `{% %}`, comments `{# #}`. */
const TAG = /\{\{-?([\s\S]*?)-?\}\}|\{%-?([\s\S]*?)-?%\}|\{#[\s\S]*?#\}/g;
/** Go template actions that are control flow, not a value. */
const GO_CONTROL = /^\s*(?:if|else|end|range|with|define|template|block|break|continue|\/\*)\b/;
/** Tags that open a block (Jinja `{% if %}`…`{% endif %}`, Go `{{ if }}`…`{{ end }}`), close one, or sit inside one. */
const JINJA_OPEN = /^\s*(?:if|for|macro|call|filter|with|block|raw|autoescape)\b/;
const JINJA_CLOSE = /^\s*end\w+\b/;
const GO_OPEN = /^\s*(?:if|range|with|define|block)\b/;
const GO_CLOSE = /^\s*end\b/;

/** Whether a file's text is a Jinja or Go template (its tags, not its name, decide). */
export function textTemplateKind(text: string): TextTemplateKind | null {
  const tags = [...text.matchAll(TAG)];
  if (!tags.length) return null;
  if (tags.some((m) => m[0].startsWith("{%") || m[0].startsWith("{#"))) return "jinja";
  if (tags.some((m) => m[1] !== undefined && /^\s*\./.test(m[1]))) return "go-template";
  return "jinja";
}

export interface PreparedTemplate {
  /** The text with control tags blanked and each value tag a plain nginx word (same lines). */
  text: string;
  /** Token → the tag as written. */
  values: Map<string, string>;
}

const TOKEN = /R2K_TPL_\d+_/g;

export function prepareTextTemplate(file: string, text: string, kind: TextTemplateKind, problem: (p: Problem) => void): PreparedTemplate {
  const values = new Map<string, string>();
  const lineAt = (offset: number) => (text.slice(0, offset).match(/\n/g) ?? []).length + 1;
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  // What a block holds (outermost blocks, from the opening tag to its end) is blanked out.
  let source = text;
  let depth = 0;
  let openAt = -1;
  let openTag = "";
  for (const m of text.matchAll(TAG)) {
    const body = m[1] ?? m[2];
    if (body === undefined) continue;
    const isStmt = m[2] !== undefined;
    const opens = isStmt ? JINJA_OPEN.test(body) : kind === "go-template" && GO_OPEN.test(body);
    const closes = isStmt ? JINJA_CLOSE.test(body) : kind === "go-template" && GO_CLOSE.test(body);
    if (opens) {
      if (depth++ === 0) (openAt = m.index!), (openTag = m[0]);
    } else if (closes && depth > 0 && --depth === 0) {
      const end = m.index! + m[0].length;
      source = source.slice(0, openAt) + blank(source.slice(openAt, end)) + source.slice(end);
      problem({ file, line: lineAt(openAt), message: `nginx template: lines ${lineAt(openAt)}-${lineAt(end)} are under \`${openTag.replace(/\s+/g, " ").slice(0, 60)}\`, which is not run here: whether (or how often) the servers had them is not known; not read`, severity: "warning" });
    }
  }
  if (depth > 0) problem({ file, line: lineAt(openAt), message: `nginx template: \`${openTag.replace(/\s+/g, " ").slice(0, 60)}\` is never closed; the template is read as written after it`, severity: "warning" });
  let n = 0;
  const out = source.replace(TAG, (tag: string, value: string | undefined, _stmt: string | undefined, offset: number) => {
    const control = value === undefined ? tag.startsWith("{%") : kind === "go-template" && GO_CONTROL.test(value);
    if (control) return blank(tag);
    if (value === undefined) return blank(tag); // a comment
    // A value alone on its line stands for whole directives: nothing of it can be read.
    const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
    const lineEnd = text.indexOf("\n", offset + tag.length);
    const rest = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd);
    if (rest.trim() === tag.trim()) {
      problem({ file, line: lineAt(offset), message: `nginx template: ${tag.trim()} stands for lines of config the template's variables give; not known here`, severity: "warning" });
      return blank(tag);
    }
    const token = `R2K_TPL_${n++}_`;
    values.set(token, tag);
    return token;
  });
  return { text: out, values };
}

/** Puts each templated value back as written (it is unresolved) and names it once per line. */
export function restoreTextTemplate(nodes: TreeNode[], values: Map<string, string>, problem: (p: Problem) => void): TreeNode[] {
  if (!values.size) return nodes;
  const said = new Set<string>();
  const restore = (s: string, node: TreeNode): string =>
    s.includes("R2K_TPL_")
      ? s.replace(TOKEN, (t) => {
          const tag = values.get(t);
          if (tag === undefined) return t;
          const key = `${node.file}:${node.line}:${tag}`;
          if (!said.has(key)) {
            said.add(key);
            problem({ file: node.file, line: node.line, message: `nginx template: ${node.name} ${tag.trim()} is set by the template's variables, not known here; left out of generated configs (give the value the servers had)`, severity: "warning" });
          }
          return tag.replace(/\s+/g, " ");
        })
      : s;
  const walk = (level: TreeNode[]): TreeNode[] =>
    level.map((x) => {
      const copy: TreeNode = { ...x, name: restore(x.name, x), args: x.args.map((a) => restore(a, x)) };
      if (x.block) copy.block = walk(x.block);
      return copy;
    });
  return walk(nodes);
}
