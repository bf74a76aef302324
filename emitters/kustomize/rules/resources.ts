// Mapping rules of CPU and memory: the limit that follows the request (cpuLimitOf) and the default
// requests of each container kind (defaultWebResources, defaultWorkerResources, taskResources,
// nginxResources). Index of all rules: ./README.md.
import type { ResourceSpec } from "../answers.js";

/**
 * CPU: the limit equals the request. A limit above the request lets a pod burst on a quiet node and
 * be throttled on a busy one, so latency depends on the neighbours; the HPA's utilisation target is
 * measured against the request, which is then what the pod really has. Memory keeps headroom above
 * the request: a Rails process grows, and running out is a restart, not a slowdown.
 * resources() in pod.ts applies this rule to every container, answers included.
 */
export const cpuLimitOf = (r: ResourceSpec): string => r.requests.cpu;

/**
 * Resource defaults of the web container from its worker processes: a Rails process takes about
 * 250Mi and the master 200Mi; each worker gets half a core (request = limit, see cpuLimitOf).
 */
export function defaultWebResources(workers: number): ResourceSpec {
  const w = Math.max(1, Math.round(workers));
  const memory = 200 + 250 * w;
  return {
    requests: { cpu: `${500 * w}m`, memory: `${memory}Mi` },
    limits: { cpu: `${500 * w}m`, memory: `${memory + 250}Mi` },
  };
}

/** Sidekiq is one process: one core at most under the GVL; memory grows a little per thread. */
export function defaultWorkerResources(concurrency: number): ResourceSpec {
  const memory = 400 + 10 * Math.max(1, Math.round(concurrency));
  return { requests: { cpu: "1000m", memory: `${memory}Mi` }, limits: { cpu: "1000m", memory: `${memory + 256}Mi` } };
}

/** One-off processes (db:migrate, cron jobs): one Rails process. */
export const taskResources = (): ResourceSpec => ({
  requests: { cpu: "500m", memory: "512Mi" },
  limits: { cpu: "500m", memory: "1Gi" },
});

/** The nginx sidecar: small and fixed. */
export const nginxResources = (): ResourceSpec => ({
  requests: { cpu: "100m", memory: "64Mi" },
  limits: { cpu: "100m", memory: "128Mi" },
});
