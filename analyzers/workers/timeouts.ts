// Drain timeouts a worker's own command line sets: the flag or env word the team wrote in the
// Procfile, a service file or a deploy hook. What each backend's CLI accepts, from its own source:
// - Sidekiq: `-t N` / `--timeout N` / `--timeout=N`; the flag wins over the config file's `timeout:`.
// - GoodJob: `--shutdown-timeout N` (or `=N`), else `GOOD_JOB_SHUTDOWN_TIMEOUT=N`; -1 (its default)
//   waits for running jobs without limit.
// - Resque: on TERM with `TERM_CHILD=1` the parent signals the job and waits `RESQUE_TERM_TIMEOUT`
//   (4s by default) before killing it; on QUIT (capistrano-resque's stop) it waits for the job
//   without a limit, so neither variable bounds that stop.
// - Shoryuken's CLI (Thor since 3.0, OptionParser before) has no timeout flag: its `timeout:` (8s by
//   default) lives in the file `-C` names, read here when that file is in the repo.
// - delayed_job, Que, Sneakers, Backburner: no shutdown timeout on the command line.
// The seconds found reach the grace period through the one rule that maps a drain timeout to it
// (emitters/kustomize/rules/shutdown.ts workerGracePeriod).
import type { Source } from "../../src/model.js";

export interface CommandTimeout {
  seconds: number;
  /** The words as written (`-t 40`), for the evidence. */
  written: string;
  source: Source;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/** The value of `flag N` or `flag=N` among the words, as written, if any. */
function flagValue(words: string[], flags: string[]): { value: string; written: string } | null {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    for (const f of flags) {
      if (w === f && words[i + 1] !== undefined) return { value: words[i + 1]!, written: `${f} ${words[i + 1]}` };
      if (f.startsWith("--") && w.startsWith(`${f}=`)) return { value: w.slice(f.length + 1), written: w };
    }
  }
  return null;
}

/** `NAME=value` among the leading words of a line (a shell assignment before the command). */
function envWord(words: string[], name: string): string | null {
  for (const w of words) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(w);
    if (!m) continue;
    if (m[1] === name) return m[2]!.replace(/^["']|["']$/g, "");
  }
  return null;
}

/** Shell words of a line; in a deploy task's Ruby (`execute :bundle, "exec sidekiq -t 30"`) quotes and commas around words go. */
const words = (line: string): string[] =>
  line
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/^["']+|["',)]+$/g, ""))
    .filter(Boolean);

/** Sidekiq's `-t`/`--timeout` on a command line. */
export function sidekiqFlagTimeout(line: string, source: Source): CommandTimeout | null {
  const f = flagValue(words(line), ["-t", "--timeout"]);
  if (!f || !NUMBER.test(f.value)) return null;
  return { seconds: Math.ceil(Number(f.value)), written: f.written, source };
}

/** GoodJob's `--shutdown-timeout` (or GOOD_JOB_SHUTDOWN_TIMEOUT); -1 means "no limit", returned as is. */
export function goodJobShutdownTimeout(line: string, source: Source): CommandTimeout | null {
  const w = words(line);
  const f = flagValue(w, ["--shutdown-timeout"]);
  const value = f?.value ?? envWord(w, "GOOD_JOB_SHUTDOWN_TIMEOUT");
  if (value === null || value === undefined || !NUMBER.test(value)) return null;
  return { seconds: Math.ceil(Number(value)), written: f?.written ?? `GOOD_JOB_SHUTDOWN_TIMEOUT=${value}`, source };
}

/** Resque's bound on a TERM stop: RESQUE_TERM_TIMEOUT (default 4) when TERM_CHILD is set; null otherwise. */
export function resqueTermTimeout(env: Record<string, string>, source: Source): CommandTimeout | null {
  if (!env["TERM_CHILD"]) return null;
  const raw = env["RESQUE_TERM_TIMEOUT"];
  if (raw !== undefined && NUMBER.test(raw)) return { seconds: Math.ceil(Number(raw)), written: `TERM_CHILD=${env["TERM_CHILD"]} RESQUE_TERM_TIMEOUT=${raw}`, source };
  return { seconds: 4, written: `TERM_CHILD=${env["TERM_CHILD"]} (RESQUE_TERM_TIMEOUT unset: Resque's default 4s)`, source };
}

/** The `-C`/`--config` file of a command line as a repo path: relative as written, or under the release (`…/current/x`). */
export function configFlagPath(line: string): string | null {
  const f = flagValue(words(line), ["-C", "--config"]);
  if (!f) return null;
  const v = f.value.replace(/^["']|["']$/g, "");
  const m = /\/(?:current|releases\/[^/]+)\/(.+)$/.exec(v);
  if (m) return m[1]!;
  return v.startsWith("/") ? null : v.replace(/^\.\//, "");
}
