// delayed_job's workers as the deploy started them through `bin/delayed_job <args> start`
// (capistrano3-delayed-job, capistrano-delayed-job, delayed_job's own Capistrano recipe, or a task of
// the repo that runs the script with `fetch(:delayed_job_args)`). The arguments come from the stage's
// variables:
// - `delayed_job_args`: the words as written (`-n 2 --queues=mail,import`, `--pool=mail:2`);
// - `delayed_job_workers` → `-n N`, `delayed_job_queues` → `--queues=a,b`, `delayed_job_pools`
//   (`{ "mail" => 2, "*" => 1 }`) → one `--pool=<queues>:<n>` each (capistrano3-delayed-job).
// Delayed::Command forks one process per pool entry count when pools are given (`-n` is then not
// used), else `-n` processes, each taking `--queues` (all queues when none). The plugin's defaults
// (its load:defaults): workers 1, queues and pools nil, roles :app.
// delayed_job's own Capistrano 2 recipe (`require "delayed/recipes"`, lib/delayed/recipes.rb) runs
// `cd <current_path>;RAILS_ENV=<rails_env> <delayed_job_command> start <delayed_job_args>` on
// `delayed_job_server_role`; its defaults: delayed_job_command "script/delayed_job", args "" (so
// Delayed::Command's own default, one worker on every queue), role :app. It has no _workers,
// _queues or _pools variables.
//
// Rule: one Deployment per distinct pool (queue list + options) across the stages, one delayed_job
// process per pod running `rake jobs:work` (the worker Delayed::Command runs, in the foreground, with
// its options as the env rake reads: QUEUES, MIN_PRIORITY, MAX_PRIORITY, SLEEP_DELAY, READ_AHEAD);
// replicas = the stage's servers with the roles × the pool's count. A stage without the pool runs 0.
import { isHash } from "../ruby/evaluate.js";
import { isSym, type AnalyzerContext, type Fact, type RValue, type Source, type Stage, type WorkerFacts } from "../../src/model.js";
import { dnsLabel } from "../../src/model/names.js";
import type { JobBackend } from "./backends.js";

export const DELAYED_JOB_PLUGIN_DEFAULTS = { workers: 1, role: "app" } as const;
/** delayed_job's own Capistrano 2 recipe, and its defaults (lib/delayed/recipes.rb). */
export const DELAYED_JOB_RECIPE = /^delayed\/recipes$/;
export const DELAYED_JOB_RECIPE_DEFAULTS = { command: "script/delayed_job", args: "", role: "app" } as const;

/** How the deploy loads delayed_job's own recipe, when it is that recipe that starts the workers. */
export interface DelayedJobRecipe {
  require: Fact<string>;
  /** Whether a stage loads it (a Capistrano 2 stage file may be the only one that requires it). */
  loads: (s: Stage) => boolean;
  /** The files that require it, for the reason a stage runs none. */
  by: string[];
}
/** Variables that say how the deploy's `bin/delayed_job … start` ran. */
export const DELAYED_JOB_VARIABLES = ["delayed_job_args", "delayed_job_pools", "delayed_job_queues", "delayed_job_workers"];

interface Pool {
  /** Empty: every queue. */
  queues: string[];
  count: number;
  env: Record<string, string>;
  source: Source;
}

/** Options of Delayed::Command that become rake jobs:work's env. */
const OPTION_ENV: Record<string, string> = { "--min-priority": "MIN_PRIORITY", "--max-priority": "MAX_PRIORITY", "--sleep-delay": "SLEEP_DELAY", "--read-ahead": "READ_AHEAD" };
/** Options that only name or watch the daemon: nothing to carry into a pod. */
const DAEMON_ONLY = /^(-m|--monitor|-p|--prefix|--pid-dir|--log-dir|--identifier|-i|--daemon-options)(=|$)/;

const scalar = (v: RValue | undefined): string | null => (typeof v === "string" ? v : typeof v === "number" ? String(v) : v && isSym(v) ? v.sym : null);

/** A pool spec `mail,import:2` / `*:1` / `mail` as Delayed::Command reads it. */
function poolOf(spec: string, source: Source, env: Record<string, string>): Pool | null {
  const m = /^([^:]*)(?::(\d+))?$/.exec(spec);
  if (!m) return null;
  const queues = m[1]!.split(",").map((q) => q.trim()).filter((q) => q && q !== "*");
  return { queues, count: m[2] === undefined ? 1 : Number(m[2]), env, source };
}

/** capistrano3-delayed-job's variables that delayed_job's own recipe never reads. */
export const PLUGIN_ONLY_VARIABLES = ["delayed_job_workers", "delayed_job_queues", "delayed_job_pools", "delayed_job_roles", "delayed_job_role"];

/**
 * One stage's pools, or why they cannot be read. For delayed_job's recipe only `delayed_job_args`
 * counts: its start line passes nothing else, so a leftover `delayed_job_workers` changed nothing.
 */
export function poolsOf(stage: Stage, recipe = false): { pools: Pool[]; defaults: string[] } | { unknown: string; source: Source } {
  const v = recipe ? { delayed_job_args: stage.variables["delayed_job_args"] } : stage.variables;
  const words: string[] = [];
  const defaults: string[] = [];
  let source: Source = stage.source;
  const args = v["delayed_job_args"];
  if (args) {
    const s = scalar(args.value);
    if (s === null) return { unknown: "`delayed_job_args` is not a string the analysis can read", source: args.source };
    words.push(...s.trim().split(/\s+/).filter(Boolean));
    source = args.source;
  }
  const workers = v["delayed_job_workers"];
  if (workers) {
    const n = scalar(workers.value);
    if (n === null || !/^\d+$/.test(n)) return { unknown: "`delayed_job_workers` is not a whole number", source: workers.source };
    words.push("-n", n);
    source = workers.source;
  }
  const queues = v["delayed_job_queues"];
  if (queues && queues.value !== null) {
    const list = (Array.isArray(queues.value) ? queues.value : [queues.value]).map(scalar);
    if (list.some((x) => x === null)) return { unknown: "`delayed_job_queues` is not a list of names", source: queues.source };
    words.push(`--queues=${list.join(",")}`);
    source = queues.source;
  }
  const pools = v["delayed_job_pools"];
  if (pools && pools.value !== null) {
    if (!isHash(pools.value)) return { unknown: "`delayed_job_pools` is not a Hash", source: pools.source };
    for (const [k, n] of Object.entries(pools.value)) {
      const c = scalar(n);
      if (c === null || !/^\d+$/.test(c)) return { unknown: `the count of pool ${JSON.stringify(k)} is not a whole number`, source: pools.source };
      words.push(`--pool=${k}:${c}`);
    }
    source = pools.source;
  }
  // Split `--opt value` into `--opt=value` where Delayed::Command takes a value.
  let count: number | null = null;
  let queueList: string[] = [];
  const poolSpecs: string[] = [];
  const env: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const eq = /^(--[a-z-]+)=(.*)$/.exec(w);
    const [name, value] = eq ? [eq[1]!, eq[2]!] : [w, words[i + 1]];
    const take = () => {
      if (!eq) i++;
      return value ?? "";
    };
    if (name === "-n" || name === "--number-of-workers" || name === "--number_of_workers") {
      const n = take();
      if (!/^\d+$/.test(n)) return { unknown: `\`${w} ${n}\` is not a whole number of workers`, source };
      count = Number(n);
    } else if (name === "--queues" || name === "--queue") queueList = take().split(",").map((q) => q.trim()).filter(Boolean);
    else if (name === "--pool") poolSpecs.push(take());
    else if (OPTION_ENV[name]) env[OPTION_ENV[name]!] = take();
    else if (DAEMON_ONLY.test(w)) {
      if (!eq && !/^(-m|--monitor)$/.test(name)) i++;
    } else if (w === "--exit-on-complete" || w === "-x") return { unknown: "`--exit-on-complete` makes the worker stop when the queue is empty: no long-running Deployment can carry it", source };
    else return { unknown: `\`${w}\` is not an option of bin/delayed_job the analysis knows`, source };
  }
  if (poolSpecs.length) {
    const out: Pool[] = [];
    for (const p of poolSpecs) {
      const pool = poolOf(p, source, env);
      if (!pool) return { unknown: `\`--pool=${p}\` is not a pool spec (queues:count)`, source };
      out.push(pool);
    }
    return { pools: out, defaults };
  }
  if (count === null) defaults.push(`${DELAYED_JOB_PLUGIN_DEFAULTS.workers} worker (${args && !v["delayed_job_workers"] ? "Delayed::Command's default" : "the plugin's default"})`);
  return { pools: [{ queues: queueList, count: count ?? DELAYED_JOB_PLUGIN_DEFAULTS.workers, env, source }], defaults };
}

/** The roles the start ran on: `delayed_job_roles` (capistrano3-delayed-job), `delayed_job_server_role` (delayed_job's recipe), else the plugins' default :app. */
function rolesOf(stage: Stage, recipe = false): { roles: string[]; dflt: boolean } {
  for (const name of recipe ? ["delayed_job_server_role"] : ["delayed_job_roles", "delayed_job_role", "delayed_job_server_role"]) {
    const v = stage.variables[name]?.value;
    if (v === undefined) continue;
    const list = (Array.isArray(v) ? v : [v]).map(scalar).filter((x): x is string => !!x);
    if (list.length) return { roles: list, dflt: false };
  }
  return { roles: [DELAYED_JOB_PLUGIN_DEFAULTS.role], dflt: true };
}

/**
 * The Deployments of the deploy's delayed_job start, one per pool, or null when no stage sets the
 * variables. A stage whose variables cannot be read is a warning, and runs none of the pools read
 * elsewhere (the count is not known there).
 */
export function delayedJobPluginWorkers(ctx: AnalyzerContext, b: JobBackend, stages: Stage[], evidence: Fact<string>[], base: Pick<WorkerFacts, "backend" | "label" | "drain">, recipe: DelayedJobRecipe | null = null): WorkerFacts[] | null {
  // `delayed_job_workers` alone changes no command: the processes-per-server rule already counts it.
  // The recipe's start runs with its defaults when nothing is set: its workers are still known.
  if (!recipe && !stages.some((s) => DELAYED_JOB_VARIABLES.some((n) => n !== "delayed_job_workers" && s.variables[n] && s.variables[n]!.value !== null))) return null;
  const command = recipe ? recipeCommand(ctx, b, stages, recipe) : null;
  if (command === false) return null;
  const byKey = new Map<string, WorkerFacts & { counts: Record<string, { processes: number; why: string; source: Source | null }> }>();
  const unread = new Map<string, string>();
  if (recipe) warnPluginOnly(ctx, stages.filter(recipe.loads));
  for (const s of stages) {
    if (recipe && !recipe.loads(s)) continue;
    const read = poolsOf(s, !!recipe);
    if ("unknown" in read) {
      unread.set(s.name, read.unknown);
      ctx.problem({ ...read.source, message: `delayed_job: ${read.unknown}; stage ${s.name}'s delayed_job workers are not known (0 replicas there until set)`, severity: "warning" });
      continue;
    }
    const { roles, dflt } = rolesOf(s, !!recipe);
    const servers = s.servers.filter((sv) => sv.roles.some((r) => roles.includes(r)));
    for (const p of read.pools) {
      const env: Record<string, string> = { ...(p.queues.length ? { QUEUES: p.queues.join(",") } : {}), ...p.env };
      const key = JSON.stringify([roles, env]);
      let w = byKey.get(key);
      if (!w) {
        w = {
          ...base,
          name: "",
          args: [...b.standardCommand],
          env,
          commandFrom: "capistrano",
          commandSource: p.source,
          commandNote: command
            ? `the deploy ran \`${command.text} start${scalar(s.variables["delayed_job_args"]?.value) ? ` ${scalar(s.variables["delayed_job_args"]!.value)!.trim()}` : ""}\` (delayed_job's recipe, a daemon per process${command.dflt ? `; ${command.text} is the recipe's default delayed_job_command` : ""}); each pod runs one of those workers in the foreground with rake jobs:work and the same options`
            : `the deploy ran bin/delayed_job … start (a daemon per process); each pod runs one of those workers in the foreground with rake jobs:work and the same options`,
          queues: p.queues.length ? p.queues : ["*"],
          stopSignal: b.stopSignal,
          stopTimeout: { seconds: b.stopTimeout, source: null },
          roles,
          evidence: [...evidence, { value: `delayed_job pool ${p.queues.length ? p.queues.join(",") : "*"}: ${p.count} per server on role ${roles.join("/")}${dflt ? ` (the ${recipe ? "recipe" : "plugin"}'s default role)` : ""}`, source: p.source }, ...(command?.source ? [{ value: `delayed_job_command ${command.text}`, source: command.source }] : [])],
          carried: true,
          counts: {},
        };
        byKey.set(key, w);
      }
      const note = recipe
        ? [...(s.variables["delayed_job_args"] ? read.defaults : ["delayed_job_args is not set: the recipe's default runs one worker on all queues"]), ...(dflt ? [`role :${DELAYED_JOB_RECIPE_DEFAULTS.role} (the recipe's default delayed_job_server_role)`] : [])]
        : [...read.defaults, ...(dflt ? [`role :${DELAYED_JOB_PLUGIN_DEFAULTS.role} (the plugin's default)`] : [])];
      w.counts[s.name] = s.servers.length && !servers.length
        ? { processes: 0, why: `no server of stage ${s.name} has the ${roles.join("/")} role`, source: s.source }
        : { processes: p.count, why: `delayed_job ${p.queues.length ? `--queues=${p.queues.join(",")}` : "all queues"} × ${p.count}${note.length ? ` (${note.join("; ")})` : ""}`, source: p.source };
    }
  }
  const used = new Set<string>();
  const out: WorkerFacts[] = [];
  const single = byKey.size === 1;
  for (const w of byKey.values()) {
    const q = w.env["QUEUES"];
    const stem = single ? `worker-${b.id}` : `worker-${b.id}-${q ? dnsLabel(q, 28) : "all"}`;
    let name = stem;
    for (let i = 2; used.has(name); i++) name = `${stem}-${i}`;
    used.add(name);
    const { counts, ...facts } = w;
    const perStage = Object.fromEntries(
      stages.map((st) => [st.name, counts[st.name] ?? (recipe && !recipe.loads(st) ? { processes: 0, why: `stage ${st.name} does not load delayed/recipes (only ${recipe.by.join(", ")} require${recipe.by.length > 1 ? "" : "s"} it)`, source: st.source } : null) ?? { processes: 0, why: unread.has(st.name) ? `stage ${st.name}'s delayed_job settings are not known: ${unread.get(st.name)}` : `stage ${st.name} starts no such delayed_job pool`, source: null }]),
    );
    out.push({ ...facts, name, perStage });
  }
  return out;
}

/**
 * The command the recipe's start ran: `delayed_job_command` (one value across the stages that load
 * it), else its default script/delayed_job. False (said as a warning) when it is not a delayed_job
 * script: its arguments are then not Delayed::Command's, and nothing here knows what it ran.
 */
function recipeCommand(ctx: AnalyzerContext, b: JobBackend, stages: Stage[], recipe: DelayedJobRecipe): { text: string; dflt: boolean; source: Source | null } | false {
  const set = stages.filter(recipe.loads).map((s) => s.variables["delayed_job_command"]).filter((f): f is Fact<RValue> => f !== undefined);
  const values = [...new Set(set.map((f) => scalar(f.value)))];
  if (!set.length) return { text: DELAYED_JOB_RECIPE_DEFAULTS.command, dflt: true, source: null };
  const text = values.length === 1 ? values[0] : null;
  if (text && b.command.test(text) && !/jobs:work/.test(text)) return { text: text.trim(), dflt: false, source: set[0]!.source };
  const why = values.length > 1 ? `differs between stages (${values.map((v) => v ?? "unknown").join(", ")})` : text === null ? "is not known statically" : `${JSON.stringify(text)} is not a delayed_job script (script/delayed_job, bin/delayed_job)`;
  ctx.problem({ ...set[0]!.source, message: `delayed_job's recipe: delayed_job_command ${why}; its start line's arguments are not read as Delayed::Command's, so the worker runs the gem's standard command`, severity: "warning" });
  return false;
}

/** A capistrano3-delayed-job variable the recipe's start does not pass: said, since a reader may think it counts. */
function warnPluginOnly(ctx: AnalyzerContext, stages: Stage[]): void {
  const said = new Set<string>();
  for (const s of stages)
    for (const name of PLUGIN_ONLY_VARIABLES) {
      const f = s.variables[name];
      const at = f && `${f.source.file}:${f.source.line}:${name}`;
      if (!f || f.value === null || said.has(at!)) continue;
      said.add(at!);
      ctx.problem({ ...f.source, message: `workers.dj-recipe-ignores-variable: delayed_job's recipe (delayed/recipes) does not read \`${name}\` (a capistrano3-delayed-job variable); its workers come from delayed_job_args and delayed_job_server_role only`, severity: "warning" });
    }
}
