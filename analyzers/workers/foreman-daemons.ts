// Procfile processes the deploy exports through foreman (`foreman export upstart /etc/init -f
// Procfile -m feed=2,chat=1,mail=0`) that are neither the web server nor a job backend: the app's own
// long-running processes, which the servers' init system ran as many times per server as the
// formation says. foreman's exported job runs the Procfile command as it is (upstart's `exec <%=
// process.command %>`), in the foreground: the pod runs that same command, one container each.
//
// Carried only when the command is fully known and stays in the foreground: a `$VAR` is filled in
// by foreman from the servers' .env or by its own PORT, and a process that detaches itself would
// leave the pod with nothing to run; those stay named (uncarried.ts), with what the export ran.
// A process the formation gives 0 never ran (foreman writes no job for it).
// Stop: foreman's units stop with TERM, then KILL: upstart's `kill timeout` (5s: foreman's upstart
// template sets none), systemd's TimeoutStopSec (foreman's -t; withForemanRun reads it).
import type { AnalyzerContext, ProcfileEntry, Stage, WorkerFacts } from "../../src/model.js";
import { dnsLabel } from "../../src/model/names.js";
import { backendOfCommand } from "./backends.js";
import { deployProcfile, runOf, withForemanRun } from "./foreman-export.js";
import { DAEMON_BACKEND, daemonizeLine, repoFileRun } from "./init-scripts.js";
import { webServerRun } from "./web-processes.js";
import { taskRoles } from "./supervisor-files.js";

/** upstart's default `kill timeout` (init(5)): foreman's upstart template sets none. */
export const UPSTART_KILL_TIMEOUT = 5;

/** Why an exported Procfile process is not carried; null when it is. */
export function exportedUncarriedWhy(ctx: AnalyzerContext, p: ProcfileEntry): string | null {
  if (/[$`]/.test(p.command)) return `its command reads ${(/\$\{?\w+(?::-[^}]*)?\}?|`[^`]*`/.exec(p.command) ?? ["a shell expansion"])[0]}, which foreman filled in on the servers (from their .env, or the port it gives each process): the command is not fully known`;
  const words = p.command.trim().split(/\s+/);
  const runs = repoFileRun(ctx, words);
  const d = runs ? daemonizeLine(ctx, runs.file) : null;
  if (d) return `${d.file}:${d.line} detaches the process (${d.text}): in a pod the main process would exit at once`;
  if (words.some((w) => /^(?:-d|-D|--daemon|--daemonize)$/.test(w))) return "its command forks into the background (a daemon flag): in a pod the main process would exit at once";
  return null;
}

/** The exported Procfile processes carried as worker Deployments. */
export function foremanDaemons(ctx: AnalyzerContext, procfile: ProcfileEntry[], stages: Stage[], workers: readonly WorkerFacts[]): WorkerFacts[] {
  const exported = deployProcfile(ctx, procfile);
  if (!exported) return [];
  const out: WorkerFacts[] = [];
  const cited = new Set(workers.flatMap((w) => [w.commandSource, ...w.evidence.map((e) => e.source)]).filter((s) => !!s).map((s) => `${s!.file}:${s!.line}`));
  for (const p of exported.lines) {
    const run = runOf(exported, p);
    if (!run || run.format === null) continue;
    if (cited.has(`${p.source.file}:${p.source.line}`) || backendOfCommand(p.command) || webServerRun(p.command)) continue;
    if ((run.counts[p.name] ?? run.counts["all"] ?? 1) === 0) continue;
    if (exportedUncarriedWhy(ctx, p)) continue;
    const label = dnsLabel(p.name.replace(/_/g, "-"));
    const upstart = run.format === "upstart";
    let w: WorkerFacts = {
      backend: DAEMON_BACKEND,
      label: "daemon",
      drain: `foreman's exported ${run.format} job stops it with TERM, then KILL once the init system's timeout is over; the pod gets TERM, then KILL after its grace period`,
      name: `worker-${label}`,
      args: p.command.trim().split(/\s+/),
      env: {},
      commandFrom: "procfile",
      commandSource: p.source,
      queues: [],
      stopSignal: "TERM",
      stopTimeout: { seconds: upstart ? UPSTART_KILL_TIMEOUT : 30, source: null },
      roles: [],
      evidence: [{ value: `${p.name}: ${p.command} (a process of the app's own, exported by the deploy's foreman: ${run.format})`, source: p.source }],
      carried: true,
      liveness: { none: "a process of the app's own, not a job backend: the container's process being alive is its only check" },
    };
    if (upstart) w.evidence.push({ value: `foreman's upstart job for it has no \`kill timeout\`: upstart sent TERM and KILLed it ${UPSTART_KILL_TIMEOUT}s later (its default): the drain the servers allowed`, source: run.source });
    w = withForemanRun(ctx, w, p, run, null, stages);
    // Capistrano 2's `task :x, :roles => :app` around the export (withForemanRun reads Capistrano 3's `on roles`).
    if (!w.roles.length) {
      const on = taskRoles(ctx, run.source);
      if (on) w = { ...w, roles: on.roles, evidence: [...w.evidence, { value: `foreman export runs in a task on roles(${on.roles.map((r) => `:${r}`).join(", ")})`, source: on.source }] };
      else w = { ...w, singleton: "one pod per stage: the roles of the task that exports it are not read, so on how many servers it ran is not known" };
    }
    out.push(w);
  }
  return out;
}
