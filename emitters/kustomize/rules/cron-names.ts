// Mapping rules of the names of whenever's jobs: the CronJob's name (cronJobBaseName), the key of a
// job among its file's lines (cronJobKey), and the answer ids and placeholder command of the
// questions about it (cronCommandAnswerId, cronScheduleAnswerId, unknownCronCommand).
// Index of all rules: ./README.md.
import { createHash } from "node:crypto";
import { type CronJob, WHENEVER_DEFAULT_FILE } from "../../../src/model.js";
import { joinLabel } from "../../../src/model/names.js";
import { stringOf } from "./stage.js";

/**
 * Id of the answer giving the command of the whenever job `key` (cronJobKey) when part of its line is
 * computed only when whenever runs (`set :check_in, Settings.x` pasted into a custom job_type).
 */
export const cronCommandAnswerId = (key: string): string => `cron.${key}.command`;

/**
 * The part of an answer id that names the whenever job `jobs[index]`: its line, and its place among
 * that line's jobs when several share it (`runner_x 'a'; runner_x 'b'`, a loop), so each job has an
 * answer of its own; the first keeps the plain form.
 */
export function cronJobKey(jobs: readonly CronJob[], index: number): string {
  const job = jobs[index]!;
  const before = jobs.slice(0, index).filter((j) => j.source.file === job.source.file && j.source.line === job.source.line).length;
  const at = `${cronFileKey(job.source.file)}line_${job.source.line}`;
  return before ? `job_at_${at}_${before + 1}` : `job_at_${at}`;
}

/**
 * The schedule file in an answer id, for a file other than whenever's default (whose ids keep their
 * plain form, which saved answers files hold): `config/whenever/cron.rb` → `whenever_cron_<hash>_`.
 * The readable part folds `/`, `_` and case and is cut, so `config/whenever_cron.rb` reads the same:
 * the hash of the whole path keeps two files' line 4 two answers.
 */
const cronFileKey = (file: string): string =>
  file === WHENEVER_DEFAULT_FILE
    ? ""
    : `${file.replace(/^config\//, "").replace(/\.rb$/, "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 40)}_${createHash("sha256").update(file).digest("hex").slice(0, 8)}_`;

/**
 * The command a CronJob is written with until its real command is answered: it is written
 * suspended, and were it resumed it fails loudly instead of running a guessed line. Only the answer
 * id (from a line number) enters it.
 */
export const unknownCronCommand = (key: string): string => `echo "rails2k8s: the command of this CronJob is not known yet: answer ${cronCommandAnswerId(key)}" >&2; exit 64`;

/** Id of the answer giving the cron line of the whenever job defined at `line` of config/schedule.rb (src/gaps/cron.ts). */
export const cronScheduleAnswerId = (key: string): string => `cron.${key}.schedule`;

/** `<app>-<task>`: CronJob names stay ≤ 52 characters (the Job controller appends 11). */
export function cronJobBaseName(app: string, job: CronJob): string {
  const task = stringOf(job.task) ?? job.type;
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "");
  // A job of another schedule file than whenever's default is named for its file too: two files
  // loaded by one deploy often hold the same task (`logs:upload` on each server kind).
  const file = job.source.file === WHENEVER_DEFAULT_FILE || !/\.rb$/.test(job.source.file) ? "" : slug(job.source.file.replace(/^config\/(?:whenever\/|schedules?\/|cron\/)?/, "").replace(/\.rb$/, ""));
  // 48 leaves room for the `-<n>` that tells apart the schedules of one job, within CronJob's 52.
  return joinLabel([app, file, slug(task) || "cron"], 48);
}
