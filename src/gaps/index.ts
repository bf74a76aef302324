// Gaps: what the analysis could not find out, each a question with a default the wizard offers and
// `--yes` takes. One module per family; ids are stable (`family.stage.thing`) so saved answers
// replay. The pipeline always hands emitters answers for every gap (the answer or its default).
import type { AppModel, Gap } from "../model.js";
import { coreGaps } from "./core.js";
import { containerGaps } from "./container.js";
import { kubernetesGaps } from "./kubernetes.js";
import { configGaps } from "./config.js";
import { cronGaps } from "./cron.js";
import { releaseGaps } from "./release.js";
import { noStageGaps, unreadGaps } from "./servers.js";
import { workerGaps } from "./workers.js";
import { appServerGaps } from "./appserver.js";
import { BRANCH } from "../../emitters/release/rules.js";

export type ModelForGaps = Omit<AppModel, "gaps">;

export function findGaps(model: ModelForGaps): Gap[] {
  const all = [...noStageGaps(model), ...coreGaps(model), ...containerGaps(model), ...appServerGaps(model), ...kubernetesGaps(model), ...configGaps(model), ...cronGaps(model), ...releaseGaps(model), ...unreadGaps(model), ...workerGaps(model)];
  const seen = new Set<string>();
  return all.filter((g) => (seen.has(g.id) ? false : (seen.add(g.id), true))).map(capBranch);
}

/**
 * Capistrano's :branch, asked (`ask :branch`) or not computable, becomes the branch the pipeline
 * deploys from: its answer follows the branch grammar, and a default that breaks it is not offered.
 * Every other `cap.<stage>.<variable>` answer is a Capistrano value like any other (any scalar): it
 * reaches a file only through that file's encoder.
 */
function capBranch(g: Gap): Gap {
  if (!g.id.startsWith("cap.") || !g.id.endsWith(".branch") || g.format) return g;
  return { ...g, format: "git-branch", default: typeof g.default === "string" && BRANCH.test(g.default) ? g.default : null };
}
