// The deploy's own tasks as lines a worker analysis can read: each line of a task the deploy hooks
// in, with the roles it runs on (Capistrano 2: the task line's `:roles`; Capistrano 3: the
// literal `on roles(…)` / `on primary(…)` block around it). Two readings of a backend use them:
// - a task line that starts the backend (`execute "/bin/bash", File.join(shared_path, "script",
//   "start_resque.sh")` in `task :run_resque`): the deploy's own start, which a Procfile nothing
//   runs does not outrank (the web side's rule, analyzers/appserver/started.ts);
// - a task line that stops the backend's running processes (`run "#{current_path}/script/stop_workers"`,
//   a repo script that `kill -QUIT`s every resque process): a supervisor (monit) starts them again,
//   so the stop, each deploy, is what ties the supervisor's check to the deploy and its roles.
// A task no hook runs is no part of the deploy; roles that are not literal are null, never guessed.
import type { AnalyzerContext, CapistranoFacts, Source, TaskDef } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { taskLineRoles } from "../capistrano/task-roles.js";
import { stagesRun } from "../capistrano/stage-scope.js";
import { backendNames, type JobBackend } from "./backends.js";
import type { OnRoles } from "./deploy-methods.js";

export interface TaskLine {
  task: TaskDef;
  text: string;
  source: Source;
  /** Where it runs; null when the task names no literal roles. */
  on: OnRoles | null;
  /** The hook that runs the task in the deploy. */
  hook: Source;
  /** The hook is under a condition not known statically (`if ENV[...]`): the line of that condition. */
  condition?: Source;
  /** The stages whose deploy runs the task (its hooks or the task written in some stage files only); absent: every stage. */
  stages?: string[];
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const indentOf = (l: string) => /^(\s*)/.exec(l)![1]!.length;
const ON = /\bon\s*\(?\s*(roles|primary)\s*\(([^)]*)\)/;

/** The literal role names of `roles(:a, "b")`'s arguments; null when one is computed. */
function literalRoles(args: string): string[] | null {
  const items = args.split(",").map((x) => x.trim()).filter(Boolean);
  const names = items.map((x) => /^(?::(\w+)|"(\w+)"|'(\w+)')$/.exec(x)).map((m) => (m ? (m[1] ?? m[2] ?? m[3])! : null));
  return names.length && names.every((x) => x !== null) ? (names as string[]) : null;
}

/**
 * Every line of each task a hook runs in the deploy, with its roles. `conditional`: also the tasks
 * only a hook under an undecided condition runs (they ran on some deploys), each line saying so.
 */
export function hookedTaskLines(ctx: AnalyzerContext, cap: CapistranoFacts | null, conditional = false): TaskLine[] {
  const out: TaskLine[] = [];
  for (const task of cap?.tasks ?? []) {
    const named = (h: { task: string }) => h.task.replace(/^:/, "") === task.name;
    const cond = conditional ? (cap!.conditionalHooks ?? []).find(named) : undefined;
    const hook = cap!.hooks.find(named) ?? cond;
    if (!hook) continue;
    // A hook written in one stage's file runs the task in that stage's deploy only.
    const plain = cap!.hooks.filter(named);
    const stages = stagesRun(plain.length ? plain : (cap!.conditionalHooks ?? []).filter(named), task);
    if (stages && !stages.length) continue;
    const r = ctx.repo.read(task.source.file);
    if ("error" in r) continue;
    const ls = r.text.split(/\r?\n/);
    const head = ls[task.source.line - 1] ?? "";
    const base = indentOf(head);
    // Capistrano 3 tasks are Rake tasks: a `roles:` option on the task line places nothing there.
    const cap2 = cap!.major === 2 ? taskLineRoles(head) : null;
    const taskOn: OnRoles | null = cap2 ? { roles: cap2, primary: false, source: task.source } : null;
    const blocks: { indent: number; on: OnRoles | null }[] = [];
    for (let i = task.source.line; i < ls.length && i < task.source.line + 60; i++) {
      const line = ls[i]!;
      if (!line.trim()) continue;
      const ind = indentOf(line);
      if (ind <= base) break;
      if (/^\s*#/.test(line)) continue;
      while (blocks.length && ind <= blocks[blocks.length - 1]!.indent) blocks.pop();
      const on = ON.exec(line);
      if (on) {
        const roles = literalRoles(on[2]!);
        blocks.push({ indent: ind, on: roles ? { roles, primary: on[1] === "primary", source: { file: task.source.file, line: i + 1 } } : null });
        continue;
      }
      const inner = blocks.length ? blocks[blocks.length - 1]!.on : taskOn;
      out.push({ task, text: line.trim(), source: { file: task.source.file, line: i + 1 }, on: cap!.major === 2 ? taskOn : inner, hook: hook.source, ...(hook === cond ? { condition: cond.condition } : {}), ...(stages ? { stages } : {}) });
    }
  }
  return out;
}

/** The backend's names as words of a line or a file name (`start_resque.sh`, `resque:restart`, `[r]esque` in a grep). */
function namesBackend(b: JobBackend, text: string): boolean {
  const names = backendNames(b).map((n) => esc(n).replace(/[-_]/g, "[-_]")).join("|");
  // `grep [r]esque` is the usual trick to keep grep out of its own match: the same word.
  return new RegExp(`(^|[^A-Za-z0-9])(${names})([^A-Za-z0-9]|$)`, "i").test(text.replace(/\[(\w)\]/g, "$1"));
}

const START_WORD = /(^|[^A-Za-z0-9])(start|restart|run|work|up|boot|launch|spawn)([^A-Za-z0-9]|$)/;
const STOP = /(^|[^\w-])(kill|pkill|killall)(\s|$|["',])|:kill\b/;

/** A repo path a line names as the program it runs: `script/x`, `./bin/x`, `#{current_path}/script/x`, `File.join(current_path, "script", "x")`. */
function repoScriptOf(ctx: AnalyzerContext, text: string): string | null {
  const joined = /File\.join\(\s*(?:current_path|release_path)\s*,\s*((?:["'][\w.-]+["']\s*(?:,\s*)?)+)\)/.exec(text);
  if (joined) {
    const p = [...joined[1]!.matchAll(/["']([\w.-]+)["']/g)].map((m) => m[1]).join("/");
    if (hasPath(ctx.repo, p)) return p;
  }
  for (const m of text.matchAll(/(?:#\{\s*(?:current_path|release_path)\s*\}\/|[\s"'(]\.?\/?)((?:script|bin|lib|config)\/[\w./-]+)/g))
    if (hasPath(ctx.repo, m[1]!)) return m[1]!;
  return null;
}

/**
 * A server-only path a line runs: one built on `shared_path` (`File.join(shared_path, "script",
 * "start_resque.sh")`, `#{shared_path}/script/x`): the file is in the servers' shared directory.
 */
export function sharedScriptOf(text: string): string | null {
  const joined = /File\.join\(\s*shared_path\s*,\s*((?:["'][\w.-]+["']\s*(?:,\s*)?)+)\)/.exec(text);
  if (joined) return [...joined[1]!.matchAll(/["']([\w.-]+)["']/g)].map((m) => m[1]).join("/");
  const interp = /#\{\s*shared_path\s*\}\/([\w./-]+)/.exec(text);
  return interp ? interp[1]! : null;
}

/**
 * A line that runs a command whose words say it starts something named for the backend
 * (`execute "/bin/bash", "…/start_resque.sh"`): the start word is looked for in the command, not in
 * Capistrano's own `run`/`execute` method, and a command that only removes, reads or lists a file
 * named for the backend (`run "rm -f …/resque_stale.pid"`) starts nothing.
 */
function startsByName(text: string): boolean {
  const m = /^\s*(?:execute|run|sudo|system)\b\s*\(?\s*|`/.exec(text);
  if (!m) return false;
  const command = text.slice(m.index + m[0].length);
  if (NOT_A_START.test(command)) return false;
  return START_WORD.test(command.replace(/[_.]/g, " "));
}

/** Commands that touch a file or read a log named for the backend without starting anything. */
const NOT_A_START = /^["'%:(\[{]*\s*(?:sudo\s+)?(?:rm|tail|cat|less|grep|ls|echo|test|mkdir|chmod|chown|ln|cp|mv|touch|find|head|du)\b/;

export interface BackendStart extends TaskLine {
  /** The server-only script it runs (a path under shared/), when it runs one. */
  shared: string | null;
}

/** Lines of hooked deploy tasks that start the backend: they run its command, or a start script named for it. */
export function deployStartsOf(ctx: AnalyzerContext, cap: CapistranoFacts | null, b: JobBackend): BackendStart[] {
  return hookedTaskLines(ctx, cap)
    .filter((l) => !STOP.test(l.text) && (b.command.test(l.text) || (namesBackend(b, l.text) && startsByName(l.text))))
    .map((l) => ({ ...l, shared: sharedScriptOf(l.text) }));
}

export interface BackendStop extends TaskLine {
  /** The repo script the line runs that does the stopping, and its line that signals. */
  script: { file: string; line: number } | null;
}

/**
 * Lines of hooked deploy tasks that stop the backend's running processes: a kill of processes or pid
 * files named for it, on the line itself or in a repo script the line runs (whose text names it).
 */
export function deployStopsOf(ctx: AnalyzerContext, cap: CapistranoFacts | null, b: JobBackend): BackendStop[] {
  const out: BackendStop[] = [];
  for (const l of hookedTaskLines(ctx, cap)) {
    if (STOP.test(l.text) && namesBackend(b, l.text)) {
      out.push({ ...l, script: null });
      continue;
    }
    const file = repoScriptOf(ctx, l.text);
    if (!file) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || !namesBackend(b, r.text)) continue;
    const ls = r.text.split(/\r?\n/);
    const at = ls.findIndex((x) => !/^\s*#/.test(x) && STOP.test(x));
    // A script that also starts the backend is a restart, not only a stop: the start's reading is elsewhere.
    if (at < 0 || ls.some((x) => !/^\s*#/.test(x) && b.command.test(x))) continue;
    out.push({ ...l, script: { file, line: at + 1 } });
  }
  return out;
}
