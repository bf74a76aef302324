// Mapping rules of which web server configs describe a stage's servers: its nginx files
// (nginxFilesFor, stageServers) and Apache files and vhosts (apacheFilesFor, apacheVhostsOf,
// apacheVhostsFor). The hosts they name are hosts.ts'. Index of all rules: ./README.md.
import type { ApacheFile, NginxServer, Stage } from "../../../src/model.js";
import type { ModelLike } from "./stage.js";

/**
 * The nginx files that describe a stage's servers: the templates rendered for it, else the plain
 * files (one config uploaded to every stage's servers: its limits, TLS and timeouts held everywhere).
 */
export function nginxFilesFor(model: ModelLike, stage: Stage) {
  // An example copy (nginx.conf.example) speaks only where no real config does.
  // A file the deploy linked into nginx only on some stages (NginxFile.linkedFor) is no other stage's.
  const all = model.nginx.files.filter((f) => !f.linkedFor || f.linkedFor.stages.includes(stage.name));
  const real = all.filter((f) => !f.example);
  const files = real.length ? real : all;
  const rendered = files.filter((f) => f.stage === stage.name);
  return rendered.length ? rendered : plainFilesOf(files.filter((f) => f.stage === null), stage);
}

/**
 * The plain files a stage's servers ran: where the repo keeps a config per stage (each file tied
 * to one stage by the deploy_to its paths lie under, NginxFile.servesStage), the stage's own and
 * the untied ones; a stage no file is tied to reads the untied ones (every file if none is untied).
 */
function plainFilesOf(plain: ModelLike["nginx"]["files"], stage: Stage) {
  if (!plain.some((f) => f.servesStage)) return plain;
  // another deployment's file (NginxFile.servesNoStage) is no stage's: not even an untied one
  const untied = plain.filter((f) => !f.servesStage && !f.servesNoStage);
  const own = plain.filter((f) => f.servesStage?.value === stage.name);
  if (own.length) return [...own, ...untied];
  return untied.length ? untied : plain;
}

/**
 * The Apache configs that describe a stage's servers (Passenger under Apache): the templates
 * rendered for it, else the plain files; an example copy only where no real config exists.
 */
export function apacheFilesFor(model: ModelLike, stage: Stage): ApacheFile[] {
  const all = model.apache?.files ?? [];
  const real = all.filter((f) => !f.example);
  const files = real.length ? real : all;
  const rendered = files.filter((f) => f.stage === stage.name);
  return rendered.length ? rendered : files.filter((f) => f.stage === null);
}

/**
 * The vhosts of one of the stage's Apache files that serve the stage: not one another stage's
 * directory or environment ties to that stage (ApacheVhost.servesStage), nor one serving no stage
 * (a static site, another domain: ApacheVhost.servesNoStage, named in the report).
 */
export function apacheVhostsOf(f: ApacheFile, stage: Stage): ApacheFile["vhosts"] {
  return f.vhosts.filter((v) => !v.servesNoStage && (!v.servesStage || v.servesStage.value === stage.name));
}

/**
 * The Apache files the stage reads, with a plain file's vhosts tied to another stage taken out
 * of each stage but that one (apacheVhostsOf).
 */
export function apacheVhostsFor(model: ModelLike, stage: Stage): ApacheFile["vhosts"] {
  return apacheFilesFor(model, stage).flatMap((f) => apacheVhostsOf(f, stage));
}

export const stageServers = (model: ModelLike, stage: Stage): NginxServer[] => nginxFilesFor(model, stage).flatMap((f) => f.servers);
