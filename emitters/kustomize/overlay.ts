// One overlay per Capistrano stage: namespace, image, replica and HPA bounds, grace periods and
// resources (patches), the stage's hosts (edge file) and env files. Everything else comes from base.
import { k8sOverlay } from "../contract.js";
import type { EmittedCron } from "./cronjobs.js";
import { imageEntry, KUSTOMIZE_CONFIG_FILE, migrationOverlay } from "./migration-job.js";
import { appImage, configMapName, nginxImage, secretName, stageInstance, versionLabel, webName, workerName } from "./names.js";
import { resources } from "./pod.js";
import type { Plan, StagePlan } from "./plan.js";
import { CRON_CRONTAB_ENV_ANNOTATION, CRON_NOT_RUN_ANNOTATION, cronCrontabEnv, cronNotRunReason, cronUndecidedAnnotation, cronUndecidedOnStage } from "./rules/cron.js";
import { repoWheneverTask } from "../../src/model/cron-env.js";
import { NGINX_CONTAINER, WEB_CONTAINER } from "./web-deployment.js";
import { WORKER_CONTAINER, workerSpecs, type WorkerSpec } from "./worker-deployment.js";
import { noWebPatches, webNotStarted } from "./left-out.js";
import { kubeletLiteral } from "../encode/kubelet.js";

export const PATCHES_FILE = "patches.yaml";

export function overlayKustomization(plan: Plan, sp: StagePlan, edgeFile: string | null, hasMigration: boolean, extraResources: string[] = []): Record<string, unknown> {
  const { app } = plan;
  // Every image the release builds is an `images:` entry, so one `kustomize edit set image` moves them all.
  const images: Record<string, string>[] = [imageEntry(appImage(app), plan.imageRepository, plan.imageTag)];
  if (plan.sidecar) images.push(imageEntry(nginxImage(app), `${plan.imageRepository}-nginx`, plan.imageTag));
  const migration = hasMigration ? migrationOverlay(plan) : null;
  const k: Record<string, unknown> = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    namespace: sp.namespace,
    resources: ["../../base", ...extraResources, ...(edgeFile ? [edgeFile] : [])],
    labels: [
      { pairs: { "app.kubernetes.io/instance": stageInstance(app, sp.stage.name) }, includeTemplates: true },
      // Never in a selector (selectors cannot change); the tag this overlay was written for.
      ...(versionLabel(plan.imageTag) ? [{ pairs: { "app.kubernetes.io/version": versionLabel(plan.imageTag) }, includeTemplates: true }] : []),
    ],
    images,
    configMapGenerator: [{ name: configMapName(app), envs: ["config.env"] }],
    secretGenerator: [{ name: secretName(app), envs: ["secrets.env"] }, ...(migration ? [migration.generator] : [])],
    // Labelled so the deploy applies config (and the migration's inputs) before the Job (see base/migration-job.yaml).
    generatorOptions: { labels: { "app.kubernetes.io/name": app, "app.kubernetes.io/component": "config" } },
    patches: [{ path: PATCHES_FILE }, ...(migration ? [migration.patch] : []), ...(webNotStarted(plan.model, sp.stage.name) ? noWebPatches(app) : [])],
  };
  if (migration) k["configurations"] = [KUSTOMIZE_CONFIG_FILE];
  return k;
}

/** Strategic-merge patches of the stage: grace periods, resources, HPA bounds, worker replicas, cron suspension. */
export function overlayPatches(plan: Plan, sp: StagePlan, crons: EmittedCron[], workers: WorkerSpec[] = workerSpecs(plan)): Record<string, unknown>[] {
  const { app } = plan;
  const webContainers: Record<string, unknown>[] = [{ name: WEB_CONTAINER, resources: resources(sp.webResources) }];
  void NGINX_CONTAINER;
  // A stage whose deploy starts no web server: its overlay deletes the base's web objects instead.
  const patches: Record<string, unknown>[] = webNotStarted(plan.model, sp.stage.name) ? [] : [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: webName(app) },
      spec: { template: { spec: { terminationGracePeriodSeconds: sp.webGrace, containers: webContainers } } },
    },
    {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: webName(app) },
      spec: { minReplicas: sp.minReplicas, maxReplicas: sp.maxReplicas },
    },
  ];
  const si = plan.stages.indexOf(sp);
  for (const w of workers)
    patches.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: w.name },
      spec: {
        replicas: w.stages[si]!.replicas,
        template: { spec: { terminationGracePeriodSeconds: w.stages[si]!.grace, containers: [{ name: WORKER_CONTAINER, ...(w.stages[si]!.args ? { args: w.stages[si]!.args!.map(kubeletLiteral) } : {}), resources: resources(sp.workerResources) }] } },
      },
    });
  for (const c of crons) {
    const notRun = cronNotRunReason(sp.stage, c.job, repoWheneverTask(plan.model.capistrano?.tasks));
    // The stage's own reason, stated on the object: whenever wrote no line here, whatever else the base says.
    if (notRun !== null) patches.push({ apiVersion: "batch/v1", kind: "CronJob", metadata: { name: c.name, annotations: { [CRON_NOT_RUN_ANNOTATION]: notRun } }, spec: { suspend: true } });
    if (notRun !== null) continue;
    // A condition this stage leaves open where others decide it: suspended here only.
    const undecided = cronUndecidedOnStage(sp.stage, c.job) !== null && !!c.job.condition;
    // The crontab's environment, where it is not the overlay's: run with it, or suspended where it is not known.
    const env = cronCrontabEnv(sp.stage, c.job, repoWheneverTask(plan.model.capistrano?.tasks));
    if (!undecided && !env) continue;
    const annotations = { ...(undecided ? cronUndecidedAnnotation(c.job) : {}), ...(env ? { [CRON_CRONTAB_ENV_ANNOTATION]: env.why } : {}) };
    const containers = env?.value ? [{ name: "cron", env: [{ name: env.variable, value: kubeletLiteral(env.value) }] }] : null;
    patches.push({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: c.name, annotations },
      spec: { ...(undecided || (env && env.value === null) ? { suspend: true } : {}), ...(containers ? { jobTemplate: { spec: { template: { spec: { containers } } } } } : {}) },
    });
  }
  return patches;
}

export const overlayDir = (stage: string) => k8sOverlay(stage);
