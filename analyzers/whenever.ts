// whenever's schedule files → cron lines, by whenever's own rules (ruby-whenever 1.0): the
// frequency/at rules in whenever/cron.ts, Chronic's time reading in whenever/chronic.ts, the command
// templates in whenever/job.ts, the JobList run in whenever/schedule.ts. Which files the servers
// loaded (config/schedule.rb, or what `-f` named) is decided in whenever/loaded.ts.
import type { AnalyzerContext, CronFacts, CronJob, RValue, ScheduleFile, Source } from "../src/model.js";
import { parseRuby } from "./ruby/prism.js";
import { readSchedule, type PreSet, type ScheduleResult } from "./whenever/schedule.js";
import { customWheneverVariables, type ScheduleLoad } from "./whenever/loaded.js";
import type { StageWheneverSet } from "./whenever/variables.js";
import { envNamesRead, type StageWheneverEnv } from "./whenever/process-env.js";
import { withProcessControl } from "./whenever/process-control.js";
import { WHENEVER_DEFAULT_FILE, hasPath, isSym, isUnknown } from "../src/model.js";

/** whenever's default file: what is read when no deploy load says otherwise (tests, the oracle). */
export const SCHEDULE_FILE = WHENEVER_DEFAULT_FILE;

export interface CronOptions {
  /**
   * What `whenever --set` passes (`environment=production&path=/app`). Capistrano's whenever
   * integration passes `environment=<rails_env>` per stage; without it the schedule's own values
   * (or whenever's defaults) apply.
   */
  set?: PreSet;
  /**
   * Per stage, what its deploy passed to `--set` when some stage sets whenever_variables of its own
   * (analyzers/whenever/variables.ts): the schedule is run once per stage with them.
   */
  stageSets?: StageWheneverSet[] | null;
  /**
   * Per stage, the environment its deploy exported to whenever's process (whenever/process-env.ts):
   * a schedule reading one of those variables is run once per stage with them.
   */
  stageEnvs?: StageWheneverEnv[];
  /** Stages whose whenever ran with no `--roles` (whenever/command-string.ts): every job was written on each of their whenever servers. */
  rolesNotPassedOn?: string[];
}

/**
 * whenever writes `cd :path` with the directory it ran in: under Capistrano the release directory,
 * which exists only at deploy time. Unless the schedule or `--set` gives `path`, it stays a reference.
 */
const RELEASE_PATH: RValue = { cap: "release_path" };

/**
 * The jobs of each schedule file the deploy loaded (`loads`, from whenever/loaded.ts; by default
 * whenever's own default file), one CronJob each: a file's jobs carry what loaded it (the deploy
 * task's roles, the stages).
 */
export function analyzeCron(ctx: AnalyzerContext, opts: CronOptions = {}, railsEnvs: string[] = [], loads: ScheduleLoad[] = [{ file: SCHEDULE_FILE, how: "whenever's default file" }]): CronFacts | null {
  const files: ScheduleFile[] = [];
  const jobs: CronJob[] = [];
  const varsFrom = opts.set || opts.stageSets?.length ? null : customWheneverVariables(ctx);
  for (const load of loads) {
    const stageSets = opts.set ? [] : withProcessEnv(ctx, load.file, (opts.stageSets ?? []).filter((s) => !load.stages || load.stages.includes(s.stage)), (opts.stageEnvs ?? []).filter((s) => !load.stages || load.stages.includes(s.stage)));
    const one = stageSets.length ? cronOfFileByStage(ctx, load.file, stageSets) : cronOfFile(ctx, load.file, opts, railsEnvs, varsFrom, load);
    if (!one) continue;
    files.push({ ...load, settings: one.settings });
    const noRoles = load.taskRoles ? [] : (opts.rolesNotPassedOn ?? []).filter((s) => !load.stages || load.stages.includes(s));
    jobs.push(...one.jobs.map((j) => ({ ...j, ...(load.taskRoles ? { taskRoles: load.taskRoles } : {}), ...(load.stages ? { stages: load.stages } : {}), ...(j.roles.length && noRoles.length ? { rolesNotPassedOn: noRoles } : {}) })));
  }
  if (!files.length) return null;
  return { file: files[0]!.file, settings: files[0]!.settings, jobs, files };
}

/**
 * The stages' runs with the environment whenever's process had: added to the stages' own `--set`
 * runs, or, where every stage runs the plugin's `--set environment=<whenever_environment>`, made
 * from it when the schedule reads a variable some stage's deploy exported (else the per-Rails-env
 * reading stands, as before).
 */
function withProcessEnv(ctx: AnalyzerContext, file: string, sets: StageWheneverSet[], envs: StageWheneverEnv[]): StageWheneverSet[] {
  if (!envs.length) return sets;
  const envOf = new Map(envs.map((e) => [e.stage, e]));
  if (sets.length) return sets.map((s) => ({ ...s, env: envOf.get(s.stage)?.env ?? {} }));
  const read = hasPath(ctx.repo, file) ? ctx.repo.read(file) : null;
  const names = read && !("error" in read) ? envNamesRead(read.text) : new Set<string>();
  // RAILS_ENV exported as the stage's whenever_environment (the plugin's default merge) says what the
  // per-Rails-env reading already says, and that reading also names `set :environment, ENV[...]`.
  const telling = (e: StageWheneverEnv, k: string) => names.has(k) && !(k === "RAILS_ENV" && e.env[k] === e.environment);
  if (!envs.some((e) => Object.keys(e.env).some((k) => telling(e, k)))) return [];
  // A stage whose whenever_environment is not known is left out of this reading: the per-env one stands.
  if (envs.some((e) => e.environment === null)) return [];
  return envs.map((e) => ({ stage: e.stage, set: { environment: e.environment! }, open: null, from: e.from, env: e.env, byEnvironment: true }));
}

function cronOfFile(ctx: AnalyzerContext, file: string, opts: CronOptions, railsEnvs: string[], varsFrom: Source | null, load?: ScheduleLoad): { settings: CronFacts["settings"]; jobs: CronJob[] } | null {
  const schedule = loadSchedule(ctx, file, varsFrom);
  if (!schedule) return null;
  // Said after the per-env runs: a condition whenever's default env leaves open may be decided on every stage's.
  const first: Problem[] = [];
  let r = schedule.run(opts.set ?? {}, (p) => first.push(p));
  // `set :environment, ENV['RAILS_ENV']`: a value of whenever's own run on the server, never text for
  // the cron line. The deploy's `--set environment=<rails_env>` wins over the file's `set` (whenever's
  // pre_set), so each stage's rails_env is the value: run again with it, and say so at the line.
  const envSet = r.settings["environment"];
  if (railsEnvs.length && !opts.set && envSet && typeof envSet.value !== "string" && !isSym(envSet.value)) {
    const passes = load ? /whenever\/capistrano|Mina's whenever/.test(load.how) : false;
    first.length = 0;
    r = schedule.run({ environment: railsEnvs[0]! }, (p) => first.push(p));
    r = { ...r, settings: { ...r.settings, environment: { value: railsEnvs[0]!, source: envSet.source } } };
    first.push({
      ...envSet.source,
      severity: "warning",
      message: passes
        ? `cron.environment-from-deploy: \`set :environment\` reads a value of whenever's own run on the server; ${load!.how} passes --set environment=<the stage's rails_env>, which wins over the file's set: each stage's CronJobs run with its rails_env`
        : `cron.environment-unknown: \`set :environment\` reads a value of whenever's own run on the server, and nothing shows the deploy passing --set environment: read as each stage's rails_env (its pod's RAILS_ENV); check what the servers' crontab said`,
    });
  }
  const perEnv = railsEnvs.length > 0 && !opts.set && r.readsEnvironment;
  let jobs = toCronJobs(r);
  // Capistrano's whenever runs `whenever --set environment=<rails_env>` per stage: a schedule that
  // reads `environment` (`if @environment == :production`) may define other jobs per stage. Each
  // stage's Rails env is run again, quietly (the first run said its problems), and a job that
  // only some envs define is marked with them.
  const undecidedSaid: Problem[] = [];
  if (perEnv) {
    const key = (j: CronJob) => `${j.source.line}\0${j.type}\0${JSON.stringify(j.task)}`;
    const byEnv = railsEnvs.map((env) => ({ env, jobs: toCronJobs(schedule.run({ environment: env }, (p) => (UNDECIDED.test(p.message) ? undecidedSaid.push(p) : undefined))) }));
    const keysOf = new Map(byEnv.map((b) => [b.env, new Set(b.jobs.map(key))]));
    const all = new Map<string, CronJob>();
    const undecidedIn = new Map<string, string[]>();
    for (const { env, jobs: js } of byEnv)
      for (const j of js) {
        if (!all.has(key(j))) all.set(key(j), j);
        if (j.condition) {
          undecidedIn.set(key(j), [...(undecidedIn.get(key(j)) ?? []), env]);
          // the condition as an env whose run left it open read it (the first env may have decided it)
          if (!all.get(key(j))!.condition) all.set(key(j), { ...all.get(key(j))!, condition: j.condition });
        }
      }
    jobs = [...all.entries()].map(([k, j]) => {
      const envs = railsEnvs.filter((env) => keysOf.get(env)!.has(k));
      const open = undecidedIn.get(k) ?? [];
      return withConditionOn({ ...j, ...(envs.length === railsEnvs.length ? {} : { envs }), environment: String(railsEnvs.find((e) => keysOf.get(e)!.has(k))) }, open, envs, (on) => ({ envs: on }));
    });
  }
  for (const p of first) if (!perEnv || !UNDECIDED.test(p.message)) ctx.problem(p);
  const said = new Set<string>();
  for (const p of undecidedSaid) {
    const k = `${p.line}\0${p.message}`;
    if (!said.has(k)) ctx.problem(p);
    said.add(k);
  }
  // Without per-env runs the command holds the env this run used; each stage passed its own (the report says which).
  if (!perEnv && railsEnvs.length && !opts.set) {
    const used = r.settings["environment"]?.value ?? "production";
    if (typeof used === "string") jobs = jobs.map((j) => ({ ...j, environment: used }));
  }
  return { settings: r.settings, jobs: jobs.map((j) => withProcessControl(ctx, withMissingFiles(j, ctx.repo.paths))) };
}

/**
 * The schedule run once per stage with the variables its deploy passed (`--set`): a job every stage's
 * run defines is one CronJob; one that only some stages' variables define (or define differently:
 * another command or time) is marked with those stages (onStages), whose overlays alone run it.
 * Each problem is said once, not once per stage.
 */
function cronOfFileByStage(ctx: AnalyzerContext, file: string, stageSets: StageWheneverSet[]): { settings: CronFacts["settings"]; jobs: CronJob[] } | null {
  const schedule = loadSchedule(ctx, file);
  if (!schedule) return null;
  const said = new Set<string>();
  const report: AnalyzerContext["problem"] = (p) => {
    const k = `${p.line}\0${p.message}`;
    if (said.has(k)) return;
    said.add(k);
    ctx.problem(p);
  };
  // The stage's Rails env and release directory read differently per stage but not in the pod (its
  // RAILS_ENV is the stage's, its working directory the app's): a job differing only in them is one.
  const key = (j: CronJob, set: PreSet) => {
    let command = JSON.stringify(j.command);
    for (const name of ["environment", "path"]) {
      const v = set[name];
      if (typeof v === "string" && v.trim().length > 1) command = command.split(JSON.stringify(v.trim()).slice(1, -1)).join(`\u0000${name}\u0000`);
    }
    return JSON.stringify([j.source.line, j.type, j.task, command, j.schedules, j.roles]);
  };
  const runs = stageSets.map((s) => {
    const r = schedule.run(s.set, report, s.open, s.env);
    return { s, r, jobs: toCronJobs(r) };
  });
  const all = new Map<string, { job: CronJob; stages: string[]; open: string[]; environmentOn: Record<string, string>; environmentHow: Record<string, string>; unclaimed: string[] }>();
  for (const { s, r, jobs } of runs) {
    const { env, how, unclaimed } = crontabEnvironmentOf(s, r.settings["environment"]);
    for (const j of jobs) {
      const k = key(j, s.set);
      let seen = all.get(k);
      if (seen) {
        seen.stages.push(s.stage);
        if (!seen.job.condition && j.condition) seen.job = { ...seen.job, condition: j.condition };
      } else all.set(k, (seen = { job: { ...j, ...(env ? { environment: env } : {}) }, stages: [s.stage], open: [], environmentOn: {}, environmentHow: {}, unclaimed: [] }));
      // Where this stage's variables decide the condition, its run has none: the job runs there.
      if (j.condition) seen.open.push(s.stage);
      if (env) seen.environmentOn[s.stage] = env;
      if (how) seen.environmentHow[s.stage] = how;
      if (unclaimed) seen.unclaimed.push(s.stage);
    }
  }
  const jobs = [...all.values()].map(({ job, stages, open, environmentOn, environmentHow, unclaimed }) => {
    const envs = new Set(Object.values(environmentOn));
    const hows = { ...(Object.keys(environmentHow).length ? { environmentHow } : {}), ...(unclaimed.length ? { environmentUnclaimed: unclaimed } : {}) };
    const shown = { ...job, ...(envs.size ? { environmentOn } : {}), ...hows };
    const decided = withConditionOn(shown, open, stages, (on) => ({ stages: on }));
    if (stages.length === stageSets.length) return decided;
    const custom = stageSets.find((s) => !stages.includes(s.stage)) ?? stageSets[0]!;
    return { ...decided, onStages: { stages, with: custom.from, ...(custom.byEnvironment ? { by: "environment" as const } : {}) } };
  });
  jobs.sort((a, b) => a.source.line - b.source.line);
  return { settings: runs[0]!.r.settings, jobs: jobs.map((j) => withProcessControl(ctx, withMissingFiles(j, ctx.repo.paths))) };
}

type Problem = Parameters<AnalyzerContext["problem"]>[0];

/**
 * The environment whenever wrote into a stage's crontab: its `--set environment=`; without one,
 * whenever's own (setup.rb's `set :environment, "production"`, which the schedule's own `set
 * :environment` replaces) — whenever reads no RAILS_ENV of its process, and a String
 * whenever_command drops whenever_environment's --set (command-string.ts). `how` says which, when
 * not the --set; a run that installs no crontab claims nothing of the crontab's (`unclaimed`).
 */
function crontabEnvironmentOf(s: StageWheneverSet, own: { value: RValue; source: Source } | undefined): { env: string | null; how: string | null; unclaimed?: true } {
  const set = s.set["environment"];
  // Nothing installed: the deploy claims nothing of the crontab (named by cron.whenever-command-string); the stage's own reading stands.
  if (s.installsNothing) return { env: null, how: null, unclaimed: true };
  if (typeof set === "string") return { env: set.trim() || null, how: null };
  if (set !== undefined || s.open) return { env: null, how: null };
  if (!own) return { env: "production", how: `its whenever run was given no --set environment (${s.from.file}:${s.from.line}), so whenever wrote its own default, production (whenever's setup.rb; it reads no RAILS_ENV)` };
  const v = typeof own.value === "string" ? own.value : isSym(own.value) ? own.value.sym : null;
  return v ? { env: v, how: `its whenever run was given no --set environment (${s.from.file}:${s.from.line}), so the schedule's own \`set :environment\` (${own.source.file}:${own.source.line}) decided it` } : { env: null, how: null };
}

/** schedule.ts's warning for a job under a condition it cannot decide. */
const UNDECIDED = /^cron\.condition-undecided:/;

/**
 * A job whose condition some stages (their Rails env, their whenever variables) decide and others
 * leave open: `open` are the runs that left it open among `defined`, the runs that define the job.
 * Decided on every run: no condition (it ran there). Open on every run: suspended everywhere, as before.
 */
function withConditionOn(job: CronJob, open: string[], defined: string[], on: (open: string[]) => NonNullable<CronJob["conditionOn"]>): CronJob {
  if (!job.condition) return job;
  if (open.length === 0) {
    const { condition: _decided, ...rest } = job;
    return rest;
  }
  return open.length < defined.length ? { ...job, conditionOn: on(open) } : job;
}

/** A schedule file as whenever would write it, line by line (for the report and the oracle test). */
export function readCrontab(ctx: AnalyzerContext, opts: CronOptions = {}, file: string = SCHEDULE_FILE): ScheduleResult | null {
  return loadSchedule(ctx, file)?.run(opts.set ?? {}, ctx.problem) ?? null;
}

/** A schedule file read and parsed once; `run` is whenever with a `--set`, as often as needed. */
function loadSchedule(ctx: AnalyzerContext, file: string, varsFrom: Source | null = null): { run: (set: PreSet, report: AnalyzerContext["problem"], openFrom?: Source | null, env?: Record<string, string>) => ScheduleResult } | null {
  if (!hasPath(ctx.repo, file)) return null;
  const read = ctx.repo.read(file);
  if ("error" in read) {
    ctx.problem({ file, line: 0, message: `cannot read the whenever schedule: ${read.error}`, severity: "warning" });
    return null;
  }
  const parsed = parseRuby(file, read.text);
  for (const e of parsed.errors.slice(0, 1)) ctx.problem({ file, line: e.line, message: `Ruby syntax error: ${e.message}`, severity: "error" });
  const paths = ctx.repo.paths;
  const files = { binRails: paths.includes("bin/rails"), scriptRails: paths.includes("script/rails"), gemfile: paths.includes("Gemfile") };
  return { run: (set, report, openFrom, env) => readSchedule(parsed, files, set, RELEASE_PATH, (line, message) => report({ file, line, message, severity: "warning" }), openFrom === undefined ? varsFrom : openFrom, env) };
}

/**
 * One CronJob per job call, with the crontab lines it produced on the servers: whenever combines
 * equal commands within a crontab, and each server's crontab held only its roles' jobs, so two
 * `restart "x"` jobs for roles one and two keep their own lines (serverLines).
 */
function toCronJobs(r: ScheduleResult): CronJob[] {
  const out: CronJob[] = r.jobs.map((j, i) => ({
    schedules: r.serverLines.filter((l) => l.job === i).map((l) => l.schedule),
    type: j.type,
    task: j.task,
    command: j.command,
    roles: j.roles,
    source: j.source,
    ...(j.condition ? { condition: j.condition } : {}),
    ...(j.redefinedType ? { redefinedType: j.redefinedType } : {}),
    ...(j.wheneverRaises ? { wheneverRaises: j.wheneverRaises } : {}),
  }));
  // A job whose times were computed but whose every line was combined into another job's: an exact
  // duplicate (whenever's combine joins equal lines field by field, `30,30 4 * * *`). Said as such,
  // never read as a schedule not known.
  const roleKey = (i: number) => JSON.stringify([r.jobs[i].command, [...r.jobs[i].roles].sort()]);
  out.forEach((job, i) => {
    // (A command with a part not known is never called identical: its lines are its own.)
    if (job.schedules.length || !r.jobs[i].times.length || holdsUnknown(job.command)) return;
    const k = out.findIndex((o, x) => x !== i && o.schedules.length > 0 && roleKey(x) === roleKey(i));
    if (k >= 0) job.sameLineAs = out[k].source;
  });
  return out;
}

/** Whether a value is, or holds, an Unknown (a part not known), by its shape: a task named "unknown" is not one. */
function holdsUnknown(v: unknown): boolean {
  if (isUnknown(v)) return true;
  if (Array.isArray(v)) return v.some(holdsUnknown);
  return !!v && typeof v === "object" && Object.values(v).some(holdsUnknown);
}

/** Interpreters whose first argument is the file they run (`sh script/backup.sh`). */
const INTERPRETERS = new Set(["sh", "bash", "ruby", "python", "python3", "perl", "node"]);

/**
 * The files a cron command runs by a path relative to the app, that the repo does not hold: they
 * existed only on the servers (copied there by hand, or by a step outside the repo), so the image
 * does not have them either.
 */
export function missingCommandFiles(command: string, paths: readonly string[]): string[] {
  const have = new Set(paths);
  const out: string[] = [];
  // whenever wraps the line in `/bin/bash -l -c '...'`; the release dir (`.../current/`) is the app's root.
  const line = command.trim().replace(/^\/bin\/(?:ba)?sh -l -c '([\s\S]*)'$/, "$1").replace(/'\\''/g, "'");
  for (const raw of line.split(/&&|\|\||[;|]/)) {
    const segment = raw.replace(/(^|\s)\/[^\s'";|&>]*?\/(?:current|releases\/\d+)\//g, "$1");
    const words = segment.trim().replace(/^'+|'+$/g, "").split(/\s+/).filter(Boolean);
    while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) words.shift();
    if (words[0] === "cd") continue;
    if (words[0] === "bundle" && words[1] === "exec") words.splice(0, 2);
    if (words[0] && INTERPRETERS.has(words[0])) words.shift();
    const w = (words[0] ?? "").replace(/^\.\//, "");
    if (!w || w.startsWith("/") || w.startsWith("$") || w.startsWith("~") || w.includes("..")) continue;
    if ((w.includes("/") || /\.(sh|rb|py|pl)$/.test(w)) && /^[\w./-]+$/.test(w) && !have.has(w) && !out.includes(w)) out.push(w);
  }
  return out;
}

function withMissingFiles(job: CronJob, paths: readonly string[]): CronJob {
  // A command with an unresolved part (the release path): its text around that part is what runs.
  const parts = typeof job.command === "string" ? [job.command] : isInterp(job.command) ? job.command.interp : null;
  if (!parts) return job;
  const text = parts.map((p) => (typeof p === "string" ? p : "/release/current/")).join("");
  const missing = missingCommandFiles(text, paths);
  return missing.length ? { ...job, missingFiles: missing } : job;
}

const isInterp = (v: RValue): v is { interp: RValue[] } => typeof v === "object" && v !== null && !Array.isArray(v) && Array.isArray((v as { interp?: unknown }).interp);
