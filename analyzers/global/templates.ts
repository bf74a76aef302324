// Global files Capistrano writes on the servers: ERB templates rendered per stage (with the stage's
// variables: `fetch(:s3_bucket)`) and uploaded into config/global, usually under shared/ and linked
// into each release. Found under config/deploy/templates/global/ and wherever a Capistrano task
// reads a `.yml.erb` template and uploads into a config/global directory.
import type { AnalyzerContext, CapistranoFacts, Source, Stage, RValue, TaskDef } from "../../src/model.js";
import { stageScope } from "../ruby/stage-scope.js";
import { parseGlobalText, type GlobalFile } from "./read-file.js";
import { hasPath } from "../../src/model.js";

export interface TemplateSpec {
  template: string;
  /** Where the rendered file lands, relative to the release (e.g. config/global/aws.yml). */
  target: string;
  source: Source;
  /** The deploy tasks that render it (none: found by its place, rendered for every stage). */
  writers: TaskDef[];
}

const TEMPLATE_DIR = /^config\/deploy\/templates\/global\/(.+\.ya?ml)\.erb$/;

export function findTemplates(ctx: AnalyzerContext, dir: string, cap: CapistranoFacts | null): TemplateSpec[] {
  const out = new Map<string, TemplateSpec>();
  const add = (template: string, rel: string, source: Source, writer?: TaskDef) => {
    if (!out.has(template)) out.set(template, { template, target: `${dir}/${rel}`, source, writers: [] });
    if (writer && !out.get(template)!.writers.includes(writer)) out.get(template)!.writers.push(writer);
  };
  for (const task of cap?.tasks ?? []) {
    const toGlobal = task.uploads.filter((u) => u.includes(`${dir}/`) || /config\/global\//.test(u));
    const uploadsToGlobal = toGlobal.length > 0;
    // One destination in config/global for every template the task renders: the name each lands
    // under is read from it (`#{File.basename(t, '.erb')}`), not from where the template lives.
    const dest = toGlobal.length === 1 ? destinationRule(toGlobal[0]!, dir) : null;
    for (const t of task.templates) {
      if (!/\.ya?ml\.erb$/.test(t)) continue;
      const m = /\/global\/(.+)\.erb$/.exec(t);
      if (!m && !uploadsToGlobal) continue;
      if (!hasPath(ctx.repo, t)) {
        ctx.problem({ ...task.source, message: `task ${task.name} renders ${t}, which is not in the repo`, severity: "warning" });
        continue;
      }
      // A template kept under a `global/` folder outside the Global dir (config/deploy/templates/
      // global/aws.yml.erb) is named by its place there, as before; one inside the Global dir
      // itself cannot be: its folder is a namespace of its own on the servers too.
      if (dest && "unresolved" in dest && !(m && !t.startsWith(`${dir}/`))) {
        ctx.problem({ ...task.source, message: `task ${task.name} uploads ${t} rendered to ${dest.unresolved}: the file name on the servers cannot be resolved here, so its Global namespace is not known; the values the servers have from it are missing`, severity: "warning" });
        continue;
      }
      const base = t.split("/").pop()!.replace(/\.erb$/, "");
      // The name it is uploaded under: the template's, without `.erb` (`x.yaml` is skipped by Global).
      add(t, dest && "name" in dest ? dest.name(base) : m ? m[1] : base, task.source, task);
    }
  }
  for (const p of ctx.repo.paths) {
    const m = TEMPLATE_DIR.exec(p);
    if (m) add(p, m[1], { file: p, line: 1 });
  }
  return [...out.values()].sort((a, b) => (a.template < b.template ? -1 : 1));
}

/**
 * The path under the Global dir an upload destination names (`#{release_path}/config/global/x.yml`,
 * `.../config/global/#{File.basename(t, '.erb')}`), as a rule from the template's own basename
 * (without `.erb`). Any other interpolation in the file name is not resolved: said, never guessed.
 */
function destinationRule(upload: string, dir: string): { name: (base: string) => string } | { unresolved: string } | null {
  const at = upload.lastIndexOf(`${dir}/`);
  const other = upload.search(/config\/global\//);
  if (at < 0 && other < 0) return null;
  const i = at >= 0 ? at + dir.length + 1 : other + "config/global/".length;
  const rest = upload.slice(i);
  const slash = rest.lastIndexOf("/");
  const sub = slash >= 0 ? rest.slice(0, slash + 1) : "";
  const file = rest.slice(slash + 1);
  if (sub.includes("#{")) return { unresolved: upload };
  if (!file.includes("#{")) return file ? { name: () => `${sub}${file}` } : null;
  const basename = /^#\{\s*(?:::)?File\.basename\(\s*[a-z_]\w*\s*,\s*(["'])\.erb\1\s*\)\s*\}$/;
  const chomped = /^#\{\s*(?:::)?File\.basename\(\s*[a-z_]\w*\s*\)\.(?:chomp|delete_suffix)\(\s*(["'])\.erb\1\s*\)\s*\}$/;
  if (basename.test(file) || chomped.test(file)) return { name: (base) => `${sub}${base}` };
  return { unresolved: upload };
}

/** Renders a template for a stage and reads it as Global would read the uploaded file. */
export function renderTemplate(ctx: AnalyzerContext, spec: TemplateSpec, stage: Stage): GlobalFile {
  const r = ctx.repo.read(spec.template);
  if ("error" in r) {
    ctx.problem({ file: spec.template, line: 0, message: r.error, severity: "error" });
    return { file: spec.template, ruby: null, raises: r.error, envReads: [] };
  }
  return parseGlobalText(ctx, spec.template, r.text, { scope: stageScope(stage), trims: true });
}

/** Whether the stage links the target from shared/ (else the release's own file is what Global reads). */
export function linkedIn(stage: Stage, target: string): boolean {
  const v: RValue | undefined = stage.variables["linked_files"]?.value;
  if (Array.isArray(v) && v.some((x) => x === target)) return true;
  // A linked directory holding it (`linked_dirs` config/global): the target is in the servers' shared/ copy too.
  const d: RValue | undefined = stage.variables["linked_dirs"]?.value;
  return Array.isArray(d) && d.some((x) => typeof x === "string" && x.replace(/\/+$/, "") !== "" && target.startsWith(`${x.replace(/\/+$/, "")}/`));
}
