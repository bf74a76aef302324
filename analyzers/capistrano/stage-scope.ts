// Which stages a Capistrano hook or task exists in. `cap <stage>` loads the Capfile, deploy.rb (and
// what they load), then config/deploy/<stage>.rb: a hook or task written in that last file, or under
// a branch on the stage, is defined in that stage's deploy only (HookDef.stages, TaskDef.stages, set
// by analyzers/capistrano/index.ts from each stage's own run).
import type { CapistranoFacts, ConditionalHook, HookDef } from "../../src/model.js";

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
