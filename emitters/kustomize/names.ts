// Names and labels every Kubernetes object of the app shares: `<app>-<component>` names and the
// app.kubernetes.io/* recommended labels. Selectors use only name + component, which never change
// after the first apply (a Deployment's selector is immutable).
import type { AppModel } from "../../src/model.js";
import { dnsLabel, joinLabel, NAME_LIMITS, stageLabel } from "../../src/model/names.js";

export { dnsLabel };

/** The app's name, at most 40 characters: `<app>-<suffix>` names and the generators' hash suffix fit in 63. */
export const appName = (model: AppModel): string => dnsLabel(model.name.value, 40);

/** `<app>-<stage>`: the default namespace and the instance label of a stage, a DNS-1123 label. */
export const stageInstance = (app: string, stage: string): string => joinLabel([app, stageLabel(stage)]);

export type Component = "web" | "worker" | `worker-${string}` | "migration" | "cron" | "config" | "namespace";

/** `<app>-<suffix>`, e.g. shop-web. */
export const objectName = (app: string, suffix: string): string => `${app}-${suffix}`;

export function selectorLabels(app: string, component: Component): Record<string, string> {
  return { "app.kubernetes.io/name": app, "app.kubernetes.io/component": component };
}

export function labels(app: string, component: Component): Record<string, string> {
  return { ...selectorLabels(app, component), "app.kubernetes.io/part-of": app };
}

/** The name the base uses for the app's image; overlays map it to the registry and tag (`images:`). */
export const appImage = (app: string): string => app;
/** The nginx sidecar's image, built from docker/nginx/Dockerfile. */
export const nginxImage = (app: string): string => `${app}-nginx`;

export const configMapName = (app: string) => objectName(app, "config");
export const secretName = (app: string) => objectName(app, "secrets");
export const webName = (app: string) => objectName(app, "web");
export const workerName = (app: string) => objectName(app, "worker");
export const migrationName = (app: string) => objectName(app, "migrate");
/** Under Argo CD with a secret store or SOPS: the migration Job's own copy of the stage's secrets, a PreSync hook. */
export const migrationSecretsName = (app: string) => objectName(app, "migrate-secrets");

/** An image tag as the OCI distribution grammar has it, or a digest (`sha256:<hex>`). */
export const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const OCI_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-f0-9]{32,}$/;

/** The hash kustomize appends to a generated name: 10 characters and a dash. */
const GENERATOR_HASH = 11;

/**
 * The migration Job's name before kustomize appends the hash of its inputs: `<app>-migrate-<tag>`,
 * the tag lower-cased, anything outside a DNS label turned into `-` (`release_2024_10` →
 * `release-2024-10`, `sha256:ab…` → `sha256-ab…`) and cut so that the whole name, hash included,
 * stays within 63 (a Job's name is its pods' `job-name` label). A tag that is no tag at all gives
 * no slug: the hash alone tells the releases apart.
 */
export function migrationInputsName(app: string, tag: string): string {
  const prefix = joinLabel([app.slice(0, 24).replace(/-+$/g, ""), "migrate"]);
  const room = Math.min(20, NAME_LIMITS.job - GENERATOR_HASH - prefix.length - 1);
  const valid = OCI_TAG.test(tag) || OCI_DIGEST.test(tag);
  const slug = valid && room > 0 ? dnsLabel(tag, room) : "";
  return slug && slug !== "app" ? `${prefix}-${slug}` : prefix;
}

/** `app.kubernetes.io/version`: the image tag as a label value (≤ 63, alphanumeric ends, `:` of a digest as `-`); "" when nothing is left. */
export function versionLabel(tag: string): string {
  if (!OCI_TAG.test(tag) && !OCI_DIGEST.test(tag)) return "";
  return tag.replace(/:/g, "-").slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}
