// The web PodDisruptionBudget: a voluntary disruption (node drain) always leaves one web pod serving.
import { labels, selectorLabels, webName, type Component } from "./names.js";
import type { Plan } from "./plan.js";

export function webPdb(plan: Plan): Record<string, unknown> {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: webName(plan.app), labels: labels(plan.app, "web") },
    spec: { minAvailable: 1, selector: { matchLabels: selectorLabels(plan.app, "web") } },
  };
}

/** The PDB file of a worker Deployment (`worker-pdb.yaml` for Sidekiq's `worker`, `worker-<backend>-pdb.yaml` for the others). */
export const workerPdbFile = (component: Component): string => `${component}-pdb.yaml`;
export const WORKER_PDB_COMMENT =
  "The stage runs more than one of this worker: a node drain takes them one at a time, so jobs keep being worked.\n(A stage with one has no PDB: minAvailable 1 would block every drain.)";

/** A worker of a stage with more than one replica: a drain evicts one at a time (maxUnavailable 1). */
export function workerPdb(plan: Plan, name: string, component: Component): Record<string, unknown> {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, labels: labels(plan.app, component) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(plan.app, component) } },
  };
}
