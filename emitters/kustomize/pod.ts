// Pieces every pod of the app shares: env from the ConfigMap and Secret, the writable emptyDirs of a
// read-only root filesystem, resources in Kubernetes' shape.
import { podSecurityContext } from "./security.js";
import type { AppModel } from "../../src/model.js";
import { APP_DIR } from "../contract.js";
import type { ResourceSpec } from "./answers.js";
import { configMapName, secretName } from "./names.js";
import { cpuLimitOf } from "./rules/resources.js";

/**
 * What every pod of the app sets: no Service env vars (they clash with gems reading REDIS_PORT and
 * the like), no API token (the app never talks to Kubernetes), the restricted security context.
 */
export const podDefaults = () => ({ enableServiceLinks: false, automountServiceAccountToken: false, securityContext: podSecurityContext() });

export const envFrom = (app: string) => [{ configMapRef: { name: configMapName(app) } }, { secretRef: { name: secretName(app) } }];

/**
 * Kubernetes' shape. The CPU limit follows the request whatever the answer said (rules/resources.ts
 * cpuLimitOf), unless the answer removed it (null): a limit answered null is left out.
 */
export const resources = (r: ResourceSpec) => {
  const limits: Record<string, string> = {};
  if (r.limits.cpu !== null) limits["cpu"] = cpuLimitOf(r);
  if (r.limits.memory !== null) limits["memory"] = r.limits.memory;
  return { requests: { cpu: r.requests.cpu, memory: r.requests.memory }, ...(Object.keys(limits).length ? { limits } : {}) };
};

export interface Scratch {
  volumes: Record<string, unknown>[];
  mounts: Record<string, unknown>[];
}

/** Linked dirs that held data on the servers (uploads): an emptyDir keeps the app running, but loses the files. */
export const dataDirs = (model: AppModel) =>
  model.linked.filter((l) => l.kind === "dir" && l.class === "data" && !l.path.startsWith("/") && !l.path.includes(".."));

/** Where Rails writes: /tmp, tmp/ (pids, cache), log/, and linked data dirs. */
export function railsScratch(model: AppModel): Scratch {
  const dirs: [string, string][] = [
    ["tmp", "/tmp"],
    ["app-tmp", `${APP_DIR}/tmp`],
    ["app-log", `${APP_DIR}/log`],
  ];
  for (const d of dataDirs(model)) {
    const name = `data-${d.path.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")}`.slice(0, 63);
    if (!dirs.some(([n]) => n === name)) dirs.push([name, `${APP_DIR}/${d.path.replace(/\/+$/, "")}`]);
  }
  return {
    volumes: dirs.map(([name]) => ({ name, emptyDir: {} })),
    mounts: dirs.map(([name, mountPath]) => ({ name, mountPath })),
  };
}
