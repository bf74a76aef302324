// The stage's Namespace, written by the overlay so that Pod Security "restricted" is enforced there,
// not only followed: a pod that breaks the profile is refused at admission. Teams that cannot create
// namespaces (the platform team owns them) answer kubernetes.create_namespace false: then the overlay
// leaves the Namespace out and the platform team sets the label.
import type { Answers } from "../../src/model.js";
import { answerBool } from "./answers.js";
import { labels } from "./names.js";
import type { Plan, StagePlan } from "./plan.js";

export const NAMESPACE_FILE = "namespace.yaml";
export const CREATE_NAMESPACE_ANSWER = "kubernetes.create_namespace";
export const POD_SECURITY_LEVEL = "restricted";

export const NAMESPACE_COMMENT = `Pod Security "${POD_SECURITY_LEVEL}" enforced: every pod here already meets it. Without rights to create\nnamespaces, answer ${CREATE_NAMESPACE_ANSWER}: false and ask for these labels on the namespace.`;

/**
 * Behind an ALB with target-type ip the AWS Load Balancer Controller injects a readiness gate into
 * each pod created in a namespace with this label: a new pod counts as ready only once its target is
 * healthy in the target group, so a rolling update never leaves the ALB with only initial or
 * draining targets. Set on the namespace, before the pods exist.
 */
export const ALB_READINESS_GATE = { "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled" } as const;

export const createsNamespace = (answers: Answers): boolean => answerBool(answers, CREATE_NAMESPACE_ANSWER, true);

export function stageNamespace(plan: Plan, sp: StagePlan): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: sp.namespace,
      labels: {
        ...labels(plan.app, "namespace"),
        "pod-security.kubernetes.io/enforce": POD_SECURITY_LEVEL,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": POD_SECURITY_LEVEL,
        "pod-security.kubernetes.io/audit": POD_SECURITY_LEVEL,
        ...(plan.edgeTarget === "alb" ? ALB_READINESS_GATE : {}),
      },
    },
  };
}
