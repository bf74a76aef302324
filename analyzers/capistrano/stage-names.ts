// Stage names become overlay directories, namespaces and label values (src/names.ts maps them).
// A name that cannot be mapped, or two stages that map to the same name, would make one overlay
// overwrite another or a path leave k8s/overlays: unusable input, named by file, never guessed at.
import type { AnalyzerContext, Source } from "../../src/model.js";
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
