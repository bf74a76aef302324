// The web PodDisruptionBudget: a voluntary disruption (node drain) always leaves one web pod serving.
import { labels, selectorLabels, webName } from "./names.js";
import type { Plan } from "./plan.js";

export function webPdb(plan: Plan): Record<string, unknown> {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: webName(plan.app), labels: labels(plan.app, "web") },
    spec: { minAvailable: 1, selector: { matchLabels: selectorLabels(plan.app, "web") } },
  };
}
