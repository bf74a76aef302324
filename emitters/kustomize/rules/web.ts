// Mapping rules of the web tier's size and start: how many servers served web traffic and what that
// makes of the HPA (webServerCount, webServerBasis, webMinReplicas, webPodsFromServers, webPodsCapNote,
// MAX_WEB_PODS_FROM_SERVERS, defaultMaxReplicas, MAX_REPLICAS_ANSWER), the app server's timeout and
// workers and how they spread over pods (appServerTimeout, appServerWorkers, MAX_WORKERS_PER_POD,
// podsPerServer, workersPerPod), and the web container's command (webServerArgs, passengerStartArgs,
// PASSENGER_PID_FILE). Index of all rules: ./README.md.
import type { AppModel, AppServerConfig, Source, Stage } from "../../../src/model.js";
import { APP_DIR, APP_PORT } from "../../contract.js";
import { numberOf } from "../../../src/model/numbers.js";
import { hasRole } from "./stage.js";

/**
 * minReplicas of the web HPA = the servers that served web traffic on the stage: the `web` role
 * (nginx ran there), or the `app` role when no server has `web` — and, when nginx sent requests over
 * TCP to other servers of the stage (an upstream naming them), those too. Never less than 1:
 * Kubernetes must not run with less capacity than EC2 had.
 */
export function webServerCount(stage: Stage, nginx?: AppModel["nginx"]): number {
  const web = stage.servers.filter(hasRole(["web"]));
  const n = web.length > 0 ? web.length : stage.servers.filter(hasRole(["app"])).length;
  const upstreamHosts = new Set<string>();
  for (const f of nginx?.files ?? [])
    if (f.stage === null || f.stage === stage.name)
      for (const u of f.upstreams)
        for (const s of u.servers) {
          if (s.value.kind !== "tcp") continue;
          const host = s.value.address.replace(/:\d+$/, "");
          if (!/^(127\.|localhost$|0\.0\.0\.0$|\[?::1\]?$)/.test(host)) upstreamHosts.add(host);
        }
  const appServers = stage.servers.filter((s) => upstreamHosts.has(s.host)).length;
  return Math.max(1, n, appServers);
}

/** What webServerCount counted, in words, so no count is stated as more than its roles say. */
export function webServerBasis(stage: Stage, nginx?: AppModel["nginx"]): string {
  const n = webServerCount(stage, nginx);
  const web = stage.servers.filter(hasRole(["web"])).length;
  const app = stage.servers.filter(hasRole(["app"])).length;
  if (stage.servers.length === 0) return `${n} (no server is listed for stage ${stage.name}: the default minimum)`;
  if (web > 0) return `${n} server(s) of stage ${stage.name}${n === web ? " with the web role" : ` (${web} with the web role, and app servers nginx proxied to)`}`;
  if (app > 0) return `${n} server(s) of stage ${stage.name} with the app role (no server has the web role)`;
  return `${n} (no server of stage ${stage.name} has the web or app role: the default minimum)`;
}

/** HPA maxReplicas default: twice today's servers, room for a peak without a surprise bill. */
export const defaultMaxReplicas = (min: number): number => Math.max(2, min * 2);

/** Unicorn's `timeout` (60 when unset, Unicorn's default); Puma's `worker_timeout` (60 by default). */
export function appServerTimeout(server: AppServerConfig | null): { seconds: number; source: Source | null } {
  const n = numberOf(server?.timeout?.value);
  // A default is not evidence: no file line is cited for it, nor for a value that could not be read.
  const source = n !== null && server?.timeout && !server.timeout.defaultOf ? server.timeout.source : null;
  return n !== null ? { seconds: n, source } : { seconds: 60, source };
}

/** Worker processes of the app server (Unicorn worker_processes, Puma workers; Puma single mode = 1). */
export function appServerWorkers(server: AppServerConfig | null): number {
  const n = numberOf(server?.workers?.value);
  return n !== null && n >= 1 ? Math.round(n) : 1;
}

/**
 * The most app-server worker processes one pod runs. A server with 30 Unicorn workers becomes 8
 * pods of 4 (at least the same capacity: 32 ≥ 30), not one pod asking for 30 workers' CPU and memory,
 * which most nodes cannot schedule and which one node failure takes down whole. Four workers keep the
 * pod near one CPU requested (defaultWebResources), and a master process still shares its preloaded
 * memory among several workers.
 */
export const MAX_WORKERS_PER_POD = 4;

/** Pods that carry one server's workers: ceil(workers / MAX_WORKERS_PER_POD). */
export function podsPerServer(workersPerServer: number): number {
  return Math.max(1, Math.ceil(Math.max(1, Math.round(workersPerServer)) / MAX_WORKERS_PER_POD));
}

/** Workers per pod once a server's workers are spread over podsPerServer pods (evenly, rounding up). */
export function workersPerPod(workersPerServer: number): number {
  const w = Math.max(1, Math.round(workersPerServer));
  return Math.ceil(w / podsPerServer(w));
}

/**
 * minReplicas of the web HPA: the stage's web servers (webServerCount) × the pods each server's
 * workers spread over, so the cluster never starts below the capacity EC2 had.
 */
export function webMinReplicas(stage: Stage, nginx: AppModel["nginx"] | undefined, server: AppServerConfig | null): number {
  return Math.min(MAX_WEB_PODS_FROM_SERVERS, webPodsFromServers(stage, nginx, server));
}

/**
 * The most web pods the HPA minimum takes from today's servers and workers: a stage asking for more
 * (`worker_processes 4000` is 1,000 pods a server) is not a fleet to copy blindly but a number to
 * decide, so the minimum is capped here, with a note naming the uncapped count (webPodsCapNote), and
 * the HPA's maximum follows the capped minimum. Far inside int32, the limit of the HPA's fields.
 */
export const MAX_WEB_PODS_FROM_SERVERS = 100;

/** servers × pods per server, before the cap (for the note). */
export function webPodsFromServers(stage: Stage, nginx: AppModel["nginx"] | undefined, server: AppServerConfig | null): number {
  return webServerCount(stage, nginx) * podsPerServer(appServerWorkers(server));
}

/** The note when the cap took effect, else null. */
export function webPodsCapNote(stage: Stage, nginx: AppModel["nginx"] | undefined, server: AppServerConfig | null): { message: string; source: Source } | null {
  const wanted = webPodsFromServers(stage, nginx, server);
  if (wanted <= MAX_WEB_PODS_FROM_SERVERS) return null;
  const workers = appServerWorkers(server);
  return {
    message: `stage ${stage.name}: ${webServerBasis(stage, nginx)} × ${workers} worker(s) each would be ${wanted.toLocaleString("en-US")} web pods of at most ${MAX_WORKERS_PER_POD} workers; the HPA minimum is capped at ${MAX_WEB_PODS_FROM_SERVERS} (rails2k8s's ceiling for pods taken from a server count) and its maximum follows from that: size the web tier from the traffic it serves, and raise both by hand if it truly needs more`,
    source: server?.workers?.source ?? stage.servers[0]?.source ?? stage.source,
  };
}

/** The largest HPA maximum an answer may give (stage.<name>.max_replicas): a budget, far inside int32. */
export const MAX_REPLICAS_ANSWER = 1000;

/** The container command of the web server, reading the container config the image carries. */
export function webServerArgs(kind: "unicorn" | "puma" | "passenger", unicornConfig: string, pumaConfig: string): string[] {
  if (kind === "passenger") return ["bundle", "exec", ...passengerStartArgs()];
  return kind === "unicorn" ? ["bundle", "exec", "unicorn", "-c", unicornConfig] : ["bundle", "exec", "puma", "-C", pumaConfig];
}

/** Passenger Standalone's pid file: under tmp/, the app's writable scratch (the app dir is read-only). */
export const PASSENGER_PID_FILE = `${APP_DIR}/tmp/pids/passenger.pid`;

/**
 * `passenger start` as the pod runs it: the builtin engine (no nginx of its own to build), on
 * APP_PORT, logging to the console (its default when not daemonized; `--log-file /dev/stdout`
 * fails when stdout is a socket), never downloading or compiling its agent at boot
 * (the image built it), and no calls home from a pod. Its numbers are not flags: they are in
 * Passengerfile.json (the image's defaults) and PASSENGER_* variables per stage (config.env), which
 * Passenger Standalone reads over the file. The environment is PASSENGER_ENVIRONMENT, per stage.
 */
export function passengerStartArgs(): string[] {
  return [
    "passenger", "start",
    "--engine", "builtin",
    "--address", "0.0.0.0",
    "--port", String(APP_PORT),
    "--pid-file", PASSENGER_PID_FILE,
    "--no-install-runtime", "--no-compile-runtime",
    "--disable-security-update-check", "--disable-anonymous-telemetry",
  ];
}
