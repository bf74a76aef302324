// What a task body shows without running it: the ERB templates it reads (string literals naming
// `.erb` files, `Dir.glob` patterns of them, interpolated paths matched against the repo) and the
// remote paths it uploads to (`upload!`, Capistrano 2's `put`/`upload`).
import type { HookDef, RValue, RepoFiles, Source, TaskDef, TemplateRender } from "../../src/model.js";
import { kind, argsOf, type ParsedRuby, childrenOf } from "../ruby/prism.js";
import { evaluate } from "../ruby/evaluate.js";
import { compileGlob, type GlobMatcher } from "./glob.js";
import { hasPath } from "../../src/model.js";
import { helperTemplates, type RenderHelper } from "./render-helpers.js";

/** Helpers the deploy recipes define to render an ERB file and upload it: `template "unicorn.rb.erb", "#{shared_path}/config/unicorn.rb"`. */
const RENDER_HELPERS = new Set(["template", "smart_template", "upload_template", "template_upload", "render_template"]);

/** Mina's ways of adding a shell line to what runs on the server (0.3 `queue`/`queue!`, 1.x `command`). */
const SHELL_QUEUES = new Set(["queue", "queue!", "command"]);

/** A call of the repo's own render helper whose template cannot be named statically (render-helpers.ts). */
export interface UnfollowedRender {
  helper: RenderHelper;
  source: Source;
  why: string;
}

/**
 * A task that lists shared/ on the servers and sets linked_files/linked_dirs to what it found
 * (`capture(:ls, linked_file)` inside shared_path, then `set :linked_files, new_list`): the `set`
 * line of the first such list, or null. Its globs are what the servers held, not file names.
 */
export function linkedGlobExpansion(body: any, parsed: ParsedRuby): { key: "linked_files" | "linked_dirs"; source: Source } | null {
  let found: { key: "linked_files" | "linked_dirs"; source: Source } | null = null;
  walk(body, (n) => {
    if (found || kind(n) !== "CallNode" || n.receiver || n.name !== "set") return;
    const a = argsOf(n)[0];
    const key = a && kind(a) === "SymbolNode" ? a.unescaped?.value : null;
    if (key === "linked_files" || key === "linked_dirs") found = { key, source: parsed.sourceOf(n) };
  });
  // The list it sets must come from the servers' listing (ls, find) or a glob of theirs.
  return found && /\bcapture\s*\(?\s*:(ls|find)\b|\b(ls|find)\s|Dir\.glob|Dir\[/.test(parsed.textOf(body)) ? found : null;
}

export function scanTask(body: any, parsed: ParsedRuby, repo: RepoFiles, locals: Map<string, RValue>, helpers: Map<string, RenderHelper> = new Map()): { templates: string[]; uploads: string[]; renders: TemplateRender[]; erbCalls: TemplateRender[]; unfollowed: UnfollowedRender[] } {
  const templates = new Set<string>();
  const unfollowed: UnfollowedRender[] = [];
  const uploads: string[] = [];
  const renders: TemplateRender[] = [];
  /** Mina's `erb("…")` calls: the template, at the call (destination unused). */
  const erbCalls: TemplateRender[] = [];
  const assigns = new Map<string, any>();
  walk(body, (n) => {
    if (kind(n) === "LocalVariableWriteNode") assigns.set(n.name, n.value);
  });
  const erbIn = (re: GlobMatcher) => repo.paths.filter((p) => p.endsWith(".erb") && re.test(p));
  const scope = { local: (name: string) => locals.get(name) };
  walk(body, (n) => {
    const k = kind(n);
    if (k === "StringNode") {
      const s: string = n.unescaped?.value ?? "";
      if (!/\.erb$/.test(s) && !/\*/.test(s)) return;
      // Text over several lines (a heredoc banner of asterisks) is a message, not a path.
      if (s.includes("\n")) return;
      const path = s.replace(/^\.\//, "");
      if (s.includes("*")) for (const p of erbIn(compileGlob(path))) templates.add(p);
      else if (hasPath(repo, path)) templates.add(path);
      else {
        const found = repo.paths.filter((p) => p.endsWith(`/${path}`) && /(^|\/)(config|lib)\//.test(p));
        found.forEach((p) => templates.add(p));
        // Named but not in the repo: still what the task reads on the deploying machine.
        if (!found.length && path.includes("/")) templates.add(path);
      }
    } else if (k === "InterpolatedStringNode") {
      // Unknown pieces become `*`: "templates/global/#{name}.yml.erb" names every such file.
      let glob = "";
      for (const part of n.parts) {
        if (kind(part) === "StringNode") glob += part.unescaped?.value ?? "";
        else {
          const v = kind(part) === "EmbeddedStatementsNode" && part.statements?.body?.length === 1 ? evaluate(part.statements.body[0], parsed, scope) : null;
          glob += typeof v === "string" ? v.replace(/[*?[\]{}]/g, "") : "*";
        }
      }
      if (!/\.erb$/.test(glob)) return;
      glob = glob.replace(/^\.\//, "");
      if (!glob.includes("/")) glob = `**/${glob}`;
      for (const p of erbIn(compileGlob(glob))) templates.add(p);
    } else if (k === "CallNode" && !n.receiver && (n.name === "upload!" || n.name === "upload" || n.name === "put") && argsOf(n).length >= 2) {
      let dest = argsOf(n)[1];
      if (kind(dest) === "LocalVariableReadNode" && assigns.has(dest.name)) dest = assigns.get(dest.name);
      uploads.push(pathText(dest, parsed));
      // `upload! StringIO.new(ERB.new(template("unicorn.rb.erb")).result(binding)), dest`, the
      // rendering often held in a local first: the ERB file named inside is what lands at dest.
      const template = erbNamedIn(argsOf(n)[0], assigns, repo);
      if (template) renders.push({ template, destination: parsed.textOf(dest), source: parsed.sourceOf(n) });
    } else if (k === "CallNode" && n.receiver && n.name === "upload" && argsOf(n).length >= 2) {
      uploads.push(pathText(argsOf(n)[1], parsed));
    }
    // Mina: the rendering held in a local, written out by the shell command it queues:
    // `conf = ERB.new(File.read("config/puma.rb.erb")).result` then `queue %(echo '#{conf}' > #{puma_conf})`.
    if (k === "CallNode" && !n.receiver && SHELL_QUEUES.has(n.name) && argsOf(n).length >= 1 && kind(argsOf(n)[0]) === "InterpolatedStringNode") {
      // The string's content, without its delimiters (`%(...)`, `"..."`): a closing `)` is no part of a path.
      const text = parsed.textOf(argsOf(n)[0]).replace(/^(?:%[qQ]?.|["'])([\s\S]*).$/, "$1");
      for (const [local, value] of assigns) {
        const template = erbNamedIn(value, assigns, repo);
        if (!template) continue;
        const re = new RegExp(`#\\{\\s*${local}\\s*\\}['"]?\\s*>\\s*([^\\s;'"]+)`, "g");
        for (const m of text.matchAll(re)) if (!renders.some((r) => r.template === template && r.destination === `"${m[1]}"`)) renders.push({ template, destination: `"${m[1]}"`, source: parsed.sourceOf(n) });
      }
      // Mina's `erb(file)` helper (0.3 and 1.x: `ERB.new(File.read(file)).result(binding)`) right in the
      // line: `command %(echo '#{erb("config/deploy/templates/unicorn.rb.erb")}' > #{shared_path}/config/unicorn.rb)`.
      for (const part of argsOf(n)[0].parts ?? []) {
        if (kind(part) !== "EmbeddedStatementsNode") continue;
        const template = erbNamedIn(part, assigns, repo);
        const own = parsed.textOf(part);
        const at = template ? text.indexOf(own) : -1;
        const m = at >= 0 ? /^['"]?\s*>\s*([^\s;'"]+)/.exec(text.slice(at + own.length)) : null;
        if (template && m && !renders.some((r) => r.template === template && r.destination === `"${m[1]}"`)) renders.push({ template, destination: `"${m[1]}"`, source: parsed.sourceOf(n) });
      }
    }
    if (k === "CallNode" && !n.receiver && n.name === "erb" && argsOf(n).length >= 1) {
      const template = erbNamedIn(argsOf(n)[0], assigns, repo);
      if (template) erbCalls.push({ template, destination: "", source: parsed.sourceOf(n) });
    }
    const own = k === "CallNode" && !n.receiver && argsOf(n).length >= 1 ? helpers.get(n.name) : undefined;
    if (own) {
      // The repo's own helper: its template is where the helper reads it, or named as not followed.
      const a = argsOf(n);
      const from = kind(a[0]) === "StringNode" ? (a[0].unescaped?.value ?? "").replace(/^\.\//, "") : null;
      const flag = own.stageParam === undefined ? "absent" : a[own.stageParam] === undefined ? "absent" : kind(a[own.stageParam]) === "TrueNode" ? "true" : kind(a[own.stageParam]) === "FalseNode" || kind(a[own.stageParam]) === "NilNode" ? "false" : "other";
      const found = helperTemplates(repo, own, from, flag);
      let dest = a[1];
      if (dest && kind(dest) === "LocalVariableReadNode" && assigns.has(dest.name)) dest = assigns.get(dest.name);
      if ("unfollowed" in found) unfollowed.push({ helper: own, source: parsed.sourceOf(n), why: found.unfollowed });
      else if (dest) for (const t of found.templates) renders.push({ template: t.path, destination: parsed.textOf(dest), source: parsed.sourceOf(n), ...(t.stage !== undefined ? { stage: t.stage } : {}) });
      else unfollowed.push({ helper: own, source: parsed.sourceOf(n), why: `its destination is the helper's own default (${own.params.slice(1).join(", ")})` });
    } else if (k === "CallNode" && !n.receiver && RENDER_HELPERS.has(n.name) && argsOf(n).length >= 2 && kind(argsOf(n)[0]) === "StringNode") {
      const template = templateFile(repo, (argsOf(n)[0].unescaped?.value ?? "").replace(/^\.\//, ""));
      let dest = argsOf(n)[1];
      if (kind(dest) === "LocalVariableReadNode" && assigns.has(dest.name)) dest = assigns.get(dest.name);
      if (template) renders.push({ template, destination: parsed.textOf(dest), source: parsed.sourceOf(n) });
    }
  });
  return { templates: [...templates].sort(), uploads: [...new Set(uploads)], renders, erbCalls: erbCalls.filter((c) => !renders.some((r) => r.template === c.template)), unfollowed };
}

/** The one ERB file a content expression renders (through locals assigned in the task), or null. */
function erbNamedIn(node: any, assigns: Map<string, any>, repo: RepoFiles): string | null {
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (x: any) =>
    walk(x, (c) => {
      if (kind(c) === "StringNode" && /\.erb$/.test(c.unescaped?.value ?? "")) names.add(c.unescaped.value.replace(/^\.\//, ""));
      else if (kind(c) === "LocalVariableReadNode" && assigns.has(c.name) && !seen.has(c.name)) (seen.add(c.name), visit(assigns.get(c.name)));
    });
  visit(node);
  if (names.size !== 1) return null;
  const name = [...names][0]!;
  return hasPath(repo, name) ? name : templateFile(repo, name.replace(/^.*\//, ""));
}

/** The repo file a render helper's first argument names (`"unicorn.rb.erb"`, `"puma.rb"` whose helper adds `.erb`). */
function templateFile(repo: RepoFiles, name: string): string | null {
  if (!name) return null;
  for (const n of name.endsWith(".erb") ? [name] : [`${name}.erb`, name]) {
    if (n.includes("/") && hasPath(repo, n)) return n;
    const found = repo.paths.filter((p) => p.endsWith(`/${n}`) && /(^|\/)(config|lib)\//.test(p)).sort();
    if (found.length) return found[0]!;
  }
  return null;
}

/** A destination as written: a literal's value, an interpolated string's text between its quotes. */
function pathText(node: any, parsed: ParsedRuby): string {
  if (kind(node) === "StringNode") return node.unescaped?.value ?? "";
  const text = parsed.textOf(node);
  if (kind(node) === "InterpolatedStringNode" && /^["']/.test(text)) return text.slice(1, -1);
  return text;
}

/** Visits every node under `node` (through childrenOf: see analyzers/ruby/prism.ts). */
function walk(node: any, visit: (n: any) => void): void {
  if (!node || typeof node !== "object") return;
  visit(node);
  const kids: any[] = childrenOf(node);
  for (const c of kids) walk(c, visit);
}

/**
 * The hook that runs a task in the deploy (`after "deploy:published", "deploy:upload_conf"`), or
 * null: a task no hook runs ran only when someone typed `cap <stage> <task>`, so what it wrote on the
 * servers is that of its last such run. A hook inside the task's namespace names it short
 * (`after :restart, :clear_cache` in `namespace :deploy`).
 */
export function hookRunning(task: TaskDef, hooks: HookDef[]): HookDef | null {
  return hooks.find((h) => {
    const name = h.task.replace(/^:/, "");
    return name === task.name || task.name.endsWith(`:${name}`);
  }) ?? null;
}
