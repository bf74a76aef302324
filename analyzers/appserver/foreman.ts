// Which Procfile processes the deploy runs on the servers. A Procfile is often written for Heroku
// (`web: unicorn -p $PORT -c config/unicorn_heroku.rb`) while the Capistrano deploy starts another
// line of it by name (`foreman start web_daemon`) or exports a formation to the init system
// (`foreman export upstart /etc/init -m web_daemon=1,worker=2`). Then the process the servers ran
// is the one foreman started, not Heroku's `web:`.
//
// Read as foreman 0.87 reads its command line (`foreman help start`, `foreman help export`):
// - `start [PROCESS]`: that one process, else the formation (`-m a=1,b=2`, default `all=1`).
// - `export FORMAT [LOCATION]`: the formation's processes.
// - `-f/--procfile FILE`: the Procfile, relative to where foreman runs (the release).
// - Foreman before 0.60 named the formation `-c/--concurrency`; today `-c` is `--color` and takes no
//   value. A `-c` followed by `name=N` pairs is read as the old formation.
// - A count of 0 leaves a process out; `all=N` names every process.
import type { AnalyzerContext, ProcfileEntry, Source } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { startLines } from "./started.js";

export interface ForemanRun {
  /** The repo path of the Procfile foreman reads, or null when the path is not known statically. */
  procfile: string | null;
  /** The processes it runs; null = every process of the Procfile. */
  names: string[] | null;
  /** Processes of each name the formation starts (`-m worker=2`); a name it does not list has `all`'s count, else 1 (foreman's default `all=1`). */
  counts: Record<string, number>;
  /** `export FORMAT` (systemd, upstart, ...) or null for `start`. */
  format: string | null;
  /** `--timeout N` (`-t` for start): seconds between the stop signal and KILL (foreman's default 5), when written. */
  timeout: number | null;
  /** `--timeout` as written where it is not a number (`#{fetch(:foreman_timeout)}`): the deploy filled it in. */
  timeoutWritten?: string;
  /** `export`'s `--template DIR` (`-t` there) as written: foreman reads DIR/<template> before its own templates. */
  template?: string;
  /** The foreman command as written (from `foreman` to the end of the shell command). */
  command: string;
  source: Source;
}

// foreman's options that take a value (the rest are flags)
const VALUED = new Set(["-e", "--env", "-p", "--port", "-t", "--timeout", "--template", "-f", "--procfile", "-d", "--root", "-m", "--formation", "--concurrency", "-a", "--app", "-l", "--log", "-r", "--run", "-u", "--user"]);
const FORMATION = /^[\w-]+=\d+(?:,[\w-]+=\d+)*$/;

/** The foreman runs (start/export) in the deploy's task files and the repo's service files. */
export function foremanRuns(ctx: AnalyzerContext): ForemanRun[] {
  const out: ForemanRun[] = [];
  for (const { text, source, service } of startLines(ctx)) {
    const run = parseForeman(service ? text : continued(ctx, text, source));
    if (run && !out.some((o) => o.command === run.command && o.source.file === source.file)) out.push({ ...run, procfile: run.procfile === null ? null : procfilePath(ctx, run.procfile), source });
  }
  return out;
}

/** Ruby's string continued over lines (`"… -u deploy " \` then `"-f Procfile.production"`): one string, as Ruby joins adjacent literals. */
const CONTINUED = /(["'])\s*\\\s*$/;
function continued(ctx: AnalyzerContext, text: string, source: Source): string {
  if (!CONTINUED.test(text) || !/\bforeman\b/.test(text)) return text;
  const r = ctx.repo.read(source.file);
  if ("error" in r) return text;
  const lines = r.text.split(/\r?\n/);
  let out = text;
  for (let i = source.line; i < lines.length && CONTINUED.test(out); i++) {
    const next = /^\s*(["'])(.*)$/.exec(lines[i]!);
    if (!next || next[1] !== CONTINUED.exec(out)![1]) break;
    out = out.replace(CONTINUED, "") + next[2];
  }
  return out;
}

/** One line's foreman command, or null. `procfile` is still the path as written. */
export function parseForeman(line: string): Omit<ForemanRun, "source"> | null {
  // SSHKit's word form (`execute :bundle, :exec, :foreman, "start web_daemon"`): the words joined
  const sshkit = /\b(?:execute|sudo|test)\b\s*\(?\s*((?::\w+\s*,\s*)*:foreman\b.*)$/.exec(line);
  if (sshkit) line = sshkit[1]!.replace(/\)\s*$/, "").split(/\s*,\s*(?=[:"'])/).map((w) => w.replace(/^:|^["']|["']$/g, "")).join(" ");
  // A shell quote escaped inside the Ruby string (`run "… --concurrency=\\"a=1,b=0\\""`) quotes a shell
  // word; it does not end the Ruby string: kept apart so the command does not end there.
  line = line.replace(/\\(["'])/g, "\u0001");
  const m = /(?:^|[\s"'`;&|(])foreman\s+(start|export)\b/.exec(line);
  if (!m) return null;
  const start = m.index + m[0].indexOf("foreman");
  // the shell command ends at a separator or at the Ruby string's closing quote; a `)` or quote
  // inside an interpolation (`-a app-#{fetch(:stage)}`) is part of a word, not the end
  const from = line.slice(start);
  const masked = maskInterpolations(from);
  const end = masked.split(/\s*(?:;|&&|\|\||\||["'`)]|\bfi\b|\bdo\b)/)[0]!.length;
  const rest = from.slice(0, end);
  // Words split on spaces outside `#{…}` (`--timeout #{fetch :t}` is one value).
  const masked2 = maskInterpolations(rest.trim());
  const words: string[] = [];
  for (const mm of masked2.matchAll(/\S+/g)) words.push(rest.trim().slice(mm.index!, mm.index! + mm[0].length));
  words.splice(0, 2);
  for (let i = 0; i < words.length; i++) words[i] = words[i]!.replace(/\u0001/g, "");
  let timeoutWritten: string | undefined;
  let template: string | undefined;
  let procfile = "Procfile";
  let formation: string | null = null;
  let timeout: number | null = null;
  const positional: string[] = [];
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    let value: string | undefined;
    const eq = /^(--[\w-]+)=(.*)$/.exec(w);
    if (eq) [w, value] = [eq[1]!, eq[2]!];
    if (w === "-c" && FORMATION.test(words[i + 1] ?? "")) value = words[++i];
    else if (VALUED.has(w) && value === undefined) value = words[++i];
    if (w === "-f" || w === "--procfile") procfile = value ?? procfile;
    // `export` reads `-t` as --template (two options share the alias; foreman 0.87's systemd units keep
    // TimeoutStopSec=5 with `-t 20`): only `--timeout` sets it there
    else if ((w === "--timeout" || (w === "-t" && m[1] === "start")) && /^\d+$/.test(value ?? "")) timeout = Number(value);
    else if (w === "--timeout" || (w === "-t" && m[1] === "start")) timeoutWritten = value;
    else if (w === "--template" || (w === "-t" && m[1] === "export")) template = value;
    else if (w === "-m" || w === "--formation" || w === "--concurrency" || (w === "-c" && value !== undefined)) formation = value ?? null;
    else if (!w.startsWith("-") && !VALUED.has(w)) positional.push(w);
  }
  let names: string[] | null = null;
  const counts: Record<string, number> = {};
  if (m[1] === "start" && positional[0]) names = [positional[0]];
  else if (formation && FORMATION.test(formation)) {
    const pairs = formation.split(",").map((p) => p.split("=") as [string, string]);
    for (const [n, c] of pairs) counts[n] = Number(c);
    names = pairs.some(([n, c]) => n === "all" && Number(c) > 0) ? null : pairs.filter(([, c]) => Number(c) > 0).map(([n]) => n);
  }
  // `export FORMAT LOCATION`: the first positional word is the format
  const format = m[1] === "export" ? (positional[0] ?? null) : null;
  // `-f #{current_path}/Procfile`: the release's Procfile, the repo's.
  procfile = procfile.replace(/^#\{\s*(?:fetch\(\s*:)?(?:current_path|release_path)\s*\)?\s*\}\//, "");
  return { procfile: /#\{|<%|\$/.test(procfile) ? null : procfile, names, counts, format, timeout, ...(timeoutWritten !== undefined ? { timeoutWritten } : {}), ...(template !== undefined ? { template } : {}), command: rest.trim().replace(/\u0001/g, '"') };
}

/** The text with each `#{…}` (nested braces counted) replaced by as many `x`, so that separators inside it are not seen. */
function maskInterpolations(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "#" && text[i + 1] === "{") {
      let depth = 0;
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === "{") depth++;
        else if (text[j] === "}" && --depth === 0) break;
      }
      if (j >= text.length) return out + text.slice(i);
      out += "x".repeat(j - i + 1);
      i = j;
    } else out += text[i];
  }
  return out;
}

/** `-f Procfile.servers`, `./Procfile`, `#{current_path}/Procfile` → the repo path, when the repo has it. */
function procfilePath(ctx: AnalyzerContext, written: string): string | null {
  const s = written.replace(/^(\.\/)+/, "").replace(/^\/.*\/(?:current|releases\/[^/]+)\//, "");
  return hasPath(ctx.repo, s) ? s : null;
}

/**
 * The Procfile lines the deploy runs as the web server: those of the processes foreman starts
 * whose command is an app server (`isServer`), with the foreman run that starts them. Empty when
 * no foreman run names processes of a Procfile in the repo (then Heroku's `web:` line is the one).
 */
export function foremanWebEntries(ctx: AnalyzerContext, procfile: ProcfileEntry[], isServer: (command: string) => boolean): { entry: ProcfileEntry; run: ForemanRun }[] {
  const out: { entry: ProcfileEntry; run: ForemanRun }[] = [];
  for (const run of foremanRuns(ctx)) {
    if (run.procfile === null || run.names === null) continue;
    for (const name of run.names) {
      const entry = procfile.find((p) => p.source.file === run.procfile && p.name === name);
      if (entry && isServer(entry.command) && !out.some((o) => o.entry === entry)) out.push({ entry, run });
    }
  }
  return out;
}
