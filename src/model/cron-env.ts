// The Rails environment a stage's crontab ran a whenever job with, against the one its overlay gives
// the CronJob's pod. whenever writes `RAILS_ENV=<environment>` (and `runner -e <environment>`) into
// each line from the `environment` its run was given: Capistrano's whenever integration (v3 task and
// v2 recipe alike) passes `--set environment=#{whenever_environment}`, whose default is
// `fetch :rails_env, fetch(:stage, "production")` — but a deploy may set whenever_environment, its
// own whenever_variables, or a String whenever_command with its own `--set`. The CronJob strips that
// word and reads RAILS_ENV from the pod, so where the two can differ it must say so and run the
// crontab's environment, or stay a gap: never the overlay's in silence.
import type { CronJob, Source, Stage } from "../model.js";
import { railsEnvOf, isSym } from "../model.js";

export interface CrontabEnv {
  /** The environment whenever wrote into the stage's lines; null where it is not known statically. */
  env: string | null;
  /** The deploy line that says it. */
  source: Source;
  how: string;
}

/**
 * What the stage's crontab ran the job with, or null where nothing says it differs from the stage's
 * Rails env (whenever not run by the plugin, or run with the analysis's per-Rails-env reading).
 */
export function crontabEnvOn(stage: Stage, job: CronJob, repoUpdateTask = false): CrontabEnv | null {
  const v = stage.variables;
  const from = v["whenever_command"]?.defaultOf === undefined && v["whenever_command"] ? v["whenever_command"] : v["whenever_variables"]?.defaultOf === undefined && v["whenever_variables"] ? v["whenever_variables"] : v["whenever_update_flags"];
  // Its whenever run installed nothing: no claim about the crontab's environment, the stage's reading stands.
  if (job.environmentUnclaimed?.includes(stage.name)) return null;
  // The stage's whenever variables were read (a String command, whenever_variables of its own, Mina's whenever).
  if (job.environmentOn) {
    const env = job.environmentOn[stage.name];
    const source = from?.source ?? job.source;
    const how = job.environmentHow?.[stage.name];
    return env !== undefined
      ? { env, source, how: how ?? `the --set environment=${env} its whenever run was given` }
      : { env: null, source, how: how ?? "its whenever run was given no environment known statically (whenever then uses the schedule's `set :environment`, else production)" };
  }
  return pluginCrontabEnv(stage, repoUpdateTask);
}

/**
 * The environment Capistrano's whenever plugin passed the stage's run (`--set
 * environment=#{whenever_environment}`), whatever the job; null where nothing says it (no
 * whenever_environment, custom flags, or a repo task of its own).
 */
export function pluginCrontabEnv(stage: Stage, repoUpdateTask = false): CrontabEnv | null {
  const v = stage.variables;
  const we = v["whenever_environment"];
  // A repo's own whenever:update_crontab replaces (Capistrano 2) or runs beside (3) the plugin's: its --set is its own.
  if (!we || repoUpdateTask) return null;
  // The plugin's own `--set environment=#{whenever_environment}`: only where no custom flags replace it.
  const custom = ["whenever_variables", "whenever_update_flags"].some((k) => v[k] !== undefined && v[k]!.defaultOf === undefined);
  if (custom) return null;
  const text = typeof we.value === "string" ? we.value : isSym(we.value) ? we.value.sym : null;
  return text !== null && text !== ""
    ? { env: text, source: we.source, how: `whenever_environment${we.defaultOf !== undefined ? ` (${we.defaultOf}'s default, fetch(:rails_env))` : ""}, which Capistrano's whenever passes as --set environment=${text}` }
    : { env: null, source: we.source, how: "whenever_environment, which Capistrano's whenever passes as --set environment=, is not known statically" };
}

/** Where the stage's crontab ran the job with another environment than the overlay's RAILS_ENV (or one not known). */
export function crontabEnvDiffers(stage: Stage, job: CronJob, repoUpdateTask = false): (CrontabEnv & { overlay: string }) | null {
  const c = crontabEnvOn(stage, job, repoUpdateTask);
  if (!c) return null;
  const overlay = railsEnvOf(stage);
  return c.env === overlay ? null : { ...c, overlay };
}

/** The variable whenever's template set (`:environment_variable`, RAILS_ENV unless the schedule changed it), as the job's line wrote it. */
export function crontabEnvVariable(job: CronJob): string {
  const text = typeof job.command === "string" ? job.command : JSON.stringify(job.command);
  return /\bRACK_ENV=/.test(text) && !/\bRAILS_ENV=/.test(text) ? "RACK_ENV" : "RAILS_ENV";
}

/** The repo defines whenever:update_crontab itself (model.capistrano.tasks). */
export const repoWheneverTask = (tasks: { name: string }[] | undefined): boolean => !!tasks?.some((t) => t.name === "whenever:update_crontab");

/**
 * The environment whenever evaluated the schedule with on the stage — what decides `if @environment
 * == …` in schedule.rb: the crontab's where known, else the stage's Rails env; null where the
 * crontab's is not known statically (the CronJob is then suspended, cronCrontabEnv).
 */
export function scheduleEnvOn(stage: Stage, job: CronJob, repoUpdateTask = false): { env: string | null; crontab: CrontabEnv | null } {
  const crontab = crontabEnvOn(stage, job, repoUpdateTask);
  return { env: crontab ? crontab.env : railsEnvOf(stage), crontab };
}
