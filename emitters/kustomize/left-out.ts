// What an overlay leaves out because the deploy never ran it there: a whole stage whose file
// declares no server (no overlay at all), and the web objects of a stage whose deploy starts no
// web server (the base's web Deployment, Service, HPA and PDB deleted by `$patch: delete`, no edge).
// The base stays whole for the stages that serve; the overlay says what it removes and why.
import type { AppModel, Stage, StageWithoutServers, WebNotStarted } from "../../src/model.js";
import { webName } from "./names.js";
import { toYaml } from "./yaml.js";

/** Why the stage's overlay has no web objects, or null when its deploy starts the web server. */
export function webNotStarted(model: Pick<AppModel, "webServer">, stage: string): WebNotStarted | null {
  return model.webServer?.notStartedOn?.find((n) => n.stage === stage) ?? null;
}

/**
 * `patches:` entries deleting the base's web objects, one entry each: kustomize (5.5) panics on a
 * second `$patch: delete` document in one patch file, the first having removed its object.
 */
export function noWebPatches(app: string): { patch: string }[] {
  const name = webName(app);
  return [
    { apiVersion: "apps/v1", kind: "Deployment" },
    { apiVersion: "v1", kind: "Service" },
    { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler" },
    { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
  ].map((k) => ({ patch: toYaml([{ ...k, metadata: { name }, $patch: "delete" }]) }));
}

/** The report's line under such a stage. */
export const NO_SERVERS_SHORT = "defines no servers: no overlay written, nothing asked (the file declares no server and nothing in it is unknown: its deploy ran on no host)";

/** The report's line under a stage without servers whose file cap aborts on: "nothing unknown" would not be true. */
export const noServersShort = (s: StageWithoutServers): string =>
  s.loadedBy?.length
    ? `${helperWords(s)}: no overlay written, nothing asked`
    : s.capAborts ? `defines no servers and \`cap ${s.name}\` aborts while loading it (${abortCode(s)}, ${s.capAborts.source.file}:${s.capAborts.source.line}): no overlay written, nothing asked` : NO_SERVERS_SHORT;

/**
 * A config/deploy/*.rb the other stage files load: a helper, not a deploy target. Capistrano 3
 * defines `cap <name>` for every file there (its setup loops over config/deploy/*.rb), so the name is
 * a stage to cap, but it declares no server and its deploy reaches no host.
 */
const helperWords = (s: StageWithoutServers): string =>
  `${s.source.file} is a helper the stage files load (${(s.loadedBy ?? []).map((l) => `${l.file}:${l.line}`).join(", ")}), not a deploy target: Capistrano 3 still makes \`cap ${s.name}\` a stage of it (one per config/deploy/*.rb), which declares no server and deploys to no host`;

/** MIGRATION.md's line for a stage left without an overlay. */
export const noServersMessage = (s: StageWithoutServers): string =>
  s.loadedBy?.length
    ? `stage ${s.name}: ${helperWords(s)}; no overlay written`
    : s.capAborts
    ? `stage ${s.name} defines no servers: no overlay written (${s.source.file} declares no server, and \`cap ${s.name}\` aborts while loading it: ${abortCode(s)} at ${s.capAborts.source.file}:${s.capAborts.source.line}; no deploy of it ran with the repo as it stands, so nothing is asked about it)`
    : `stage ${s.name} defines no servers: no overlay written (${s.source.file} declares no server and nothing in it is unknown, so its deploy ran on no host; nothing is asked about it)`;

/** MIGRATION.md's line for a stage whose overlay has no web objects. */
export const noWebMessage = (n: WebNotStarted): string =>
  `stage ${n.stage}: no web Deployment, Service, HPA, PodDisruptionBudget or edge route in its overlay (deleted from base with \`$patch: delete\`): ${n.why}`;

/** Notes of the Kustomize emitter for both. */
export function leftOutNotes(model: Pick<AppModel, "stagesWithoutServers" | "webServer" | "stages">): { message: string; source: StageWithoutServers["source"] }[] {
  const names = new Set(model.stages.map((s) => s.name));
  return [
    ...(model.stagesWithoutServers ?? []).map((s) => ({ message: noServersMessage(s), source: s.source })),
    ...(model.webServer?.notStartedOn ?? []).filter((n) => names.has(n.stage)).map((n) => ({ message: noWebMessage(n), source: n.source })),
  ];
}

/**
 * The line for a stage `cap` aborts while loading (cap3.plugin-after-defaults, or a constant no file
 * defines, cap.constant-unknown-at-load): its overlay is kept, written from files no deploy of it ran
 * with, and that is said where the team reads first.
 */
/** The warning code of a stage's abort (the message starts with it). */
const abortCode = (s: { capAborts?: { message: string } }): string => /^(cap[\w.-]*):/.exec(s.capAborts?.message ?? "")?.[1] ?? "cap3.plugin-after-defaults";

export const capAbortShort = (s: Pick<Stage, "name" | "capAborts">): string => {
  const code = abortCode(s);
  const who = code === "cap3.plugin-after-defaults" ? "the locked Capistrano aborts" : "Ruby aborts";
  return `no deploy of stage ${s.name} ran with the repo as it stands: ${who} \`cap ${s.name}\` (${code}); its overlay is written from these files all the same: check what its servers really run before the cut-over`;
};
