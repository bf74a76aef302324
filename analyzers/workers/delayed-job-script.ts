// delayed_job's own daemon script (`script/delayed_job`, `bin/delayed_job`) as a service file or a
// deploy task ran it, read through the wrappers around it (`su -c '…' - app`, `sudo -u app`,
// `cd … &&`, `bash -lc`; src/model/service-managers.ts). Its options are Delayed::Command's (delayed_job
// lib/delayed/command.rb, OptionParser in #initialize):
// - `-n N` / `--number_of_workers=N`: N daemons per server (default 1); `--pool=queues:N` (repeated):
//   N daemons per pool entry, each on its queues (`*` or empty: all), `-n` then unused (#daemonize);
// - `--queues=a,b` / `--queue=a`, `--min-priority N`, `--max-priority N`, `--sleep-delay N`,
//   `--read-ahead N`: options of each worker (Delayed::Worker.new(options));
// - `--exit-on-complete`: the worker exits once no job is ready;
// - `-i`, `--pid-dir`, `--log-dir`, `-m`, `-p`, `-e`, `--daemon-options`: naming, pid files,
//   monitoring and the deprecated environment flag: nothing a pod needs.
// `start` hands each worker to Daemons, which forks it into the background and returns; `run` is the
// same worker in the foreground, but only one: with -n or pools, `run` blocks in the first. So the
// pod runs `script/delayed_job run` with the worker's own options, one process per pod, and the
// count (-n, each pool's N) becomes processes per server, which the replicas rule multiplies.
import type { Source } from "../../src/model.js";
import { unwrapCommand } from "../../src/model/service-managers.js";
import { boundedCount, unboundedCountWhy } from "../process-count.js";

export const DJ_SCRIPT = /(?:^|\/)((?:script|bin)\/delayed_job)$/;

export interface DjPool {
  /** Empty: every queue. */
  queues: string[];
  /** Daemons per server for this pool. */
  count: number;
  /** The pod's command: the script in the foreground with the worker's options. */
  args: string[];
}

export interface DjScriptRun {
  script: string;
  verb: "start" | "run" | "restart";
  wrappers: string[];
  env: Record<string, string>;
  pools: DjPool[];
  /** Options as written that the pod leaves out (they only named or watched the daemons). */
  dropped: string[];
  exitOnComplete: boolean;
  /** What the count came from, for the evidence (`-n 3`, `--pool=mail:2`, Delayed::Command's default). */
  countWhy: string;
}

/** Options whose value is a worker setting carried onto the pod's command line. */
const WORKER_OPTIONS = new Set(["--min-priority", "--max-priority", "--sleep-delay", "--read-ahead"]);
/** Options that only name, place or watch the daemons (with a value, or a flag). */
const DAEMON_VALUE = new Set(["-i", "--identifier", "--pid-dir", "--log-dir", "-p", "--prefix", "-e", "--environment", "--daemon-options"]);
const DAEMON_FLAG = new Set(["-m", "--monitor"]);
const PLAIN = /^[A-Za-z0-9_@%+=:,.\/*-]+$/;

/**
 * The script's run in `line`, or null when the line does not run the repo's delayed_job script (or
 * only stops it); `unknown` says why a line that does run it cannot be carried word for word.
 */
export function readDelayedJobScript(line: string, repoPaths: readonly string[]): DjScriptRun | { unknown: string } | null {
  if (!/(?:script|bin)\/delayed_job\b/.test(line)) return null;
  const un = unwrapCommand(line, (ws) => ws.some((w) => DJ_SCRIPT.test(w)));
  if (!un) return { unknown: "the line uses shell syntax around the script (a pipe, a substitution, several commands) that is not read" };
  const words = un.words;
  const at = words.findIndex((w) => DJ_SCRIPT.test(w));
  if (at < 0) return null;
  const script = DJ_SCRIPT.exec(words[at]!)![1]!;
  if (!repoPaths.includes(script)) return { unknown: `${script} is not in the repo` };
  const env: Record<string, string> = {};
  for (let i = 0; i < at; i++) {
    const w = words[i]!;
    const a = /^([A-Za-z_]\w*)=(.*)$/.exec(w);
    // RAILS_ENV/RACK_ENV come from each stage's ConfigMap; the line's value was one server's.
    if (a && /^RA(ILS|CK)_ENV$/.test(a[1]!)) continue;
    if (a && PLAIN.test(a[2]!)) env[a[1]!] = a[2]!;
    else if (a) return { unknown: `${a[1]}'s value on the line (${a[2]}) is not known` };
    else if (/(?:^|\/)ruby$/.test(w) || w === "bundle" || w === "exec") continue;
    else return { unknown: `\`${w}\` runs the script` };
  }
  let count: number | null = null;
  let countWhy = "1 worker (Delayed::Command's default)";
  let queues: string[] | null = null;
  const options: string[] = [];
  const pools: { queues: string[]; count: number }[] = [];
  const dropped: string[] = [];
  const verbs: string[] = [];
  let exitOnComplete = false;
  let identifier = false;
  const rest = words.slice(at + 1);
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    const eq = /^(--[A-Za-z_-]+)=(.*)$/.exec(w);
    const short = /^(-[a-z])(.+)$/.exec(w);
    const name = eq ? eq[1]! : short && !DAEMON_FLAG.has(w) ? short[1]! : w;
    const inline = eq ? eq[2]! : short && !DAEMON_FLAG.has(w) ? short[2]! : undefined;
    const value = (): string | null => {
      if (inline !== undefined) return inline;
      const v = rest[i + 1];
      if (v === undefined) return null;
      i++;
      return v;
    };
    if (!w.startsWith("-")) verbs.push(w);
    else if (name === "-n" || name === "--number_of_workers" || name === "--number-of-workers") {
      const v = value();
      if (v === null || !/^\d+$/.test(v)) return { unknown: `\`${w}${inline === undefined && v !== null ? ` ${v}` : ""}\` is not a whole number of workers` };
      if (boundedCount(Number(v)) === null) return { unknown: `the worker count of \`${w}\`: ${unboundedCountWhy(v)}` };
      count = Number(v);
      countWhy = `${name} ${v}`;
    } else if (name === "--queues" || name === "--queue") {
      const v = value();
      if (v === null || !PLAIN.test(v)) return { unknown: `the queues of \`${w}\` are not known` };
      queues = v.split(",").filter(Boolean);
    } else if (name === "--pool") {
      const v = value();
      const m = v === null ? null : /^([^:]*)(?::(\d+))?$/.exec(v);
      if (!m || !PLAIN.test(v!)) return { unknown: `\`${w}\` is not a pool the analysis can read (queues:count)` };
      if (m[2] !== undefined && boundedCount(Number(m[2])) === null) return { unknown: `the count of \`${w}\`: ${unboundedCountWhy(m[2])}` };
      pools.push({ queues: ["*", ""].includes(m[1]!) ? [] : m[1]!.split(","), count: m[2] === undefined ? 1 : Number(m[2]) });
    } else if (WORKER_OPTIONS.has(name)) {
      const v = value();
      if (v === null || !PLAIN.test(v)) return { unknown: `the value of \`${name}\` is not known` };
      options.push(name, v);
    } else if (name === "--exit-on-complete") exitOnComplete = true;
    else if (DAEMON_FLAG.has(name)) dropped.push(w);
    else if (DAEMON_VALUE.has(name)) {
      const v = value();
      if (name === "-i" || name === "--identifier") identifier = true;
      dropped.push(inline === undefined && v !== null ? `${w} ${v}` : w);
    } else return { unknown: `\`${w}\` is not an option of Delayed::Command` };
  }
  const verb = verbs.find((v) => v === "start" || v === "run" || v === "restart") as DjScriptRun["verb"] | undefined;
  if (!verb) return null;
  if (identifier && (count ?? 1) > 1) return { unknown: "-n above 1 with -i: Delayed::Command refuses both (ArgumentError), so this line started no worker" };
  const podArgs = (q: string[]) => ["bundle", "exec", script, "run", ...(q.length ? [`--queues=${q.join(",")}`] : []), ...options];
  const out: DjPool[] = pools.length
    ? pools.map((p) => ({ queues: p.queues, count: p.count, args: podArgs(p.queues) }))
    : [{ queues: queues ?? [], count: count ?? 1, args: podArgs(queues ?? []) }];
  if (pools.length) countWhy = pools.map((p) => `--pool=${p.queues.length ? p.queues.join(",") : "*"}:${p.count}`).join(" ") + (count !== null ? ` (-n ${count} is unused with pools)` : "");
  return { script, verb, wrappers: un.wrappers, env, pools: out, dropped, exitOnComplete, countWhy };
}

/**
 * Who started the worker again after it exited, by the file that defined it: god and monit always
 * do; a systemd unit with `Restart=always|on-success`; an upstart job with `respawn`. Null: nobody.
 */
export function restartedBy(file: string, text: string): string | null {
  if (/\.god(\.erb)?$|(^|\/)god\//.test(file)) return "god";
  if (/monit/.test(file)) return "monit";
  if (/^\s*Restart\s*=\s*(always|on-success)\s*$/m.test(text)) return "systemd (Restart=)";
  if (/^\s*respawn\b/m.test(text) && !/\.service(\.erb)?$/.test(file)) return "upstart (respawn)";
  return null;
}

/** The string literal of a Ruby deploy line that runs the script (`run "cd #{current_path} && script/delayed_job start"`). */
export function scriptLiteral(rubyLine: string): string | null {
  const m = /(["'])((?:(?!\1).)*(?:script|bin)\/delayed_job\b(?:(?!\1).)*)\1/.exec(rubyLine.replace(/#\{[^{}]*\}/g, (x) => x.replace(/["']/g, "\u0000")));
  return m ? m[2]!.replace(/\u0000/g, "'") : null;
}

export const startNote = (r: DjScriptRun): string =>
  [
    r.verb === "run"
      ? `the servers ran ${r.script} run in the foreground, as the pod does`
      : `the servers ran ${r.script} ${r.verb}, which hands each worker to Daemons to fork into the background and returns; a container lives only as long as its main process, so the pod runs ${r.script} run, the same worker in the foreground, one per pod (the count becomes replicas)`,
    ...(r.wrappers.length ? [`read through ${r.wrappers.map((w) => `\`${w}\``).join(", ")}`] : []),
    ...(r.dropped.length ? [`left out ${r.dropped.map((d) => `\`${d}\``).join(", ")} (daemon names, pid files, monitoring: nothing a pod needs)`] : []),
  ].join("; ");
