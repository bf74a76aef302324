// The paths rails2k8s' emitters can write, as rules, in one place. The record of generated files
// (.rails2k8s/generated.json) is committed, so a repo can carry one it was handed: it is trusted
// only for these paths. A record path outside them hides nothing from the analysis and is never
// deleted, whatever hash it holds (the hash of .git/HEAD or of the Gemfile is easy to compute).
import { DOCKERFILE } from "../emitters/container/dockerfile.js";
import { DOCKERIGNORE } from "../emitters/container/dockerignore.js";
import { PASSENGERFILE } from "../emitters/container/passengerfile.js";
import { PROBES_INITIALIZER } from "../emitters/container/probes.js";
import { ENTRYPOINT, K8S_BASE, NGINX_SIDECAR_CONFIG, NGINX_SIDECAR_DOCKERFILE, PUMA_CONTAINER_CONFIG, UNICORN_CONTAINER_CONFIG } from "../emitters/contract.js";
import { SOPS_CONFIG } from "../emitters/kustomize/secrets-backend/sops.js";
import { MIGRATION_GUIDE } from "../emitters/migration-guide.js";
import { LOADER_PATH } from "../emitters/rails-config/loader.js";
import { VERIFY_TASK_PATH } from "../emitters/rails-config/verify-task.js";
import { CIRCLECI_CONFIG } from "../emitters/release/circleci.js";
import { DEPLOY_SCRIPT } from "../emitters/release/deploy-script.js";
import { GITHUB_WORKFLOW } from "../emitters/release/github.js";
import { GITLAB_CONFIG } from "../emitters/release/gitlab.js";

const FIXED = new Set([
  DOCKERFILE,
  DOCKERIGNORE,
  ENTRYPOINT,
  PASSENGERFILE,
  PROBES_INITIALIZER,
  UNICORN_CONTAINER_CONFIG,
  PUMA_CONTAINER_CONFIG,
  NGINX_SIDECAR_CONFIG,
  NGINX_SIDECAR_DOCKERFILE,
  SOPS_CONFIG,
  MIGRATION_GUIDE,
  LOADER_PATH,
  VERIFY_TASK_PATH,
  CIRCLECI_CONFIG,
  DEPLOY_SCRIPT,
  GITHUB_WORKFLOW,
  GITLAB_CONFIG,
  "k8s/.gitignore",
]);

const NAME = "[A-Za-z0-9][A-Za-z0-9._-]*";
/** An overlay directory is a stage label (src/model/names.ts stageLabel): lower-case letters, digits, "-". */
const OVERLAY_FILE = new RegExp(`^k8s/overlays/[a-z0-9](?:[a-z0-9-]*[a-z0-9])?/${NAME}$`);
const BASE_FILE = new RegExp(`^${K8S_BASE}/${NAME}$`);
const ARGOCD_FILE = new RegExp(`^k8s/argocd/${NAME}\\.yaml$`);
/** The config_for files the rails-config emitter writes from config/global (one level of namespace folders and more). */
const CUSTOM_CONFIG = new RegExp(`^config/custom/(?:${NAME}/)*${NAME}\\.yml$`);

/**
 * What the analyzers read as the app's own input, or git's: never taken for rails2k8s' output,
 * whatever a record says. Compared case-folded, as a case-insensitive file system would open them.
 */
const NEVER_OURS = [/^\.git(?:\/|$)/, /(?:^|\/)\.git\//, /^capfile$/, /^gemfile/, /^gems\.(?:rb|locked)$/, /^config\/deploy(?:\.rb$|\/)/, /^config\/global(?:\.rb$|\/)/, /^config\/(?:application|boot|environment|routes|database|unicorn|puma|schedule|sidekiq)\.(?:rb|yml)$/, /^config\/environments\//, /^config\.ru$/, /^procfile/, /^\.rails2k8s/];

const neverOurs = (path: string): boolean => {
  const folded = path.toLowerCase();
  return NEVER_OURS.some((r) => r.test(folded));
};

/** A path some emitter writes (for some repo and answers): the only paths the record may hide from the analysis. */
export function mayGenerate(path: string): boolean {
  if (neverOurs(path)) return false;
  return FIXED.has(path) || OVERLAY_FILE.test(path) || BASE_FILE.test(path) || ARGOCD_FILE.test(path) || CUSTOM_CONFIG.test(path);
}

/**
 * A path a later run may delete when no run generates it any more: only a Kubernetes overlay or
 * base file, which is what a dropped stage (or a dropped object) leaves behind and nothing in the
 * running app reads. The rest of the output may be what the app depends on at runtime once the team
 * has moved to it (config/custom/*.yml read by config_for after switch-config, the initializers, the
 * rake task, the container configs), so it is never deleted: at most named as generated no more.
 */
export function mayDeleteStale(path: string): boolean {
  return mayGenerate(path) && (OVERLAY_FILE.test(path) || BASE_FILE.test(path));
}

/**
 * What the analysis leaves out on a re-run: the files of the record that an emitter writes, so it
 * computes the same model from the repo as the team wrote it. A record path outside the output
 * (Capfile, config/deploy.rb, config/global/…) is read as always, whatever the record says.
 */
export const recordedOutput =
  (record: Readonly<Record<string, string>>) =>
  (path: string): boolean =>
    Object.hasOwn(record, path) && mayGenerate(path);
