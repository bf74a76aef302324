// .gitlab-ci.yml: build and push on a push to a stage's branch, then deploy each stage from its
// branch into a GitLab environment of the same name; production is a protected environment (set in
// the project's settings) and its job starts by hand. ECR/EKS access uses GitLab's OIDC id_tokens.
import type { ReleasePlan, ReleaseStage } from "./plan.js";
import { buildEnv, buildLines, deployEnv, deployLines, KUBECTL_IMAGE, loginLines, TAG_LINE } from "./ci-shell.js";

export const GITLAB_CONFIG = ".gitlab-ci.yml";
const SHA = "CI_COMMIT_SHA";
const TOKEN = "AWS_ID_TOKEN";

export function gitlabConfig(rp: ReleasePlan, envFiles: boolean): Record<string, unknown> {
  const stages = rp.stages.filter((s): s is ReleaseStage & { branch: string } => s.branch !== null);
  const branches = [...new Set(stages.map((s) => s.branch))];
  const onBranch = (b: string) => `$CI_COMMIT_BRANCH == ${JSON.stringify(b)}`;
  const aws = rp.ecr !== null || rp.eks;
  const idTokens = aws ? { id_tokens: { [TOKEN]: { aud: "sts.amazonaws.com" } } } : {};
  const config: Record<string, unknown> = {
    stages: ["build", "deploy"],
    build: {
      stage: "build",
      image: "docker:27",
      services: ["docker:27-dind"],
      variables: { DOCKER_TLS_CERTDIR: "/certs", ...buildEnv(rp) },
      ...idTokens,
      rules: [{ if: branches.map(onBranch).join(" || ") }],
      script: [TAG_LINE(SHA), ...(rp.ecr ? ["apk add --no-cache aws-cli"] : []), ...loginLines(rp, TOKEN), ...buildLines(rp)],
    },
  };
  for (const s of stages)
    config[`deploy-${s.key}`] = {
      stage: "deploy",
      image: { name: KUBECTL_IMAGE, entrypoint: [""] },
      needs: ["build"],
      variables: deployEnv(rp, s),
      ...(rp.mode === "push" ? idTokens : {}),
      environment: { name: s.key, ...(s.protected ? { deployment_tier: "production" } : {}) },
      resource_group: s.key,
      rules: [s.protected ? { if: onBranch(s.branch), when: "manual" } : { if: onBranch(s.branch) }],
      script: deployLines(rp, TOKEN, envFiles, SHA),
    };
  return config;
}
