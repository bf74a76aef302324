// The sidekiq worker Deployment: the same image, queues and concurrency from config/sidekiq.yml, a
// liveness check that the process still beats, a grace period above sidekiq's timeout. No Service.
import type { EmitResult } from "../../src/model.js";
import { appImage, labels, selectorLabels, workerName } from "./names.js";
import { envFrom, podDefaults, railsScratch, resources } from "./pod.js";
import type { Plan } from "./plan.js";
import { sidekiqConcurrency, sidekiqLivenessCommand, sidekiqQueues } from "./rules.js";
import { containerSecurityContext } from "./security.js";

export const WORKER_CONTAINER = "worker";

/** sidekiq's command: its own config file when the app has one (it carries per-env sections), else flags. */
export function workerArgs(plan: Plan): string[] {
  const sk = plan.model.sidekiq!;
  if (sk.file) return ["bundle", "exec", "sidekiq", "-C", sk.file];
  const env = plan.stages[0]!.railsEnv;
  const args = ["bundle", "exec", "sidekiq", "-c", String(sidekiqConcurrency(plan.model, env))];
  for (const q of sidekiqQueues(plan.model, env)) args.push("-q", q);
  return args;
}

export function workerDeployment(plan: Plan, out: EmitResult, output: string): Record<string, unknown> {
  const { app, model } = plan;
  const sk = model.sidekiq!;
  const scratch = railsScratch(model);
  const exec = { exec: { command: sidekiqLivenessCommand() } };
  for (const e of sk.evidence.slice(0, 1)) out.provenance.push({ output, what: "sidekiq worker", source: e.source });
  if (sk.concurrency) out.provenance.push({ output, what: "sidekiq concurrency", source: sk.concurrency.source });
  for (const q of sk.queues.slice(0, 1)) out.provenance.push({ output, what: "sidekiq queues", source: q.source });
  if (sk.timeout && !sk.timeout.defaultOf) out.provenance.push({ output, what: "sidekiq timeout → terminationGracePeriodSeconds", source: sk.timeout.source });
  out.notes.push({
    message: "worker liveness asks Redis (REDIS_URL, Sidekiq's default) whether this pod's Sidekiq process still beats; if the app configures Redis another way, adjust the probe",
    source: sk.evidence[0]?.source,
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: workerName(app), labels: labels(app, "worker") },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(app, "worker") },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: labels(app, "worker") },
        spec: {
          ...podDefaults(),
          terminationGracePeriodSeconds: Math.max(...plan.stages.map((s) => s.workerGrace)),
          containers: [
            {
              name: WORKER_CONTAINER,
              image: appImage(app),
              args: workerArgs(plan),
              envFrom: envFrom(app),
              resources: resources(plan.stages[0]!.workerResources),
              // Boot and first heartbeat may take minutes; then a beat must be seen at least every 90s.
              startupProbe: { ...exec, periodSeconds: 10, timeoutSeconds: 20, failureThreshold: 30 },
              livenessProbe: { ...exec, periodSeconds: 30, timeoutSeconds: 20, failureThreshold: 3 },
              securityContext: containerSecurityContext(),
              volumeMounts: scratch.mounts,
            },
          ],
          volumes: scratch.volumes,
        },
      },
    },
  };
}
