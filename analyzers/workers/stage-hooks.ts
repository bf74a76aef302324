// A backend the deploy starts only through hooks written in some stages' own files
// (config/deploy/production.rb's `after "deploy:published", "resque:restart"`): `cap staging deploy`
// never loads that file, so staging's deploy never ran the task and its servers ran no such worker
// (analyzers/capistrano/stage-scope.ts). Those stages get WorkerFacts.offStages: 0 replicas there.
// A hook under an undecided condition keeps its doubt: the stage it is written for counts as started.
// Plugins whose own default hooks start the backend in every stage (capistrano-sidekiq, capistrano-rpush)
// are not gated here: their starts are read by their own readers.
import type { CapistranoFacts, HookDef, Source, Stage, WorkerFacts } from "../../src/model.js";
import { onStage, onlyOnWords } from "../capistrano/stage-scope.js";
import type { JobBackend } from "./backends.js";

/** Backends a plugin starts by its own hooks, in every stage that loads it. */
const SELF_HOOKED = new Set(["sidekiq", "rpush"]);

/** Whether a hooked task is one of the backend's (`resque:restart`; `resque:scheduler:*` is the scheduler's, not the workers'). */
function runsBackend(b: JobBackend, task: string): boolean {
  const t = task.replace(/^:/, "");
  if (b.id === "resque-scheduler") return t.startsWith("resque:scheduler:");
  if (b.id === "resque" && t.startsWith("resque:scheduler:")) return false;
  return t.startsWith(`${b.id.replace(/-/g, "_")}:`);
}

/**
 * The stages whose deploy runs none of the hooks of the backend's tasks, when every such hook is
 * written in some stages' files only; null when there is no such hook, or one is in every stage.
 */
export function stageHookGate(b: JobBackend, cap: CapistranoFacts | null, stages: readonly Stage[]): WorkerFacts["offStages"] | null {
  if (!cap || cap.tool || SELF_HOOKED.has(b.id)) return null;
  const hooks: HookDef[] = [...cap.hooks, ...(cap.conditionalHooks ?? [])].filter((h) => runsBackend(b, h.task));
  if (!hooks.length || hooks.some((h) => !h.stages)) return null;
  const out: NonNullable<WorkerFacts["offStages"]> = {};
  for (const s of stages) {
    if (hooks.some((h) => onStage(h, s.name))) continue;
    out[s.name] = { why: `stage ${s.name}'s deploy runs no hook of ${b.label}'s tasks: ${hooks.map((h) => `${h.kind} "${h.target}", "${h.task}" is ${onlyOnWords(h)}`).join("; ")}`, source: hooks[0]!.source };
  }
  return Object.keys(out).length ? out : null;
}

/**
 * `offStages` for a worker a task of the repo starts, when only some stages' deploys run that task
 * (`stages`, from its hooks and its own definition); {} when every stage does.
 */
export function offStagesOf(stages: string[] | undefined, all: readonly string[], what: string, source: Source, hook: Source): Pick<WorkerFacts, "offStages"> {
  if (!stages) return {};
  const off = all.filter((s) => !stages.includes(s));
  if (!off.length) return {};
  return { offStages: Object.fromEntries(off.map((s) => [s, { why: `stage ${s}'s deploy does not run ${what} (${source.file}:${source.line}): the hook that runs it (${hook.file}:${hook.line}), or the task, is only in the deploy of stage${stages.length > 1 ? "s" : ""} ${stages.join(", ")}`, source: hook }])) };
}
