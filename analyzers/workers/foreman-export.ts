// The Procfile a deploy's foreman runs (`foreman export systemd /etc/systemd/system -a app-#{stage}
// -f Procfile.production`, `foreman start -f Procfile.servers`) is the one whose processes the
// servers ran: not the root Procfile, which is often Heroku's or a development one. Its lines are
// the workers; the run itself says where (the `on roles(...)` around it), how many (`-m worker=2`)
// and how they stopped (foreman's systemd units: `KillMode=mixed`, `TimeoutStopSec=` its `-t`,
// 5 by default, as `foreman export systemd` 0.87 writes them).
import type { AnalyzerContext, ProcfileEntry, Source, Stage, WorkerFacts } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { readUnit } from "../services/unit-file.js";
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
export function withForemanRun(ctx: AnalyzerContext, w: WorkerFacts, p: ProcfileEntry, run: ForemanRun, rubySwitch: string | null, stages: Stage[] = []): WorkerFacts {
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
    // foreman 0.87's systemd process.service.erb writes `TimeoutStopSec=<%= engine.options[:timeout] %>`;
    // a template of the repo's own (`--template DIR`) may write another stop.
    const own = run.template !== undefined ? templateStop(ctx, run, at) : null;
    if (own && "unknown" in own) return out;
    const written = run.timeoutWritten !== undefined ? stageTimeout(run.timeoutWritten, stages) : null;
    if (!own && run.timeoutWritten !== undefined && !written) {
      ctx.problem({ ...run.source, message: `${w.label}: foreman export's \`--timeout ${run.timeoutWritten}\` (${at}) is filled in by the deploy with a value the analysis does not know: its units' TimeoutStopSec, the seconds the servers let ${p.name} drain before KILL, is not known; the worker keeps ${w.label}'s own ${w.stopTimeout.seconds}s drain${w.stopTimeout.source ? "" : " (the backend's default)"}, not foreman's default 5: set its grace period to the servers' value`, severity: "warning" });
      return out;
    }
    const seconds = own?.seconds ?? written?.seconds ?? run.timeout ?? FOREMAN_STOP_TIMEOUT;
    const said = own ? own.said : written ? `its --timeout ${run.timeoutWritten}, ${written.said}` : run.timeout !== null ? `its -t ${seconds}` : `foreman's default -t ${FOREMAN_STOP_TIMEOUT}`;
    out = {
      ...out,
      stopTimeout: { seconds, source: own?.source ?? written?.source ?? run.source },
      evidence: [...out.evidence, { value: `foreman's systemd units stopped it with SIGTERM and KILLed it ${seconds}s later (KillMode=mixed, TimeoutStopSec=${seconds}, ${said}): the drain the servers allowed`, source: run.source }],
    };
  }
  return out;
}

/** `#{fetch(:name)}` / `#{name}` when every stage sets that variable to the same whole number. */
function stageTimeout(written: string, stages: Stage[]): { seconds: number; said: string; source: Source } | null {
  const m = /^#\{\s*(?:fetch\s*\(?\s*:(\w+)\s*\)?|(\w+))\s*\}$/.exec(written);
  const name = m ? (m[1] ?? m[2])! : null;
  if (!name || !stages.length) return null;
  const vals = stages.map((s) => s.variables[name]);
  const v = vals[0];
  const n = v && (typeof v.value === "number" || (typeof v.value === "string" && /^\d+$/.test(v.value))) ? Number(v.value) : null;
  if (n === null || !vals.every((x) => x && String(x.value) === String(v!.value))) return null;
  return { seconds: n, said: `:${name} ${n} on every stage`, source: v!.source };
}

/**
 * The stop a `--template DIR` export wrote: foreman 0.87 (lib/foreman/export/base.rb export_template)
 * reads DIR/process.service.erb (the template's name without its `systemd/` folder), then the
 * servers' ~/.foreman/templates/systemd/, then its own. The repo's DIR/process.service.erb is read
 * with the unit reader: its TimeoutStopSec= (a number, or foreman's `engine.options[:timeout]`).
 * A DIR the repo does not hold, or that holds the template only under systemd/ (which foreman does
 * not look in), leaves the units' stop a doubt, said at the export.
 */
function templateStop(ctx: AnalyzerContext, run: ForemanRun, at: string): { seconds: number; said: string; source: Source } | { unknown: true } | null {
  const dir = run.template!.replace(/^(?:#\{\s*(?:fetch\(:)?(?:current_path|release_path)\)?\s*\}|\.)\/?/, "").replace(/\/+$/, "");
  const file = `${dir}/process.service.erb`;
  const inRelease = !/#\{|<%|^\//.test(dir);
  const held = inRelease && hasPath(ctx.repo, file);
  if (!held) {
    const nested = inRelease && hasPath(ctx.repo, `${dir}/systemd/process.service.erb`);
    const why = !inRelease
      ? `${run.template} is a folder of the servers: their units came from templates the analysis cannot read`
      : `the release holds no ${file}${nested ? ` (the repo's ${dir}/systemd/process.service.erb is not where foreman 0.87 looks)` : ""}, so foreman wrote its own units unless the servers had ~/.foreman/templates/systemd/process.service.erb`;
    ctx.problem({ ...run.source, message: `foreman export uses \`--template ${run.template}\` (${at}); ${why}; the units' stop (TimeoutStopSec, KillMode) and environment are read as foreman's own: compare them with a unit on a server`, severity: "warning" });
    return null;
  }
  const r = ctx.repo.read(file);
  if ("error" in r) return null;
  const stop = readUnit(r.text).filter((e) => e.section === "Service" && e.key === "TimeoutStopSec").pop();
  if (!stop) return { seconds: 90, said: `the repo's template ${file} sets no TimeoutStopSec (systemd's default DefaultTimeoutStopSec=90s)`, source: { file, line: 1 } };
  if (/^\d+$/.test(stop.value)) return { seconds: Number(stop.value), said: `TimeoutStopSec=${stop.value} in the repo's template ${file}`, source: { file, line: stop.line } };
  if (/^<%=\s*engine\.options\[:timeout\]\s*%>$/.test(stop.value)) return null;
  ctx.problem({ ...run.source, message: `foreman export's template ${file}:${stop.line} writes TimeoutStopSec=${stop.value}, which the analysis cannot read: the seconds the servers let the process drain are not known; the worker keeps its backend's own drain`, severity: "warning" });
  return { unknown: true };
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
