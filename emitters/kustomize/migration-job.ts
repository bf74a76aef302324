// The db:migrate Job, run before each rollout.
//
// Kubernetes cannot change a Job's pod template once created, so the Job's name carries the image tag:
// each overlay has a Kustomize replacement that appends the tag of the web image to
// `<app>-migrate`. A new tag is a new Job; re-applying the same tag changes nothing.
// The flow (MIGRATION_FLOW below) applies the config and the Job first, waits for it, then the rest.
import type { EmitResult } from "../../src/model.js";
import { appImage, labels, migrationName } from "./names.js";
import { envFrom, podDefaults, railsScratch, resources } from "./pod.js";
import type { Plan } from "./plan.js";
import { migrateArgs, taskResources, MIGRATION_GRACE_SECONDS, taskPreStop } from "./rules.js";
import { containerSecurityContext } from "./security.js";

export const MIGRATE_CONTAINER = "migrate";

export const migrationFlow = (app: string, overlay: string, namespace: string): string =>
  [
    `Deploy (the Job's name ends with the image tag, so a new tag is a new Job):`,
    `  kubectl apply -k ${overlay} -l 'app.kubernetes.io/component in (config,migration)'`,
    `  kubectl -n ${namespace} wait --for=condition=complete --timeout=30m job/${migrationName(app)}-<tag>`,
    `  kubectl apply -k ${overlay}`,
    `(set the tag first: cd ${overlay} && kustomize edit set image ${appImage(app)}=<repository>:<tag>; tags must be lower case letters, digits, '.' and '-')`,
  ].join("\n");

export function migrationJob(plan: Plan, out: EmitResult, output: string): Record<string, unknown> {
  const { app, model } = plan;
  const scratch = railsScratch(model);
  const src = model.capistrano?.requires.find((r) => /rails|migrat/.test(r.value))?.source ?? model.rails.database?.adapters["production"]?.source ?? model.name.source;
  out.provenance.push({
    output,
    what: "db:migrate Job, before the rollout (name suffixed by the image tag; apply config and Job, wait for completion, then apply the rest)",
    source: src,
  });
  // The Job's name carries the tag: a tag reused for new code names a Job that already ran.
  if (!/^[0-9a-f]{7,40}$|\d/.test(plan.imageTag) || plan.imageTag === "latest")
    out.notes.push({
      message: `image tag "${plan.imageTag}" names the migration Job (${migrationName(app)}-${plan.imageTag}): a tag reused for the next release names a Job that already ran, so its migrations would not run. Give every build its own tag (the commit SHA) and set it in each overlay`,
      source: src,
    });
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: migrationName(app), labels: labels(app, "migration") },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 1800,
      ttlSecondsAfterFinished: 604800,
      template: {
        metadata: { labels: labels(app, "migration") },
        spec: {
          restartPolicy: "Never",
          ...podDefaults(),
          // Drains on nothing: it finishes (rules.ts taskPreStop).
          terminationGracePeriodSeconds: MIGRATION_GRACE_SECONDS,
          containers: [
            {
              name: MIGRATE_CONTAINER,
              image: appImage(app),
              args: migrateArgs(model),
              envFrom: envFrom(app),
              resources: resources(taskResources()),
              lifecycle: { preStop: { exec: { command: taskPreStop() } } },
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
