// AWS access without static keys (answer aws.identity), for an app that reads AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY and runs on EKS. Each stage gets a ServiceAccount for the app's pods:
// with IRSA it carries the role annotation, and EKS's webhook mounts the web-identity token only
// into pods of that ServiceAccount; with Pod Identity an association (made with the AWS CLI) binds
// the role to it. The static keys leave the stage's secrets; the AWS SDKs' default chain finds the
// role instead. Pods still mount no Kubernetes API token (automountServiceAccountToken: false).
import type { Answers, EmitResult, Source } from "../../../src/model.js";
import { answerString } from "../answers.js";
import { labels, objectName } from "../names.js";
import type { StageEnv } from "../config.js";
import { deployMode } from "../../release/rules.js";
import { ARGOCD_INPUTS_HOOK } from "../../release/overlay.js";

export const AWS_IDENTITIES = ["static-keys", "irsa", "pod-identity"] as const;
export type AwsIdentity = (typeof AWS_IDENTITIES)[number];
export const STATIC_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];
export const SERVICE_ACCOUNT_FILE = "service-account.yaml";
const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;

export const awsIdentity = (answers: Answers): AwsIdentity => {
  const v = answerString(answers, "aws.identity", "static-keys");
  return (AWS_IDENTITIES as readonly string[]).includes(v) ? (v as AwsIdentity) : "static-keys";
};
export const roleAnswer = (stage: string) => `stage.${stage}.aws_role_arn`;
export const serviceAccountName = (app: string) => objectName(app, "app");
/**
 * Under Argo CD the migration Job is a PreSync hook, and PreSync holds only hooks: the app's
 * ServiceAccount (a Sync resource) would not exist on a new namespace's first sync, and the Job's
 * pod could not be created. The Job gets a ServiceAccount of its own, a PreSync hook in wave -1
 * like its Secret copy. (Making the app's one a hook would delete and re-create it on every sync.)
 */
export const migrationServiceAccountName = (app: string) => objectName(app, "migrate");

/** Whether the app reads the static AWS keys (then the question is asked). */
export const readsStaticKeys = (secretKeys: string[]): boolean => secretKeys.includes("AWS_ACCESS_KEY_ID") || secretKeys.includes("AWS_SECRET_ACCESS_KEY");

export interface IdentityOverlay {
  serviceAccount: Record<string, unknown>;
  /** Under Argo CD: the migration Job's own ServiceAccount, a PreSync hook. */
  migrationServiceAccount?: Record<string, unknown>;
  patches: Record<string, unknown>[];
}

export function applyAwsIdentity(app: string, stage: string, dir: string, env: StageEnv, answers: Answers, hasCron: boolean, out: EmitResult, source: Source): IdentityOverlay | null {
  const identity = awsIdentity(answers);
  if (identity === "static-keys" || !readsStaticKeys(env.secrets.map(([k]) => k))) return null;
  // The static keys leave the secrets: the SDK's default chain then takes the role.
  env.secrets = env.secrets.filter(([k]) => !STATIC_KEYS.includes(k));
  const sa = serviceAccountName(app);
  const hookSa = deployMode(answers) === "argocd" ? migrationServiceAccountName(app) : null;
  const both = hookSa ? `ServiceAccounts ${sa} and ${hookSa} (the migration Job's, an Argo CD PreSync hook)` : `ServiceAccount ${sa}`;
  const role = answerString(answers, roleAnswer(stage), "");
  const annotations: Record<string, string> = {};
  if (identity === "irsa") {
    if (ROLE_ARN.test(role)) {
      annotations["eks.amazonaws.com/role-arn"] = role;
      if (hookSa) out.notes.push({ message: `stage ${stage}: the IAM role's trust policy must allow both ${both}: system:serviceaccount:<stage namespace>:${sa} and system:serviceaccount:<stage namespace>:${hookSa}`, source });
    } else out.notes.push({ message: `${dir}/${SERVICE_ACCOUNT_FILE}: no IAM role is known for stage ${stage} (answer ${roleAnswer(stage)}); without the eks.amazonaws.com/role-arn annotation its pods get no AWS credentials`, source });
  } else
    out.notes.push({
      message: `stage ${stage}: bind the role to ${both} once: ${[sa, ...(hookSa ? [hookSa] : [])].map((name) => `aws eks create-pod-identity-association --cluster-name <cluster> --namespace <stage namespace> --service-account ${name} --role-arn ${ROLE_ARN.test(role) ? role : `<role for ${stage}>`}`).join(" and ")}`,
      source,
    });
  out.notes.push({ message: `stage ${stage}: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY left the secrets (${identity === "irsa" ? "IRSA" : "EKS Pod Identity"}); code that passes those ENV values to the SDK explicitly must fall back to the default credential chain`, source });
  const serviceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: sa, labels: labels(app, "config"), ...(Object.keys(annotations).length ? { annotations } : {}) },
    // The pods mount no Kubernetes API token; the AWS token is a projected volume of its own.
    automountServiceAccountToken: false,
  };
  const podPatch = (path: string, name = sa) => JSON.stringify([{ op: "add", path, value: name }]);
  const patches = [
    { target: { kind: "Deployment", labelSelector: `app.kubernetes.io/name=${app}` }, patch: podPatch("/spec/template/spec/serviceAccountName") },
    { target: { kind: "Job", labelSelector: `app.kubernetes.io/name=${app}` }, patch: podPatch("/spec/template/spec/serviceAccountName") },
    ...(hasCron ? [{ target: { kind: "CronJob", labelSelector: `app.kubernetes.io/name=${app}` }, patch: podPatch("/spec/jobTemplate/spec/template/spec/serviceAccountName") }] : []),
    // after the Job patch above: the migration Job's pod runs as its own hook ServiceAccount
    ...(hookSa ? [{ target: { kind: "Job", labelSelector: "app.kubernetes.io/component=migration" }, patch: podPatch("/spec/template/spec/serviceAccountName", hookSa) }] : []),
  ];
  const migrationServiceAccount = hookSa
    ? { ...serviceAccount, metadata: { name: hookSa, labels: labels(app, "migration"), annotations: { ...annotations, ...ARGOCD_INPUTS_HOOK } } }
    : undefined;
  return { serviceAccount, ...(migrationServiceAccount ? { migrationServiceAccount } : {}), patches };
}
