// Audit B6: the environment whenever wrote into a stage's crontab (`--set environment=...`) against
// the RAILS_ENV the stage's overlay gives its pods (src/model/cron-env.ts). Where they differ, or the
// crontab's is not known, it is named at the deploy line that set it, with the line of the
// overlay's; the CronJob then runs the crontab's (emitters/kustomize/overlay.ts).
import type { AnalyzerContext, CronFacts, Stage, TaskDef } from "../../src/model.js";
import { crontabEnvDiffers, repoWheneverTask, scheduleEnvOn } from "../../src/model/cron-env.js";

export function crontabEnvWarnings(ctx: AnalyzerContext, stages: Stage[], cron: CronFacts | null, tasks: TaskDef[] = []): void {
  if (!cron) return;
  const repoTask = repoWheneverTask(tasks);
  const said = new Map<string, { stage: Stage; d: NonNullable<ReturnType<typeof crontabEnvDiffers>>; jobs: string[] }>();
  for (const st of stages)
    for (const job of cron.jobs) {
      if (job.stages && !job.stages.includes(st.name)) continue;
      const scheduled = scheduleEnvOn(st, job, repoTask).env;
      if (job.envs && scheduled !== null && !job.envs.includes(scheduled)) continue;
      if (job.onStages && !job.onStages.stages.includes(st.name)) continue;
      const d = crontabEnvDiffers(st, job, repoTask);
      if (!d) continue;
      const k = `${st.name}\0${d.env}\0${d.source.file}:${d.source.line}`;
      const seen = said.get(k) ?? { stage: st, d, jobs: [] };
      seen.jobs.push(`${job.source.file}:${job.source.line}`);
      said.set(k, seen);
    }
  for (const { stage, d, jobs } of said.values()) {
    const rails = stage.variables["rails_env"]?.source ?? stage.source;
    const runs = d.env ? `its CronJobs run RAILS_ENV=${d.env} there, as the crontab did (confirm that environment's database is this stage's)` : "its CronJobs are written suspended there until you confirm which environment the crontab ran";
    ctx.problem({
      ...d.source,
      severity: "warning",
      message: `cron.crontab-environment: stage ${stage.name}: whenever wrote its crontab with ${d.env ? `environment ${d.env}` : "an environment not known statically"} (${d.how}), while the stage's pods run RAILS_ENV=${d.overlay} (${rails.file}:${rails.line}); ${runs}. Jobs: ${jobs.join(", ")}`,
    });
  }
}
