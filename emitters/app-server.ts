// Which of the app's server configs (Unicorn or Puma) an output follows: shared by the container
// emitter (the image runs production's) and the Kustomize emitter (each stage's grace period and
// resources follow that stage's).
import { railsEnvOf, type AppModel, type AppServerConfig, type Stage } from "../src/model.js";

type Model = Pick<AppModel, "appServers" | "rails">;

/**
 * The app server config a stage ran: the one Capistrano points at for the stage, else the one for
 * the stage's Rails environment, else the one for every environment. Without a stage: production's.
 */
export function appServerFor(model: Model, stage: Stage | null): AppServerConfig | null {
  const all = model.appServers;
  if (!stage) return all.find((a) => a.env === "production") ?? all.find((a) => a.env === null) ?? all[0] ?? null;
  return all.find((a) => a.stages.includes(stage.name)) ?? all.find((a) => a.env === railsEnvOf(stage)) ?? all.find((a) => a.env === null) ?? all[0] ?? null;
}

/** The app server kind: the config found, else Puma when only the puma gem is locked, else Unicorn. */
export function appServerKind(model: Model): "unicorn" | "puma" {
  const found = model.appServers[0]?.kind;
  if (found) return found;
  return model.rails.gems["puma"] && !model.rails.gems["unicorn"] ? "puma" : "unicorn";
}
