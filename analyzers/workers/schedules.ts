// Schedules that run inside a job backend's own processes, not in cron: sidekiq-cron's and
// sidekiq-scheduler's YAML, Solid Queue's config/recurring.yml, resque-scheduler's schedule file,
// GoodJob's `cron:` entries. They are cron jobs too: they ran as long as the backend's worker (or
// scheduler) ran, so they are carried exactly when that worker is. Each is named on its worker's
// evidence; where no worker of the backend is carried, a warning says the jobs no longer run.
import type { AnalyzerContext, LinkedPath, RailsFacts, Source, WorkerFacts } from "../../src/model.js";
import { readErbYaml } from "../rails/erb-yaml.js";
import { isHash } from "../ruby/evaluate.js";
import { DEPLOY_FILE } from "../appserver/started.js";

export interface InWorkerSchedule {
  /** Backend id (backends.ts) whose processes ran the schedule. */
  backend: string;
  /** The gem that reads it. */
  gem: string;
  file: string;
  entries: number;
  source: Source;
  /** The jobs, by name with their schedule, as the file (or its example) lists them. */
  jobs?: string[];
  /**
   * The file is the servers' (linked from shared/, or not in the repo at all): `example` is the
   * repo's copy whose jobs are listed instead; neither: which jobs ran is not known.
   */
  serversCopy?: { linked: Source | null; example: string | null };
  /** The other lines that set the same schedule from the same file (a rake task and an initializer both). */
  alsoAt?: Source[];
  /**
   * `Resque.schedule =` is given something that is not a YAML load the analysis follows (a wrapper's
   * result, a hash built in Ruby): the expression as written. No file is the schedule; which jobs, not known.
   */
  notRead?: string;
}

/** Suffixes of a committed example standing in for a file the servers held. */
const EXAMPLE_SUFFIXES = [".sample", ".example", ".dist"];
/** Ruby the app loads (rake files, lib/, config/) where resque-scheduler's schedule may be set. */
const APP_RUBY = /^(?:config\/.+\.rb|lib\/.+\.(?:rb|rake)|Rakefile|app\/.+\.rb)$/;

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

export function inWorkerSchedules(ctx: AnalyzerContext, rails: RailsFacts, linked: readonly LinkedPath[] = []): InWorkerSchedule[] {
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
  // resque-scheduler reads whatever `Resque.schedule =` gets, wherever the app sets it: an initializer, or
  // the rake task its scheduler runs first (`task :setup_schedule` in lib/tasks/resque.rake).
  if (has("resque-scheduler")) out.push(...resqueSchedules(ctx, linked));
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
export function attachSchedules(ctx: AnalyzerContext, rails: RailsFacts, workers: WorkerFacts[], linked: readonly LinkedPath[] = []): void {
  for (const s of inWorkerSchedules(ctx, rails, linked)) {
    if (s.notRead !== undefined) {
      notReadSchedule(ctx, s, workers);
      continue;
    }
    const said = scheduleSaid(s);
    if (s.serversCopy) ctx.problem({ ...s.source, message: `cron.in-worker-schedule-servers-copy: ${serversCopyText(s)}`, severity: "warning" });
    // A backend run inside the web server (Solid Queue in Puma, GoodJob async) ran its schedule there too.
    const carried = workers.filter((w) => w.backend === s.backend && (w.carried || w.inWeb));
    // In place: the Sidekiq worker shares its evidence list with the Sidekiq facts the report prints.
    if (carried.length) for (const w of carried) w.evidence.push({ value: said, source: s.source });
    else
      ctx.problem({
        ...s.source,
        message: `cron.in-worker-schedule: ${s.file} holds ${s.serversCopy && !s.serversCopy.example ? "scheduled jobs (which, is not known)" : `${s.entries} scheduled job${s.entries === 1 ? "" : "s"}${s.jobs?.length ? ` (${s.jobs.join(", ")})` : ""}`} that ${s.gem} ran inside the ${s.backend} processes${alsoText(s)}, and no worker of that backend is carried: these jobs no longer run; carry the worker or make them CronJobs`,
        severity: "warning",
      });
  }
}

/** `Resque.schedule =` given what no YAML load names: said on the scheduler's evidence and as a warning, never another YAML of the file. */
function notReadSchedule(ctx: AnalyzerContext, s: InWorkerSchedule, workers: readonly WorkerFacts[]): void {
  const carried = workers.filter((w) => w.backend === s.backend && (w.carried || w.inWeb));
  const what = `${s.gem}'s schedule is set at ${s.source.file}:${s.source.line} from \`${s.notRead!.slice(0, 120)}\`, which is not a YAML file's load the analysis follows: the schedule was not read and which jobs it holds is not known`;
  for (const w of carried) w.evidence.push({ value: `the scheduled jobs of ${s.gem} (its schedule was not read: ${s.source.file}:${s.source.line}) run inside this worker`, source: s.source });
  ctx.problem({
    ...s.source,
    message: `cron.in-worker-schedule-unread: ${what}; ${carried.length ? "they run inside the carried worker: list them from the file or Ruby that builds the schedule and confirm them" : `no worker of ${s.backend} is carried, so they no longer run: list them and make them CronJobs or carry the worker`}`,
    severity: "warning",
  });
}

/** The worker's evidence line (report and MIGRATION.md read it by its ` scheduled job(s) of … run inside this worker` shape). */
function scheduleSaid(s: InWorkerSchedule): string {
  const n = `${s.entries} scheduled job${s.entries === 1 ? "" : "s"}`;
  const jobs = s.jobs?.length ? `: ${s.jobs.join(", ")}` : "";
  if (!s.serversCopy) return `${n} of ${s.file} (${s.gem}${jobs}${alsoText(s)}) run inside this worker`;
  const where = s.serversCopy.linked ? `linked from the servers at ${s.serversCopy.linked.file}:${s.serversCopy.linked.line}` : "not in the repo";
  return s.serversCopy.example
    ? `${n} of ${s.file} (${s.gem}; the schedule is the servers' copy, ${where}; the repo's example ${s.serversCopy.example} lists${jobs}) run inside this worker`
    : `the scheduled jobs of ${s.file} (${s.gem}; the schedule is the servers' copy, ${where}, and no example of it is in the repo: which jobs, is not known) run inside this worker`;
}

/** The other lines that load the same schedule file, said once with it. */
const alsoText = (s: InWorkerSchedule) => (s.alsoAt?.length ? `; also set from it at ${s.alsoAt.map((a) => `${a.file}:${a.line}`).join(", ")}` : "");

function serversCopyText(s: InWorkerSchedule): string {
  const c = s.serversCopy!;
  const where = c.linked ? `is linked from the servers' shared/ (${c.linked.file}:${c.linked.line})` : "is not in the repo";
  return c.example
    ? `${s.gem} reads its schedule from ${s.file} (${s.source.file}:${s.source.line}${alsoText(s)}), which ${where}: the jobs that ran are the servers' copy's; the repo's example ${c.example} lists ${s.entries} (${(s.jobs ?? []).join(", ")}), read as the repo's example: confirm them against the servers' file and commit it for the image`
    : `${s.gem} reads its schedule from ${s.file} (${s.source.file}:${s.source.line}${alsoText(s)}), which ${where}, and the repo holds no example of it: the scheduled jobs that ran are not known; copy the servers' file into the repo for the image`;
}

/** `Resque.schedule = …` (or `Resque::Scheduler.schedule =`) in the app's Ruby, and the YAML file it loads. */
function resqueSchedules(ctx: AnalyzerContext, linked: readonly LinkedPath[]): InWorkerSchedule[] {
  const out: InWorkerSchedule[] = [];
  const call = /\bResque(?:::Scheduler)?\.schedule\s*=/;
  for (const file of ctx.repo.paths) {
    if (!APP_RUBY.test(file) || /^(?:spec|test)\//.test(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || !call.test(r.text)) continue;
    const lines = r.text.split(/\r?\n/);
    const at = lines.findIndex((l) => call.test(l) && !/^\s*#/.test(l));
    if (at < 0) continue;
    const source = { file, line: at + 1 };
    const from = scheduleSource(lines, at);
    if ("notRead" in from) {
      out.push({ backend: "resque-scheduler", gem: "resque-scheduler", file: "", entries: 0, source, notRead: from.notRead });
      continue;
    }
    for (const y of from.files) {
      // The same file set from two places (an initializer and the scheduler's rake task): one schedule.
      const same = out.find((o) => o.file === y);
      if (same) {
        same.alsoAt = [...(same.alsoAt ?? []), source];
        continue;
      }
      const link = linked.find((l) => l.kind === "file" && l.path === y) ?? linkedInDeploy(ctx, y);
      if (ctx.repo.paths.includes(y) && !link) {
        const read = scheduleJobs(ctx, y);
        if (read?.jobs.length) out.push({ backend: "resque-scheduler", gem: "resque-scheduler", file: y, entries: read.total, jobs: read.jobs, source });
        continue;
      }
      // Not in the repo, or linked over the repo's copy: the servers' file is the schedule.
      const example = (link?.example && ctx.repo.paths.includes(link.example) ? link.example : null) ?? exampleOf(ctx, y) ?? (link && ctx.repo.paths.includes(y) ? y : null);
      const read = example ? scheduleJobs(ctx, example) : null;
      out.push({ backend: "resque-scheduler", gem: "resque-scheduler", file: y, entries: read?.total ?? 0, ...(read ? { jobs: read.jobs } : {}), source, serversCopy: { linked: link?.source ?? null, example: read ? example : null } });
    }
  }
  return out;
}

/** A YAML load of a repo path: `YAML.load_file(…)`, `YAML.load(ERB.new(File.read(…)).result)`, `YAML.safe_load(File.read(…))`. */
const YAML_LOAD = /\b(?:YAML|Psych)\.(?:load_file|safe_load_file|unsafe_load_file|load|safe_load|unsafe_load)\b/;

/**
 * What `Resque.schedule =` on line `at` is given: the YAML file a load on its right side reads, or a
 * local/constant assigned above it from such a load (`schedule = YAML.load_file(…)`, followed
 * through plain renames). Anything else (a wrapper's result, a hash built in Ruby) is not read: the
 * other YAML paths of the file are not the schedule (audit B s26 #3: `config/redis.yml` was taken for it).
 */
function scheduleSource(lines: readonly string[], at: number): { files: string[] } | { notRead: string } {
  let rhs = lines[at]!.replace(/^.*?\bschedule\s*=\s*/, "").replace(/\s+#.*$/, "").trim();
  const written = rhs;
  for (let hop = 0, before = at; hop < 4; hop++) {
    if (YAML_LOAD.test(rhs)) {
      const files = yamlPaths(rhs);
      return files.length ? { files } : { notRead: written };
    }
    const name = /^([A-Za-z_]\w*)(?:\s*\|\|\s*\{\s*\})?$/.exec(rhs)?.[1];
    if (!name) break;
    const assign = new RegExp(`^\\s*${name}\\s*=(?!=)\\s*(.+?)\\s*$`);
    let found = -1;
    for (let i = before - 1; i >= 0; i--)
      if (assign.test(lines[i]!) && !/^\s*#/.test(lines[i]!)) {
        found = i;
        break;
      }
    if (found < 0) break;
    rhs = assign.exec(lines[found]!)![1]!.replace(/\s+#.*$/, "").replace(/\s*(?:\|\||or)\s*\{\s*\}\s*$/, "").trim();
    before = found;
  }
  return { notRead: written };
}

function exampleOf(ctx: AnalyzerContext, f: string): string | null {
  const dot = f.lastIndexOf(".");
  for (const s of EXAMPLE_SUFFIXES)
    for (const c of [f + s, ...(dot > f.lastIndexOf("/") ? [f.slice(0, dot) + s + f.slice(dot)] : [])]) if (ctx.repo.paths.includes(c)) return c;
  return null;
}

/** The jobs of a resque-scheduler YAML: each name with its `cron`/`every` and `class` (resque-scheduler's keys). */
function scheduleJobs(ctx: AnalyzerContext, file: string): { jobs: string[]; total: number } | null {
  const y = readErbYaml(ctx, file);
  if (!y || !isHash(y.value)) return null;
  const MAX = 20;
  const names = Object.keys(y.value as object);
  const jobs = names.slice(0, MAX).map((name) => {
    const v = (y.value as Record<string, unknown>)[name];
    if (!isHash(v as never)) return name;
    const h = v as Record<string, unknown>;
    const when = ["cron", "every", "at"].map((k) => (typeof h[k] === "string" || typeof h[k] === "number" ? `${k} ${JSON.stringify(String(h[k]))}` : null)).find(Boolean);
    const cls = typeof h["class"] === "string" ? ` → ${h["class"]}` : "";
    return `${name}${when ? ` ${when}` : ""}${cls}`;
  });
  // The list ends with "and N more"; the count is the file's own (audit B s26 #4: 26 jobs were said as 21).
  if (names.length > MAX) jobs.push(`and ${names.length - MAX} more`);
  return { jobs, total: names.length };
}

/**
 * Where no stage was read (so no linked list either), the deploy file's own words: the path inside a
 * `linked_files` list (`set :linked_files, %w{ … }` over several lines) or linked from `shared_path`.
 */
function linkedInDeploy(ctx: AnalyzerContext, path: string): { example?: string; source: Source } | undefined {
  const esc = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const word = new RegExp(`(?:^|[\\s"'{(\\[/])${esc}(?=$|[\\s"'})\\],])`);
  for (const file of ctx.repo.paths) {
    if (!DEPLOY_FILE.test(file)) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || !r.text.includes(path)) continue;
    const lines = r.text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      if (!word.test(lines[i]!) || /^\s*#/.test(lines[i]!)) continue;
      if (/shared_path|\/shared\//.test(lines[i]!)) return { source: { file, line: i + 1 } };
      // Up to the list's opening line: a `set`/`append` of linked_files, with no other call between.
      for (let j = i; j >= Math.max(0, i - 40); j--) {
        if (/\b(?:set|append)\s*\(?\s*:linked_files\b/.test(lines[j]!)) return { source: { file, line: j + 1 } };
        if (j < i && /^\s*(?:set|append|task|namespace|after|before|desc|on|server|role)\b/.test(lines[j]!)) break;
      }
    }
  }
  return undefined;
}
