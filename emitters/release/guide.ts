// MIGRATION.md's "Secrets at rest" section for the external-secrets and sops backends: how the
// values on today's servers reach the store (a script, values on stdin only) or the encrypted file.
import type { Answers, AppModel } from "../../src/model.js";
import template from "./load-secrets.sh.tmpl?raw";
import { fill } from "../text/fill.js";
import { shellWord } from "../encode/shell.js";
import { mdCode } from "../encode/markdown.js";
import { appName } from "../kustomize/names.js";
import { keyScheme, storeName } from "../kustomize/secrets-backend/external-secrets.js";
import { ENCRYPTED_ENV, SOPS_CONFIG, sopsRecipient } from "../kustomize/secrets-backend/sops.js";
import { k8sOverlay } from "../contract.js";
import { stageLabel } from "../../src/model/names.js";
import { secretsBackend } from "./secrets-backend.js";
import { ciChoice, deployMode } from "./rules.js";
import { needsMigration } from "../kustomize/rules/migration.js";

const stagesOf = (model: AppModel): string[] => (model.stages.length ? model.stages.map((s) => s.name) : ["production"]);

/** The script that loads one stage's env file into the store, as the ExternalSecrets name the keys. */
export function loadSecretsScript(model: AppModel, answers: Answers): string {
  const app = appName(model);
  const scheme = keyScheme(answers, app);
  const cases = stagesOf(model)
    .map((s) => {
      const { before, after } = scheme.parts(s);
      return `  ${shellWord(stageLabel(s))}) before=${shellWord(before)} after=${shellWord(after)} ;;`;
    })
    .join("\n");
  return fill(template, { stage_cases: cases, stage_list: stagesOf(model).map(stageLabel).join(", ") }, "load-secrets.sh.tmpl");
}

/** A fenced block that no line of `text` can close. */
const fenced = (lang: string, text: string): string[] => {
  let fence = "```";
  while (text.includes(fence)) fence += "`";
  return [fence + lang, text.replace(/\n$/, ""), fence];
};

export function secretsGuide(model: AppModel, answers: Answers): string[] {
  const stages = stagesOf(model);
  const mode = deployMode(answers);
  const ci = ciChoice(model, answers);
  // Without a migration Job (no ActiveRecord database) the release has no migration step to describe.
  const migrates = needsMigration(model);
  const out = [
    "## The release",
    "",
    mode === "push"
      ? `Each release is ${mdCode("bin/k8s-deploy STAGE TAG")}: it sets every image of the release to TAG, ${migrates ? "runs the migration Job and waits for it (printing its logs and stopping when it fails), " : ""}applies the overlay and waits for each rollout. ${ci === "none" ? "No pipeline was written: run it by hand after pushing the images." : "The pipeline runs it on a push to each stage's branch, after building and pushing the images tagged with the commit."} It needs kubectl and kustomize.`
      : `Argo CD syncs each stage (${mdCode("k8s/argocd/<stage>.yaml")}, applied once)${migrates ? "; the migration Job runs first as a PreSync hook" : ""}. ${ci === "none" ? "Release by hand:" : "The pipeline does this on a push to each stage's branch:"} ${mdCode("bin/k8s-deploy STAGE TAG")} sets the images, then commit and push the overlay.`,
    "",
  ];
  const backend = secretsBackend(answers);
  if (backend === "env-files") return out;
  out.push("## Secrets at rest", "");
  if (backend === "external-secrets") {
    out.push(
      `Each overlay has an ExternalSecret that writes the Secret the pods read, from the ClusterSecretStore ${mdCode(storeName(answers))}, one remote key per variable (${mdCode(keyScheme(answers, appName(model)).scheme)}). No secret file is written.`,
      "",
      "Load each stage's values from one of that stage's servers (production's from a production server): copy the script below to the server as `load-secrets.sh`, then run it with AWS credentials that may write the store. It reads the env file line by line and sends each value on stdin; nothing is echoed but the key names.",
      "",
      ...fenced("sh", loadSecretsScript(model, answers)),
      "",
      ...stages.map((s) => `- ${mdCode(`sh load-secrets.sh ${stageLabel(s)} /path/to/the/servers/env-file secretsmanager`)} (or ${mdCode("ssm")} for Parameter Store)`),
      "",
    );
  } else {
    const r = sopsRecipient(answers);
    out.push(
      `Each overlay decrypts ${mdCode(ENCRYPTED_ENV)} with KSOPS. ${mdCode(SOPS_CONFIG)} encrypts for ${r ? mdCode("age" in r ? r.age : r.kms) : "nobody yet: answer sops.recipient, or pass --age or --kms to sops"}. Create each stage's file on one of its servers (or from a copy of its env file that never touches the disk unencrypted elsewhere), in the repo root:`,
      "",
      ...fenced("sh", stages.map((s) => {
        const target = shellWord(`${k8sOverlay(s)}/${ENCRYPTED_ENV}`);
        // --filename-override: the creation rule in .sops.yaml matches the target's path, not the server file's.
        return `sops --encrypt --filename-override ${target} --input-type dotenv --output-type dotenv /path/to/the/servers/env-file > ${target}`;
      }).join("\n") + "\n"),
      "",
      "Commit the encrypted files. The cluster side (Argo CD's repo server, or whoever runs kustomize) needs ksops and the decryption key; build with `kustomize build --enable-alpha-plugins --enable-exec`.",
      "",
    );
  }
  return out;
}
