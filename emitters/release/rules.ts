// The release rules in one place: which CI, which branch deploys which stage, which registry login,
// which tag the overlays start from. The gaps (src/gaps/release.ts) and the release emitters both
// read them, so a default and the output that follows it cannot disagree.
import type { Answers, AppModel, CiProvider, RValue, Source, Stage } from "../../src/model.js";
import { isEnvRefShape, isSym, isUnknown, railsEnvOf } from "../../src/model.js";
import { productionStage } from "../kustomize/rules/stage.js";
import { answerString } from "../kustomize/answers.js";

type ModelLike = Omit<AppModel, "gaps">;

export const CI_PROVIDERS = ["github-actions", "circleci", "gitlab", "none"] as const;
export type CiChoice = (typeof CI_PROVIDERS)[number];
export const DEPLOY_MODES = ["push", "argocd"] as const;
export type DeployMode = (typeof DEPLOY_MODES)[number];

/** The tag the overlays carry when the repo is not a git checkout: no image has it, so nothing runs until the pipeline sets a real one. */
export const UNRELEASED_TAG = "unreleased";

/** The overlays' first tag: the repo's HEAD, short SHA; null when the repo is not a git checkout. */
export const initialTag = (model: ModelLike): { tag: string; source: Source } | null =>
  model.release?.commit ? { tag: model.release.commit.value, source: model.release.commit.source } : null;

/** `image.tag`, never `latest`: a tag that names no commit makes the deployed version depend on timing. */
export function imageTagOf(model: ModelLike, answers: Answers): string {
  const fallback = initialTag(model)?.tag ?? UNRELEASED_TAG;
  const t = answerString(answers, "image.tag", fallback);
  return t === "latest" ? fallback : t;
}

export function defaultCi(model: ModelLike): { provider: CiProvider; why: string; source?: Source } {
  const found = model.release?.ci ?? [];
  if (found.length)
    return { provider: found[0]!.provider, why: `the repo already runs ${found.map((f) => `${f.provider} (${f.source.file})`).join(", ")}`, source: found[0]!.source };
  return { provider: "github-actions", why: "no CI config in the repo (.github/workflows, .circleci, .gitlab-ci.yml)" };
}

export const ciChoice = (model: ModelLike, answers: Answers): CiChoice => {
  const v = answerString(answers, "ci.provider", defaultCi(model).provider);
  return (CI_PROVIDERS as readonly string[]).includes(v) ? (v as CiChoice) : defaultCi(model).provider;
};

export const deployMode = (answers: Answers): DeployMode => (answerString(answers, "deploy.mode", "push") === "argocd" ? "argocd" : "push");

/**
 * A branch name as `git check-ref-format --branch` allows it (no `..` or `//`, no component starting
 * with `.` or ending with `.lock`, not `-`-first, not HEAD, not ending with `/` or `.`), in the
 * characters every CI config can hold without quoting games.
 */
export const BRANCH = /^(?![-/])(?!HEAD$)(?!.*\.\.)(?!.*\/\/)(?!.*(?:^|\/)\.)(?!.*\.lock(?:\/|$))[A-Za-z0-9._/-]{1,200}(?<![./])$/;

/** An EKS cluster name as the EKS API takes it. */
export const EKS_CLUSTER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export interface StageBranch {
  /** The branch the stage deploys from, or null when nobody has said. */
  branch: string | null;
  /** The answer that holds it when Capistrano did not state it. */
  answer: string | null;
  /** What Capistrano's config offered when it did not state it (an ask or ENV default). */
  offered: string | null;
  source: Source;
}

/**
 * The branch Capistrano deployed for a stage: a literal is a fact; `ask :branch` is the cap gap
 * already asked; an ENV read or an unknown is a gap of its own whose default is what Capistrano fell back to.
 */
export function stageBranch(stage: Stage, answers: Answers): StageBranch {
  const fact = stage.variables["branch"];
  const source = fact?.source ?? stage.source;
  const asked = (Array.isArray(stage.asked) ? stage.asked : []).find((a) => a?.name === "branch");
  if (asked) {
    const id = `cap.${stage.name}.branch`;
    const offered = typeof asked.default === "string" ? asked.default : null;
    return { branch: branchOrNull(answers[id] ?? offered), answer: id, offered, source: asked.source ?? source };
  }
  // `set :branch, :main`: git is given the Symbol's name
  const named = fact && isSym(fact.value) ? fact.value.sym : fact?.value;
  if (fact && typeof named === "string") return { branch: branchOrNull(named), answer: null, offered: null, source };
  const id = branchAnswer(stage.name);
  const offered = offeredBranch(fact?.value);
  return { branch: branchOrNull(id in answers ? answers[id] : offered), answer: id, offered, source };
}

export const branchAnswer = (stage: string) => `ci.${stage}.branch`;

function offeredBranch(v: RValue | undefined): string | null {
  if (v === undefined || v === null || isUnknown(v)) return null;
  if (isEnvRefShape(v) && typeof v.default === "string") return v.default;
  return null;
}

const branchOrNull = (v: RValue | undefined): string | null => (typeof v === "string" && BRANCH.test(v) ? v : null);

/** Production runs behind a protected environment: the stage named production, or the stages running RAILS_ENV=production. */
export function isProtectedStage(model: ModelLike, stage: Stage): boolean {
  const prod = productionStage(model.stages);
  return prod ? prod.name === stage.name : railsEnvOf(stage) === "production";
}

/** An ECR repository as a regular expression's text (a gap's askIf takes it): group 1 the registry, 2 the region. */
export const ECR_REPOSITORY = String.raw`^([0-9]{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?)/`;

/** An ECR repository (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`): its registry host and region. */
export function ecrOf(repository: string): { registry: string; region: string } | null {
  const m = new RegExp(ECR_REPOSITORY).exec(repository);
  return m ? { registry: m[1]!, region: m[2]! } : null;
}

/** The registry host of an image repository (Docker Hub when the first part is not a host). */
export function registryOf(repository: string): string {
  const first = repository.split("/")[0]!;
  return repository.includes("/") && /[.:]|^localhost$/.test(first) ? first : "docker.io";
}

export const IAM_ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;

/** Secrets the pipeline reads, by name (their values live in the CI's secret store). */
export const REGISTRY_USERNAME = "REGISTRY_USERNAME";
export const REGISTRY_PASSWORD = "REGISTRY_PASSWORD";
/** Holds a kubeconfig for the cluster (non-EKS clusters). */
export const KUBECONFIG_SECRET = "KUBECONFIG_DATA";
/** CI variables when the answer is left open. */
export const AWS_ROLE_VARIABLE = "AWS_ROLE_ARN";
export const EKS_CLUSTER_VARIABLE = "EKS_CLUSTER_NAME";
