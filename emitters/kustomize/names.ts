// Names and labels every Kubernetes object of the app shares: `<app>-<component>` names and the
// app.kubernetes.io/* recommended labels. Selectors use only name + component, which never change
// after the first apply (a Deployment's selector is immutable).
import type { AppModel } from "../../src/model.js";
import { dnsLabel, joinLabel, stageLabel } from "../../src/names.js";

export { dnsLabel };

/** The app's name, at most 40 characters: `<app>-<suffix>` names and the generators' hash suffix fit in 63. */
export const appName = (model: AppModel): string => dnsLabel(model.name.value, 40);

/** `<app>-<stage>`: the default namespace and the instance label of a stage, a DNS-1123 label. */
export const stageInstance = (app: string, stage: string): string => joinLabel([app, stageLabel(stage)]);

export type Component = "web" | "worker" | `worker-${string}` | "migration" | "cron" | "config";

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
