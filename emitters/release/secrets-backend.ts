// The answer secrets.backend: where each stage's secrets live at rest.
import type { Answers } from "../../src/model.js";
import { answerString } from "../kustomize/answers.js";

export const SECRETS_BACKENDS = ["env-files", "external-secrets", "sops"] as const;
export type SecretsBackend = (typeof SECRETS_BACKENDS)[number];

export const secretsBackend = (answers: Answers): SecretsBackend => {
  const v = answerString(answers, "secrets.backend", "env-files");
  return (SECRETS_BACKENDS as readonly string[]).includes(v) ? (v as SecretsBackend) : "env-files";
};
