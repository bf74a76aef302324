// Mapping rules of how each process stops: grace periods (webGracePeriod, workerGracePeriod,
// MIGRATION_GRACE_SECONDS, CRON_GRACE_SECONDS, PRESTOP_SLEEP_SECONDS, GRACE_MARGIN_SECONDS) and the
// preStop hooks of the web servers, the nginx sidecar, workers and one-off tasks (unicornPreStop,
// pumaPreStop, passengerPreStop, nginxPreStop, NGINX_SHARED_PID, workerPreStop, taskPreStop).
// Index of all rules: ./README.md.
import { NGINX_PID_FILE } from "../../contract.js";

/**
 * Seconds the preStop hook sleeps before it starts the drain: the pod leaves the Service's endpoints
 * while it sleeps, so no new request reaches a server that is shutting down.
 */
export const PRESTOP_SLEEP_SECONDS = 5;

/** Slack on top of the longest drain, for the process to exit after its last request. */
export const GRACE_MARGIN_SECONDS = 5;

/**
 * terminationGracePeriodSeconds of the web pod ≥ preStop sleep + Unicorn timeout + margin
 * (SEMANTICS.md: Kubernetes counts the preStop hook inside the grace period; after QUIT Unicorn lets
 * a request run up to `timeout` before it kills the worker).
 */
export const webGracePeriod = (appServerTimeoutSeconds: number): number =>
  PRESTOP_SLEEP_SECONDS + appServerTimeoutSeconds + GRACE_MARGIN_SECONDS;

/**
 * Where the nginx sidecar keeps its pid file: in the directory both containers share, so the app
 * container can see when nginx has finished (nginx deletes the file when its master exits).
 */
export const NGINX_SHARED_PID = NGINX_PID_FILE;

/**
 * Behind the nginx sidecar, the app waits for nginx to finish (its pid file gone, for at most the
 * app server's timeout) before it closes its listener: nginx stops accepting at the end of its own
 * sleep but still forwards what it accepted, and those requests would get a 502 from a closed socket.
 */
const waitForNginx = (sidecar: boolean, waitSeconds: number): string =>
  sidecar ? `n=0; while [ -e ${NGINX_SHARED_PID} ] && [ $n -lt ${Math.max(1, Math.round(waitSeconds))} ]; do sleep 1; n=$((n+1)); done; ` : "";

/**
 * The preStop of the Unicorn container: sleep while endpoints update, (wait for nginx,) then QUIT
 * (graceful: workers finish their request; TERM would kill them at once), and wait until the master
 * is gone so that the image's stop signal finds nothing left to kill.
 * `pid=1`: the entrypoint exec'ed the server, so it is PID 1 of the container.
 */
export const unicornPreStop = (sidecar = false, waitSeconds = 60): string[] => [
  "/bin/sh",
  "-c",
  `pid=1; sleep ${PRESTOP_SLEEP_SECONDS}; ${waitForNginx(sidecar, waitSeconds)}kill -QUIT "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 1; done`,
];

/** Puma drains on TERM, the signal the kubelet sends after the hook: the preStop only waits (endpoints, nginx). */
export const pumaPreStop = (sidecar = false, waitSeconds = 60): string[] => [
  "/bin/sh",
  "-c",
  `sleep ${PRESTOP_SLEEP_SECONDS}${sidecar ? `; ${waitForNginx(true, waitSeconds).replace(/; $/, "")}` : ""}`,
];

/**
 * nginx's preStop: the same sleep, then `nginx -s quit` (it closes its listener at once and finishes
 * the requests it accepted), waiting for the master to exit. It acts first: the app waits for it.
 */
export const nginxPreStop = (): string[] => [
  "/bin/sh",
  "-c",
  `pid=1; sleep ${PRESTOP_SLEEP_SECONDS}; nginx -s quit; while kill -0 "$pid" 2>/dev/null; do sleep 1; done`,
];

/**
 * Passenger Standalone on TERM (tested with 6.0.17, builtin engine: test/appserver/passenger.test.ts)
 * stops at once and drops the requests in flight ("Disconnecting client with error: server is
 * shutting down"), so it is not a graceful stop. The preStop therefore sleeps while endpoints
 * update, then waits until passenger-status shows no session and no queued request (for at most
 * waitSeconds), and only then lets the kubelet send TERM.
 */
export const passengerPreStop = (sidecar = false, waitSeconds = 60): string[] => [
  "/bin/sh",
  "-c",
  `sleep ${PRESTOP_SLEEP_SECONDS}; ${waitForNginx(sidecar, waitSeconds)}n=0; while [ $n -lt ${Math.max(1, Math.round(waitSeconds))} ] && passenger-status 2>/dev/null | grep -Eq 'Sessions: *[1-9]|queue *: *[1-9]'; do sleep 1; n=$((n+1)); done`,
];

/**
 * The worker's grace period: Sidekiq's timeout (on TERM it waits that long for running jobs) plus
 * twice the margin, because after the timeout it still pushes unfinished jobs back to Redis.
 */
export const workerGracePeriod = (sidekiqTimeoutSeconds: number): number => sidekiqTimeoutSeconds + 2 * GRACE_MARGIN_SECONDS;

/**
 * The worker's stop, delivered by its preStop hook. The image's STOPSIGNAL is Unicorn's QUIT, which
 * kills Sidekiq at once (Ruby's default for QUIT) and means something else again to each backend;
 * Kubernetes has no per-container stop signal before the ContainerStopSignals feature (alpha in
 * 1.33), and an entrypoint that traps and forwards signals would put a shell between the kubelet and
 * the worker as PID 1. A preStop hook runs first on every cluster version: it sends the backend's
 * own drain signal (analyzers/workers/backends.ts) to the worker (PID 1: the entrypoint exec'ed it)
 * and waits until it has exited, so the STOPSIGNAL, sent only after the hook, finds nothing to stop.
 * When the worker exits, the hook ends with it; the kubelet may log a FailedPreStopHook event for
 * that, which is harmless here.
 */
export const workerPreStop = (signal: "TERM" | "QUIT" | "INT"): string[] => [
  "/bin/sh",
  "-c",
  `pid=1; kill -${signal} "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 1; done`,
];

/**
 * The stop of one-off tasks (the migration Job, cron runs): they have no drain of their own. Rake
 * dies on TERM and on the image's QUIT alike (Ruby raises SignalException for both), and a
 * migration cut halfway leaves MySQL's schema half-changed (its DDL is not transactional). So when
 * the pod is stopped (node drain, eviction, deletion) the preStop hook sends nothing and waits for
 * the task to end by itself; the signal comes only if it is still running at the grace period.
 */
export const taskPreStop = (): string[] => ["/bin/sh", "-c", `pid=1; while kill -0 "$pid" 2>/dev/null; do sleep 1; done`];

/** A migration may finish within its Job's deadline (activeDeadlineSeconds 1800): a drain waits as long. */
export const MIGRATION_GRACE_SECONDS = 1800;

/** A cron run gets 5 minutes to finish when its node drains (a default, labelled as one in MIGRATION.md). */
export const CRON_GRACE_SECONDS = 300;
