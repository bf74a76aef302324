// Mapping rules of Sidekiq: where it ran and how many (sidekiqRoles, workerReplicas,
// sidekiqSetReplicas), its settings per stage as the servers ran them (sidekiqOfStage, sidekiqTimeout,
// sidekiqConcurrency, sidekiqDefaultConcurrency, sidekiqReadsMaxThreads, sidekiqQueues) and the
// answered thread count where only a placeholder stood (workerThreadsAnswer, answeredThreads).
// Index of all rules: ./README.md.
import type { AppModel, RValue, SidekiqOptionWords, Source, Stage } from "../../../src/model.js";
import { numberOf } from "../../../src/model/numbers.js";
import { ANSWERS_FILE } from "../../../src/model/answers.js";
import { type ModelLike, stringOf, railsEnvOf, hasRole, defaultEnv } from "./stage.js";

/**
 * A capistrano-sidekiq variable of the stage, unless the deploy loads nothing that reads it
 * (SidekiqFacts.unreadSettings, from analyzers/workers/plugin-unread-settings.ts): a setting the
 * servers ran without gives no role and no count. The one place the Sidekiq rules read them.
 */
function sidekiqVariable(stage: Stage, name: string, unread: readonly string[]): RValue | undefined {
  return unread.includes(name) ? undefined : stage.variables[name]?.value;
}

/** The roles sidekiq ran on: capistrano-sidekiq's `sidekiq_roles`, else `worker`/`sidekiq` servers, else `app` (its default). */
export function sidekiqRoles(stage: Stage, unread: readonly string[] = []): string[] {
  // capistrano-mb's sidekiq recipe (when :mb_recipes lists it) runs its unit on :mb_sidekiq_role.
  const mbRecipes = stage.variables["mb_recipes"]?.value;
  const role = stage.variables["mb_sidekiq_role"]?.value;
  const mbRole = Array.isArray(mbRecipes) && mbRecipes.some((r) => stringOf(r) === "sidekiq") ? role : undefined;
  const v = sidekiqVariable(stage, "sidekiq_roles", unread) ?? sidekiqVariable(stage, "sidekiq_role", unread) ?? mbRole;
  const list = Array.isArray(v) ? v.map(stringOf).filter((x): x is string => !!x) : stringOf(v) ? [stringOf(v)!] : [];
  if (list.length) return list;
  if (stage.servers.some(hasRole(["worker", "sidekiq"]))) return ["worker", "sidekiq"];
  return ["app"];
}

/**
 * Worker replicas = servers with the sidekiq roles × `sidekiq_processes` (capistrano-sidekiq, default 1).
 * `unread`: the plugin's variables nothing in the deploy reads (SidekiqFacts.unreadSettings).
 */
export function workerReplicas(stage: Stage, unread: readonly string[] = []): number {
  const servers = stage.servers.filter(hasRole(sidekiqRoles(stage, unread))).length;
  const processes = numberOf(sidekiqVariable(stage, "sidekiq_processes", unread)) ?? 1;
  return Math.max(1, servers * processes);
}

/** An env override of sidekiq.yml (`production: { concurrency: 20 }`) wins over the top level. */
function sidekiqSetting(model: ModelLike, railsEnv: string, key: string): RValue | undefined {
  const sk = model.sidekiq;
  if (!sk) return undefined;
  const o = sk.envOverrides[railsEnv]?.[key] ?? sk.envOverrides[railsEnv]?.[`:${key}`];
  if (o !== undefined) return o;
  return key === "concurrency" ? sk.concurrency?.value : key === "timeout" ? sk.timeout?.value : undefined;
}

/** Sidekiq's shutdown timeout: the config's, else its default (25s since Sidekiq 6, 8s before). */
export function sidekiqTimeout(model: ModelLike, railsEnv: string): number {
  // `-t N` on the command the servers ran wins over sidekiq.yml, as in Sidekiq's CLI.
  if (model.sidekiq?.commandTimeout) return model.sidekiq.commandTimeout.value;
  const n = numberOf(sidekiqSetting(model, railsEnv, "timeout"));
  if (n !== null) return n;
  const version = model.rails.gems["sidekiq"]?.value;
  const major = version ? Number.parseInt(version, 10) : NaN;
  return Number.isFinite(major) && major < 6 ? 8 : 25;
}

/**
 * Sidekiq's own default concurrency (threads per process) for the locked version, as its changelog
 * (sidekiq/sidekiq Changes.md, also Debian's /usr/share/doc/ruby-sidekiq/changelog.gz) and sources say:
 * 25 up to 5.1.x; "5.2.0: Decrease default concurrency from 25 to 10 [#3892]" (lib/sidekiq.rb
 * DEFAULTS `concurrency: 10` through 6.x, 6.4.1 here); 5 from 7.0 (docs/7.0-Upgrade.md: "default
 * concurrency has been reduced from 10 to 5", lib/sidekiq/config.rb DEFAULTS). `of` names whose
 * default it is; with no locked version it is the 5.2–6.x value, and `of` says the version is unknown.
 */
export function sidekiqDefaultConcurrency(model: ModelLike): { value: number; of: string; source: Source | null } {
  const fact = model.rails.gems["sidekiq"];
  const m = fact ? /^(\d+)(?:\.(\d+))?/.exec(fact.value) : null;
  if (!fact || !m) return { value: 10, of: "Sidekiq 5.2–6.x's default (Gemfile.lock locks no sidekiq version, so which Sidekiq's default applied is not known)", source: fact?.source ?? null };
  const [major, minor] = [Number(m[1]), Number(m[2] ?? 0)];
  const value = major >= 7 ? 5 : major > 5 || (major === 5 && minor >= 2) ? 10 : 25;
  return { value, of: `Sidekiq ${major}.${minor}'s default`, source: fact.source };
}

/**
 * Whether the locked Sidekiq reads RAILS_MAX_THREADS where no -c and no config sets the concurrency:
 * from 4.2 ("4.2.0: Allow tuning of concurrency with the RAILS_MAX_THREADS env var [#2985]"; Debian's
 * 6.4.1 lib/sidekiq/cli.rb:254 `opts[:concurrency] = Integer(ENV["RAILS_MAX_THREADS"]) if
 * opts[:concurrency].nil? && ENV["RAILS_MAX_THREADS"]`; 7.x's DEFAULTS `Integer(ENV["RAILS_MAX_THREADS"] || 5)`).
 * With no locked version, the 5.2–6.x default is the one used, and those read it.
 */
export function sidekiqReadsMaxThreads(model: ModelLike): boolean {
  const m = /^(\d+)(?:\.(\d+))?/.exec(model.rails.gems["sidekiq"]?.value ?? "");
  if (!m) return true;
  const [major, minor] = [Number(m[1]), Number(m[2] ?? 0)];
  return major > 4 || (major === 4 && minor >= 2);
}

/**
 * Why the servers' concurrency may not be the one a config of the repo says: a config file the
 * servers' Sidekiq read that the repo lacks. Sidekiq reads ./config/sidekiq.yml when no -C is given
 * (changelog 2.17.5: "Automatically use the config file found at config/sidekiq.yml, if not passed
 * -C. [#1481]"), so a linked config/sidekiq.yml the checkout does not hold is one; so is a
 * capistrano-sidekiq `sidekiq_config` naming a file off the repo (analyzers/workers/sidekiq-plugin.ts
 * keeps only repo files). Null where the repo holds what the servers read.
 */
function serversOnlySidekiqConfig(model: ModelLike, stage: Stage, file: string | null): { what: string; source: Source } | null {
  const off = stage.variables["sidekiq_config"];
  if (!model.sidekiq?.plugin?.[stage.name]?.config && off && typeof off.value === "string")
    return { what: `the servers' ${off.value} (capistrano-sidekiq sidekiq_config, not in the repo)`, source: off.source };
  // A path not known statically (`File.join(shared_path, …)` with deploy_to from ENV) is no less a
  // file of the servers: Sidekiq was started with it, and the repo does not say what it held.
  if (!model.sidekiq?.plugin?.[stage.name]?.config && off && off.value !== null && off.value !== false && typeof off.value === "object" && !Array.isArray(off.value) && "unknown" in off.value)
    return { what: `the servers' file that capistrano-sidekiq sidekiq_config names (${off.value.expr ?? "its value"}, a path not known statically, not in the repo)`, source: off.source };
  // Any other value that names something (a list, a symbol): still the servers' file, said as such.
  if (!model.sidekiq?.plugin?.[stage.name]?.config && off && off.value !== null && off.value !== false)
    return { what: "the servers' file (capistrano-sidekiq sidekiq_config, not in the repo)", source: off.source };
  if (file) return null;
  const linked = model.linked.find((l) => l.path === "config/sidekiq.yml" && l.serverOnly && (!l.stages.length || l.stages.includes(stage.name)));
  return linked ? { what: "the servers' config/sidekiq.yml (a linked file the repo does not hold, which Sidekiq reads when no -C is given)", source: linked.source } : null;
}

/** Sidekiq's concurrency: the config's, else Sidekiq's default for the locked version (sidekiqDefaultConcurrency). */
export function sidekiqConcurrency(model: ModelLike, railsEnv: string): number {
  const n = numberOf(sidekiqSetting(model, railsEnv, "concurrency"));
  if (n !== null) return n;
  return sidekiqDefaultConcurrency(model).value;
}

/** Queues as `name` or `name,weight` (sidekiq's `-q` syntax). */
export function sidekiqQueues(model: ModelLike, railsEnv: string): string[] {
  const sk = model.sidekiq;
  if (!sk) return [];
  const override = sk.envOverrides[railsEnv]?.["queues"] ?? sk.envOverrides[railsEnv]?.[":queues"];
  const values: RValue[] = Array.isArray(override) ? override : sk.queues.map((q) => q.value);
  const out: string[] = [];
  for (const q of values) {
    if (Array.isArray(q)) {
      const name = stringOf(q[0]);
      const weight = numberOf(q[1]);
      if (name) out.push(weight !== null ? `${name},${weight}` : name);
    } else {
      const name = stringOf(q);
      if (name) out.push(name);
    }
  }
  return out;
}

/** A stage's Sidekiq as capistrano-sidekiq started and stopped it (analyzers/workers/sidekiq-plugin.ts). */
export interface SidekiqOfStage {
  /** The Rails env it ran in: `sidekiq_env`, else the stage's. */
  env: string;
  /** Its config file: a 3.x unit's `config/<entry>`, else `sidekiq_config`, else the repo's default one. */
  file: string | null;
  concurrency: number;
  queues: string[];
  /**
   * Drain timeout: Sidekiq's own (after it, unfinished jobs go back to Redis), or the plugin's
   * `sidekiq_timeout` when longer (its stop waited that long before SIGKILL): the longer of the two,
   * so the pod loses no job the servers kept.
   */
  timeout: number;
  /** Flags the plugin added to the command line: `-e`, `-q` each, `-c`. */
  flags: string[];
  /**
   * Set where no flag and no config the analysis read sets the concurrency: whose default it is
   * (sidekiqDefaultConcurrency), and why none was read, for the provenance.
   */
  concurrencyDefault?: {
    of: string;
    source: Source | null;
    why: string;
    unknown?: { what: string; source: Source };
    /** The question that asks the count `unknown` holds back (src/gaps/workers.ts), still a placeholder. */
    asked?: string;
    /** The answer to that question: the count the pod is pinned to with -c. */
    answered?: string;
  };
}

/**
 * A Sidekiq worker's thread count asked where only a placeholder stood (the servers' config or
 * environment file the repo lacks): its answer (or the default taken with no one asked), and whether
 * it is still the placeholder (src/migrate.ts drops `placeholder` from a question someone answered).
 */
export interface AnsweredThreads {
  id: string;
  value: number;
  placeholder: boolean;
}

/** The answer id of a Sidekiq worker's threads per process on a stage, asked where only a placeholder stood. */
export const workerThreadsAnswer = (stage: string, worker: string): string => `workers.${stage}.${worker}.threads`;

/** The answered thread count of a worker on a stage, where the model asked it (model.gaps holds the question as asked). */
export function answeredThreads(model: Pick<AppModel, "gaps">, answers: Record<string, RValue>, stage: string, worker: string): AnsweredThreads | undefined {
  const id = workerThreadsAnswer(stage, worker);
  const g = model.gaps.find((x) => x.id === id);
  const v = answers[id];
  if (!g || typeof v !== "number" || !Number.isInteger(v) || v < 1) return undefined;
  return { id, value: v, placeholder: g.placeholder === true };
}

/**
 * `own`: the sidekiq_options_per_process words of one Deployment of a split Sidekiq (WorkerFacts
 * sidekiqOptions), in place of the stage's own `options`; its `-t` then wins over the config's timeout.
 */
export function sidekiqOfStage(model: ModelLike, stage: Stage, own?: SidekiqOptionWords, unit?: { entry: string }, answered?: AnsweredThreads): SidekiqOfStage {
  const p0 = model.sidekiq?.plugin?.[stage.name] ?? {};
  const p = own ? { ...p0, options: own.words.length ? { value: own.words, queues: own.queues, concurrency: own.concurrency } : undefined } : p0;
  // capistrano-sidekiq 3.x's unit for a sidekiq_config_files entry runs `--config config/<entry>`:
  // that file's settings, in place of the default file's (analyzers/workers/sidekiq-config-files.ts).
  const entry = unit ? model.sidekiq?.configFiles?.[unit.entry] : undefined;
  // Sidekiq's own start line's `-C` (analyzers/workers/sidekiq-line.ts) names the file it read.
  const config = entry?.facts ? { value: entry.file, facts: entry.facts } : own?.config ? { value: own.config.file, facts: own.config.facts } : p.config ? { value: p.config.value, facts: p.config.facts } : null;
  const m: ModelLike = config && model.sidekiq ? { ...model, sidekiq: { ...model.sidekiq, ...config.facts, file: config.value } } : model;
  const env = p.env?.value ?? railsEnvOf(stage);
  // sidekiq_options_per_process came after the plugin's own flags on its start line: each `-q` adds
  // a queue to those before it, and the last `-c` wins (Sidekiq's option parser).
  const flags = [
    ...(p.env ? ["-e", p.env.value] : []),
    ...(p.queues?.value ?? []).flatMap((q) => ["-q", q]),
    ...(p.concurrency ? ["-c", String(p.concurrency.value)] : []),
    ...(p.options?.value ?? []),
  ];
  const flagQueues = [...(p.queues?.value ?? []), ...(p.options?.queues ?? [])];
  const set = p.options?.concurrency ?? p.concurrency?.value ?? numberOf(sidekiqSetting(m, env, "concurrency"));
  const version = sidekiqDefaultConcurrency(m);
  const offRepo = set === null ? serversOnlySidekiqConfig(model, stage, m.sidekiq?.file ?? null) : null;
  // Sidekiq ≥ 4.2 takes RAILS_MAX_THREADS where nothing else sets it: the deploy's default_env
  // exported it to the start command (sidekiqReadsMaxThreads).
  const reads = sidekiqReadsMaxThreads(m);
  // Sidekiq's own start line may give its process RAILS_MAX_THREADS (its assignment, its systemd
  // unit's Environment=, analyzers/workers/sidekiq-line.ts), which wins over default_env; a unit's
  // process never saw default_env at all. A config the servers read that the repo lacks comes before
  // RAILS_MAX_THREADS (cli.rb merges it first), and -c and a config of the repo before both.
  const line = reads && !offRepo ? own?.maxThreads : undefined;
  const lineUnknown = line && "unknown" in line ? { what: line.unknown, source: line.source } : null;
  const deployEnv = defaultEnv(stage).find((e) => e.name === "RAILS_MAX_THREADS");
  const maxThreads = !reads || offRepo || lineUnknown ? undefined : line && "value" in line ? { value: line.value as string | null, source: line.source, in: `on ${line.via} (${line.source.file}:${line.source.line})` } : own?.ownEnvironment || !deployEnv ? undefined : { value: deployEnv.value, source: deployEnv.source, in: "in Capistrano's default_env" };
  const fromEnv = maxThreads && maxThreads.value !== null && /^\d+$/.test(maxThreads.value.trim()) ? Number(maxThreads.value.trim()) : null;
  const dflt = fromEnv !== null && maxThreads ? { value: fromEnv, of: `RAILS_MAX_THREADS ${fromEnv} ${maxThreads.in}, which ${version.of.replace(/'s default.*$/, "")} reads where nothing else sets the concurrency`, source: maxThreads.source } : version;
  const unknown = offRepo ?? lineUnknown;
  // A config that names a concurrency the analysis cannot read is not a config that sets none.
  const why0 = unknown
    ? `not known: ${unknown.what} may set it, so this is a placeholder for the servers' value`
    : sidekiqSetting(m, env, "concurrency") !== undefined ? `${m.sidekiq?.file ?? "the config"}'s concurrency is not known statically` : `nothing sets it (no -c on its command line${m.sidekiq?.file ? `, no concurrency in ${m.sidekiq.file}` : ", no config file"})`;
  const why = fromEnv !== null ? why0.replace(/^nothing sets it/, "nothing else sets it") : !reads || unknown
    ? why0
    : maxThreads
      ? `${why0}; RAILS_MAX_THREADS ${maxThreads.in} is a value the analysis cannot read, which Sidekiq took in place of its default`
      : own?.ownEnvironment
        ? `${why0}${deployEnv ? `; Capistrano's default_env sets RAILS_MAX_THREADS (${deployEnv.source.file}:${deployEnv.source.line}), but ${own.ownEnvironment}` : ""}, unless the servers' systemd gave every unit RAILS_MAX_THREADS (DefaultEnvironment=), which Sidekiq takes in place of its default`
        : `${why0}, unless the servers' environment set RAILS_MAX_THREADS, which Sidekiq takes in place of its default`;
  // A placeholder's question answered: the answer is the count; still the default, it stays the placeholder, naming its question.
  const given = set === null && unknown && answered ? answered : undefined;
  const concurrencyDefault = given && !given.placeholder
    ? { of: `the answer to ${given.id}`, source: { file: ANSWERS_FILE, line: 0 }, why: `the servers' count was not known (${unknown!.what} may set it), so it was asked`, answered: given.id }
    : { of: dflt.of, source: dflt.source, why, ...(unknown ? { unknown } : {}), ...(given ? { asked: given.id } : {}) };
  return {
    env,
    file: m.sidekiq?.file ?? null,
    concurrency: set ?? given?.value ?? dflt.value,
    ...(set === null ? { concurrencyDefault } : {}),
    queues: flagQueues.length ? flagQueues : sidekiqQueues(m, env),
    timeout: Math.max(own?.timeout ?? sidekiqTimeout(m, env), p.stopWait?.value ?? 0),
    flags,
  };
}

/**
 * Replicas of one Deployment of a split Sidekiq on a stage: the stage's Sidekiq servers × the
 * processes per server that got its options (WorkerFacts perStage), 0 where none did; with no
 * Sidekiq server listed, the processes of one server (as workerReplicas' minimum of one).
 */
export function sidekiqSetReplicas(stage: Stage, processes: number, unread: readonly string[] = []): number {
  if (processes === 0) return 0;
  const servers = stage.servers.filter(hasRole(sidekiqRoles(stage, unread))).length;
  return Math.max(1, servers) * processes;
}
