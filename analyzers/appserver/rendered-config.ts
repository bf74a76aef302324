// A Unicorn or Puma config the deploy renders from an ERB template and uploads (the "Railscasts"
// recipes: `template "unicorn.rb.erb", "#{shared_path}/config/unicorn.rb"`): the servers run that
// rendering, with the stage's Capistrano variables, not the repo's config/unicorn.rb or config/puma.rb.
//
// The render calls come from the task bodies (analyzers/capistrano/tasks.ts reads them with
// Prism). A rendering is the stage's config when its destination, evaluated for the stage, is the
// path the server is started with there: the plugin variable (`unicorn_config_path`, `puma_conf`),
// the `-c`/`-C` of a start command in the deploy's tasks, service files and Procfile, or of a start
// command inside another template the deploy renders (an init script or a systemd unit). Only when
// nothing names the start path is the destination's shape (`…/config/unicorn.rb`) taken, and said.
import type { AnalyzerContext, AppServerConfig, Fact, LinkedPath, RValue, Source, Stage, TaskDef, Unknown } from "../../src/model.js";
import { isSym, railsEnvOf } from "../../src/model.js";
import { parseRuby, argsOf } from "../ruby/prism.js";
import { evaluate, rubyToS, type Scope } from "../ruby/evaluate.js";
import { renderErb, restoreRefs, type RenderedErb } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { readUnicorn } from "./unicorn.js";
import { readPuma } from "./puma.js";
import { CONFIG_VARIABLE, deployToOf, type ServerKind } from "./files.js";
import { COMMANDS } from "./started.js";
import { configTemplateKind } from "./config-templates.js";
import { FLAG, type NamedConfig } from "./named-configs.js";

export interface RenderedUpload {
  kind: ServerKind;
  template: string;
  /** The destination as written in the task (a Ruby expression). */
  destination: string;
  task: TaskDef;
  /** The `template` call. */
  source: Source;
  /** A per-stage template: rendered on this stage only (TemplateRender.stage). */
  stage?: string;
}

/** A rendered config for one stage, with why it is the one the server started. */
export interface RenderedChoice {
  upload: RenderedUpload;
  /** The destination evaluated for the stage. */
  path: string | null;
  /** Where the server's start names that path; null when only the destination's shape says so. */
  startedAt: Source | null;
}

// Destinations the servers are started with by convention, when no start command names one.
const DEST_SHAPE: Record<ServerKind, RegExp> = {
  unicorn: /(?:^|\/|\})config\/unicorn(?:\/[\w.-]+)?\.rb["']?$|unicorn_config/,
  puma: /(?:^|\/|\})(?:config\/)?puma(?:\/[\w.-]+)?\.rb["']?$|puma_conf/,
};

/** Every server config template a task renders, by kind. */
export function renderedUploads(ctx: AnalyzerContext, tasks: TaskDef[]): RenderedUpload[] {
  const out: RenderedUpload[] = [];
  for (const task of tasks)
    for (const r of task.renders ?? []) {
      const kind = configTemplateKind(ctx, r.template);
      if (!kind) continue;
      if (!out.some((o) => o.template === r.template && o.destination === r.destination)) out.push({ kind, template: r.template, destination: r.destination, task, source: r.source, ...(r.stage !== undefined ? { stage: r.stage } : {}) });
    }
  return out;
}

/** A Ruby path expression (`"#{shared_path}/config/unicorn.rb"`, `shared_path.join("puma.rb")`) for a stage. */
export function stagePath(expr: string, stage: Stage): string | null {
  const parsed = parseRuby("(path)", expr);
  const node = parsed.root?.statements?.body?.[0];
  if (!node || parsed.errors.length) return null;
  return normal(rubyToS(evaluate(node, parsed, releaseScope(stage))));
}

/**
 * The stage's scope, where the release being deployed (`release_path`, Capistrano 2's
 * `latest_release`) is the one `current` points to once deployed: a file uploaded into it is the
 * file the servers start from `<deploy_to>/current`.
 */
function releaseScope(stage: Stage): Scope {
  const base = stageScope(stage);
  const current = deployToOf(stage)?.replace(/\/+$/, "");
  return {
    ...base,
    call(node, ev) {
      if (current && !node.receiver && argsOf(node).length === 0 && (node.name === "release_path" || node.name === "latest_release")) return `${current}/current`;
      return base.call?.(node, ev);
    },
  };
}

const normal = (s: string | null): string | null => (s && s.startsWith("/") && !/R2K_REF_/.test(s) ? s.replace(/\/+/g, "/").replace(/\/$/, "") : null);

/** The paths the deploy starts `kind` with on a stage, each with the line that says so. */
export function startPaths(ctx: AnalyzerContext, stage: Stage, kind: ServerKind, named: NamedConfig[], tasks: TaskDef[]): { path: string; source: Source }[] {
  const out: { path: string; source: Source }[] = [];
  const add = (path: string | null, source: Source) => {
    if (path && !out.some((o) => o.path === path)) out.push({ path, source });
  };
  const v = stage.variables[CONFIG_VARIABLE[kind]];
  if (v) add(normal(rubyToS(v.value)), v.source);
  // init scripts and units the deploy renders: their start command, rendered for the stage
  const seen = new Set<string>();
  for (const t of tasks)
    for (const r of t.renders ?? []) {
      if (seen.has(r.template) || (r.stage !== undefined && r.stage !== stage.name) || configTemplateKind(ctx, r.template)) continue;
      seen.add(r.template);
      const read = ctx.repo.read(r.template);
      if (!("text" in read)) continue;
      // shell variables the script sets before its start line (`APP_ROOT=<%= current_path %>`)
      const shellVars = new Map<string, string>();
      read.text.split(/\r?\n/).forEach((line, i) => {
        const assign = /^\s*(?:export\s+)?([A-Za-z_]\w*)=(["']?)(.*)\2\s*$/.exec(line);
        const value = assign ? renderErb(r.template, assign[3]!, releaseScope(stage)).output.replace(/\$\{?(\w+)\}?/g, (x, n) => shellVars.get(n) ?? x) : "";
        if (assign && !/\s/.test(value)) shellVars.set(assign[1]!, value);
        const hit = COMMANDS.find(([re, k]) => k === kind && re.test(line));
        if (!hit) return;
        const at = hit[0].exec(line)!.index;
        const rendered = renderErb(r.template, line.slice(at), releaseScope(stage)).output;
        const m = FLAG.exec(rendered);
        if (m) add(normal(m[1]!.replace(/\$\{?(\w+)\}?/g, (x, n) => shellVars.get(n) ?? x)), { file: r.template, line: i + 1 });
      });
    }
  const deployTo = deployToOf(stage)?.replace(/\/+$/, "");
  // the deploy's own start lines before a Procfile's (often Heroku's) web line
  for (const n of [...named.filter((x) => !x.source.file.startsWith("Procfile")), ...named.filter((x) => x.source.file.startsWith("Procfile"))]) {
    if (n.kind !== kind || (n.stage !== null && n.stage !== stage.name)) continue;
    if (n.path !== null) add(deployTo ? `${deployTo}/current/${n.path}` : null, n.source);
    else if (/#\{/.test(n.written)) add(stagePath(`"${n.written.replace(/"/g, '\\"')}"`, stage), n.source);
    // a server path written out (`puma -C /srv/www/app/shared/puma.rb`): a rendering uploaded there is it
    else if (n.written.startsWith("/") && !/[$<%`]/.test(n.written)) add(normal(n.written), n.source);
  }
  return out;
}

/** The rendered config a stage's server started, if any; null when its start names another file. */
export function renderedChoice(ctx: AnalyzerContext, stage: Stage, kind: ServerKind, uploads: RenderedUpload[], named: NamedConfig[], tasks: TaskDef[], linked: LinkedPath[] = []): RenderedChoice | null {
  const mine = uploads.filter((u) => u.kind === kind && (u.stage === undefined || u.stage === stage.name));
  if (!mine.length) return null;
  const starts = startPaths(ctx, stage, kind, named, tasks);
  const withPath = mine.map((upload) => ({ upload, path: stagePath(upload.destination, stage) }));
  // A rendering into shared/ that the deploy links into each release (linked_files, `ln -nfs` in a
  // task) is the file a start from current/ reads.
  const base = deployToOf(stage)?.replace(/\/+$/, "");
  const inRelease = (p: string | null): string | null => {
    if (!p || !base || !p.startsWith(`${base}/shared/`)) return null;
    const rel = p.slice(`${base}/shared/`.length);
    return linked.some((l) => l.kind === "file" && l.path === rel && (!l.stages.length || l.stages.includes(stage.name))) ? `${base}/current/${rel}` : null;
  };
  if (starts.length) {
    for (const w of withPath) {
      const s = starts.find((x) => x.path === w.path || (x.path !== null && x.path === inRelease(w.path)));
      if (s) return { ...w, startedAt: s.source };
    }
    return null;
  }
  const shaped = withPath.find((w) => DEST_SHAPE[kind].test(w.upload.destination));
  return shaped ? { ...shaped, startedAt: null } : null;
}

/** The template rendered for one stage and read as Unicorn or Puma reads the uploaded file. */
export function renderedServerConfig(ctx: AnalyzerContext, up: RenderedUpload, stage: Stage): AppServerConfig | null {
  const file = up.template;
  const read = ctx.repo.read(file);
  if (!("text" in read)) return null;
  const out = renderErb(file, read.text, stageScope(stage), ctx.problem, { branches: true });
  const name = up.kind === "unicorn" ? "Unicorn" : "Puma";
  for (const l of out.logic)
    ctx.problem({ file, line: l.line, message: `${name} config template: Ruby code tag (<% %>) not run for stage ${stage.name} (its condition or code is not known statically); every branch under it is read as if rendered`, severity: "warning" });
  // A token standing alone (`worker_processes R2K_REF_0_`) would read as a method call: quoted, it
  // is a String that restoreRefs turns back into the tag's value (an unknown named by file:line).
  // ERB writes a Symbol as its name: inside a string (`"/tmp/unicorn.<%= stage %>.sock"`) that is text.
  let text = out.output;
  for (const [token, v] of out.refs) if (isSym(v)) text = text.replace(new RegExp(`(?<![\\s(,=]|^)${token}|${token}(?![\\s),]|$)`, "gm"), v.sym);
  const parsed = parseRuby(file, text.replace(/(^|[\s(,=])(R2K_REF_\d+_)(?=[\s),]|$)/gm, '$1"$2"'));
  const base = { file, env: railsEnvOf(stage), stages: [stage.name] };
  const cfg = up.kind === "unicorn" ? readUnicorn(parsed, base, null, railsEnvOf(stage)) : readPuma(parsed, base, null, railsEnvOf(stage));
  backToTemplate(cfg, out.refs, out.lines, file, out);
  return cfg;
}

/**
 * A Unicorn or Puma config read from a template's rendering, pointed back at the template: each
 * fact's value gets the tags' values again (restoreRefs) and its line the template line it came from.
 * With `branches` (the rendering, read with every branch of an undecided `<% if %>`), a setting
 * (not a hook) under such a branch is not known: it holds only if that branch ran. One mapping for
 * every reader of a rendered server config (this module, unicorn-nginx.ts, mb-unicorn.ts,
 * nginx-unicorn-cap2.ts).
 */
export function backToTemplate(cfg: AppServerConfig, refs: RenderedErb["refs"], map: number[], file: string, branches?: RenderedErb): void {
  const line = (l: number) => map[l] ?? l;
  const fix = <T>(f: Fact<T> | null, branchesToo: boolean): Fact<T> | null =>
    f ? { ...f, value: ((branchesToo && branches ? undecidedAt(branches, file, f.source.line) : null) ?? restoreRefs(f.value as RValue, refs)) as T, source: { file, line: line(f.source.line) } } : null;
  for (const k of ["workers", "threads", "timeout", "preloadApp", "pid", "stdoutPath", "stderrPath", "workingDirectory"] as const) (cfg as any)[k] = fix(cfg[k] as Fact<RValue> | null, true);
  cfg.listen = cfg.listen.map((l) => ({ ...l, address: restoreRefs(l.address, refs), source: { file, line: line(l.source.line) } }));
  cfg.hooks = cfg.hooks.map((h) => fix(h, false)!);
  if (cfg.hookCalls) cfg.hookCalls = cfg.hookCalls.map((h) => fix(h, false)!);
}

/**
 * A setting read at an output line inside a conditional of the template whose condition is not
 * known: it holds only if that branch ran, so its value is not known (null when no such branch).
 */
export function undecidedAt(out: RenderedErb, file: string, outputLine: number): Unknown | null {
  const r = out.undecided.find((u) => outputLine >= u.from && outputLine <= u.to);
  return r ? { unknown: `set under \`<% ${r.condition.trim().replace(/\s+/g, " ").slice(0, 60)} %>\`, not known statically`, source: { file, line: r.line } } : null;
}
