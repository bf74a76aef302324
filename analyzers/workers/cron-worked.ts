// A job backend whose queue a whenever job works (`every 5.minutes { rake "jobs:workoff" }`): no
// process ran its workers, yet the jobs did run, a batch at a time, from cron. Such a backend was
// said to be started by nothing; it is worked by that cron job, which the CronJobs carry as they
// carry every whenever job. The worker entry says so and names the job, rather than "nothing in the
// repo starts its workers", which would send the team looking for a lost process.
import type { CronFacts, Fact, WorkerFacts } from "../../src/model.js";
import { rubyToS } from "../ruby/evaluate.js";
import { JOB_BACKENDS } from "./backends.js";

/** Work-off tasks a backend's own command pattern does not cover (delayed_job's drains the queue and exits). */
const BATCH_TASKS: Record<string, RegExp> = { "delayed-job": /\bjobs:workoff\b/ };

/** The text a cron job runs: its full command when known, else its task as written. */
function jobText(job: CronFacts["jobs"][number]): string {
  return rubyToS(job.command) ?? rubyToS(job.task) ?? "";
}

/** Workers with `notStarted`, amended where a whenever job of the schedule works their queue. */
export function cronWorkedBackends(workers: WorkerFacts[], cron: CronFacts | null): WorkerFacts[] {
  if (!cron?.jobs.length) return workers;
  return workers.map((w) => {
    if (!w.notStarted) return w;
    const backend = JOB_BACKENDS.find((b) => b.id === w.backend);
    if (!backend) return w;
    const patterns = [backend.command, BATCH_TASKS[backend.id]].filter((p): p is RegExp => !!p);
    const jobs = cron.jobs.filter((j) => j.schedules.length && patterns.some((p) => p.test(jobText(j))));
    if (!jobs.length) return w;
    const named = jobs.map((j) => `${rubyToS(j.task) ?? "a job"} (${j.schedules.join(", ")}) at ${j.source.file}:${j.source.line}`).join("; ");
    const evidence: Fact<string>[] = jobs.map((j) => ({ value: `whenever job: ${rubyToS(j.task) ?? "its command"}`, source: j.source }));
    return {
      ...w,
      evidence: [...w.evidence, ...evidence],
      why: `no process ran ${backend.label}'s workers; the whenever schedule works its queue from cron: ${named}. That job is carried as a CronJob like every whenever job, so no worker Deployment is generated; add one if the cluster should work the queue continuously`,
    };
  });
}
