// The db:migrate Job, one per release.
//
// A Job's pod template cannot change once created, so every input of the Job is in its name: each
// overlay generates a Secret named like the Job from config.env, secrets.env and the image the
// release runs (a `stringData` field the images transformer rewrites), and tells kustomize that the
// Job's name refers to that Secret (kustomizeconfig.yaml). kustomize appends the Secret's content
// hash to both names, so a new image, a changed config.env or a changed secrets.env is a new Job,
// and re-applying an unchanged release leaves the finished Job as it is: `apply` never has to
// change a Job. The Job reads its environment from that same Secret, so it migrates with exactly
// the inputs its name stands for. Finished Jobs delete themselves after TTL_SECONDS.
import type { EmitResult } from "../../src/model.js";
import { appImage, labels, migrationInputsName, nginxImage, OCI_DIGEST, OCI_TAG } from "./names.js";
import { podDefaults, railsScratch, resources } from "./pod.js";
import type { Plan } from "./plan.js";
import { migrateArgs } from "./rules/migration.js";
import { taskResources } from "./rules/resources.js";
import { MIGRATION_GRACE_SECONDS, taskPreStop } from "./rules/shutdown.js";
import { containerSecurityContext } from "./security.js";
import { secretsBackend } from "../release/secrets-backend.js";

export const MIGRATE_CONTAINER = "migrate";
/** The field of the inputs Secret that carries the image: rewritten by `images:`, so it is hashed. */
export const RELEASE_IMAGE_KEY = "RELEASE_IMAGE";
/** The overlay's transformer configuration (nameReference + image field), beside kustomization.yaml. */
export const KUSTOMIZE_CONFIG_FILE = "kustomizeconfig.yaml";
export const MIGRATION_CONFIG_COMMENT =
  "The migration Job's name refers to its inputs Secret (config.env, secrets.env and the image), so kustomize\nappends that Secret's content hash to the Job's name: a changed input is a new Job (see base/migration-job.yaml).";
/** Finished migration Jobs (and their pods, with the logs) stay a day, then go. */
export const TTL_SECONDS = 86400;

/** The `kustomize edit set image` arguments of a release: every image it builds, in one command. */
export function setImageArgs(plan: Plan, tag = "<tag>"): string {
  const args = [`${appImage(plan.app)}=${plan.imageRepository}:${tag}`];
  if (plan.sidecar) args.push(`${nginxImage(plan.app)}=${plan.imageRepository}-nginx:${tag}`);
  return args.join(" ");
}

/** The deploy order the per-release Job relies on; written in each overlay and in MIGRATION.md. */
export const migrationFlow = (plan: Plan, overlay: string, namespace: string): string =>
  [
    "Deploy a release, in this order (the migration Job's name ends with a hash of its image, config.env",
    "and secrets.env: any change is a new Job, an unchanged release re-applies without touching it):",
    `  1. cd ${overlay} && kustomize edit set image ${setImageArgs(plan)}`,
    `  2. kubectl apply -k ${overlay} -l 'app.kubernetes.io/component in (namespace,config)'`,
    "     (the new ConfigMap and Secrets get new names; running pods keep reading the old ones)",
    `  3. job=$(kubectl apply -k ${overlay} -l app.kubernetes.io/component=migration -o name)`,
    `  4. kubectl -n ${namespace} wait --for=condition=complete --timeout=30m "$job"   (on failure: kubectl -n ${namespace} logs "$job"; stop)`,
    `  5. kubectl apply -k ${overlay}   (the rollout: new pods start only on the migrated schema)`,
    `Finished Jobs delete themselves ${TTL_SECONDS / 3600} hours after they end (ttlSecondsAfterFinished).`,
  ].join("\n");

/** The Job's name in base: the overlay's inputs Secret has the same name, and kustomize appends the hash to both. */
export const migrationJobName = (plan: Plan): string => migrationInputsName(plan.app, plan.imageTag);

/** The overlay's images entry for the app: a digest is pinned as a digest, anything else as a tag. */
export function imageEntry(name: string, repository: string, tag: string): Record<string, string> {
  return OCI_DIGEST.test(tag) ? { name, newName: repository, digest: tag } : { name, newName: repository, newTag: tag };
}

/** What goes into an overlay for the Job: the inputs Secret, its image field and the name reference. */
export function migrationOverlay(plan: Plan): { generator: Record<string, unknown>; patch: Record<string, unknown>; config: Record<string, unknown> } {
  const name = migrationJobName(plan);
  return {
    generator: { name, envs: ["config.env", "secrets.env"] },
    patch: {
      target: { kind: "Secret", name },
      patch: `- op: add\n  path: /stringData\n  value:\n    ${RELEASE_IMAGE_KEY}: ${appImage(plan.app)}\n`,
    },
    config: {
      nameReference: [{ kind: "Secret", fieldSpecs: [{ kind: "Job", path: "metadata/name" }] }],
      images: [{ kind: "Secret", path: `stringData/${RELEASE_IMAGE_KEY}` }],
    },
  };
}

export function migrationJob(plan: Plan, out: EmitResult, output: string): Record<string, unknown> {
  const { app, model } = plan;
  const scratch = railsScratch(model);
  const name = migrationJobName(plan);
  const src = model.capistrano?.requires.find((r) => /rails|migrat/.test(r.value))?.source ?? model.rails.database?.adapters["production"]?.source ?? model.name.source;
  out.provenance.push({
    output,
    what: `db:migrate Job ${name}-<hash of image, config.env${secretsBackend(plan.answers) === "env-files" ? " and secrets.env" : ""}>, before the rollout`,
    source: src,
  });
  if (!OCI_TAG.test(plan.imageTag) && !OCI_DIGEST.test(plan.imageTag))
    out.notes.push({ message: `image tag ${JSON.stringify(plan.imageTag)} is neither a tag nor a digest: the migration Job's name leaves it out (the hash of its inputs still tells releases apart); answer image.tag with the tag CI pushes`, source: src });
  // The image is hashed by its reference, not its content: a tag pushed twice is one Job.
  if (plan.imageTag === "latest" || !/\d/.test(plan.imageTag))
    out.notes.push({
      message: `image tag "${plan.imageTag}" may be pushed again for new code: the migration Job is named by the image reference, so the next push under that tag would not run its migrations. Give every build its own tag (the commit SHA) and set it with kustomize edit set image`,
      source: src,
    });
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels: labels(app, "migration") },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 1800,
      ttlSecondsAfterFinished: TTL_SECONDS,
      template: {
        metadata: { labels: labels(app, "migration") },
        spec: {
          restartPolicy: "Never",
          ...podDefaults(),
          // Drains on nothing: it finishes (rules/shutdown.ts taskPreStop).
          terminationGracePeriodSeconds: MIGRATION_GRACE_SECONDS,
          containers: [
            {
              name: MIGRATE_CONTAINER,
              image: appImage(app),
              args: migrateArgs(model),
              // The inputs Secret holds config.env and secrets.env: what the name's hash covers.
              envFrom: [{ secretRef: { name } }],
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
