// Worker numbers the deploy set in a way the analysis could not read, asked per stage, each answer
// feeding the output that follows it:
// - the processes per server (capistrano-resque's `:workers` computed at deploy time): the answer
//   sets the replicas (emitters/kustomize/worker-deployment.ts), instead of a default the deploy never said;
// - a Sidekiq process's threads where only a placeholder stands for them (a config or an
//   EnvironmentFile= only the servers hold: emitters/kustomize/rules/sidekiq.ts sidekiqOfStage's `unknown`): the placeholder is
//   the labelled default, and the answer is the worker's pinned -c, its memory and MIGRATION.md's count.
import type { AppModel, Gap } from "../model.js";
import { sidekiqOfStage, workerThreadsAnswer } from "../../emitters/kustomize/rules/sidekiq.js";
import { workerProcessesAnswer } from "../../emitters/kustomize/rules/workers.js";
import { stagesOf } from "../../emitters/kustomize/plan.js";
import { workersOf } from "../../emitters/kustomize/worker-deployment.js";
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
  return [...gaps, ...sidekiqThreadGaps(model)];
}

/**
 * One question per stage on which a carried Sidekiq worker runs with a placeholder thread count:
 * each stage's servers hold their own copy of the file that may set it, so no stage's answer is
 * another's. A stage where the worker does not run (not started there, no process of it) asks nothing.
 */
function sidekiqThreadGaps(model: ModelForGaps): Gap[] {
  if (!model.sidekiq) return [];
  const gaps: Gap[] = [];
  for (const w of workersOf(model).filter((x) => x.carried && x.commandFrom === "sidekiq")) {
    for (const stage of stagesOf(model as AppModel)) {
      if (w.offStages?.[stage.name] || (w.perStage && !(w.perStage[stage.name]?.processes ?? 0))) continue;
      const st = sidekiqOfStage(model, stage, w.sidekiqOptions, w.sidekiqConfig);
      const d = st.concurrencyDefault;
      if (!d?.unknown) continue;
      gaps.push({
        id: workerThreadsAnswer(stage.name, w.name),
        question: `How many Sidekiq threads (its concurrency, -c) did each ${w.name === "worker" ? "Sidekiq" : `Sidekiq ${w.name}`} process on the servers of stage ${stage.name} run?`,
        why: `${d.unknown.what} may set it, and the repo does not hold what it set. The default ${st.concurrency} is ${d.of}, a placeholder: the worker's -c, its memory (resources.worker, unless answered with sizes of its own) and MIGRATION.md follow this number. Take it from a server of stage ${stage.name} (Sidekiq's Busy page shows each process's threads); MIGRATION.md lists it until you answer`,
        default: st.concurrency,
        format: "count",
        min: 1,
        placeholder: true,
        source: d.unknown.source,
      });
    }
  }
  return gaps;
}
