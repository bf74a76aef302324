// Mapping rules of health checks: the app's health path (healthPath, DEFAULT_HEALTH_PATH), the
// liveness path the generated middleware answers (LIVENESS_PATH, livenessPath), probe timings
// (readinessTiming, livenessTiming, startupTiming) and the workers' heartbeat (HEARTBEAT_FILE,
// HEARTBEAT_SECONDS, HEARTBEAT_ENV, heartbeatProbeCommand). Index of all rules: ./README.md.
import type { Source } from "../../../src/model.js";
import type { ModelLike } from "./stage.js";

/** Mount points of health-check gems, when the app uses one and no route names the path. */
const HEALTH_GEMS: Record<string, string> = {
  okcomputer: "/okcomputer",
  health_check: "/health_check",
  "rails-healthcheck": "/healthcheck",
};

/**
 * The app's health path: a health route in config/routes.rb, else an nginx health location, else a
 * health gem's mount point. Null when none exists (then it is a gap).
 */
export function healthPath(model: ModelLike): { path: string; source: Source } | null {
  const route = model.rails.healthPaths[0];
  if (route) return { path: route.value, source: route.source };
  for (const f of model.nginx.files)
    for (const s of f.servers)
      for (const l of s.locations) if (l.health && l.path.startsWith("/")) return { path: l.path, source: l.source };
  for (const [gem, path] of Object.entries(HEALTH_GEMS)) {
    const fact = model.rails.gems[gem];
    if (fact) return { path, source: fact.source };
  }
  return null;
}

/** When nothing names a health path: `/`, which every app answers (200 or a redirect: both pass an httpGet probe). */
export const DEFAULT_HEALTH_PATH = "/";

/** Readiness: quick to take a pod out of the Service when it stops answering. */
export const readinessTiming = () => ({ periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 });

/** Liveness: gentler than readiness (a slow moment must not restart the pod): 6 × 20s before a restart. */
export const livenessTiming = () => ({ periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 });

/** Startup: Rails may take minutes to boot; liveness only starts counting once startup passed (5 min max). */
export const startupTiming = () => ({ periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 60 });

/** The file the generated initializer touches every HEARTBEAT_SECONDS in a worker (the pod's /tmp emptyDir). */
export const HEARTBEAT_FILE = "/tmp/rails2k8s-worker-heartbeat";

export const HEARTBEAT_SECONDS = 10;

/** The env var that turns the heartbeat on: set on worker containers only. */
export const HEARTBEAT_ENV = "RAILS2K8S_HEARTBEAT_FILE";

/**
 * Worker liveness: the heartbeat file was touched within the last 2 minutes (find's -mmin counts
 * whole minutes). A shell and find, not a Ruby process per probe, which would cost a Rails boot's
 * memory inside the worker's limit every period.
 */
export const heartbeatProbeCommand = (): string[] => ["/bin/sh", "-c", `test -n "$(find ${HEARTBEAT_FILE} -mmin -2 2>/dev/null)"`];

/** Path the generated Rack middleware answers for liveness, before the app (and its database) runs. */
export const LIVENESS_PATH = "/rails2k8s/live";

/**
 * Liveness path of the app container: always the generated middleware's, even where Rails 7.1's
 * `/up` exists. `/up` sits behind the app's middleware, and HostAuthorization (`config.hosts`)
 * answers 403 to the kubelet, whose Host header is the pod's IP: every pod would be restarted. The
 * middleware answers first, before any of that; `/up` stays the readiness path where nothing else is.
 */
export function livenessPath(_model: ModelLike): string {
  return LIVENESS_PATH;
}
