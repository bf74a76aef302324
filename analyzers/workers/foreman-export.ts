// The Procfile a deploy's foreman runs (`foreman export systemd /etc/systemd/system -a app-#{stage}
// -f Procfile.production`, `foreman start -f Procfile.servers`) is the one whose processes the
// servers ran: not the root Procfile, which is often Heroku's or a development one. Its lines are
// the workers; the run itself says where (the `on roles(...)` around it), how many (`-m worker=2`)
// and how they stopped (foreman's systemd units: `KillMode=mixed`, `TimeoutStopSec=` its `-t`,
// 5 by default, as `foreman export systemd` 0.87 writes them).
import type { AnalyzerContext, ProcfileEntry, Source, WorkerFacts } from "../../src/model.js";
import { foremanRuns, type ForemanRun } from "../appserver/foreman.js";
import { parseRuby, kind, childrenOf } from "../ruby/prism.js";
import { onRoles, type OnRoles } from "./deploy-methods.js";
import { rubySwitchNote } from "../../src/model/ruby-switch.js";

/** foreman's `-t/--timeout` default (`foreman help export`): the units' TimeoutStopSec. */
export const FOREMAN_STOP_TIMEOUT = 5;

export interface DeployProcfile {
  /** The repo Procfile each run reads, with the processes it runs. */
  runs: ForemanRun[];
  /** The Procfile lines those runs start. */
  lines: ProcfileEntry[];
}

/**
 * The Procfile lines a foreman run of the deploy starts, when a run names a Procfile the repo
 * holds; null when none does (then the root Procfile is the one, as before).
 */
export function deployProcfile(ctx: AnalyzerContext, procfile: ProcfileEntry[]): DeployProcfile | null {
  const runs = foremanRuns(ctx).filter((r) => r.procfile !== null && procfile.some((p) => p.source.file === r.procfile));
  if (!runs.length) return null;
  const lines = procfile.filter((p) => runs.some((r) => r.procfile === p.source.file && (r.names === null || r.names.includes(p.name))));
  return { runs, lines };
}

/** The run that starts a Procfile line. */
export function runOf(d: DeployProcfile, p: ProcfileEntry): ForemanRun | null {
  return d.runs.find((r) => r.procfile === p.source.file && (r.names === null || r.names.includes(p.name))) ?? null;
}

/**
 * A Procfile worker as the deploy's foreman ran it: the roles of the task that runs foreman, the
 * formation's count per server, and for a systemd export the stop the units made (SIGTERM to the
 * process, KILL after TimeoutStopSec).
 */
export function withForemanRun(ctx: AnalyzerContext, w: WorkerFacts, p: ProcfileEntry, run: ForemanRun, rubySwitch: string | null): WorkerFacts {
  const at = `${run.source.file}:${run.source.line}`;
  const evidence = [...w.evidence, { value: `the deploy runs \`${run.command.slice(0, 160)}\`, which starts ${p.source.file} ${p.name}`, source: run.source }];
  let out: WorkerFacts = { ...w, evidence };
  if (rubySwitch) out.commandNote = [out.commandNote, rubySwitchNote(rubySwitch)].filter(Boolean).join("; ");
  const on = runRoles(ctx, run.source);
  if (on) {
    out = { ...out, roles: on.roles, evidence: [...out.evidence, { value: `foreman runs ${on.primary ? "on primary" : "on roles"}(${on.roles.map((r) => `:${r}`).join(", ")})`, source: on.source }] };
    if (on.primary) out.primaryOnly = { role: on.roles[0]!, source: on.source };
  }
  const n = run.counts[p.name] ?? run.counts["all"];
  if (n !== undefined && n !== 1) {
    const why = `${at} starts ${n} ${p.name} processes (foreman's formation ${p.name in run.counts ? `${p.name}=${n}` : `all=${n}`})`;
    out = { ...out, processesPerServer: { value: n, why, source: run.source }, evidence: [...out.evidence, { value: why, source: run.source }] };
  }
  if (run.format === "systemd") {
    const seconds = run.timeout ?? FOREMAN_STOP_TIMEOUT;
    const said = run.timeout !== null ? `its -t ${seconds}` : `foreman's default -t ${FOREMAN_STOP_TIMEOUT}`;
    out = {
      ...out,
      stopTimeout: { seconds, source: run.source },
      evidence: [...out.evidence, { value: `foreman's systemd units stopped it with SIGTERM and KILLed it ${seconds}s later (KillMode=mixed, TimeoutStopSec=${seconds}, ${said}): the drain the servers allowed`, source: run.source }],
    };
  }
  return out;
}

/** The `on roles(...)` around the deploy line at `at`, when it is a literal role list. */
function runRoles(ctx: AnalyzerContext, at: Source): OnRoles | null {
  const r = ctx.repo.read(at.file);
  if ("error" in r) return null;
  const parsed = parseRuby(at.file, r.text);
  if (parsed.errors.length) return null;
  let found: OnRoles | null = null;
  const walk = (node: any, ancestors: any[]): void => {
    if (found || !node) return;
    if (kind(node) === "CallNode" && parsed.lineOf(node.location.startOffset) === at.line) {
      found = onRoles([...ancestors, node], parsed.sourceOf.bind(parsed));
      if (found) return;
    }
    for (const k of childrenOf(node)) walk(k, [...ancestors, node]);
  };
  walk(parsed.root, []);
  return found;
}
