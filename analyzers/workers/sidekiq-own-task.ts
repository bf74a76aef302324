// A deploy that starts Sidekiq itself, without capistrano-sidekiq, ran it on the servers of the task
// that starts it, not on the usual sidekiq/worker roles (a `worker` role may be another backend's):
// - Capistrano 2: a hooked sidekiq:start/restart task of the repo (Railscasts-style recipes: `task
//   :restart, roles: :web do sudo "monit restart sidekiq" end`), on the task line's literal roles;
//   a task line that names no roles, hosts or filter runs on every server of the stage (Capistrano
//   2's find_servers_for_task), read only when its body has a line that starts Sidekiq.
// - Capistrano 3: a restart of a service named for Sidekiq (`execute :sudo, :service, :sidekiq,
//   :restart`, `systemctl restart sidekiq-<app>`) inside a literal `on roles(:x)` (deploy-methods.ts).
// One process per server (a task starts one service). Where the service's own file is not in the
// repo, what it ran (its -C, -q, -c, its process count) is on the servers: said at each restart line.
// Roles computed or restarts that disagree place nothing: the usual roles stand.
import type { AnalyzerContext, CapistranoFacts, HookDef, SidekiqStarted, Source, Stage, TaskDef } from "../../src/model.js";
import { taskLinePlacement } from "../capistrano/task-roles.js";
import { methodStarts, serviceFileOf, type OnRoles } from "./deploy-methods.js";
import { hookedTaskLines } from "./deploy-task-lines.js";
import { isUnitGlob, startedUnits } from "../../src/model/service-managers.js";
import { onStage, onlyOnWords, stagesRun } from "../capistrano/stage-scope.js";

const START = /^sidekiq:(start|restart)$/;
/** A unit named for Sidekiq: `sidekiq`, `sidekiq-myapp`, `myapp_sidekiq`, `sidekiq@1`. */
const SIDEKIQ_UNIT = /(^|[-_.])sidekiq([-_.@]|$)/;
/** A line of a task body that starts Sidekiq: through a service manager or supervisor, or the command itself. */
const STARTS_SIDEKIQ = /\b(service|systemctl|initctl|start|restart|monit|god)\b[^\n]*\bsidekiq|(^|[\s"'/])sidekiq(\s|$|["'])(?!ctl)/;
/** Sidekiq's upstart "manage-many" job (Sidekiq's examples/upstart): one entry per line of /etc/sidekiq.conf, `<app path>,<count>`. */
const MANAGE_MANY = /^sidekiq-manager$/;
/** Capistrano 2's `:once => true` option (configuration/actions/invocation.rb: the command runs on the first server only). */
const ONCE = /(?::once\s*=>\s*true|\bonce:\s*true)\b/;

/** Per stage, where the repo's own start of Sidekiq ran it; null when there is none the analysis can place. */
export function sidekiqOwnTaskStarted(ctx: AnalyzerContext, cap: CapistranoFacts | null, stages: Stage[]): Record<string, SidekiqStarted> | null {
  if (!cap || cap.tool) return null;
  return cap.major === 2 ? cap2Task(ctx, cap, stages) : unitRestart(ctx, cap, stages);
}

function cap2Task(ctx: AnalyzerContext, cap: CapistranoFacts, stages: Stage[]): Record<string, SidekiqStarted> | null {
  const hooked = cap.hooks.filter((h) => START.test(h.task.replace(/^:/, "")) && /^deploy:/.test(h.target.replace(/^:/, "")));
  if (!hooked.length) return null;
  let found: { roles: string[] | null; name: string; source: Source; start: { text: string; source: Source } | null; once: boolean } | null = null;
  // The hooked task first: tasks made in a loop share one line (`[:start, :restart].each { |n| task(n) {…} }`).
  const isHooked = (name: string) => hooked.some((h) => h.task.replace(/^:/, "") === name);
  const candidates = cap.tasks.filter((t) => START.test(t.name)).sort((a, b) => Number(isHooked(b.name)) - Number(isHooked(a.name)));
  for (const t of candidates) {
    const r = ctx.repo.read(t.source.file);
    if (!("text" in r)) continue;
    const lines = r.text.split(/\r?\n/);
    const place = taskLinePlacement(lines[t.source.line - 1] ?? "");
    if (!place) continue;
    const start = bodyStart(lines, t.source);
    // A task with no roles of its own places Sidekiq on every server only when it visibly starts it.
    if ("all" in place && !start) continue;
    // `:once => true` (on the task or on the run line): Capistrano 2 runs the command on the first server only.
    const once = ONCE.test(lines[t.source.line - 1] ?? "") || (start !== null && ONCE.test(start.text));
    found = { roles: "roles" in place ? place.roles : null, name: t.name, source: t.source, start, once };
    break;
  }
  if (!found) return null;
  const hook = hooked.find((h) => h.task.replace(/^:/, "") === found!.name) ?? hooked[0]!;
  const unit = found.start ? startedUnits(found.start.text.replace(/[:'",()]/g, " ").replace(/#\{[^}]*\}/g, "X")).find((u) => SIDEKIQ_UNIT.test(u)) ?? manageMany(found.start.text) : null;
  if (found.start && found.roles === null) {
    const many = manageMany(found.start.text);
    ctx.problem({
      ...found.start.source,
      message: `Sidekiq: the deploy's own task ${found.name} (${found.source.file}:${found.source.line}) names no roles, so Capistrano 2 runs it on ${found.once ? "the first server of the stage (:once)" : "every server of the stage"}: \`${found.start.text.trim().slice(0, 120)}\`${many ? `; ${many} is Sidekiq's upstart manage-many job (Sidekiq's examples/upstart), which starts the processes each line of the server's /etc/sidekiq.conf lists (\`<app path>,<count>\`): how many ran per server is on the servers, one is carried` : unit ? `; the service ${unit}'s own file is on the servers, not in the repo: what it ran (its -C, -q, -c) is not known` : ""}; the worker runs Sidekiq's command with the repo's config: read it on a server and set the worker's command and replicas`,
      severity: "warning",
    });
  }
  // A hook written in one stage's file (or the task itself) runs it in that stage's deploy only.
  const task = cap.tasks.find((t) => t.name === found!.name && t.source.file === found!.source.file && t.source.line === found!.source.line);
  const runsOn = stagesRun(hooked.filter((h) => h.task.replace(/^:/, "") === found!.name), task);
  const out: Record<string, SidekiqStarted> = {};
  for (const s of stages) {
    if (!s.servers.length) continue;
    if (runsOn && !runsOn.includes(s.name)) {
      out[s.name] = { processes: 0, servers: 0, roles: found.roles ?? [], why: `none: stage ${s.name}'s deploy does not run the deploy's own task ${found.name} (${found.source.file}:${found.source.line}): ${notRunWhy(hooked.filter((h) => h.task.replace(/^:/, "") === found!.name), task)}`, source: found.source };
      continue;
    }
    const roles = found.roles ?? [...new Set(s.servers.flatMap((sv) => sv.roles))];
    const holders = found.roles ? s.servers.filter((sv) => sv.roles.some((r) => found!.roles!.includes(r))).length : s.servers.length;
    const servers = found.once ? Math.min(1, holders) : holders;
    const where = `${found.roles ? `runs on roles ${found.roles.map((r) => `:${r}`).join(", ")}` : "names no roles, so it runs on every server of the stage"}${found.once ? ", and with :once only on the first of them" : ""}`;
    const why = `the deploy's own task ${found.name} (${found.source.file}:${found.source.line}) ${where}, ${hook.kind} ${hook.target} (${hook.source.file}:${hook.source.line})${found.start ? `, and starts it with \`${found.start.text.trim().slice(0, 100)}\` (${found.start.source.file}:${found.start.source.line})` : ""}: ${servers} server(s) of stage ${s.name}, one process each`;
    out[s.name] = { processes: servers, servers, roles, why: servers === 0 ? `none: ${why}` : why, source: found.start?.source ?? found.source };
  }
  return out;
}

/** The first line of a task's body (its own line included, for a one-line block) that starts Sidekiq. */
function bodyStart(lines: string[], at: Source): { text: string; source: Source } | null {
  const indent = /^(\s*)/.exec(lines[at.line - 1] ?? "")![1]!.length;
  for (let i = at.line - 1; i < lines.length && i < at.line + 30; i++) {
    const line = lines[i]!;
    if (i >= at.line && line.trim() && /^(\s*)/.exec(line)![1]!.length <= indent) break;
    if (/^\s*#/.test(line)) continue;
    const text = i === at.line - 1 ? line.replace(/^.*?\btask\b[^{]*(\{|\bdo\b)/, "") : line;
    if (STARTS_SIDEKIQ.test(text)) return { text: text.replace(/\s*(\}|\bend)\s*$/, "").trim(), source: { file: at.file, line: i + 1 } };
  }
  return null;
}

/** The manage-many job's name when the line runs it (`service sidekiq-manager restart`). */
function manageMany(text: string): string | null {
  const m = /\bservice\s+([\w.-]+)/.exec(text) ?? /\b(?:initctl\s+\w+|start|restart)\s+([\w.-]+)/.exec(text);
  return m && MANAGE_MANY.test(m[1]!) ? m[1]! : null;
}

function unitRestart(ctx: AnalyzerContext, cap: CapistranoFacts, stages: Stage[]): Record<string, SidekiqStarted> | null {
  const m = methodStarts(ctx);
  // A task no hook runs (a hand-run `ops:kick_sidekiq`) is no part of the deploy: its restart places nothing.
  const hookedLines = new Map(hookedTaskLines(ctx, cap).map((l) => [`${l.source.file}:${l.source.line}`, l]));
  const hooked = new Set(hookedLines.keys());
  const all: { unit: string; on: OnRoles | null; source: Source }[] = [];
  for (const x of [...m.starts, ...m.direct])
    for (const u of startedUnits(x.text.replace(/[:'",()]/g, " ").replace(/\s+/g, " ")).map((u) => u.replace(/\.(service|socket|target|timer)$/, "")))
      if (SIDEKIQ_UNIT.test(u)) all.push({ unit: u, on: x.on, source: x.source });
  const restarts = all.filter((r) => hooked.has(`${r.source.file}:${r.source.line}`));
  if (!restarts.length) return null;
  const key = (o: OnRoles) => JSON.stringify([o.roles, o.primary]);
  const on = restarts[0]!.on;
  if (!on || restarts.some((r) => !r.on || key(r.on) !== key(on))) {
    ctx.problem({ ...restarts[0]!.source, message: `Sidekiq: the deploy restarts ${[...new Set(restarts.map((r) => r.unit))].join(", ")}, but ${restarts.some((r) => !r.on) ? "not inside an `on roles(...)` with literal roles" : "on different roles at different lines"}: the replicas count the usual sidekiq/worker servers, check them against the servers that ran it`, severity: "warning" });
    return null;
  }
  const units = [...new Set(restarts.map((r) => r.unit))];
  const where = `${on.primary ? "primary" : "roles"}(${on.roles.map((r) => `:${r}`).join(", ")})`;
  const first = restarts[0]!;
  // A glob (`sidekiq-*`) restarts every unit of that pattern the server has: the units and their count are the servers'.
  const globs = units.filter(isUnitGlob);
  const offRepo = units.filter((u) => isUnitGlob(u) || !serviceFileOf(ctx, u));
  for (const r of restarts.filter((x) => isUnitGlob(x.unit)))
    ctx.problem({
      ...r.source,
      message: `sidekiq.unit-glob: the deploy restarts \`${r.unit}\` on ${where}, a glob: how many units per server is on the servers (systemctl matches the pattern against the units each server has loaded, and none of them is in the repo), so the replicas count one process per server with the role, a floor; the worker runs Sidekiq's standard command \`bundle exec sidekiq\` with the repo's config (what each unit ran, its -C, queues and concurrency, is not known); list the units on a server (\`systemctl list-units '${r.unit}'\`) and set the worker's command and replicas`,
      severity: "warning",
    });
  // What the unit ran is on the servers: the worker's command is Sidekiq's with the repo's config, a default, said where the deploy restarts it.
  for (const r of restarts.filter((x) => offRepo.includes(x.unit) && !isUnitGlob(x.unit)))
    ctx.problem({
      ...r.source,
      message: `Sidekiq: the deploy restarts the unit \`${r.unit}\` on ${where}, whose ExecStart (or init script) is on the servers, not in the repo: the worker runs Sidekiq's standard command \`bundle exec sidekiq\` with the repo's config (not what the unit ran: its -C, queues, concurrency and process count are not known); read the unit on a server and set the worker's command`,
      severity: "warning",
    });
  // Restarts in a task that only some stages' deploys run (its hook, or the task, written in their files): none elsewhere.
  const lineOf = (r: { source: Source }) => hookedLines.get(`${r.source.file}:${r.source.line}`)!;
  const out: Record<string, SidekiqStarted> = {};
  for (const s of stages) {
    if (!s.servers.length) continue;
    if (!restarts.some((r) => onStage(lineOf(r), s.name))) {
      const l = lineOf(first);
      out[s.name] = { processes: 0, servers: 0, roles: on.roles, why: `none: stage ${s.name}'s deploy does not run the restart of ${units.join(", ")} (${first.source.file}:${first.source.line}): ${notRunWhy(cap.hooks.filter((h) => h.task.replace(/^:/, "") === l.task.name), l.task)}`, source: first.source };
      continue;
    }
    const holders = s.servers.filter((sv) => sv.roles.some((r) => on.roles.includes(r)));
    const servers = on.primary ? Math.min(1, holders.length) : holders.length;
    const each = globs.length ? `at least one process each (${globs.join(", ")} is a glob: how many units per server is on the servers; this is a floor)` : `one process each${offRepo.length ? " (the unit's file is on the servers: one process per unit assumed)" : ""}`;
    const why = `the deploy restarts ${units.join(", ")} on ${where} (${first.source.file}:${first.source.line}): ${servers} server(s) of stage ${s.name}${on.primary ? " (the role's first)" : ""}, ${each}`;
    out[s.name] = { processes: servers, servers, roles: on.roles, why: servers === 0 ? `none: ${why}` : why, source: first.source };
  }
  return out;
}

/** Why a stage's deploy does not run a task: its hooks, or the task itself, are written in other stages' files only. */
function notRunWhy(hooks: readonly HookDef[], task: TaskDef | undefined): string {
  if (task?.stages) return `the task is defined ${onlyOnWords(task)}`;
  return hooks.filter((h) => h.stages).map((h) => `the hook ${h.kind} ${h.target} is ${onlyOnWords(h)}`).join("; ");
}
