// What every release emitter reads, computed once from the kustomize plan (so a tag, an image name,
// a namespace or a Deployment is the one the overlays carry) and the release rules.
import type { AppModel, Answers, Source } from "../../src/model.js";
import { makePlan, type Plan } from "../kustomize/plan.js";
import { appImage, nginxImage, webName, workerName } from "../kustomize/names.js";
import { workerDeploymentName, workersOf } from "../kustomize/worker-deployment.js";
import { needsMigration } from "../kustomize/rules/migration.js";
import { k8sOverlay } from "../contract.js";
import { webNotStarted } from "../kustomize/left-out.js";
import { stageLabel } from "../../src/model/names.js";
import { answerString } from "../kustomize/answers.js";
import { ciChoice, deployMode, ecrOf, EKS_CLUSTER, IAM_ROLE_ARN, isProtectedStage, registryOf, stageBranch, type CiChoice, type DeployMode } from "./rules.js";

export interface ReleaseImage {
  /** The name the base uses (`images:` entry). */
  name: string;
  /** Where it is pushed. */
  repository: string;
  /** Built from this Dockerfile, with this context. */
  dockerfile: string;
  /** The app image, which the nginx image copies its assets from. */
  buildArgAppImage: boolean;
}

export interface ReleaseStage {
  name: string;
  /** Overlay directory name and bin/k8s-deploy's STAGE argument. */
  key: string;
  overlay: string;
  namespace: string;
  branch: string | null;
  protected: boolean;
  source: Source;
  /** The deploy starts no web server on the stage: its overlay has no web Deployment to wait for. */
  noWeb?: true;
}

export interface ReleasePlan {
  kustomize: Plan;
  app: string;
  ci: CiChoice;
  mode: DeployMode;
  images: ReleaseImage[];
  stages: ReleaseStage[];
  deployments: string[];
  migration: boolean;
  ecr: { registry: string; region: string } | null;
  registry: string;
  /** The IAM role the pipeline assumes (OIDC), or null: then a CI variable holds it. */
  roleArn: string | null;
  eks: boolean;
  eksCluster: string | null;
}

export function makeReleasePlan(model: AppModel, answers: Answers): ReleasePlan {
  const k = makePlan(model, answers);
  const images: ReleaseImage[] = [{ name: appImage(k.app), repository: k.imageRepository, dockerfile: "Dockerfile", buildArgAppImage: false }];
  if (k.sidecar) images.push({ name: nginxImage(k.app), repository: `${k.imageRepository}-nginx`, dockerfile: "docker/nginx/Dockerfile", buildArgAppImage: true });
  const ecr = ecrOf(k.imageRepository);
  const access = answerString(answers, "ci.cluster_access", "auto");
  const role = answerString(answers, "ci.aws.role_arn", "");
  const cluster = answerString(answers, "ci.eks.cluster", "");
  return {
    kustomize: k,
    app: k.app,
    ci: ciChoice(model, answers),
    mode: deployMode(answers),
    images,
    stages: k.stages.map((sp) => ({
      name: sp.stage.name,
      key: stageLabel(sp.stage.name),
      overlay: k8sOverlay(sp.stage.name),
      namespace: sp.namespace,
      branch: model.stages.length ? stageBranch(sp.stage, answers).branch : null,
      protected: isProtectedStage(model, sp.stage),
      source: sp.stage.source,
      ...(webNotStarted(model, sp.stage.name) ? { noWeb: true as const } : {}),
    })),
    // A Sidekiq split by sidekiq_options_per_process is several Deployments: each is waited for.
    deployments: [`deployment/${webName(k.app)}`, ...(model.sidekiq ? sidekiqDeployments(model, k.app) : [])],
    migration: needsMigration(model),
    ecr,
    registry: ecr?.registry ?? registryOf(k.imageRepository),
    roleArn: IAM_ROLE_ARN.test(role) ? role : null,
    eks: access === "eks" || (access === "auto" && ecr !== null),
    eksCluster: EKS_CLUSTER.test(cluster) ? cluster : null,
  };
}

/** The Sidekiq worker Deployments: the one it always had, or each of a split Sidekiq's (per-process options, or 3.x's config files). */
function sidekiqDeployments(model: AppModel, app: string): string[] {
  const split = workersOf(model).filter((w) => w.carried && w.commandFrom === "sidekiq" && (w.sidekiqOptions || w.sidekiqConfig));
  return split.length ? split.map((w) => `deployment/${workerDeploymentName(app, w)}`) : [`deployment/${workerName(app)}`];
}
