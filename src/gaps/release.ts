// Gaps of the release family: the CI that builds and deploys, how the cluster gets the new tag, the
// branch each stage deploys from when Capistrano did not state it, and the cloud identities the
// pipeline assumes. Defaults come from emitters/release/rules.ts, the rules the emitters follow.
import type { Gap } from "../model.js";
import type { ModelForGaps } from "./index.js";
import { CI_PROVIDERS, DEPLOY_MODES, defaultCi, stageBranch } from "../../emitters/release/rules.js";

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
      why: "push = the pipeline runs the migration Job and applies each overlay (default: what Capistrano did); argocd = the pipeline commits the new tag and Argo CD syncs it, running the migration Job as a PreSync hook",
      default: "push",
      choices: [...DEPLOY_MODES],
    },
    {
      id: "ci.cluster_access",
      question: "How does the pipeline reach the cluster?",
      why: `auto = EKS (aws eks update-kubeconfig with the deploy role) when image.repository is an ECR repository, else a kubeconfig held in the CI secret KUBECONFIG_DATA; eks; kubeconfig`,
      default: "auto",
      choices: ["auto", "eks", "kubeconfig"],
    },
    {
      id: "ci.aws.role_arn",
      question: "Which IAM role does the pipeline assume (OIDC) to push to ECR and deploy to EKS?",
      why: "used with an ECR image repository or EKS access: the CI's OIDC token is exchanged for this role, no static AWS keys in CI. Left empty, the pipeline reads it from the CI secret AWS_ROLE_ARN",
      default: null,
    },
    {
      id: "ci.eks.cluster",
      question: "Name of the EKS cluster the stages deploy to?",
      why: "used with EKS access (aws eks update-kubeconfig --name). Left empty, the pipeline reads it from the CI secret EKS_CLUSTER_NAME (set it per environment when stages use different clusters)",
      default: null,
      format: "dns-label",
    },
  ];
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
      default: b.offered,
      source: b.source,
    });
  }
  return gaps;
}
