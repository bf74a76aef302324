// CronJobs from the whenever schedule files the deploy loaded: one per cron line whenever wrote, with the same
// schedule, the time zone the crontab ran in (answer cron.time_zone), Forbid concurrency (a cron line
// on one server never overlapped itself unless the job outlived its interval; Forbid is the safe
// reading) and the command the line ran, minus the EC2 paths and log redirection.
import type { CronFacts, CronJob, EmitResult } from "../../src/model.js";
import { appImage, labels, webName } from "./names.js";
import { workerDeploymentName, workersOf } from "./worker-deployment.js";
import { envFrom, podDefaults, railsScratch, resources } from "./pod.js";
import type { Plan } from "./plan.js";
import { rubySwitchNote } from "../../src/model/ruby-switch.js";
import { cronCommand, cronRubySwitch, cronCommandUnknowns } from "./rules/cron-command.js";
import { cronDeadlineSeconds, cronNotRunReason, cronServerCount, cronUndecidedReason, cronUndecidedOnStage, cronUndecidedAnnotation, cronEnvFate, cronCrontabEnv, isRunnableSchedule } from "./rules/cron.js";
import { cronScheduleAnswerId, cronJobBaseName, cronCommandAnswerId, unknownCronCommand, cronJobKey } from "./rules/cron-names.js";
import { cronServerOnlyReason, cronServerAdminReason } from "./rules/cron-server-only.js";
import { taskResources } from "./rules/resources.js";
import { CRON_GRACE_SECONDS, taskPreStop } from "./rules/shutdown.js";
import { containerSecurityContext } from "./security.js";
import { answerString } from "./answers.js";
import { cronSettingsOf, looksSecretValue } from "../../src/model.js";
import { repoWheneverTask } from "../../src/model/cron-env.js";
import { kubeletLiteral } from "../encode/kubelet.js";

/** Annotation of a CronJob written suspended because it supervised the servers' processes: the reason and the Deployment that replaces it. */
export const CRON_PROCESS_CONTROL_ANNOTATION = "rails2k8s.dev/supervised-process";

/**
 * Why a CronJob stays suspended because its job started, signalled or watched by pid file a process
 * of the servers (CronJob.controlsProcess, analyzers/whenever/process-control.ts), naming the
 * Deployment that runs that process in the cluster; or null.
 */
export function cronProcessControlReason(plan: Plan, job: CronJob): string | null {
  const c = job.controlsProcess;
  if (!c) return null;
  const workers = workersOf(plan.model).filter((w) => w.carried && c.processes.includes(w.backend));
  const by = [...(c.processes.includes("web") ? [`Deployment ${webName(plan.app)}`] : []), ...workers.map((w) => `Deployment ${workerDeploymentName(plan.app, w)} (${w.label})`)];
  const named = c.processes.filter((p) => p !== "web" && !workers.some((w) => w.backend === p));
  const replaced = by.length
    ? `the cluster runs that process as ${by.join(" and ")}, and Kubernetes restarts it itself (a crashed container, a failing liveness probe)`
    : `no Deployment generated here runs ${named.length ? named.join(", ") : "the process it supervised"}; the cluster's own Deployments are restarted by Kubernetes, not by a cron job`;
  return `it supervised a process of the servers (${c.what.join("; ")}): in a CronJob's pod there is no such process and no pid file, so a run would start a second copy inside the cron pod or signal nothing; ${replaced}. Keep it suspended or delete it`;
}

/** The cron line of a suspended CronJob whose real schedule is not known yet: never runs as written (Feb 30th). */
const UNKNOWN_SCHEDULE_PLACEHOLDER = "0 0 30 2 *";

export interface EmittedCron {
  name: string;
  job: CronJob;
  schedule: string;
  object: Record<string, unknown>;
}

export function cronJobs(plan: Plan, out: EmitResult, output: string): EmittedCron[] {
  const { app, model } = plan;
  const cron = model.cron;
  const repoTask = repoWheneverTask(model.capistrano?.tasks);
  if (!cron) return [];
  const scratch = railsScratch(model);
  // Each file's `env` lines topped its own crontab block: a job gets its file's.
  const envByFile = new Map<string, { name: string; value: string }[]>();
  const envOf = (job: CronJob) => {
    if (!envByFile.has(job.source.file)) envByFile.set(job.source.file, scheduleEnv(cronSettingsOf(cron, job), job.source.file, out));
    return envByFile.get(job.source.file)!;
  };
  const used = new Set<string>();
  const result: EmittedCron[] = [];
  for (const [index, job] of cron.jobs.entries()) {
    const key = cronJobKey(cron.jobs, index);
    // whenever raises on a schedule of this file: `whenever` fails on the whole file, so no crontab
    // line came of any of its jobs (and a deploy that ran whenever on it failed at that step).
    const raising = cron.jobs.find((j) => j.wheneverRaises && j.source.file === job.source.file);
    if (raising?.wheneverRaises) {
      const r = raising.wheneverRaises;
      out.notes.push({ message: `cron job ${JSON.stringify(job.task)} (${job.type}) gets no CronJob: whenever raises on the schedule at ${r.source.file}:${r.source.line} (${r.message}), so \`whenever\` wrote no crontab from ${job.source.file} (it fails on the whole file${raising === job ? "" : `, this job's line included`}). Correct that schedule to one whenever reads, then run migrate again`, source: job.source });
      continue;
    }
    if (job.sameLineAs) {
      out.notes.push({ message: `cron job ${JSON.stringify(job.task)} is the same job as the one at ${job.sameLineAs.file}:${job.sameLineAs.line} (same time, command and roles): whenever wrote both as one crontab line, which cron ran once per time; that job's CronJob runs it, and this one gets none`, source: job.source });
      continue;
    }
    // A command with a part only whenever's run knows still gets its CronJob (one per job, always):
    // with the answered command, else suspended with a placeholder that fails loudly until answered.
    const analysed = cronCommand(job);
    const answeredCommand = analysed === null ? answerString(plan.answers, cronCommandAnswerId(key), "").trim() || null : null;
    const unknownCommand = analysed === null && answeredCommand === null;
    if (unknownCommand)
      out.notes.push({ message: `cron job ${JSON.stringify(job.task)} (${job.type}): part of its command is computed when whenever runs (${cronCommandUnknowns(job).join("; ") || "a value the analysis cannot know"}); its CronJob is written suspended, with a placeholder command, until you answer ${cronCommandAnswerId(key)}`, source: job.source });
    const command = analysed ?? answeredCommand ?? unknownCronCommand(key);
    const rubySwitch = analysed === null ? null : cronRubySwitch(job);
    // A redefined built-in type says where its template is: the switch was written there, not at the job.
    const typeAt = job.redefinedType ? `, its template from \`job_type :${job.type}\` at ${job.redefinedType.file}:${job.redefinedType.line}` : "";
    if (rubySwitch) out.notes.push({ message: `cron job ${JSON.stringify(job.task)} (${job.type}${typeAt}): ${rubySwitchNote(rubySwitch)}; the CronJob runs \`${command}\``, source: job.source });
    // Written suspended: with backoffLimit 0 it would fail on every run. The reason goes to MIGRATION.md.
    // A job that administered the servers is suspended for its own reason, never "put it in the repo".
    const admin = unknownCommand ? null : cronServerAdminReason(command);
    if (admin) out.notes.push({ message: `cron job ${JSON.stringify(job.task)} is written suspended, not to be resumed: ${admin}`, source: job.source });
    // A job that supervised the servers' processes (a daemon's start, a pid file, a kill): the cluster's Deployments replace it.
    const supervises = admin ? null : cronProcessControlReason(plan, job);
    if (supervises) out.notes.push({ message: `cron job ${JSON.stringify(job.task)} is written suspended, not to be resumed: ${supervises}`, source: job.source });
    const serverOnly = unknownCommand || admin || supervises ? null : cronServerOnlyReason(job, command);
    // Where no stage ran it (its roles are on none of their servers), that is the reason it stays suspended.
    const nowhere = plan.stages.length > 0 && plan.stages.every((st) => cronNotRunReason(st.stage, job, repoTask) !== null);
    if (serverOnly && nowhere)
      out.notes.push({ message: `cron job ${JSON.stringify(job.task)} is written suspended: whenever wrote no line for it on any stage (${plan.stages.map((st) => `${st.stage.name}: ${cronNotRunReason(st.stage, job, repoTask)}`).join("; ")}); it would also need what only the servers had (${serverOnly})`, source: job.source });
    else if (serverOnly)
      out.notes.push({ message: `cron job ${JSON.stringify(job.task)} is written suspended: ${serverOnly}. Put what it needs in the repo (or point it at a mounted volume or object storage), then remove suspend: true`, source: job.source });
    // Under a condition not decided statically: the CronJob exists (one per job), suspended.
    const undecided = cronUndecidedReason(job);
    if (undecided) out.notes.push({ message: `cron job ${JSON.stringify(job.task)} is written suspended: ${undecided}`, source: job.source });
    // A job whose schedule the analysis could not compute still gets its CronJob: with the
    // answered cron line, else suspended with a placeholder line until someone answers.
    const unknownSchedule = job.schedules.length === 0;
    const answered = unknownSchedule ? answerString(plan.answers, cronScheduleAnswerId(key), "") || null : null;
    if (unknownSchedule && !answered)
      out.notes.push({ message: `cron job ${JSON.stringify(job.task)}: its schedule is computed when whenever runs; its CronJob is written suspended (schedule "${UNKNOWN_SCHEDULE_PLACEHOLDER}" is a placeholder) until you answer ${cronScheduleAnswerId(key)}`, source: job.source });
    const schedules = unknownSchedule ? [answered ?? UNKNOWN_SCHEDULE_PLACEHOLDER] : job.schedules;
    const runnable = schedules.filter(isRunnableSchedule);
    for (const s of job.schedules.filter((x) => !isRunnableSchedule(x)))
      out.notes.push({ message: `cron line "${s} ${command}" ran at server boot; Kubernetes has no boot moment — run it from the entrypoint or drop it`, source: job.source });
    const cronEnv = envOf(job);
    runnable.forEach((schedule, i) => {
      const base = cronJobBaseName(app, job);
      let name = runnable.length > 1 ? `${base}-${i + 1}` : base;
      for (let n = 2; used.has(name); n++) name = `${base}-${n}`.slice(0, 52);
      used.add(name);
      out.provenance.push({ output, what: `CronJob ${name}: "${schedule}" ${command}`, source: job.source });
      // A condition some stage decides is annotated by the stages that leave it open (overlay.ts).
      const annotations = { ...(job.conditionOn ? {} : cronUndecidedAnnotation(job)), ...(supervises ? { [CRON_PROCESS_CONTROL_ANNOTATION]: supervises } : {}) };
      result.push({
        name,
        job,
        schedule,
        object: {
          apiVersion: "batch/v1",
          kind: "CronJob",
          metadata: {
            name,
            labels: labels(app, "cron"),
            ...(Object.keys(annotations).length ? { annotations } : {}),
          },
          spec: {
            schedule,
            timeZone: plan.cronTimeZone,
            ...(serverOnly || admin || supervises || undecided || unknownCommand || (unknownSchedule && !answered) ? { suspend: true } : {}),
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 300,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
              metadata: { labels: labels(app, "cron") },
              spec: {
                // cron did not retry a failed line either
                backoffLimit: 0,
                activeDeadlineSeconds: cronDeadlineSeconds(schedule),
                template: {
                  metadata: { labels: labels(app, "cron") },
                  spec: {
                    restartPolicy: "Never",
                    ...podDefaults(),
                    // Drains on nothing: the run finishes (rules/shutdown.ts taskPreStop), within a default bound.
                    terminationGracePeriodSeconds: CRON_GRACE_SECONDS,
                    containers: [
                      {
                        name: "cron",
                        image: appImage(app),
                        args: ["/bin/sh", "-c", kubeletLiteral(command)],
                        envFrom: envFrom(app),
                        ...(cronEnv.length ? { env: cronEnv } : {}),
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
      const notRun = cronNotRunReason(st.stage, job, repoTask);
      if (notRun) out.notes.push({ message: `stage ${st.stage.name}: cron job ${JSON.stringify(job.task)} is suspended there: ${notRun}`, source: job.source });
      const env = notRun ? null : cronCrontabEnv(st.stage, job, repoTask);
      if (env) out.notes.push({ message: `stage ${st.stage.name}: cron job ${JSON.stringify(job.task)}: ${env.why}`, source: job.source });
      const open = notRun ? null : cronUndecidedOnStage(st.stage, job);
      if (open) out.notes.push({ message: `stage ${st.stage.name}: cron job ${JSON.stringify(job.task)} is written suspended there: ${open}`, source: job.source });
    }
  }
  return result;
}

/**
 * whenever's `env` lines were set at the top of the crontab, so every job saw them. Plain values
 * are carried onto each CronJob's container; a secret one reaches it through the stage's Secret
 * (config.ts puts it in secrets.env). PATH named the servers' directories (rbenv shims, /usr/local)
 * and would hide the image's, and MAILTO mailed cron output, which is the pod's log now: both are
 * left out, and said.
 */
function scheduleEnv(settings: CronFacts["settings"], file: string, out: EmitResult): { name: string; value: string }[] {
  const env: { name: string; value: string }[] = [];
  for (const [key, fact] of Object.entries(settings)) {
    if (!key.startsWith("env:")) continue;
    const name = key.slice(4);
    const fate = cronEnvFate(name, fact.value);
    if (fate.kind === "left-out") out.notes.push({ message: `${file}: env ${name} is not carried to the CronJobs: ${fate.why}`, source: fact.source });
    else if (fate.kind === "carried") env.push({ name, value: kubeletLiteral(fate.value) });
  }
  return env;
}
