// The web PodDisruptionBudget: a voluntary disruption (node drain) always leaves one web pod serving.
import { labels, selectorLabels, webName, workerName } from "./names.js";
import type { Plan } from "./plan.js";

export function webPdb(plan: Plan): Record<string, unknown> {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: webName(plan.app), labels: labels(plan.app, "web") },
    spec: { minAvailable: 1, selector: { matchLabels: selectorLabels(plan.app, "web") } },
  };
}

export const WORKER_PDB_FILE = "worker-pdb.yaml";
export const WORKER_PDB_COMMENT =
  "The stage runs more than one worker: a node drain takes them one at a time, so jobs keep being worked.\n(A stage with one worker has no PDB: minAvailable 1 would block every drain.)";

/** Workers of a stage with more than one replica: a drain evicts one at a time (maxUnavailable 1). */
export function workerPdb(plan: Plan): Record<string, unknown> {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: workerName(plan.app), labels: labels(plan.app, "worker") },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(plan.app, "worker") } },
  };
}
