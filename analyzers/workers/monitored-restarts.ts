// A hooked deploy line that starts a job backend through a process monitor by name (`sudo monit
// start resque_worker_app`, `god restart delayed_job`): the monit check or god watch it names holds
// the start program, and when no file of the repo defines it, that program is on the servers. The
// carried worker then runs what the repo's other lines (or the backend's standard command) say, not
// what the monitor ran; said at each such line, as the Sidekiq unit restarts are. Where such lines are
// the deploy's only start of the backend and every hook of their tasks is written in some stages'
// files, the other stages ran none (monitorTasks, for stage-hooks.ts's startTasksGate).
import type { AnalyzerContext, CapistranoFacts, Source, WorkerFacts } from "../../src/model.js";
import { SERVICE_FILE } from "../../src/model/service-managers.js";
import { backendNames, type JobBackend } from "./backends.js";
import { hookedTaskLines, type TaskLine } from "./deploy-task-lines.js";

/** `monit [-opts] start|restart <check>`, `god [-opts] start|restart <watch>`. */
const MONITOR_START = /\b(monit|god)\s+(?:-\S+\s+)*(start|restart)\s+([\w.@-]+)/;

/** A check or watch of this name in a monit/god file of the repo (`check process X`, `w.name = "X"`). */
function definedInRepo(ctx: AnalyzerContext, name: string): boolean {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`check\\s+process\\s+${esc}(\\s|$)|\\.name\\s*=\\s*["']${esc}["']`, "m");
  return ctx.repo.paths.some((p) => {
    if (!SERVICE_FILE.test(p)) return false;
    const r = ctx.repo.read(p);
    return "text" in r && re.test(r.text);
  });
}

const namedFor = (name: string, b: JobBackend): boolean =>
  backendNames(b).some((n) => new RegExp(`(^|[-_.])${n.replace(/[-_]/g, "[-_]")}([-_.@]|\\d|$)`).test(name));

/** Hooked task lines that start or restart a backend (the first of `backends` its name is for) through a monitor whose check or watch no file of the repo defines. */
function monitorLines(ctx: AnalyzerContext, cap: CapistranoFacts | null, backends: readonly JobBackend[], conditional = false): { b: JobBackend; l: TaskLine; monitor: string; verb: string; name: string }[] {
  const out: { b: JobBackend; l: TaskLine; monitor: string; verb: string; name: string }[] = [];
  for (const l of hookedTaskLines(ctx, cap, conditional)) {
    const m = MONITOR_START.exec(l.text);
    if (!m) continue;
    const [, monitor, verb, name] = m as unknown as [string, string, string, string];
    const b = backends.find((x) => namedFor(name, x));
    if (b && !definedInRepo(ctx, name)) out.push({ b, l, monitor, verb, name });
  }
  return out;
}

/** The hooked tasks (conditionally too) that restart the backend through a monitor whose check is not in the repo. */
export function monitorTasks(ctx: AnalyzerContext, cap: CapistranoFacts | null, b: JobBackend, backends: readonly JobBackend[]): string[] {
  return [...new Set(monitorLines(ctx, cap, backends, true).filter((x) => x.b === b).map((x) => x.l.task.name))];
}

/** The warnings, one per line, for the backends with a carried worker. */
export function monitoredRestarts(ctx: AnalyzerContext, cap: CapistranoFacts | null, backends: JobBackend[], workers: WorkerFacts[]): { source: Source; message: string }[] {
  const out: { source: Source; message: string }[] = [];
  const seen = new Set<string>();
  for (const { b, l, monitor, verb, name } of monitorLines(ctx, cap, backends)) {
    const carried = workers.filter((w) => w.backend === b.id && w.carried);
    const key = `${l.source.file}:${l.source.line}`;
    if (!carried.length || seen.has(key)) continue;
    seen.add(key);
    const only = l.stages ? `, in the deploy of stage${l.stages.length > 1 ? "s" : ""} ${l.stages.join(", ")} only` : "";
    const what = monitor === "monit" ? `the monit check \`${name}\`, whose start program` : `the god watch \`${name}\`, whose start command`;
    out.push({
      source: l.source,
      message: `${b.label}: the deploy's task ${l.task.name} runs \`${monitor} ${verb} ${name}\` (hooked at ${l.hook.file}:${l.hook.line}${only}): ${what} is on the servers, not in the repo, so what it ran there (its queues and process count) is not known; the worker${carried.length > 1 ? "s" : ""} carried (${carried.map((w) => `\`${w.name}\``).join(", ")}) run${carried.length > 1 ? "" : "s"} what the repo's other lines or ${b.label}'s standard command say, not what ${monitor} ran: read the ${monitor === "monit" ? "check" : "watch"} on a server and set the worker's command and replicas`,
    });
  }
  return out;
}
