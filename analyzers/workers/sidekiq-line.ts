// Sidekiq's own start line in a service file of the repo (a monit `start program`, a systemd
// ExecStart, an upstart `exec`, a god `w.start`, a bluepill/eye process the deploy loads), when no
// capistrano-sidekiq started it: its options are what the servers' Sidekiq ran with, over the config
// file, as Sidekiq's CLI takes them (sidekiq/cli.rb: options given on the line are merged over the
// file's; 6.x `parse_options`):
// - `-C file` / `--config file` names the config file read (a path in the release is the repo's file);
// - `-q name[,weight]` once per queue (the line's queues replace the file's); the last `-c N` is the
//   concurrency; `-t N` the shutdown timeout, hence the grace period;
// - `-e env` is the pod's RAILS_ENV, which each stage's ConfigMap sets; `-d`, `-L`, `-P`, `-i` served
//   the servers' daemon (podWords).
// The line is read through the one reader of start lines (start-line.ts: wrappers, `cd` into the
// release, assignments). A Procfile line the deploy runs is read the same way (sidekiq-procfile.ts). Template values the deploy fills in from Capistrano's own variables are
// read as such: the release path (`<%= current_path %>`, `#{current_path}`) and the stage's Rails env
// (`<%= rails_env %>`, `#{fetch(:rails_env)}`) as the `-e` value. Anything else is said, not guessed.
import { secretEnvEntry } from "../../src/model/secret-env.js";
import type { AnalyzerContext, Fact, SidekiqConfigFacts, SidekiqOptionWords, Source, Stage, WorkerFacts } from "../../src/model.js";
import { isUnitFile, unitEnvironment } from "./unit-environment.js";
import { hasPath, railsEnvOf } from "../../src/model.js";
import { dnsLabel } from "../../src/model/names.js";
import { queueSlug } from "./resque-plugin.js";
import { readStartLine, serverLayout, type ServerLayout } from "./start-line.js";
import { podWords } from "./sidekiq-plugin.js";
import { queuesFromArgs } from "./backends.js";
import { warnEnvDiffers } from "./pinned-env.js";
import { hookedTaskLines } from "./deploy-task-lines.js";
import { onStage } from "../capistrano/stage-scope.js";
import { unitRestarts, type OnRoles } from "./deploy-methods.js";
import { startedUnits } from "../../src/model/service-managers.js";
import type { CapistranoFacts } from "../../src/model.js";

/** What a Sidekiq start line sets, as the pod runs it; `words` are the options kept on the command. */
export interface SidekiqLine extends SidekiqOptionWords {
  /** The line's `-e` as written (null without one); the stage's own Rails env when the deploy filled it in. */
  env: string | null;
  notes: string[];
  /** Environment the line set before the command (start-line.ts), other than the servers' own; a unit's `Environment=` under it. */
  envVars: Record<string, string>;
  /** RAILS_MAX_THREADS as the process saw it, and whether default_env reached it (withProcessEnv). */
  maxThreads?: SidekiqOptionWords["maxThreads"];
  ownEnvironment?: string;
}

/** The release path as Capistrano's variables write it in ERB or Ruby, and the stand-in a release-path reader knows. */
const RELEASE_VALUE = /<%=\s*(?:current_path|release_path|fetch\(:(?:current_path|release_path)\))\s*-?%>|#\{\s*(?:current_path|release_path|fetch\(:(?:current_path|release_path)\))\s*\}/g;
const RELEASE_STAND_IN = "/srv/r2k-release/current";
/** The stage's Rails env as the deploy fills it in. */
const STAGE_ENV_VALUE = /<%=\s*(?:rails_env|fetch\(:(?:rails_env|stage)\)|fetch\(:rails_env,[^%]*\))\s*-?%>|#\{\s*(?:rails_env|fetch\(:(?:rails_env|stage)\)|fetch\(:rails_env,[^}]*\))\s*\}/g;
const STAGE_ENV_STAND_IN = "R2K_STAGE_RAILS_ENV";

const isSidekiq = (w: string) => /(^|\/)sidekiq$/.test(w);

/** The repo path of a `-C` value: relative as written, or under the release; null for any other absolute path. */
function repoConfigPath(v: string): string | null {
  const m = /\/(?:current|releases\/[^/]+)\/(.+)$/.exec(v);
  if (m) return m[1]!;
  return v.startsWith("/") ? null : v.replace(/^\.\//, "");
}

/**
 * A Sidekiq start line as options the pod can run; `readConfig` reads a config file the line names
 * (null: not in the repo). `{ unknown }` says why the line is not read.
 */
export function readSidekiqLine(ctx: AnalyzerContext, line: string, readConfig: (file: string) => SidekiqConfigFacts | null, layout: ServerLayout = []): SidekiqLine | { unknown: string } {
  // Any other value the deploy fills in becomes one word (an ERB tag's spaces would split it), still said as the deploy's.
  const filled = line.replace(RELEASE_VALUE, RELEASE_STAND_IN).replace(STAGE_ENV_VALUE, STAGE_ENV_STAND_IN).replace(/<%=?-?[^%]*\s[^%]*-?%>/g, "ERB_VALUE");
  const r = readStartLine(filled, (ws) => ws.some(isSidekiq), [], layout);
  if ("unknown" in r) return { unknown: r.unknown };
  const at = r.words.findIndex(isSidekiq);
  if (at < 0) return { unknown: "it does not run the sidekiq program itself" };
  const notes = [...r.notes];
  const pod = podWords(r.words.slice(at + 1));
  if (pod.dropped.length) notes.push(`left out ${pod.dropped.map((w) => `\`${w}\``).join(", ")} (the servers' daemon, log and pid files; the pod runs Sidekiq in the foreground, logging to its output)`);
  const words: string[] = [];
  let env: string | null = null;
  let config: SidekiqOptionWords["config"] = undefined;
  const ws = pod.words;
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    const long = /^--(environment|config)=(.*)$/.exec(w);
    const flag = long ? (long[1] === "config" ? "-C" : "-e") : w === "--environment" ? "-e" : w === "--config" ? "-C" : w;
    if (flag !== "-e" && flag !== "-C") {
      words.push(w);
      continue;
    }
    const value = long ? long[2]! : ws[++i];
    if (value === undefined) return { unknown: `\`${w}\` has no value` };
    if (flag === "-e") {
      env = value === STAGE_ENV_STAND_IN ? null : value;
      notes.push(value === STAGE_ENV_STAND_IN ? "its `-e` is the stage's Rails env, which the pod's RAILS_ENV sets" : `left out \`-e ${value}\`: the pod runs with its stage's RAILS_ENV`);
      continue;
    }
    const file = repoConfigPath(value);
    if (file === null) return { unknown: `its config file \`${value}\` is a path of the servers, not of the release` };
    const facts = readConfig(file);
    if (facts === null) return { unknown: `its config file ${file} (\`-C ${value}\`) is not in the repo` };
    config = { file, facts };
  }
  return {
    words,
    queues: queuesFromArgs(words),
    concurrency: lastNumber(words, ["-c", "--concurrency"]),
    timeout: lastNumber(words, ["-t", "--timeout"]),
    ...(config ? { config } : {}),
    env,
    notes,
    envVars: r.env,
  };
}

/** The last `flag N` / `--flag=N` among the words, a whole number (Sidekiq's option parser keeps the last). */
function lastNumber(words: string[], flags: string[]): number | null {
  let out: number | null = null;
  words.forEach((w, i) => {
    const long = flags.find((f) => f.startsWith("--") && w.startsWith(`${f}=`));
    const v = long ? w.slice(long.length + 1) : flags.includes(w) ? words[i + 1] : undefined;
    if (v !== undefined && /^\d+(\.\d+)?$/.test(v)) out = Math.ceil(Number(v));
  });
  return out;
}

/** A service file's line that runs Sidekiq, with the processes per server its file starts (a god or supervisor loop). */
export interface SidekiqServiceLine {
  command: string;
  source: Source;
  count?: { count: number; written: string; source: Source } | { unknown: string; source: Source } | null;
  /** What was done to the line before it was read (a Procfile line's Ruby switch left out). */
  notes?: string[];
  /** What runs the line (the deploy's foreman run of its Procfile), cited with the worker. */
  evidence?: Fact<string>[];
}

/**
 * The Sidekiq workers of the repo's service lines: one Deployment per distinct set of options (the
 * processes per server summed over the lines that give it), the first keeping the name `worker`
 * Sidekiq always had. Null where the lines do not decide (none, or none read, or several files that
 * may be copies per stage or per server): said at the lines, and Sidekiq runs as before.
 */
export function sidekiqLineWorkers(ctx: AnalyzerContext, base: WorkerFacts, stages: Stage[], lines: SidekiqServiceLine[], readConfig: (file: string) => SidekiqConfigFacts | null, kind: "service files" | "Procfiles" = "service files", cap: CapistranoFacts | null = null): WorkerFacts[] | null {
  if (!lines.length) return null;
  const read: { l: SidekiqServiceLine; r: SidekiqLine }[] = [];
  const layout = serverLayout(stages);
  for (const l of lines) {
    const r = readSidekiqLine(ctx, l.command, readConfig, layout);
    if ("unknown" in r) ctx.problem({ ...l.source, message: `Sidekiq: the start line at ${at(l.source)} (${l.command.trim().slice(0, 160)}) is not read: ${r.unknown}; the worker runs \`sidekiq\` with the repo's config file, not this line's options: compare them`, severity: "warning" });
    else read.push({ l, r: withProcessEnv(ctx, l, l.notes?.length ? { ...r, notes: [...l.notes, ...r.notes] } : r) });
  }
  if (!read.length) return null;
  const files = [...new Set(read.map((x) => x.l.source.file))];
  const copies = () => {
    ctx.problem({ ...read[0]!.l.source, message: `Sidekiq: ${files.length} ${kind} start it (${read.map((x) => at(x.l.source)).join(", ")}), which may be copies per stage or per kind of server: their options (queues, concurrency, timeout, config file) are not carried; the worker runs \`sidekiq\` with the repo's config file: compare them and set the Deployments' commands`, severity: "warning" });
    return null;
  };
  if (files.length > 1 && !read.every((x) => /\.service(\.erb)?$/.test(x.l.source.file))) return copies();
  // Several systemd units may be one per stage (sidekiq-production.service, sidekiq-staging.service,
  // each installed only on its stage's servers): each is counted on the stage it names, never summed
  // into every stage. A set where some units name no stage, or whose `-e` values differ while no
  // stage is named, is said as possible copies.
  const tiedTo = read.map((x) => stageOfLine(x.l, x.r, stages, layout));
  const tiedStages = new Set(tiedTo.filter((t): t is string => t !== null));
  // One unit file that names one stage (sidekiq-production.service, or its `-e production`) is that
  // stage's: counted there only, and the other stages, which the repo gives no unit, are named.
  const oneStageUnit = files.length === 1 && stages.length > 1 && tiedStages.size === 1 && !tiedTo.includes(null);
  const perStageUnits = (files.length > 1 && tiedStages.size > 1) || oneStageUnit;
  if (files.length > 1 && ((tiedStages.size > 0 && tiedTo.includes(null)) || (!tiedStages.size && new Set(read.map((x) => x.r.env)).size > 1))) return copies();
  // A literal `-e x` the pod leaves out: said where a stage that runs the line has another rails_env.
  for (const [i, { l, r }] of read.entries())
    if (r.env !== null) warnEnvDiffers(ctx, perStageUnits ? stages.filter((st) => st.name === tiedTo[i]) : stages, `passes Sidekiq \`-e ${r.env}\``, r.env, l.source, "Sidekiq");
  const own = oneStageUnit ? [...tiedStages][0]! : null;
  const untied = own ? stages.filter((st) => st.name !== own) : [];
  if (own && untied.length)
    ctx.problem({
      ...read[0]!.l.source,
      message: `Sidekiq: ${files[0]} is stage ${own}'s own unit (its name or its \`-e\` names that stage), and the repo holds no unit for stage${untied.length > 1 ? "s" : ""} ${untied.map((st) => st.name).join(", ")}: it is counted on ${own} only, and ${untied.length > 1 ? "those overlays run" : "that overlay runs"} no Sidekiq from it; if the deploy installed this same unit there, those servers ran it as written (with ${own}'s environment): check a server and set the replicas`,
      severity: "warning",
    });
  // A stage the repo gives no unit, but whose deploy's hooked task restarts this very unit on its
  // servers: `systemctl restart` of a unit a server lacks fails (exit 5) and aborts the deploy, so on
  // a stage that deployed, the unit was there and ran (audit s23 F10). Counted, with the doubt named.
  const restart = own ? hookedUnitRestart(ctx, cap, files[0]!.replace(/^.*\//, "").replace(/\.erb$/, "").replace(/\.service$/, "")) : null;
  // A restart whose hook (or task) is written in other stages' files only never ran on this stage's
  // servers, unless the stage's run loads code not followed (Stage.unfollowedLoad), which may hook it.
  const restartServers = (st: Stage) => (restart && (onStage(restart, st.name) || st.unfollowedLoad) ? st.servers.filter((sv) => sv.roles.some((r) => restart.on.roles.includes(r))).length : 0);
  type Group = { r: SidekiqLine; lines: SidekiqServiceLine[]; processes: number; unknown: string[]; byStage: Map<string, { processes: number; lines: SidekiqServiceLine[] }> };
  const groups = new Map<string, Group>();
  for (const [i, { l, r }] of read.entries()) {
    // A process's environment from its line is its own: a different one makes another Deployment.
    // Per-stage copies of one unit cite their own lines: their RAILS_MAX_THREADS is compared by value.
    const key = JSON.stringify([r.words, r.config?.file ?? null, r.envVars, r.maxThreads ? ("value" in r.maxThreads ? r.maxThreads.value : "unknown") : null, !!r.ownEnvironment]);
    const g: Group = groups.get(key) ?? { r, lines: [], processes: 0, unknown: [], byStage: new Map() };
    groups.set(key, g);
    g.lines.push(l);
    const c = l.count;
    if (c && "unknown" in c) g.unknown.push(`${at(c.source)}: ${c.unknown}`);
    const n = c && "count" in c ? c.count : 1;
    g.processes += n;
    const st = perStageUnits ? tiedTo[i]! : null;
    if (st !== null) {
      const b = g.byStage.get(st) ?? { processes: 0, lines: [] };
      g.byStage.set(st, b);
      b.processes += n;
      b.lines.push(l);
    }
  }
  const many = groups.size > 1;
  return [...groups.values()].map((g, i) => {
    const first = g.lines[0]!;
    const why = `${g.lines.map((l) => at(l.source)).join(", ")} start${g.lines.length > 1 ? "" : "s"} ${g.processes} Sidekiq process${g.processes === 1 ? "" : "es"} per server with ${g.r.words.length || g.r.config ? `\`${[...(g.r.config ? ["-C", g.r.config.file] : []), ...g.r.words].join(" ")}\`` : "no options of their own"}`;
    const counted = many || g.processes !== 1 || g.unknown.length > 0;
    const unknown = g.unknown.length ? { unknown: `how many Sidekiq processes ${g.unknown.join("; ")}` } : {};
    const perStage = perStageUnits
      ? Object.fromEntries(
          [
            ...[...g.byStage].map(([st, b]) => [st, { processes: b.processes, why: `${b.lines.map((l) => at(l.source)).join(", ")} (stage ${st}'s own unit) start${b.lines.length > 1 ? "" : "s"} ${b.processes} Sidekiq process${b.processes === 1 ? "" : "es"} per server`, source: b.lines[0]!.source, ...unknown }] as const),
            ...untied.map((st) =>
              restart && restartServers(st) > 0
                ? ([st.name, { processes: g.byStage.get(own!)?.processes ?? g.processes, why: `${files[0]} is stage ${own}'s own unit, but the deploy's hooked restart of ${restart.unit} on roles(${restart.on.roles.map((r) => `:${r}`).join(", ")}) (${at(restart.source)}) runs on stage ${st.name}'s ${restartServers(st)} server(s), and would fail where the unit is missing: they ran it`, source: restart.source, unknown: `whether stage ${st.name}'s servers ran ${files[0]} as the repo has it (with stage ${own}'s environment) or their own unit of that name` }] as const)
                : ([st.name, { processes: 0, why: `none: ${files[0]} is stage ${own}'s own unit, and the repo holds none for stage ${st.name}`, source: first.source }] as const),
            ),
          ],
        )
      : counted && stages.length ? Object.fromEntries(stages.map((s) => [s.name, { processes: g.processes, why, source: first.source, ...(g.unknown.length ? { unknown: `how many Sidekiq processes ${g.unknown.join("; ")}` } : {}) }])) : undefined;
    const name = !many || i === 0 ? base.name : `worker-sidekiq-${g.r.queues.length ? queueSlug(g.r.queues.join(",")) : dnsLabel(g.r.words.join(" ") || String(i + 1), 28)}`;
    return {
      ...base,
      name,
      env: { ...base.env, ...g.r.envVars },
      queues: g.r.queues.length ? g.r.queues : g.r.config ? g.r.config.facts.queues.map((q) => String(Array.isArray(q.value) ? q.value[0] : q.value)) : base.queues,
      sidekiqOptions: { words: g.r.words, queues: g.r.queues, concurrency: g.r.concurrency, timeout: g.r.timeout, ...(g.r.config ? { config: g.r.config } : {}), line: first.source, ...(g.r.maxThreads ? { maxThreads: g.r.maxThreads } : {}), ...(g.r.ownEnvironment ? { ownEnvironment: g.r.ownEnvironment } : {}) },
      commandSource: first.source,
      ...(g.r.notes.length ? { commandNote: `${at(first.source)}: ${g.r.notes.join("; ")}` } : {}),
      ...(perStage ? { perStage } : {}),
      // `-t N` on the line: Sidekiq's flag wins over the config file's timeout for these processes.
      ...(g.r.timeout !== null ? { stopTimeout: { seconds: g.r.timeout, source: first.source } } : {}),
      evidence: [...base.evidence, ...g.lines.flatMap((l) => l.evidence ?? []), { value: `${why} (Sidekiq's options on its own start line win over its config file)`, source: first.source }],
    };
  });
}

/**
 * The environment of a line's process beyond the line's own assignments: a systemd unit's
 * `Environment=` and `EnvironmentFile=` (unit-environment.ts), under the line's (the shell's
 * assignment wins). RAILS_MAX_THREADS among them is kept apart, because Sidekiq ≥ 4.2 takes it as
 * its concurrency where no -c and no config file sets one (Debian's 6.4.1 lib/sidekiq/cli.rb:254;
 * 7.x's DEFAULTS). The unit's other literal values are the pod's, as the line's are; values the
 * deploy fills in are said in the command note.
 */
function withProcessEnv(ctx: AnalyzerContext, l: SidekiqServiceLine, r: SidekiqLine): SidekiqLine {
  const own = r.envVars["RAILS_MAX_THREADS"];
  const lineMax = own !== undefined ? { value: own, source: l.source, via: "its start line" } : undefined;
  if (!isUnitFile(l.source.file)) return lineMax ? { ...r, maxThreads: lineMax } : r;
  const text = ctx.repo.read(l.source.file);
  const u = "error" in text ? null : unitEnvironment(text.text);
  const ownEnvironment = `${l.source.file} is a systemd unit: systemd starts it with the unit's own environment, and Capistrano's default_env never reaches it`;
  if (!u) return { ...r, ...(lineMax ? { maxThreads: lineMax } : {}), ownEnvironment };
  const at = (line: number) => ({ file: l.source.file, line });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(u.vars)) env[k] = v.value;
  const notes = [...r.notes];
  // A secret-looking value is held back from the Deployment (workers/index.ts withoutSecretEnv): not said to be carried.
  const carried = Object.keys(u.vars).filter((k) => !(k in r.envVars) && !secretEnvEntry(k, u.vars[k]!.value));
  if (carried.length) notes.push(`its unit's Environment= sets ${carried.join(", ")}, carried into the pod's environment`);
  if (u.dropped.length) notes.push(`left out its unit's Environment= ${u.dropped.join(", ")} (the servers' Ruby, user and directory, and the stage's Rails env, which the pod's own set)`);
  const unread = Object.keys(u.unknown).filter((k) => !(k in r.envVars));
  if (unread.length) notes.push(`its unit's Environment= ${unread.map((k) => `${k} (line ${u.unknown[k]!.line}: ${u.unknown[k]!.why})`).join(", ")} not carried: set ${unread.length > 1 ? "them" : "it"} in the stage's config`);
  const filled = Object.keys(u.filled).filter((k) => !(k in r.envVars));
  if (filled.length) notes.push(`its unit's Environment= ${filled.map((k) => `${k} (line ${u.filled[k]})`).join(", ")} ${filled.length > 1 ? "are" : "is"} filled in by the deploy, not known here: set ${filled.length > 1 ? "them" : "it"} in the stage's config`);
  // An env file in the release that the repo holds is read; any other is the servers' own.
  const inRepo = u.files.map((f) => {
    const m = /^(?:<%=\s*(?:current_path|release_path|fetch\(:(?:current_path|release_path)\))\s*-?%>|\/\S*\/current|\/\S*\/releases\/[^/]+)\/(.+)$/.exec(f.path);
    const t = m && hasPath(ctx.repo, m[1]!) ? ctx.repo.read(m[1]!) : null;
    return t && !("error" in t) ? { file: m![1]!, vars: envFileVars(t.text) } : null;
  });
  const offRepo = u.files.filter((_, i) => !inRepo[i]);
  const files = offRepo.map((f) => `EnvironmentFile=${f.optional ? "-" : ""}${f.path} (${l.source.file}:${f.line})`);
  // Worded for what the unit has: an env file read over Environment= lines, or the unit's only environment.
  const hasEnvironment = Object.keys(u.vars).length > 0 || u.dropped.length > 0 || Object.keys(u.filled).length > 0;
  if (files.length) notes.push(`its unit reads ${files.join(", ")}, a file of the servers the repo does not hold${hasEnvironment ? ", whose settings override Environment='s" : ""}: what it set is not carried`);
  let maxThreads: SidekiqOptionWords["maxThreads"] = lineMax;
  if (!maxThreads) {
    // systemd reads the files in order, after Environment=: the last that sets it wins.
    const fromFiles = u.files.map((f, i) => ({ f, r: inRepo[i] })).filter((x) => !x.r || x.r.vars["RAILS_MAX_THREADS"]);
    const lastFile = fromFiles[fromFiles.length - 1];
    const v = lastFile?.r ? { value: lastFile.r.vars["RAILS_MAX_THREADS"]!.value, line: lastFile.r.vars["RAILS_MAX_THREADS"]!.line, file: lastFile.r.file } : u.vars["RAILS_MAX_THREADS"] ? { ...u.vars["RAILS_MAX_THREADS"]!, file: l.source.file } : undefined;
    const f = lastFile && !lastFile.r ? lastFile.f : undefined;
    if (f) {
      const over = v && v.file !== l.source.file ? `, read after ${v.file}, which sets RAILS_MAX_THREADS ${v.value}` : hasEnvironment ? `, read over the unit's Environment=${v ? `, which sets RAILS_MAX_THREADS ${v.value}` : ""}` : "";
      maxThreads = { unknown: `${files.join(", ")} (a file of the servers${over})`, source: at(f.line) };
    }
    else if (u.filled["RAILS_MAX_THREADS"] !== undefined) maxThreads = { unknown: `the unit's Environment= RAILS_MAX_THREADS, which the deploy fills in,`, source: at(u.filled["RAILS_MAX_THREADS"]) };
    else if (v) maxThreads = { value: v.value, source: { file: v.file, line: v.line }, via: v.file === l.source.file ? "its unit's Environment=" : `its unit's EnvironmentFile= ${v.file}` };
  }
  // A RAILS_MAX_THREADS read from the repo's env file is the process's too (the app's pool may read it).
  const fromFile: Record<string, string> = maxThreads && "value" in maxThreads && maxThreads.source.file !== l.source.file ? { RAILS_MAX_THREADS: maxThreads.value } : {};
  return { ...r, envVars: { ...env, ...fromFile, ...r.envVars }, notes, ...(maxThreads ? { maxThreads } : {}), ownEnvironment };
}

/** `NAME=value` lines of an environment file (systemd's EnvironmentFile= format: `#` comments, optional quotes, `export` not read). */
function envFileVars(text: string): Record<string, { value: string; line: number }> {
  const out: Record<string, { value: string; line: number }> = {};
  text.split(/\r?\n/).forEach((l, i) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(l);
    if (m) out[m[1]!] = { value: m[2]!.replace(/^(["'])(.*)\1$/, "$2"), line: i + 1 };
  });
  return out;
}

/**
 * The one stage a service line belongs to, or null: its `-e` is that stage's Rails env, its file's
 * name has the stage's name as a word (sidekiq-staging.service), or it names that stage's deploy_to
 * (its `cd`). Signals that name different stages tie it to none.
 */
function stageOfLine(l: SidekiqServiceLine, r: SidekiqLine, stages: Stage[], layout: ServerLayout): string | null {
  const found = new Set<string>();
  const one = (xs: string[]) => {
    if (xs.length === 1) found.add(xs[0]!);
  };
  if (r.env !== null) one(stages.filter((s) => railsEnvOf(s) === r.env).map((s) => s.name));
  const words = (l.source.file.split("/").pop() ?? "").replace(/(\.erb)?$/, "").replace(/\.[a-z]+$/, "").split(/[-_.@]/);
  one(stages.filter((s) => words.includes(s.name)).map((s) => s.name));
  one([...new Set(layout.filter((p) => new RegExp(`${p.deployTo.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?=[/\\s'";]|$)`).test(l.command)).map((p) => p.stage))]);
  return found.size === 1 ? [...found][0]! : null;
}

const at = (s: Source) => `${s.file}:${s.line}`;

/**
 * The roles on which a hooked task of the deploy restarts (or starts) a unit by name, when every such
 * line agrees on literal roles; a restart no hook runs is no part of the deploy.
 */
function hookedUnitRestart(ctx: AnalyzerContext, cap: CapistranoFacts | null, unit: string): { unit: string; on: OnRoles; source: Source; stages?: string[] } | null {
  const hooked = new Map(hookedTaskLines(ctx, cap).map((l) => [`${l.source.file}:${l.source.line}`, l]));
  const lines = unitRestarts(ctx, unit, startedUnits).filter((x) => hooked.has(`${x.source.file}:${x.source.line}`));
  const on = lines[0]?.on;
  if (!on || lines.some((x) => !x.on || JSON.stringify([x.on.roles, x.on.primary]) !== JSON.stringify([on.roles, on.primary]))) return null;
  // The stages whose deploy runs one of the restarts (deploy-task-lines.ts); absent: every stage.
  const ran = lines.map((x) => hooked.get(`${x.source.file}:${x.source.line}`)!);
  const stages = ran.some((l) => !l.stages) ? undefined : [...new Set(ran.flatMap((l) => l.stages!))];
  return { unit, on, source: lines[0]!.source, ...(stages ? { stages } : {}) };
}
