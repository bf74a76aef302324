// A Unicorn config the deploy renders from an ERB template and uploads (the "Railscasts" recipes:
// `template "unicorn.rb.erb", "#{shared_path}/config/unicorn.rb"`): the servers run that rendering,
// with the stage's Capistrano variables, not the repo's config/unicorn.rb.
import type { AnalyzerContext, AppServerConfig, Fact, RValue, Stage, TaskDef } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { parseRuby } from "../ruby/prism.js";
import { renderErb, restoreRefs } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { lineMap } from "../nginx/template.js";
import { readUnicorn } from "./unicorn.js";

export interface RenderedUpload {
  template: string;
  destination: string;
  task: TaskDef;
}

// `template "unicorn.rb.erb", "#{shared_path}/config/unicorn.rb"` (the recipe's helper, parenthesised or not)
const TEMPLATE_CALL = /\btemplate\s*\(?\s*["']([^"'#]*unicorn[^"'#]*\.erb)["']\s*,\s*["']([^"']+)["']/g;
// Destinations the server is started with: the conventional shared/ path or the plugin's variable.
const UNICORN_DEST = /(?:^|\/|\})config\/unicorn(?:\/[\w.-]+)?\.rb$|unicorn_config/;

/** Tasks that render a Unicorn template to the path the servers start Unicorn with. */
export function renderedUnicornUploads(ctx: AnalyzerContext, tasks: TaskDef[]): RenderedUpload[] {
  const out: RenderedUpload[] = [];
  for (const task of tasks) {
    const erbs = task.templates.filter((t) => /unicorn[^/]*\.rb\.erb$/.test(t));
    if (!erbs.length) continue;
    const r = ctx.repo.read(task.source.file);
    if (!("text" in r)) continue;
    // the task's own body: from its line to the next task definition
    const lines = r.text.split("\n").slice(task.source.line - 1);
    const end = lines.findIndex((l, i) => i > 0 && /^\s*(?:task|desc|namespace)\b/.test(l));
    const body = (end > 0 ? lines.slice(0, end) : lines).join("\n");
    for (const m of body.matchAll(TEMPLATE_CALL)) {
      const template = erbs.find((t) => t === m[1] || t.endsWith(`/${m[1]}`));
      if (template && UNICORN_DEST.test(m[2]!) && !out.some((o) => o.template === template)) out.push({ template, destination: m[2]!, task });
    }
  }
  return out;
}

/** The template rendered for one stage and read as Unicorn reads the uploaded file. */
export function renderedUnicornConfig(ctx: AnalyzerContext, up: RenderedUpload, stage: Stage): AppServerConfig | null {
  const file = up.template;
  const read = ctx.repo.read(file);
  if (!("text" in read)) return null;
  const out = renderErb(file, read.text, stageScope(stage), ctx.problem);
  for (const l of out.logic)
    ctx.problem({ file, line: l.line, message: `Unicorn config template: Ruby code tag (<% %>) not run for stage ${stage.name}; every branch is read as if rendered`, severity: "warning" });
  const map = lineMap(read.text, out.output);
  // A token standing alone (`worker_processes R2K_REF_0_`) would read as a method call: quoted, it
  // is a String that restoreRefs turns back into the tag's value (an unknown named by file:line).
  const parsed = parseRuby(file, out.output.replace(/(^|[\s(,=])(R2K_REF_\d+_)(?=[\s),]|$)/gm, '$1"$2"'));
  const cfg = readUnicorn(parsed, { file, env: railsEnvOf(stage), stages: [stage.name] }, null, railsEnvOf(stage));
  const fix = <T>(f: Fact<T> | null): Fact<T> | null =>
    f ? { ...f, value: restoreRefs(f.value as RValue, out.refs) as T, source: { file, line: map[f.source.line] ?? f.source.line } } : null;
  for (const k of ["workers", "threads", "timeout", "preloadApp", "pid", "stdoutPath", "stderrPath", "workingDirectory"] as const)
    if (k in cfg) (cfg as any)[k] = fix((cfg as any)[k] as Fact<RValue> | null);
  cfg.listen = cfg.listen.map((l) => ({ ...l, address: restoreRefs(l.address, out.refs), source: { file, line: map[l.source.line] ?? l.source.line } }));
  cfg.hooks = cfg.hooks.map((h) => fix(h)!);
  return cfg;
}
