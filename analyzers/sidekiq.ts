// Sidekiq: config/sidekiq.yml as Sidekiq reads it (ERB, then YAML; keys symbolized, so `:concurrency:`
// and `concurrency:` are the same; the section named after the Rails env merged over the top level),
// and the evidence that the app runs it at all. Null when nothing says the app uses sidekiq.
import type { AnalyzerContext, LinkedPath, SidekiqFacts, CapistranoFacts, ProcfileEntry, RailsFacts, Fact, RValue, Source, Stage, SidekiqStarted, SidekiqUnit } from "../src/model.js";
import { isHash } from "./ruby/evaluate.js";
import { readErbYaml } from "./rails/erb-yaml.js";
import { hasPath } from "../src/model.js";
import { sidekiqFlagTimeout } from "./workers/timeouts.js";
import { startLines } from "./appserver/started.js";
import { sidekiqPluginStages } from "./workers/sidekiq-plugin.js";
import { sidekiqStarted } from "./workers/sidekiq-started.js";
import { sidekiqOwnTaskStarted } from "./workers/sidekiq-own-task.js";
import { DLSS_GEM, DLSS_SYSTEMD, dlssSystemdStart } from "./workers/dlss-systemd.js";
import { sidekiqDaemonSettings } from "./workers/sidekiq-daemon-settings.js";
import { pluginLoadedIn } from "./capistrano/plugin-loaded.js";
import { MB, mbRecipe, mbStack, mbUnitOverride } from "./capistrano/mb.js";
import { unwrapCommand } from "../src/model/service-managers.js";
import type { SidekiqStagePlugin } from "../src/model.js";
import { lockedBy, lockedForApp } from "./workers/locked-for-app.js";
import { backendOfCommand } from "./workers/backends.js";
import { sidekiqLinkedConfig } from "./workers/sidekiq-linked.js";
import { readUnitConfigs, sidekiqUnits } from "./workers/sidekiq-config-files.js";
import { isV3 } from "./workers/sidekiq-v3-unread.js";

/** Where Sidekiq (and capistrano-sidekiq's default `sidekiq_config`) looks. */
const SIDEKIQ_FILES = ["config/sidekiq.yml", "config/sidekiq.yml.erb", "config/sidekiq.yaml"];
/** Top-level options Sidekiq knows: a Hash under any other key is an environment section. */
const OPTIONS = new Set(["concurrency", "timeout", "queues", "verbose", "pidfile", "logfile", "require", "environment", "tag", "labels", "strict", "max_retries", "poll_interval_average", "average_scheduled_poll_interval", "dead_max_jobs", "dead_timeout_in_seconds", "shutdown_timeout", "schedule", "scheduler", "dynamic", "capsules", "lifecycle_events", "error_handlers", "death_handlers", "limits", "process_limits", "retry"]);
/** Options that make a Hash an environment override rather than, say, a `:schedule:` table. */
const ENV_SECTION_KEYS = ["concurrency", "timeout", "queues", "verbose", "pidfile", "logfile", "require", "tag", "labels", "strict"];

export type SidekiqConfigFacts = Pick<SidekiqFacts, "concurrency" | "timeout" | "queues" | "envOverrides">;

/** One Sidekiq config file as Sidekiq reads it: its top-level settings and its per-env sections. */
export function readSidekiqConfig(ctx: AnalyzerContext, file: string): SidekiqConfigFacts {
  const facts: SidekiqConfigFacts = { concurrency: null, timeout: null, queues: [], envOverrides: {} };
  const y = readErbYaml(ctx, file);
  if (y && isHash(y.value)) {
    const src = (path: (string | number)[]): Source => ({ file, line: y.lineOf(path) });
    for (const [key, value] of Object.entries(y.value)) {
      const k = key.replace(/^:/, "");
      if (k === "concurrency") facts.concurrency = { value, source: src([key]) };
      else if (k === "timeout" || (k === "shutdown_timeout" && !facts.timeout)) facts.timeout = { value, source: src([key]) };
      else if (k === "queues" && Array.isArray(value)) facts.queues = value.map((q, i) => ({ value: q, source: src([key, i]) }));
      else if (!OPTIONS.has(k) && isHash(value) && Object.keys(value).some((x) => ENV_SECTION_KEYS.includes(x.replace(/^:/, "")))) {
        const o: Record<string, RValue> = {};
        for (const [ok, ov] of Object.entries(value)) o[ok.replace(/^:/, "")] = ov;
        facts.envOverrides[k] = o;
      }
    }
  } else if (y && y.value !== null) {
    ctx.problem({ file, line: 1, message: "sidekiq config is not a mapping", severity: "warning" });
  }
  return facts;
}

/** What a start line's `-t` replaced (the config's timeout, the evidence before its row), to undo it. */
const beforeFlag = new WeakMap<SidekiqFacts, { timeout: SidekiqFacts["timeout"]; evidence: Fact<string> }>();

/**
 * Undoes the first start line's `-t` as every process's timeout when the start lines are read one
 * by one (workers/sidekiq-line.ts, from sidekiq-procfile.ts or the service files): each line's `-t`
 * is then its own Deployment's, and a line with none drains with the config's timeout (Sidekiq's
 * CLI flag wins only on the line that gives it). No-op unless `lines` holds the line that gave it.
 */
export function lineTimeoutIsOwn(facts: SidekiqFacts, lines: readonly { source: Source }[]): void {
  const was = beforeFlag.get(facts);
  const at = facts.commandTimeout?.source;
  if (!was || !at || !lines.some((l) => l.source.file === at.file && l.source.line === at.line)) return;
  delete facts.commandTimeout;
  facts.timeout = was.timeout;
  const i = facts.evidence.indexOf(was.evidence);
  if (i >= 0) facts.evidence.splice(i, 1);
  beforeFlag.delete(facts);
}

export function analyzeSidekiq(ctx: AnalyzerContext, rails: RailsFacts, cap: CapistranoFacts | null, procfile: ProcfileEntry[], stages: Stage[] = [], linked: LinkedPath[] = []): SidekiqFacts | null {
  const evidence: Fact<string>[] = [];
  const gemName = ["sidekiq", "sidekiq-pro", "sidekiq-ent"].find((g) => rails.gems[g]);
  const gem = gemName ? rails.gems[gemName] : undefined;
  // Locked only as a deploy gem's dependency, or for development: no sign the app runs it (locked-for-app.ts).
  const locked = gemName ? lockedForApp(ctx, rails, gemName) : null;
  const weak = locked && !locked.app ? locked.roots : null;
  if (gem && !weak) evidence.push({ value: `sidekiq ${gem.value} in Gemfile.lock`, source: gem.source });
  for (const r of cap?.requires ?? []) if (/^capistrano\/sidekiq(\/|$)/.test(r.value)) evidence.push({ value: `require "${r.value}" in ${r.source.file}`, source: r.source });
  for (const p of procfile) if (/\bsidekiq\b/.test(p.command)) evidence.push({ value: `${p.name}: ${p.command}`, source: p.source });
  evidence.push(...deploySidekiqTasks(ctx, cap));
  const file = SIDEKIQ_FILES.find((f) => hasPath(ctx.repo, f)) ?? null;
  let usesSidekiq = evidence.length > 0 || file !== null || stages.some((s) => s.servers.some((sv) => sv.roles.includes("sidekiq")));
  if (!usesSidekiq && gem && weak) {
    // A line of the deploy or of a service file that runs sidekiq still says the servers ran it.
    const line = sidekiqStartLine(ctx);
    if (line) {
      evidence.push(line);
      usesSidekiq = true;
    } else
      ctx.problem({
        ...gem.source,
        message: `sidekiq.locked-only: ${gemName} ${gem.value} is in Gemfile.lock only through ${lockedBy(gemName!, weak)}; nothing in the repo starts Sidekiq (no capistrano/sidekiq require, Procfile line, deploy task, service file, sidekiq role or config/sidekiq.yml): no worker is carried`,
        severity: "warning",
      });
  }
  if (!usesSidekiq) return null;
  // Other evidence decides; the gem is still said, with how it came to be locked.
  if (gem && weak) evidence.unshift({ value: `sidekiq ${gem.value} in Gemfile.lock (only through ${lockedBy(gemName!, weak)})`, source: gem.source });
  // The deploy's own hooked sidekiq:start/restart task, with literal roles, placed it (capistrano-sidekiq's reading below wins).
  // dlss-capistrano's sidekiq_systemd, hooked (workers/dlss-systemd.ts), is the deploy's start before a task of the repo's own.
  const noPlugin = !!cap && !cap.requires.some((r) => /^capistrano\/sidekiq(\/|$)/.test(r.value));
  const dlss = noPlugin ? dlssSystemdStart(ctx, cap, stages, rails.gems[DLSS_GEM], DLSS_SYSTEMD.find((p) => p.backend === "sidekiq")!) : null;
  if (dlss) evidence.push(...dlss.evidence);
  // A stage whose dlss hooks are off may still run Sidekiq: the repo's own hooked task that restarts
  // it there (`systemctl restart sidekiq` on roles(:app)) ran on each of its deploys, and a missing
  // unit would have failed them. "Not started by dlss" is not "ran none": that stage takes the
  // task's reading (audit s23 F16).
  const repoTask = dlss && Object.values(dlss.stages).some((x) => x.servers === 0) ? sidekiqOwnTaskStarted(ctx, cap, stages) : null;
  const ownTask = dlss
    ? Object.fromEntries(
        Object.entries(dlss.stages).map(([name, x]) => {
          const t = x.servers === 0 ? repoTask?.[name] : undefined;
          if (t && t.processes > 0) return [name, { ...t, why: `${t.why}; ${DLSS_GEM}'s hooks do not start it there (${x.why.replace(/^none: /, "")})` }];
          return [name, { processes: x.servers, servers: x.servers, roles: x.roles, why: x.why, source: x.source }];
        }),
      )
    : noPlugin ? sidekiqOwnTaskStarted(ctx, cap, stages) : null;
  // The stages where it ran say where (a stage whose deploy did not run the task has none).
  const ranOwn = ownTask ? Object.values(ownTask).find((x) => x.processes > 0) ?? Object.values(ownTask)[0] : undefined;
  const ownRoles = ranOwn?.roles;
  // Servers with a sidekiq or worker role: where the processes ran (a worker role alone could be
  // another job runner, so it counts only once sidekiq is otherwise in use).
  for (const s of stages) {
    for (const sv of s.servers) {
      const role = ownRoles ? sv.roles.find((r) => ownRoles.includes(r)) : sv.roles.find((r) => r === "sidekiq" || r === "worker");
      if (role) evidence.push({ value: `${s.name}: ${sv.host} has the ${role} role`, source: sv.source });
    }
  }

  const facts: SidekiqFacts = { file, concurrency: null, timeout: null, queues: [], envOverrides: {}, evidence };
  if (ownTask && Object.keys(ownTask).length) {
    facts.started = ownTask;
    const first = ranOwn!;
    evidence.push({ value: first.why.replace(/^none: /, "").replace(/: \d+ server\(s\) of stage .*$/, ""), source: first.source! });
  }
  if (file) sidekiqDaemonSettings(ctx, file, gem ?? null);
  if (file) Object.assign(facts, readSidekiqConfig(ctx, file));
  // `-t N` on the line the servers started Sidekiq with (the Procfile, else a deploy task or a
  // service file): Sidekiq's CLI flag wins over the config file, so it is the timeout they drained with.
  const main = procfile.filter((p) => p.source.file === "Procfile");
  // Without capistrano-sidekiq, a service file's line is read per process with its other options
  // (workers/sidekiq-line.ts), which says at the line what it cannot carry: its `-t` is that process's, not every one's.
  const pluginRequired = !!cap?.requires.some((r) => /^capistrano\/sidekiq(\/|$)/.test(r.value));
  const starts = [...startLines(ctx)].filter((l) => pluginRequired || !l.service).map((l) => ({ command: l.text, source: l.source }));
  const lines = [...(main.length ? main : procfile), ...starts].filter((p) => /\bsidekiq\b(?!ctl|\.yml|_)/.test(p.command));
  for (const l of lines) {
    const t = sidekiqFlagTimeout(l.command, l.source);
    if (!t) continue;
    const row = { value: `${t.written} on the command line (Sidekiq's flag wins over its config file)`, source: t.source };
    beforeFlag.set(facts, { timeout: facts.timeout, evidence: row });
    facts.commandTimeout = { value: t.seconds, source: t.source };
    facts.timeout = { value: t.seconds, source: t.source };
    evidence.push(row);
    break;
  }
  if (cap && cap.requires.some((r) => /^capistrano\/sidekiq(\/|$)/.test(r.value))) {
    // Required by Capistrano 2 stage files only: the stages whose own file requires it ran its tasks.
    const loadedIn = pluginLoadedIn(cap, stages, /^capistrano\/sidekiq(\/|$)/);
    const capfile = ctx.repo.read("Capfile");
    const monit = cap.requires.some((r) => /^capistrano\/sidekiq\/monit$/.test(r.value)) || (!("error" in capfile) && /^[ \t]*install_plugin[ \t(]+Capistrano::Sidekiq::Monit\b/m.test(capfile.text));
    const plugin = sidekiqPluginStages(ctx, stages.filter(loadedIn), evidence, (f) => readSidekiqConfig(ctx, f), { version: rails.gems["capistrano-sidekiq"] ?? null, monit });
    if (Object.keys(plugin).length) facts.plugin = plugin;
    const started: Record<string, SidekiqStarted> = {};
    const version = rails.gems["capistrano-sidekiq"] ?? null;
    const units: Record<string, SidekiqUnit[]> = {};
    for (const s of stages.filter(loadedIn)) {
      // 3.x: one unit per sidekiq_config_files entry, each its own Sidekiq (sidekiq-config-files.ts).
      const u = isV3(version?.value) ? sidekiqUnits(ctx, s) : undefined;
      if (u) units[s.name] = u.units;
      const n = s.servers.length ? sidekiqStarted(ctx, s, version, u) : null;
      if (n) started[s.name] = n;
    }
    if (Object.keys(started).length) facts.started = started;
    if (Object.keys(units).length) {
      facts.units = units;
      const files = readUnitConfigs(ctx, units, (f) => {
        sidekiqDaemonSettings(ctx, f, gem ?? null);
        return readSidekiqConfig(ctx, f);
      });
      if (files) facts.configFiles = files;
    }
  }
  mbSidekiq(ctx, cap, stages, facts);
  sidekiqLinkedConfig(ctx, cap, linked, facts);
  if (!facts.timeout) {
    // Sidekiq's own default: 25 seconds since 6.0 (8 before; its changelog, 6.0). The grace period must cover it.
    const v = gem ? Number(gem.value.split(".")[0]) : NaN;
    const dflt = Number.isFinite(v) && v < 6 ? 8 : 25;
    facts.timeout = { value: dflt, source: file ? { file, line: 0 } : gem?.source ?? evidence[0].source, defaultOf: Number.isFinite(v) ? `Sidekiq ${v < 6 ? "before 6" : "6+"}` : "Sidekiq" };
  }
  return facts;
}

/** A deploy or service file line that runs sidekiq (`bundle exec sidekiq …`, `service sidekiq restart`). */
function sidekiqStartLine(ctx: AnalyzerContext): Fact<string> | null {
  for (const l of startLines(ctx))
    if (backendOfCommand(l.text)?.id === "sidekiq" || /\b(service|systemctl)\b[\s,:'"]+(\w+[\s,:'"]+)?:?["']?sidekiq\b/.test(l.text))
      return { value: `${l.service ? "service file" : "deploy"} line: ${l.text.trim().slice(0, 100)}`, source: l.source };
  return null;
}

/**
 * The deploy's own runs of a sidekiq plugin's tasks: Mina's `invoke :'sidekiq:start'` (mina_sidekiq),
 * a Capistrano `invoke "sidekiq:restart"`, and the `require 'mina_sidekiq/tasks'` that brings them.
 * Evidence that the servers ran Sidekiq, cited where the deploy says it.
 */
export function deploySidekiqTasks(ctx: AnalyzerContext, cap: CapistranoFacts | null): Fact<string>[] {
  const out: Fact<string>[] = [];
  const mina = cap?.tool === "mina";
  for (const l of startLines(ctx)) {
    if (l.service) continue;
    const req = /^\s*require\s+["'](mina_sidekiq(?:\/tasks)?)["']/.exec(l.text);
    if (req) out.push({ value: `require "${req[1]}" (mina_sidekiq's sidekiq:* tasks)`, source: l.source });
    const inv = /\binvoke!?\s*\(?\s*:?["']?(sidekiq:(?:start|restart|quiet|stop))\b/.exec(l.text);
    if (inv) out.push({ value: `${mina ? "Mina" : "the deploy"} runs ${inv[1]}: ${l.text.trim().slice(0, 80)}`, source: l.source });
  }
  return out;
}

/**
 * The repo's copy of capistrano-mb's sidekiq.service.erb: the flags its ExecStart= gives Sidekiq
 * (a literal --concurrency, --queue each) and its TimeoutStopSec= replace the gem's unit's, cited
 * at the unit's lines; a flag the copy leaves as the gem wrote it keeps the stage's variable.
 */
function mbSidekiqUnit(ctx: AnalyzerContext, p: SidekiqStagePlugin, n: number | null): Fact<string> | null {
  const u = mbUnitOverride(ctx, "sidekiq.service.erb");
  if (!u) return null;
  const source = { file: u.file, line: u.line };
  const un = unwrapCommand(u.command, (ws) => ws.some((w) => /(^|\/)sidekiq$/.test(w)));
  const words = un?.words ?? [];
  const at = words.findIndex((w) => /(^|\/)sidekiq$/.test(w));
  if (at < 0) {
    ctx.problem({ ...source, message: `${MB}: the repo's sidekiq unit does not start sidekiq in words the analysis reads (${u.command.slice(0, 100)}); the gem's unit's flags are assumed`, severity: "warning" });
    return null;
  }
  const queues: string[] = [];
  const flags = words.slice(at + 1);
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    const v = flags[i + 1];
    if ((f === "-c" || f === "--concurrency") && v !== undefined) {
      i++;
      if (/^\d+$/.test(v)) p.concurrency = { value: Number(v), source };
      else if (v !== "@mb_sidekiq_concurrency") {
        delete p.concurrency;
        ctx.problem({ ...source, message: `${MB}: the repo's sidekiq unit sets --concurrency ${v}, not known statically; the worker runs with its config's concurrency`, severity: "warning" });
      }
    } else if ((f === "-q" || f === "--queue") && v !== undefined) {
      i++;
      queues.push(v.split(",")[0]!);
    }
  }
  if (queues.length) p.queues = { value: queues, source };
  if (u.timeoutStop) p.stopWait = { value: u.timeoutStop.seconds, source: { file: u.file, line: u.timeoutStop.line } };
  return { value: `the repo's ${u.file} replaces the gem's unit: ${words.slice(at).join(" ").slice(0, 120)}${n !== null && p.concurrency?.source.file === u.file ? ` (its --concurrency ${p.concurrency.value} over :mb_sidekiq_concurrency ${n})` : ""}`, source };
}

/**
 * capistrano-mb's sidekiq recipe (enabled by "sidekiq" in :mb_recipes): its systemd unit
 * sidekiq_<application>.service runs `bin/sidekiq -e <rails_env> -P tmp/pids/sidekiq.pid
 * --concurrency <mb_sidekiq_concurrency>` (the gem's default 25) on the :mb_sidekiq_role servers,
 * and systemd kills it 5 s after TERM (TimeoutStopSec=5). The concurrency becomes the stage's flag.
 */
function mbSidekiq(ctx: AnalyzerContext, cap: CapistranoFacts | null, stages: Stage[], facts: SidekiqFacts): void {
  const mb = cap ? mbStack(ctx, cap.requires) : null;
  if (!mb) return;
  for (const s of stages) {
    const r = mbRecipe(ctx, mb, s, "sidekiq");
    if (!r?.on) continue;
    const p: SidekiqStagePlugin = facts.plugin?.[s.name] ?? { via: MB };
    const c = s.variables["mb_sidekiq_concurrency"];
    const n = c && (typeof c.value === "number" || (typeof c.value === "string" && /^\d+$/.test(c.value))) ? Number(c.value) : null;
    if (c && n !== null) p.concurrency = { value: n, source: c.source, ...(c.defaultOf ? { defaultOf: c.defaultOf } : {}) };
    else if (c) ctx.problem({ ...c.source, message: `${MB}: mb_sidekiq_concurrency of stage ${s.name} is not a number the analysis can read; the worker runs with its config's concurrency`, severity: "warning" });
    const own = mbSidekiqUnit(ctx, p, n);
    if (own) facts.evidence.push(own);
    const role = s.variables["mb_sidekiq_role"]?.value;
    const roleName = typeof role === "string" ? role : role && typeof role === "object" && "sym" in role ? String(role.sym) : "?";
    facts.evidence.push({ value: `${s.name}: ${MB}'s sidekiq recipe (${r.why}) runs sidekiq_<application>.service: bin/sidekiq -e <rails_env> --concurrency ${n ?? "?"} on the ${roleName} role; systemd kills it 5 s after TERM`, source: r.source });
    (facts.plugin ??= {})[s.name] = p;
  }
  // The unit passes no -C: Sidekiq 6 finds config/sidekiq.yml by itself, an older one runs `default` only.
  const major = Number((ctx.repo.paths.includes("Gemfile.lock") ? facts.evidence.find((e) => /^sidekiq \d/.test(e.value))?.value.split(" ")[1] : "")?.split(".")[0]);
  if (facts.file && Number.isFinite(major) && major < 6 && facts.plugin && Object.keys(facts.plugin).length)
    ctx.problem({ file: facts.file, line: 1, message: `sidekiq.mb-unit-no-config: ${MB}'s sidekiq unit starts Sidekiq without -C, and Sidekiq ${major}.x does not read ${facts.file} unless told to (6.0 made it a default): the servers may have worked only the \`default\` queue; check before relying on this file's queues`, severity: "warning" });
}
