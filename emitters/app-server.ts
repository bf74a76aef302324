// Which of the app's server configs (Unicorn or Puma) an output follows: shared by the container
// emitter (the image runs production's) and the Kustomize emitter (each stage's grace period and
// resources follow that stage's).
import { railsEnvOf, type AppModel, type AppServerConfig, type Fact, type PassengerSetting, type Source, type Stage } from "../src/model.js";

type Model = Pick<AppModel, "appServers" | "rails"> & Partial<Pick<AppModel, "webServer">>;

/**
 * The app server config a stage ran, of the kind the image runs: the one Capistrano points at for
 * the stage, else the one for the stage's Rails environment, else the one for every environment
 * (a config Capistrano points at for other stages is theirs, not this one's). None: null, the
 * server's defaults. Without a stage: production's.
 */
export function appServerFor(model: Model, stage: Stage | null): AppServerConfig | null {
  if (model.webServer?.kind === "passenger") return passengerAsServer(model, stage);
  if (model.webServer?.kind === "thin") return thinAsServer(model, stage);
  const kind = appServerKind(model);
  const all = model.appServers.filter((a) => a.kind === kind);
  if (!stage) return all.find((a) => a.env === "production") ?? all.find((a) => a.env === null) ?? all[0] ?? null;
  // Never another stage's config: a stage none serves runs the server's defaults (labelled where used).
  return all.find((a) => a.stages.includes(stage.name)) ?? all.find((a) => a.env === railsEnvOf(stage)) ?? all.find((a) => a.env === null && !a.stages.length) ?? null;
}

/** The servers the image can run: each has its container config (emitters/container). */
export type ImageServerKind = "unicorn" | "puma" | "passenger";

/**
 * The app server the image runs: the one the deploy started (analyzers/appserver/started.ts), never
 * merely the config file that exists. Passenger: Passenger Standalone when the bundle locks the
 * passenger gem (it keeps the server the deploy ran, with its numbers). Otherwise Passenger, like
 * Thin, is replaced by the server the bundle has (Puma first, Rails' default), and emitters say so;
 * after Passenger that server keeps Passenger's model, one request per process (appServerFor).
 * Without evidence: the config found whose gem is locked, else Puma when only the puma gem is
 * locked, else Unicorn.
 */
export function appServerKind(model: Model): ImageServerKind {
  const started = model.webServer?.kind;
  if (model.webServer?.image) return model.webServer.image;
  if (started === "unicorn" || started === "puma") return started;
  if (started === "passenger" && model.rails.gems["passenger"]) return "passenger";
  // Thin: the web.server question's suggestion (the one server gem locked), else Puma first, Rails' default.
  const thinAsked = started === "thin" ? webServerQuestion(model)?.default : null;
  if (thinAsked) return thinAsked;
  if (started === "passenger" || started === "thin") return model.rails.gems["puma"] || !model.rails.gems["unicorn"] ? "puma" : "unicorn";
  // Nothing the deploy runs names it: the web.server question's labelled default, when the evidence gives one.
  const asked = webServerQuestion(model);
  if (asked?.default) return asked.default;
  // A config whose server gem the lockfile does not hold is a leftover (Rails' generated
  // config/puma.rb in an app the bundle serves with Unicorn): the servers could not have run it.
  const locked = model.rails.lockfilePresent === true;
  const found = model.appServers.find((a) => a.kind !== "passenger" && (!locked || model.rails.gems[a.kind]))?.kind;
  if (found) return found;
  return model.rails.gems["puma"] && !model.rails.gems["unicorn"] ? "puma" : "unicorn";
}

/** The answer id of the question which web server the image runs, asked when nothing the deploy runs says it. */
export const WEB_SERVER_ANSWER = "web.server";

export interface WebServerQuestion {
  /** The servers the evidence leaves open, in a fixed order. */
  choices: ImageServerKind[];
  /** Only where the evidence supports one (the one server gem locked, the one locked server a repo config configures). */
  default: ImageServerKind | null;
  /** Why the default, or why there is none, in words. */
  why: string;
}

const IMAGE_KINDS: ImageServerKind[] = ["puma", "unicorn", "passenger"];

/**
 * The web server as a question, when nothing the deploy runs (plugin, Procfile, restart lines,
 * units) says which one it started, or its evidence ties: never guessed. The candidates are the
 * tied kinds, else the server gems Gemfile.lock holds, else Puma and Unicorn (the gem is then to
 * add). A default only where the evidence supports one; null when the deploy decides.
 */
export function webServerQuestion(model: Model): WebServerQuestion | null {
  const ws = model.webServer;
  // Thin ran, which the image cannot: which server replaces it is asked, with Thin's start line as evidence.
  if (ws?.kind && ws.kind !== "thin") return null;
  const locked = model.rails.lockfilePresent === true;
  const has = (k: ImageServerKind) => !!model.rails.gems[k];
  const tied = ws?.kind === "thin" ? [] : IMAGE_KINDS.filter((k) => ws?.evidence.some((e) => e.value.startsWith(`${k}:`)));
  // Thin's replacement is Puma or Unicorn, never Passenger: Passenger Standalone is modelled only as
  // the server the deploy ran (its pool, its nginx settings: passengerAsServer), and after Thin there
  // is none of that to read, so a Passenger image would run on no facts. Thin's numbers map to Puma's
  // and Unicorn's workers and timeout (thinAsServer) alone.
  const candidates = ws?.kind === "thin" ? IMAGE_KINDS.filter((k) => k !== "passenger") : IMAGE_KINDS;
  const held = candidates.filter(has);
  const choices = tied.length > 1 ? tied : held.length ? held : IMAGE_KINDS.filter((k) => k !== "passenger");
  const thinAt = ws?.kind === "thin" ? (ws.evidence.find((e) => e.value.startsWith("thin:")) ?? ws.evidence[0]) : undefined;
  const said = thinAt ? `the deploy starts Thin (${thinAt.source.file}:${thinAt.source.line}), a web server the image does not run; choose the one the container starts in its place` : ws?.unsupported?.length ? `the deploy restarts ${ws.unsupported.join(" and ")} (${ws.evidence.map((e) => `${e.source.file}:${e.source.line}`).join(", ")}), a web server the image does not run; choose the one the container starts` : tied.length > 1 ? `the deploy names ${tied.join(" and ")} and nothing breaks the tie` : "nothing in the repo says which web server the deploy started (no Capistrano plugin, Procfile web line, restart command or service unit names one)";
  const heldChoices = choices.filter(has);
  // One choice: "the only one of unicorn" says nothing; the lockfile holding no other server gem does.
  const only = choices.length === 1 ? `Gemfile.lock holds ${heldChoices[0]} and none of the other server gems the image runs (${IMAGE_KINDS.filter((k) => k !== heldChoices[0]).join(", ")})` : `${heldChoices[0]} is the only one of ${choices.join(", ")} that Gemfile.lock holds`;
  if (locked && heldChoices.length === 1) return { choices, default: heldChoices[0]!, why: `${said}; ${only}` };
  // A repo config of a server the bundle holds (or no lockfile to say): what the evidence supports, as a default.
  const configured = [...new Set(model.appServers.filter((a) => a.kind !== "passenger" && choices.includes(a.kind) && (!locked || has(a.kind))).map((a) => a.kind as ImageServerKind))];
  if (configured.length === 1) {
    const file = model.appServers.find((a) => a.kind === configured[0])!.file;
    return { choices, default: configured[0]!, why: `${said}; ${file} configures ${configured[0]}${locked ? ", whose gem Gemfile.lock holds" : ""}, and no config of another server is there` };
  }
  const none = locked && !held.length ? `; Gemfile.lock holds none of ${candidates.join(", ")}, so whichever you choose must be added to the Gemfile` : locked ? `; Gemfile.lock holds ${heldChoices.join(" and ")}` : "";
  return { choices, default: null, why: `${said}${none}: no default` };
}

/**
 * Passenger's defaults for what no file states, as `passenger start --help` (6.0.17) and
 * Passenger's configuration reference give them: always labelled as defaults where used.
 */
export const PASSENGER_DEFAULTS: Record<string, number> = { max_pool_size: 6, min_instances: 1, max_requests: 0, pool_idle_time: 300, start_timeout: 90, max_request_queue_size: 100 };
export const PASSENGER_DEFAULT_OF = "Passenger (its documented default)";

/**
 * A stage's Passenger settings by key: what the stage's own render says (a per-stage nginx
 * template), else a file for every stage, else an `.example` copy. Without a stage: production's
 * render, else the files for every stage. The first file line wins where two disagree (the analyzer said so).
 */
export function passengerSettingsFor(model: Model, stage: string | null): Map<string, PassengerSetting> {
  const all = model.webServer?.passenger?.settings ?? [];
  const own = stage ?? (all.some((s) => s.stage === "production") ? "production" : null);
  const out = new Map<string, PassengerSetting>();
  const tiers = [all.filter((s) => own !== null && s.stage === own && !s.example), all.filter((s) => s.stage === null && !s.example), all.filter((s) => (s.stage === null || s.stage === own) && s.example)];
  for (const tier of tiers) for (const s of tier) if (!out.has(s.key)) out.set(s.key, s);
  return out;
}

/** A Passenger number for a stage: the file's, else Passenger's default, labelled, citing the file that left it unset (line 0). */
export function passengerNumber(model: Model, stage: string | null, key: string): Fact<number> {
  const s = passengerSettingsFor(model, stage).get(key);
  if (s && typeof s.value === "number") return { value: s.value, source: s.source };
  const at = model.webServer?.evidence[0]?.source.file ?? "Gemfile";
  return { value: PASSENGER_DEFAULTS[key] ?? 0, source: { file: at, line: 0 }, defaultOf: PASSENGER_DEFAULT_OF };
}

/** The rule below, in words, for MIGRATION.md. */
export const PASSENGER_RULE =
  "rule for apps the deploy served with Passenger: with the passenger gem locked, the image runs Passenger Standalone with each stage's numbers (Passengerfile.json, PASSENGER_* in config.env); without it, Puma with workers = Passenger's pool size and threads 1, 1 (Passenger Open Source runs one request per process), else Unicorn with that many workers; a pool size above 4 per server becomes pods of at most 4 processes, and more replicas (the rule for large worker counts). What no file states is Passenger's documented default (max_pool_size 6, min_instances 1), labelled as such";

/**
 * The rule for an app the deploy served with Passenger (one place; MIGRATION.md states it):
 * - the image runs Passenger Standalone when Gemfile.lock locks passenger (appServerKind), its
 *   process count the pool size (max_pool_size) of each stage;
 * - else Passenger Open Source's model is kept in the server that replaces it: one request per
 *   process. Puma runs `workers` = the pool size with `threads 1, 1` (the app was never shown to be
 *   thread-safe); Unicorn runs that many worker_processes.
 * Either way the count is a per-server count, spread over pods by the rule for large worker counts
 * (kustomize/rules/web.ts podsPerServer, workersPerPod): the config returned carries it as `workers`.
 */
function passengerAsServer(model: Model, stage: Stage | null): AppServerConfig {
  const kind = appServerKind(model);
  const pool = passengerNumber(model, stage?.name ?? null, "max_pool_size");
  return {
    kind,
    file: pool.source.file,
    env: null,
    stages: stage ? [stage.name] : [],
    workers: pool,
    threads: kind === "puma" ? { value: [1, 1], source: pool.source } : null,
    listen: [],
    timeout: null,
    preloadApp: null,
    pid: null,
    stdoutPath: null,
    stderrPath: null,
    workingDirectory: null,
    hooks: [],
  };
}

/**
 * The config the server that replaces Thin runs (one place): Thin's process count and timeout are
 * not that server's numbers, so each is an unread number, asked per stage (src/gaps/appserver.ts),
 * with Thin's value as the suggestion: `servers` (the processes Thin ran per server; none set is one
 * process, Thin's default) and `timeout` (Thin's default 30). A config only the servers hold leaves
 * both to the server's own placeholder defaults.
 */
function thinAsServer(model: Model, stage: Stage | null): AppServerConfig {
  const kind = appServerKind(model);
  const all = model.webServer?.thin;
  const thin = (stage && all?.byStage?.[stage.name]) || all;
  const at = thin?.startedWith ?? model.webServer?.evidence[0]?.source ?? { file: "Gemfile.lock", line: 0 };
  const server: AppServerConfig = { kind: kind === "passenger" ? "puma" : kind, file: thin?.file ?? at.file, env: null, stages: stage ? [stage.name] : [], workers: null, threads: null, listen: [], timeout: null, preloadApp: null, pid: null, stdoutPath: null, stderrPath: null, workingDirectory: null, hooks: [] };
  // The answers to the stage's numbers, once given (src/gaps/appserver.ts withAnsweredWebNumbers puts a copy first).
  const own = stage?.name ?? "production";
  const copy = model.appServers.find((a) => a.kind === server.kind && a.file === server.file && a.stages.includes(own)) ?? (stage ? undefined : model.appServers.find((a) => a.kind === server.kind && a.file === server.file));
  if (copy) return copy;
  const why = thin?.unread ?? "Thin ran it";
  const suggested: NonNullable<AppServerConfig["suggested"]> = {};
  for (const key of ["workers", "timeout"] as const) {
    const thinKey = key === "workers" ? "servers" : "timeout";
    const set = thin && !thin.unread ? thin.settings[thinKey] : undefined;
    const fact = set ?? { value: null, source: at };
    const n = set ? (typeof set.value === "number" && Number.isInteger(set.value) && set.value >= (key === "workers" ? 1 : 0) ? set.value : null) : thin && !thin.unread ? THIN_DEFAULTS[thinKey] : null;
    // Thin's own value unknown (an ENV read on the servers): said, so the question names it.
    const thinUnknown = set && typeof set.value === "object" && set.value !== null && "unknown" in set.value ? `; ${set.value.unknown}` : "";
    server[key] = { value: { unknown: `${thin?.unread ? why : `the deploy ran Thin (${at.file}:${at.line})`}, not ${kind === "unicorn" ? "Unicorn" : "Puma"}: ${key === "workers" ? "how many processes it runs per pod is the answer's" : "its timeout is the answer's"}${thinUnknown}` }, source: fact.source };
    if (n !== null)
      suggested[key] = {
        value: n,
        source: fact.source,
        label: set ? `Thin's \`${thinKey}: ${n}\` (${set.source.file}:${set.source.line})${key === "workers" ? ", the processes Thin ran per server" : ", Thin's connection timeout"}` : `Thin's default ${thinKey} ${n} (${thin!.file} sets none${key === "workers" ? ": one process per server" : ""})`,
      };
  }
  return Object.keys(suggested).length ? { ...server, suggested } : server;
}

/** Thin 1.8's defaults where its config sets nothing: one process (no `servers`: runner.rb runs a single Controller, not a Cluster), timeout 30 (Server::DEFAULT_TIMEOUT). */
const THIN_DEFAULTS = { servers: 1, timeout: 30 } as const;

/** When the servers ran a web server the image does not (Passenger without its gem, Thin): which, and what said so. */
export function replacedWebServer(model: Model): { was: string; now: "unicorn" | "puma"; source: Source; pool?: string } | null {
  const ws = model.webServer;
  if (!ws || (ws.kind !== "passenger" && ws.kind !== "thin")) return null;
  const now = appServerKind(model);
  if (now === "passenger") return null;
  const first = ws.evidence.find((e) => e.value.startsWith(`${ws.kind}:`)) ?? ws.evidence[0]!;
  // The pool size Passenger was given: the process count the replacement keeps.
  const pool = ws.kind === "passenger" ? passengerNumber(model, null, "max_pool_size") : null;
  const said = pool ? (pool.defaultOf ? `pool size ${pool.value}, ${pool.defaultOf}: no file in the repo sets it` : `pool size ${pool.value}, ${pool.source.file}:${pool.source.line}`) : null;
  return { was: ws.kind, now, source: first.source, ...(said ? { pool: said } : {}) };
}

/**
 * What Unicorn and Puma run when their config sets nothing: Unicorn::Configurator::DEFAULTS
 * (worker_processes 1, timeout 60) and Puma::Configuration's defaults since Puma 5 on MRI (single
 * mode, threads 0..5, worker_timeout 60). Checked against the installed gems in
 * test/appserver/server-defaults.test.ts. Used where no file can say the number, always labelled.
 */
export const APP_SERVER_DEFAULTS = {
  unicorn: { workers: 1, threads: null, timeout: 60 },
  puma: { workers: 0, threads: [0, 5] as [number, number], timeout: 60 },
} as const;

const PLACEHOLDER_TAG = "a placeholder for a number no repo file holds";
/** Said of a web number still at its placeholder (src/gaps/appserver.ts): the server's default, standing in for an unread value. */
export const placeholderOf = (kind: "unicorn" | "puma", id: string): string => `${kind === "puma" ? "Puma" : "Unicorn"}'s default, ${PLACEHOLDER_TAG}: answer ${id}`;
export const isPlaceholderNumber = (f: Fact<unknown> | null | undefined): boolean => !!f?.defaultOf?.includes(PLACEHOLDER_TAG);
const SUGGESTION_TAG = "a suggestion no one confirmed";
/** Said of a web number still at a replaced server's value (Thin's `servers: 3`), taken as a default (--yes) and never confirmed. */
export const suggestionOf = (label: string, id: string): string => `${label}, ${SUGGESTION_TAG}: answer ${id}`;
export const isUnconfirmedSuggestion = (f: Fact<unknown> | null | undefined): boolean => !!f?.defaultOf?.includes(SUGGESTION_TAG);

/** Answer ids of a stage's web numbers the repo does not hold (src/gaps/appserver.ts), and the pattern that reads them back. */
export type WebNumber = "workers" | "threads" | "timeout";
export const webNumberAnswerId = (stage: string, key: WebNumber): string => `stage.${stage}.web.${key}`;
export const WEB_NUMBER_ID = /^stage\.(.+)\.web\.(workers|threads|timeout)$/;
