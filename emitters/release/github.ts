// .github/workflows/rails2k8s-deploy.yml: on a push to a stage's branch, build and push every image
// of the release tagged with the commit, then deploy that stage with bin/k8s-deploy (push mode) or
// commit the new tag for Argo CD (argocd mode). Production runs in a GitHub environment, where the
// team sets required reviewers. Repo values reach shell commands only through `env:`, never inside
// `run:` text; the YAML is written by the yaml library.
import type { ReleasePlan, ReleaseStage } from "./plan.js";
import { AWS_ROLE_VARIABLE, EKS_CLUSTER_VARIABLE, KUBECONFIG_SECRET, REGISTRY_PASSWORD, REGISTRY_USERNAME } from "./rules.js";
import { DEPLOY_SCRIPT } from "./deploy-script.js";
import { SECRETS_ENV_SECRET } from "./secrets-env.js";

export const GITHUB_WORKFLOW = ".github/workflows/rails2k8s-deploy.yml";

type Step = Record<string, unknown>;
const expr = (e: string) => "${{ " + e + " }}";
const TAG = expr("steps.tag.outputs.tag");

export function githubWorkflow(rp: ReleasePlan, envFiles: boolean): Record<string, unknown> {
  const stages = rp.stages.filter((s): s is ReleaseStage & { branch: string } => s.branch !== null);
  const branches = [...new Set(stages.map((s) => s.branch))];
  const oidc = rp.ecr !== null || rp.eks;
  const jobs: Record<string, unknown> = { build: buildJob(rp, oidc) };
  for (const s of stages) jobs[`deploy-${s.key}`] = deployJob(rp, s, envFiles);
  return {
    name: "Deploy",
    on: { push: { branches } },
    permissions: { contents: "read" },
    jobs,
  };
}

function awsCredentials(rp: ReleasePlan, region: string): Step {
  return {
    name: "Assume the deploy role (OIDC)",
    uses: "aws-actions/configure-aws-credentials@v4",
    with: { "role-to-assume": rp.roleArn ?? expr(`secrets.${AWS_ROLE_VARIABLE}`), "aws-region": region },
  };
}

const region = (rp: ReleasePlan) => rp.ecr?.region ?? expr("secrets.AWS_REGION");

function buildJob(rp: ReleasePlan, oidc: boolean): Record<string, unknown> {
  const steps: Step[] = [
    { uses: "actions/checkout@v4" },
    { name: "Tag: the commit's short SHA", id: "tag", run: 'echo "tag=$(git rev-parse --short=7 HEAD)" >> "$GITHUB_OUTPUT"' },
    { uses: "docker/setup-buildx-action@v3" },
  ];
  if (rp.ecr) steps.push(awsCredentials(rp, rp.ecr.region), { name: "Log in to ECR", uses: "aws-actions/amazon-ecr-login@v2" });
  else
    steps.push({
      name: `Log in to ${rp.registry}`,
      uses: "docker/login-action@v3",
      with: { ...(rp.registry === "docker.io" ? {} : { registry: rp.registry }), username: expr(`secrets.${REGISTRY_USERNAME}`), password: expr(`secrets.${REGISTRY_PASSWORD}`) },
    });
  const app = rp.images[0]!;
  for (const img of rp.images)
    steps.push({
      name: `Build and push ${img.name}`,
      uses: "docker/build-push-action@v6",
      with: {
        context: ".",
        file: img.dockerfile,
        push: true,
        tags: `${img.repository}:${TAG}`,
        ...(img.buildArgAppImage ? { "build-args": `APP_IMAGE=${app.repository}:${TAG}` } : {}),
        // BuildKit layer cache in the GitHub Actions cache, one scope per image.
        "cache-from": `type=gha,scope=${img.name}`,
        "cache-to": `type=gha,mode=max,scope=${img.name}`,
      },
    });
  return {
    "runs-on": "ubuntu-latest",
    permissions: { contents: "read", ...(oidc ? { "id-token": "write" } : {}) },
    outputs: { tag: TAG },
    steps,
  };
}

function deployJob(rp: ReleasePlan, s: ReleaseStage & { branch: string }, envFiles: boolean): Record<string, unknown> {
  const argocd = rp.mode === "argocd";
  const steps: Step[] = [{ uses: "actions/checkout@v4" }];
  const env: Record<string, string> = { STAGE: s.key, TAG: expr("needs.build.outputs.tag") };
  if (argocd) {
    steps.push(
      { name: `Set the images of ${s.name} to the new tag`, env, run: `${DEPLOY_SCRIPT} "$STAGE" "$TAG"` },
      {
        name: "Commit the new tag (Argo CD syncs it)",
        env: { ...env, BRANCH: s.branch, OVERLAY: s.overlay },
        run: [
          'git config user.name "github-actions[bot]"',
          'git config user.email "41898282+github-actions[bot]@users.noreply.github.com"',
          'git add -- "$OVERLAY/kustomization.yaml"',
          'git commit -m "Deploy $TAG to $STAGE"',
          'git pull --rebase origin "$BRANCH"',
          'git push origin "HEAD:$BRANCH"',
        ].join("\n"),
      },
    );
  } else {
    if (rp.eks)
      steps.push(awsCredentials(rp, region(rp)), {
        name: "Cluster access (EKS)",
        env: { CLUSTER: rp.eksCluster ?? expr(`secrets.${EKS_CLUSTER_VARIABLE}`), REGION: region(rp) },
        run: 'aws eks update-kubeconfig --name "$CLUSTER" --region "$REGION"',
      });
    else
      steps.push({
        name: "Cluster access (kubeconfig)",
        env: { KUBECONFIG_DATA: expr(`secrets.${KUBECONFIG_SECRET}`) },
        run: 'umask 077\nprintf \'%s\\n\' "$KUBECONFIG_DATA" > "$RUNNER_TEMP/kubeconfig"\necho "KUBECONFIG=$RUNNER_TEMP/kubeconfig" >> "$GITHUB_ENV"',
      });
    if (envFiles)
      steps.push({
        name: "Write the stage's secrets.env (from the environment's secret)",
        env: { SECRETS_ENV: expr(`secrets.${SECRETS_ENV_SECRET}`), OVERLAY: s.overlay },
        run: 'umask 077\nprintf \'%s\\n\' "$SECRETS_ENV" > "$OVERLAY/secrets.env"',
      });
    steps.push({ name: `Migrate and roll out ${s.name}`, env, run: `${DEPLOY_SCRIPT} "$STAGE" "$TAG"` });
  }
  return {
    needs: "build",
    if: `github.ref == 'refs/heads/${s.branch}'`,
    "runs-on": "ubuntu-latest",
    // Secrets and protection rules per stage; production's required reviewers are set in the
    // repository's settings (Environments), which a workflow file cannot do.
    environment: s.key,
    concurrency: { group: `deploy-${s.key}`, "cancel-in-progress": false },
    permissions: { contents: argocd ? "write" : "read", ...(!argocd && rp.eks ? { "id-token": "write" } : {}) },
    steps,
  };
}
