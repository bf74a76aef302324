// capistrano-resque's workers, as its start task runs them: `set :workers, { "mail" => 2, "*" => 1 }`
// starts, on every server of the :resque_worker role, 2 processes with QUEUE="mail" and 1 with
// QUEUE="*" (`{ role_a: { "q" => 1 }, role_b: {...} }` names the role per group). Each process is
//   rake RAILS_ENV=<env> QUEUE="<queue>" PIDFILE=… BACKGROUND=yes [VERBOSE=1 ]INTERVAL=<interval> [environment ]resque:work
// and is stopped with `kill -s <resque_kill_signal>`. The plugin's defaults (its load:defaults task):
// workers {"*" => 1}, resque_kill_signal "QUIT", interval "5", resque_environment_task false,
// resque_verbose true.
//
// Rule: one Deployment per distinct entry (role + queue list + command) across the stages; one Resque
// process per pod, because a Resque worker runs one job at a time and the pod is the unit Kubernetes
// scales, restarts and drains; so the entry's count is carried as replicas: servers with the role ×
// count, per stage. A stage whose hash lacks the entry runs 0 replicas of it. PIDFILE and BACKGROUND
// are not carried: BACKGROUND=yes would daemonize and the container would exit at once.
import { isSym, railsEnvOf, type AnalyzerContext, type Fact, type RValue, type Source, type Stage, type WorkerFacts } from "../../src/model.js";
import { isHash } from "../ruby/evaluate.js";
import { dnsLabel } from "../../src/model/names.js";
import type { JobBackend } from "./backends.js";
import { resqueTermTimeout } from "./timeouts.js";

export const RESQUE_PLUGIN_DEFAULTS = { workers: { "*": 1 }, killSignal: "QUIT", interval: "5", environmentTask: false, verbose: true, role: "resque_worker" } as const;

interface Entry {
  role: string;
  queue: string;
  count: number;
  source: Source;
}

/** The entries of one stage's `:workers`, or why they cannot be read. */
function entriesOf(v: Fact<RValue> | undefined, stage: Stage): { entries: Entry[] } | { unknown: string } {
  const value: RValue = v ? v.value : RESQUE_PLUGIN_DEFAULTS.workers;
  const source = v?.source ?? stage.source;
  if (!isHash(value)) return { unknown: "`:workers` is not a Hash the analysis can read" };
  const groups: [string, RValue][] = Object.values(value).some((x) => isHash(x))
    ? Object.entries(value)
    : [[RESQUE_PLUGIN_DEFAULTS.role, value]];
  const entries: Entry[] = [];
  for (const [role, group] of groups) {
    if (!isHash(group)) return { unknown: `\`:workers\` mixes queue counts and role groups (${role})` };
    for (const [queue, n] of Object.entries(group)) {
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) return { unknown: `the count of queue ${JSON.stringify(queue)} is not a whole number` };
      entries.push({ role, queue, count: n, source });
    }
  }
  return { entries };
}

const str = (v: RValue | undefined): string | null => (typeof v === "string" ? v : typeof v === "number" ? String(v) : v && isSym(v) ? v.sym : null);
const bool = (v: RValue | undefined, dflt: boolean): boolean => (v === undefined ? dflt : v === true ? true : v === false || v === null ? false : dflt);

/** The part of a name a queue list gives: `*` is every queue. */
export function queueSlug(queue: string): string {
  if (queue.trim() === "*") return "all";
  const s = dnsLabel(queue.replace(/\*/g, "all"), 28);
  // dnsLabel gives "app" when nothing of the text is left (a queue named "?!"): say "queue" instead.
  return s === "app" && !/app/i.test(queue) ? "queue" : s;
}

/**
 * capistrano-resque's workers of every stage, or null when the plugin does not start them (its
 * Capfile require is missing). `problems` gets what could not be read.
 */
export function resquePluginWorkers(
  ctx: AnalyzerContext,
  b: JobBackend,
  stages: Stage[],
  evidence: Fact<string>[],
  base: Pick<WorkerFacts, "backend" | "label" | "drain">,
  loads: (s: Stage) => boolean = () => true,
): WorkerFacts[] {
  const byKey = new Map<string, WorkerFacts & { stageCounts: NonNullable<WorkerFacts["perStage"]> }>();
  const noRole = new Set<string>();
  // A Capistrano 2 stage whose own file does not require the plugin has no resque:start: none ran there.
  const without = stages.filter((s) => !loads(s));
  const loaders = [...new Set(stages.filter(loads).flatMap((s) => s.plugins?.filter((p) => /^capistrano-resque$/.test(p.value)).map((p) => p.source.file) ?? []))];
  for (const s of stages) {
    if (without.includes(s)) continue;
    const v = s.variables["workers"];
    const read = entriesOf(v, s);
    if ("unknown" in read) {
      ctx.problem({ ...(v?.source ?? s.source), message: `capistrano-resque: ${read.unknown}; stage ${s.name}'s Resque workers are carried as one worker on all queues ("*"), and its processes per server are asked`, severity: "warning" });
    }
    const entries: Entry[] = "entries" in read ? read.entries : [{ role: RESQUE_PLUGIN_DEFAULTS.role, queue: "*", count: 1, source: v?.source ?? s.source }];
    const envTask = bool(s.variables["resque_environment_task"]?.value, RESQUE_PLUGIN_DEFAULTS.environmentTask);
    const interval = str(s.variables["interval"]?.value) ?? RESQUE_PLUGIN_DEFAULTS.interval;
    const verbose = bool(s.variables["resque_verbose"]?.value, RESQUE_PLUGIN_DEFAULTS.verbose);
    const signalFact = s.variables["resque_kill_signal"];
    const signalRaw = (str(signalFact?.value) ?? RESQUE_PLUGIN_DEFAULTS.killSignal).toUpperCase().replace(/^SIG/, "");
    let signal: "TERM" | "QUIT" | "INT" = "QUIT";
    if (signalRaw === "TERM" || signalRaw === "QUIT" || signalRaw === "INT") signal = signalRaw;
    else ctx.problem({ ...(signalFact?.source ?? s.source), message: `capistrano-resque: resque_kill_signal ${JSON.stringify(signalRaw)} is not a stop Resque drains on; the worker Deployments stop with QUIT (wait for the running job)`, severity: "warning" });
    const resqueEnv = str(s.variables["resque_rails_env"]?.value);
    for (const e of entries) {
      // The plugin starts the entry on the role's servers only: a stage with none ran no such worker.
      if (s.servers.length && !s.servers.some((sv) => sv.roles.includes(e.role))) {
        noRole.add(`${s.name}\0${e.role}`);
        continue;
      }
      const env: Record<string, string> = { QUEUE: e.queue, INTERVAL: interval };
      if (verbose) env["VERBOSE"] = "1";
      // resque_rails_env runs the workers in another Rails env than the app's: carried over the ConfigMap's.
      if (resqueEnv && resqueEnv !== railsEnvOf(s)) env["RAILS_ENV"] = resqueEnv;
      // Capistrano's default_env reached the rake command: Resque's own stop settings are carried.
      const de = s.variables["default_env"]?.value;
      if (de && isHash(de))
        for (const k of ["TERM_CHILD", "RESQUE_TERM_TIMEOUT", "RESQUE_PRE_SHUTDOWN_TIMEOUT"]) {
          const x = str(de[k] ?? de[k.toLowerCase()]);
          if (x !== null) env[k] = x;
        }
      const args = ["bundle", "exec", "rake", ...(envTask ? ["environment"] : []), "resque:work"];
      const key = JSON.stringify([e.role, e.queue, args, env, signal]);
      let w = byKey.get(key);
      if (!w) {
        w = {
          ...base,
          name: "",
          args,
          env,
          commandFrom: "capistrano",
          commandSource: e.source,
          queues: e.queue.split(",").map((q) => q.trim()).filter(Boolean),
          stopSignal: signal,
          stopTimeout: { seconds: b.stopTimeout, source: null },
          roles: [e.role],
          evidence: [...evidence, { value: `capistrano-resque :workers entry ${JSON.stringify(e.queue)} => ${e.count} on role ${e.role}`, source: e.source }],
          carried: true,
          stageCounts: {},
        };
        if (signal === "TERM") {
          // On TERM Resque kills the running job, unless TERM_CHILD asks it to signal the job and wait.
          const t = resqueTermTimeout(env, e.source);
          if (t) w.stopTimeout = { seconds: t.seconds, source: t.source };
        }
        if (signalFact) w.evidence.push({ value: `resque_kill_signal ${signalRaw}`, source: signalFact.source });
        byKey.set(key, w);
      }
      const dflt = !v ? " (the plugin's default)" : "";
      // The deploy said something about :workers that could not be read: a question, not the plugin's default.
      w.stageCounts[s.name] =
        "unknown" in read
          ? { processes: e.count, why: `capistrano-resque :workers could not be read (${read.unknown}): the processes per server are asked`, source: v?.source ?? s.source, unknown: read.unknown }
          : { processes: e.count, why: `capistrano-resque :workers ${JSON.stringify(e.queue)} => ${e.count}${dflt}`, source: v ? v.source : null };
    }
  }
  // Names: worker-resque-<queues>, unique (a second `a,b` written `a, b` gets -2).
  const used = new Set<string>();
  const out: WorkerFacts[] = [];
  for (const w of byKey.values()) {
    const roleSlug = w.roles[0] === RESQUE_PLUGIN_DEFAULTS.role ? "" : `-${dnsLabel(w.roles[0]!, 15)}`;
    const stem = `worker-resque${roleSlug}-${queueSlug(w.env["QUEUE"]!)}`;
    let name = stem;
    for (let i = 2; used.has(name); i++) name = `${stem}-${i}`;
    used.add(name);
    const { stageCounts, ...facts } = w;
    const perStage = Object.fromEntries(
      stages.map((st) => [
        st.name,
        stageCounts[st.name] ??
          (without.includes(st)
            ? { processes: 0, why: `stage ${st.name} does not load capistrano-resque (only ${loaders.join(", ")} require${loaders.length > 1 ? "" : "s"} it)`, source: st.source }
            : noRole.has(`${st.name}\0${w.roles[0]}`)
            ? { processes: 0, why: `no server of stage ${st.name} has the ${w.roles[0]} role`, source: st.source }
            : { processes: 0, why: `not in stage ${st.name}'s :workers`, source: st.variables["workers"]?.source ?? null }),
      ]),
    );
    out.push({ ...facts, name, perStage });
  }
  return out;
}
