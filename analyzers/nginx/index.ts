// nginx configs and `.erb` templates (rendered per stage): which files are nginx's, each parsed
// with nginx's grammar (conf-parser.ts), includes spliced in (tree.ts), facts read (facts.ts).
import { perItem } from "../per-item.js";
import type { AnalyzerContext, CapistranoFacts, Fact, NginxFacts, NginxFile, NginxNotServed, Problem, Source, Stage, TaskDef, TemplateRender } from "../../src/model.js";
import { deployToOf } from "../appserver/files.js";
import { parseConf } from "./conf-parser.js";
import { extract, isUnresolved, toModel } from "./facts.js";
import { nginxValueRefusal } from "./values.js";
import { restoreTree, renderTemplate } from "./template.js";
import { pumaTemplateStage } from "./puma-site.js";
import { writtenOnStage } from "../capistrano/stage-scope.js";
import { loadTree, type TreeNode, type TreeOptions } from "./tree.js";
import { prepareTextTemplate, restoreTextTemplate, textTemplateKind, type TextTemplateKind } from "./text-template.js";

/** Files that are never nginx config, whatever their folder. */
const NOT_NGINX = /\.(rb|ru|rake|ya?ml|json|js|mjs|cjs|ts|sh|bash|md|txt|html?|css|key|pem|crt|csr|p12|lock|example|sample|service|socket|plist|xml|ini|toml|env)$/i;
/** A `server {`, `http {` or `upstream name {` block: content only nginx writes. */
const NGINX_CONTENT = /^[ \t]*(?:server|http)[ \t]*\{|^[ \t]*upstream[ \t]+[^\s{]+[ \t]*\{/m;

/** Folders where deploy tooling keeps server configs (besides config/): Capistrano templates, install scripts, ops. */
const DEPLOY_DIRS = /^(?:config|lib\/capistrano|deploy|script|scripts|docker|\.docker|ops|infra|infrastructure|provisioning|server|etc)\//;
/** Folders that are never the app's own deploy config (vendored gems, tests, build output, docs, app code). */
const NEVER = /(?:^|\/)(?:node_modules|vendor|spec|test|tmp|log|public|coverage|\.git)\/|^(?:docs?|app)\//;
/** A copy meant to be edited before use: read, and marked, so its limits are carried but its hosts are not taken as facts. */
export { EXAMPLE_SUFFIX } from "../../src/model.js";
import { EXAMPLE_SUFFIX } from "../../src/model.js";
/** Jinja (Ansible) and Go template files: `nginx.conf.j2`, `site.conf.tpl`. */
const TEXT_TEMPLATE_SUFFIX = /\.(?:j2|jinja2?|tpl|gotmpl)$/i;

/**
 * Whether a path may hold nginx config: nginx.conf at the root, or a file under the app's deploy
 * folders (config/, lib/capistrano/templates/, deploy/, script/...) or anywhere named for nginx,
 * not a known other kind of file (once `.erb` and `.example`-style suffixes are set aside), and
 * either named for nginx (nginx*.conf, a folder named nginx) with content that parses, or holding nginx blocks.
 */
export function isNginxCandidate(path: string, text: () => string | null): boolean {
  if (NEVER.test(path)) return false;
  const base = path.slice(path.lastIndexOf("/") + 1);
  const inner = base.replace(TEXT_TEMPLATE_SUFFIX, "").replace(EXAMPLE_SUFFIX, "").replace(/\.erb$/, "").replace(EXAMPLE_SUFFIX, "");
  if (inner === "nginx.conf" && !path.includes("/")) return true;
  if (!DEPLOY_DIRS.test(path) && !/nginx/i.test(path)) return false;
  if (NOT_NGINX.test(inner)) return false;
  const t = text();
  if (t === null) return false;
  if (NGINX_CONTENT.test(t)) return true;
  // An nginx-named snippet (proxy params, ssl settings) has no blocks: it counts when it parses.
  return /nginx/i.test(path) && (/\.conf$/.test(inner) || path.includes("/nginx/")) && !parseConf(t).error;
}

/**
 * The repo templates a deploy task renders with its own ERB helper (`template("nginx_conf.rb",
 * "#{dir_conf}/nginx.conf")`, a Capistrano 2 recipe's) to a path nginx reads: a destination named
 * for nginx or under an nginx folder (/etc/nginx/, sites-available, sites-enabled, conf.d). Their
 * names need not end in .erb (`nginx_conf.rb`), so the scan by name misses them; the render says
 * what they are. Only files that hold nginx blocks: a helper may render anything.
 */
const NGINX_DESTINATION = /nginx|sites-(?:available|enabled)\/|conf\.d\//i;
function renderedToNginx(ctx: AnalyzerContext, tasks: TaskDef[], text: (p: string) => string | null): { file: string; render: TemplateRender }[] {
  const out: { file: string; render: TemplateRender }[] = [];
  for (const t of tasks)
    for (const r of t.renders ?? []) {
      const dest = r.destination.replace(/^["']|["']$/g, "");
      if (!NGINX_DESTINATION.test(dest) || out.some((o) => o.file === r.template) || NEVER.test(r.template)) continue;
      const body = text(r.template);
      if (body !== null && NGINX_CONTENT.test(body)) out.push({ file: r.template, render: r });
    }
  return out;
}

export function analyzeNginx(ctx: AnalyzerContext, stages: Stage[], tasks: TaskDef[] = [], cap: CapistranoFacts | null = null): NginxFacts {
  const seen = new Set<string>();
  // Problems of a template are the same for every stage; say each once.
  const problem = (p: Problem) => {
    const key = `${p.file}:${p.line}:${p.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    ctx.problem(p);
  };
  const textOf = (p: string) => {
    const r = ctx.repo.read(p);
    return "text" in r ? r.text : null;
  };
  const candidates = ctx.repo.paths.filter((p) => perItem(ctx, { file: p }, "whether this file is an nginx config", false, () => isNginxCandidate(p, () => textOf(p))));

  const files: NginxFile[] = [];
  const includedBy = new Map<string, string>();
  const plain: { file: string; tree: ReturnType<typeof loadTree>; template: TextTemplateKind | null }[] = [];
  const isErb = (f: string) => f.replace(EXAMPLE_SUFFIX, "").endsWith(".erb");
  for (const file of candidates.filter((f) => !isErb(f))) perItem(ctx, { file }, "this nginx file", undefined, () => {
    // A Jinja/Go template is read for what it writes literally; its values stay unresolved.
    const text = textOf(file);
    const template = text === null ? null : textTemplateKind(text);
    const prepared = template ? prepareTextTemplate(file, text!, template, problem) : null;
    const tree = loadTree(ctx.repo, file, problem, prepared ? { entryText: prepared.text } : {});
    const directives = prepared ? restoreTextTemplate(tree.directives, prepared.values, problem) : tree.directives;
    for (const f of tree.files) if (f !== file) includedBy.set(f, file);
    plain.push({ file, tree: { ...tree, directives }, template });
  });
  // A file another one includes is read as part of it (listing it alone would count its servers twice).
  for (const { file, tree, template } of plain) {
    if (includedBy.has(file)) continue;
    perItem(ctx, { file }, "this nginx file", undefined, () => files.push({ ...nginxFile(file, null, tree.directives, problem), ...(template ? { template } : {}) }));
  }
  claimByDeployTo(files, stages);
  const notServed = developmentConfigs(files, stages, tasks);
  sharedByStages(files, stages, textOf);

  // A template the deploy renders to nginx's path through its own helper is read as ERB, whatever its name.
  const rendered = renderedToNginx(ctx, tasks, textOf).filter((r) => !candidates.includes(r.file));
  for (const r of rendered)
    problem({ file: r.file, line: 1, message: `read as an nginx template: task renders it through ERB to ${r.render.destination.replace(/^["']|["']$/g, "")} (${r.render.source.file}:${r.render.source.line})`, severity: "warning" });
  const templates = renderedTemplates(ctx, stages, tasks, candidates.filter(isErb), problem);
  for (const file of [...templates, ...rendered.map((r) => r.file)]) perItem(ctx, { file }, "this nginx template", undefined, () => {
    const text = textOf(file);
    if (text === null) return;
    // A template in a stage's own folder (config/deploy/<stage>/, capistrano3-nginx 1.0's default
    // :nginx_template) is rendered for that stage alone: no other stage's deploy reads it.
    const owner = stages.find((s) => file.startsWith(`config/deploy/${s.name}/`));
    const rendering = owner ? [owner] : renderingStages(cap, tasks, file, stages, (p) => textOf(p) ?? "", problem);
    for (const stage of rendering.length ? rendering : stages.length ? [] : [null])
      perItem(ctx, { file }, `this nginx template${stage ? ` for stage ${stage.name}` : ""}`, undefined, () => {
      // A repo copy of capistrano3-puma's template renders with the gem's defaults for what the stage leaves unset.
      const withDefaults = stage ? pumaTemplateStage(ctx, stage, file, problem) : null;
      const rendered = renderTemplate(file, text, withDefaults ?? stage, problem);
      const opts: TreeOptions = { entryText: rendered.text, entryLine: rendered.lineOf };
      const tree = loadTree(ctx.repo, file, problem, opts);
      const directives = restoreTree(tree.directives, rendered.refs, stage?.name ?? null, problem);
      const site = nginxFile(file, stage?.name ?? null, directives, problem);
      const unrendered = notRenderedBy(tasks, file);
      files.push({ ...(withDefaults ? labelDefaultNames(site, withDefaults) : site), ...(unrendered ? { notRendered: unrendered } : {}) });
      });
  });
  // Another deployment's or a developer's file is read for nothing: named, with its hosts.
  for (const f of files)
    if (f.servesNoStage && !notServed.has(f))
      notServed.set(f, { why: "other-deployment", detail: "a config is kept per stage, and every absolute path this one serves lies under no stage's deploy_to", source: f.servesNoStage });
  const out = [...notServed].map(([f, n]) => ({ file: f.file, ...n, hosts: [...new Set(f.servers.flatMap((s) => s.serverNames.map((x) => x.value)))] }));
  return { files: files.filter((f) => !notServed.has(f)), ...(out.length ? { notServed: out } : {}) };
}

/**
 * Marks each plain file that two or more stages' own deploy files name (a quoted path ending in the
 * file's folder and name: `File.expand_path '../../../samples/nginx.conf', __FILE__` in each Mina
 * stage file): every one of those stages rendered it, so its hosts are theirs together.
 */
function sharedByStages(files: NginxFile[], stages: Stage[], text: (p: string) => string | null): void {
  // Counted once: a filter per stage over every stage was quadratic (10,000 stage files took 3 s here).
  const perFile = new Map<string, number>();
  for (const s of stages) perFile.set(s.source.file, (perFile.get(s.source.file) ?? 0) + 1);
  const own = stages.filter((s) => s.source.file !== "" && perFile.get(s.source.file) === 1);
  for (const f of files) {
    if (f.stage !== null || f.example) continue;
    const tail = f.file.split("/").slice(-2).join("/").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const named = new RegExp(`["'](?:[^"'\\s]*/)?${tail}["']`);
    const sources: Source[] = [];
    const by: string[] = [];
    for (const s of own) {
      const lines = (text(s.source.file) ?? "").split("\n");
      const i = lines.findIndex((l) => !/^\s*#/.test(l) && named.test(l));
      if (i >= 0) by.push(s.name), sources.push({ file: s.source.file, line: i + 1 });
    }
    if (by.length > 1) f.sharedBy = { stages: by, sources };
  }
}

/** A folder named for a developer's machine, never a server's: config/development/, dev/, local/. */
const DEVELOPMENT_FOLDER = /(?:^|\/)(?:development|dev|local|localhost)\//i;

/**
 * Plain files that are a developer's own nginx config, not one the servers ran: none of the paths
 * it serves lies under a stage's deploy_to, no deploy task links it, and either it sits in a
 * development-named folder or it serves a laptop path (/Users/<name>/…, macOS's homes). Such a
 * file gives no hosts, TLS, limits, sidecar or routes to any stage.
 */
function developmentConfigs(files: NginxFile[], stages: Stage[], tasks: TaskDef[]): Map<NginxFile, Omit<NginxNotServed, "file" | "hosts">> {
  const out = new Map<NginxFile, Omit<NginxNotServed, "file" | "hosts">>();
  const roots = stages.flatMap((s) => {
    const d = deployToOf(s)?.replace(/\/+$/, "");
    return d && d.startsWith("/") ? [d] : [];
  });
  const named = new Set(tasks.flatMap((t) => [...t.templates, ...(t.renders ?? []).map((r) => r.template)]));
  // macOS's homes only: a /home/<user>/ path is as often a server's deploy user's (an app deployed
  // under /home/deploy/apps while deploy_to says otherwise) as a developer's, so it says nothing.
  const laptop = (path: string): boolean => path.startsWith("/Users/");
  for (const f of files) {
    if (f.stage !== null || f.example || f.linkedFor || named.has(f.file)) continue;
    const paths = servedPaths(f);
    if (paths.some(({ path }) => roots.some((r) => path === r || path.startsWith(`${r}/`)))) continue;
    const home = paths.find(({ path }) => laptop(path));
    const folder = DEVELOPMENT_FOLDER.exec(f.file.slice(0, f.file.lastIndexOf("/") + 1));
    if (home) out.set(f, { why: "development", detail: `it serves ${home.path}, a path on a developer's machine, and no path under a stage's deploy_to`, source: home.source });
    else if (folder) out.set(f, { why: "development", detail: `it sits in a development-named folder (${f.file.slice(0, f.file.lastIndexOf("/") + 1)}) and serves no path under a stage's deploy_to`, source: f.servers[0]?.source ?? { file: f.file, line: 1 } });
  }
  return out;
}

/**
 * The stages whose deploy renders a template: every stage, unless each task naming it is defined or
 * hooked in some stages' runs only (`cap staging deploy` never loads production.rb): then another
 * stage's nginx config is not this file (its hosts are not that stage's). A stage whose run hit code
 * not followed keeps it, the doubt said (capistrano/stage-scope.ts writtenOnStage).
 */
function renderingStages(cap: CapistranoFacts | null, tasks: TaskDef[], file: string, stages: Stage[], text: (p: string) => string, problem: (p: Problem) => void): Stage[] {
  const writers = tasks.filter((t) => t.templates.includes(file) || (t.renders ?? []).some((r) => r.template === file));
  if (!cap || !writers.length) return stages;
  const on = writers.map((t) => writtenOnStage(cap, t, stages, text));
  const out: Stage[] = [];
  const off: { stage: string; why: string }[] = [];
  for (const st of stages) {
    const rs = on.map((f) => f(st));
    const doubt = rs.every((r) => !r.runs || r.doubt) ? rs.find((r) => r.runs && r.doubt) : undefined;
    if (rs.some((r) => r.runs)) out.push(st);
    else off.push({ stage: st.name, why: (rs[0] as { why: string }).why });
    if (doubt && doubt.runs) problem({ file, line: 1, severity: "warning", message: `nginx.stage-doubt: ${file} is read as stage ${st.name}'s nginx config, though no hook read in its deploy renders it: ${doubt.doubt}; confirm on a server of stage ${st.name}` });
  }
  if (off.length && out.length)
    problem({ file, line: 1, severity: "warning", message: `nginx.other-stages: ${file} is rendered by the deploy of stage${out.length > 1 ? "s" : ""} ${out.map((s) => s.name).join(", ")} only: not read as the nginx config of ${off.map((o) => `stage ${o.stage} (${o.why})`).join("; ")}` });
  else if (off.length) problem({ file, line: 1, severity: "warning", message: `nginx.other-stages: no stage's deploy renders ${file} (${off[0]!.why}): not read as any stage's nginx config` });
  return out;
}

/** Trees of other configuration tools (Chef cookbooks, Puppet modules): their ERB templates are rendered by those tools, never by the deploy. */
const OTHER_TOOL = /^(?:(?:.*\/)?(chef-repo|chef|cookbooks|site-cookbooks)\/|(?:.*\/)?(puppet)\/|(?:.*\/)?modules\/[^/]+\/(templates)\/)/;
/** Where Capistrano plugins and the usual `template` helpers look for a repo's own copy of their template: rendered by the plugin, with no task body naming it. */
const PLUGIN_TEMPLATE_DIRS = /^(?:config\/deploy\/|lib\/capistrano\/)/;

/**
 * The ERB nginx templates the deploy renders for its stages: one a loaded task names (its body
 * mentions it, or renders it through a helper), or one in a plugin's template folder
 * (config/deploy/, lib/capistrano/). Any other is rendered by nothing the deploy loads (a Capistrano 2
 * recipe no file requires, a Chef cookbook's template): named, never read as a stage's config.
 * Without a deploy (no stage), every template is read as before, unrendered.
 */
function renderedTemplates(ctx: AnalyzerContext, stages: Stage[], tasks: TaskDef[], erb: string[], problem: (p: Problem) => void): string[] {
  if (!stages.length) return erb;
  const named = new Set(tasks.flatMap((t) => [...t.templates, ...(t.renders ?? []).map((r) => r.template)]));
  const out: string[] = [];
  const otherTool = new Map<string, { tool: string; files: string[] }>();
  for (const file of erb) {
    const other = OTHER_TOOL.exec(file);
    if (other && !named.has(file)) {
      const root = other[0]!;
      const e = otherTool.get(root) ?? { tool: other[2] || other[3] ? "Puppet" : "Chef", files: [] };
      e.files.push(file);
      otherTool.set(root, e);
    } else if (named.has(file) || PLUGIN_TEMPLATE_DIRS.test(file)) out.push(file);
    else
      problem({
        file,
        line: 1,
        severity: "warning",
        message: `${file} is an nginx template no loaded deploy task renders (no task of a file the deploy loads names it): not read as any stage's nginx config`,
      });
  }
  for (const [root, e] of otherTool)
    problem({
      file: e.files[0]!,
      line: 1,
      severity: "warning",
      message: `${e.files.length} nginx template${e.files.length > 1 ? "s" : ""} under ${root} belong to ${e.tool} (another tool renders them, not the deploy): not read as any stage's nginx config (${e.files.slice(0, 3).join(", ")}${e.files.length > 3 ? ", …" : ""})`,
    });
  return out;
}

/**
 * A template no deploy task renders, where a task renders another template of its folder: that
 * sibling (and the line that renders it). Null when a task renders it, or when no task renders any
 * template of its folder (a plugin may render it: not said).
 */
function notRenderedBy(tasks: TaskDef[], file: string): { sibling: string; renders: Source } | null {
  const dir = file.slice(0, file.lastIndexOf("/") + 1);
  const renders = tasks.flatMap((t) => t.renders ?? []);
  if (renders.some((r) => r.template === file)) return null;
  const sibling = renders.find((r) => r.template.startsWith(dir) && !r.template.slice(dir.length).includes("/") && /nginx/i.test(r.template.slice(dir.length)));
  return sibling ? { sibling: sibling.template, renders: sibling.source } : null;
}

/**
 * The server names a rendering took from a gem's default nginx_server_name (capistrano3-puma's
 * "localhost <application>.local"), labelled as that gem's default so the report says whose they are.
 */
function labelDefaultNames(f: NginxFile, stage: Stage): NginxFile {
  const v = stage.variables["nginx_server_name"];
  if (!v?.defaultOf || typeof v.value !== "string") return f;
  const words = new Set(v.value.split(/\s+/));
  for (const s of f.servers) s.serverNames = s.serverNames.map((n) => (words.has(n.value) ? { ...n, defaultOf: v.defaultOf } : n));
  return f;
}

/**
 * Ties each plain file to the stage whose deploy_to holds the paths it serves (unix sockets of its
 * upstreams and proxy_pass, its roots), when that is one stage; the deepest deploy_to wins
 * (/srv/app/staging over /srv/app). Only where two or more files name two or more stages: the repo
 * keeps a config per stage, so each stage's hosts and limits are its own file's. One file naming
 * one stage's paths stays every stage's config, as before (a copy whose paths were not edited).
 */
function claimByDeployTo(files: NginxFile[], stages: Stage[]): void {
  const roots = stages.flatMap((s) => {
    const d = deployToOf(s)?.replace(/\/+$/, "");
    return d && d.startsWith("/") ? [{ stage: s.name, dir: d }] : [];
  });
  if (new Set(roots.map((r) => r.dir)).size < 2) return;
  const claims = new Map<NginxFile, Fact<string>>();
  for (const f of files) {
    if (f.stage !== null || f.example) continue;
    const named = new Map<string, Source>();
    for (const { path, source } of servedPaths(f)) {
      const under = roots.filter((r) => path === r.dir || path.startsWith(`${r.dir}/`));
      const deepest = Math.max(...under.map((r) => r.dir.length));
      const owners = under.filter((r) => r.dir.length === deepest);
      // two stages sharing one deploy_to: the path names neither
      if (owners.length === 1 && !named.has(owners[0]!.stage)) named.set(owners[0]!.stage, source);
    }
    if (named.size === 1) {
      const [[stage, source]] = [...named];
      claims.set(f, { value: stage!, source: source! });
    }
  }
  if (new Set([...claims.values()].map((c) => c.value)).size < 2) return;
  for (const [f, c] of claims) f.servesStage = c;
  // With a config per stage, an unclaimed file all of whose served paths are absolute and lie under
  // no stage's deploy_to is another deployment's (a template copied from another app): never a stage's.
  for (const f of files) {
    if (f.stage !== null || f.example || claims.has(f)) continue;
    const paths = servedPaths(f);
    if (paths.length && paths.every(({ path }) => path.startsWith("/") && !roots.some((r) => path === r.dir || path.startsWith(`${r.dir}/`)))) f.servesNoStage = paths[0]!.source;
  }
}

/** The server-side paths a file serves from: unix sockets it proxies to, and its roots. */
function servedPaths(f: NginxFile): { path: string; source: Source }[] {
  const out: { path: string; source: Source }[] = [];
  for (const u of f.upstreams) for (const s of u.servers) if (s.value.kind === "unix") out.push({ path: s.value.address, source: s.source });
  for (const s of f.servers) {
    if (s.root) out.push({ path: s.root.value, source: s.root.source });
    for (const l of s.locations) {
      const m = l.proxyPass ? /^https?:\/\/unix:(\/[^:]+)/.exec(l.proxyPass) : null;
      if (m) out.push({ path: m[1]!, source: l.source });
      // a location's own root or alias serves files from that path too
      for (const d of l.directives)
        if ((d.name === "root" || d.name === "alias") && d.args[0]?.startsWith("/")) out.push({ path: d.args[0].replace(/\/+$/, ""), source: d.source });
    }
  }
  return out;
}

function nginxFile(file: string, stage: string | null, read: ReturnType<typeof loadTree>["directives"], problem: (p: Problem) => void): NginxFile {
  const directives = withoutRefusedValues(read, problem);
  const { servers, upstreams } = extract(directives);
  return { file, stage, directives: toModel(directives), servers, upstreams, ...(EXAMPLE_SUFFIX.test(file) ? { example: true } : {}) };
}

/**
 * The tree without the directives whose value nginx itself refuses (an overflowing size or time):
 * `nginx -t` fails on them, so the servers never ran them and nothing generated may carry them.
 */
function withoutRefusedValues(nodes: TreeNode[], problem: (p: Problem) => void): TreeNode[] {
  const out: TreeNode[] = [];
  for (const n of nodes) {
    const why = n.block || n.args.some((a) => isUnresolved(a) || a.includes("$")) ? null : nginxValueRefusal(n.name, n.args);
    if (why) problem({ file: n.file, line: n.line, message: `${why}; \`nginx -t\` fails on it, so it is not carried into any generated file`, severity: "warning" });
    else out.push(n.block ? { ...n, block: withoutRefusedValues(n.block, problem) } : n);
  }
  return out;
}

export { parseConf } from "./conf-parser.js";
export { loadTree } from "./tree.js";
