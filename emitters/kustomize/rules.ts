// Every mapping rule from the EC2 app to its Kubernetes objects, one small named function each.
// Looking for "why is the grace period 70?" or "where does minReplicas come from?": it is here.
// The resource emitters only place these values; src/gaps/kubernetes.ts uses the same rules for the
// defaults it offers, so a default and what gets emitted never disagree.
import { createHash } from "node:crypto";
import { TIME_ZONE_NAMES } from "../../src/model/time-zones.js";
import type { AppModel, ApacheFile, AppServerConfig, CronJob, NginxServer, RValue, SidekiqOptionWords, Source, Stage } from "../../src/model.js";
import { CREDENTIALS_KEY_FILE, CRON_OUTPUT_UNKNOWN, DOTENV_FILE, WHENEVER_DEFAULT_FILE, cronRolesOf, cronServersOf, stageLabel } from "../../src/model.js";
import { secretEnvEntry, secretEnvName } from "../../src/model/secret-env.js";
import { isEnvKey } from "../encode/envfile.js";
import { cap2DefaultEnv, isSym, railsEnvFallback, startedRailsEnv } from "../../src/model.js";
import { joinLabel } from "../../src/model/names.js";
import { serversDatabaseWords, type WordsEncoding } from "../../src/model/servers-database.js";
import { APP_DIR, APP_PORT, NGINX_PID_FILE } from "../contract.js";
import type { ResourceSpec } from "./answers.js";
import { isObject } from "./answers.js";
import { numberOf } from "../../src/model/numbers.js";
import { ANSWERS_FILE } from "../../src/model/answers.js";
import { shellWord, shellWords } from "../encode/shell.js";
import { withoutRubySwitch } from "../../src/model/ruby-switch.js";
import { crontabEnvDiffers, crontabEnvVariable, scheduleEnvOn } from "../../src/model/cron-env.js";
import { INIT_SYSTEMS, SERVICE_MANAGERS } from "../../src/model/service-managers.js";
import { absolutePathWords, hasGrammar, rubyStringPaths, simpleCommands, wordRoles, type ShellWord } from "./cron-words.js";

type ModelLike = Omit<AppModel, "gaps">;

// ------------------------------------------------------------------------------------------------
// Values in the model
// ------------------------------------------------------------------------------------------------

export function stringOf(v: RValue | undefined): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  // a Symbol is its name, as Ruby's to_s and Capistrano's roles take it (isObject does not take Symbols)
  if (isSym(v)) return v.sym;
  if (isObject(v) && typeof (v as { float?: unknown }).float === "string") return (v as { float: string }).float;
  return null;
}

// ------------------------------------------------------------------------------------------------
// Stages and servers
// ------------------------------------------------------------------------------------------------

/** Rails environment of a stage: Capistrano's `rails_env`, else the stage name (capistrano/rails' default). */
export function railsEnvOf(stage: Stage): string {
  return startedRailsEnv(stage)?.env ?? cap2DefaultEnv(stage)?.env ?? stringOf(stage.variables["rails_env"]?.value) ?? railsEnvFallback(stage)?.value ?? stage.name;
}

/** Why a stage runs its RAILS_ENV, and where that is said: the overlay's provenance row. */
export function railsEnvWhy(stage: Stage): { what: string; source: Source } {
  const env = railsEnvOf(stage);
  const fact = stage.variables["rails_env"];
  const hooked = stage.hookedSets?.find((h) => h.variable === "rails_env");
  const cap2 = cap2DefaultEnv(stage);
  const started = startedRailsEnv(stage);
  // The start line decided (src/model.ts startedRailsEnv): cite it, and what it overrode.
  if (started) {
    const said = fact ? stringOf(fact.value) : null;
    const over = fact && said !== null && said !== env ? `; the deploy's rails_env "${said}" (${fact.source.file}:${fact.source.line}${fact.defaultOf ? `, ${fact.defaultOf}'s default` : ""}) is what its own tasks ran with (hazard ${cap2 ? "stage.rails-env-cap2-default" : "stage.rails-env-start-line"})` : "";
    return { what: `RAILS_ENV=${env}: the app server's start line ${started.how} (${started.source.file}:${started.source.line}) started the app with it${over}`, source: started.source };
  }
  if (cap2 && fact) {
    const ran = cap2.evidence ? `the ${cap2.evidence.name} the deploy exported to its commands (${cap2.evidence.source.file}:${cap2.evidence.source.line})` : `the stage's name (no file sets rails_env)`;
    return { what: `RAILS_ENV=${env}: ${ran}; Capistrano 2's default "${stringOf(fact.value)}" is what its recipes ran with, a doubt (hazard stage.rails-env-cap2-default)`, source: cap2.evidence?.source ?? stage.source };
  }
  if (fact && stringOf(fact.value) !== null) {
    if (hooked) return { what: `RAILS_ENV=${env}: set by task ${hooked.task}, which the hook \`${hooked.hook.kind} ${hooked.hook.target}\` (${hooked.hook.source.file}:${hooked.hook.source.line}) runs on every deploy, over what the stage file says`, source: hooked.set };
    if (fact.defaultOf) return { what: `RAILS_ENV=${env}: ${fact.defaultOf}'s default (no file sets rails_env for stage ${stage.name})`, source: fact.source };
    return { what: `RAILS_ENV=${env} (the stage's rails_env)`, source: fact.source };
  }
  const fb = railsEnvFallback(stage);
  if (fb) return { what: `RAILS_ENV=${env}: the fallback of rails_env, which is ENV['${fb.env}'] of the deploying machine when it set one (${fb.source.file}:${fb.source.line})`, source: fb.source };
  if (fact && fact.value !== null && fact.value !== undefined) return { what: `RAILS_ENV=${env}: the stage's name stands in; its rails_env (${fact.source.file}:${fact.source.line}) is not known statically`, source: fact.source };
  return { what: `RAILS_ENV=${env}: the stage's name (no file sets rails_env; capistrano-rails' default)`, source: stage.source };
}

const hasRole = (roles: string[]) => (s: Stage["servers"][number]) => s.roles.some((r) => roles.includes(r));

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

/**
 * A capistrano-sidekiq variable of the stage, unless the deploy loads nothing that reads it
 * (SidekiqFacts.unreadSettings, from analyzers/workers/plugin-unread-settings.ts): a setting the
 * servers ran without gives no role and no count. The one place the Sidekiq rules read them.
 */
function sidekiqVariable(stage: Stage, name: string, unread: readonly string[]): RValue | undefined {
  return unread.includes(name) ? undefined : stage.variables[name]?.value;
}

/** The roles sidekiq ran on: capistrano-sidekiq's `sidekiq_roles`, else `worker`/`sidekiq` servers, else `app` (its default). */
export function sidekiqRoles(stage: Stage, unread: readonly string[] = []): string[] {
  // capistrano-mb's sidekiq recipe (when :mb_recipes lists it) runs its unit on :mb_sidekiq_role.
  const mbRecipes = stage.variables["mb_recipes"]?.value;
  const role = stage.variables["mb_sidekiq_role"]?.value;
  const mbRole = Array.isArray(mbRecipes) && mbRecipes.some((r) => stringOf(r) === "sidekiq") ? role : undefined;
  const v = sidekiqVariable(stage, "sidekiq_roles", unread) ?? sidekiqVariable(stage, "sidekiq_role", unread) ?? mbRole;
  const list = Array.isArray(v) ? v.map(stringOf).filter((x): x is string => !!x) : stringOf(v) ? [stringOf(v)!] : [];
  if (list.length) return list;
  if (stage.servers.some(hasRole(["worker", "sidekiq"]))) return ["worker", "sidekiq"];
  return ["app"];
}

/**
 * Worker replicas = servers with the sidekiq roles × `sidekiq_processes` (capistrano-sidekiq, default 1).
 * `unread`: the plugin's variables nothing in the deploy reads (SidekiqFacts.unreadSettings).
 */
export function workerReplicas(stage: Stage, unread: readonly string[] = []): number {
  const servers = stage.servers.filter(hasRole(sidekiqRoles(stage, unread))).length;
  const processes = numberOf(sidekiqVariable(stage, "sidekiq_processes", unread)) ?? 1;
  return Math.max(1, servers * processes);
}

/**
 * Annotation of a CronJob an overlay suspends because whenever wrote no line for it on that stage:
 * the stage's reason, which stands over the base's (a job the base suspends as needing a server-only
 * program is, on a stage without its roles, simply not run there).
 */
export const CRON_NOT_RUN_ANNOTATION = "rails2k8s.dev/not-run-on-stage";

/** Annotation of a CronJob whose stage's crontab ran another Rails environment than the overlay's (or one not known). */
export const CRON_CRONTAB_ENV_ANNOTATION = "rails2k8s.dev/crontab-environment";

/**
 * Where the stage's crontab ran the job with another environment than its overlay's RAILS_ENV
 * (src/model/cron-env.ts): the variable and value the CronJob must run with there, or null value
 * where that environment is not known (then it stays suspended on the stage: a gap, not the overlay's).
 */
export function cronCrontabEnv(stage: Stage, job: CronJob, repoUpdateTask = false): { variable: string; value: string | null; why: string } | null {
  const d = crontabEnvDiffers(stage, job, repoUpdateTask);
  if (!d) return null;
  const overlay = railsEnvWhy(stage);
  const at = (s: Source) => `${s.file}:${s.line}`;
  const variable = crontabEnvVariable(job);
  const why = d.env
    ? `the servers' crontab ran it with ${variable}=${d.env} (${d.how}, ${at(d.source)}), not the overlay's RAILS_ENV=${d.overlay} (${at(overlay.source)}): its CronJob runs ${variable}=${d.env} here, as the crontab did; confirm that environment is meant for this stage's database`
    : `the servers' crontab ran it with an environment not known statically (${d.how}, ${at(d.source)}), and the overlay's is RAILS_ENV=${d.overlay} (${at(overlay.source)}): written suspended here until you confirm which one it ran`;
  return { variable, value: d.env, why };
}

/** whenever's jobs run on the servers with their `roles:` (default :db); a stage without one never ran it. */
export function cronRanOnStage(stage: Stage, job: CronJob, repoUpdateTask = false): boolean {
  return cronNotRunReason(stage, job, repoUpdateTask) === null;
}

/**
 * Why whenever wrote no crontab line for the job on the stage, or null when it did. A stage that
 * declares no server ran no cron at all; one whose servers could not be read has the question
 * servers.<stage>, and until it is answered nothing says the job ran there. Only the overlay
 * written when the repo has no stage (stages.none) knows nothing of its servers: the job is kept.
 */
export function cronNotRunReason(stage: Stage, job: CronJob, repoUpdateTask = false): string | null {
  // The schedule's `if @environment == …` was decided by the environment whenever was given there
  // (the crontab's), not by the overlay's RAILS_ENV; one not known decides nothing here.
  const { env, crontab } = scheduleEnvOn(stage, job, repoUpdateTask);
  if (job.envs && env !== null && !job.envs.includes(env)) return `${job.source.file} defines it only for RAILS_ENV ${job.envs.join(", ")}, not ${env}${crontab ? ` (the environment the stage's crontab was written with: ${crontab.how})` : ""}`;
  if (job.onStages && !job.onStages.stages.includes(stage.name)) return `with the stage's whenever ${job.onStages.by === "environment" ? "environment" : "variables"} (${job.onStages.with.file}:${job.onStages.with.line}) ${job.source.file} does not define it, so whenever wrote no crontab line for it there`;
  if (job.stages && !job.stages.includes(stage.name)) return `the stage's deploy does not load ${job.source.file} (only ${job.stages.join(", ")} do), so whenever wrote no crontab line for it there`;
  if (cronServersOf(stage, job).length) return null;
  if (job.taskRoles && stage.servers.length > 0)
    return `no server had the roles (${cronRolesOf(stage, job).join(", ") || "none in common with the job's"}) of the deploy task that runs whenever on ${job.source.file}, so whenever wrote no crontab line for it there`;
  if (stage.servers.some(hasRole(cronRolesOf(stage, job))))
    return `no server with its roles (${cronRolesOf(stage, job).join(", ")}) also had one of whenever_roles, where whenever's Capistrano task writes the crontab, so whenever wrote no crontab line for it there`;
  if (stage.servers.length > 0) return `no server had its roles (${cronRolesOf(stage, job).join(", ")}), so whenever wrote no crontab line for it there`;
  if (stage.undeclared) return null;
  const unread = (Array.isArray(stage.unread) ? stage.unread : []).find((u) => u.what === "servers");
  if (unread) return `the stage's servers (${unread.source.file}:${unread.source.line}) could not be read; answer servers.${stage.name} to say where it ran`;
  return `the stage declares no server (${stage.source.file} names none), so whenever wrote no crontab line for it there`;
}

/** How many servers ran the job on the stage (cron ran it once per server; a CronJob runs it once). */
export function cronServerCount(stage: Stage, job: CronJob): number {
  return cronServersOf(stage, job).length;
}

/** HPA maxReplicas default: twice today's servers, room for a peak without a surprise bill. */
export const defaultMaxReplicas = (min: number): number => Math.max(2, min * 2);

/** The stage that is production: named `production`, else the only stage whose rails_env is production. */
export function productionStage(stages: Stage[]): Stage | null {
  // Asked once per stage (hosts, gaps): without the memo, 10,000 stages cost 10⁸ comparisons. The
  // length guards against a list that grew since (the analysis builds it, nothing edits it later).
  const memo = productionMemo.get(stages);
  if (memo && memo.length === stages.length) return memo.prod;
  const named = stages.find((s) => s.name === "production");
  const prod = named ? [named] : stages.filter((s) => railsEnvOf(s) === "production");
  const found = prod.length === 1 ? prod[0]! : null;
  productionMemo.set(stages, { length: stages.length, prod: found });
  return found;
}
const productionMemo = new WeakMap<Stage[], { length: number; prod: Stage | null }>();

// ------------------------------------------------------------------------------------------------
// App server: Unicorn / Puma → container, grace period, resources
// ------------------------------------------------------------------------------------------------

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
 * CPU: the limit equals the request. A limit above the request lets a pod burst on a quiet node and
 * be throttled on a busy one, so latency depends on the neighbours; the HPA's utilisation target is
 * measured against the request, which is then what the pod really has. Memory keeps headroom above
 * the request: a Rails process grows, and running out is a restart, not a slowdown.
 * resources() in pod.ts applies this rule to every container, answers included.
 */
export const cpuLimitOf = (r: ResourceSpec): string => r.requests.cpu;

/**
 * Resource defaults of the web container from its worker processes: a Rails process takes about
 * 250Mi and the master 200Mi; each worker gets half a core (request = limit, see cpuLimitOf).
 */
export function defaultWebResources(workers: number): ResourceSpec {
  const w = Math.max(1, Math.round(workers));
  const memory = 200 + 250 * w;
  return {
    requests: { cpu: `${500 * w}m`, memory: `${memory}Mi` },
    limits: { cpu: `${500 * w}m`, memory: `${memory + 250}Mi` },
  };
}

/** Sidekiq is one process: one core at most under the GVL; memory grows a little per thread. */
export function defaultWorkerResources(concurrency: number): ResourceSpec {
  const memory = 400 + 10 * Math.max(1, Math.round(concurrency));
  return { requests: { cpu: "1000m", memory: `${memory}Mi` }, limits: { cpu: "1000m", memory: `${memory + 256}Mi` } };
}

/** One-off processes (db:migrate, cron jobs): one Rails process. */
export const taskResources = (): ResourceSpec => ({
  requests: { cpu: "500m", memory: "512Mi" },
  limits: { cpu: "500m", memory: "1Gi" },
});

/** The nginx sidecar: small and fixed. */
export const nginxResources = (): ResourceSpec => ({
  requests: { cpu: "100m", memory: "64Mi" },
  limits: { cpu: "100m", memory: "128Mi" },
});

// ------------------------------------------------------------------------------------------------
// Health
// ------------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------------
// Sidekiq
// ------------------------------------------------------------------------------------------------

/** An env override of sidekiq.yml (`production: { concurrency: 20 }`) wins over the top level. */
function sidekiqSetting(model: ModelLike, railsEnv: string, key: string): RValue | undefined {
  const sk = model.sidekiq;
  if (!sk) return undefined;
  const o = sk.envOverrides[railsEnv]?.[key] ?? sk.envOverrides[railsEnv]?.[`:${key}`];
  if (o !== undefined) return o;
  return key === "concurrency" ? sk.concurrency?.value : key === "timeout" ? sk.timeout?.value : undefined;
}

/** Sidekiq's shutdown timeout: the config's, else its default (25s since Sidekiq 6, 8s before). */
export function sidekiqTimeout(model: ModelLike, railsEnv: string): number {
  // `-t N` on the command the servers ran wins over sidekiq.yml, as in Sidekiq's CLI.
  if (model.sidekiq?.commandTimeout) return model.sidekiq.commandTimeout.value;
  const n = numberOf(sidekiqSetting(model, railsEnv, "timeout"));
  if (n !== null) return n;
  const version = model.rails.gems["sidekiq"]?.value;
  const major = version ? Number.parseInt(version, 10) : NaN;
  return Number.isFinite(major) && major < 6 ? 8 : 25;
}

/**
 * Sidekiq's own default concurrency (threads per process) for the locked version, as its changelog
 * (sidekiq/sidekiq Changes.md, also Debian's /usr/share/doc/ruby-sidekiq/changelog.gz) and sources say:
 * 25 up to 5.1.x; "5.2.0: Decrease default concurrency from 25 to 10 [#3892]" (lib/sidekiq.rb
 * DEFAULTS `concurrency: 10` through 6.x, 6.4.1 here); 5 from 7.0 (docs/7.0-Upgrade.md: "default
 * concurrency has been reduced from 10 to 5", lib/sidekiq/config.rb DEFAULTS). `of` names whose
 * default it is; with no locked version it is the 5.2–6.x value, and `of` says the version is unknown.
 */
export function sidekiqDefaultConcurrency(model: ModelLike): { value: number; of: string; source: Source | null } {
  const fact = model.rails.gems["sidekiq"];
  const m = fact ? /^(\d+)(?:\.(\d+))?/.exec(fact.value) : null;
  if (!fact || !m) return { value: 10, of: "Sidekiq 5.2–6.x's default (Gemfile.lock locks no sidekiq version, so which Sidekiq's default applied is not known)", source: fact?.source ?? null };
  const [major, minor] = [Number(m[1]), Number(m[2] ?? 0)];
  const value = major >= 7 ? 5 : major > 5 || (major === 5 && minor >= 2) ? 10 : 25;
  return { value, of: `Sidekiq ${major}.${minor}'s default`, source: fact.source };
}

/**
 * Whether the locked Sidekiq reads RAILS_MAX_THREADS where no -c and no config sets the concurrency:
 * from 4.2 ("4.2.0: Allow tuning of concurrency with the RAILS_MAX_THREADS env var [#2985]"; Debian's
 * 6.4.1 lib/sidekiq/cli.rb:254 `opts[:concurrency] = Integer(ENV["RAILS_MAX_THREADS"]) if
 * opts[:concurrency].nil? && ENV["RAILS_MAX_THREADS"]`; 7.x's DEFAULTS `Integer(ENV["RAILS_MAX_THREADS"] || 5)`).
 * With no locked version, the 5.2–6.x default is the one used, and those read it.
 */
export function sidekiqReadsMaxThreads(model: ModelLike): boolean {
  const m = /^(\d+)(?:\.(\d+))?/.exec(model.rails.gems["sidekiq"]?.value ?? "");
  if (!m) return true;
  const [major, minor] = [Number(m[1]), Number(m[2] ?? 0)];
  return major > 4 || (major === 4 && minor >= 2);
}

/**
 * Why the servers' concurrency may not be the one a config of the repo says: a config file the
 * servers' Sidekiq read that the repo lacks. Sidekiq reads ./config/sidekiq.yml when no -C is given
 * (changelog 2.17.5: "Automatically use the config file found at config/sidekiq.yml, if not passed
 * -C. [#1481]"), so a linked config/sidekiq.yml the checkout does not hold is one; so is a
 * capistrano-sidekiq `sidekiq_config` naming a file off the repo (analyzers/workers/sidekiq-plugin.ts
 * keeps only repo files). Null where the repo holds what the servers read.
 */
function serversOnlySidekiqConfig(model: ModelLike, stage: Stage, file: string | null): { what: string; source: Source } | null {
  const off = stage.variables["sidekiq_config"];
  if (!model.sidekiq?.plugin?.[stage.name]?.config && off && typeof off.value === "string")
    return { what: `the servers' ${off.value} (capistrano-sidekiq sidekiq_config, not in the repo)`, source: off.source };
  // A path not known statically (`File.join(shared_path, …)` with deploy_to from ENV) is no less a
  // file of the servers: Sidekiq was started with it, and the repo does not say what it held.
  if (!model.sidekiq?.plugin?.[stage.name]?.config && off && off.value !== null && off.value !== false && typeof off.value === "object" && !Array.isArray(off.value) && "unknown" in off.value)
    return { what: `the servers' file that capistrano-sidekiq sidekiq_config names (${off.value.expr ?? "its value"}, a path not known statically, not in the repo)`, source: off.source };
  // Any other value that names something (a list, a symbol): still the servers' file, said as such.
  if (!model.sidekiq?.plugin?.[stage.name]?.config && off && off.value !== null && off.value !== false)
    return { what: "the servers' file (capistrano-sidekiq sidekiq_config, not in the repo)", source: off.source };
  if (file) return null;
  const linked = model.linked.find((l) => l.path === "config/sidekiq.yml" && l.serverOnly && (!l.stages.length || l.stages.includes(stage.name)));
  return linked ? { what: "the servers' config/sidekiq.yml (a linked file the repo does not hold, which Sidekiq reads when no -C is given)", source: linked.source } : null;
}

/** Sidekiq's concurrency: the config's, else Sidekiq's default for the locked version (sidekiqDefaultConcurrency). */
export function sidekiqConcurrency(model: ModelLike, railsEnv: string): number {
  const n = numberOf(sidekiqSetting(model, railsEnv, "concurrency"));
  if (n !== null) return n;
  return sidekiqDefaultConcurrency(model).value;
}

/** Queues as `name` or `name,weight` (sidekiq's `-q` syntax). */
export function sidekiqQueues(model: ModelLike, railsEnv: string): string[] {
  const sk = model.sidekiq;
  if (!sk) return [];
  const override = sk.envOverrides[railsEnv]?.["queues"] ?? sk.envOverrides[railsEnv]?.[":queues"];
  const values: RValue[] = Array.isArray(override) ? override : sk.queues.map((q) => q.value);
  const out: string[] = [];
  for (const q of values) {
    if (Array.isArray(q)) {
      const name = stringOf(q[0]);
      const weight = numberOf(q[1]);
      if (name) out.push(weight !== null ? `${name},${weight}` : name);
    } else {
      const name = stringOf(q);
      if (name) out.push(name);
    }
  }
  return out;
}

/** A stage's Sidekiq as capistrano-sidekiq started and stopped it (analyzers/workers/sidekiq-plugin.ts). */
export interface SidekiqOfStage {
  /** The Rails env it ran in: `sidekiq_env`, else the stage's. */
  env: string;
  /** Its config file: a 3.x unit's `config/<entry>`, else `sidekiq_config`, else the repo's default one. */
  file: string | null;
  concurrency: number;
  queues: string[];
  /**
   * Drain timeout: Sidekiq's own (after it, unfinished jobs go back to Redis), or the plugin's
   * `sidekiq_timeout` when longer (its stop waited that long before SIGKILL): the longer of the two,
   * so the pod loses no job the servers kept.
   */
  timeout: number;
  /** Flags the plugin added to the command line: `-e`, `-q` each, `-c`. */
  flags: string[];
  /**
   * Set where no flag and no config the analysis read sets the concurrency: whose default it is
   * (sidekiqDefaultConcurrency), and why none was read, for the provenance.
   */
  concurrencyDefault?: {
    of: string;
    source: Source | null;
    why: string;
    unknown?: { what: string; source: Source };
    /** The question that asks the count `unknown` holds back (src/gaps/workers.ts), still a placeholder. */
    asked?: string;
    /** The answer to that question: the count the pod is pinned to with -c. */
    answered?: string;
  };
}

/**
 * A Sidekiq worker's thread count asked where only a placeholder stood (the servers' config or
 * environment file the repo lacks): its answer (or the default taken with no one asked), and whether
 * it is still the placeholder (src/migrate.ts drops `placeholder` from a question someone answered).
 */
export interface AnsweredThreads {
  id: string;
  value: number;
  placeholder: boolean;
}

/** The answer id of a Sidekiq worker's threads per process on a stage, asked where only a placeholder stood. */
export const workerThreadsAnswer = (stage: string, worker: string): string => `workers.${stage}.${worker}.threads`;

/** The answered thread count of a worker on a stage, where the model asked it (model.gaps holds the question as asked). */
export function answeredThreads(model: Pick<AppModel, "gaps">, answers: Record<string, RValue>, stage: string, worker: string): AnsweredThreads | undefined {
  const id = workerThreadsAnswer(stage, worker);
  const g = model.gaps.find((x) => x.id === id);
  const v = answers[id];
  if (!g || typeof v !== "number" || !Number.isInteger(v) || v < 1) return undefined;
  return { id, value: v, placeholder: g.placeholder === true };
}

/**
 * `own`: the sidekiq_options_per_process words of one Deployment of a split Sidekiq (WorkerFacts
 * sidekiqOptions), in place of the stage's own `options`; its `-t` then wins over the config's timeout.
 */
export function sidekiqOfStage(model: ModelLike, stage: Stage, own?: SidekiqOptionWords, unit?: { entry: string }, answered?: AnsweredThreads): SidekiqOfStage {
  const p0 = model.sidekiq?.plugin?.[stage.name] ?? {};
  const p = own ? { ...p0, options: own.words.length ? { value: own.words, queues: own.queues, concurrency: own.concurrency } : undefined } : p0;
  // capistrano-sidekiq 3.x's unit for a sidekiq_config_files entry runs `--config config/<entry>`:
  // that file's settings, in place of the default file's (analyzers/workers/sidekiq-config-files.ts).
  const entry = unit ? model.sidekiq?.configFiles?.[unit.entry] : undefined;
  // Sidekiq's own start line's `-C` (analyzers/workers/sidekiq-line.ts) names the file it read.
  const config = entry?.facts ? { value: entry.file, facts: entry.facts } : own?.config ? { value: own.config.file, facts: own.config.facts } : p.config ? { value: p.config.value, facts: p.config.facts } : null;
  const m: ModelLike = config && model.sidekiq ? { ...model, sidekiq: { ...model.sidekiq, ...config.facts, file: config.value } } : model;
  const env = p.env?.value ?? railsEnvOf(stage);
  // sidekiq_options_per_process came after the plugin's own flags on its start line: each `-q` adds
  // a queue to those before it, and the last `-c` wins (Sidekiq's option parser).
  const flags = [
    ...(p.env ? ["-e", p.env.value] : []),
    ...(p.queues?.value ?? []).flatMap((q) => ["-q", q]),
    ...(p.concurrency ? ["-c", String(p.concurrency.value)] : []),
    ...(p.options?.value ?? []),
  ];
  const flagQueues = [...(p.queues?.value ?? []), ...(p.options?.queues ?? [])];
  const set = p.options?.concurrency ?? p.concurrency?.value ?? numberOf(sidekiqSetting(m, env, "concurrency"));
  const version = sidekiqDefaultConcurrency(m);
  const offRepo = set === null ? serversOnlySidekiqConfig(model, stage, m.sidekiq?.file ?? null) : null;
  // Sidekiq ≥ 4.2 takes RAILS_MAX_THREADS where nothing else sets it: the deploy's default_env
  // exported it to the start command (sidekiqReadsMaxThreads).
  const reads = sidekiqReadsMaxThreads(m);
  // Sidekiq's own start line may give its process RAILS_MAX_THREADS (its assignment, its systemd
  // unit's Environment=, analyzers/workers/sidekiq-line.ts), which wins over default_env; a unit's
  // process never saw default_env at all. A config the servers read that the repo lacks comes before
  // RAILS_MAX_THREADS (cli.rb merges it first), and -c and a config of the repo before both.
  const line = reads && !offRepo ? own?.maxThreads : undefined;
  const lineUnknown = line && "unknown" in line ? { what: line.unknown, source: line.source } : null;
  const deployEnv = defaultEnv(stage).find((e) => e.name === "RAILS_MAX_THREADS");
  const maxThreads = !reads || offRepo || lineUnknown ? undefined : line && "value" in line ? { value: line.value as string | null, source: line.source, in: `on ${line.via} (${line.source.file}:${line.source.line})` } : own?.ownEnvironment || !deployEnv ? undefined : { value: deployEnv.value, source: deployEnv.source, in: "in Capistrano's default_env" };
  const fromEnv = maxThreads && maxThreads.value !== null && /^\d+$/.test(maxThreads.value.trim()) ? Number(maxThreads.value.trim()) : null;
  const dflt = fromEnv !== null && maxThreads ? { value: fromEnv, of: `RAILS_MAX_THREADS ${fromEnv} ${maxThreads.in}, which ${version.of.replace(/'s default.*$/, "")} reads where nothing else sets the concurrency`, source: maxThreads.source } : version;
  const unknown = offRepo ?? lineUnknown;
  // A config that names a concurrency the analysis cannot read is not a config that sets none.
  const why0 = unknown
    ? `not known: ${unknown.what} may set it, so this is a placeholder for the servers' value`
    : sidekiqSetting(m, env, "concurrency") !== undefined ? `${m.sidekiq?.file ?? "the config"}'s concurrency is not known statically` : `nothing sets it (no -c on its command line${m.sidekiq?.file ? `, no concurrency in ${m.sidekiq.file}` : ", no config file"})`;
  const why = fromEnv !== null ? why0.replace(/^nothing sets it/, "nothing else sets it") : !reads || unknown
    ? why0
    : maxThreads
      ? `${why0}; RAILS_MAX_THREADS ${maxThreads.in} is a value the analysis cannot read, which Sidekiq took in place of its default`
      : own?.ownEnvironment
        ? `${why0}${deployEnv ? `; Capistrano's default_env sets RAILS_MAX_THREADS (${deployEnv.source.file}:${deployEnv.source.line}), but ${own.ownEnvironment}` : ""}, unless the servers' systemd gave every unit RAILS_MAX_THREADS (DefaultEnvironment=), which Sidekiq takes in place of its default`
        : `${why0}, unless the servers' environment set RAILS_MAX_THREADS, which Sidekiq takes in place of its default`;
  // A placeholder's question answered: the answer is the count; still the default, it stays the placeholder, naming its question.
  const given = set === null && unknown && answered ? answered : undefined;
  const concurrencyDefault = given && !given.placeholder
    ? { of: `the answer to ${given.id}`, source: { file: ANSWERS_FILE, line: 0 }, why: `the servers' count was not known (${unknown!.what} may set it), so it was asked`, answered: given.id }
    : { of: dflt.of, source: dflt.source, why, ...(unknown ? { unknown } : {}), ...(given ? { asked: given.id } : {}) };
  return {
    env,
    file: m.sidekiq?.file ?? null,
    concurrency: set ?? given?.value ?? dflt.value,
    ...(set === null ? { concurrencyDefault } : {}),
    queues: flagQueues.length ? flagQueues : sidekiqQueues(m, env),
    timeout: Math.max(own?.timeout ?? sidekiqTimeout(m, env), p.stopWait?.value ?? 0),
    flags,
  };
}

/**
 * Replicas of one Deployment of a split Sidekiq on a stage: the stage's Sidekiq servers × the
 * processes per server that got its options (WorkerFacts perStage), 0 where none did; with no
 * Sidekiq server listed, the processes of one server (as workerReplicas' minimum of one).
 */
export function sidekiqSetReplicas(stage: Stage, processes: number, unread: readonly string[] = []): number {
  if (processes === 0) return 0;
  const servers = stage.servers.filter(hasRole(sidekiqRoles(stage, unread))).length;
  return Math.max(1, servers) * processes;
}

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

/**
 * Scheduler processes: each enqueues every due job once per tick, so two running at once enqueue it
 * twice (clockwork has no lock; resque-scheduler's Redis lock is not the place to rely on either).
 * They run exactly one pod on every stage, replaced with Recreate (the old pod stops before the new
 * one starts), never scaled and under no PDB. Schedulers that live inside a worker process
 * (sidekiq-scheduler, sidekiq-cron, GoodJob's cron, Solid Queue's recurring tasks) are not here:
 * they are not processes of their own.
 */
export const SINGLETON_BACKENDS: ReadonlySet<string> = new Set(["resque-scheduler", "clockwork"]);
export const isSingletonWorker = (backend: string): boolean => SINGLETON_BACKENDS.has(backend);
export const SINGLETON_WHY = "one, always: a scheduler enqueues each due job once, and two would enqueue it twice";

/**
 * Replicas of a worker other than Sidekiq: servers with its roles × processes per server (one
 * process per pod), else 1 (a default, labelled as one). `processesPerServer` is the deploy's own
 * count for this worker on the stage (capistrano-resque's `:workers` entry; 0 where the stage ran
 * none), which wins over the plugin's variable.
 */
export function backendWorkerReplicas(stage: Stage, roles: string[], processesVariable?: string, processesPerServer?: number, primaryOnly = false): { replicas: number; fromServers: boolean } {
  // `on primary(:role)` ran it on the role's first server only.
  const servers = Math.min(stage.servers.filter(hasRole(roles)).length, primaryOnly ? 1 : Infinity);
  const processes = processesPerServer ?? (processesVariable ? numberOf(stage.variables[processesVariable]?.value) : null) ?? 1;
  if (processes === 0) return { replicas: 0, fromServers: true };
  // No server holds the roles: one server's worth, the deploy's own count per server where it set one.
  return servers > 0 ? { replicas: Math.max(1, Math.round(servers * processes)), fromServers: true } : { replicas: processes, fromServers: false };
}

/**
 * Backends whose one process runs its jobs on threads of its own: each process the servers ran is
 * one pod, and the threads stay inside it as the start line set them (spreading them over pods would
 * change how many jobs run at once, and the line's other options with them). que: `--worker-count`
 * (-w) threads per process.
 */
const ONE_PROCESS_PER_POD: Record<string, string> = {
  que: "one que process per pod: the servers' que processes (processes per server × servers) are that many pods, and each keeps its line's --worker-count (-w) threads (que's own default where the line sets none)",
};

/** The stated rule by which a backend's processes become pods, where it has one of its own. */
export const processPerPodRule = (backend: string): string | null => ONE_PROCESS_PER_POD[backend] ?? null;

/** The answer id of a worker's processes per server on a stage, asked where the deploy's count could not be read. */
export const workerProcessesAnswer = (stage: string, worker: string): string => `workers.${stage}.${worker}.processes`;

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

// ------------------------------------------------------------------------------------------------
// Cron (whenever)
// ------------------------------------------------------------------------------------------------

/** Schedules Kubernetes cannot run: `@reboot` ran when the server booted; there is no such moment. */
export const isRunnableSchedule = (schedule: string): boolean => !/^@reboot\b/.test(schedule.trim());

/**
 * The command a cron line ran, made to run in the container: whenever wraps it as
 * `/bin/bash -l -c 'cd <release> && RAILS_ENV=x <cmd> >> log/cron.log 2>&1'`; the image's working
 * directory replaces whenever's own `cd` (the rake/runner/script templates start with `cd :path`,
 * and :path is the release Capistrano ran whenever in), the ConfigMap sets RAILS_ENV, and output
 * goes to the pod's log. A `cd` the schedule itself wrote (`command "cd /data && …"`) keeps its
 * meaning: it stays, with the release layout mapped to the image's app directory.
 */
export function cronCommand(job: CronJob): string | null {
  return cronCommandParts(job).command;
}

/**
 * The servers' Ruby switch (`~/.rvm/bin/rvm 2.3.1 do`, `rbenv exec`) cronCommand left out of the
 * job's line, as written (a piece not known shown as `<not known>`); null when none. Said in the notes.
 */
export function cronRubySwitch(job: CronJob): string | null {
  return cronCommandParts(job).rubySwitch;
}

/** Stands for a piece of the line not known statically: one word, no spaces, never in real text. */
const UNKNOWN_PIECE = "\u0001";

function cronCommandParts(job: CronJob): { command: string | null; rubySwitch: string | null } {
  // whenever pastes a rake/runner/script task into its line unquoted: a task with a quote made a
  // broken line on the servers too. Built from the task, each word quoted, it means what was meant —
  // where the template is whenever's own. A repo's `job_type :runner, "…"` (redefinedType) is read
  // like any job_type: its rendered line is what ran (a flock, a nice, no bundle exec).
  if (wheneverOwnTemplate(job) && stringOf(job.task) !== null) return { command: fallbackCronCommand(job), rubySwitch: null };
  let s = cronCommandText(job.command);
  if (s === null) return { command: fallbackCronCommand(job), rubySwitch: null };
  s = s.trim();
  const wrapped = /^\/bin\/(?:ba)?sh -l -c '([\s\S]*)'$/.exec(s);
  if (wrapped) s = wrapped[1]!.replace(/'\\''/g, "'");
  s = s.replace(/\s*(?:>>?\s*\S+)?\s*2>&1\s*$/, "").replace(/\s*\d?>>?\s*\/dev\/null\s*$/, "").replace(/\s*>>\s*\S+\s*$/, "");
  // The head of the line: whenever's `cd :path &&`, `RAILS_ENV=x`, and the servers' Ruby switch, in
  // whatever order a template wrote them (`source ~/.rvm/scripts/rvm && cd :path && …`). The image has
  // no RVM, rbenv or chruby: its one Ruby runs the rest of the line (src/model/ruby-switch.ts).
  const switches: string[] = [];
  for (let before = ""; before !== s; ) {
    before = s;
    const un = withoutRubySwitch(s);
    if (un.switch !== null) switches.push(un.switch), (s = un.command);
    if (job.type !== "command") s = s.replace(/^cd\s+\S+\s*&&\s*/, "");
    s = s.replace(/^(?:RAILS_ENV|RACK_ENV)=\S+\s+/, "");
  }
  const rubySwitch = switches.length ? switches.join(" ").split(UNKNOWN_PIECE).join("<not known>") : null;
  // A piece not known outside the switch: the line is not known.
  if (s.includes(UNKNOWN_PIECE)) return { command: fallbackCronCommand(job), rubySwitch };
  s = s.replace(/(\brunner\s+-e\s+)\S+/, '$1"$RAILS_ENV"');
  // The release the servers ran (`<deploy_to>/current/`, `releases/<timestamp>/`) is the image's app dir.
  s = s.replace(/(^|[\s'"=])\/[^\s'";|&>]*?\/(?:current|releases\/\d+)(?=\/|[\s'";|&>]|$)/g, `$1${APP_DIR}`);
  if (s.startsWith(`cd ${APP_DIR} && `)) s = s.slice(`cd ${APP_DIR} && `.length);
  // `~/.rbenv/shims/bundle exec …`: the servers' path to a Ruby tool is the image's tool on PATH.
  s = s.replace(/(^|[\s;&|(])(\/[^\s'";|&>]*\/(?:shims|bin|wrappers)\/(bundle|bundler|ruby|rake|gem|rails))(?=\s|$)/g, (all, pre: string, path: string, tool: string) => (path.startsWith(`${APP_DIR}/`) ? all : `${pre}${tool}`));
  return { command: s.trim() || fallbackCronCommand(job), rubySwitch };
}

/** whenever's own job types whose line is `cd :path && … <task>`: the command follows from the task. */
const BUILTIN_TASK_TYPES = new Set(["rake", "runner", "script"]);
/** A job of one of those types with whenever 1.0's own template (the schedule did not redefine it). */
const wheneverOwnTemplate = (job: CronJob): boolean => BUILTIN_TASK_TYPES.has(job.type) && !job.redefinedType;

/**
 * A command whenever rendered, as text: the release path Capistrano ran whenever in is the image's
 * app directory, and an output redirection computed on the server is dropped (the pod logs stdout).
 * Null when another piece is unknown.
 */
function cronCommandText(v: RValue): string | null {
  const s = stringOf(v);
  if (s !== null) return s;
  if (!isObject(v) || !Array.isArray((v as { interp?: unknown }).interp)) return null;
  let out = "";
  for (const p of (v as { interp: RValue[] }).interp) {
    const text = stringOf(p);
    if (text !== null) out += text;
    else if (isObject(p) && ((p as { cap?: unknown }).cap === "release_path" || (p as { cap?: unknown }).cap === "current_path")) out += APP_DIR;
    else if (isObject(p) && (p as { unknown?: unknown }).unknown === CRON_OUTPUT_UNKNOWN) continue;
    // kept as a placeholder word: a Ruby switch's path may hold it (`<rvm_path>/bin/rvm 2.3.1 do`,
    // capistrano-rvm's :rvm_path being set on the servers only)
    else if (isObject(p) && (typeof (p as { unknown?: unknown }).unknown === "string" || typeof (p as { cap?: unknown }).cap === "string")) out += UNKNOWN_PIECE;
    else return null;
  }
  return out;
}

/**
 * The first path a command names that only the servers had: the EC2 deploy layout
 * (`/var/www/app/shared/...`, `/home/deploy/...`), or a directory it `cd`s into outside the image's
 * app directory (the image has no such directory, so the command would fail on every run).
 */
export function serverLayoutPath(command: string): string | null {
  // Only words that name files by their program's grammar (cron-words.ts): a grep pattern or a sed
  // script that spells `/var/www/` names no directory.
  for (const words of simpleCommands(command)) {
    const roles = wordRoles(words);
    for (const { word, role } of roles) {
      const paths = role === "ruby" ? rubyStringPaths(word.text) : role === "path" || role === "program" ? [word.text.replace(/^(?:--?[\w-]+|[A-Za-z_]\w*)=/, "")] : [];
      for (const p of paths) if (SERVER_LAYOUT.test(p)) return p;
    }
    const cd = roles[0]?.role === "program" && roles[0].word.text === "cd" ? roles[1]?.word.text : undefined;
    if (cd?.startsWith("/") && cd !== APP_DIR && !cd.startsWith(`${APP_DIR}/`) && !/^\/(?:tmp|var\/tmp)(?:\/|$)/.test(cd)) return cd;
  }
  return null;
}

/** The servers' deploy layout: the usual deploy roots, or a path through a release's shared/, releases/ or current/. */
const SERVER_LAYOUT = /^(?:(?:\/var\/www|\/home\/\w+|\/srv\/\w+|\/opt\/\w+)\/|\/[^\s'";|&>]*\/(?:shared|releases|current)\/)/;

/**
 * The command of a job whenever did not render. whenever pastes a rake task or script name into the
 * line as shell words: the words are kept (`db:thing ARG=1` stays two arguments) but each is quoted,
 * so a name cannot run anything else. A `command` job is shell the repo wrote to run as shell: kept.
 */
function fallbackCronCommand(job: CronJob): string | null {
  const task = stringOf(job.task);
  if (task === null) return null;
  // A redefined rake/runner/script is the repo's own template: not rebuilt from the task, as no custom job_type is.
  if (job.redefinedType) return null;
  const words = (s: string) => shellWords(s.trim().split(/\s+/).filter(Boolean));
  switch (job.type) {
    case "rake":
      return `bundle exec rake ${words(task)} --silent`;
    case "runner":
      return `bundle exec bin/rails runner -e "$RAILS_ENV" ${shellWord(task)}`;
    case "command":
      return task;
    case "script":
      return `bundle exec ${words(`script/${task}`)}`;
    default:
      return null;
  }
}

/**
 * Id of the answer giving the command of the whenever job `key` (cronJobKey) when part of its line is
 * computed only when whenever runs (`set :check_in, Settings.x` pasted into a custom job_type).
 */
export const cronCommandAnswerId = (key: string): string => `cron.${key}.command`;

/**
 * The part of an answer id that names the whenever job `jobs[index]`: its line, and its place among
 * that line's jobs when several share it (`runner_x 'a'; runner_x 'b'`, a loop), so each job has an
 * answer of its own; the first keeps the plain form.
 */
export function cronJobKey(jobs: readonly CronJob[], index: number): string {
  const job = jobs[index]!;
  const before = jobs.slice(0, index).filter((j) => j.source.file === job.source.file && j.source.line === job.source.line).length;
  const at = `${cronFileKey(job.source.file)}line_${job.source.line}`;
  return before ? `job_at_${at}_${before + 1}` : `job_at_${at}`;
}

/**
 * The schedule file in an answer id, for a file other than whenever's default (whose ids keep their
 * plain form, which saved answers files hold): `config/whenever/cron.rb` → `whenever_cron_<hash>_`.
 * The readable part folds `/`, `_` and case and is cut, so `config/whenever_cron.rb` reads the same:
 * the hash of the whole path keeps two files' line 4 two answers.
 */
const cronFileKey = (file: string): string =>
  file === WHENEVER_DEFAULT_FILE
    ? ""
    : `${file.replace(/^config\//, "").replace(/\.rb$/, "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 40)}_${createHash("sha256").update(file).digest("hex").slice(0, 8)}_`;

/**
 * The command a CronJob is written with until its real command is answered: it is written
 * suspended, and were it resumed it fails loudly instead of running a guessed line. Only the answer
 * id (from a line number) enters it.
 */
export const unknownCronCommand = (key: string): string => `echo "rails2k8s: the command of this CronJob is not known yet: answer ${cronCommandAnswerId(key)}" >&2; exit 64`;

/** What the analysis could not know in a job's command, in words (the unknown pieces' reasons). */
export function cronCommandUnknowns(job: CronJob): string[] {
  const v = job.command as unknown;
  const pieces: unknown[] = isObject(v as RValue) && Array.isArray((v as { interp?: unknown }).interp) ? (v as { interp: unknown[] }).interp : [v];
  const out = new Set<string>();
  for (const p of pieces) if (isObject(p as RValue) && typeof (p as { unknown?: unknown }).unknown === "string" && (p as { unknown: string }).unknown !== CRON_OUTPUT_UNKNOWN) out.add((p as { unknown: string }).unknown);
  return [...out];
}

/** Id of the answer giving the cron line of the whenever job defined at `line` of config/schedule.rb (src/gaps/cron.ts). */
export const cronScheduleAnswerId = (key: string): string => `cron.${key}.schedule`;

/**
 * A command whose program is an absolute path outside the system's own directories
 * (`/usr/local/bin/backup`, `/home/deploy/bin/x`): it was installed on the servers, not in the image.
 */
export function serverOnlyProgram(command: string): string | null {
  for (const words of simpleCommands(command)) {
    const w = programOf(words);
    if (!w) continue;
    // The image's Ruby puts these on PATH: a shim or wrapper path to them is rewritten, not suspended (cronCommand).
    if (RUBY_TOOL_PATH.test(w) && !w.startsWith(`${APP_DIR}/`)) continue;
    if (w.startsWith("/") && !w.startsWith(`${APP_DIR}/`) && !/^\/(usr\/)?s?bin\/[\w.-]+$/.test(w)) return w;
    // Service managers of the servers: the image has none, and Kubernetes restarts its own pods.
    if (SERVER_DAEMON_PROGRAMS.has(w.replace(/^.*\//, ""))) return w;
  }
  return null;
}

/** `systemctl restart x`, `service nginx reload`, `/etc/init.d/x`: what managed the servers' daemons (and sudo, which the image has not). */
const SERVER_DAEMON_PROGRAMS: ReadonlySet<string> = new Set([...SERVICE_MANAGERS, "sudo"]);

/**
 * The program a command word list runs: past `VAR=value` words and the wrappers that run the rest
 * (`env`, `nice`, `nohup`, `timeout 60`, `bundle exec`, `exec`), so `/usr/bin/env X=1 /opt/x/run`
 * is /opt/x/run. `sudo` is kept: the container has no sudo, and what it ran was the server's.
 */
function programOf(shell: ShellWord[]): string | undefined {
  const words = shell.map((w) => w.text);
  let i = 0;
  for (;;) {
    const w = words[i];
    if (w === undefined) return undefined;
    const base = w.replace(/^\/(?:usr\/)?bin\//, "");
    if (shell[i]!.redirect) i += /&[\d-]*$/.test(w) ? 1 : 2;
    else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) i++;
    else if (base === "env" || base === "nice" || base === "nohup" || base === "exec" || base === "command") {
      i++;
      while (words[i]?.startsWith("-")) i += words[i] === "-n" || words[i] === "-u" ? 2 : 1;
    } else if (base === "timeout") {
      // `timeout -s KILL -k 5 60 X`, `timeout --signal=KILL 60 X`: options, then the duration.
      i++;
      while (words[i]?.startsWith("-")) i += ["-s", "-k", "--signal", "--kill-after"].includes(words[i]!) ? 2 : 1;
      i++;
    } else if (w === "bundle" && words[i + 1] === "exec") i += 2;
    else if (w.includes("/") || NOT_WRAPPERS.has(w) || hasGrammar(w)) return w;
    else {
      // A wrapper not known here (`flock -n /tmp/x.lock /opt/backup/run.sh`): a server's absolute
      // path among its words is what it runs. Redirect targets, the app's own files, /tmp, /dev/null
      // and the system's bin directories are not.
      for (let j = i + 1; j < words.length; j++) {
        if (shell[j]!.redirect) {
          if (!/&[\d-]*$/.test(words[j]!)) j++;
          continue;
        }
        const arg = words[j]!;
        if (!arg.startsWith("/") || arg === APP_DIR || arg.startsWith(`${APP_DIR}/`)) continue;
        if (/^\/(tmp|dev\/null)(\/|$)/.test(arg) || /^\/(usr\/)?s?bin\/[\w.-]+$/.test(arg)) continue;
        return arg;
      }
      return w;
    }
  }
}

/** Programs that run what the app holds, or never run a path they are given as a program. */
// The init systems take a unit's name, never a path to run; monit and god take their config's path, which is what they run.
const NOT_WRAPPERS: ReadonlySet<string> = new Set(["ruby", "rake", "rails", "bundle", "bundler", "node", "cd", "echo", "printf", "test", "[", "true", "false", "sudo", ...INIT_SYSTEMS]);

/**
 * A path to Ruby's own tools on the servers (rbenv/rvm/chruby shims and wrappers, /usr/local/bin,
 * the system Ruby's /usr/bin): the image runs the same tool from its PATH.
 */
const RUBY_TOOL_PATH = /^\/[^\s'";|&>]*\/(?:shims|bin|wrappers)\/(?:bundle|bundler|ruby|rake|gem|rails)$/;

/**
 * Programs that administered the servers themselves: privilege (sudo, su), their init systems and
 * process monitors, power. Run from a CronJob's pod they mean nothing (it has no sudo, no init
 * system, nothing of the servers to restart), and Kubernetes restarts its own pods.
 */
const SERVER_ADMIN_PROGRAMS: ReadonlySet<string> = new Set([...SERVICE_MANAGERS, "sudo", "su", "sv", "supervisorctl", "reboot", "shutdown", "halt", "poweroff"]);

/**
 * The piece of a cron command that administers the servers (`sudo systemctl restart sidekiq`,
 * `/etc/init.d/nginx reload`, `monit restart all`, `reboot`), or null. Its first program after
 * `VAR=value` words and the plain wrappers (`env`, `nice`, `nohup`) decides.
 */
export function serverAdminCommand(command: string): string | null {
  for (const segment of command.split(/&&|\|\||[;|]/)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    let i = 0;
    while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || /^(?:\/(?:usr\/)?bin\/)?(?:env|nice|nohup|exec|command)$/.test(words[i]!))) i++;
    const w = words[i];
    if (w === undefined) continue;
    if (SERVER_ADMIN_PROGRAMS.has(w.replace(/^\/(?:usr\/)?s?bin\//, "")) || /^\/etc\/(?:init\.d|rc\.d)\//.test(w)) return words.slice(i).join(" ");
  }
  return null;
}

/**
 * Why a CronJob stays suspended for good: its command administered the servers (serverAdminCommand).
 * It is written, suspended, rather than left out, so that whenever's jobs stay one to one with the
 * CronJobs and the reason sits beside the job a reader looks for; it is not to be resumed.
 */
export function cronServerAdminReason(command: string): string | null {
  const admin = serverAdminCommand(command);
  if (!admin) return null;
  return `it administers the servers (${JSON.stringify(admin)}): a CronJob's pod has no sudo and no init system, and nothing of the servers to restart; Kubernetes restarts its own pods (a container over its memory limit, a failing liveness probe). Keep it suspended or delete it; if the restart worked around a worker's memory growth, set that worker's memory limit instead`;
}

/** Annotation of a CronJob written suspended because whenever wrote it only under a condition not decided statically: the condition and its line. */
export const CRON_UNDECIDED_ANNOTATION = "rails2k8s.dev/undecided-condition";

/** The undecided-condition annotation of a job's CronJob: the condition as written, with its line; {} without one. */
export function cronUndecidedAnnotation(job: CronJob): Record<string, string> {
  return job.condition ? { [CRON_UNDECIDED_ANNOTATION]: `${job.condition.text} (${job.condition.source.file}:${job.condition.source.line})` } : {};
}

/**
 * Why a CronJob is written suspended because whether whenever wrote its line at all depended on a
 * condition the analysis cannot decide (analyzers/whenever/schedule.ts), or null. Never dropped, never run.
 */
export function cronUndecidedReason(job: CronJob): string | null {
  // Decided (and run) on some stages: only the overlays of the others suspend it (cronUndecidedOnStage).
  if (!job.condition || job.conditionOn) return null;
  return undecidedWhy(job.condition);
}

/**
 * Whether the job's condition stays undecided on the stage, where other stages' Rails env or whenever
 * variables decide it: that stage's overlay writes the CronJob suspended (emitters/kustomize/overlay.ts).
 */
export function cronUndecidedOnStage(stage: Stage, job: CronJob): string | null {
  const on = job.conditionOn;
  if (!job.condition || !on) return null;
  const open = on.stages ? on.stages.includes(stage.name) : (on.envs ?? []).includes(railsEnvOf(stage));
  return open ? `${undecidedWhy(job.condition)} (with RAILS_ENV ${railsEnvOf(stage)} and its whenever variables the condition is still open here; ${on.stages ? `stages ${on.stages.join(", ")}` : `RAILS_ENV ${(on.envs ?? []).join(", ")}`} leave it open, the others decide it and run the job)` : null;
}

function undecidedWhy(condition: NonNullable<CronJob["condition"]>): string {
  const at = `${condition.source.file}:${condition.source.line}`;
  if (condition.text.endsWith(".each")) return `whenever wrote it once per item of \`${condition.text.slice(0, -5)}\` (${at}), a list only the servers knew (how many, and which, is not known); resume it once you confirm the servers ran it`;
  return `whenever wrote it only when \`${condition.text}\` (${at}) held, which depends on what only the servers knew (an ENV value, a file there, a constant or list from elsewhere); resume it once you confirm the servers ran it`;
}

/** Why a CronJob is written suspended: what its command runs that only the servers had, or null. */
export function cronServerOnlyReason(job: CronJob, command: string): string | null {
  if (job.missingFiles?.length) return `it runs ${job.missingFiles.join(", ")}, which the repo does not hold (the servers had ${job.missingFiles.length === 1 ? "it" : "them"}; the image will not)`;
  const program = serverOnlyProgram(command);
  if (program) return `it runs ${program}, a program installed on the servers, not in the image`;
  const layout = serverLayoutPath(command);
  if (layout) return `it names ${layout}, a path of the servers' deploy layout that the container does not have`;
  const path = serverPathArgument(command);
  if (path) return `it names ${path}, a path of the servers outside the release (the image holds only the app, at ${APP_DIR}): what it reads or writes there is not in the pod, and what it writes is lost with the pod`;
  return null;
}

/**
 * The first absolute path a command names as a word (an argument, `--opt=/x`, a redirect target)
 * that the image does not have: outside the app directory (the release, already mapped to it by
 * cronCommand), the system's own directories, /tmp and /dev. `--output-dir /data/dump` wrote to a
 * disk or mount of the servers; in a pod the directory is missing, or the output dies with the pod.
 * URLs (`https://x/y`) are not paths. The program's own path is serverOnlyProgram's.
 */
export function serverPathArgument(command: string): string | null {
  // A word counts only where its program reads it as a file (cron-words.ts): `grep '/api/v1/'`,
  // `sed 's/a/b/'`, a runner's `/regex/` name none; a runner's `'/data/in'` string does.
  for (const word of absolutePathWords(command)) {
    if (word === "/" || word === APP_DIR || word.startsWith(`${APP_DIR}/`) || SYSTEM_PATH.test(word)) continue;
    return word;
  }
  return null;
}

/** Directories every image has, or that mean the same in a pod: the system's programs and libraries, devices, scratch space. */
const SYSTEM_PATH = /^\/(?:usr|bin|sbin|lib|lib64|proc|sys|dev|tmp|var\/tmp|etc\/ssl)(?:\/|$)/;

/**
 * activeDeadlineSeconds of a cron job: the shortest interval of its schedule, within 10 minutes (a
 * Rails boot must fit) and a day. Under `Forbid` a run that hangs blocks every later one; killed at
 * its interval, it gives the next run its turn (startingDeadlineSeconds lets that one start late).
 */
export function cronDeadlineSeconds(schedule: string): number {
  const macro: Record<string, number> = { "@hourly": 3600 };
  const s = schedule.trim();
  let interval = macro[s] ?? 86400;
  const f = s.split(/\s+/);
  if (f.length === 5) {
    const minutes = cronFieldValues(f[0]!, 60);
    const hours = cronFieldValues(f[1]!, 24);
    if (minutes && minutes.length > 1) interval = minCyclicGap(minutes, 60) * 60;
    else if (hours && hours.length > 1) interval = minCyclicGap(hours, 24) * 3600;
  }
  return Math.min(86400, Math.max(600, interval));
}

/** The values a cron field (`*`, `*\/15`, `1-5`, `0,30`) stands for, or null when unreadable. */
function cronFieldValues(field: string, size: number): number[] | null {
  const out = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return null;
    const from = m[1] === "*" ? 0 : Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : m[1] === "*" || m[3] !== undefined ? size - 1 : from;
    const step = m[3] !== undefined ? Math.max(1, Number(m[3])) : 1;
    for (let v = from; v <= to && v < size; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

const minCyclicGap = (values: number[], size: number): number =>
  Math.min(...values.map((v, i) => (i + 1 < values.length ? values[i + 1]! - v : values[0]! + size - v)));

/** `<app>-<task>`: CronJob names stay ≤ 52 characters (the Job controller appends 11). */
export function cronJobBaseName(app: string, job: CronJob): string {
  const task = stringOf(job.task) ?? job.type;
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "");
  // A job of another schedule file than whenever's default is named for its file too: two files
  // loaded by one deploy often hold the same task (`logs:upload` on each server kind).
  const file = job.source.file === WHENEVER_DEFAULT_FILE || !/\.rb$/.test(job.source.file) ? "" : slug(job.source.file.replace(/^config\/(?:whenever\/|schedules?\/|cron\/)?/, "").replace(/\.rb$/, ""));
  // 48 leaves room for the `-<n>` that tells apart the schedules of one job, within CronJob's 52.
  return joinLabel([app, file, slug(task) || "cron"], 48);
}

/** The server's time zone hint: TZ in Capistrano's `default_env` (a hint, not a fact — SEMANTICS.md). */
export function cronTimeZoneHint(model: ModelLike): { zone: string; source: Source } | null {
  for (const st of model.stages) {
    const env = st.variables["default_env"];
    if (env && isObject(env.value)) {
      const tz = stringOf(env.value["TZ"] ?? env.value["tz"] ?? env.value[":TZ"]);
      // Only a name the API server knows is a hint (TZ=Eastern is not): otherwise cron's zone stays a gap with the UTC default.
      if (tz && TIME_ZONE_NAMES.has(tz)) return { zone: tz, source: env.source };
    }
  }
  return null;
}

/** EC2's images (Amazon Linux, Ubuntu) run in UTC unless someone changed it. */
export const DEFAULT_CRON_TIME_ZONE = "Etc/UTC";

// ------------------------------------------------------------------------------------------------
// Config and secrets
// ------------------------------------------------------------------------------------------------

/** Env vars of Capistrano's `default_env` for a stage (what the processes saw on the servers). */
export function defaultEnv(stage: Stage): { name: string; value: string | null; source: Source }[] {
  const env = stage.variables["default_env"];
  if (!env || !isObject(env.value)) return [];
  return Object.entries(env.value)
    .map(([k, v]) => ({ name: envNameOf(k), value: stringOf(v), source: env.source }))
    // A key that is not an env name stays: the env-file writer leaves it out and says so.
    .filter((e) => !HOST_LAYOUT_ENV.test(e.name));
}

/**
 * SSHKit upcases Symbol keys of `default_env` (`path:` sets PATH); the model keeps hash keys as
 * strings, and an all-lowercase env name is in practice always such a Symbol.
 */
function envNameOf(key: string): string {
  const k = key.replace(/^:/, "");
  return /^[a-z_][a-z0-9_]*$/.test(k) ? k.toUpperCase() : k;
}

/**
 * `default_env` entries that describe the server's layout (rbenv/rvm shims, gem paths, the deploy
 * user's home), not the app: the image sets its own, and copying them would break the container.
 */
export const HOST_LAYOUT_ENV = /^(PATH|HOME|USER|SHELL|RBENV_\w+|RVM_\w+|RUBY_ROOT|RUBY_ENGINE|RUBY_VERSION|GEM_HOME|GEM_PATH|GEM_ROOT|BUNDLE_PATH|BUNDLE_BIN|BUNDLE_GEMFILE|BUNDLE_APP_CONFIG|NVM_DIR|NODENV_\w+)$/;

/**
 * Secret keys the app needs: ENV names found as secrets, SECRET_KEY_BASE which production Rails
 * needs, and what replaces the secret files that lived only on the servers (see serverOnlyFiles).
 */
export function secretKeys(model: ModelLike): string[] {
  const keys = new Set<string>();
  for (const s of model.secrets) if (s.kind === "env" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.name)) keys.add(s.name);
  keys.add("SECRET_KEY_BASE");
  // A worker's start line or unit set them, their values held out of its Deployment (workers/index.ts withoutSecretEnv).
  for (const w of model.workers ?? []) for (const e of w.secretEnv ?? []) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name)) keys.add(e.name);
  for (const st of model.stages) for (const e of defaultEnv(st)) if (secretEnvName(e.name)) keys.add(e.name);
  // A per-environment credentials key gives its stages the variable (stageEnv), not every stage.
  for (const f of serverOnlyFiles(model)) if (f.railsEnv === undefined) keys.add(f.env);
  return [...keys].sort();
}

/**
 * Files the app reads that existed only on the servers (Capistrano's linked_files, not committed),
 * and the variable that takes their place in the pod. Without config/database.yml Rails reads
 * DATABASE_URL (4.1+), so each overlay names its own database; without config/master.key it reads
 * RAILS_MASTER_KEY (5.2+).
 */
export function serverOnlyFiles(model: ModelLike): ServerOnlyFile[] {
  const out: ServerOnlyFile[] = [];
  const linked = (p: string) => model.linked.find((l) => l.kind === "file" && l.path === p);
  // Linked (or copied) from shared/, or a repo file per stage copied over it by the deploy (serversCopy.fromRepo).
  const fromRepo = model.rails.database?.serversCopy?.fromRepo ? model.rails.database.serversCopy.linked : undefined;
  const db = linked("config/database.yml")?.source ?? fromRepo;
  // A committed database.yml that is also linked from shared/ is not what the servers ran (serversCopy).
  const committedDb = model.rails.database && model.rails.database.file === "config/database.yml" && !model.rails.database.serversCopy;
  if (db && !committedDb) out.push({ file: "config/database.yml", env: "DATABASE_URL", source: db });
  const key = linked("config/master.key");
  if (key) out.push({ file: "config/master.key", env: "RAILS_MASTER_KEY", source: key.source });
  // Rails 6+ per-environment credentials: config/credentials/<env>.key, also read from
  // RAILS_MASTER_KEY (which Rails takes first), for the stages running that environment.
  for (const l of model.linked) {
    const m = CREDENTIALS_KEY_FILE.exec(l.path);
    if (l.kind === "file" && m) out.push({ file: l.path, env: "RAILS_MASTER_KEY", source: l.source, railsEnv: m[1] });
  }
  return out;
}

/**
 * What stage `stage`'s servers' own database config named (RailsFacts.serversDatabases), one line per
 * file, said where the overlay takes its place: beside DATABASE_URL in secrets.env (`env`), and in
 * MIGRATION.md. "the servers used database X on host Y as user Z (from file:line)", each repo value
 * through `enc`, the encoder of the target file; a part not known is named unknown; never a password.
 * `sectionKnown` is false where the servers' Rails may have read another section (otherSection): the
 * line then says what is certain (the section the file renders under the stage's name, and what it
 * names) apart from what is the hazard (which section their Rails read), and names neither as used.
 */
export function serversDatabaseLines(model: ModelLike, stage: string, enc: WordsEncoding): { file: string; env: string | null; line: string; sectionKnown: boolean }[] {
  const replaced = new Set(serverOnlyFiles(model).map((f) => f.file));
  return (model.rails.serversDatabases ?? [])
    .filter((d) => d.stage === stage)
    .map((d) => {
      const env = d.file === "config/database.yml" && replaced.has(d.file) ? "DATABASE_URL" : null;
      const o = d.otherSection;
      if (!o) return { file: d.file, env, sectionKnown: true, line: `${enc.cite(d.file)}, section ${enc.quote(d.section)}: the servers used ${serversDatabaseWords(d, enc)}` };
      const other = o.holds
        ? `if they ran ${enc.quote(o.railsEnv)}, they read its ${enc.quote(o.railsEnv)} section: ${serversDatabaseWords(o.holds, enc)}`
        : `it renders no ${enc.quote(o.railsEnv)} section, so a Rails running ${enc.quote(o.railsEnv)} there would not have booted with it`;
      return {
        file: d.file,
        env,
        sectionKnown: false,
        line: `${enc.cite(d.file)}: the servers' copy certainly renders section ${enc.quote(d.section)}, with ${serversDatabaseWords(d, enc)}; which section their Rails read is not certain (hazard database.section-env): ${enc.text(o.why)}; ${other}`,
      };
    });
}

export interface ServerOnlyFile {
  file: string;
  env: string;
  source: Source;
  /** Only for the stages running this Rails environment (a per-environment credentials key). */
  railsEnv?: string;
}

/** The server-only files that give a stage its variable: an environment's own key over master.key. */
export function serverOnlyFilesOf(model: ModelLike, railsEnv: string): ServerOnlyFile[] {
  const all = serverOnlyFiles(model).filter((f) => f.railsEnv === undefined || f.railsEnv === railsEnv);
  const ownKey = all.some((f) => f.railsEnv === railsEnv);
  return all.filter((f) => !(ownKey && f.file === "config/master.key"));
}

/**
 * Linked files whose keys the app loaded into ENV from the servers' disk: dotenv files (`.env`,
 * `.env.production`), and Figaro's config/application.yml when figaro is locked (Figaro copies its
 * keys into ENV as the app boots, as dotenv does).
 */
export function serverDotenvFiles(model: ModelLike): { file: string; source: Source; loader: "dotenv" | "Figaro"; inRepo: boolean }[] {
  const figaro = Boolean(model.rails.gems["figaro"]);
  return model.linked
    .filter((l) => l.kind === "file" && (DOTENV_FILE.test(l.path) || (figaro && l.path === FIGARO_FILE)))
    .map((l) => ({ file: l.path, source: l.source, loader: DOTENV_FILE.test(l.path) ? ("dotenv" as const) : ("Figaro" as const), inRepo: !l.serverOnly }));
}

/** Where Figaro reads its keys (Figaro::Application#default_path, under Rails). */
export const FIGARO_FILE = "config/application.yml";

// ------------------------------------------------------------------------------------------------
// nginx → the edge
// ------------------------------------------------------------------------------------------------

/** nginx size (`20m`, `1g`, `512k`, `0` = unlimited) → bytes; null when unreadable. */
export function nginxSizeToBytes(size: string): number | null {
  const m = /^\s*(\d+)\s*([kKmMgG]?)\s*$/.exec(size);
  if (!m) return null;
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Number(m[1]) * mult;
}

/** nginx time (`90`, `90s`, `2m`, `1h`, `1m30s`) → seconds; null when unreadable. */
export function nginxTimeToSeconds(time: string): number | null {
  const t = time.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const re = /(\d+)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = "";
  for (let m = re.exec(t); m; m = re.exec(t)) {
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "s" ? n : m[2] === "m" ? n * 60 : m[2] === "h" ? n * 3600 : n * 86400;
    consumed += m[0];
  }
  return consumed === t && consumed !== "" ? Math.ceil(total) : null;
}

/**
 * A name a cloud provider gives one machine, not a host the site answers on: EC2's public and
 * private DNS names (ec2-1-2-3-4.compute-1.amazonaws.com, ….<region>.compute.amazonaws.com,
 * ip-10-0-0-1.ec2.internal, ….compute.internal) and Compute Engine's reverse names
 * (….bc.googleusercontent.com), an IP address and localhost; what it is, or null. The name goes with
 * the machine (a new instance gets another), and no certificate authority (ACM included) issues a
 * certificate for it. One rule for the hosts the edge routes and the notes on those it does not.
 */
export function machineName(name: string): string | null {
  const n = name.toLowerCase();
  if (/\.compute(?:-1)?\.amazonaws\.com$/.test(n) || /\.(?:compute|ec2)\.internal$/.test(n)) return "an EC2 machine's own DNS name";
  if (/\.bc\.googleusercontent\.com$/.test(n)) return "a Compute Engine machine's own DNS name";
  if (/^\d+(\.\d+){3}$/.test(n)) return "an IP address";
  if (n === "localhost") return "localhost";
  return null;
}

/** A server_name the edge can route: a host name or a `*.` wildcard; not `_`, regexes, IPs or localhost. */
export function isRoutableHost(name: string): boolean {
  // .local names (mDNS, RFC 6762: resolved on the local network only, never by DNS); one machine's names (machineName)
  if (!name || name === "_" || name.startsWith("~") || /\.local$/i.test(name) || machineName(name)) return false;
  return /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(name);
}

/**
 * The nginx files that describe a stage's servers: the templates rendered for it, else the plain
 * files (one config uploaded to every stage's servers: its limits, TLS and timeouts held everywhere).
 */
export function nginxFilesFor(model: ModelLike, stage: Stage) {
  // An example copy (nginx.conf.example) speaks only where no real config does.
  // A file the deploy linked into nginx only on some stages (NginxFile.linkedFor) is no other stage's.
  const all = model.nginx.files.filter((f) => !f.linkedFor || f.linkedFor.stages.includes(stage.name));
  const real = all.filter((f) => !f.example);
  const files = real.length ? real : all;
  const rendered = files.filter((f) => f.stage === stage.name);
  return rendered.length ? rendered : plainFilesOf(files.filter((f) => f.stage === null), stage);
}

/** A plain file the deploy linked for this one stage alone: its hosts are that stage's own. */
const linkedForOnly = (f: ModelLike["nginx"]["files"][number], stage: Stage): boolean => f.linkedFor?.stages.length === 1 && f.linkedFor.stages[0] === stage.name;

/**
 * The plain files a stage's servers ran: where the repo keeps a config per stage (each file tied
 * to one stage by the deploy_to its paths lie under, NginxFile.servesStage), the stage's own and
 * the untied ones; a stage no file is tied to reads the untied ones (every file if none is untied).
 */
function plainFilesOf(plain: ModelLike["nginx"]["files"], stage: Stage) {
  if (!plain.some((f) => f.servesStage)) return plain;
  // another deployment's file (NginxFile.servesNoStage) is no stage's: not even an untied one
  const untied = plain.filter((f) => !f.servesStage && !f.servesNoStage);
  const own = plain.filter((f) => f.servesStage?.value === stage.name);
  if (own.length) return [...own, ...untied];
  return untied.length ? untied : plain;
}

/**
 * Whether a stage may take its hosts from these nginx files. A rendered template names the stage's
 * own hosts; a plain file holds one set of server_names, which only the production stage can claim —
 * so no production host ever lands on another stage (its hosts become a question instead).
 */
function hostsBelongToStage(model: ModelLike, stage: Stage): boolean {
  if (model.nginx.files.some((f) => f.stage === stage.name || f.servesStage?.value === stage.name || linkedForOnly(f, stage))) return true;
  return model.stages.length === 0 || productionStage(model.stages)?.name === stage.name;
}

/** Whether the hosts of this one file of the stage's (nginxFilesFor) are the stage's: an untied plain file's are production's only. */
function fileHostsBelong(model: ModelLike, stage: Stage, f: ModelLike["nginx"]["files"][number]): boolean {
  // a file several stages' deploys render names no one stage's hosts: asked (sharedHostSuggestion)
  if (f.sharedBy) return false;
  if (f.stage !== null || f.servesStage?.value === stage.name || linkedForOnly(f, stage)) return true;
  return model.stages.length === 0 || productionStage(model.stages)?.name === stage.name;
}

/** Capistrano variables that name a stage's own host (capistrano3-puma's nginx_server_name, capistrano3-nginx's nginx_domains, and the common hand-made ones). */
const HOST_VARIABLES = ["nginx_server_name", "nginx_domains", "server_name", "domain", "url", "app_host", "host_name", "hostname"];

/**
 * Mina's `domain` is the host its deploy logs in to over SSH (an IP, a bastion, a box behind a load
 * balancer): never evidence of the host the site answers on (sshHostSuggestion offers it, labelled).
 */
const hostVariables = (model: ModelLike): string[] => (model.capistrano?.tool === "mina" ? HOST_VARIABLES.filter((n) => n !== "domain") : HOST_VARIABLES);

/**
 * The SSH host of a Mina stage whose public hosts nothing names: offered to the person answering,
 * labelled as the login host, never written as the stage's host.
 */
export function sshHostSuggestion(model: ModelLike, stage: Stage): { host: string; source: Source } | null {
  if (model.capistrano?.tool !== "mina" || stageHosts(model, stage).length) return null;
  const fact = stage.variables["domain"];
  const text = fact ? stringOf(fact.value) : null;
  const host = text?.trim().toLowerCase() ?? "";
  return fact && isRoutableHost(host) ? { host, source: fact.source } : null;
}

/**
 * Capistrano variables that hold nginx's own server_name for the stage (a hand-made
 * `set :server_name, "a.be www.a.be"` rendered into the site, capistrano3-puma's nginx_server_name,
 * capistrano3-nginx's nginx_domains): the stage says these are its hosts, so they join the hosts nginx
 * names (each cited to its own line) instead of standing only where nginx names none.
 */
const SERVER_NAME_VARIABLES = ["server_name", "nginx_server_name", "nginx_domains"];

/**
 * Hosts of a stage from its own evidence only, never another stage's: its nginx `server_name`s (see
 * hostsBelongToStage) together with the hosts its server_name-style variables name (a host the
 * variable names and nginx does not is not dropped: stageHostDifference names it), else its other
 * Capistrano host variables. Empty when nothing names one: a gap (whose default may be the mailer's
 * host, mailerHostSuggestion).
 */
export function stageHosts(model: ModelLike, stage: Stage): { host: string; source: Source }[] {
  const fromNginx = hostsFromNginx(model, stage);
  const named = serverNameVariableHosts(model, stage);
  if (fromNginx.length) {
    const seen = new Set(fromNginx.map((h) => h.host));
    return [...fromNginx, ...named.filter((h) => !seen.has(h.host))];
  }
  const fromApache = hostsFromApache(model, stage);
  if (fromApache.length) {
    const seen = new Set(fromApache.map((h) => h.host));
    return [...fromApache, ...named.filter((h) => !seen.has(h.host))];
  }
  const out: { host: string; source: Source }[] = [...named];
  for (const name of hostVariables(model)) {
    if (SERVER_NAME_VARIABLES.includes(name)) continue;
    const fact = stage.variables[name];
    const text = fact ? stringOf(fact.value) : null;
    if (!fact || text === null) continue;
    for (const word of text.split(/[\s,]+/)) {
      const host = word.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/[/:].*$/, "").toLowerCase();
      if (isRoutableHost(host) && !out.some((o) => o.host === host)) out.push({ host, source: fact.source });
    }
  }
  return out;
}

/**
 * The hosts a stage's server_name-style variables name, split as nginx splits a server_name
 * (whitespace only: a comma would be part of the name in nginx, so a word holding one is no host), a
 * leading-dot name being the name and its wildcard (nginxNameHosts). A list value (nginx_domains) is
 * one name per element.
 */
function serverNameVariableHosts(model: ModelLike, stage: Stage): { host: string; source: Source }[] {
  const out: { host: string; source: Source }[] = [];
  for (const name of SERVER_NAME_VARIABLES) {
    if (!hostVariables(model).includes(name)) continue;
    const fact = stage.variables[name];
    if (!fact) continue;
    const words = Array.isArray(fact.value) ? fact.value.map((v) => stringOf(v)) : [stringOf(fact.value)];
    for (const text of words) {
      if (text === null) continue;
      for (const word of text.split(/\s+/).filter(Boolean))
        for (const host of nginxNameHosts(word))
          if (isRoutableHost(host) && !out.some((o) => o.host === host)) out.push({ host, source: fact.source });
    }
  }
  return out;
}

/**
 * Where a stage's server_name-style variable and the server_names of its nginx (or Apache) config
 * disagree: the hosts only the variable names (kept: the stage said so) and the hosts only the config
 * names (kept too: the servers answered on them). Both are listed for the person to confirm, never
 * silently unioned. Null when they agree or one side is silent.
 */
export function stageHostDifference(model: ModelLike, stage: Stage): { variable: Source; onlyVariable: string[]; config: Source[]; onlyConfig: string[] } | null {
  const named = serverNameVariableHosts(model, stage);
  if (!named.length) return null;
  const nginx = hostsFromNginx(model, stage);
  const config = nginx.length ? nginx : hostsFromApache(model, stage);
  if (!config.length) return null;
  const inConfig = new Set(config.map((h) => h.host));
  const inVariable = new Set(named.map((h) => h.host));
  const onlyVariable = named.filter((h) => !inConfig.has(h.host)).map((h) => h.host);
  const onlyConfigHosts = config.filter((h) => !inVariable.has(h.host));
  if (!onlyVariable.length && !onlyConfigHosts.length) return null;
  const sources: Source[] = [];
  for (const h of config) if (!sources.some((s) => s.file === h.source.file && s.line === h.source.line)) sources.push(h.source);
  return { variable: named[0]!.source, onlyVariable, config: sources, onlyConfig: onlyConfigHosts.map((h) => h.host) };
}

/**
 * The host a stage's Rails environment's mailer links to (`action_mailer.default_url_options` in
 * config/environments/<env>.rb), when nothing else names the stage's hosts. Only a suggestion: mail
 * may link to another app (an admin app's mail points at the public site), and routing that host
 * would take the other app's traffic. Where nginx or a stage variable names hosts, those are the fact.
 */
export function mailerHostSuggestion(model: ModelLike, stage: Stage): { host: string; source: Source } | null {
  if (stageHosts(model, stage).length) return null;
  const mailer = model.rails.mailerHosts?.[railsEnvOf(stage)];
  if (!mailer) return null;
  const host = mailer.value.toLowerCase();
  if (!isRoutableHost(host)) return null;
  // A staging environment whose mail links to production's host (copied config) names production, not itself.
  const prod = productionStage(model.stages);
  if (prod && prod.name !== stage.name) {
    const prodHosts = [...stageHosts(model, prod).map((h) => h.host), model.rails.mailerHosts?.[railsEnvOf(prod)]?.value.toLowerCase()];
    if (railsEnvOf(prod) !== railsEnvOf(stage) && prodHosts.includes(host)) return null;
  }
  if (!mailerHostIsStages(model, stage, host)) return null;
  return { host, source: mailer.source };
}

/**
 * The hosts an example copy of the nginx config (config/nginx.conf.example) names for a stage whose
 * hosts nothing else names, mailer included: read by the rule the real files follow (a plain file's
 * are the production stage's only). Only a suggestion, cited as an example file's: a copy meant to be
 * edited before use may hold the upstream project's host, not this deployment's.
 */
export function exampleHostSuggestion(model: ModelLike, stage: Stage): { hosts: string[]; source: Source } | null {
  if (stageHosts(model, stage).length || mailerHostSuggestion(model, stage) || !hostsBelongToStage(model, stage)) return null;
  const found: { host: string; source: Source }[] = [];
  for (const f of nginxFilesFor(model, stage).filter((x) => x.example && fileHostsBelong(model, stage, x)))
    for (const s of f.servers)
      for (const n of s.serverNames)
        for (const host of nginxNameHosts(n.value)) if (isRoutableHost(host) && !found.some((o) => o.host === host)) found.push({ host, source: n.source });
  return found.length ? { hosts: found.map((h) => h.host), source: found[0]!.source } : null;
}

/**
 * The hosts of a plain nginx file that several stages' deploys render (NginxFile.sharedBy), for a
 * stage among them whose hosts nothing else names: offered as the production stage's default (the
 * rule a plain file's hosts follow), to confirm; another stage sharing it is asked with a
 * placeholder, the file's hosts named (sharedHostFiles). Never a fact of any one stage.
 */
export function sharedHostSuggestion(model: ModelLike, stage: Stage): { hosts: string[]; source: Source; stages: string[] } | null {
  if (stageHosts(model, stage).length || productionStage(model.stages)?.name !== stage.name) return null;
  const files = sharedHostFiles(model, stage);
  const found: { host: string; source: Source }[] = [];
  for (const f of files)
    for (const s of f.servers)
      for (const n of s.serverNames)
        for (const host of nginxNameHosts(n.value)) if (isRoutableHost(host) && !found.some((o) => o.host === host)) found.push({ host, source: n.source });
  return found.length ? { hosts: found.map((h) => h.host), source: found[0]!.source, stages: [...new Set(files.flatMap((f) => f.sharedBy!.stages))] } : null;
}

/** The stage's nginx files that several stages' deploys render (NginxFile.sharedBy), this one among them. */
export function sharedHostFiles(model: ModelLike, stage: Stage): ModelLike["nginx"]["files"] {
  return nginxFilesFor(model, stage).filter((f) => !f.example && f.sharedBy?.stages.includes(stage.name));
}

/**
 * Whether a mailer host may be offered to this stage: never when another stage's own evidence (its
 * hosts, or the name of a server it deploys to) is that host. An environment file that several stages
 * run (staging with rails_env production) is no one stage's evidence: it is offered only to the stage
 * whose server is that host, else to the stage named like the environment, else to none.
 */
function mailerHostIsStages(model: ModelLike, stage: Stage, host: string): boolean {
  const serverHost = (s: Stage) => s.servers.some((sv) => sv.host.replace(/^[^@]*@/, "").replace(/:\d+$/, "").toLowerCase() === host);
  for (const other of model.stages)
    if (other.name !== stage.name && (serverHost(other) || stageHosts(model, other).some((h) => h.host === host))) return false;
  const env = railsEnvOf(stage);
  const sharing = model.stages.filter((s) => railsEnvOf(s) === env);
  if (sharing.length < 2) return true;
  const owner = sharing.find(serverHost) ?? sharing.find((s) => s.name === env);
  return owner?.name === stage.name;
}

/** Hosts per stage from nginx `server_name`; empty when nginx does not say. */
function hostsFromNginx(model: ModelLike, stage: Stage): { host: string; source: Source }[] {
  // Asked by every emitter for every stage: a server_name of 60,000 hosts is read once per stage.
  const memo = nginxHostsMemo.get(stage);
  if (memo && memo.files === model.nginx.files && memo.stages === model.stages && memo.length === model.stages.length) return memo.hosts.slice();
  const hosts = hostsFromNginxOnce(model, stage);
  nginxHostsMemo.set(stage, { files: model.nginx.files, stages: model.stages, length: model.stages.length, hosts });
  return hosts.slice();
}
const nginxHostsMemo = new WeakMap<Stage, { files: unknown; stages: unknown; length: number; hosts: { host: string; source: Source }[] }>();

function hostsFromNginxOnce(model: ModelLike, stage: Stage): { host: string; source: Source }[] {
  const out: { host: string; source: Source }[] = [];
  if (!hostsBelongToStage(model, stage)) return out;
  // A set, not a scan of `out`: one server_name line may list tens of thousands of hosts.
  const seen = new Set<string>();
  for (const f of nginxFilesFor(model, stage).filter((x) => !x.example && fileHostsBelong(model, stage, x)))
    for (const s of f.servers)
      for (const n of s.serverNames)
        for (const host of nginxNameHosts(n.value))
          if (isRoutableHost(host) && !seen.has(host)) seen.add(host), out.push({ host, source: n.source });
  return out;
}

/**
 * The hosts one nginx server_name answers: itself, except nginx's leading-dot form (`.example.org`),
 * which is the name and every name under it, so the host and its wildcard (every edge target takes
 * `*.` hosts: HTTPRoute hostnames, Ingress rules, ALB host-header conditions).
 */
export function nginxNameHosts(name: string): string[] {
  const host = name.toLowerCase();
  return /^\.[^.]/.test(host) ? [host.slice(1), `*${host}`] : [host];
}

/**
 * The Apache configs that describe a stage's servers (Passenger under Apache): the templates
 * rendered for it, else the plain files; an example copy only where no real config exists.
 */
export function apacheFilesFor(model: ModelLike, stage: Stage): ApacheFile[] {
  const all = model.apache?.files ?? [];
  const real = all.filter((f) => !f.example);
  const files = real.length ? real : all;
  const rendered = files.filter((f) => f.stage === stage.name);
  return rendered.length ? rendered : files.filter((f) => f.stage === null);
}

/**
 * The vhosts of one of the stage's Apache files that serve the stage: not one another stage's
 * directory or environment ties to that stage (ApacheVhost.servesStage), nor one serving no stage
 * (a static site, another domain: ApacheVhost.servesNoStage, named in the report).
 */
export function apacheVhostsOf(f: ApacheFile, stage: Stage): ApacheFile["vhosts"] {
  return f.vhosts.filter((v) => !v.servesNoStage && (!v.servesStage || v.servesStage.value === stage.name));
}

/**
 * The Apache files the stage reads, with a plain file's vhosts tied to another stage taken out
 * of each stage but that one (apacheVhostsOf).
 */
export function apacheVhostsFor(model: ModelLike, stage: Stage): ApacheFile["vhosts"] {
  return apacheFilesFor(model, stage).flatMap((f) => apacheVhostsOf(f, stage));
}

/**
 * Hosts of a stage from its Apache vhosts' ServerName/ServerAlias, by the rule nginx's follow: a
 * template rendered for the stage names its own hosts; a plain file's are the production stage's
 * only; an example copy's are never hosts.
 */
function hostsFromApache(model: ModelLike, stage: Stage): { host: string; source: Source }[] {
  const out: { host: string; source: Source }[] = [];
  const own = (f: ApacheFile) => f.stage === stage.name || model.stages.length === 0 || productionStage(model.stages)?.name === stage.name;
  // a vhost tied to a stage (ApacheVhost.servesStage) names that stage's hosts, whichever it is
  for (const f of apacheFilesFor(model, stage).filter((x) => !x.example))
    for (const v of apacheVhostsOf(f, stage))
      for (const n of v.servesStage || own(f) ? v.serverNames : []) {
        const host = n.value.toLowerCase();
        if (isRoutableHost(host) && !out.some((o) => o.host === host)) out.push({ host, source: n.source });
      }
  return out;
}

/**
 * Server names of the stage's own files the edge cannot route, each with why (listed as notes, never
 * dropped silently): regexes, and names of one machine (a cloud provider's machine name, an IP
 * address, localhost) that are no host of the site and for which no certificate is issued.
 */
export function unroutableServerNames(model: ModelLike, stage: Stage): { name: string; source: Source; why: "regex" | string }[] {
  const out: { name: string; source: Source; why: "regex" | string }[] = [];
  if (!hostsBelongToStage(model, stage)) return out;
  for (const f of nginxFilesFor(model, stage).filter((x) => fileHostsBelong(model, stage, x)))
    for (const s of f.servers)
      for (const n of s.serverNames) {
        const name = n.value.toLowerCase();
        const why = n.value.startsWith("~") ? "regex" : machineName(name);
        // an example copy's names are never hosts: only its regexes are noted, as before
        if (why && (why === "regex" || !f.example) && !out.some((o) => o.name === n.value)) out.push({ name: n.value, source: n.source, why });
      }
  return out;
}

/**
 * Placeholder host for a stage whose host is unknown: `set-me.` says it is to fill in, and the
 * reserved `.invalid` top-level domain (RFC 2606, RFC 6761) never resolves, so no request can reach
 * it by mistake. Still a valid host name for an HTTPRoute, an Ingress and an ALB host-header rule.
 */
export const placeholderHost = (app: string, stage: string): string => `${PLACEHOLDER_HOST_PREFIX}${stageLabel(stage)}.${app}.invalid`;
const PLACEHOLDER_HOST_PREFIX = "set-me.";
/** Whether a host is a placeholder left to fill in (ours, or any name under the reserved .invalid). */
export const isPlaceholderHost = (host: string): boolean => host.startsWith(PLACEHOLDER_HOST_PREFIX) || /\.invalid$/.test(host);

export const stageServers = (model: ModelLike, stage: Stage): NginxServer[] => nginxFilesFor(model, stage).flatMap((f) => f.servers);

/**
 * The edge target the analysis argues for: AWS evidence (AWS gems, S3/AWS settings, EC2 host names)
 * says the app will most likely land on EKS, where the AWS Load Balancer Controller is the usual edge;
 * otherwise Gateway API, the portable choice now that ingress-nginx is retired.
 */
export function defaultEdgeTarget(model: ModelLike): { target: "gateway" | "alb"; why: string; source?: Source } {
  const gem = Object.entries(model.rails.gems).find(([g]) => /^(aws-sdk|fog-aws|carrierwave-aws|aws-)/.test(g));
  if (gem)
    return { target: "alb", why: `the app uses AWS (gem ${gem[0]}): on EKS the AWS Load Balancer Controller's ALB Ingress is the usual edge`, source: gem[1].source };
  for (const st of model.stages) {
    const server = st.servers.find((s) => /(\.compute\.amazonaws\.com|\.compute\.internal|^ec2-)/.test(s.host));
    if (server) return { target: "alb", why: `stage ${st.name} runs on EC2 hosts (${server.host}): on EKS the ALB Ingress is the usual edge`, source: server.source };
    const v = Object.entries(st.variables).find(([k, f]) => /(^|_)(s3|aws)(_|$)/.test(k) && typeof f.value === "string");
    if (v) return { target: "alb", why: `stage ${st.name} sets :${v[0]}, an AWS setting: on EKS the ALB Ingress is the usual edge`, source: v[1].source };
  }
  return {
    target: "gateway",
    why: "no sign of AWS in the repo; Gateway API is the portable edge (ingress-nginx stopped receiving releases and security fixes in March 2026)",
  };
}

/** Whether the app has a database to migrate (database.yml) — then a db:migrate Job runs before each rollout. */
/**
 * The app has a database to migrate: database.yml (or its example) says so, or the servers had it
 * (a linked config/database.yml), or capistrano-rails ran migrations (db/migrate, migration_role).
 */
export const needsMigration = (model: ModelLike): boolean =>
  model.rails.database !== null ||
  model.linked.some((l) => l.path === "config/database.yml") ||
  model.stages.some((s) => s.variables["migration_role"] !== undefined && model.capistrano?.requires.some((r) => r.value === "capistrano/rails/migrations"));

/**
 * Mongoid with no ActiveRecord database: the app's database is MongoDB, which has no ActiveRecord
 * migrations (`db:migrate` is ActiveRecord's task; Mongoid creates collections as documents are
 * written). A gem that adds Mongoid migrations (mongoid_rails_migrations, mongoid-migrations) keeps a
 * `db:migrate` of its own, so such an app is not this case.
 */
export const mongoidOnly = (model: ModelLike): boolean =>
  !needsMigration(model) && model.rails.gems["mongoid"] !== undefined && !["mongoid_rails_migrations", "mongoid-migrations", "mongoid_migrations"].some((g) => model.rails.gems[g] !== undefined);

/** Rails ≥ 5 runs tasks through bin/rails; older apps through rake. Both read RAILS_ENV. */
export function migrateArgs(model: ModelLike): string[] {
  const v = model.rails.railsVersion?.value;
  const major = v ? Number.parseInt(v, 10) : NaN;
  return Number.isFinite(major) && major < 5 ? ["bundle", "exec", "rake", "db:migrate"] : ["bundle", "exec", "rails", "db:migrate"];
}

/**
 * What becomes of one whenever `env :NAME, value` line (written at the top of the crontab, so every
 * job of that file had it): carried onto each CronJob's container, carried through the stage's
 * Secret (config.ts puts it in secrets.env), or left out with the reason. PATH named the servers'
 * directories (rbenv shims, /usr/local) and would hide the image's; MAILTO mailed cron output, which
 * is the pod's log now. A value only whenever's run on the server knew (`ENV['PATH']`) is left out
 * and named, never guessed. Used by the CronJob emitter and the report alike.
 */
export type CronEnvFate = { kind: "carried"; value: string } | { kind: "secret" } | { kind: "left-out"; why: string };
export function cronEnvFate(name: string, value: RValue): CronEnvFate {
  if (name === "PATH") return { kind: "left-out", why: "it named the servers' directories; the image has its own PATH" };
  if (name === "MAILTO") return { kind: "left-out", why: "cron mailed job output; it is in the pod's log now" };
  if (secretEnvEntry(name, typeof value === "string" ? value : null)) return { kind: "secret" };
  const text = typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : null;
  if (!isEnvKey(name)) return { kind: "left-out", why: "is not an environment variable name; set it in the stage's config.env" };
  if (text === null) {
    const env = value && typeof value === "object" && !Array.isArray(value) && typeof (value as { env?: unknown }).env === "string" ? (value as { env: string }).env : null;
    return { kind: "left-out", why: `${env ? `its value is ENV[${JSON.stringify(env)}] of whenever's run on the server` : "has a value not known statically"}; set it in the stage's config.env` };
  }
  return { kind: "carried", value: text };
}
