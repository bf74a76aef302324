// whenever's JobList (lib/whenever/job_list.rb + setup.rb), run statically over config/schedule.rb:
// `set`, `env`, `job_type`, `every ... do` and the job calls inside, then the crontab whenever
// generates — the same lines in the same order, each traced to the job call that made it.
import type { Fact, RValue, Source } from "../../src/model.js";
import { CRON_OUTPUT_UNKNOWN } from "../../src/model.js";
import type { ParsedRuby } from "../ruby/prism.js";
import { kind } from "../ruby/prism.js";
import { isHash, isInterp, isSym, isUnknown, rubyToS } from "../ruby/evaluate.js";
import { walkConfig, type DslCall, type ConfigWalker } from "../appserver/config-walk.js";
import { cronTimes, combine, CronError, UNIT_SECONDS, type Frequency, type At } from "./cron.js";
import { chronicParse, type ChronicOptions } from "./chronic.js";
import { jobCommand, redirection, shellescape, type Options } from "./job.js";
import { clockCall, clockOf } from "./clock.js";

/**
 * What `whenever --set 'a=b&c=d'` passes: variables the schedule's own `set` cannot override. A
 * value the deploy computes from what is not known statically is an Unknown (analyzers/whenever/variables.ts).
 */
export type PreSet = Record<string, RValue>;

export interface ScheduledJob {
  type: string;
  task: RValue;
  command: RValue;
  roles: string[];
  mailto: RValue;
  /** JSON of the frequency: whenever groups jobs by it. */
  timeKey: string;
  times: string[];
  source: Source;
  /** The condition the job call sits under that the analysis cannot decide: whenever may or may not have written it. */
  condition?: JobCondition;
  /** The schedule's `job_type` line that redefined this built-in type (rake, runner, script) with a template not whenever's own. */
  redefinedType?: Source;
  /** whenever raises on this job's `every`/`at:` (its own ArgumentError), at the `every` line. */
  wheneverRaises?: { message: string; source: Source };
}

/** An undecided condition around a job (`if File.exist?(...)`, `ENV[...]`, a list known only on the server). */
export interface JobCondition {
  text: string;
  source: Source;
}

export interface CrontabLine {
  /** The time part (`0 3 * * 0`, `@reboot`). */
  schedule: string;
  command: RValue;
  /** Index into jobs of the job the line belongs to. */
  job: number;
}

export interface ScheduleResult {
  settings: Record<string, Fact<RValue>>;
  /** `env :NAME, value` lines, written at the top of the crontab. */
  env: [string, RValue][];
  jobs: ScheduledJob[];
  lines: CrontabLine[];
  /**
   * The lines as the servers had them: whenever combines equal commands within one crontab, and
   * each server's crontab holds only the jobs of its roles, so jobs of different roles never combine.
   */
  serverLines: CrontabLine[];
  /** The schedule reads `environment` (`@environment`, `environment`): its jobs may differ per Rails env. */
  readsEnvironment: boolean;
}

/** Files present in the release decide a few defaults (Whenever.bin_rails?, .bundler?). */
export interface ReleaseFiles {
  binRails: boolean;
  scriptRails: boolean;
  gemfile: boolean;
}

type Problem = (line: number, message: string) => void;

/** setup.rb: the defaults every schedule starts with. `path` is whenever's Dir.pwd: the release. */
function setupVariables(files: ReleaseFiles, path: RValue): Options {
  return {
    environment_variable: "RAILS_ENV",
    environment: "production",
    path,
    chronic_options: {},
    job_template: "/bin/bash -l -c ':job'",
    runner_command: files.binRails ? "bin/rails runner" : files.scriptRails ? "script/rails runner" : "script/runner",
    bundle_command: files.gemfile ? "bundle exec" : "",
  };
}

const BUILTIN_JOB_TYPES: Record<string, string> = {
  command: ":task :output",
  rake: "cd :path && :environment_variable=:environment :bundle_command rake :task --silent :output",
  script: "cd :path && :environment_variable=:environment :bundle_command script/:task :output",
  runner: "cd :path && :bundle_command :runner_command -e :environment ':task' :output",
};

/** `processEnv`: the variables whenever's process had that the deploy says (process-env.ts); any other is not known. */
export function readSchedule(parsed: ParsedRuby, files: ReleaseFiles, preSet: PreSet, defaultPath: RValue, problem: Problem, varsFrom: Source | null = null, processEnv: Record<string, string> = {}): ScheduleResult {
  const setVars: Options = {};
  const settings: Record<string, Fact<RValue>> = {};
  const preSetKeys = new Set(Object.keys(preSet).filter((k) => k !== "" && preSet[k] !== "" && preSet[k] !== null));
  const env: [string, RValue][] = [];
  const jobTypes: Record<string, string> = {};
  const pending: { job: Omit<ScheduledJob, "command" | "times" | "roles" | "mailto">; options: Options; template: string; atSource: Source }[] = [];
  let readEnvironment = false;
  /** Built-in job types the schedule redefined so far, with the `job_type` line (a job takes its type's template when called). */
  const redefined: Record<string, Source> = {};

  const set = (name: string, value: RValue, source: Source | null) => {
    if (preSetKeys.has(name)) return;
    setVars[name] = value;
    if (source) settings[name] = { value, source };
  };
  // pre_set, then setup.rb (which cannot override the pre-set values)
  for (const k of preSetKeys) setVars[k] = typeof preSet[k] === "string" ? preSet[k].trim() : preSet[k];
  for (const [k, v] of Object.entries(setupVariables(files, defaultPath))) set(k, v, null);
  for (const [name, tpl] of Object.entries(BUILTIN_JOB_TYPES)) jobTypes[name] = tpl;

  // `path`, `environment`... read as methods (method_missing) or `@environment`: the set variables
  const clockLines = new Set<number>();
  const varHook = (node: any, ev: (n: any) => RValue): RValue | undefined => {
    const clock = clockCall(node, ev, (n) => parsed.textOf(n), (n) => {
      const line = parsed.sourceOf(n).line;
      if (!clockLines.has(line)) problem(line, "cron.at-clock-arithmetic: a time of day computed from a Time (`Time.parse(...) ± n`): read on the clock, as whenever gets it on any day without a daylight-saving change between the two times (a deploy on such a day wrote the line an hour off)");
      clockLines.add(line);
    });
    if (clock !== undefined) return clock;
    const k = kind(node);
    const name = k === "InstanceVariableReadNode" ? String(node.name).slice(1) : k === "CallNode" && !node.receiver && !node.arguments_ && !node.block ? String(node.name) : null;
    if (name !== null && name in setVars) {
      if (name === "environment") readEnvironment = true;
      return setVars[name];
    }
    // 15.minutes, 1.day: Whenever::NumericSeconds (the number truncated to an Integer)
    if (k === "CallNode" && node.receiver && !node.arguments_ && node.name in UNIT_SECONDS && (kind(node.receiver) === "IntegerNode" || kind(node.receiver) === "FloatNode")) {
      const n = Number(node.receiver.value);
      return Math.trunc(n) * UNIT_SECONDS[node.name];
    }
    return undefined;
  };

  let scope: { every: Options; time: RValue; timeSource: Source } | null = null;

  const visit = (call: DslCall, w: ConfigWalker) => {
    const arg = (i: number): RValue => (call.args[i] === undefined ? null : w.ev(call.args[i]));
    const nameOf = (v: RValue): string | null => (isSym(v) ? v.sym : typeof v === "string" ? v : null);
    const isJob = call.name in jobTypes && !["set", "env", "job_type", "every"].includes(call.name);
    if (call.condition && !isJob && call.name !== "every") problem(call.source.line, `\`${call.name}\` under \`${call.condition}\`: whether whenever runs it is not known statically; read as if it ran`);
    switch (call.name) {
      case "set": {
        const name = nameOf(arg(0));
        if (name === null) return problem(call.source.line, "set of a variable not known statically");
        set(name, arg(1), call.source);
        return;
      }
      case "env": {
        const name = nameOf(arg(0));
        if (name === null) return problem(call.source.line, "env of a variable not known statically");
        const value = arg(1);
        const i = env.findIndex(([k]) => k === name);
        if (i >= 0) env[i] = [name, value];
        else env.push([name, value]);
        settings[`env:${name}`] = { value, source: call.source };
        return;
      }
      case "job_type": {
        const name = nameOf(arg(0));
        const tpl = arg(1);
        if (name === null || typeof tpl !== "string") return problem(call.source.line, "job_type with a name or template not known statically");
        jobTypes[name] = tpl;
        settings[`job_type:${name}`] = { value: tpl, source: call.source };
        // The same text as whenever's own (spacing aside) changes nothing; anything else is the repo's line.
        if (name in BUILTIN_JOB_TYPES && name !== "command") {
          if (tpl.trim().replace(/\s+/g, " ") === BUILTIN_JOB_TYPES[name]) delete redefined[name];
          else redefined[name] = call.source;
        }
        return;
      }
      case "every": {
        if (!call.block) return problem(call.source.line, "`every` without a block");
        const opts = call.args[1] ? arg(1) : {};
        const outer = scope;
        // Options not known (an `at:` among them, maybe): the times are not known either, never read as no `at:`.
        scope = { every: isHash(opts) ? opts : { at: { unknown: "the options of `every` are not known statically" } }, time: arg(0), timeSource: call.source };
        if (!isHash(opts)) problem(call.source.line, "options of `every` not known statically");
        w.body(call.block, call.condition, call.conditionAt);
        scope = outer;
        return;
      }
    }
    if (!(call.name in jobTypes)) {
      // inside `every`, an unknown method is a NoMethodError in whenever: the job never existed
      if (scope) problem(call.source.line, `\`${call.name}\` is not a job type of this schedule (whenever fails on it)`);
      return;
    }
    if (!scope) return problem(call.source.line, `\`${call.name}\` outside an \`every\` block (whenever fails on it)`);
    // Whether whenever wrote it depends on what only the servers knew: carried, and suspended (analyzers/whenever.ts).
    const condition: JobCondition | undefined = call.condition ? { text: call.condition, source: call.conditionAt ?? call.source } : undefined;
    if (condition) problem(call.source.line, `cron.condition-undecided: \`${call.name}\` under \`${condition.text}\` (line ${condition.source.line}): whether whenever wrote this job is not known statically; its CronJob is written suspended until you confirm the servers ran it`);
    // job_type's method: { task:, template: } + the job's own options, mailto and output defaults
    const own = call.args[1] ? arg(1) : {};
    const options: Options = { task: arg(0), template: jobTypes[call.name], ...(isHash(own) ? own : {}) };
    if (!("mailto" in options) || options["mailto"] === null || options["mailto"] === false) options["mailto"] = "mailto" in scope.every ? scope.every["mailto"] : { sym: "default_mailto" };
    if ("cron_log" in setVars || "cron_log" in options) options["output"] = options["cron_log"] ?? setVars["cron_log"];
    if ("output" in setVars && !("output" in options)) options["output"] = setVars["output"];
    pending.push({
      job: { type: call.name, task: arg(0), timeKey: JSON.stringify(scope.time), source: call.source, ...(condition ? { condition } : {}), ...(redefined[call.name] ? { redefinedType: redefined[call.name] } : {}) },
      options: { ...scope.every, ...setVars, ...options, __time: scope.time },
      template: jobTypes[call.name],
      atSource: scope.timeSource,
    });
  };

  // `@x ||= v`: whenever's `--set` and `set` assign @x first (JobList#set), so a set x keeps its value
  walkConfig(parsed, null, visit, (node, ev) => varHook(node, ev), (name) =>
    name in setVars ? setVars[name] : varsFrom ? { unknown: `the deploy passes whenever variables of its own (${varsFrom.file}:${varsFrom.line}); whether they set ${name} is not known statically` } : undefined,
    undefined,
    (name) => (Object.hasOwn(processEnv, name) ? processEnv[name] : undefined),
  );
  if (readEnvironment && !preSetKeys.has("environment"))
    problem(1, "the schedule reads `environment`; Capistrano's whenever passes each stage's rails_env, so jobs may differ per stage (read here for " + rubyToS(setVars["environment"] ?? null) + ")");

  // JobList#cron_jobs_of_time passes @chronic_options: the schedule's last value, for every job
  const chronic = setVars["chronic_options"];
  const chronicOpts = isHash(chronic) ? { hours24: typeof chronic["hours24"] === "boolean" ? chronic["hours24"] : null } : {};
  const jobs: ScheduledJob[] = pending.map((p) => buildJob(p, chronicOpts, problem));
  return { settings, env, jobs, lines: crontab(jobs), serverLines: crontab(jobs, true), readsEnvironment: readEnvironment };
}

function buildJob(p: { job: Omit<ScheduledJob, "command" | "times" | "roles" | "mailto">; options: Options; template: string; atSource: Source }, chronic: ChronicOptions, problem: Problem): ScheduledJob {
  // Whenever::Job#initialize
  const o: Options = { ...p.options };
  const time = o["__time"];
  delete o["__time"];
  const at = "at" in o ? o["at"] : null;
  delete o["at"];
  delete o["template"];
  const jobTemplateV = o["job_template"];
  delete o["job_template"];
  const jobTemplate = jobTemplateV === null || jobTemplateV === undefined || jobTemplateV === false ? ":job" : rubyToS(jobTemplateV);
  const rolesV = o["roles"];
  delete o["roles"];
  const roles = (rolesV === undefined || rolesV === null ? [] : Array.isArray(rolesV) ? rolesV : [rolesV]).map((r) => rubyToS(r) ?? JSON.stringify(r));
  const mailto = o["mailto"] ?? { sym: "default_mailto" };
  if ("output" in o) {
    const r = redirection(o["output"]);
    o["output"] = r ?? { unknown: CRON_OUTPUT_UNKNOWN };
  } else o["output"] = "";
  if (o["environment_variable"] === null || o["environment_variable"] === undefined || o["environment_variable"] === false) o["environment_variable"] = "RAILS_ENV";
  if (o["environment"] === null || o["environment"] === undefined || o["environment"] === false) o["environment"] = { sym: "production" };
  const path = o["path"];
  o["path"] = typeof path === "string" ? shellescape(path) : path ?? null;

  const command: RValue = jobTemplate === null ? { unknown: "job_template not known statically" } : jobCommand(p.template, jobTemplate, o);
  let times: string[] = [];
  let raises: ScheduledJob["wheneverRaises"];
  const freq = toFrequency(time);
  const atV = toAt(at);
  if (freq === null) problem(p.atSource.line, "frequency of `every` not known statically");
  else if (atV === undefined) problem(p.atSource.line, "`at:` not known statically");
  else {
    try {
      times = cronTimes(freq, atV, chronic);
      spanDropped(atV, chronic, (m) => problem(p.atSource.line, m), times);
    } catch (e) {
      if (!(e instanceof CronError)) throw e;
      // Either whenever itself raises here, or the time is one this reader does not follow: say which.
      const ours = /this tool|not understood|Chronic's current/.test(e.message);
      problem(p.atSource.line, ours ? `schedule not computed (${e.message}): no CronJob for this job; run \`whenever\` and give the cron line by hand` : `whenever raises on this schedule: ${e.message} (\`whenever\` fails on the whole file: no crontab line came of it, and no CronJob is written for its jobs)`);
      if (!ours) raises = { message: e.message, source: p.atSource };
    }
  }
  return { ...p.job, command, roles, mailto, times, ...(raises ? { wheneverRaises: raises } : {}) };
}

/**
 * whenever keeps only the hour and minute of an `at:` Chronic reads as a span ("end of the month at
 * 11:59pm", "sunday at 6am"): a span that names another day than the line's did not reach the crontab.
 * The line is what ran (and what the CronJob runs); the words that say otherwise are named.
 */
function spanDropped(at: At, chronic: ChronicOptions, warn: (message: string) => void, times: string[]): void {
  for (const a of Array.isArray(at) ? at : [at]) {
    if (typeof a !== "string") continue;
    for (const one of a.split(",")) {
      const t = chronicParse(one, chronic);
      const words = t && t !== "nil" ? t.spanWords : undefined;
      // a day of the week the line also chooses (`every :sunday, at: "sunday at 6am"`) did reach it
      const anyWeekday = times.every((x) => x.split(" ")[4] === "*");
      if (words && (/\b(?:end|middle|tomorrow)\b/.test(words) || (anyWeekday && /\b(?:sunday|monday|tuesday|wednesday|thursday|friday|saturday|weekday)\b/.test(words))))
        warn(`cron.at-span-dropped: whenever keeps only the time of day of at: ${JSON.stringify(one.trim())}; "${words}" never reached its crontab line (${times.join(", ")}), which is what ran and what the CronJob runs`);
    }
  }
}

function toFrequency(v: RValue): Frequency | null {
  if (typeof v === "number" || typeof v === "string") return v;
  if (isSym(v)) return v;
  if (Array.isArray(v)) {
    const list = v.map(toFrequency);
    return list.every((x) => x !== null) ? (list as Frequency[]) : null;
  }
  return null;
}

function toAt(v: RValue): At | undefined {
  if (v === null || typeof v === "number" || typeof v === "string") return v;
  // A Time computed in the schedule (clock.ts): whenever reads its hour and minute.
  const clock = clockOf(v);
  if (clock !== undefined) return { clock };
  if (Array.isArray(v)) {
    const list = v.map(toAt);
    return list.every((x) => x !== undefined && !Array.isArray(x)) ? (list as At[]) : undefined;
  }
  return undefined;
}

/**
 * JobList#cron_jobs: jobs of the default mailto first, then per mailto; within, per frequency in the
 * order frequencies first appeared; shortcuts (`@reboot`) before the combined regular lines.
 */
function crontab(jobs: ScheduledJob[], byRoles = false): CrontabLine[] {
  const mailKey = (j: ScheduledJob) => JSON.stringify(j.mailto);
  const defaultKey = JSON.stringify({ sym: "default_mailto" });
  const mailtos = [defaultKey, ...unique(jobs.map(mailKey)).filter((k) => k !== defaultKey)];
  const out: CrontabLine[] = [];
  for (const m of mailtos) {
    const mine = jobs.map((j, i) => ({ j, i })).filter(({ j }) => mailKey(j) === m);
    for (const t of unique(mine.map(({ j }) => j.timeKey))) {
      const shortcut: CrontabLine[] = [];
      const regular: { row: string[]; line: CrontabLine }[] = [];
      for (const { j, i } of mine.filter(({ j }) => j.timeKey === t)) {
        for (const schedule of j.times) {
          const line = { schedule, command: j.command, job: i };
          if (schedule.startsWith("@")) shortcut.push(line);
          else {
            // `entry.split(/ +/, 6)`: the command is one field, compared as a whole
            const fields = schedule.split(/ +/);
            // A command holding a piece not known statically reads as that piece alone, so two jobs
            // (`rake "a[#{region}]"`, `rake "b[#{region}]"`, or one call's passes over a Hash whose
            // values differ) would look the same: a job whose command is not known combines with no other.
            const same = JSON.stringify([...(byRoles ? [j.command, [...j.roles].sort()] : [j.command]), ...(holdsUnknown(j.command) ? [i] : [])]);
            if (fields.length !== 5) regular.push({ row: [schedule, "", "", "", "", same], line });
            else regular.push({ row: [...fields, same], line });
          }
        }
      }
      out.push(...shortcut);
      for (const { row, from } of combine(regular.map((r) => r.row))) out.push({ ...regular[from].line, schedule: row.slice(0, 5).join(" ").trim() });
    }
  }
  return out;
}

const unique = <T>(xs: T[]): T[] => [...new Set(xs)];

const holdsUnknown = (v: RValue): boolean => isUnknown(v) || (isInterp(v) && v.interp.some(isUnknown));

