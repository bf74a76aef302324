// CronJobs from whenever's config/schedule.rb: one per cron line whenever wrote, with the same
// schedule, the time zone the crontab ran in (answer cron.time_zone), Forbid concurrency (a cron line
// on one server never overlapped itself unless the job outlived its interval; Forbid is the safe
// reading) and the command the line ran, minus the EC2 paths and log redirection.
import type { CronJob, EmitResult } from "../../src/model.js";
import { appImage, labels } from "./names.js";
import { envFrom, podDefaults, railsScratch, resources } from "./pod.js";
import type { Plan } from "./plan.js";
import { cronCommand, serverLayoutPath, cronJobBaseName, cronRanOnStage, cronServerCount, isRunnableSchedule, taskResources, CRON_GRACE_SECONDS, taskPreStop } from "./rules.js";
import { containerSecurityContext } from "./security.js";

export interface EmittedCron {
  name: string;
  job: CronJob;
  schedule: string;
  object: Record<string, unknown>;
}

export function cronJobs(plan: Plan, out: EmitResult, output: string): EmittedCron[] {
  const { app, model } = plan;
  const cron = model.cron;
  if (!cron) return [];
  const scratch = railsScratch(model);
  const used = new Set<string>();
  const result: EmittedCron[] = [];
  for (const job of cron.jobs) {
    const command = cronCommand(job);
    if (command === null) {
      out.notes.push({ message: `cron job ${JSON.stringify(job.task)} (${job.type}): its command could not be determined; no CronJob emitted`, source: job.source });
      continue;
    }
    const serverPath = serverLayoutPath(command);
    if (serverPath)
      out.notes.push({ message: `cron job ${JSON.stringify(job.task)} names ${serverPath}, a path of the servers' deploy layout that the container does not have: point it at a mounted volume or object storage`, source: job.source });
    const runnable = job.schedules.filter(isRunnableSchedule);
    for (const s of job.schedules.filter((x) => !isRunnableSchedule(x)))
      out.notes.push({ message: `cron line "${s} ${command}" ran at server boot; Kubernetes has no boot moment — run it from the entrypoint or drop it`, source: job.source });
    runnable.forEach((schedule, i) => {
      const base = cronJobBaseName(app, job);
      let name = runnable.length > 1 ? `${base}-${i + 1}` : base;
      for (let n = 2; used.has(name); n++) name = `${base}-${n}`.slice(0, 52);
      used.add(name);
      out.provenance.push({ output, what: `CronJob ${name}: "${schedule}" ${command}`, source: job.source });
      result.push({
        name,
        job,
        schedule,
        object: {
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: { name, labels: labels(app, "cron") },
          spec: {
            schedule,
            timeZone: plan.cronTimeZone,
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 300,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
              metadata: { labels: labels(app, "cron") },
              spec: {
                // cron did not retry a failed line either
                backoffLimit: 0,
                template: {
                  metadata: { labels: labels(app, "cron") },
                  spec: {
                    restartPolicy: "Never",
                    ...podDefaults(),
                    // Drains on nothing: the run finishes (rules.ts taskPreStop), within a default bound.
                    terminationGracePeriodSeconds: CRON_GRACE_SECONDS,
                    containers: [
                      {
                        name: "cron",
                        image: appImage(app),
                        args: ["/bin/sh", "-c", command],
                        envFrom: envFrom(app),
                        resources: resources(taskResources()),
                        lifecycle: { preStop: { exec: { command: taskPreStop() } } },
                        securityContext: containerSecurityContext(),
                        volumeMounts: scratch.mounts,
                      },
                    ],
                    volumes: scratch.volumes,
                  },
                },
              },
            },
          },
        },
      });
    });
    for (const st of plan.stages) {
      const n = cronServerCount(st.stage, job);
      if (n > 1) out.notes.push({ message: `stage ${st.stage.name}: cron job ${JSON.stringify(job.task)} ran on ${n} servers (roles ${job.roles.join(", ") || "db"}); its CronJob runs it once`, source: job.source });
      if (!cronRanOnStage(st.stage, job)) out.notes.push({ message: `stage ${st.stage.name}: no server had the roles of cron job ${JSON.stringify(job.task)}; its CronJob is suspended there`, source: job.source });
    }
  }
  return result;
}
