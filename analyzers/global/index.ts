// The global gem's config, by the gem's own loading rules, per Rails environment and stage.
//
// 1. Where: config/global, or the `path:` an initializer gives (setup.ts).
// 2. How each environment's configuration is built: Global's filesystem backend (backend.ts) over
//    the files as read by ERB + Psych (read-file.ts), merged with ActiveSupport's deep_merge.
// 3. What the servers had: ERB templates Capistrano renders per stage into config/global
//    (templates.ts) replace the repo's file for that stage; an environment deployed by stages takes
//    its values from them.
// 4. The model: one namespace per file/directory with values per environment, each leaf's
//    file:line, and the leaves that hold a secret written in the file (namespaces.ts).
import type { AnalyzerContext, GlobalFacts, GlobalNamespace, GlobalTemplate, Problem, RValue, Source, Stage, RailsFacts, CapistranoFacts } from "../../src/model.js";
import { hasPath, railsEnvIsCap2Default, railsEnvOf, reportUnusable, setOwn, startedRailsEnv } from "../../src/model.js";
import { writtenOnStage } from "../capistrano/stage-scope.js";
import { isRubyHash, keyString, type RubyHash } from "../ruby/yaml.js";
import { same } from "../ruby/evaluate.js";
import { readSetup, SETUP_PLACES } from "./setup.js";
import { gemOnRuby, filesOnPsych4 } from "./old-ruby.js";
import { reportGlobalPatches } from "./patches.js";
import { entriesByDir, filesystemBackend, type GlobalRaise } from "./backend.js";
import type { GlobalFile } from "./read-file.js";
import { findTemplates, renderTemplate, linkedIn, type TemplateSpec } from "./templates.js";
import { sliceNamespaces, firstSources, secretLeaves, markProvenance, type NamespaceSlice } from "./namespaces.js";

/** Top-level keys that hold shared blocks for anchors, not an environment's section. */
const SHARED_BLOCK = /^(defaults?|shared|common|base|all|global|_.*)$/i;

export function analyzeGlobal(ctx: AnalyzerContext, stages: Stage[], rails: RailsFacts, cap: CapistranoFacts | null): GlobalFacts | null {
  const seen = new Set<string>();
  const problem = (p: Problem) => {
    const key = `${p.file}\0${p.line}\0${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      ctx.problem(p);
    }
  };
  const c: AnalyzerContext = { repo: ctx.repo, problem, ...(ctx.unusable ? { unusable: ctx.unusable } : {}) };

  const setup = readSetup(c);
  const dir = setup.dir;
  const gemVersion = rails.gems["global"]?.value ?? null;
  const templates = findTemplates(c, dir, cap);
  const paths = ctx.repo.paths;
  const hasFiles = paths.some((p) => p.startsWith(`${dir}/`) || p === `${dir}.yml`);
  if (!gemVersion && !hasFiles && !setup.source && templates.length === 0) return null;

  versionNotes(c, gemVersion, rails, setup.source);
  gemOnRuby(c, gemVersion, rails);
  reportGlobalPatches(c, dir);
  if (!hasFiles && templates.length === 0) {
    problem({ file: setup.source?.file ?? "Gemfile.lock", line: setup.source?.line ?? 0, message: `Global is used but ${dir} has no files in the repo: its settings exist on the servers only`, severity: "warning" });
  }

  // The app does not boot with a file Global raises on: no config can be carried over from it.
  // A file rails2k8s could not read itself (over its size limit) may load fine in Ruby, but its
  // settings cannot be carried over: config_for would get a namespace without its values, so that
  // is unusable input too, said as what it is.
  const raise = (e: GlobalRaise) => {
    const message = e.certain ? `Global raises loading this file: ${e.message}` : `not read by rails2k8s (${e.message}), so its settings cannot be carried over to config_for`;
    reportUnusable(c, { file: e.file, line: e.line, message });
  };
  const cache = new Map<string, GlobalFile>();
  const subtrees = new Map<string, RubyHash>();
  const activeSupport = rails.gems["activesupport"]?.value ?? rails.gems["rails"]?.value ?? null;
  const legacy = gemVersion !== null && parseInt(gemVersion, 10) === 0;
  if (legacy) legacyNames(c, dir, gemVersion!);
  const repoBackend = filesystemBackend(c, dir, { cache, subtrees, onRaise: raise, activeSupport, legacy });

  // Rails env per stage: the stage's rails_env (capistrano-rails: else the stage name).
  for (const s of stages) {
    // Capistrano 2's own default (`_cset :rails_env, "production"`) is not the stage setting one.
    // A start line that decides the env (startedRailsEnv) is cited in the overlay's provenance instead.
    if ((!s.variables["rails_env"] || railsEnvIsCap2Default(s)) && !startedRailsEnv(s)) {
      problem({ ...s.source, message: `stage ${s.name} sets no rails_env: Global's environment taken as "${railsEnvOf(s)}" (capistrano-rails uses the stage name)`, severity: "warning" });
    }
  }
  const globalEnvOf = (railsEnv: string) => setup.environment ?? railsEnv;

  // The files as each stage's servers have them: templates rendered with the stage's variables.
  const rendered = new Map<string, Map<string, GlobalFile>>();
  const writtenOn = templates.map((t) => writtenOnStages(c, cap, t, stages));
  for (const s of stages) {
    const overrides = new Map<string, GlobalFile>();
    templates.forEach((t, i) => {
      // A template only some stages' deploys render (its task or hook written in their files) is
      // not what this stage's servers read: theirs is the release's file, or a linked one nobody in
      // the repo wrote (said); never the rendering of a task this stage's deploy does not have.
      const w = writtenOn[i]!(s);
      if (w.runs) overrides.set(t.target, renderTemplate(c, t, s));
      if (!w.runs)
        problem({
          ...t.source,
          message: `global.template-other-stages: stage ${s.name}'s deploy does not render ${t.template} (${w.why}): ${linkedIn(s, t.target) ? `its servers' ${t.target} is linked from shared/ and nothing in the repo wrote it there, so what Global read from it on stage ${s.name} is not known; it is read here as the repo's` : `its servers read the release's ${t.target}${hasPath(c.repo, t.target) ? " (the repo's)" : ", which the repo does not hold"}`}`,
          severity: "warning",
        });
      else if (w.doubt) problem({ ...t.source, message: `global.template-stage-doubt: ${t.template} is read as rendered for stage ${s.name}, though no hook read in its deploy runs the task: ${w.doubt}; confirm on a server of stage ${s.name}`, severity: "warning" });
    });
    rendered.set(s.name, overrides);
  }
  templateNotes(c, templates, stages, rendered);

  const plainFiles: NonNullable<GlobalFacts["plainFiles"]> = [];
  const envs = environments(c, dir, stages, repoBackend, rendered, globalEnvOf, plainFiles);
  filesOnPsych4(c, gemVersion, rails, repoBackend.files());
  const stageEnvs = new Set(stages.map(railsEnvOf));

  // Each environment's configuration; per stage where templates make the servers differ.
  const configs = new Map<string, { config: RubyHash; stage: string | null }[]>();
  for (const env of envs) {
    const group = stages.filter((s) => railsEnvOf(s) === env);
    if (group.length && templates.length) {
      configs.set(
        env,
        group.map((s) => ({ config: filesystemBackend(c, dir, { cache, subtrees, overrides: rendered.get(s.name), onRaise: raise, activeSupport, legacy }).load(globalEnvOf(env)), stage: s.name })),
      );
    } else configs.set(env, [{ config: repoBackend.load(globalEnvOf(env)), stage: null }]);
  }

  const globalPaths = paths.filter((p) => p.startsWith(dir));
  // Asked again for every env and stage: pure in the name, so computed once.
  const entries = entriesByDir(globalPaths);
  const childrenOf = memo((name: string) => childNamespaces(entries, `${dir}/${name.split(".").join("/")}`));
  const ownFiles = memo((name: string) => namespaceFiles(entries, dir, name, templates));
  const byName = new Map<string, GlobalNamespace & { secretPaths: string[] }>();
  const templateValues = new Map<string, Record<string, RValue>>();
  const targets = new Map(templates.map((t) => [namespaceOf(t.target, dir), t] as const));
  // A leaf's source is taken from the first environment that has it: deployed ones, production first.
  const weight = (e: string) => (stageEnvs.has(e) ? 0 : e === "production" ? 1 : 2);
  const sourceOrder = [...envs].sort((a, b) => weight(a) - weight(b));

  for (const env of sourceOrder) {
    const variants = configs.get(env)!;
    const slices = variants.map((v) => ({ stage: v.stage, slices: new Map(sliceNamespaces(v.config, childrenOf, ownFiles, `${dir}.yml`).map((x) => [x.name, x] as const)) }));
    const names = new Set(slices.flatMap((v) => [...v.slices.keys()]));
    for (const name of names) {
      const first = slices.find((v) => v.slices.has(name))!;
      const slice = first.slices.get(name)!;
      const ns = byName.get(name) ?? { name, files: [], values: {}, sources: {}, secretPaths: [] };
      byName.set(name, ns);
      setOwn(ns.values, env, slice.value);
      ns.sources = firstSources(ns.sources, slice.sources);
      if ([...slice.files].some((f) => !ns.files.includes(f))) ns.files = orderFiles([...new Set([...ns.files, ...slice.files])], dir, name);
      for (const p of secretLeaves(slice.value)) if (!ns.secretPaths.includes(p)) ns.secretPaths.push(p);
      differingStages(c, name, env, slices, targets.get(name));
      for (const v of slices) {
        if (v.stage === null || !targets.has(name) || !rendered.get(v.stage)?.has(targets.get(name)!.target)) continue;
        const rec = templateValues.get(name) ?? {};
        setOwn(rec, v.stage, v.slices.get(name)?.value ?? {});
        templateValues.set(name, rec);
      }
    }
  }

  const namespaces = [...byName.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((ns) => (markProvenance(ns.sources), { ...ns, values: orderEnvs(ns.values, envs), secretPaths: ns.secretPaths.sort() }));
  const globalTemplates: GlobalTemplate[] = templates.map((t) => ({
    template: t.template,
    target: t.target,
    rendered: templateValues.get(namespaceOf(t.target, dir)) ?? {},
    source: t.source,
  }));
  return { dir, gemVersion, namespaces, templates: globalTemplates, ...(plainFiles.length ? { plainFiles } : {}) };
}

/**
 * The Rails environments to give values for: those the stages deploy, those the app defines
 * (config/environments/*.rb), and every environment section or overlay the files hold.
 */
function environments(
  c: AnalyzerContext,
  dir: string,
  stages: Stage[],
  repoBackend: ReturnType<typeof filesystemBackend>,
  rendered: Map<string, Map<string, GlobalFile>>,
  globalEnvOf: (e: string) => string,
  plainFiles: NonNullable<GlobalFacts["plainFiles"]> = [],
): string[] {
  const envs: string[] = [];
  const add = (e: string) => {
    if (e && !envs.includes(e)) envs.push(e);
  };
  stages.map(railsEnvOf).forEach(add);
  const fromFiles: string[] = [];
  for (const p of c.repo.paths) {
    const m = /^config\/environments\/([^/.]+)\.rb$/.exec(p);
    if (m) fromFiles.push(m[1]);
  }
  // Reading one environment reads every namespace file (overlays only for that environment).
  repoBackend.load(globalEnvOf(envs[0] ?? "production"));
  const files = [...repoBackend.files(), ...[...rendered.values()].flatMap((m) => [...m.values()])];
  const known = new Set([...envs, ...fromFiles, "development", "test", "production", "staging"]);
  for (const f of files) {
    // Overlays (`x.production.yml`) hold no sections: their keys are not environments.
    if (!isRubyHash(f.ruby) || /\.[^/.]+\.yml$/.test(f.file)) continue;
    const keys = [...f.ruby.entries.values()].filter((e) => e.value === null || isRubyHash(e.value)).map((e) => keyString(e.key, e.floatKey));
    // Beside a `default` section, the other sections are environments (shared blocks aside);
    // without one, only names known as environments are.
    const sectioned = keys.includes("default");
    // No `default` and no environment key: Global reads nothing of this file (issue 12).
    const allKeys = [...f.ruby.entries.values()].map((e) => keyString(e.key, e.floatKey));
    if (!sectioned && allKeys.length && !allKeys.some((k) => known.has(k)) && !plainFiles.some((p) => p.file === f.file)) {
      const first = [...f.ruby.entries.values()][0] as { line?: number } | undefined;
      plainFiles.push({ file: f.file, line: first?.line ?? 1, keys: allKeys });
    }
    for (const k of keys) if (k !== "default" && !SHARED_BLOCK.test(k) && (sectioned || known.has(k))) fromFiles.push(k);
  }
  const paths = new Set(c.repo.paths);
  for (const p of c.repo.paths) {
    if (!p.startsWith(`${dir}/`)) continue;
    const m = /^(.*\/[^/.]+)\.([^/.]+)\.yml$/.exec(p);
    if (m && paths.has(`${m[1]}.yml`)) fromFiles.push(m[2]);
  }
  fromFiles.sort().forEach(add);
  // No stage, no config/environments, no section: Global still reads `default` for any env.
  if (envs.length === 0) add("production");
  return envs;
}

function orderEnvs(values: Record<string, RValue>, envs: string[]): Record<string, RValue> {
  const out: Record<string, RValue> = {};
  for (const e of envs) if (Object.hasOwn(values, e)) setOwn(out, e, values[e]!);
  return out;
}

function memo<T>(fn: (name: string) => T): (name: string) => T {
  const cache = new Map<string, T>();
  return (name) => {
    if (!cache.has(name)) cache.set(name, fn(name));
    return cache.get(name)!;
  };
}

/** A directory's nested namespaces as Global names them (hidden and dotted names skipped). */
function childNamespaces(entries: Map<string, Set<string>>, dirPath: string): string[] {
  const names = new Set<string>();
  for (const entry of entries.get(dirPath) ?? []) {
    const ns = entry.endsWith(".yml") ? entry.slice(0, -4) : entry;
    if (!entry.startsWith(".") && !ns.includes(".")) names.add(ns);
  }
  return [...names].sort();
}

/** The files that define a namespace itself, in Global's merge order. */
function namespaceFiles(entries: Map<string, Set<string>>, dir: string, name: string, templates: TemplateSpec[]): string[] {
  const base = `${dir}/${name.split(".").join("/")}`;
  const parent = base.slice(0, base.lastIndexOf("/"));
  const leaf = base.slice(parent.length + 1);
  const siblings = entries.get(parent) ?? new Set<string>();
  const out: string[] = [];
  for (const t of templates) if (t.target === `${base}.yml`) out.push(t.template);
  if (siblings.has(`${leaf}.yml`)) {
    out.push(`${base}.yml`);
    // Overlays `<name>.<env>.yml` count only beside `<name>.yml`.
    for (const e of [...siblings].sort()) if (e.startsWith(`${leaf}.`) && /^[^./]+\.yml$/.test(e.slice(leaf.length + 1))) out.push(`${parent}/${e}`);
  }
  // An extensionless file is an empty namespace.
  if (!out.length && siblings.has(leaf) && !entries.has(base)) out.push(base);
  return out;
}

function orderFiles(files: string[], dir: string, name: string): string[] {
  const base = `${dir}/${name.split(".").join("/")}`;
  // A parent's file comes first: its key of this name is what the directory's file merges into.
  const isAncestor = (f: string) => f.startsWith(`${dir}/`) && base.startsWith(f.slice(0, f.indexOf(".", dir.length + 1) === -1 ? f.length : f.indexOf(".", dir.length + 1)) + "/");
  const rank = (f: string) => (f === `${dir}.yml` ? 0 : isAncestor(f) ? 1 : f.endsWith(".erb") ? 2 : f === `${base}.yml` ? 3 : f.startsWith(`${base}.`) ? 4 : 5);
  return files.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function namespaceOf(target: string, dir: string): string {
  const rel = target.startsWith(`${dir}/`) ? target.slice(dir.length + 1) : target.split("/").pop()!;
  return rel.replace(/\.ya?ml$/, "").split("/").join(".");
}

/** Two stages on one Rails environment that render a namespace differently. */
function differingStages(c: AnalyzerContext, name: string, env: string, variants: { stage: string | null; slices: Map<string, NamespaceSlice> }[], template: TemplateSpec | undefined): void {
  if (variants.length < 2) return;
  const [a, ...rest] = variants;
  for (const b of rest) {
    const va = a.slices.get(name)?.value ?? null;
    const vb = b.slices.get(name)?.value ?? null;
    if (same(va, vb)) continue;
    c.problem({
      file: template?.template ?? `${name}`,
      line: 1,
      message: `stages ${a.stage} and ${b.stage} both run RAILS_ENV=${env} but their servers get different Global.${name} values: the ${env} values here are ${a.stage}'s (see each stage in the template's rendered values)`,
      severity: "warning",
    });
  }
}

/** Per stage, whether one of the tasks rendering the template ran there (a template found by its place alone: every stage). */
function writtenOnStages(c: AnalyzerContext, cap: CapistranoFacts | null, t: TemplateSpec, stages: Stage[]): (s: Stage) => { runs: true; doubt?: string } | { runs: false; why: string } {
  if (!t.writers.length) return () => ({ runs: true });
  const text = (f: string) => {
    const r = c.repo.read(f);
    return "text" in r ? r.text : "";
  };
  const each = t.writers.map((w) => writtenOnStage(cap, w, stages, text));
  return (s) => {
    const rs = each.map((f) => f(s));
    return rs.find((r) => r.runs && !r.doubt) ?? rs.find((r) => r.runs) ?? rs[0]!;
  };
}

function templateNotes(c: AnalyzerContext, templates: TemplateSpec[], stages: Stage[], rendered: Map<string, Map<string, GlobalFile>>): void {
  for (const t of templates) {
    const names = new Map<string, number>();
    for (const m of rendered.values()) for (const e of m.get(t.target)?.envReads ?? []) if (!names.has(e.name)) names.set(e.name, e.line);
    for (const [name, line] of names) {
      c.problem({
        file: t.template,
        line,
        message: `ENV["${name}"] is read when Capistrano renders this template, on the machine that deploys — not on the servers: in the cluster the pod must be given ${name}`,
        severity: "warning",
      });
    }
    const unlinked = stages.filter((s) => !linkedIn(s, t.target));
    if (stages.length && unlinked.length === stages.length) {
      c.problem({ ...t.source, message: `${t.template} is rendered for ${t.target}, which no stage lists in linked_files: check that the release reads the rendered file`, severity: "warning" });
    }
  }
}

function versionNotes(c: AnalyzerContext, gemVersion: string | null, rails: RailsFacts, setupSource: Source | null): void {
  const major = gemVersion ? parseInt(gemVersion, 10) : null;
  if (major !== null && major >= 2 && !setupSource) {
    c.problem({ file: "config/initializers", line: 0, message: `no \`Global.configure { |c| c.backend :filesystem ... }\` found in ${SETUP_PLACES}: Global 2+ raises 'Backend must be defined' unless it is configured elsewhere (read as config/global)`, severity: "warning" });
  }
}

/**
 * global 0.x names a namespace by the entry's name without ".yml", dots and all (`Dir["#{dir}/*"]`,
 * no skip): `aws.production.yml` is the namespace "aws.production" (no overlay), `x.yaml` an empty
 * one. Readable only as `Global.configuration["aws.production"]`; not carried to config_for.
 */
function legacyNames(c: AnalyzerContext, dir: string, gemVersion: string): void {
  for (const p of c.repo.paths) {
    if (!p.startsWith(`${dir}/`)) continue;
    const rel = p.slice(dir.length + 1).split("/");
    const at = rel.findIndex((seg, i) => !seg.startsWith(".") && (i < rel.length - 1 ? seg : seg.replace(/\.yml$/, "")).includes("."));
    if (at < 0 || rel.slice(0, at).some((seg) => seg.startsWith("."))) continue;
    const name = rel[at].replace(/\.yml$/, "");
    c.problem({
      file: p,
      line: 1,
      message: `global ${gemVersion} reads this as a namespace named "${name}" (0.x keeps dots in names and has no <name>.<env>.yml overlays): readable only as Global.configuration["${name}"], and not carried to config_for`,
      severity: "warning",
    });
  }
}
