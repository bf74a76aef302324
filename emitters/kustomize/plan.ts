// Everything the resource emitters need, derived once from the model and the answers through the
// rules (rules/, indexed in rules/README.md). Per stage: replicas, grace periods, resources, hosts.
import type { AppModel, Answers, AppServerConfig, Source, Stage } from "../../src/model.js";
import { appServerFor, appServerKind } from "../app-server.js";
import { planConfig, type ConfigPlan } from "../rails-config/plan.js";
import { SIDECAR_ANSWER, sidecarDefault } from "../container/rules.js";
import { answerBool, answerNumber, answerResources, answerString, type ResourceSpec } from "./answers.js";
import { appName, stageInstance } from "./names.js";
import { imageTagOf } from "../release/rules.js";
import { EDGE_TARGETS, type EdgeTarget } from "./edge/index.js";
import { appServerTimeout, appServerWorkers, defaultMaxReplicas, webMinReplicas, workersPerPod } from "./rules/web.js";
import { defaultEdgeTarget } from "./rules/edge.js";
import { defaultWebResources, defaultWorkerResources } from "./rules/resources.js";
import { DEFAULT_CRON_TIME_ZONE, cronTimeZoneHint } from "./rules/cron.js";
import { DEFAULT_HEALTH_PATH, healthPath } from "./rules/health.js";
import { railsEnvOf } from "./rules/stage.js";
import { sidekiqConcurrency, sidekiqOfStage, workerReplicas, answeredThreads, type AnsweredThreads } from "./rules/sidekiq.js";
import { webGracePeriod, workerGracePeriod } from "./rules/shutdown.js";

export interface StagePlan {
  stage: Stage;
  railsEnv: string;
  namespace: string;
  minReplicas: number;
  maxReplicas: number;
  workerReplicas: number;
  appServer: AppServerConfig | null;
  webTimeout: { seconds: number; source: Source | null };
  webGrace: number;
  sidekiqTimeout: number;
  workerGrace: number;
  webResources: ResourceSpec;
  workerResources: ResourceSpec;
}

export interface Plan {
  model: AppModel;
  answers: Answers;
  app: string;
  kind: "unicorn" | "puma" | "passenger";
  sidecar: boolean;
  health: { path: string; source: Source | null };
  edgeTarget: EdgeTarget;
  cronTimeZone: string;
  imageRepository: string;
  imageTag: string;
  stages: StagePlan[];
  /** The Global → config_for plan: the values it moves to each stage's environment. */
  config: ConfigPlan;
}

/** A model without Capistrano stages still gets one overlay: production, with one server. */
export function stagesOf(model: AppModel): Stage[] {
  if (model.stages.length) return model.stages;
  return [{ name: "production", source: model.name.source, variables: {}, servers: [], undeclared: true }];
}

/** The web resources default: from the most Unicorn/Puma workers any stage ran. */
export function webResourcesDefault(model: Omit<AppModel, "gaps">): ResourceSpec {
  const stages = model.stages.length ? model.stages : [null];
  return defaultWebResources(Math.max(...stages.map((s) => workersPerPod(appServerWorkers(appServerFor(model, s))))));
}

/**
 * `threads`: a worker's answered thread count on a stage, where only a placeholder stood (rules/sidekiq.ts
 * answeredThreads); without it, each count is the analysis' own (the resources question's default).
 */
export function workerResourcesDefault(model: Omit<AppModel, "gaps">, threads: (stage: string, worker: string) => AnsweredThreads | undefined = () => undefined): ResourceSpec {
  // Each stage's Sidekiq as capistrano-sidekiq ran it (its sidekiq_concurrency, sidekiq_config, sidekiq_env).
  const counts = model.stages.length ? model.stages.map((s) => sidekiqOfStage(model, s, undefined, undefined, threads(s.name, "worker")).concurrency) : [sidekiqConcurrency(model, "production")];
  // capistrano-sidekiq 3.x's units of other sidekiq_config_files entries run their own files' concurrency.
  const unitWorker = (entry: string) => (model.workers ?? []).find((w) => w.sidekiqConfig?.entry === entry)?.name ?? "worker";
  for (const s of model.stages)
    for (const u of model.sidekiq?.units?.[s.name] ?? []) if (u.servers !== 0 && model.sidekiq?.configFiles?.[u.entry]?.facts) counts.push(sidekiqOfStage(model, s, undefined, u, threads(s.name, unitWorker(u.entry))).concurrency);
  // Sidekiq's Deployments with options of their own (its own start line, sidekiq_options_per_process)
  // run their `-c`, or their `-C` file's concurrency. Where every one is a start line's
  // (analyzers/workers/sidekiq-line.ts), the stage's plain Sidekiq ran nowhere: its count is not one.
  const own = (model.workers ?? []).filter((w) => w.backend === "sidekiq" && w.carried && w.sidekiqOptions);
  const stages = model.stages.length ? model.stages : stagesOf(model as AppModel);
  const ownCounts = own.flatMap((w) => stages.map((s) => sidekiqOfStage(model, s, w.sidekiqOptions, undefined, threads(s.name, w.name)).concurrency));
  const lineOnly = own.length > 0 && (model.workers ?? []).filter((w) => w.backend === "sidekiq" && w.carried).every((w) => w.sidekiqOptions?.line);
  return defaultWorkerResources(Math.max(...(lineOnly ? ownCounts : [...counts, ...ownCounts])));
}

export function makePlan(model: AppModel, answers: Answers): Plan {
  const app = appName(model);
  const found = healthPath(model);
  const target = answerString(answers, "edge.target", defaultEdgeTarget(model).target);
  const webRes = answerResources(answers, "resources.web", webResourcesDefault(model));
  // A thread count answered where a placeholder stood resizes the workers, unless resources.worker
  // was answered with sizes of its own: an answer still equal to the default sized for the placeholder
  // (the question's default, asked before the count was known) follows the count.
  const asAnalyzed = workerResourcesDefault(model);
  const given = answerResources(answers, "resources.worker", asAnalyzed);
  const workerRes = JSON.stringify(given) === JSON.stringify(asAnalyzed) ? workerResourcesDefault(model, (stage, worker) => answeredThreads(model, answers, stage, worker)) : given;
  const stages = stagesOf(model).map((stage): StagePlan => {
    const railsEnv = railsEnvOf(stage);
    const appServer = appServerFor(model, model.stages.length ? stage : null);
    const timeout = appServerTimeout(appServer);
    const min = webMinReplicas(stage, model.nginx, appServer);
    const skTimeout = sidekiqOfStage(model, stage).timeout;
    return {
      stage,
      railsEnv,
      namespace: answerString(answers, `stage.${stage.name}.namespace`, stageInstance(app, stage.name)),
      minReplicas: min,
      // Never below today's capacity, whatever the answer says.
      maxReplicas: Math.max(min, answerNumber(answers, `stage.${stage.name}.max_replicas`, defaultMaxReplicas(min))),
      // capistrano-sidekiq's own count where it started Sidekiq (its roles and processes, by version).
      workerReplicas: model.sidekiq?.started?.[stage.name]?.processes ?? workerReplicas(stage, model.sidekiq?.unreadSettings),
      appServer,
      webTimeout: timeout,
      webGrace: webGracePeriod(timeout.seconds),
      sidekiqTimeout: skTimeout,
      workerGrace: workerGracePeriod(skTimeout),
      webResources: webRes,
      workerResources: workerRes,
    };
  });
  return {
    model,
    answers,
    app,
    kind: appServerKind(model),
    // The same default as the container emitter: both must agree on nginx in the pod.
    sidecar: answerBool(answers, SIDECAR_ANSWER, sidecarDefault(model).keep),
    health: { path: answerString(answers, "health.path", found?.path ?? DEFAULT_HEALTH_PATH), source: found?.source ?? null },
    edgeTarget: (EDGE_TARGETS as readonly string[]).includes(target) ? (target as EdgeTarget) : "gateway",
    cronTimeZone: answerString(answers, "cron.time_zone", cronTimeZoneHint(model)?.zone ?? DEFAULT_CRON_TIME_ZONE),
    imageRepository: answerString(answers, "image.repository", `registry.example.com/${app}`),
    imageTag: imageTagOf(model, answers),
    stages,
    config: planConfig(model, answers),
  };
}
