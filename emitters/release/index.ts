// The release emitter: bin/k8s-deploy and the CI pipeline of the answer ci.provider. It reads the
// same plan as the kustomize emitter (release/plan.ts), so tags, images, namespaces and Deployments
// are the overlays' own.
import type { AppModel, Answers, EmitResult } from "../../src/model.js";
import { toYaml } from "../kustomize/yaml.js";
import { DEPLOY_SCRIPT, emitDeployScript } from "./deploy-script.js";
import { GITHUB_WORKFLOW, githubWorkflow } from "./github.js";
import { CIRCLECI_CONFIG, circleciConfig } from "./circleci.js";
import { GITLAB_CONFIG, gitlabConfig } from "./gitlab.js";
import { makeReleasePlan } from "./plan.js";
import { AWS_ROLE_VARIABLE, EKS_CLUSTER_VARIABLE, KUBECONFIG_SECRET, REGISTRY_PASSWORD, REGISTRY_USERNAME, UNRELEASED_TAG } from "./rules.js";
import { SECRETS_ENV_SECRET } from "./secrets-env.js";
import { secretsBackend } from "./secrets-backend.js";
import { SOPS_CONFIG, sopsConfig, sopsRecipient } from "../kustomize/secrets-backend/sops.js";
import { argocdApplication, argocdApplicationFile, REPO_URL } from "./argocd.js";
import { answerString } from "../kustomize/answers.js";

export function emitRelease(model: AppModel, answers: Answers): EmitResult {
  const rp = makeReleasePlan(model, answers);
  const out: EmitResult = { files: [], provenance: [], notes: [] };
  const envFiles = secretsBackend(answers) === "env-files";
  out.files.push({ path: DEPLOY_SCRIPT, content: emitDeployScript(rp), mode: 0o755 });
  if (secretsBackend(answers) === "sops") {
    const recipient = sopsRecipient(answers);
    out.files.push({ path: SOPS_CONFIG, content: toYaml([sopsConfig(recipient)], "Written by rails2k8s: every stage's secrets.enc.env is encrypted for this recipient.") });
    if (!recipient) out.notes.push({ message: `${SOPS_CONFIG}: no recipient is known (answer sops.recipient with an age public key or a KMS key ARN), so the creation rule names none` });
  }
  out.provenance.push({ output: DEPLOY_SCRIPT, what: `images ${rp.images.map((i) => i.name).join(", ")}, Deployments ${rp.deployments.join(", ")}${rp.migration ? ", the migration Job first" : ""}`, source: model.name.source });

  const tag = rp.kustomize.imageTag;
  if (tag === UNRELEASED_TAG)
    out.notes.push({ message: `the overlays start at image tag ${UNRELEASED_TAG}, which no image has (the repo is not a git checkout, so no commit names the first build): the first pipeline run, or bin/k8s-deploy STAGE TAG, sets the real one` });
  else if (model.release?.commit && tag === model.release.commit.value)
    out.provenance.push({ output: "k8s/overlays", what: `first image tag ${tag}: the repo's commit (short SHA); the pipeline moves it with each release`, source: model.release.commit.source });

  const undeployed = rp.stages.filter((s) => s.branch === null);
  if (rp.ci !== "none")
    for (const s of undeployed)
      out.notes.push({ message: `stage ${s.name}: no branch is known to deploy it (answer ci.${s.name}.branch or cap.${s.name}.branch), so the pipeline does not deploy it; run bin/k8s-deploy ${s.key} TAG by hand`, source: s.source });
  if (rp.ci !== "none" && rp.stages.every((s) => s.branch === null)) {
    out.notes.push({ message: "no stage has a known branch: no pipeline was written" });
    return out;
  }
  const comment = "Written by rails2k8s: build and push every image tagged with the commit, then release each stage from its branch with bin/k8s-deploy.";
  if (rp.ci === "github-actions") out.files.push({ path: GITHUB_WORKFLOW, content: toYaml([githubWorkflow(rp, envFiles)], comment) });
  if (rp.ci === "circleci") out.files.push({ path: CIRCLECI_CONFIG, content: toYaml([circleciConfig(rp, envFiles)], comment) });
  if (rp.ci === "gitlab") out.files.push({ path: GITLAB_CONFIG, content: toYaml([gitlabConfig(rp, envFiles)], comment) });
  if (rp.ci !== "none") out.notes.push({ message: ciSettings(rp, envFiles) });
  if (rp.mode === "argocd") {
    const url = answerString(answers, "argocd.repo_url", "");
    if (!REPO_URL.test(url)) out.notes.push({ message: "deploy.mode argocd: no Argo CD Application was written, as no git URL is known (answer argocd.repo_url)" });
    else
      for (const s of rp.stages)
        if (s.branch !== null)
          out.files.push({ path: argocdApplicationFile(s.key), content: toYaml([argocdApplication(rp, { ...s, branch: s.branch }, url)], `Stage ${s.name}: Argo CD syncs ${s.overlay} from branch ${s.branch}; apply once: kubectl apply -f ${argocdApplicationFile(s.key)}`) });
  }
  if (rp.mode === "argocd" && (rp.ci === "gitlab" || rp.ci === "circleci"))
    out.notes.push({ message: `deploy.mode argocd: the ${rp.ci === "gitlab" ? "GitLab" : "CircleCI"} deploy jobs push the new tag to the stage's branch, which needs a credential with write access (${rp.ci === "gitlab" ? "a project access token in the clone URL, or a deploy key" : "a read-write deploy key added to the project"}); GitHub's token does this by itself` });
  if (rp.mode === "argocd" && envFiles)
    out.notes.push({ message: "deploy.mode argocd with secrets.backend env-files: Argo CD builds the overlay from git, where secrets.env is not (it is git-ignored); choose external-secrets or sops" });
  return out;
}

/** What the team sets in the CI's settings, which no file in the repo can. */
function ciSettings(rp: ReleasePlan, envFiles: boolean): string {
  const where = rp.ci === "github-actions" ? "GitHub (Settings → Environments, one per stage)" : rp.ci === "circleci" ? "CircleCI (one context per stage)" : "GitLab (Settings → CI/CD → Variables, scoped to each environment)";
  const secrets: string[] = [];
  if (rp.ecr || rp.eks) secrets.push(rp.roleArn ? `the deploy role ${rp.roleArn} trusting the CI's OIDC provider` : `the secret ${AWS_ROLE_VARIABLE} (the IAM role the pipeline assumes through OIDC; answer ci.aws.role_arn to write it in)`);
  if (!rp.ecr) secrets.push(`the secrets ${REGISTRY_USERNAME} and ${REGISTRY_PASSWORD} (login to ${rp.registry})`);
  if (rp.mode === "push") {
    if (rp.eks) secrets.push(rp.eksCluster ? `EKS access for that role to cluster ${rp.eksCluster}` : `the secret ${EKS_CLUSTER_VARIABLE}${rp.ecr ? "" : " and AWS_REGION"}`);
    else secrets.push(`the secret ${KUBECONFIG_SECRET} (a kubeconfig for the stage's namespace)`);
    if (envFiles) secrets.push(`the secret ${SECRETS_ENV_SECRET} per stage (the text of that stage's secrets.env)`);
  }
  const prod = rp.stages.filter((s) => s.protected).map((s) => s.name);
  return `CI settings to make in ${where}: ${secrets.join("; ")}.${prod.length ? ` Protect ${prod.join(", ")}: ${rp.ci === "github-actions" ? "required reviewers on its environment" : rp.ci === "circleci" ? "its deploy waits for an approval job; restrict who may approve with the context's security group" : "make its environment protected (Settings → CI/CD → Protected environments) with allowed deployers"}.` : ""}`;
}
import type { ReleasePlan } from "./plan.js";
