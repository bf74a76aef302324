// Gaps of the release family: the CI that builds and deploys, how the cluster gets the new tag, the
// branch each stage deploys from when Capistrano did not state it, and the cloud identities the
// pipeline assumes. Defaults come from emitters/release/rules.ts, the rules the emitters follow.
// A question that only one choice uses (the store of external-secrets, Argo CD's repo) is asked
// only after that choice (askIf); skipped, its emitter takes the same default.
import type { Gap } from "../model.js";
import type { ModelForGaps } from "./index.js";
import { BRANCH, CI_PROVIDERS, DEPLOY_MODES, defaultCi, ECR_REPOSITORY, stageBranch } from "../../emitters/release/rules.js";
import { SECRETS_BACKENDS } from "../../emitters/release/secrets-backend.js";
import { AWS_IDENTITIES, readsStaticKeys, roleAnswer } from "../../emitters/kustomize/secrets-backend/aws-identity.js";
import { needsMigration } from "../../emitters/kustomize/rules/migration.js";
import { secretKeys } from "../../emitters/kustomize/rules/server-files.js";
import { DEFAULT_KEY_SCHEME, DEFAULT_STORE } from "../../emitters/kustomize/secrets-backend/external-secrets.js";

export function releaseGaps(model: ModelForGaps): Gap[] {
  const ci = defaultCi(model);
  const gaps: Gap[] = [
    {
      id: "ci.provider",
      question: "Which CI builds the images and deploys each stage?",
      why: `default ${ci.provider}: ${ci.why}. none = no pipeline; bin/k8s-deploy still does the release by hand`,
      default: ci.provider,
      choices: [...CI_PROVIDERS],
      ...(ci.source ? { source: ci.source } : {}),
    },
    {
      id: "deploy.mode",
      question: "How does a new tag reach the cluster?",
      // No migration Job (no ActiveRecord database): the modes differ only in who applies the overlay.
      why: needsMigration(model)
        ? "push = the pipeline runs the migration Job and applies each overlay (default: what Capistrano did); argocd = the pipeline commits the new tag and Argo CD syncs it, running the migration Job as a PreSync hook"
        : "push = the pipeline applies each overlay (default: what Capistrano did); argocd = the pipeline commits the new tag and Argo CD syncs it",
      default: "push",
      choices: [...DEPLOY_MODES],
    },
    {
      id: "ci.cluster_access",
      askIf: [{ id: "ci.provider", oneOf: CI_PROVIDERS.filter((p) => p !== "none") }],
      question: "How does the pipeline reach the cluster?",
      why: `auto = EKS (aws eks update-kubeconfig with the deploy role) when image.repository is an ECR repository, else a kubeconfig held in the CI secret KUBECONFIG_DATA; eks; kubeconfig`,
      default: "auto",
      choices: ["auto", "eks", "kubeconfig"],
    },
    {
      id: "ci.aws.role_arn",
      // The role serves EKS access and ECR pushes: a kubeconfig cluster with another registry needs none.
      askIf: [
        { id: "ci.provider", oneOf: CI_PROVIDERS.filter((p) => p !== "none") },
        { id: "ci.cluster_access", oneOf: ["eks"], or: { id: "image.repository", matches: ECR_REPOSITORY, label: "an ECR repository" } },
      ],
      question: "Which IAM role does the pipeline assume (OIDC) to push to ECR and deploy to EKS?",
      why: "used with an ECR image repository or EKS access: the CI's OIDC token is exchanged for this role, no static AWS keys in CI. Left empty, the pipeline reads it from the CI secret AWS_ROLE_ARN",
      default: null,
      format: "iam-role-arn",
    },
    {
      id: "ci.eks.cluster",
      // auto means EKS only with an ECR image (emitters/release/plan.ts); kubeconfig never.
      askIf: [
        { id: "ci.provider", oneOf: CI_PROVIDERS.filter((p) => p !== "none") },
        { id: "ci.cluster_access", oneOf: ["auto", "eks"] },
        { id: "ci.cluster_access", oneOf: ["eks"], or: { id: "image.repository", matches: ECR_REPOSITORY, label: "an ECR repository" } },
      ],
      question: "Name of the EKS cluster the stages deploy to?",
      why: "used with EKS access (aws eks update-kubeconfig --name). Left empty, the pipeline reads it from the CI secret EKS_CLUSTER_NAME (set it per environment when stages use different clusters)",
      default: null,
      format: "eks-cluster",
    },
    {
      id: "argocd.repo_url",
      askIf: [{ id: "deploy.mode", oneOf: ["argocd"] }],
      question: "Which git URL does Argo CD read the overlays from?",
      why: "used when deploy.mode is argocd: each stage's Application syncs its overlay from this repository, at the stage's branch. Left empty, no Application is written",
      default: null,
      format: "git-url",
    },
    {
      id: "secrets.backend",
      question: "Where do the stages' secrets live at rest?",
      why: "env-files = a git-ignored secrets.env per stage, as today (default); external-secrets = a cloud secret store (AWS Secrets Manager, SSM Parameter Store...) read by the External Secrets Operator, the usual choice on EKS; sops = committed encrypted (SOPS) and decrypted by KSOPS",
      default: "env-files",
      choices: [...SECRETS_BACKENDS],
    },
    {
      id: "external_secrets.store",
      askIf: [{ id: "secrets.backend", oneOf: ["external-secrets"] }],
      question: "Name of the ClusterSecretStore the ExternalSecrets read from?",
      why: `used with secrets.backend external-secrets: the platform team's store (kubectl get clustersecretstores); default ${DEFAULT_STORE}`,
      default: DEFAULT_STORE,
      format: "dns-label",
    },
    {
      id: "external_secrets.key_scheme",
      askIf: [{ id: "secrets.backend", oneOf: ["external-secrets"] }],
      question: "How are the remote keys named in the secret store ({app}, {stage}, {key})?",
      why: `used with secrets.backend external-secrets: one remote secret per stage and variable; default ${DEFAULT_KEY_SCHEME} (start it with / for SSM Parameter Store)`,
      default: DEFAULT_KEY_SCHEME,
      format: "key-scheme",
    },
    {
      id: "sops.recipient",
      askIf: [{ id: "secrets.backend", oneOf: ["sops"] }],
      question: "Who can decrypt the stages' secrets (an age public key, or a KMS key ARN)?",
      why: "used with secrets.backend sops: .sops.yaml's creation rule encrypts every secrets.enc.env for it. Left empty, the rule names none and sops --encrypt needs --age or --kms",
      default: null,
      format: "sops-recipient",
    },
  ];
  if (readsStaticKeys(secretKeys(model))) {
    gaps.push({
      id: "aws.identity",
      question: "The app reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: on EKS, which identity should its pods use?",
      why: "static-keys = keep the keys in each stage's secrets (today's behaviour, default); irsa = IAM Roles for Service Accounts (a role annotation on a ServiceAccount per stage); pod-identity = EKS Pod Identity (an association per stage). With either role, the static keys leave the secrets",
      default: "static-keys",
      choices: [...AWS_IDENTITIES],
    });
    const stages = model.stages.length ? model.stages.map((s) => s.name) : ["production"];
    for (const st of stages)
      gaps.push({ id: roleAnswer(st), askIf: [{ id: "aws.identity", oneOf: ["irsa", "pod-identity"] }], question: `Which IAM role do stage ${st}'s pods assume (aws.identity irsa or pod-identity)?`, why: "its ARN goes on the stage's ServiceAccount (IRSA) or into the Pod Identity association; one role per stage keeps production's permissions apart", default: null, format: "iam-role-arn" });
  }
  for (const st of model.stages) {
    const b = stageBranch(st, {});
    // An asked branch is already the cap.<stage>.branch gap; a literal needs no question.
    if (b.answer === null || b.answer.startsWith("cap.")) continue;
    gaps.push({
      id: b.answer,
      question: `Which git branch deploys stage ${st.name}?`,
      why: b.offered
        ? `Capistrano's branch for ${st.name} is not a literal (read from the environment, default ${JSON.stringify(b.offered)}); the pipeline deploys ${st.name} on a push to this branch`
        : `Capistrano's branch for ${st.name} is not known statically; left empty, the pipeline does not deploy ${st.name} (bin/k8s-deploy does it by hand)`,
      // What the environment read fell back to, offered only when a pipeline can deploy it.
      default: b.offered !== null && BRANCH.test(b.offered) ? b.offered : null,
      format: "git-branch",
      source: b.source,
    });
  }
  return gaps;
}
