// Which stages a Capistrano plugin was loaded on: shared by the Sidekiq, workers and whenever
// readers (a leaf module, so none of them imports another's reader to ask).
import type { CapistranoFacts, Stage } from "../../src/model.js";

/**
 * Whether a stage loads a plugin: every stage does when the Capfile or deploy.rb requires it; when
 * only Capistrano 2 stage files do, the stages whose own file requires it (its tasks and hooks exist
 * there alone), with the file that does, for the reason.
 */
export function pluginLoadedIn(cap: CapistranoFacts, stages: Stage[], re: RegExp): (s: Stage) => boolean {
  const ownFiles = new Set(stages.flatMap((st) => (st.plugins ?? []).map((p) => `${p.source.file}:${p.source.line}`)));
  if (cap.requires.some((r) => re.test(r.value) && !ownFiles.has(`${r.source.file}:${r.source.line}`))) return () => true;
  return (s) => (s.plugins ?? []).some((p) => re.test(p.value));
}
