// The web HPA (autoscaling/v2): minReplicas = the stage's web servers today (set per overlay), never
// less capacity than EC2 had; maxReplicas from the answers; scales on the app container's CPU against its request.
import { labels, webName } from "./names.js";
import type { Plan } from "./plan.js";
import { WEB_CONTAINER } from "./web-deployment.js";

export const HPA_CPU_TARGET = 70;

export function webHpa(plan: Plan, minReplicas: number, maxReplicas: number): Record<string, unknown> {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: webName(plan.app), labels: labels(plan.app, "web") },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: webName(plan.app) },
      minReplicas,
      maxReplicas,
      // The app container alone: a pod-wide Resource metric would average in the nginx sidecar.
      metrics: [{ type: "ContainerResource", containerResource: { name: "cpu", container: WEB_CONTAINER, target: { type: "Utilization", averageUtilization: HPA_CPU_TARGET } } }],
    },
  };
}
