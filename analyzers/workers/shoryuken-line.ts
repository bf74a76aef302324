// A Shoryuken start line of the servers (a monit start program, a unit's ExecStart) as the pod's
// command: the options that only placed the daemon on a server are left out, the others kept as
// written, since the same gem version reads them in the pod. Options, from the gem's CLI
// (bin/shoryuken, Thor, v3.2.2 = ruby-shoryuken/shoryuken 8ee1448, the same from 3.0 on):
//   -c/--concurrency N, -d/--daemon, -q/--queues a[,w] b[,w]… (an array: every word up to the next
//   option), -r/--require P, -t/--timeout N, -C/--config F (--config-file, old name), -R/--rails,
//   -L/--logfile F, -P/--pidfile F, -v/--verbose, -D/--delay N.
// EnvironmentLoader#config_file_options reads no file without -C, and the CLI's options win over the
// file's (initialize_options merges them last), so -t is the drain timeout when given.
import { configFlagPath } from "./timeouts.js";

export interface ShoryukenLine {
  args: string[];
  env: Record<string, string>;
  queues: string[];
  /** The config file the line names, as a repo path. */
  config: string | null;
  timeout: number | null;
  dropped: string[];
}

const DROP_VALUE = new Set(["-P", "--pidfile", "-L", "--logfile"]);
const DROP = new Set(["-d", "--daemon"]);
const KEEP_VALUE = new Set(["-c", "--concurrency", "-t", "--timeout", "-D", "--delay", "-r", "--require"]);
const KEEP = new Set(["-R", "--rails", "-v", "--verbose"]);
const CONFIG = new Set(["-C", "--config", "--config-file"]);
const QUEUES = new Set(["-q", "--queues"]);

/** The pod's words for a start line's words (wrappers already off), or why they cannot be carried. */
export function shoryukenLine(words: readonly string[], repoPaths: readonly string[]): ShoryukenLine | { unknown: string } {
  const env: Record<string, string> = {};
  const ws = [...words];
  while (ws.length && /^[A-Za-z_]\w*=/.test(ws[0]!)) {
    const [k, ...v] = ws.shift()!.split("=");
    // RAILS_ENV/RACK_ENV come from each stage's ConfigMap.
    if (k !== "RAILS_ENV" && k !== "RACK_ENV") env[k!] = v.join("=");
  }
  const at = ws.findIndex((w) => /(^|\/)shoryuken$/.test(w));
  if (at < 0) return { unknown: "the line does not run shoryuken itself" };
  const args = ws.slice(0, at + 1).map((w) => (w.includes("/") && /shoryuken$/.test(w) ? "shoryuken" : w));
  const out: ShoryukenLine = { args, env, queues: [], config: null, timeout: null, dropped: [] };
  for (let i = at + 1; i < ws.length; i++) {
    const w = ws[i]!;
    const eq = /^(--[a-z-]+)=(.*)$/.exec(w);
    const opt = eq ? eq[1]! : w;
    const value = () => (eq ? eq[2]! : ws[++i]);
    if (w === "start") args.push(w);
    else if (DROP.has(opt)) out.dropped.push(w);
    else if (DROP_VALUE.has(opt)) out.dropped.push(`${opt} ${value() ?? ""}`.trim());
    else if (KEEP.has(opt)) args.push(w);
    else if (KEEP_VALUE.has(opt)) {
      const v = value();
      if (v === undefined) return { unknown: `${opt} has no value` };
      if ((opt === "-t" || opt === "--timeout") && /^\d+(\.\d+)?$/.test(v)) out.timeout = Math.ceil(Number(v));
      if ((opt === "-r" || opt === "--require") && v.startsWith("/")) {
        const rel = configFlagPath(`-C ${v}`);
        if (!rel || !repoPaths.some((p) => p === rel || p.startsWith(`${rel.replace(/\/$/, "")}/`))) return { unknown: `${opt} ${v} is a path of the servers` };
        args.push(opt, rel);
      } else args.push(opt, v);
    } else if (CONFIG.has(opt)) {
      const v = value();
      const file = v === undefined ? null : configFlagPath(`-C ${v}`);
      if (!file || !repoPaths.includes(file)) return { unknown: `its config file ${v ?? "(none)"} is not a file of the repo` };
      out.config = file;
      args.push("-C", file);
    } else if (QUEUES.has(opt)) {
      const vs: string[] = [];
      if (eq) vs.push(eq[2]!);
      else while (i + 1 < ws.length && !ws[i + 1]!.startsWith("-")) vs.push(ws[++i]!);
      if (!vs.length) return { unknown: `${opt} names no queue` };
      args.push(opt, ...vs);
      out.queues.push(...vs.map((q) => q.split(",")[0]!).filter(Boolean));
    } else return { unknown: `its option ${w} is not one the analysis reads` };
  }
  return out;
}
