// Where a stage's secrets live at rest (answer secrets.backend), as the overlay sees it:
// env-files keeps today's secretGenerator over a git-ignored secrets.env; external-secrets swaps it
// for an ExternalSecret; sops for a KSOPS generator over the committed, encrypted secrets.enc.env.
// Called once per overlay by the kustomize emitter, after the overlay's kustomization is built.
import type { EmitResult, EmittedFile } from "../../../src/model.js";
import type { Plan, StagePlan } from "../plan.js";
import type { StageEnv } from "../config.js";
import { k8sOverlay, secretEnvExample, secretEnvFile } from "../../contract.js";
import { toYaml } from "../yaml.js";
import { migrationSecretsName, secretName } from "../names.js";
import { deployMode } from "../../release/rules.js";
import { ARGOCD_INPUTS_HOOK } from "../../release/overlay.js";
import { secretsBackend } from "../../release/secrets-backend.js";
import { EXTERNAL_SECRET_FILE, externalSecret, keyScheme, storeName } from "./external-secrets.js";
import { ENCRYPTED_ENV, KSOPS_FILE, ksopsGenerator } from "./sops.js";
import { applyAwsIdentity, SERVICE_ACCOUNT_FILE } from "./aws-identity.js";

export interface BackendOverlay {
  /** Files the overlay gains. */
  files: EmittedFile[];
  /** Whether the stage's secrets.env (and its example) are written. */
  envFiles: boolean;
}

export function applySecretsBackend(plan: Plan, sp: StagePlan, k: Record<string, unknown>, env: StageEnv, out: EmitResult): BackendOverlay {
  const dir = k8sOverlay(sp.stage.name);
  const files: EmittedFile[] = [];
  const identity = applyAwsIdentity(plan.app, sp.stage.name, dir, env, plan.answers, Boolean(plan.model.cron?.jobs.length), out, sp.stage.source);
  if (identity) {
    (k["resources"] as string[]).push(SERVICE_ACCOUNT_FILE);
    (k["patches"] as unknown[]).push(...identity.patches);
    files.push({
      path: `${dir}/${SERVICE_ACCOUNT_FILE}`,
      content: toYaml(
        [identity.serviceAccount, ...(identity.migrationServiceAccount ? [identity.migrationServiceAccount] : [])],
        `Stage ${sp.stage.name}: the identity of the app's pods on AWS, instead of static keys.${identity.migrationServiceAccount ? "\nThe second is the migration Job's: an Argo CD PreSync hook in wave -1, so it exists before the Job (wave 0)." : ""}`,
      ),
    });
  }
  const backend = secretsBackend(plan.answers);
  if (backend === "env-files") return { files, envFiles: true };
  movedProvenance(out, sp.stage.name, `${dir}/${backend === "external-secrets" ? EXTERNAL_SECRET_FILE : ENCRYPTED_ENV}`);
  // The stage's Secret now comes from the store (or SOPS), not from a secrets.env. The migration
  // Job's inputs Secret stays, from config.env and the image only (its name still changes with
  // them); the Job reads the stage's secrets from the same Secret as every other pod.
  const inputs = ((k["secretGenerator"] as { name: string; envs?: string[] }[] | undefined) ?? [])
    .filter((g) => g.name !== secretName(plan.app))
    .map((g) => ({ ...g, envs: (g.envs ?? []).filter((e) => e !== "secrets.env") }));
  // Under Argo CD the Job is a PreSync hook, and PreSync holds only hooks: the stage's Secret (a Sync
  // resource) would not exist yet on the first sync. The Job then reads its own copy, written by a
  // PreSync hook in an earlier wave, which Argo CD waits on until healthy (the secret fetched).
  const hookCopy = inputs.length > 0 && deployMode(plan.answers) === "argocd";
  const jobSecret = hookCopy ? migrationSecretsName(plan.app) : secretName(plan.app);
  if (inputs.length) {
    k["secretGenerator"] = inputs;
    (k["patches"] as unknown[]).push({
      target: { kind: "Job", labelSelector: "app.kubernetes.io/component=migration" },
      patch: `- op: add\n  path: /spec/template/spec/containers/0/envFrom/-\n  value:\n    secretRef:\n      name: ${jobSecret}\n`,
    });
  } else delete k["secretGenerator"];
  const keys = env.secrets.map(([key]) => key);
  const prefilled = env.secrets.filter(([, v]) => v !== "").map(([key]) => key);
  if (backend === "external-secrets") {
    (k["resources"] as string[]).push(EXTERNAL_SECRET_FILE);
    const scheme = keyScheme(plan.answers, plan.app);
    out.provenance.push({ output: `${dir}/${EXTERNAL_SECRET_FILE}`, what: `${keys.length} secret keys of stage ${sp.stage.name}, remote keys ${scheme.scheme} in ClusterSecretStore ${storeName(plan.answers)}`, source: sp.stage.source });
    if (prefilled.length)
      out.notes.push({ message: `stage ${sp.stage.name}: the repo held values for ${prefilled.join(", ")}; load them into the secret store with the other secrets (MIGRATION.md, "Secrets at rest"), not into a file` });
    return {
      files: [
        ...files,
        {
          path: `${dir}/${EXTERNAL_SECRET_FILE}`,
          content: toYaml(
            [externalSecret(plan.app, sp.stage.name, keys, plan.answers), ...(hookCopy ? [externalSecret(plan.app, sp.stage.name, keys, plan.answers, { name: jobSecret, annotations: ARGOCD_INPUTS_HOOK })] : [])],
            `Stage ${sp.stage.name}: the Secret the pods read, written by the External Secrets Operator from the store.${hookCopy ? `\nThe second is the migration Job's copy: an Argo CD PreSync hook in wave -1, so it exists before the Job (wave 0).` : ""}`,
          ),
        },
      ],
      envFiles: false,
    };
  }
  k["generators"] = [KSOPS_FILE];
  out.notes.push({ message: `${dir}/${ENCRYPTED_ENV}: create it encrypted from stage ${sp.stage.name}'s values (MIGRATION.md, "Secrets at rest"); the overlay builds only with kustomize's exec plugins enabled and ksops installed (kustomize build --enable-alpha-plugins --enable-exec)` });
  return {
    files: [
      ...files,
      {
        path: `${dir}/${KSOPS_FILE}`,
        content: toYaml(
          [ksopsGenerator(plan.app, hookCopy ? { name: jobSecret, annotations: ARGOCD_INPUTS_HOOK } : null)],
          `Stage ${sp.stage.name}: decrypts ${ENCRYPTED_ENV} (SOPS) into the Secret the pods read.${hookCopy ? `\nThe second Secret is the migration Job's copy: an Argo CD PreSync hook in wave -1, so it exists before the Job (wave 0).` : ""}`,
        ),
      },
    ],
    envFiles: false,
  };
}

/** The env files of a stage minus those the backend replaces. */
export const keptEnvFiles = (stage: string, files: EmittedFile[], backend: BackendOverlay): EmittedFile[] =>
  backend.envFiles ? files : files.filter((f) => f.path !== secretEnvFile(stage) && f.path !== secretEnvExample(stage));

/**
 * The rows the stage's env already wrote for secrets.env (stageEnv runs first) name the file that
 * holds those keys under this backend instead: no secrets.env exists with a store or SOPS.
 */
function movedProvenance(out: EmitResult, stage: string, to: string): void {
  const from = secretEnvFile(stage);
  for (const [i, row] of out.provenance.entries()) if (row.output === from) out.provenance[i] = { ...row, output: to };
}
