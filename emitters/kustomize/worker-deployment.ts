// Worker Deployments, one per job-runner process the servers ran (model.workers): the same image,
// the process's own command, the backend's drain signal delivered by a preStop hook, a grace period
// above its drain timeout, a heartbeat-file liveness check. No Service. Nothing here is specific to
// one backend: the backend's row (analyzers/workers/backends.ts) reached the model as data.
import type { AppModel, EmitResult, SidekiqOptionWords, SidekiqUnit, WorkerFacts } from "../../src/model.js";
import { SIDEKIQ_PLAIN_ENTRY as PLAIN_ENTRY } from "../../src/model.js";
import { SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";
import { appImage, labels, objectName, selectorLabels, workerName, type Component } from "./names.js";
import { envFrom, podDefaults, railsScratch, resources } from "./pod.js";
import type { Plan, StagePlan } from "./plan.js";
import { backendWorkerReplicas, isSingletonWorker, SINGLETON_WHY, workerProcessesAnswer, processPerPodRule } from "./rules/workers.js";
import { HEARTBEAT_ENV, HEARTBEAT_FILE, heartbeatProbeCommand } from "./rules/health.js";
import { sidekiqOfStage, type SidekiqOfStage, sidekiqSetReplicas, answeredThreads } from "./rules/sidekiq.js";
import { workerGracePeriod, workerPreStop } from "./rules/shutdown.js";
import { numberOf } from "../../src/model/numbers.js";
import { answerNumber } from "./answers.js";
import { containerSecurityContext } from "./security.js";
import { kubeletLiteral } from "../encode/kubelet.js";

export const WORKER_CONTAINER = "worker";

/** sidekiq's command on the first stage: the base Deployment's; the others' differ only by overlay. */
export function workerArgs(plan: Plan): string[] {
  return sidekiqArgs(plan, plan.stages[0]!);
}

/**
 * sidekiq's command on a stage: its config file when there is one (it carries per-env sections),
 * else flags; then the flags capistrano-sidekiq added there, which win over the file as in Sidekiq's CLI.
 */
export function sidekiqArgs(plan: Plan, sp: StagePlan, own?: SidekiqOptionWords, unit?: { entry: string }, worker = "worker"): string[] {
  const sk = plan.model.sidekiq!;
  const st = sidekiqOfStage(plan.model, sp.stage, own, unit, answeredThreads(plan.model, plan.answers, sp.stage.name, worker));
  // The servers' `-t N` is carried as a flag: it overrides the config file there and here alike.
  // A start line's own `-t` (among `own`'s words) is that Deployment's.
  const t = sk.commandTimeout && own?.timeout == null ? ["-t", String(sk.commandTimeout.value)] : [];
  // Sidekiq's own start line whose concurrency neither a -c nor the config sets: the servers' count
  // came from their environment (or Sidekiq's default), and the pod's ConfigMap may hold another
  // RAILS_MAX_THREADS (Puma's threads): the stated count is pinned with -c.
  // An answer to the count a placeholder held is pinned the same way, over whatever config the pod reads.
  const pin = (own?.line && own.concurrency === null && st.concurrencyDefault) || st.concurrencyDefault?.answered ? ["-c", String(st.concurrency)] : [];
  if (st.file) return ["bundle", "exec", "sidekiq", "-C", st.file, ...st.flags, ...pin, ...t];
  if (own?.words.length) {
    // Without a config file the stage's command is rebuilt from flags; a split Sidekiq's words follow
    // them as written (their -t, --tag, queue weights kept), as on the servers' start line.
    // The line's process environment (its RAILS_MAX_THREADS, a unit's own environment) stays with it.
    const stage = sidekiqArgs(plan, sp, { words: [], queues: [], concurrency: null, timeout: null, ...(own.maxThreads ? { maxThreads: own.maxThreads } : {}), ...(own.ownEnvironment ? { ownEnvironment: own.ownEnvironment } : {}) }, undefined, worker);
    // The stage's command ends with the servers' `-t` where there is one: the words' own -t replaces it.
    const head = stage.slice(0, sk.commandTimeout ? stage.length - 2 : stage.length);
    // A `-c` of the words wins over the stage's (Sidekiq keeps the last); the stage's, a default
    // where nothing set it, is left off rather than shown and overridden.
    const c = own.concurrency !== null ? head.indexOf("-c") : -1;
    if (c >= 0) head.splice(c, 2);
    return [...head, ...own.words, ...t];
  }
  const env = st.flags.includes("-e") ? ["-e", st.env] : [];
  const args = ["bundle", "exec", "sidekiq", ...env, "-c", String(st.concurrency)];
  for (const q of st.queues) args.push("-q", q);
  return [...args, ...t];
}

/** The workers of the model; a model built without the list (older JSON, tests) still has its Sidekiq. */
export function workersOf(model: Omit<AppModel, "gaps">): WorkerFacts[] {
  if (model.workers) return model.workers;
  if (!model.sidekiq) return [];
  return [
    {
      backend: "sidekiq",
      label: "Sidekiq",
      drain: "on TERM it stops fetching, waits `timeout` for running jobs, then pushes the unfinished ones back to Redis",
      name: "worker",
      args: [],
      env: {},
      commandFrom: "sidekiq",
      commandSource: null,
      queues: [],
      stopSignal: "TERM",
      stopTimeout: { seconds: 25, source: null },
      roles: ["sidekiq", "worker"],
      evidence: model.sidekiq.evidence,
      carried: true,
    },
  ];
}

export interface WorkerStage {
  replicas: number;
  /** Where the replica count comes from, for provenance and MIGRATION.md. */
  replicasWhy: string;
  timeout: number;
  grace: number;
  /** The stage's command, where it differs from the base Deployment's (capistrano-sidekiq's per-stage flags). */
  args?: string[];
}

export interface WorkerSpec {
  facts: WorkerFacts;
  name: string;
  component: Component;
  args: string[];
  /** Per stage, in plan.stages order. */
  stages: WorkerStage[];
}

/**
 * Why a scheduler ran nowhere on a stage, or null where it ran. The deploy starts it only on servers
 * with its roles (capistrano-resque: `on roles(:resque_scheduler)`), so a stage that lists servers,
 * none of them with those roles, ran no scheduler; a stage without servers says nothing either way.
 */
function singletonNotStarted(sp: StagePlan, roles: string[]): string | null {
  const servers = sp.stage.servers;
  if (servers.length === 0 || roles.length === 0) return null;
  if (servers.some((s) => s.roles.some((r) => roles.includes(r)))) return null;
  return `no server of stage ${sp.stage.name} has a ${[...new Set(roles)].join("/")} role`;
}

/** Deployment name, selector component, command and per-stage numbers of each carried worker. */
export function workerSpecs(plan: Plan): WorkerSpec[] {
  return workersOf(plan.model)
    .filter((w) => w.carried)
    .map((w) => {
      const sidekiq = w.commandFrom === "sidekiq";
      const so = w.sidekiqOptions;
      const unit = w.sidekiqConfig;
      const baseArgs = sidekiq ? sidekiqArgs(plan, plan.stages[0]!, so, unit, w.name) : w.args;
      const stages = plan.stages.map((sp: StagePlan): WorkerStage => {
        // A stage whose deploy never started it (its hooks are written in other stages' files only).
        const off = w.offStages?.[sp.stage.name];
        if (off) {
          const timeout = sidekiq ? sp.sidekiqTimeout : w.stopTimeout.seconds;
          return { replicas: 0, replicasWhy: `none: ${off.why}`, timeout, grace: workerGracePeriod(timeout) };
        }
        if (sidekiq) {
          // A stage whose servers ran their own file's Sidekiq line (an eye file per stage) runs its own options.
          const so = w.stageSidekiqOptions?.[sp.stage.name] ?? w.sidekiqOptions;
          const args = sidekiqArgs(plan, sp, so, unit, w.name);
          const own = JSON.stringify(args) !== JSON.stringify(baseArgs) ? { args } : {};
          // One Deployment of a 3.x Sidekiq split by sidekiq_config_files (analyzers/workers/sidekiq-config-files.ts).
          if (unit) {
            const timeout = sidekiqOfStage(plan.model, sp.stage, undefined, unit).timeout;
            const r = sidekiqUnitReplicas(plan.model.sidekiq?.units?.[sp.stage.name], unit.entry, sp);
            return { ...r, timeout, grace: workerGracePeriod(timeout), ...own };
          }
          if (!so) return { replicas: sp.workerReplicas, replicasWhy: plan.model.sidekiq?.started?.[sp.stage.name]?.why ?? `sidekiq servers of stage ${sp.stage.name}`, timeout: sp.sidekiqTimeout, grace: sp.workerGrace, ...own };
          if (!w.perStage) {
            // Sidekiq's own start line, one process per server (analyzers/workers/sidekiq-line.ts): the stage's Sidekiq servers, its options' timeout.
            const timeout = sidekiqOfStage(plan.model, sp.stage, so).timeout;
            return { replicas: sp.workerReplicas, replicasWhy: plan.model.sidekiq?.started?.[sp.stage.name]?.why ?? `sidekiq servers of stage ${sp.stage.name}`, timeout, grace: workerGracePeriod(timeout), ...own };
          }
          // One Deployment of a Sidekiq split by sidekiq_options_per_process (analyzers/workers/sidekiq-processes.ts).
          const c = w.perStage?.[sp.stage.name] ?? { processes: 0, why: `stage ${sp.stage.name} did not start it` };
          const timeout = sidekiqOfStage(plan.model, sp.stage, so).timeout;
          const started = plan.model.sidekiq?.started?.[sp.stage.name];
          return {
            // capistrano-sidekiq's own servers (its role, by version) where it started Sidekiq.
            replicas: started && c.processes > 0 ? started.servers * c.processes : sidekiqSetReplicas(sp.stage, c.processes, plan.model.sidekiq?.unreadSettings),
            replicasWhy: c.processes === 0 ? `none: ${c.why}` : `sidekiq servers of stage ${sp.stage.name} × ${c.processes} (${c.why})`,
            timeout,
            grace: workerGracePeriod(timeout),
            ...own,
          };
        }
        // A worker counted per stage (capistrano-resque's entries, GoodJob in the web pods somewhere):
        // a stage missing from the map started none of it.
        const listed = w.perStage ? (w.perStage[sp.stage.name] ?? { processes: 0, why: `stage ${sp.stage.name} did not start it`, source: null }) : null;
        // A count the deploy set unreadably is the answer to its question (src/gaps/workers.ts).
        const own = listed?.unknown
          ? { ...listed, processes: answerNumber(plan.answers, workerProcessesAnswer(sp.stage.name, w.name), listed.processes), why: `answer ${workerProcessesAnswer(sp.stage.name, w.name)}` }
          : listed;
        // A scheduler is one pod wherever the stage ran it at all.
        if (isSingletonWorker(w.backend) || w.singleton) {
          // Role names the deploy never gave (a Procfile's scheduler line), held by no server of any
          // stage, say nothing of where it ran: the servers ran it without a role of its own.
          const unplaced = w.rolesGuessed && !plan.stages.some((x) => x.stage.servers.some((sv) => sv.roles.some((r) => w.roles.includes(r))));
          const none = own?.processes === 0 ? own.why : own || unplaced ? null : singletonNotStarted(sp, w.roles);
          return none !== null
            ? { replicas: 0, replicasWhy: `none: ${none}`, timeout: w.stopTimeout.seconds, grace: workerGracePeriod(w.stopTimeout.seconds) }
            : { replicas: 1, replicasWhy: w.singleton ?? SINGLETON_WHY, timeout: w.stopTimeout.seconds, grace: workerGracePeriod(w.stopTimeout.seconds) };
        }
        // The stage's own roles where they differ by stage (dlss-capistrano's per-stage <backend>_systemd_role).
        const roles = own?.roles ?? w.roles;
        const r = backendWorkerReplicas(sp.stage, roles, w.processesVariable, own?.processes ?? w.processesPerServer?.value, !!w.primaryOnly);
        return {
          replicas: r.replicas,
          replicasWhy:
            (own?.processes === 0
              ? `none: ${own.why}`
              : r.fromServers
                ? `${w.primaryOnly ? `the first (primary) server of the ${w.primaryOnly.role} role only (${w.primaryOnly.source.file}:${w.primaryOnly.source.line}) of ` : ""}servers with a ${[...new Set(roles)].join("/")} role in stage ${sp.stage.name}${own && own.processes !== 1 ? ` × ${own.processes} (${own.why})` : !own && w.processesPerServer ? ` × ${w.processesPerServer.value} (${w.processesPerServer.why})` : w.processesVariable && sp.stage.variables[w.processesVariable] ? ` × ${w.processesVariable}` : ""}`
                : `default: ${roles.length ? `no server of stage ${sp.stage.name} has a ${[...new Set(roles)].join("/")} role` : `the repo does not say which servers of stage ${sp.stage.name} ran it`}${w.rolesGuessed && !own?.roles ? " (the usual role names, a fallback: the deploy does not say which roles ran it)" : ""}${own ? ` (${own.why})` : w.processesPerServer ? `, so one server × ${w.processesPerServer.value} (${w.processesPerServer.why})` : w.processesVariable && numberOf(sp.stage.variables[w.processesVariable]?.value) !== null ? `, so one server × ${w.processesVariable} ${numberOf(sp.stage.variables[w.processesVariable]?.value)}` : ""}`) + (processPerPodRule(w.backend) && own?.processes !== 0 ? `; ${processPerPodRule(w.backend)}` : ""),
          timeout: w.stopTimeout.seconds,
          grace: workerGracePeriod(w.stopTimeout.seconds),
        };
      });
      // A stage whose old deploy never started it keeps its replicas (the app has the worker), labelled with why.
      for (const [i, sp] of plan.stages.entries()) {
        const n = w.notStartedByDeploy?.[sp.stage.name];
        if (n && stages[i]!.replicas > 0) stages[i] = { ...stages[i]!, replicasWhy: `${stages[i]!.replicasWhy}; the old deploy did not start it here: ${n.why}` };
      }
      return {
        facts: w,
        name: workerDeploymentName(plan.app, w),
        // Sidekiq keeps the selector it always had (a Deployment's selector is immutable); a split
        // Sidekiq's other Deployments are named as the other workers are.
        component: (sidekiq && !so && !(unit && w.name !== "worker") ? "worker" : w.name) as Component,
        args: baseArgs,
        stages,
      };
    });
}

export function workerDeployment(plan: Plan, spec: WorkerSpec, out: EmitResult, output: string): Record<string, unknown> {
  const { app, model } = plan;
  const w = spec.facts;
  const scratch = railsScratch(model);
  // A process that boots no Rails never touches the heartbeat file: its port, or nothing but the process itself.
  const live = w.liveness;
  const check = !live ? { exec: { command: heartbeatProbeCommand() } } : "tcpPort" in live ? { tcpSocket: { port: live.tcpPort } } : null;
  const probes = check
    ? {
        // Boot may take minutes (startup allows 5); then the heartbeat must be under 2 minutes old (or the port answer).
        startupProbe: { ...check, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 30 },
        livenessProbe: { ...check, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
      }
    : {};
  if (live && "tcpPort" in live) out.provenance.push({ output, what: `${w.label} liveness: port ${live.tcpPort} answers (it boots no Rails, so no heartbeat)`, source: live.source });
  for (const p of w.ports ?? []) out.provenance.push({ output, what: `${w.label} listens on ${p.port}: no Service or route is written for it`, source: p.source });
  for (const e of w.evidence.slice(0, 1)) out.provenance.push({ output, what: `${w.label} worker`, source: e.source });
  if (w.commandSource)
    out.provenance.push({ output, what: `${w.label} command${w.commandFrom === "standard" ? " (the backend's standard command)" : ""}`, source: w.commandSource });
  const sk = model.sidekiq;
  if (w.commandFrom === "sidekiq" && sk) {
    // A linked config file: the servers ran their shared/ copy, these values are the repo's copy's.
    const copy = (s: { file: string }) => (sk.repoCopy && s.file === sk.file ? ` (the repo's copy; the servers read the linked shared/${sk.file})` : "");
    // A 3.x unit of another sidekiq_config_files entry reads its own file.
    const unitFile = w.sidekiqConfig ? sk.configFiles?.[w.sidekiqConfig.entry]?.facts : undefined;
    // The file Sidekiq's own start line names with -C (analyzers/workers/sidekiq-line.ts).
    const cf = unitFile ?? w.sidekiqOptions?.config?.facts ?? sk;
    if (cf.concurrency) out.provenance.push({ output, what: `sidekiq concurrency${copy(cf.concurrency.source)}`, source: cf.concurrency.source });
    // Where nothing set it, the concurrency is Sidekiq's own default for the locked version: said as whose.
    const byDefault = new Map<string, { stages: string[]; n: number; d: NonNullable<SidekiqOfStage["concurrencyDefault"]>; flag: boolean }>();
    for (const sp of plan.stages) {
      const st = sidekiqOfStage(model, sp.stage, w.sidekiqOptions, w.sidekiqConfig, answeredThreads(model, plan.answers, sp.stage.name, w.name));
      if (!st.concurrencyDefault) continue;
      const key = `${st.concurrency} ${st.concurrencyDefault.of} ${st.concurrencyDefault.why} ${st.concurrencyDefault.asked ?? ""}`;
      const flag = sidekiqArgs(plan, sp, w.sidekiqOptions, w.sidekiqConfig, w.name).includes("-c");
      const e = byDefault.get(key) ?? { stages: [], n: st.concurrency, d: st.concurrencyDefault, flag };
      e.stages.push(sp.stage.name);
      byDefault.set(key, e);
    }
    // A Sidekiq config the deploy renders from a repo template onto the servers, which no start line
    // the analysis read names: the servers' Sidekiq may have read it (a start line off the repo), so the
    // default is said to be one, beside that file, rather than taken as what ran.
    const rendered = byDefault.size ? (model.capistrano?.tasks ?? []).flatMap((t) => (t.renders ?? []).filter((r) => /sidekiq/i.test(r.template)).map((r) => ({ task: t.name, ...r }))) : [];
    for (const { stages, n, d, flag } of byDefault.values()) {
      out.provenance.push({
        output,
        what: `${stages.join(", ")}: sidekiq concurrency ${n}${flag ? ` → -c ${n}` : ""}, ${d.of}: ${d.why}`,
        source: d.source ?? { file: "Gemfile.lock", line: 0 },
      });
      // The servers read a Sidekiq config the repo lacks: the count above is a placeholder, said as one.
      if (d.unknown)
        out.notes.push({
          message: `${stages.join(", ")}: the servers' Sidekiq concurrency is not known: ${d.unknown.what} may set it; the worker runs ${n} threads (${d.of}) as a placeholder: ${d.asked ? `answer ${d.asked} with the servers' value and run rails2k8s migrate again` : "set the worker's -c to the servers' value"}`,
          source: d.unknown.source,
        });
      for (const r of rendered)
        out.notes.push({
          message: `${stages.join(", ")}: the worker runs ${n} Sidekiq threads, ${d.of}, but the deploy's ${r.task} renders ${r.template} onto the servers, and no start line the analysis read passes that file: if the servers' Sidekiq read it (-C), it ran that file's concurrency; set the worker's -c to it`,
          source: r.source,
        });
    }
    for (const q of cf.queues.slice(0, 1)) out.provenance.push({ output, what: `sidekiq queues${copy(q.source)}`, source: q.source });
    if (cf.timeout && !cf.timeout.defaultOf) out.provenance.push({ output, what: `sidekiq timeout → terminationGracePeriodSeconds${copy(cf.timeout.source)}`, source: cf.timeout.source });
    if (w.sidekiqConfig)
      for (const [stage, list] of Object.entries(sk.units ?? {})) {
        const u = list.find((x) => x.entry === w.sidekiqConfig!.entry);
        if (u?.source) out.provenance.push({ output, what: `${stage}: capistrano-sidekiq 3.x unit for sidekiq_config_files entry ${u.entry}${u.servers === null ? "" : ` on ${u.servers} server(s)`} → replicas`, source: u.source });
      }
    if (sk.repoCopy) out.provenance.push({ output, what: `${sk.file} is a linked file: the servers' copy is not in the repo`, source: sk.repoCopy.linked });
    for (const [stage, p] of Object.entries(sk.plugin ?? {})) {
      if (p.stopWait) out.provenance.push({ output, what: `${stage}: capistrano-sidekiq sidekiq_timeout (its stop's wait before SIGKILL) → terminationGracePeriodSeconds when longer than Sidekiq's own`, source: p.stopWait.source });
      for (const [name, f] of [["sidekiq_concurrency → -c", p.concurrency], ["sidekiq_queue → -q", p.queues], ["sidekiq_config → -C", p.config], ["sidekiq_env → -e", p.env]] as const)
        if (f) out.provenance.push({ output, what: p.via ? `${stage}: ${p.via} ${p.via === "capistrano-mb" && f === p.concurrency ? `mb_sidekiq_concurrency → -c${f.defaultOf ? " (the gem's default)" : ""}` : name}` : `${stage}: capistrano-sidekiq ${name}`, source: f.source });
    }
    if (w.sidekiqOptions)
      for (const [stage, c] of Object.entries(w.perStage ?? {}))
        if (c.source && c.processes > 0) out.provenance.push({ output, what: `${stage}: ${w.sidekiqOptions.line ? "Sidekiq's own start line" : "capistrano-sidekiq sidekiq_options_per_process"} → ${w.sidekiqOptions.words.join(" ") || "(no words)"}, ${c.processes} per server`, source: c.source });
  } else if (w.evidence[0]) {
    out.provenance.push({
      output,
      what: `${w.label} stop: ${w.stopSignal} from the preStop hook, ${w.stopTimeout.seconds}s drain${w.stopTimeout.source ? "" : " (default)"} → terminationGracePeriodSeconds ${workerGracePeriod(w.stopTimeout.seconds)}`,
      source: w.stopTimeout.source ?? w.evidence[0].source,
    });
  }
  const env = [
    ...(live ? [] : [{ name: HEARTBEAT_ENV, value: HEARTBEAT_FILE }]),
    ...Object.entries(w.env)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => ({ name, value: kubeletLiteral(value) })),
  ];
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: spec.name, labels: labels(app, spec.component) },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(app, spec.component) },
      // A scheduler never overlaps itself: the old pod is gone before the new one starts.
      strategy: isSingletonWorker(w.backend) || w.singleton ? { type: "Recreate" } : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: labels(app, spec.component) },
        spec: {
          ...podDefaults(),
          terminationGracePeriodSeconds: Math.max(...spec.stages.map((s) => s.grace)),
          containers: [
            {
              name: WORKER_CONTAINER,
              image: appImage(app),
              args: spec.args.map(kubeletLiteral),
              env,
              envFrom: envFrom(app),
              resources: resources(plan.stages[0]!.workerResources),
              ...(w.ports?.length ? { ports: [...new Map(w.ports.map((p) => [p.port, p])).values()].map((p) => ({ containerPort: p.port, protocol: "TCP" })) } : {}),
              ...probes,
              lifecycle: { preStop: { exec: { command: workerPreStop(w.stopSignal) } } },
              securityContext: containerSecurityContext(),
              volumeMounts: scratch.mounts,
            },
          ],
          volumes: scratch.volumes,
        },
      },
    },
  };
}

/** `<app>-worker` for Sidekiq (the name it always had), `<app>-worker-<backend>` for the others. */
/**
 * Replicas of a 3.x unit's Deployment on a stage: the servers running it (one process each); one pod
 * on a stage that lists no servers but whose list holds the entry, as the one Sidekiq worker gets
 * there; none where the stage does not run it. Units that could not be read (a warning said so):
 * the plain unit keeps the stage's Sidekiq count, another runs nowhere.
 */
function sidekiqUnitReplicas(units: SidekiqUnit[] | undefined, entry: string, sp: StagePlan): { replicas: number; replicasWhy: string } {
  const stage = sp.stage.name;
  if (!units)
    return entry === PLAIN_ENTRY
      ? { replicas: sp.workerReplicas, replicasWhy: `stage ${stage}'s sidekiq_config_files could not be read: its Sidekiq servers` }
      : { replicas: 0, replicasWhy: `none: stage ${stage}'s sidekiq_config_files could not be read` };
  const u = units.find((x) => x.entry === entry);
  if (!u || u.servers === 0) return { replicas: 0, replicasWhy: `none: no server of stage ${stage} runs the unit for sidekiq_config_files entry ${entry}` };
  if (u.servers === null) return { replicas: 1, replicasWhy: `default: stage ${stage} lists no servers; its sidekiq_config_files holds ${entry}: one pod` };
  return { replicas: u.servers, replicasWhy: `${u.servers} server(s) of stage ${stage} run capistrano-sidekiq 3.x's unit for sidekiq_config_files entry ${entry}, one process each` };
}

export const workerDeploymentName = (app: string, w: WorkerFacts): string => (w.commandFrom === "sidekiq" && w.name === "worker" ? workerName(app) : objectName(app, w.name));

/** The command a worker runs, as one line for people to read (env first, as a shell would show it). */
export const workerCommandLine = (w: WorkerFacts, args: string[] = w.args): string =>
  // A value the shown model hid is an Unknown, not text: said as hidden, never as "[object Object]".
  [...Object.entries(w.env).map(([k, v]) => `${k}=${typeof v === "string" ? v : SECRET_SHOWN_AS}`), ...args].join(" ");

/** base/ file name of a worker's Deployment. */
export const workerFile = (spec: WorkerSpec): string => workerFileOf(spec.facts);
/** base/ file name of a worker's Deployment, from its facts. */
export const workerFileOf = (w: WorkerFacts): string => (w.commandFrom === "sidekiq" && w.name === "worker" ? "worker-deployment.yaml" : `${w.name}-deployment.yaml`);
