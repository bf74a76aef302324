// Mapping rules of whenever's jobs per stage and schedule: whether a stage ran a job and why not
// (cronNotRunReason, cronRanOnStage, cronServerCount, CRON_NOT_RUN_ANNOTATION), the environment its
// crontab ran it with (cronCrontabEnv, CRON_CRONTAB_ENV_ANNOTATION, cronEnvFate), conditions not
// decided statically (cronUndecidedReason, cronUndecidedOnStage, cronUndecidedAnnotation,
// CRON_UNDECIDED_ANNOTATION), and the schedule (isRunnableSchedule, cronDeadlineSeconds,
// cronTimeZoneHint, DEFAULT_CRON_TIME_ZONE). The command is cron-command.ts's; names and answer ids
// cron-names.ts'; what only the servers had cron-server-only.ts'. Index of all rules: ./README.md.
import { TIME_ZONE_NAMES } from "../../../src/model/time-zones.js";
import { type CronJob, type RValue, type Source, type Stage, cronRolesOf, cronServersOf } from "../../../src/model.js";
import { secretEnvEntry } from "../../../src/model/secret-env.js";
import { isEnvKey } from "../../encode/envfile.js";
import { isObject } from "../answers.js";
import { crontabEnvDiffers, crontabEnvVariable, scheduleEnvOn } from "../../../src/model/cron-env.js";
import { type ModelLike, stringOf, railsEnvOf, railsEnvWhy, hasRole } from "./stage.js";

/**
 * Annotation of a CronJob an overlay suspends because whenever wrote no line for it on that stage:
 * the stage's reason, which stands over the base's (a job the base suspends as needing a server-only
 * program is, on a stage without its roles, simply not run there).
 */
export const CRON_NOT_RUN_ANNOTATION = "rails2k8s.dev/not-run-on-stage";

/** Annotation of a CronJob whose stage's crontab ran another Rails environment than the overlay's (or one not known). */
export const CRON_CRONTAB_ENV_ANNOTATION = "rails2k8s.dev/crontab-environment";

/**
 * Where the stage's crontab ran the job with another environment than its overlay's RAILS_ENV
 * (src/model/cron-env.ts): the variable and value the CronJob must run with there, or null value
 * where that environment is not known (then it stays suspended on the stage: a gap, not the overlay's).
 */
export function cronCrontabEnv(stage: Stage, job: CronJob, repoUpdateTask = false): { variable: string; value: string | null; why: string } | null {
  const d = crontabEnvDiffers(stage, job, repoUpdateTask);
  if (!d) return null;
  const overlay = railsEnvWhy(stage);
  const at = (s: Source) => `${s.file}:${s.line}`;
  const variable = crontabEnvVariable(job);
  const why = d.env
    ? `the servers' crontab ran it with ${variable}=${d.env} (${d.how}, ${at(d.source)}), not the overlay's RAILS_ENV=${d.overlay} (${at(overlay.source)}): its CronJob runs ${variable}=${d.env} here, as the crontab did; confirm that environment is meant for this stage's database`
    : `the servers' crontab ran it with an environment not known statically (${d.how}, ${at(d.source)}), and the overlay's is RAILS_ENV=${d.overlay} (${at(overlay.source)}): written suspended here until you confirm which one it ran`;
  return { variable, value: d.env, why };
}

/** whenever's jobs run on the servers with their `roles:` (default :db); a stage without one never ran it. */
export function cronRanOnStage(stage: Stage, job: CronJob, repoUpdateTask = false): boolean {
  return cronNotRunReason(stage, job, repoUpdateTask) === null;
}

/**
 * Why whenever wrote no crontab line for the job on the stage, or null when it did. A stage that
 * declares no server ran no cron at all; one whose servers could not be read has the question
 * servers.<stage>, and until it is answered nothing says the job ran there. Only the overlay
 * written when the repo has no stage (stages.none) knows nothing of its servers: the job is kept.
 */
export function cronNotRunReason(stage: Stage, job: CronJob, repoUpdateTask = false): string | null {
  // The schedule's `if @environment == …` was decided by the environment whenever was given there
  // (the crontab's), not by the overlay's RAILS_ENV; one not known decides nothing here.
  const { env, crontab } = scheduleEnvOn(stage, job, repoUpdateTask);
  if (job.envs && env !== null && !job.envs.includes(env)) return `${job.source.file} defines it only for RAILS_ENV ${job.envs.join(", ")}, not ${env}${crontab ? ` (the environment the stage's crontab was written with: ${crontab.how})` : ""}`;
  if (job.onStages && !job.onStages.stages.includes(stage.name)) return `with the stage's whenever ${job.onStages.by === "environment" ? "environment" : "variables"} (${job.onStages.with.file}:${job.onStages.with.line}) ${job.source.file} does not define it, so whenever wrote no crontab line for it there`;
  if (job.stages && !job.stages.includes(stage.name)) return `the stage's deploy does not load ${job.source.file} (only ${job.stages.join(", ")} do), so whenever wrote no crontab line for it there`;
  if (cronServersOf(stage, job).length) return null;
  if (job.taskRoles && stage.servers.length > 0)
    return `no server had the roles (${cronRolesOf(stage, job).join(", ") || "none in common with the job's"}) of the deploy task that runs whenever on ${job.source.file}, so whenever wrote no crontab line for it there`;
  if (stage.servers.some(hasRole(cronRolesOf(stage, job))))
    return `no server with its roles (${cronRolesOf(stage, job).join(", ")}) also had one of whenever_roles, where whenever's Capistrano task writes the crontab, so whenever wrote no crontab line for it there`;
  if (stage.servers.length > 0) return `no server had its roles (${cronRolesOf(stage, job).join(", ")}), so whenever wrote no crontab line for it there`;
  if (stage.undeclared) return null;
  const unread = (Array.isArray(stage.unread) ? stage.unread : []).find((u) => u.what === "servers");
  if (unread) return `the stage's servers (${unread.source.file}:${unread.source.line}) could not be read; answer servers.${stage.name} to say where it ran`;
  return `the stage declares no server (${stage.source.file} names none), so whenever wrote no crontab line for it there`;
}

/** How many servers ran the job on the stage (cron ran it once per server; a CronJob runs it once). */
export function cronServerCount(stage: Stage, job: CronJob): number {
  return cronServersOf(stage, job).length;
}

/** Schedules Kubernetes cannot run: `@reboot` ran when the server booted; there is no such moment. */
export const isRunnableSchedule = (schedule: string): boolean => !/^@reboot\b/.test(schedule.trim());

/** Annotation of a CronJob written suspended because whenever wrote it only under a condition not decided statically: the condition and its line. */
export const CRON_UNDECIDED_ANNOTATION = "rails2k8s.dev/undecided-condition";

/** The undecided-condition annotation of a job's CronJob: the condition as written, with its line; {} without one. */
export function cronUndecidedAnnotation(job: CronJob): Record<string, string> {
  return job.condition ? { [CRON_UNDECIDED_ANNOTATION]: `${job.condition.text} (${job.condition.source.file}:${job.condition.source.line})` } : {};
}

/**
 * Why a CronJob is written suspended because whether whenever wrote its line at all depended on a
 * condition the analysis cannot decide (analyzers/whenever/schedule.ts), or null. Never dropped, never run.
 */
export function cronUndecidedReason(job: CronJob): string | null {
  // Decided (and run) on some stages: only the overlays of the others suspend it (cronUndecidedOnStage).
  if (!job.condition || job.conditionOn) return null;
  return undecidedWhy(job.condition);
}

/**
 * Whether the job's condition stays undecided on the stage, where other stages' Rails env or whenever
 * variables decide it: that stage's overlay writes the CronJob suspended (emitters/kustomize/overlay.ts).
 */
export function cronUndecidedOnStage(stage: Stage, job: CronJob): string | null {
  const on = job.conditionOn;
  if (!job.condition || !on) return null;
  const open = on.stages ? on.stages.includes(stage.name) : (on.envs ?? []).includes(railsEnvOf(stage));
  return open ? `${undecidedWhy(job.condition)} (with RAILS_ENV ${railsEnvOf(stage)} and its whenever variables the condition is still open here; ${on.stages ? `stages ${on.stages.join(", ")}` : `RAILS_ENV ${(on.envs ?? []).join(", ")}`} leave it open, the others decide it and run the job)` : null;
}

function undecidedWhy(condition: NonNullable<CronJob["condition"]>): string {
  const at = `${condition.source.file}:${condition.source.line}`;
  if (condition.text.endsWith(".each")) return `whenever wrote it once per item of \`${condition.text.slice(0, -5)}\` (${at}), a list only the servers knew (how many, and which, is not known); resume it once you confirm the servers ran it`;
  return `whenever wrote it only when \`${condition.text}\` (${at}) held, which depends on what only the servers knew (an ENV value, a file there, a constant or list from elsewhere); resume it once you confirm the servers ran it`;
}

/**
 * activeDeadlineSeconds of a cron job: the shortest interval of its schedule, within 10 minutes (a
 * Rails boot must fit) and a day. Under `Forbid` a run that hangs blocks every later one; killed at
 * its interval, it gives the next run its turn (startingDeadlineSeconds lets that one start late).
 */
export function cronDeadlineSeconds(schedule: string): number {
  const macro: Record<string, number> = { "@hourly": 3600 };
  const s = schedule.trim();
  let interval = macro[s] ?? 86400;
  const f = s.split(/\s+/);
  if (f.length === 5) {
    const minutes = cronFieldValues(f[0]!, 60);
    const hours = cronFieldValues(f[1]!, 24);
    if (minutes && minutes.length > 1) interval = minCyclicGap(minutes, 60) * 60;
    else if (hours && hours.length > 1) interval = minCyclicGap(hours, 24) * 3600;
  }
  return Math.min(86400, Math.max(600, interval));
}

/** The values a cron field (`*`, `*\/15`, `1-5`, `0,30`) stands for, or null when unreadable. */
function cronFieldValues(field: string, size: number): number[] | null {
  const out = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return null;
    const from = m[1] === "*" ? 0 : Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : m[1] === "*" || m[3] !== undefined ? size - 1 : from;
    const step = m[3] !== undefined ? Math.max(1, Number(m[3])) : 1;
    for (let v = from; v <= to && v < size; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

const minCyclicGap = (values: number[], size: number): number =>
  Math.min(...values.map((v, i) => (i + 1 < values.length ? values[i + 1]! - v : values[0]! + size - v)));

/** The server's time zone hint: TZ in Capistrano's `default_env` (a hint, not a fact — SEMANTICS.md). */
export function cronTimeZoneHint(model: ModelLike): { zone: string; source: Source } | null {
  for (const st of model.stages) {
    const env = st.variables["default_env"];
    if (env && isObject(env.value)) {
      const tz = stringOf(env.value["TZ"] ?? env.value["tz"] ?? env.value[":TZ"]);
      // Only a name the API server knows is a hint (TZ=Eastern is not): otherwise cron's zone stays a gap with the UTC default.
      if (tz && TIME_ZONE_NAMES.has(tz)) return { zone: tz, source: env.source };
    }
  }
  return null;
}

/** EC2's images (Amazon Linux, Ubuntu) run in UTC unless someone changed it. */
export const DEFAULT_CRON_TIME_ZONE = "Etc/UTC";

/**
 * What becomes of one whenever `env :NAME, value` line (written at the top of the crontab, so every
 * job of that file had it): carried onto each CronJob's container, carried through the stage's
 * Secret (config.ts puts it in secrets.env), or left out with the reason. PATH named the servers'
 * directories (rbenv shims, /usr/local) and would hide the image's; MAILTO mailed cron output, which
 * is the pod's log now. A value only whenever's run on the server knew (`ENV['PATH']`) is left out
 * and named, never guessed. Used by the CronJob emitter and the report alike.
 */
export type CronEnvFate = { kind: "carried"; value: string } | { kind: "secret" } | { kind: "left-out"; why: string };

export function cronEnvFate(name: string, value: RValue): CronEnvFate {
  if (name === "PATH") return { kind: "left-out", why: "it named the servers' directories; the image has its own PATH" };
  if (name === "MAILTO") return { kind: "left-out", why: "cron mailed job output; it is in the pod's log now" };
  if (secretEnvEntry(name, typeof value === "string" ? value : null)) return { kind: "secret" };
  const text = typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : null;
  if (!isEnvKey(name)) return { kind: "left-out", why: "is not an environment variable name; set it in the stage's config.env" };
  if (text === null) {
    const env = value && typeof value === "object" && !Array.isArray(value) && typeof (value as { env?: unknown }).env === "string" ? (value as { env: string }).env : null;
    return { kind: "left-out", why: `${env ? `its value is ENV[${JSON.stringify(env)}] of whenever's run on the server` : "has a value not known statically"}; set it in the stage's config.env` };
  }
  return { kind: "carried", value: text };
}
