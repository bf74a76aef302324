// The web Service: ClusterIP, port 80 to the pod's `http` port (nginx sidecar or app server).
import { labels, selectorLabels, webName } from "./names.js";
import type { Plan } from "./plan.js";

export const SERVICE_PORT = 80;

export function webService(plan: Plan): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: webName(plan.app), labels: labels(plan.app, "web") },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(plan.app, "web"),
      ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http", protocol: "TCP" }],
    },
  };
}
