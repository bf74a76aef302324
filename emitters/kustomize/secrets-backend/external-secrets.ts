// secrets.backend external-secrets: each stage's Secret is written by the External Secrets Operator
// from a cloud secret store, through one ExternalSecret per stage. Its target is exactly the Secret
// the pods' envFrom reads (no generator: no hash suffix, no plaintext file in the overlay).
import type { Answers } from "../../../src/model.js";
import { answerString } from "../answers.js";
import { labels, secretName } from "../names.js";

export const EXTERNAL_SECRET_FILE = "external-secret.yaml";
export const DEFAULT_KEY_SCHEME = "{app}/{stage}/{key}";
export const DEFAULT_STORE = "aws-secrets-manager";
/** A remote key as Secrets Manager and Parameter Store both accept it. */
const REMOTE_KEY = /^[A-Za-z0-9_.\/+=@-]{1,512}$/;

export interface KeyScheme {
  scheme: string;
  /** The remote key of one variable of one stage. */
  key: (stage: string, name: string) => string;
  /** What comes before and after the variable name, per stage (for the loading script). */
  parts: (stage: string) => { before: string; after: string };
}

/** The answered scheme (`{app}`, `{stage}`, `{key}` placeholders), or the default when it cannot name a key. */
export function keyScheme(answers: Answers, app: string): KeyScheme {
  const answered = answerString(answers, "external_secrets.key_scheme", DEFAULT_KEY_SCHEME);
  const usable = (s: string) => keySchemeProblem(s) === null && REMOTE_KEY.test(s.replaceAll("{app}", app).replaceAll("{stage}", "x").replace("{key}", "X"));
  const scheme = usable(answered) ? answered : DEFAULT_KEY_SCHEME;
  const parts = (stage: string) => {
    const [before, after] = scheme.replaceAll("{app}", app).replaceAll("{stage}", stage).split("{key}") as [string, string];
    return { before, after };
  };
  return { scheme, parts, key: (stage, name) => `${parts(stage).before}${name}${parts(stage).after}` };
}

/**
 * Why a key scheme cannot name the remote keys, or null: `{key}` once, no placeholder but `{app}`,
 * `{stage}` and `{key}`, and the longest app and stage names (63 characters each) still giving a
 * key both Secrets Manager and Parameter Store accept.
 */
export function keySchemeProblem(s: string): string | null {
  if (s.split("{key}").length !== 2) return "{key} must appear exactly once";
  const longest = s.replaceAll("{app}", "a".repeat(63)).replaceAll("{stage}", "s".repeat(63)).replace("{key}", "K");
  if (/[{}]/.test(longest)) return "the only placeholders are {app}, {stage} and {key}";
  if (!REMOTE_KEY.test(longest)) return "a remote key holds letters, digits and _ . / + = @ - only, at most 512 characters with the app and stage names put in";
  return null;
}

export const storeName = (answers: Answers): string => {
  const v = answerString(answers, "external_secrets.store", DEFAULT_STORE);
  return /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(v) ? v : DEFAULT_STORE;
};

/** `copy`: another ExternalSecret of the same keys, under its own name and annotations (the migration Job's Argo CD hook). */
export function externalSecret(app: string, stage: string, keys: string[], answers: Answers, copy?: { name: string; annotations: Record<string, string> }): Record<string, unknown> {
  const scheme = keyScheme(answers, app);
  const name = copy?.name ?? secretName(app);
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    // Labelled as config: bin/k8s-deploy applies it with the migration Job, which reads the Secret.
    metadata: { name, labels: labels(app, "config"), ...(copy ? { annotations: copy.annotations } : {}) },
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { kind: "ClusterSecretStore", name: storeName(answers) },
      target: { name, creationPolicy: "Owner" },
      data: keys.map((k) => ({ secretKey: k, remoteRef: { key: scheme.key(stage, k) } })),
    },
  };
}
