// Schedules that run inside a job backend's own processes, not in cron: sidekiq-cron's and
// sidekiq-scheduler's YAML, Solid Queue's config/recurring.yml, resque-scheduler's schedule file,
// GoodJob's `cron:` entries. They are cron jobs too: they ran as long as the backend's worker (or
// scheduler) ran, so they are carried exactly when that worker is. Each is named on its worker's
// evidence; where no worker of the backend is carried, a warning says the jobs no longer run.
import type { AnalyzerContext, RailsFacts, Source, WorkerFacts } from "../../src/model.js";
import { readErbYaml } from "../rails/erb-yaml.js";
import { isHash } from "../ruby/evaluate.js";

export interface InWorkerSchedule {
  /** Backend id (backends.ts) whose processes ran the schedule. */
  backend: string;
  /** The gem that reads it. */
  gem: string;
  file: string;
  entries: number;
  source: Source;
}

const INITIALIZERS = /^config\/(initializers\/.+|application|environments\/.+)\.rb$/;
/** `"config/x.yml"`, or `Rails.root.join("config", "x.yml")` / `File.join(..., "config", "x.yml")`. */
function yamlPaths(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/["'](config\/[\w./-]+\.ya?ml)["']/g)) out.add(m[1]!);
  for (const m of text.matchAll(/join\(\s*["']config["']\s*,\s*["']([\w.-]+\.ya?ml)["']\s*\)/g)) out.add(`config/${m[1]!}`);
  return [...out];
}

function countEntries(ctx: AnalyzerContext, file: string, pick?: (v: Record<string, unknown>) => unknown): number | null {
  if (!ctx.repo.paths.includes(file)) return null;
  const y = readErbYaml(ctx, file);
  if (!y) return null;
  const v = pick && isHash(y.value) ? pick(y.value as Record<string, unknown>) : y.value;
  return isHash(v as never) ? Object.keys(v as object).length : Array.isArray(v) ? v.length : null;
}

export function inWorkerSchedules(ctx: AnalyzerContext, rails: RailsFacts): InWorkerSchedule[] {
  const out: InWorkerSchedule[] = [];
  const has = (g: string) => !!rails.gems[g];
  const ruby = ctx.repo.paths.filter((p) => INITIALIZERS.test(p));
  const scan = (gem: string, backend: string, call: RegExp) => {
    for (const file of ruby) {
      const r = ctx.repo.read(file);
      if ("error" in r || !call.test(r.text)) continue;
      const line = r.text.split(/\r?\n/).findIndex((l) => call.test(l)) + 1;
      for (const y of yamlPaths(r.text)) {
        const n = countEntries(ctx, y);
        if (n) out.push({ backend, gem, file: y, entries: n, source: { file, line } });
      }
    }
  };
  if (has("sidekiq-cron")) scan("sidekiq-cron", "sidekiq", /Sidekiq::Cron::Job\.load_from_(hash|array)/);
  if (has("resque-scheduler")) scan("resque-scheduler", "resque-scheduler", /Resque\.schedule\s*=/);
  if (has("sidekiq-scheduler"))
    for (const file of ["config/sidekiq.yml", "config/sidekiq_scheduler.yml"]) {
      const n = countEntries(ctx, file, (v) => v[":schedule"] ?? v["schedule"] ?? (isHash(v[":scheduler"] as never) ? (v[":scheduler"] as Record<string, unknown>)[":schedule"] : undefined));
      if (n) out.push({ backend: "sidekiq", gem: "sidekiq-scheduler", file, entries: n, source: { file, line: 1 } });
    }
  if (has("solid_queue")) {
    const n = countEntries(ctx, "config/recurring.yml", (v) => v["production"] ?? v);
    if (n) out.push({ backend: "solid-queue", gem: "solid_queue", file: "config/recurring.yml", entries: n, source: { file: "config/recurring.yml", line: 1 } });
  }
  if (has("good_job"))
    for (const file of ruby) {
      const r = ctx.repo.read(file);
      if ("error" in r || !/enable_cron(:\s*|\s*=\s*)true/.test(r.text)) continue;
      const lines = r.text.split(/\r?\n/);
      const n = lines.filter((l) => /^\s*cron:\s*["']/.test(l)).length;
      if (n) out.push({ backend: "good-job", gem: "good_job", file, entries: n, source: { file, line: lines.findIndex((l) => /enable_cron/.test(l)) + 1 } });
    }
  return out;
}

/** Each schedule on its carried worker's evidence, or a warning that nothing runs it any more. */
export function attachSchedules(ctx: AnalyzerContext, rails: RailsFacts, workers: WorkerFacts[]): void {
  for (const s of inWorkerSchedules(ctx, rails)) {
    const said = `${s.entries} scheduled job${s.entries === 1 ? "" : "s"} of ${s.file} (${s.gem}) run inside this worker`;
    // A backend run inside the web server (Solid Queue in Puma, GoodJob async) ran its schedule there too.
    const carried = workers.filter((w) => w.backend === s.backend && (w.carried || w.inWeb));
    // In place: the Sidekiq worker shares its evidence list with the Sidekiq facts the report prints.
    if (carried.length) for (const w of carried) w.evidence.push({ value: said, source: s.source });
    else
      ctx.problem({
        ...s.source,
        message: `cron.in-worker-schedule: ${s.file} holds ${s.entries} scheduled job${s.entries === 1 ? "" : "s"} that ${s.gem} ran inside the ${s.backend} processes, and no worker of that backend is carried: these jobs no longer run; carry the worker or make them CronJobs`,
        severity: "warning",
      });
  }
}
