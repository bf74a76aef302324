// Which stages a Capistrano hook or task exists in. `cap <stage>` loads the Capfile, deploy.rb (and
// what they load), then config/deploy/<stage>.rb: a hook or task written in that last file, or under
// a branch on the stage, is defined in that stage's deploy only (HookDef.stages, TaskDef.stages, set
// by analyzers/capistrano/index.ts from each stage's own run).
import type { CapistranoFacts, ConditionalHook, HookDef, Source, Stage, TaskDef } from "../../src/model.js";
import { deployRunTasks, type RunTasks } from "./run-tasks.js";

/** Whether the hook or task exists in the stage's deploy (absent `stages`: every stage). */
export const onStage = (x: { stages?: string[] }, stage: string): boolean => !x.stages || x.stages.includes(stage);

/** The hooks the stage's deploy defines. */
export const hooksOn = (cap: CapistranoFacts, stage: string): HookDef[] => cap.hooks.filter((h) => onStage(h, stage));

/** The conditional hooks the stage's deploy defines. */
export const conditionalHooksOn = (cap: CapistranoFacts, stage: string): ConditionalHook[] => (cap.conditionalHooks ?? []).filter((h) => onStage(h, stage));

/** Words for a hook defined in some stages only: "only in stage production's deploy (config/deploy/production.rb:4)". */
export const onlyOnWords = (x: { stages?: string[]; source: { file: string; line: number } }): string =>
  `only in the deploy of stage${(x.stages?.length ?? 0) > 1 ? "s" : ""} ${(x.stages ?? []).join(", ")} (${x.source.file}:${x.source.line})`;

/**
 * The stages where hooks run a task: the union of the hooks' stages (absent when one of them is in
 * every stage), within the task's own stages. Absent: every stage; [] : none.
 */
export function stagesRun(hooks: readonly { stages?: string[] }[], task?: { stages?: string[] }): string[] | undefined {
  const union = hooks.some((h) => !h.stages) ? undefined : [...new Set(hooks.flatMap((h) => h.stages!))];
  if (!task?.stages) return union;
  return union ? union.filter((s) => task.stages!.includes(s)) : task.stages;
}

/** One stage's answer to "does its deploy run this task?" (stageRunsOf). */
export type StageRun =
  | { stage: string; runs: true; doubt?: { why: string; source: Source } }
  | { stage: string; runs: false; why: string; source: Source };

/** Per Capistrano facts, each distinct per-stage reading of run-tasks.ts, by the hooks and tasks it holds. */
const RUNS = new WeakMap<CapistranoFacts, Map<string, RunTasks>>();

/** What the stage's own deploy runs: run-tasks.ts over the hooks and tasks defined in its run only. */
function stageRan(cap: CapistranoFacts, stage: string, text: (file: string) => string): RunTasks {
  const hooks = hooksOn(cap, stage);
  const cond = conditionalHooksOn(cap, stage);
  const tasks = cap.tasks.filter((t) => onStage(t, stage));
  // Stages with the same hooks and tasks share one reading (most stages of a big repo do).
  const key = [hooks.length, cond.length, tasks.length, ...[...hooks, ...cond, ...tasks].filter((x) => x.stages).map((x) => `${x.source.file}:${x.source.line}`)].join("\0");
  let byKey = RUNS.get(cap);
  if (!byKey) RUNS.set(cap, (byKey = new Map()));
  let r = byKey.get(key);
  if (!r) byKey.set(key, (r = deployRunTasks(hooks, cond, tasks, cap.major, text)));
  return r;
}

const ranHas = (r: RunTasks, name: string) => r.ran.has(name) || [...r.ran].some((x) => name.endsWith(`:${x}`));

/**
 * For each stage, whether its deploy runs the task, by the hooks and tasks of its own run: a task
 * written in another stage's file is not there; one that only other stages' hooks run (or invokes,
 * prerequisites, Capistrano 2 calls of their tasks) is not run by its deploy. Null when no hook, flow
 * step or invoke of any stage runs it (run by hand if at all: the caller's own rule). In doubt the
 * stage counts as running it, the doubt said: a stage whose run loaded or evaluated code not followed
 * (Stage.unfollowedLoad) may define or hook it there.
 */
export function stageRunsOf(cap: CapistranoFacts, task: TaskDef, stages: readonly Stage[], text: (file: string) => string): StageRun[] | null {
  const all = deployRunTasks(cap.hooks, cap.conditionalHooks ?? [], cap.tasks, cap.major, text);
  if (!ranHas(all, task.name) && !all.onlyIf.has(task.name)) return null;
  const hooks = [...cap.hooks, ...(cap.conditionalHooks ?? [])].filter((h) => h.task.replace(/^:/, "") === task.name || task.name.endsWith(`:${h.task.replace(/^:/, "")}`));
  const where = hooks.length ? hooks.map((h) => (h.stages ? `its hook ${h.kind} ${h.target} is ${onlyOnWords(h)}` : `its hook ${h.kind} ${h.target} (${h.source.file}:${h.source.line})`)).join("; ") : "no hook names it";
  return stages.map((s): StageRun => {
    const defined = onStage(task, s.name);
    const runs = defined && (ranHas(stageRan(cap, s.name, text), task.name) || stageRan(cap, s.name, text).onlyIf.has(task.name));
    if (runs) return { stage: s.name, runs: true };
    const u = s.unfollowedLoad;
    if (u) return { stage: s.name, runs: true, doubt: { source: u.source, why: `stage ${s.name}'s run calls \`${u.call}\` on code not followed statically (${u.source.file}:${u.source.line}), which may ${defined ? "hook" : "define"} task ${task.name} there` } };
    return defined
      ? { stage: s.name, runs: false, source: hooks.find((h) => h.stages)?.source ?? task.source, why: `no hook of stage ${s.name}'s deploy runs task ${task.name} (${where})` }
      : { stage: s.name, runs: false, source: task.source, why: `task ${task.name} is ${onlyOnWords(task)}: stage ${s.name}'s deploy has no such task` };
  });
}

/**
 * Per stage, whether a task that writes something on the servers (renders, uploads, links) wrote it
 * there: stageRunsOf where some hook runs it; where none does (run by hand, if at all), every stage
 * whose run defines the task. A stage whose run hit code not followed counts, with the doubt.
 */
export function writtenOnStage(cap: CapistranoFacts | null, task: TaskDef | undefined, stages: readonly Stage[], text: (file: string) => string): (st: Stage) => { runs: true; doubt?: string } | { runs: false; why: string } {
  if (!cap || cap.tool || !task) return () => ({ runs: true });
  const runs = stageRunsOf(cap, task, stages, text);
  return (st) => {
    const r = runs?.find((x) => x.stage === st.name);
    if (r) return r.runs ? { runs: true, ...(r.doubt ? { doubt: r.doubt.why } : {}) } : { runs: false, why: r.why };
    if (onStage(task, st.name)) return { runs: true };
    const u = st.unfollowedLoad;
    if (u) return { runs: true, doubt: `stage ${st.name}'s run calls \`${u.call}\` on code not followed statically (${u.source.file}:${u.source.line}), which may define task ${task.name} there` };
    return { runs: false, why: `task ${task.name} is ${onlyOnWords(task)}: stage ${st.name}'s deploy has no such task` };
  };
}
