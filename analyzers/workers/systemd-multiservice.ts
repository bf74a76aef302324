// capistrano-systemd-multiservice: `install_plugin Capistrano::Systemd::MultiService.new_service("x")`
// in the Capfile installs, per stage, the repo's unit templates of service x onto the servers, and
// the deploy's `systemd:x:*` tasks start and restart them. What the servers ran is those templates
// rendered with the stage's variables, not the backend's usual command. From the gem's source
// (groovenauts/capistrano-systemd-multiservice, lib/capistrano/systemd/multiservice/system_service.rb
// at 4d50c71, SystemService#set_defaults and #setup):
// - the templates are `Dir["config/systemd/#{app}{,@}.*.erb"].sort` (systemd_<app>_units_src);
// - each is rendered with `ERB.new(File.read(src), nil, 2).result(binding)` inside the plugin, whose
//   binding answers Capistrano's `fetch`, `current_path`, `shared_path`… for the stage;
// - the units run on `systemd_<app>_role`, default `:app`;
// - a `x@.service` template runs `systemd_<app>_instances` copies, default one (`1.times.to_a`).
// systemd then stops the unit's process with its KillSignal= (default SIGTERM) and KILLs it
// TimeoutStopSec= later (TimeoutSec= sets both; systemd's own default is 90 s).
import type { AnalyzerContext, CapistranoFacts, RValue, Source, Stage, WorkerFacts } from "../../src/model.js";
import { backendNames, backendOfCommand, type JobBackend } from "./backends.js";
import { isSym } from "../../src/model.js";
import { renderErb, TOKEN_RE } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { perItem } from "../per-item.js";
import { unwrapCommand } from "../../src/model/service-managers.js";
import { isCapfileName } from "../capistrano/capfile.js";

/** The gem's require, as the Capfile writes it. */
export const MULTISERVICE_REQUIRE = /^capistrano\/systemd\/multiservice$/;
const INSTALL = /^[ \t]*install_plugin[ \t(]+Capistrano::Systemd::MultiService\.new_service[ \t(]+(?:["']([\w.-]+)["']|:([\w]+))/;

/** A service the Capfile installs: its name and the install line. */
export interface MultiserviceService {
  name: string;
  source: Source;
}

/** One rendered unit of a service on one stage. */
export interface MultiserviceUnit {
  service: string;
  stage: string;
  file: string;
  /** The roles `systemd_<service>_role` names (default :app); null when it is not a literal role list. */
  roles: string[] | null;
  rolesSource: Source | null;
  /** Rendered ExecStart=; `command` null when a part of it is not known for the stage. */
  start: { command: string | null; rendered: string; written: string; source: Source; pod: string | null } | null;
  stop: { command: string; source: Source } | null;
  /** TimeoutStopSec= (or TimeoutSec=) in seconds; null seconds when its value is not read (`infinity`, an unknown). */
  stopTimeout: { seconds: number | null; written: string; source: Source } | null;
  killSignal: { signal: string; source: Source } | null;
  /** A `x@.service` template: how many instances the stage starts (its systemd_<service>_instances). */
  instances: { count: number | null; source: Source | null } | null;
}

/** The services the Capfile installs through capistrano-systemd-multiservice. */
export function multiserviceServices(ctx: AnalyzerContext, cap: CapistranoFacts | null): MultiserviceService[] {
  if (!cap?.requires.some((r) => MULTISERVICE_REQUIRE.test(r.value))) return [];
  const out: MultiserviceService[] = [];
  for (const file of ctx.repo.paths.filter(isCapfileName)) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    r.text.split(/\r?\n/).forEach((l, i) => {
      const m = INSTALL.exec(l);
      if (m) out.push({ name: (m[1] ?? m[2])!, source: { file, line: i + 1 } });
    });
  }
  return out;
}

/** The repo's unit templates of a service, as the gem's glob `config/systemd/#{app}{,@}.*.erb` finds them (service units only). */
export function unitTemplates(paths: readonly string[], service: string): string[] {
  const esc = service.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^config/systemd/${esc}@?\\.[^/]*\\.erb$`);
  return paths.filter((p) => re.test(p) && /\.service\.erb$/.test(p)).sort();
}

const name = (v: RValue | undefined): string | null => (typeof v === "string" && v ? v : v && isSym(v) ? v.sym : null);

/** systemd's time span in seconds (`30`, `30s`, `1min 30s`, `2m`); null for `infinity` or anything else. */
export function systemdSeconds(v: string): number | null {
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t);
  let total = 0;
  const re = /(\d+)\s*(s|sec|second|seconds|m|min|minute|minutes|h|hr|hour|hours|ms|msec)\b\s*/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(t))) {
    const n = Number(m[1]);
    const u = m[2]!;
    total += u.startsWith("ms") ? n / 1000 : u.startsWith("h") ? n * 3600 : u === "s" || u.startsWith("sec") ? n : n * 60;
    at = re.lastIndex;
  }
  return at === t.length && at > 0 ? Math.ceil(total) : null;
}

/** Every service unit the Capfile's multiservice services install, rendered for each stage. */
export function multiserviceUnits(ctx: AnalyzerContext, cap: CapistranoFacts | null, stages: readonly Stage[]): MultiserviceUnit[] {
  const out: MultiserviceUnit[] = [];
  for (const svc of multiserviceServices(ctx, cap))
    for (const file of unitTemplates(ctx.repo.paths, svc.name))
      perItem(ctx, { file }, "this capistrano-systemd-multiservice unit template", undefined, () => {
        const r = ctx.repo.read(file);
        if ("error" in r) return;
        for (const st of stages) out.push(renderUnit(svc.name, file, r.text, st));
      });
  return out;
}

function renderUnit(service: string, file: string, text: string, st: Stage): MultiserviceUnit {
  const rendered = renderErb(file, text, stageScope(st));
  const lines = rendered.output.split(/\r?\n/);
  const unit: MultiserviceUnit = { service, stage: st.name, file, roles: null, rolesSource: null, start: null, stop: null, stopTimeout: null, killSignal: null, instances: null };
  const rf = st.variables[`systemd_${service}_role`];
  const rv = rf?.value ?? { sym: "app" };
  const roles = (Array.isArray(rv) ? rv : [rv]).map(name);
  unit.roles = roles.every((x): x is string => x !== null) ? roles : null;
  unit.rolesSource = rf?.source ?? null;
  if (/@\.service\.erb$/.test(file)) {
    const f = st.variables[`systemd_${service}_instances`];
    unit.instances = { count: f ? (Array.isArray(f.value) ? f.value.length : null) : 1, source: f?.source ?? null };
  }
  let section = "";
  lines.forEach((l, i) => {
    const source = { file, line: rendered.lines[i + 1] ?? i + 1 };
    const sec = /^\s*\[([^\]]+)\]\s*$/.exec(l);
    if (sec) section = sec[1]!;
    if (section !== "Service") return;
    const kv = /^\s*(\w+)\s*=\s*(.*?)\s*$/.exec(l);
    if (!kv) return;
    const [, key, value] = kv as unknown as [string, string, string];
    const known = !new RegExp(TOKEN_RE.source).test(value);
    // systemd's ExecStart= prefixes (`-`, `@`, `+`, `!`, `:`) say how to run it, not what.
    const cmd = value.replace(/^[-@+!:]+/, "");
    if (key === "ExecStart" && !unit.start) unit.start = { command: known ? cmd : null, rendered: cmd, written: templateLine(text, source.line) ?? value, source, pod: known ? podLine(cmd, st) : null };
    else if (key === "ExecStop" && !unit.stop && known) unit.stop = { command: cmd, source };
    else if (key === "TimeoutStopSec" || (key === "TimeoutSec" && !unit.stopTimeout)) unit.stopTimeout = { seconds: known ? systemdSeconds(value) : null, written: `${key}=${known ? value : templateLine(text, source.line) ?? value}`, source };
    else if (key === "KillSignal" && known) unit.killSignal = { signal: value.replace(/^SIG/, ""), source };
  });
  return unit;
}

/**
 * The unit's command as a pod runs it: its wrappers off (`/bin/bash -lc '…'`), and paths under the
 * stage's release (`<deploy_to>/current/config/x.yml`) as the repo's own (`config/x.yml`), which the
 * image holds at its working directory. Null when the words cannot be taken apart.
 */
function podLine(cmd: string, st: Stage): string | null {
  const un = unwrapCommand(cmd, (ws) => !!backendOfCommand(ws.join(" ")));
  if (!un) return null;
  const d = st.variables["deploy_to"]?.value;
  const root = typeof d === "string" ? d.replace(/\/+$/, "") : null;
  const release = root ? new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(?:current|releases/[^/]+)/`) : null;
  return un.words.map((w) => (release ? w.replace(release, "") : w)).join(" ");
}

const templateLine = (text: string, line: number): string | null => text.split(/\r?\n/)[line - 1]?.replace(/^\s*\w+\s*=\s*/, "").trim() ?? null;

/** A unit's file:line, for messages. */
export const at = (s: Source) => `${s.file}:${s.line}`;

export const pluginAt = (svc: MultiserviceService) => `${isCapfileName(svc.source.file) ? "the Capfile" : svc.source.file}:${svc.source.line}`;

type Cmd = Pick<WorkerFacts, "args" | "env" | "commandFrom" | "commandSource" | "commandNote" | "queues">;

/**
 * A backend's worker as the multiservice units ran it. Units of a service named for the backend
 * (`new_service("sidekiq")`) or whose rendered ExecStart runs it decide:
 * - ExecStart runs the backend on every stage, the same words: that line is the command, the unit's
 *   role the roles, its TimeoutStopSec the drain the servers allowed (systemd KILLs after it);
 * - ExecStart runs something else on every stage (`true`, a placeholder): the unit ran no job
 *   backend, said at its line; with nothing else that starts the backend, no worker is carried;
 * - a part of ExecStart is not known, or the stages differ: said, the worker as it was.
 */
export function withMultiservice(
  ctx: AnalyzerContext,
  b: JobBackend,
  w: WorkerFacts,
  units: readonly MultiserviceUnit[],
  otherStart: boolean,
  /** The only carried worker of the backend: a unit's one command can replace its command. */
  single: boolean,
  commandOf: (b: JobBackend, line: string, from: "service", source: Source) => Cmd,
): WorkerFacts {
  const names = new Set(backendNames(b));
  // A value not known in a path prefix (`/home/<%= fetch(:user) %>/.rbenv/bin/rbenv exec … sidekiq`) hides not what runs.
  const runsIt = (u: MultiserviceUnit) => !!u.start && backendOfCommand(u.start.rendered) === b;
  // The pod's words, without the `-e <stage>` each stage's unit names (the stage's env comes from its overlay); null when not all known.
  const podOf = (u: MultiserviceUnit) => u.start!.pod?.replace(/\s(-e|--environment)\s+\S+/g, "") ?? null;
  const mine = units.filter((u) => names.has(u.service) || runsIt(u));
  if (!mine.length) return w;
  const running = mine.filter(runsIt);
  if (!running.length) {
    const unknown = mine.filter((u) => !u.start || u.start.command === null);
    for (const f of new Set(unknown.map((u) => u.file))) {
      const us = unknown.filter((u) => u.file === f);
      const s = us[0]!.start?.source ?? { file: f, line: 1 };
      ctx.problem({ ...s, message: `systemd-multiservice.start-unknown: ${f} (the unit capistrano-systemd-multiservice installs for service ${us[0]!.service}) ${us[0]!.start ? `starts \`${us[0]!.start.written}\`, whose value is not known` : "has no ExecStart="} on stage${us.length > 1 ? "s" : ""} ${us.map((u) => u.stage).join(", ")}: whether it ran ${b.label} is not known; the worker is kept as the rest of the repo says`, severity: "warning" });
    }
    const other = mine.filter((u) => u.start && u.start.command !== null);
    for (const f of new Set(other.map((u) => u.file))) {
      const us = other.filter((u) => u.file === f);
      const cmds = [...new Set(us.map((u) => u.start!.command!))];
      ctx.problem({ ...us[0]!.start!.source, message: `systemd-multiservice.not-a-backend: ${f} (the unit capistrano-systemd-multiservice installs for service ${us[0]!.service}) starts ${cmds.map((c) => `\`${c.slice(0, 120)}\``).join(", ")} on stage${us.length > 1 ? "s" : ""} ${us.map((u) => u.stage).join(", ")}, not ${b.label}: no worker comes from this unit${otherStart ? "" : `, and nothing else in the repo starts ${b.label}`}`, severity: "warning" });
    }
    if (unknown.length || otherStart || !other.length) return w;
    const first = other[0]!.start!;
    return {
      ...w,
      carried: false,
      notStarted: true,
      why: `the servers' ${b.label} unit of capistrano-systemd-multiservice (${at(first.source)}) starts \`${first.command!.slice(0, 80)}\` on every stage, not ${b.label}, and nothing else in the repo starts it (no Procfile line the deploy runs, no service file, Capistrano plugin or hook, no server with its role); no Deployment is generated`,
      evidence: [...w.evidence, { value: `${first.source.file}: ExecStart=${first.command!.slice(0, 80)} (the unit the deploy's systemd:${other[0]!.service}:* tasks start)`, source: first.source }],
    };
  }
  // Stages whose units of this backend start different words: one Deployment cannot say both.
  const pods = running.map(podOf);
  const cmds = [...new Set(pods.filter((x): x is string => x !== null))];
  let out: WorkerFacts = { ...w, evidence: [...w.evidence, ...running.filter((u, i) => running.findIndex((x) => x.file === u.file) === i).map((u) => ({ value: `${u.stage}: capistrano-systemd-multiservice's unit ${u.file} starts ${u.start!.written.slice(0, 160)}`, source: u.start!.source }))] };
  if (cmds.length === 1 && single && !pods.includes(null)) {
    const u = running[0]!;
    const cmd = commandOf(b, cmds[0]!, "service", u.start!.source);
    out = { ...out, ...cmd, commandNote: [cmd.commandNote, `rendered from ${u.file} with each stage's variables, as capistrano-systemd-multiservice's setup does`].filter(Boolean).join("; ") };
    delete out.sidekiqOptions;
  } else if (cmds.length > 1)
    ctx.problem({ ...running[0]!.start!.source, message: `systemd-multiservice.start-differs: the units of ${b.label} start different commands per stage (${running.map((u) => `${u.stage}: \`${u.start!.rendered.slice(0, 80)}\``).join("; ")}); the worker keeps ${w.commandFrom === "sidekiq" ? "Sidekiq's config" : "its command"}: set each overlay's command`, severity: "warning" });
  const roles = [...new Set(running.flatMap((u) => u.roles ?? []))];
  if (running.every((u) => u.roles)) {
    const src = running.find((u) => u.rolesSource)?.rolesSource;
    out = { ...out, roles, evidence: [...out.evidence, { value: `the units run on roles(${roles.map((r) => `:${r}`).join(", ")}) (systemd_${running[0]!.service}_role${src ? "" : ", the gem's default :app"})`, source: src ?? running[0]!.start!.source }] };
  }
  // A `name@.service` template runs one process per instance on each server: the processes per server.
  const inst = running.map((u) => u.instances).filter((x): x is NonNullable<MultiserviceUnit["instances"]> => x !== null);
  if (inst.length) {
    const counts = [...new Set(inst.map((x) => x.count))];
    const src = inst.find((x) => x.source)?.source ?? running[0]!.start!.source;
    if (counts.length === 1 && counts[0] !== null) {
      const n = counts[0]!;
      const why = `systemd_${running[0]!.service}_instances: ${n} instance${n === 1 ? "" : "s"} of ${running[0]!.file} per server${inst.some((x) => x.source) ? "" : " (the gem's default, one)"}`;
      if (n !== 1) out = { ...out, processesPerServer: { value: n, why, source: src }, evidence: [...out.evidence, { value: why, source: src }] };
    } else
      ctx.problem({ ...src, message: `systemd-multiservice.instances-unknown: the instances of ${running[0]!.file} (systemd_${running[0]!.service}_instances) are ${counts.includes(null) ? "not a literal list" : `different per stage (${running.map((u) => `${u.stage}: ${u.instances?.count ?? "?"}`).join(", ")})`}: each server ran that many ${b.label} processes; the replicas count one per server: set each overlay's replicas`, severity: "warning" });
  }
  const stops = running.map((u) => u.stopTimeout);
  if (stops.every((s) => s && s.seconds !== null)) {
    const max = stops.reduce((a, s) => (s!.seconds! > a!.seconds! ? s : a))!;
    out = { ...out, stopTimeout: { seconds: max.seconds!, source: max.source }, evidence: [...out.evidence, { value: `systemd stopped it and KILLed it ${max.seconds}s later (${max.written}): the drain the servers allowed`, source: max.source }] };
  } else if (stops.some((s) => s && s.seconds === null))
    ctx.problem({ ...stops.find((s) => s && s.seconds === null)!.source, message: `systemd-multiservice.stop-unknown: ${stops.find((s) => s && s.seconds === null)!.written} is not a time the analysis reads; the worker keeps ${b.label}'s own drain timeout`, severity: "warning" });
  for (const u of running)
    if (u.killSignal && u.killSignal.signal !== b.stopSignal)
      ctx.problem({ ...u.killSignal.source, message: `systemd-multiservice.kill-signal: ${u.file} stops ${b.label} with SIG${u.killSignal.signal} (stage ${u.stage}); the pod's preStop sends SIG${b.stopSignal}, ${b.label}'s drain signal: check what SIG${u.killSignal.signal} did on the servers`, severity: "warning" });
  return out;
}
