// resque-pool's config as the Resque worker layout. The pool manager forks, per entry of its YAML,
// that many `Resque::Worker`s on the entry's comma-separated queue list. How it reads the file, from
// resque-pool's own source (lib/resque/pool/config_loaders/file_or_hash_loader.rb, the same rules
// in 0.3 … 0.8):
// - the file: `-c/--config PATH` (the CLI sets RESQUE_POOL_CONFIG from it), else RESQUE_POOL_CONFIG,
//   else the first of resque-pool.yml, config/resque-pool.yml that exists; read as ERB, then YAML;
// - the environment: RAILS_ENV/RACK_ENV/RESQUE_ENV (`-E` sets all three), i.e. the stage's rails_env;
// - `config.merge!(config[env])` when that key holds a Hash: the env's entries override top-level
//   ones of the same queue list; then every Hash-valued key (every env section) is dropped. So the
//   top-level entries apply to every env, and an env without a section runs the top-level ones only.
// capistrano-resque-pool (datarockets) starts `resque-pool --daemon --environment <rails_env>` on
// `resque_server_roles` (default :app) and names no config of its own: the default path applies.
//
// Rule: one Deployment per queue list, one Resque process per pod (as for capistrano-resque), so an
// entry's count is the replicas per server running the pool, per stage.
import { railsEnvOf, type AnalyzerContext, type Fact, type RValue, type Source, type Stage, type WorkerFacts } from "../../src/model.js";
import { isHash } from "../ruby/evaluate.js";
import { dnsLabel } from "../../src/model/names.js";
import { readErbYaml } from "../rails/erb-yaml.js";
import type { JobBackend } from "./backends.js";
import { boundedCount, unboundedCountWhy, MAX_PROCESS_COUNT } from "../process-count.js";
import { writtenAtDeploy, type WrittenAtDeploy } from "./pool-config-written.js";

export const RESQUE_POOL_GEM = "resque-pool";
const DEFAULT_FILES = ["resque-pool.yml", "config/resque-pool.yml"];
/** Suffixes of a committed example standing in for a file the servers held. */
const EXAMPLE_SUFFIXES = [".example", ".sample", ".dist"];
/** Capfile require of capistrano-resque-pool. */
export const RESQUE_POOL_PLUGIN = /^capistrano[-/]resque[-/]pool(\/|$)/;

/** A line that runs the pool manager, and the config it names, if any. */
export interface PoolStart {
  text: string;
  source: Source;
}

/** The config path a `resque-pool` command line names (`-c x`, `--config x`, `--config=x`, `RESQUE_POOL_CONFIG=x`). */
export function poolConfigFlag(line: string): string | null {
  const words = line.trim().split(/\s+/).map((w) => w.replace(/^["']+|["',)]+$/g, ""));
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if ((w === "-c" || w === "--config") && words[i + 1]) return words[i + 1]!;
    if (w.startsWith("--config=")) return w.slice("--config=".length);
    const env = /^RESQUE_POOL_CONFIG=(.+)$/.exec(w);
    if (env) return env[1]!;
  }
  return null;
}

/** The env a `resque-pool` command line fixes (`-E env`, `--environment env`), when it is a plain word. */
export function poolEnvFlag(line: string): string | null {
  const words = line.trim().split(/\s+/).map((w) => w.replace(/^["']+|["',)]+$/g, ""));
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const v = w === "-E" || w === "--environment" ? words[i + 1] : w.startsWith("--environment=") ? w.slice("--environment=".length) : undefined;
    if (v !== undefined) return /^[A-Za-z][\w-]*$/.test(v) ? v : null;
  }
  return null;
}

/** A server path under the release (`/srv/x/current/config/p.yml`) or a relative one, as a repo path. */
function repoPath(p: string): string | null {
  const m = /\/(?:current|releases\/[^/]+)\/(.+)$/.exec(p);
  if (m) return m[1]!;
  if (p.startsWith("/") || p.includes("#{") || p.includes("..")) return null;
  return p.replace(/^\.\//, "");
}

interface ConfigFile {
  /** The path the pool read on the servers. */
  file: string;
  /** The file actually read here: the same, or its committed example. */
  read: string;
  example: boolean;
  /** Why this path (the flag's line, or resque-pool's default). */
  chosen: Fact<string>;
}

function configFile(ctx: AnalyzerContext, starts: PoolStart[]): ConfigFile | { missing: string; chosen: Fact<string> } | null {
  let file: string | null = null;
  let chosen: Fact<string> | null = null;
  for (const s of starts) {
    const flag = poolConfigFlag(s.text);
    if (flag === null) continue;
    const p = repoPath(flag);
    if (p === null) {
      ctx.problem({ ...s.source, message: `resque-pool: its config ${JSON.stringify(flag)} is not a path in the repo; the worker layout is not read from it`, severity: "warning" });
      return null;
    }
    file = p;
    chosen = { value: `resque-pool's config ${p}, named by the line that starts it`, source: s.source };
    break;
  }
  const candidates = file ? [file] : DEFAULT_FILES;
  for (const f of candidates) {
    if (ctx.repo.paths.includes(f)) return { file: f, read: f, example: false, chosen: chosen ?? { value: `${f}, resque-pool's default config path`, source: { file: f, line: 1 } } };
  }
  for (const f of candidates)
    for (const ex of exampleNames(f))
      if (ctx.repo.paths.includes(ex))
        return { file: f, read: ex, example: true, chosen: chosen ?? { value: `${f}, resque-pool's default config path (only its example ${ex} is in the repo)`, source: { file: ex, line: 1 } } };
  const f = candidates[candidates.length - 1]!;
  return { missing: f, chosen: chosen ?? { value: `${f}, resque-pool's default config path`, source: { file: "Gemfile.lock", line: 1 } } };
}

/** `config/p.yml` → config/p.yml.example, config/p.example.yml, and the other suffixes. */
function exampleNames(f: string): string[] {
  const dot = f.lastIndexOf(".");
  const out: string[] = [];
  for (const s of EXAMPLE_SUFFIXES) {
    out.push(f + s);
    if (dot > f.lastIndexOf("/")) out.push(f.slice(0, dot) + s + f.slice(dot));
  }
  return out;
}

/** A pool entry of one env, as resque-pool computes it. */
interface PoolEntry {
  queues: string;
  count: number | null;
  /** Written count, when it is not a whole number. */
  written?: string;
  source: Source;
}


/** resque-pool's apply_environment: top-level entries, overridden by the env section's; sections dropped. */
export function poolEntriesFor(value: RValue, env: string, lineOf: (path: (string | number)[]) => number, file: string): PoolEntry[] {
  if (!isHash(value)) return [];
  const merged = new Map<string, { v: RValue; path: string[] }>();
  for (const [k, v] of Object.entries(value)) merged.set(k, { v, path: [k] });
  const section = value[env];
  if (section !== undefined && isHash(section)) for (const [k, v] of Object.entries(section)) merged.set(k, { v, path: [env, k] });
  const out: PoolEntry[] = [];
  for (const [k, { v, path }] of merged) {
    if (isHash(v)) continue;
    const source = { file, line: lineOf(path) };
    const count = boundedCount(v);
    if (count !== null) out.push({ queues: k, count, source });
    else out.push({ queues: k, count: null, written: JSON.stringify(v), source });
  }
  return out;
}

const queueSlug = (q: string): string => (q.trim() === "*" ? "all" : dnsLabel(q.replace(/\*/g, "all"), 28));

/**
 * The Resque workers resque-pool's config lays out, one per queue list, with each stage's count; null
 * when the config cannot be read (said as a warning), so the caller falls back to what it knew.
 */
export function resquePoolWorkers(
  ctx: AnalyzerContext,
  b: JobBackend,
  stages: Stage[],
  starts: PoolStart[],
  roles: string[],
  evidence: Fact<string>[],
  base: Pick<WorkerFacts, "backend" | "label" | "drain">,
  loaded: { loads: (s: Stage) => boolean; by: string[] } = { loads: () => true, by: [] },
): WorkerFacts[] | null {
  const cfg = configFile(ctx, starts);
  if (!cfg) return null;
  if ("missing" in cfg) {
    const written = writtenAtDeploy(ctx, cfg.missing);
    if (written) return [generatedPool(ctx, b, cfg.missing, cfg.chosen, written, starts, roles, evidence, base)];
    ctx.problem({ ...cfg.chosen.source, message: `resque-pool is in Gemfile.lock, but its config ${cfg.missing} is not in the repo (nor an example of it): the worker layout (queues and counts) lived on the servers; copy it into the repo to carry it`, severity: "warning" });
    return null;
  }
  if (!stages.length) return null;
  const y = readErbYaml(ctx, cfg.read, { strict: true });
  if (!y || !isHash(y.value)) {
    if (y) ctx.problem({ file: cfg.read, line: 1, message: "resque-pool: the config is not a map of queue lists to counts; the worker layout is not read from it", severity: "warning" });
    return null;
  }
  const exampleNote = cfg.example ? `; read from ${cfg.read}, an EXAMPLE: the servers' ${cfg.file} was not in the repo, so confirm these queues and counts against it` : "";
  if (cfg.example)
    ctx.problem({ file: cfg.read, line: 1, message: `resque-pool: ${cfg.file} is not in the repo; the worker layout is read from its example ${cfg.read}: confirm the queues and counts against the servers' file`, severity: "warning" });
  const linked = linkedAt(stages, cfg.file);
  const perList = new Map<string, { first: PoolEntry; perStage: NonNullable<WorkerFacts["perStage"]>; lines: Fact<string>[] }>();
  const order: string[] = [];
  // `-E production` on the line that starts the pool is its env on every stage (the CLI sets RAILS_ENV from it).
  const forced = starts.map((x) => ({ env: poolEnvFlag(x.text), source: x.source })).find((x) => x.env !== null);
  const envOf = (s: Stage) => forced?.env ?? railsEnvOf(s);
  // A Capistrano 2 stage whose own file does not require capistrano-resque-pool has no resque:pool:start.
  const byStage = stages.filter(loaded.loads).map((s) => ({ s, env: envOf(s), entries: poolEntriesFor(y.value, envOf(s), y.lineOf, cfg.read) }));
  for (const { s, env, entries } of byStage)
    for (const e of entries) {
      let w = perList.get(e.queues);
      if (!w) {
        w = { first: e, perStage: {}, lines: [] };
        perList.set(e.queues, w);
        order.push(e.queues);
      }
      const where = `${e.source.file}:${e.source.line}`;
      w.perStage[s.name] =
        e.count === null
          ? { processes: 1, why: `resque-pool ${JSON.stringify(e.queues)} count ${e.written} (${where}) is not a whole number from 0 to ${MAX_PROCESS_COUNT}`, source: e.source, unknown: `its count ${unboundedCountWhy(e.written!)}` }
          : { processes: e.count, why: `resque-pool ${JSON.stringify(e.queues)}: ${e.count} in ${forced ? `env ${env} (-E, ${forced.source.file}:${forced.source.line})` : `rails_env ${env}`}${cfg.example ? " (from the example)" : ""}`, source: e.source };
      if (!w.lines.some((l) => l.source.line === e.source.line)) w.lines.push({ value: `resque-pool entry ${JSON.stringify(e.queues)}: ${e.count ?? e.written}`, source: e.source });
    }
  if (!order.length) {
    ctx.problem({ file: cfg.read, line: 1, message: `resque-pool: ${cfg.read} has no entries for ${[...new Set(byStage.map((x) => x.env))].join(", ")} (nor top-level ones): no Resque worker is carried from it`, severity: "warning" });
    return null;
  }
  const used = new Set<string>();
  const out: WorkerFacts[] = [];
  for (const q of order) {
    const w = perList.get(q)!;
    const stem = `worker-resque-pool-${queueSlug(q)}`;
    let name = stem;
    for (let i = 2; used.has(name); i++) name = `${stem}-${i}`;
    used.add(name);
    const perStage = Object.fromEntries(
      stages.map((s) => {
        const at = byStage.find((x) => x.s === s);
        if (!at) return [s.name, { processes: 0, why: `stage ${s.name} does not load capistrano-resque-pool (only ${loaded.by.join(", ")} require${loaded.by.length > 1 ? "" : "s"} it)`, source: s.source }];
        return [s.name, w.perStage[s.name] ?? { processes: 0, why: `not among resque-pool's entries for rails_env ${at.env}`, source: { file: cfg.read, line: 1 } }];
      }),
    );
    out.push({
      ...base,
      name,
      // resque-pool forks each worker from a manager that loaded the app; the pod runs the one worker
      // with Resque's own task (resque:setup loads the app, QUEUE is the entry's list).
      args: ["bundle", "exec", "rake", "resque:work"],
      env: { QUEUE: q },
      commandFrom: "standard",
      commandSource: w.first.source,
      commandNote: `one process of resque-pool's entry ${JSON.stringify(q)} in ${cfg.file} per pod${exampleNote}`,
      queues: q.split(",").map((x) => x.trim()).filter(Boolean),
      stopSignal: "QUIT",
      stopTimeout: { seconds: b.stopTimeout, source: null },
      roles,
      evidence: [
        ...evidence,
        cfg.chosen,
        ...(cfg.example ? [{ value: `EXAMPLE: ${cfg.file} is not in the repo; its example ${cfg.read} is read as the layout, to confirm`, source: { file: cfg.read, line: 1 } }] : []),
        ...(linked ? [{ value: `${cfg.file} is a linked file (the servers held their own copy)`, source: linked }] : []),
        ...starts.map((s) => ({ value: `starts resque-pool: ${s.text.trim().slice(0, 120)}`, source: s.source })),
        ...w.lines,
      ],
      carried: true,
      perStage,
    });
  }
  return out;
}

/** Where a stage's linked_files names the file, if one does. */
function linkedAt(stages: Stage[], file: string): Source | null {
  for (const s of stages) {
    const f = s.variables["linked_files"];
    if (!f) continue;
    const list = Array.isArray(f.value) ? f.value : [];
    if (list.some((x) => x === file)) return f.source;
  }
  return null;
}

/** Flags of the servers' daemon that a pod does not use: it runs in the foreground and logs to stdout. */
const DAEMON_ONLY = /^(?:-d|--daemon|--daemonize)$/;
const DAEMON_VALUE = /^(?:-p|--pidfile|--stdout|--stderr)$/;

/**
 * The pool whose config the deploy wrote on the servers (pool-config-written.ts): the queues and
 * counts are what that task computed there, so no layout is read and no Deployment is generated; the
 * worker is named with the pool's start line, the file and the task, and what to do.
 */
function generatedPool(ctx: AnalyzerContext, b: JobBackend, file: string, chosen: Fact<string>, w: WrittenAtDeploy, starts: PoolStart[], roles: string[], evidence: Fact<string>[], base: Pick<WorkerFacts, "backend" | "label" | "drain">): WorkerFacts {
  const at = (s: Source) => `${s.file}:${s.line}`;
  const ran = w.runBy ? `the deploy runs it (${at(w.runBy)})` : "no deploy line runs it (it ran by hand, if at all)";
  const message = `resque-pool reads ${file} (${chosen.value}), which is not in the repo: rake ${w.task} (${at(w.defined)}) writes it (${at(w.writes)}) and ${ran}, so its queues and counts are what that task computed on the servers; no Resque worker Deployment is generated. Run \`bundle exec rake ${w.task}\` where the database is reachable and commit its output as ${file} (or run the task before the pool starts), then carry the pool's entries`;
  ctx.problem({ ...(w.runBy ?? w.writes), message: `workers.pool-config-generated: ${message}`, severity: "warning" });
  // The start line's words in the foreground: the daemon's own flags dropped, the server path made the repo's.
  const words = (starts[0]?.text ?? "bundle exec resque-pool").trim().split(/\s+/);
  const args: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const x = words[i]!;
    if (DAEMON_ONLY.test(x)) continue;
    if (DAEMON_VALUE.test(x)) {
      i++;
      continue;
    }
    if ((x === "-c" || x === "--config") && words[i + 1]) {
      args.push(x, file);
      i++;
      continue;
    }
    args.push(x);
  }
  return {
    ...base,
    name: "worker-resque-pool",
    args,
    env: {},
    commandFrom: starts.length ? "service" : "standard",
    commandSource: starts[0]?.source ?? chosen.source,
    queues: [],
    stopSignal: "QUIT",
    stopTimeout: { seconds: b.stopTimeout, source: null },
    roles,
    evidence: [
      ...evidence,
      chosen,
      ...starts.map((s) => ({ value: `starts resque-pool: ${s.text.trim().slice(0, 120)}`, source: s.source })),
      { value: `${file} is written at deploy time by rake ${w.task}`, source: w.writes },
      ...(w.runBy ? [{ value: `the deploy runs rake ${w.task}`, source: w.runBy }] : []),
    ],
    carried: false,
    why: message,
  };
}
