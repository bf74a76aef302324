// secrets.backend sops: each stage's secrets are committed encrypted (secrets.enc.env, SOPS with an
// age recipient or a KMS key), and the overlay decrypts them at build time through a KSOPS
// generator. `.sops.yaml` holds the creation rule, so `sops --encrypt` needs no flags.
import type { Answers } from "../../../src/model.js";
import { answerString } from "../answers.js";
import { secretName } from "../names.js";

export const SOPS_CONFIG = ".sops.yaml";
export const ENCRYPTED_ENV = "secrets.enc.env";
export const KSOPS_FILE = "secret-generator.yaml";
const AGE = /^age1[02-9ac-hj-np-z]{58}$/;
const KMS = /^arn:aws(?:-[a-z]+)*:kms:[a-z0-9-]+:[0-9]{12}:(?:key|alias)\/[A-Za-z0-9_/-]+$/;

/** Whether a text is a recipient .sops.yaml can name: an age public key or a KMS key ARN. */
export const isSopsRecipient = (v: string): boolean => AGE.test(v) || KMS.test(v);

export type SopsRecipient = { age: string } | { kms: string } | null;

export function sopsRecipient(answers: Answers): SopsRecipient {
  const v = answerString(answers, "sops.recipient", "");
  if (AGE.test(v)) return { age: v };
  if (KMS.test(v)) return { kms: v };
  return null;
}

/** The creation rule: every secrets.enc.env under k8s/overlays, encrypted for the recipient. */
export function sopsConfig(recipient: SopsRecipient): Record<string, unknown> {
  const rule: Record<string, unknown> = { path_regex: "k8s/overlays/[^/]+/secrets\\.enc\\.env$" };
  if (recipient && "age" in recipient) rule["age"] = recipient.age;
  else if (recipient && "kms" in recipient) rule["kms"] = recipient.kms;
  return { creation_rules: [rule] };
}

/** The KSOPS generator: decrypts secrets.enc.env into the Secret the pods read (and, `copy`, into a second Secret with its own name and annotations). */
export function ksopsGenerator(app: string, copy: { name: string; annotations: Record<string, string> } | null = null): Record<string, unknown> {
  return {
    apiVersion: "viaduct.ai/v1",
    kind: "ksops",
    metadata: {
      name: `${secretName(app)}-generator`,
      annotations: { "config.kubernetes.io/function": "exec:\n  path: ksops\n" },
    },
    secretFrom: [{ metadata: { name: secretName(app) }, envs: [`./${ENCRYPTED_ENV}`] }, ...(copy ? [{ metadata: { name: copy.name, annotations: copy.annotations }, envs: [`./${ENCRYPTED_ENV}`] }] : [])],
  };
}
