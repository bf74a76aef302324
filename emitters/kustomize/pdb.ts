// The PodDisruptionBudgets. One rule for web and workers: a voluntary disruption (node drain) evicts
// at most one pod of a Deployment at a time (maxUnavailable 1). minAvailable 1 would do the same with
// several pods but block every drain of a stage that runs one (the eviction API refuses forever), and
// maxUnavailable follows the HPA as it scales.
import { labels, selectorLabels, webName, type Component } from "./names.js";
import type { Plan } from "./plan.js";

/** The rule as MIGRATION.md states it. */
export const PDB_RULE =
  "Node drains: a PodDisruptionBudget lets a drain evict one web pod at a time (maxUnavailable 1), and one pod of each worker that runs more than one; a stage at one web pod loses it during a drain until its replacement is ready (raise its minReplicas to 2 to serve through drains). minAvailable 1 is not used: with one pod it blocks every drain.";

export function webPdb(plan: Plan): Record<string, unknown> {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: webName(plan.app), labels: labels(plan.app, "web") },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(plan.app, "web") } },
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
