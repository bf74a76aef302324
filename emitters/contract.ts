// Names and paths the emitters agree on, so the Dockerfile, the container configs and the
// Kubernetes objects fit together. Change one here and every emitter follows.
import { stageLabel } from "../src/model.js";

/** The app's code inside the image. */
export const APP_DIR = "/rails";
/** The port the Rails app server listens on in the container (TCP). */
export const APP_PORT = 3000;
/** The port the nginx sidecar listens on, when the user keeps nginx. */
export const NGINX_PORT = 8080;
/** The directory shared by the app container and the nginx sidecar (an emptyDir). */
export const SOCKET_DIR = "/var/run/app";
/**
 * The nginx sidecar's pid file, in that directory: nginx deletes it when its master exits, which is
 * how the app container's preStop knows nginx has finished (see kustomize/rules.ts unicornPreStop).
 */
export const NGINX_PID_FILE = `${SOCKET_DIR}/nginx.pid`;
/** Unicorn's socket in that directory, when nginx stays as a sidecar. */
export const UNICORN_SOCKET = `${SOCKET_DIR}/unicorn.sock`;
/** The container Unicorn config, derived from the app's own. */
export const UNICORN_CONTAINER_CONFIG = "config/unicorn/kubernetes.rb";
/** The container Puma config. */
export const PUMA_CONTAINER_CONFIG = "config/puma/kubernetes.rb";
/** The entrypoint script in the image. */
export const ENTRYPOINT = "bin/docker-entrypoint";
/** The nginx sidecar: its config and image build. */
export const NGINX_SIDECAR_CONFIG = "docker/nginx/nginx.conf";
export const NGINX_SIDECAR_DOCKERFILE = "docker/nginx/Dockerfile";
/** Kustomize layout. An overlay's directory is its stage's Kubernetes name: one safe path segment. */
export const K8S_BASE = "k8s/base";
export const k8sOverlay = (stage: string) => `k8s/overlays/${stageLabel(stage)}`;
/** Per-stage env files: committed config and git-ignored secrets (with a committed example). */
export const configEnvFile = (stage: string) => `${k8sOverlay(stage)}/config.env`;
export const secretEnvFile = (stage: string) => `${k8sOverlay(stage)}/secrets.env`;
export const secretEnvExample = (stage: string) => `${k8sOverlay(stage)}/secrets.env.example`;
/** The non-root user of the image. */
export const APP_UID = 1000;
