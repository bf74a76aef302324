// A minimal model to hand to findSecrets / findHazards; each test fills the sections it needs.
import { MODEL_VERSION, type AppModel, type RailsFacts, type Stage, type Server } from "../../src/model.js";

export type PartialModel = Omit<AppModel, "gaps" | "hazards">;

export function baseRails(over: Partial<RailsFacts> = {}): RailsFacts {
  return {
    rubyVersion: null, railsVersion: null, bundlerVersion: null, gems: {}, gemGroups: {}, privateSources: [], database: null,
    assets: { pipeline: [], needsNode: { value: false, source: { file: "Gemfile.lock", line: 0 } }, packageManager: null },
    appModule: null, timeZone: null, healthPaths: [], ...over,
  };
}

export function baseModel(over: Partial<PartialModel> = {}): PartialModel {
  return {
    version: MODEL_VERSION, name: { value: "app", source: { file: ".", line: 0 } }, rails: baseRails(), capistrano: null, stages: [], appServers: [],
    nginx: { files: [] }, global: null, sidekiq: null, cron: null, procfile: [], linked: [], secrets: [], problems: [], ...over,
  };
}

export function server(host: string, roles: string[], file: string, line: number, primary = false): Server {
  return { host, user: "deploy", port: null, roles, primary, properties: {}, source: { file, line } };
}

export function stage(name: string, servers: Server[], variables: Stage["variables"] = {}): Stage {
  return { name, source: { file: `config/deploy/${name}.rb`, line: 1 }, variables, servers };
}
