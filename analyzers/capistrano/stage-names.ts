// Stage names become overlay directories, namespaces and label values (src/model/names.ts maps them).
// A name that cannot be mapped, or two stages that map to the same name, would make one overlay
// overwrite another or a path leave k8s/overlays: unusable input, named by file, never guessed at.
import type { AnalyzerContext, Source, Stage } from "../../src/model.js";
import { reportUnusable, stageSlug, shownPath } from "../../src/model.js";

/** The stage names that can be used, in order; the others are reported as unusable. */
export function acceptedStages(ctx: AnalyzerContext, names: string[], sourceOf: (name: string) => Source): string[] {
  const bySlug = new Map<string, string>();
  const out: string[] = [];
  for (const name of names) {
    const src = sourceOf(name);
    const r = stageSlug(name);
    if ("refused" in r) {
      reportUnusable(ctx, { file: src.file, line: src.line, message: r.refused });
      continue;
    }
    const first = bySlug.get(r.slug);
    if (first !== undefined) {
      const a = sourceOf(first);
      reportUnusable(ctx, {
        file: src.file,
        line: src.line,
        message: `stages ${JSON.stringify(first)} (${shownPath(a.file)}:${a.line}) and ${JSON.stringify(name)} both map to the Kubernetes name "${r.slug}": rename one`,
      });
      continue;
    }
    bySlug.set(r.slug, name);
    out.push(name);
  }
  return out;
}

/**
 * A Rails environment names config/environments/<env>.rb and the sections of database.yml: a plain
 * word. Anything else (a path, a space, a quote) is not an environment the app ran in, and would
 * reach RAILS_ENV and file names: unusable input. A value equal to the stage name was judged as one.
 */
const RAILS_ENV_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

export function refuseBadRailsEnvs(ctx: AnalyzerContext, stages: Stage[]): void {
  for (const st of stages) {
    const v = st.variables["rails_env"];
    if (!v) continue;
    const env = typeof v.value === "string" ? v.value : typeof v.value === "object" && v.value !== null && "sym" in v.value && typeof v.value.sym === "string" ? v.value.sym : null;
    if (env === null || env === st.name || RAILS_ENV_NAME.test(env)) continue;
    reportUnusable(ctx, { file: v.source.file, line: v.source.line, message: `rails_env ${JSON.stringify(env)} (stage ${JSON.stringify(st.name)}) is not a Rails environment name (letters, digits, _ and -): it names config/environments/<env>.rb and database.yml's sections` });
  }
}
