// With deploy.mode argocd: one Argo CD Application per stage, syncing the stage's overlay from its
// branch into its namespace. The pipeline commits each new tag to that branch.
import type { ReleasePlan, ReleaseStage } from "./plan.js";

export const argocdApplicationFile = (key: string) => `k8s/argocd/${key}.yaml`;
/** Git URLs Argo CD accepts: https or ssh forms, no spaces or shell-special characters. */
export const REPO_URL = /^(?:https:\/\/[A-Za-z0-9.-]+(?::[0-9]+)?\/[A-Za-z0-9._~\/-]+|(?:ssh:\/\/)?[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._~\/-]+)$/;

export function argocdApplication(rp: ReleasePlan, s: ReleaseStage & { branch: string }, repoURL: string): Record<string, unknown> {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: `${rp.app}-${s.key}`.slice(0, 63).replace(/-+$/, ""), namespace: "argocd", labels: { "app.kubernetes.io/name": rp.app, "app.kubernetes.io/part-of": rp.app } },
    spec: {
      project: "default",
      source: { repoURL, targetRevision: s.branch, path: s.overlay },
      destination: { server: "https://kubernetes.default.svc", namespace: s.namespace },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
    },
  };
}
