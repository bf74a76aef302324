// A backend the deploy starts only through hooks written in some stages' own files
// (config/deploy/production.rb's `after "deploy:published", "resque:restart"`): `cap staging deploy`
// never loads that file, so staging's deploy never ran the task and its servers ran no such worker
// (analyzers/capistrano/stage-scope.ts). Those stages get WorkerFacts.offStages: 0 replicas there.
// A hook under an undecided condition keeps its doubt: the stage it is written for counts as started.
// Plugins whose own default hooks start the backend in every stage (capistrano-sidekiq, capistrano-rpush)
// are not gated here, except on a stage whose `<plugin>_default_hooks` is literally false: Capistrano 3's
// `before :starting, :check_<x>_hooks` fetches it at deploy time and adds no hook, so only the repo's
// hooks of the plugin's tasks started it there.
// The same gate serves the repo's own tasks whose lines start a backend (`monit restart <check>`,
// monitored-restarts.ts; a start line, deploy-task-lines.ts) when nothing else starts it: startTasksGate.
import type { CapistranoFacts, HookDef, Source, Stage, WorkerFacts } from "../../src/model.js";
import { onStage, onlyOnWords } from "../capistrano/stage-scope.js";
import type { JobBackend } from "./backends.js";
import { deployRunTasks } from "../capistrano/run-tasks.js";

/** Backends a plugin starts by its own hooks, in every stage that loads it. */
const SELF_HOOKED = new Set(["sidekiq", "rpush"]);

/** Whether a hooked task is one of the backend's (`resque:restart`; `resque:scheduler:*` is the scheduler's, not the workers'). */
function runsBackend(b: JobBackend, task: string): boolean {
  const t = task.replace(/^:/, "");
  if (b.id === "resque-scheduler") return t.startsWith("resque:scheduler:");
  if (b.id === "resque" && t.startsWith("resque:scheduler:")) return false;
  return t.startsWith(`${b.id.replace(/-/g, "_")}:`);
}

/** What stageHookGate decides: the stages that ran none of the backend's tasks, and the stages kept running for a doubt. */
export interface StageHookGate {
  off: WorkerFacts["offStages"] | null;
  /** A stage counted as running the backend because its reading may be incomplete, or a task may run the backend's: said. */
  doubts: { stage: string; message: string; source: Source }[];
}

/**
 * The stages whose deploy runs none of the backend's tasks, when every hook of them is written in
 * some stages' files only; off null when there is no such hook, or one is in every stage.
 * A stage counts as running the backend (a doubt counts it, never 0 replicas) when:
 * - a hook of its deploy runs a task of the backend's;
 * - a task of its deploy names one of the backend's tasks (`invoke "resque:restart"`, a Rake
 *   prerequisite `task :bounce => "resque:restart"`, Capistrano 2's `resque.restart`), or invokes a
 *   name not known statically (run-tasks.ts reads those calls wherever they are written);
 * - its run loads or evaluates code that was not followed (Stage.unfollowedLoad): that code may hook it.
 */
export function stageHookGate(b: JobBackend, cap: CapistranoFacts | null, stages: readonly Stage[], text: (file: string) => string): StageHookGate {
  const none: StageHookGate = { off: null, doubts: [] };
  if (!cap || cap.tool) return none;
  const off = SELF_HOOKED.has(b.id) ? defaultHooksOff(b, cap, stages) : null;
  if (SELF_HOOKED.has(b.id) && !off?.length) return none;
  const gated = off ? stages.filter((s) => off.some((o) => o.stage === s.name)) : stages;
  const why = (stage: string) => {
    const o = off?.find((x) => x.stage === stage);
    return o ? `${o.plugin} adds none of its own hooks there (set :${o.variable}, false at ${o.source.file}:${o.source.line}), and ` : "";
  };
  return gateByHooks(b.label, `${b.label}'s tasks`, (t) => runsBackend(b, t), (n) => runsBackend(b, n), (p) => runsBackend(b, p.prefix) || b.id.replace(/-/g, "_").startsWith(p.prefix), cap, gated, text, why);
}

/** A stage whose deploy never started the backend (notStartedByDeploy); `words(stages)` says it for several stages of one line. */
export interface NotStarted {
  stage: string;
  why: string;
  source: Source;
  words: (stages: string[]) => string;
}

const notStartedWords = (b: JobBackend, plugin: string, variable: string, at: Source) => (stages: string[]): string =>
  `${plugin} adds none of its own hooks on stage${stages.length > 1 ? "s" : ""} ${stages.join(", ")} (set :${variable}, false at ${at.file}:${at.line}), and no hook or task of ${stages.length > 1 ? "their deploys" : "its deploy"} starts or restarts ${b.label}: the old deploy never (re)started it there, so it ran only where someone started it by hand (\`cap <stage> ${b.id.replace(/-/g, "_")}:start\`), if at all`;

/**
 * The stages where the backend's plugin adds none of its own hooks (`<plugin>_default_hooks` literally
 * false) and nothing else of the deploy starts it: no hook of the backend's tasks anywhere (where some
 * stage's deploy has one, stageHookGate decides), no task of the stage's deploy that names them, no
 * line of a hooked task that starts it (`starts`: the stages whose deploy runs such a line; absent
 * stages = every stage), and a run that was followed in full. The old deploy never started or
 * restarted it there: it ran only where someone started it by hand (`cap <stage> sidekiq:start`),
 * if at all. The app has the backend, so the worker stays; this names that the deploy did not start it.
 */
export function notStartedByDeploy(b: JobBackend, cap: CapistranoFacts | null, stages: readonly Stage[], text: (file: string) => string, starts: readonly { stages?: string[] }[]): NotStarted[] {
  if (!cap || cap.tool || !SELF_HOOKED.has(b.id)) return [];
  const off = defaultHooksOff(b, cap, stages);
  if (!off.length) return [];
  if ([...cap.hooks, ...(cap.conditionalHooks ?? [])].some((h) => runsBackend(b, h.task.replace(/^:/, "")))) return [];
  const prefix = b.id.replace(/-/g, "_");
  const out: NotStarted[] = [];
  for (const o of off) {
    const s = stages.find((x) => x.name === o.stage)!;
    if (s.unfollowedLoad || starts.some((l) => !l.stages || l.stages.includes(s.name))) continue;
    if (reachingTask((n) => runsBackend(b, n), (p) => runsBackend(b, p.prefix) || prefix.startsWith(p.prefix), cap, s.name, text)) continue;
    out.push({ stage: s.name, source: o.source, words: notStartedWords(b, o.plugin, o.variable, o.source), why: notStartedWords(b, o.plugin, o.variable, o.source)([s.name]) });
  }
  return out;
}

/** stageHookGate for the repo's own tasks whose lines start the backend (`workers:bounce` running `monit restart resque_app`). */
export function startTasksGate(b: JobBackend, tasks: readonly string[], cap: CapistranoFacts | null, stages: readonly Stage[], text: (file: string) => string): StageHookGate {
  if (!cap || cap.tool || !tasks.length) return { off: null, doubts: [] };
  const set = new Set(tasks);
  const what = `the task${tasks.length > 1 ? "s" : ""} that start${tasks.length > 1 ? "" : "s"} ${b.label} (${tasks.join(", ")})`;
  return gateByHooks(b.label, what, (t) => set.has(t), (n) => set.has(n), (p) => tasks.some((t) => t.startsWith(p.prefix) && t.endsWith(p.suffix)), cap, stages, text);
}

/** A Capistrano 3 stage where the backend's plugin adds none of its own hooks (`<prefix>_default_hooks` literally false). */
function defaultHooksOff(b: JobBackend, cap: CapistranoFacts, stages: readonly Stage[]): { stage: string; plugin: string; variable: string; source: Source }[] {
  if (cap.major !== 3) return [];
  const plugin = cap.requires.find((r) => b.capistrano.test(r.value));
  if (!plugin) return [];
  const variable = `${b.id.replace(/-/g, "_")}_default_hooks`;
  return stages.flatMap((s) => {
    const v = s.variables[variable];
    return v && v.value === false && !v.defaultOf ? [{ stage: s.name, plugin: `require "${plugin.value}"`, variable, source: v.source }] : [];
  });
}

/**
 * The gate for tasks that start something (`runs`: a hooked task name that does): the stages whose
 * deploy runs none of them, when every hook of them is written in some stages' files only. A stage
 * whose run was not followed, or one of whose tasks names such a task (`names`, `pattern`: run-tasks.ts's
 * reading of invokes), counts as running it, the doubt said. `why` opens a stage's reason.
 */
function gateByHooks(
  label: string,
  /** The tasks, in words: "Resque's tasks". */
  what: string,
  runs: (task: string) => boolean,
  names: (name: string) => boolean,
  pattern: (p: { prefix: string; suffix: string }) => boolean,
  cap: CapistranoFacts,
  stages: readonly Stage[],
  text: (file: string) => string,
  why: (stage: string) => string = () => "",
): StageHookGate {
  const none: StageHookGate = { off: null, doubts: [] };
  const all = [...cap.hooks, ...(cap.conditionalHooks ?? [])];
  const hooks: HookDef[] = all.filter((h) => runs(h.task.replace(/^:/, "")));
  if (!hooks.length || hooks.some((h) => !h.stages)) return none;
  const out: NonNullable<WorkerFacts["offStages"]> = {};
  const doubts: StageHookGate["doubts"] = [];
  const said = hooks.map((h) => `${h.kind} "${h.target}", "${h.task}" is ${onlyOnWords(h)}`).join("; ");
  for (const s of stages) {
    if (hooks.some((h) => onStage(h, s.name))) continue;
    if (s.unfollowedLoad) {
      const u = s.unfollowedLoad;
      doubts.push({ stage: s.name, source: u.source, message: `${label} runs on stage ${s.name} as on its servers: its deploy's reading has no hook of ${what} (${said}), but its run calls \`${u.call}\` on code not followed statically (${u.source.file}:${u.source.line}), which may hook them; if stage ${s.name}'s deploy never restarted ${label}, set its replicas to 0` });
      continue;
    }
    const reach = reachingTask(names, pattern, cap, s.name, text);
    if (reach) {
      doubts.push({ stage: s.name, source: reach.source, message: `${label} runs on stage ${s.name} as on its servers: no hook of its deploy names ${what} (${said}), but ${reach.how} (${reach.source.file}:${reach.source.line}), which its deploy may run` });
      continue;
    }
    out[s.name] = { why: `${why(s.name)}stage ${s.name}'s deploy runs no hook of ${what}: ${said}`, source: hooks[0]!.source };
  }
  return { off: Object.keys(out).length ? out : null, doubts };
}

/**
 * A task of the stage's deploy that runs one of the tasks by name (run-tasks.ts's reading of
 * invokes, prerequisites and Capistrano 2 calls, over the task files of that stage), or null.
 */
function reachingTask(names: (name: string) => boolean, pattern: (p: { prefix: string; suffix: string }) => boolean, cap: CapistranoFacts, stage: string, text: (file: string) => string): { how: string; source: Source } | null {
  const tasks = cap.tasks.filter((t) => !t.stages || t.stages.includes(stage));
  if (!tasks.length) return null;
  const { named } = deployRunTasks([], [], tasks, cap.major, text);
  const name = [...named.names].find(names);
  const p = named.patterns.find((x) => (x.prefix === "" && x.suffix === "") || pattern(x));
  if (!name && !p && !named.any) return null;
  const how = name ? `a task of its deploy runs ${name}` : p ? `a task of its deploy invokes "${p.prefix}#{…}${p.suffix}", which may be one of them` : "a task of its deploy invokes a task whose name is not known statically";
  // cited at the first line of the stage's task files that names it (the calls are read per file)
  const words = name ? [name, name.replace(/:/g, ".")] : p ? [p.prefix || "invoke"] : ["invoke", "Rake::Task"];
  for (const file of new Set(tasks.map((t) => t.source.file))) {
    const at = lineOf(text(file), file, words);
    if (at) return { how, source: at };
  }
  return { how, source: tasks[0]!.source };
}

/** The first line of the file holding one of the words. */
function lineOf(tx: string, file: string, words: string[]): Source | null {
  const ls = tx.split(/\r?\n/);
  const i = ls.findIndex((l) => words.some((w) => l.includes(w)));
  return i < 0 ? null : { file, line: i + 1 };
}

/**
 * `offStages` for a worker a task of the repo starts, when only some stages' deploys run that task
 * (`stages`, from its hooks and its own definition); {} when every stage does. A stage whose run
 * loads or evaluates code not followed (Stage.unfollowedLoad) may hook the task there: it is not
 * declared off (it keeps the worker), and the doubt is said through `doubt`, at the line of that call.
 */
export function offStagesOf(stages: string[] | undefined, all: readonly Stage[], what: string, source: Source, hook: Source, doubt: (d: { source: Source; message: string }) => void): Pick<WorkerFacts, "offStages"> {
  if (!stages) return {};
  const off = all.filter((s) => !stages.includes(s.name));
  const only = `the hook that runs it (${hook.file}:${hook.line}), or the task, is only in the deploy of stage${stages.length > 1 ? "s" : ""} ${stages.join(", ")}`;
  for (const s of off) {
    const u = s.unfollowedLoad;
    if (u) doubt({ source: u.source, message: `workers.stage-hook-doubt: stage ${s.name} keeps the worker ${what} (${source.file}:${source.line}) starts: ${only}, but stage ${s.name}'s run calls \`${u.call}\` on code not followed statically (${u.source.file}:${u.source.line}), which may hook it; if stage ${s.name}'s deploy never ran it, set its replicas to 0` });
  }
  const sure = off.filter((s) => !s.unfollowedLoad);
  if (!sure.length) return {};
  return { offStages: Object.fromEntries(sure.map((s) => [s.name, { why: `stage ${s.name}'s deploy does not run ${what} (${source.file}:${source.line}): ${only}`, source: hook }])) };
}
