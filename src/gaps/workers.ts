// Worker counts the deploy set in a way the analysis could not read (capistrano-resque's `:workers`
// computed at deploy time): the processes per server of that stage are asked, and the answer sets
// the replicas (emitters/kustomize/worker-deployment.ts), instead of a default the deploy never said.
import type { Gap } from "../model.js";
import { workerProcessesAnswer } from "../../emitters/kustomize/rules.js";
import type { ModelForGaps } from "./index.js";

export function workerGaps(model: ModelForGaps): Gap[] {
  const gaps: Gap[] = [];
  for (const w of model.workers ?? []) {
    if (!w.carried) continue;
    for (const [stage, c] of Object.entries(w.perStage ?? {})) {
      if (!c.unknown) continue;
      gaps.push({
        id: workerProcessesAnswer(stage, w.name),
        question: `How many ${w.label} worker processes${w.queues.length ? ` (queues ${w.queues.join(", ")})` : ""} did each ${w.roles.join("/")} server of stage ${stage} run?`,
        why: `the deploy set them, but ${c.unknown}${c.source ? ` (${c.source.file}:${c.source.line})` : ""}; the answer × the stage's ${w.roles.join("/")} servers is the Deployment's replicas`,
        default: c.processes,
        format: "replicas",
        ...(c.source ? { source: c.source } : {}),
      });
    }
  }
  return gaps;
}
