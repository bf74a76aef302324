// Which of the app's server configs (Unicorn or Puma) an output follows: shared by the container
// emitter (the image runs production's) and the Kustomize emitter (each stage's grace period and
// resources follow that stage's).
import { railsEnvOf, type AppModel, type AppServerConfig, type Source, type Stage } from "../src/model.js";

type Model = Pick<AppModel, "appServers" | "rails"> & Partial<Pick<AppModel, "webServer">>;

/**
 * The app server config a stage ran, of the kind the image runs: the one Capistrano points at for
 * the stage, else the one for the stage's Rails environment, else the one for every environment.
 * Without a stage: production's.
 */
export function appServerFor(model: Model, stage: Stage | null): AppServerConfig | null {
  const kind = appServerKind(model);
  const all = model.appServers.filter((a) => a.kind === kind);
  if (!stage) return all.find((a) => a.env === "production") ?? all.find((a) => a.env === null) ?? all[0] ?? null;
  return all.find((a) => a.stages.includes(stage.name)) ?? all.find((a) => a.env === railsEnvOf(stage)) ?? all.find((a) => a.env === null) ?? all[0] ?? null;
}

/**
 * The app server the image runs: the one the deploy started (analyzers/appserver/started.ts), never
 * merely the config file that exists. A server with no container config here (Passenger, Thin) is
 * replaced by the one the bundle has (Puma first, Rails' default), and emitters say so. Without
 * evidence: the config found whose gem is locked, else Puma when only the puma gem is locked, else Unicorn.
 */
export function appServerKind(model: Model): "unicorn" | "puma" {
  const started = model.webServer?.kind;
  if (started === "unicorn" || started === "puma") return started;
  if (started === "passenger" || started === "thin") return model.rails.gems["puma"] || !model.rails.gems["unicorn"] ? "puma" : "unicorn";
  // A config whose server gem the lockfile does not hold is a leftover (Rails' generated
  // config/puma.rb in an app the bundle serves with Unicorn): the servers could not have run it.
  const locked = model.rails.lockfilePresent === true;
  const found = model.appServers.find((a) => !locked || model.rails.gems[a.kind])?.kind;
  if (found) return found;
  return model.rails.gems["puma"] && !model.rails.gems["unicorn"] ? "puma" : "unicorn";
}

/** When the servers ran a web server the image does not (Passenger, Thin): which, and what said so. */
export function replacedWebServer(model: Model): { was: string; now: "unicorn" | "puma"; source: Source; pool?: string } | null {
  const ws = model.webServer;
  if (!ws || (ws.kind !== "passenger" && ws.kind !== "thin")) return null;
  const first = ws.evidence.find((e) => e.value.startsWith(`${ws.kind}:`)) ?? ws.evidence[0]!;
  // The pool size Passenger was given (Moonshine's :max_pool_size): the process count to compare with.
  const pool = ws.evidence.find((e) => /^passenger: PassengerMaxPoolSize \d+/.test(e.value));
  const size = pool ? /PassengerMaxPoolSize (\d+)/.exec(pool.value)![1] : null;
  return { was: ws.kind, now: appServerKind(model), source: first.source, ...(pool ? { pool: `PassengerMaxPoolSize ${size}, ${pool.source.file}:${pool.source.line}` } : {}) };
}
