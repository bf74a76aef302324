// The web Deployment: the Rails app server (Unicorn or Puma, from the container config the image
// carries), optionally behind an nginx sidecar that shares the socket and the precompiled assets.
// Rules: rules/shutdown.ts (grace period, preStop), rules/health.ts (probes), rules/resources.ts; security: security.ts.
import type { EmitResult } from "../../src/model.js";
import { APP_DIR, APP_PORT, NGINX_PORT, NGINX_SIDECAR_CONFIG, PUMA_CONTAINER_CONFIG, SOCKET_DIR, UNICORN_CONTAINER_CONFIG } from "../contract.js";
import { appImage, labels, nginxImage, selectorLabels, webName } from "./names.js";
import { envFrom, podDefaults, railsScratch, resources } from "./pod.js";
import type { Plan } from "./plan.js";
import { livenessPath, livenessTiming, readinessTiming, startupTiming } from "./rules/health.js";
import { nginxPreStop, passengerPreStop, pumaPreStop, unicornPreStop } from "./rules/shutdown.js";
import { nginxResources, taskResources } from "./rules/resources.js";
import { webServerArgs } from "./rules/web.js";
import { containerSecurityContext } from "./security.js";

export const WEB_CONTAINER = "app";
export const NGINX_CONTAINER = "nginx";

/** The port traffic enters the pod on: nginx's when it stays as a sidecar, else the app server's. */
export const webPort = (plan: Plan): number => (plan.sidecar ? NGINX_PORT : APP_PORT);

export function webDeployment(plan: Plan, out: EmitResult, output: string): Record<string, unknown> {
  const { app, model } = plan;
  const port = webPort(plan);
  const probe = (timing: Record<string, number>) => ({ httpGet: { path: plan.health.path, port }, ...timing });
  const scratch = railsScratch(model);
  // Base values: the longest grace and the largest resources of any stage; overlays set their own.
  const grace = Math.max(...plan.stages.map((s) => s.webGrace));
  // The app waits for nginx to finish for at most the longest request nginx may still be forwarding.
  const webWait = Math.max(...plan.stages.map((s) => s.webTimeout.seconds));
  const appContainer: Record<string, unknown> = {
    name: WEB_CONTAINER,
    image: appImage(app),
    args: webServerArgs(plan.kind, UNICORN_CONTAINER_CONFIG, PUMA_CONTAINER_CONFIG),
  };
  if (!plan.sidecar) appContainer["ports"] = [{ name: "http", containerPort: APP_PORT, protocol: "TCP" }];
  Object.assign(appContainer, {
    envFrom: envFrom(app),
    resources: resources(plan.stages[0]!.webResources),
    startupProbe: probe(startupTiming()),
    readinessProbe: probe(readinessTiming()),
    // Liveness asks the app server itself, on its own port (never through nginx), a path that runs
    // before the app: a database or Redis blip must not restart every web pod. Readiness may check them.
    livenessProbe: { httpGet: { path: livenessPath(model), port: APP_PORT }, ...livenessTiming() },
    lifecycle: { preStop: { exec: { command: plan.kind === "unicorn" ? unicornPreStop(plan.sidecar, webWait) : plan.kind === "passenger" ? passengerPreStop(plan.sidecar, webWait) : pumaPreStop(plan.sidecar, webWait) } } },
    securityContext: containerSecurityContext(),
    volumeMounts: [...scratch.mounts, ...(plan.sidecar ? [{ name: "socket", mountPath: SOCKET_DIR }] : [])],
  });
  const containers: Record<string, unknown>[] = [appContainer];
  const initContainers: Record<string, unknown>[] = [];
  const volumes = [...scratch.volumes];
  if (plan.sidecar) {
    // nginx serves the precompiled assets: they live in the app image, so an init container copies
    // them into an emptyDir the sidecar reads.
    initContainers.push({
      name: "assets",
      image: appImage(app),
      command: ["cp", "-R", `${APP_DIR}/public/.`, "/assets/"],
      resources: resources(taskResources()),
      securityContext: containerSecurityContext(),
      volumeMounts: [{ name: "assets", mountPath: "/assets" }],
    });
    containers.push({
      name: NGINX_CONTAINER,
      image: nginxImage(app),
      ports: [{ name: "http", containerPort: NGINX_PORT, protocol: "TCP" }],
      resources: resources(nginxResources()),
      readinessProbe: probe(readinessTiming()),
      livenessProbe: { tcpSocket: { port: NGINX_PORT }, ...livenessTiming() },
      lifecycle: { preStop: { exec: { command: nginxPreStop() } } },
      securityContext: containerSecurityContext(),
      volumeMounts: [
        { name: "socket", mountPath: SOCKET_DIR },
        { name: "assets", mountPath: `${APP_DIR}/public`, readOnly: true },
        // The data dirs (uploads), where the sidecar's config serves them from.
        ...scratch.mounts.filter((m) => String(m["name"]).startsWith("data-")).map((m) => ({ ...m, readOnly: true })),
        { name: "nginx-tmp", mountPath: "/tmp" },
        { name: "nginx-cache", mountPath: "/var/cache/nginx" },
      ],
    });
    volumes.push(
      { name: "socket", emptyDir: {} },
      { name: "assets", emptyDir: {} },
      { name: "nginx-tmp", emptyDir: {} },
      { name: "nginx-cache", emptyDir: {} },
    );
    out.provenance.push({ output, what: `nginx sidecar (config ${NGINX_SIDECAR_CONFIG}) sharing ${SOCKET_DIR} and the assets`, source: model.nginx.files[0]?.servers[0]?.source ?? model.name.source });
  }
  const spec: Record<string, unknown> = {
    ...podDefaults(),
    terminationGracePeriodSeconds: grace,
  };
  if (initContainers.length) spec["initContainers"] = initContainers;
  spec["containers"] = containers;
  spec["volumes"] = volumes;

  const server = plan.stages[0]!.appServer;
  if (server?.workers) out.provenance.push({ output, what: `${plan.kind} workers → web resources`, source: server.workers.source });
  for (const s of plan.stages)
    if (s.webTimeout.source)
      out.provenance.push({ output, what: `stage ${s.stage.name}: ${plan.kind} timeout ${s.webTimeout.seconds}s → terminationGracePeriodSeconds ${s.webGrace}`, source: s.webTimeout.source });
  if (plan.health.source) out.provenance.push({ output, what: `probes on ${plan.health.path}`, source: plan.health.source });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: webName(app), labels: labels(app, "web") },
    spec: {
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(app, "web") },
      // Never below today's capacity during a rollout: a new pod must be ready before an old one goes.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
      template: { metadata: { labels: labels(app, "web") }, spec },
    },
  };
}
