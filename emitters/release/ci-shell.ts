// The shell lines CircleCI and GitLab jobs share (GitHub uses its actions instead). Each reads repo
// values from environment variables the job sets (REPOSITORY, REGISTRY, REGION, STAGE...), never
// from its own text: the config's YAML carries the values, the commands only names.
import type { ReleasePlan } from "./plan.js";
import { AWS_ROLE_VARIABLE, EKS_CLUSTER_VARIABLE, KUBECONFIG_SECRET, REGISTRY_PASSWORD, REGISTRY_USERNAME } from "./rules.js";
import { SECRETS_ENV_SECRET } from "./secrets-env.js";
import { DEPLOY_SCRIPT } from "./deploy-script.js";

/** Versions of the tools the deploy jobs install (images without them). */
export const KUBECTL_IMAGE = "alpine/k8s:1.32.4";

/** The tag: the first 7 hex digits of the commit, the same in every job of the pipeline. */
export const TAG_LINE = (shaVar: string) => `TAG=$(printf '%s' "$${shaVar}" | cut -c1-7)`;

/** Variables the build job sets for its commands (values from the plan). */
export function buildEnv(rp: ReleasePlan): Record<string, string> {
  const env: Record<string, string> = { REGISTRY: rp.registry };
  if (rp.ecr) {
    env["AWS_REGION"] = rp.ecr.region;
    if (rp.roleArn) env[AWS_ROLE_VARIABLE] = rp.roleArn;
  }
  rp.images.forEach((img, i) => (env[`IMAGE_${i}`] = img.repository));
  return env;
}

/** OIDC token in a file → the AWS CLI assumes AWS_ROLE_ARN with it (web identity), no static keys. */
export const assumeRole = (tokenVar: string): string[] => [
  `printf '%s' "$${tokenVar}" > "$HOME/.aws-web-identity-token"`,
  `export AWS_WEB_IDENTITY_TOKEN_FILE="$HOME/.aws-web-identity-token" AWS_ROLE_ARN="$${AWS_ROLE_VARIABLE}" AWS_ROLE_SESSION_NAME=deploy`,
];

export function loginLines(rp: ReleasePlan, tokenVar: string): string[] {
  if (rp.ecr) return [...assumeRole(tokenVar), 'aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$REGISTRY"'];
  return [`printf '%s' "$${REGISTRY_PASSWORD}" | docker login --username "$${REGISTRY_USERNAME}" --password-stdin "$REGISTRY"`];
}

/** BuildKit (buildx) with the layer cache kept in the registry beside each image. */
export function buildLines(rp: ReleasePlan): string[] {
  const lines = ["docker buildx create --use --driver docker-container"];
  rp.images.forEach((img, i) => {
    lines.push(
      [
        "docker buildx build --push",
        `--file ${img.dockerfile}`,
        `--tag "$IMAGE_${i}:$TAG"`,
        ...(img.buildArgAppImage ? ['--build-arg "APP_IMAGE=$IMAGE_0:$TAG"'] : []),
        `--cache-from "type=registry,ref=$IMAGE_${i}:buildcache"`,
        `--cache-to "type=registry,ref=$IMAGE_${i}:buildcache,mode=max,image-manifest=true,oci-mediatypes=true"`,
        ".",
      ].join(" "),
    );
  });
  return lines;
}

/** Cluster access, the stage's secrets.env when the env-files backend holds the secrets, then the release. */
export function deployLines(rp: ReleasePlan, tokenVar: string, envFiles: boolean, shaVar: string): string[] {
  const lines = [TAG_LINE(shaVar)];
  if (rp.mode === "push") {
    if (rp.eks) lines.push(...assumeRole(tokenVar), `aws eks update-kubeconfig --name "$${EKS_CLUSTER_VARIABLE}" --region "$AWS_REGION"`);
    else lines.push("umask 077", `printf '%s\\n' "$${KUBECONFIG_SECRET}" > "$HOME/kubeconfig"`, 'export KUBECONFIG="$HOME/kubeconfig"');
    if (envFiles) lines.push("umask 077", `printf '%s\\n' "$${SECRETS_ENV_SECRET}" > "$OVERLAY/secrets.env"`);
    lines.push(`${DEPLOY_SCRIPT} "$STAGE" "$TAG"`);
  } else
    lines.push(
      `${DEPLOY_SCRIPT} "$STAGE" "$TAG"`,
      'git add -- "$OVERLAY/kustomization.yaml"',
      'git -c user.name=ci -c user.email=ci@localhost commit -m "Deploy $TAG to $STAGE"',
      'git pull --rebase origin "$BRANCH"',
      'git push origin "HEAD:$BRANCH"',
    );
  return lines;
}

/** Variables a stage's deploy job sets. */
export function deployEnv(rp: ReleasePlan, s: { key: string; overlay: string; branch: string | null }): Record<string, string> {
  const env: Record<string, string> = { STAGE: s.key, OVERLAY: s.overlay, BRANCH: s.branch ?? "" };
  if (rp.mode === "push" && rp.eks) {
    env["AWS_REGION"] = rp.ecr?.region ?? "";
    if (rp.roleArn) env[AWS_ROLE_VARIABLE] = rp.roleArn;
    if (rp.eksCluster) env[EKS_CLUSTER_VARIABLE] = rp.eksCluster;
  }
  if (!env["AWS_REGION"]) delete env["AWS_REGION"];
  return env;
}
