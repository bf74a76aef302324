// whenever's config/schedule.rb → cron lines, by whenever's own rules (ruby-whenever 1.0): the
// frequency/at rules in whenever/cron.ts, Chronic's time reading in whenever/chronic.ts, the command
// templates in whenever/job.ts, the JobList run in whenever/schedule.ts.
import type { AnalyzerContext, CronFacts, CronJob, RValue } from "../src/model.js";
import { parseRuby } from "./ruby/prism.js";
import { readSchedule, type PreSet, type ScheduleResult } from "./whenever/schedule.js";
import { hasPath } from "../src/model.js";

export const SCHEDULE_FILE = "config/schedule.rb";

export interface CronOptions {
  /**
   * What `whenever --set` passes (`environment=production&path=/app`). Capistrano's whenever
   * integration passes `environment=<rails_env>` per stage; without it the schedule's own values
   * (or whenever's defaults) apply.
   */
  set?: PreSet;
}

/**
 * whenever writes `cd :path` with the directory it ran in: under Capistrano the release directory,
 * which exists only at deploy time. Unless the schedule or `--set` gives `path`, it stays a reference.
 */
const RELEASE_PATH: RValue = { cap: "release_path" };

export function analyzeCron(ctx: AnalyzerContext, opts: CronOptions = {}): CronFacts | null {
  const r = readCrontab(ctx, opts);
  if (!r) return null;
  return { file: SCHEDULE_FILE, settings: r.settings, jobs: toCronJobs(r) };
}

/** The schedule as whenever would write it, line by line (for the report and the oracle test). */
export function readCrontab(ctx: AnalyzerContext, opts: CronOptions = {}): ScheduleResult | null {
  if (!hasPath(ctx.repo, SCHEDULE_FILE)) return null;
  const read = ctx.repo.read(SCHEDULE_FILE);
  if ("error" in read) {
    ctx.problem({ file: SCHEDULE_FILE, line: 0, message: `cannot read the whenever schedule: ${read.error}`, severity: "warning" });
    return null;
  }
  const parsed = parseRuby(SCHEDULE_FILE, read.text);
  for (const e of parsed.errors.slice(0, 1)) ctx.problem({ file: SCHEDULE_FILE, line: e.line, message: `Ruby syntax error: ${e.message}`, severity: "error" });
  const paths = ctx.repo.paths;
  const files = { binRails: paths.includes("bin/rails"), scriptRails: paths.includes("script/rails"), gemfile: paths.includes("Gemfile") };
  return readSchedule(parsed, files, opts.set ?? {}, RELEASE_PATH, (line, message) => ctx.problem({ file: SCHEDULE_FILE, line, message, severity: "warning" }));
}

/** One CronJob per job call, with the crontab lines it produced (after whenever's combining). */
function toCronJobs(r: ScheduleResult): CronJob[] {
  return r.jobs.map((j, i) => ({
    schedules: r.lines.filter((l) => l.job === i).map((l) => l.schedule),
    type: j.type,
    task: j.task,
    command: j.command,
    roles: j.roles,
    source: j.source,
  }));
}
