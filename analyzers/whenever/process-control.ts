// A whenever job that supervises the servers' own processes: it starts a worker as a daemon
// (`sidekiq -d`, `bin/delayed_job restart`), signals one by pid (`Process.kill`, `kill`, `pkill`,
// `sidekiqctl`) or reads a pid file (`tmp/pids/sidekiq.pid`). On a server it kept Sidekiq alive;
// in a CronJob's pod there is no such process and no pid file, so each run would start a second
// Sidekiq inside the cron pod, or kill nothing. The cluster runs those processes as Deployments and
// restarts them itself: the job is written suspended (emitters/kustomize/cronjobs.ts
// cronProcessControlReason). What counts as supervising is named here, in PROCESS_CONTROL, and
// nowhere else.
//
// A job that only READS a pid file or `ps` to report on a process (a health check printing whether
// Sidekiq is alive, `kill -0`, `Process.kill(0, pid)`) supervises nothing and stays active. A pid
// file used in a way not clearly a read keeps the job suspended, its mark saying so at its line:
// that is the safe side.
//
// Where the job runs it: a `command` job's own text; a `rake` job's task body in lib/tasks/**/*.rake
// or the Rakefile; a `runner` job's Ruby. From that Ruby, the constants it calls (`MonitorSidekiq.x`)
// are followed to their files by Rails' naming (monitor_sidekiq.rb and the monitor_sidekiq/ folder
// beside it, under lib/ or app/), and from those files on, up to FOLLOW_STEPS steps, each file once
// (`Ops::Restarter.run` → `Daemons.start_worker`).
import type { AnalyzerContext, CronJob } from "../../src/model.js";
import { rubyToS } from "../ruby/evaluate.js";
import { JOB_BACKENDS } from "../workers/backends.js";

/** Programs that stop or signal a running process by pid or name. */
const SIGNAL_PROGRAMS: ReadonlySet<string> = new Set(["kill", "pkill", "killall", "sidekiqctl", "start-stop-daemon"]);
/** Programs that start and stop services by name (`service sidekiq restart`). */
const SERVICE_PROGRAMS: ReadonlySet<string> = new Set(["service", "systemctl", "initctl", "monit", "god", "supervisorctl", "eye", "bluepill", "pumactl", "daemon"]);
/** Arguments that make a worker's command a daemon's start, stop or restart rather than a foreground run. */
const DAEMON_ARGS = /(^|\s)(-d|--daemon(ize)?|start|stop|restart|reload|BACKGROUND=(yes|true|1)|PIDFILE=\S+|-P|--pidfile(=\S+)?)(?=\s|$)/;
/** A pid file named in a string (`tmp/pids/sidekiq.pid`, `#{shared}/pids/x.pid`). */
// (`@import.pid`, `job.pid` are method calls, not files: a name holds a `/` or opens a string.)
const PID_FILE = /(?<![@\w.])(?:[\w.#{}:-]*\/[\w./#{}:-]*|(?<=["'`\s])[\w-]+)\.pid(?![\w(])/;
/** Ruby's own signal call. */
const RUBY_KILL = /\bProcess\.kill\b/;
/** Ruby's ways to run a shell line: backticks, %x, system/spawn/exec/IO.popen/Open3 with a string. */
const RUBY_SHELL = /`([^`]*)`|%x[({[]([^)}\]]*)|\b(?:system|spawn|exec|IO\.popen|Open3\.\w+)\s*\(?\s*["']([^"'\n]*)/g;
/** App servers whose process a job may supervise: the web Deployment runs them. */
const APP_SERVERS = /\b(unicorn|puma|passenger|thin|iodine|falcon)\b/i;

/** What a shell line does to a process, or null: a signal program, or a worker started as a daemon. */
function shellControl(line: string): string | null {
  for (const raw of line.split(/&&|\|\||[;|]/)) {
    const words = raw.trim().split(/\s+/).filter(Boolean);
    while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!) && !/^(BACKGROUND|PIDFILE)=/.test(words[0]!)) words.shift();
    if (words[0] === "bundle" && words[1] === "exec") words.splice(0, 2);
    const program = (words[0] ?? "").replace(/^.*\//, "");
    // `kill -0 pid` sends nothing: it asks whether the pid lives (a read, lineMarks says so).
    if (program === "kill" && words[1] === "-0") continue;
    if (SIGNAL_PROGRAMS.has(program)) return words.join(" ");
    const text = words.join(" ");
    if (JOB_BACKENDS.some((b) => b.command.test(text)) && DAEMON_ARGS.test(text)) return text;
    // A service manager, an init script or the repo's own control script told to start or stop.
    if ((SERVICE_PROGRAMS.has(program) || /^(?:\/etc\/init\.d\/|(?:\.\/)?(?:bin|script)\/)/.test(words[0] ?? "")) && /(^|\s)(start|stop|restart|reload|force-reload|-d|--daemon(ize)?)(?=\s|$)/.test(words.slice(1).join(" "))) return text;
  }
  return null;
}

/**
 * What a mark says of the job: `control` starts, stops or signals a process (or writes or removes
 * its pid file); `read` only reads a pid file or asks whether a process lives, to report it;
 * `unsure` uses a pid file in a way read as neither, kept on the safe side (suspended).
 */
type MarkKind = "control" | "read" | "unsure";
interface Mark {
  text: string;
  kind: MarkKind;
}

/** Liveness checks: signal 0 delivers nothing, it only asks whether the pid lives. */
const RUBY_ALIVE = /\bProcess\.kill\s*\(?\s*(?:0|["']0["']|:?["']?EXIT["']?)\s*,/;
const SHELL_ALIVE = /(^|[\s;&|(`$])kill\s+-0\b/;
/** Ruby's own daemonising. */
const RUBY_DAEMON = /\bProcess\.daemon\b|\bDaemons\.(?:run|run_proc|daemonize|call)\b/;
/** A pid file written or removed: the job takes part in supervising. */
const PID_WRITE = /\bFile\.(?:write|delete|unlink)\b|\bFileUtils\.(?:rm|rm_f|rm_rf|touch|mv|cp)\b|\bFile\.open\s*\(?[^)]*,\s*["'][wa]|\.(?:write|delete|unlink)\b|(^|[\s;&|])(?:rm|touch|mv)\s|>>?\s*["']?[\w./#{}$-]*\.pid\b/;
/** A pid file only read or tested, or its path only named (`PIDFILE = "tmp/pids/x.pid"`). */
const PID_READ = /\bFile\.(?:read|exist\??|exists\?|file\?|readable\?|size\??|zero\?|mtime)\s*\(|\bIO\.read\b|\bFile\.(?:readlines|foreach)\b|\.read\b|(^|[\s;&|(`$])(?:cat|test\s+-[efsr]|\[\s+-[efsr])\s|^\s*(?:[A-Z][A-Z0-9_]*|[a-z_]\w*|@\w+)\s*=\s*(?:"[^"]*"|'[^']*'|(?:Rails\.root|File|Pathname)[\w.]*\((?:[^()]|\([^()]*\))*\)(?:\.to_s)?)\s*$/;

/** The process-control marks of one Ruby (or shell) line. */
function lineMarks(line: string, shell: boolean): Mark[] {
  const out: Mark[] = [];
  const code = shell ? line : line.replace(/(^|\s)#(?!\{).*$/, "");
  const shellLines: string[] = [];
  if (shell) shellLines.push(code);
  else {
    if (RUBY_KILL.test(code)) {
      if (RUBY_ALIVE.test(code)) out.push({ text: "asks whether a process lives (`Process.kill(0, pid)`, which sends nothing)", kind: "read" });
      else out.push({ text: "signals a process by its pid (`Process.kill`)", kind: "control" });
    }
    if (RUBY_DAEMON.test(code)) out.push({ text: `daemonises a process (\`${RUBY_DAEMON.exec(code)![0]}\`)`, kind: "control" });
    for (const m of code.matchAll(RUBY_SHELL)) shellLines.push(m[1] ?? m[2] ?? m[3] ?? "");
  }
  for (const sh of shellLines) {
    if (SHELL_ALIVE.test(sh)) out.push({ text: `asks whether a process lives (\`${sh.trim()}\`)`, kind: "read" });
    const c = shellControl(sh);
    if (c) out.push({ text: `runs \`${c}\``, kind: "control" });
  }
  const pid = PID_FILE.exec(code);
  if (pid && /["'`]/.test(code) || (pid && shell)) {
    if (PID_WRITE.test(code)) out.push({ text: `writes or removes the pid file \`${pid[0]}\``, kind: "control" });
    else if (PID_READ.test(code)) out.push({ text: `uses the pid file \`${pid[0]}\``, kind: "read" });
    else out.push({ text: `uses the pid file \`${pid[0]}\`, not read here as only reading it`, kind: "unsure" });
  }
  return out;
}

export interface ProcessControl {
  /** Each mark with its file and line (`runs \`bundle exec sidekiq -d\` (lib/x.rb:10)`). */
  what: string[];
  /** Backend ids (analyzers/workers/backends.ts) and app servers (`web`) the job supervises. */
  processes: string[];
}

/** The lines of a rake task's body (`ns:name`) in the repo's rake files, with their file. */
function rakeTaskBody(ctx: AnalyzerContext, task: string): { file: string; from: number; lines: string[] } | null {
  const parts = task.trim().split(/\s+/)[0]!.split(":");
  // The task name is the repo's text: literal in the patterns below, never regex syntax.
  const lit = (x: string) => x.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
  const name = lit(parts.pop()!);
  const spaces = parts.map(lit);
  const files = ctx.repo.paths.filter((p) => /^lib\/tasks\/.+\.(rake|rb)$/.test(p) || p === "Rakefile");
  const taskLine = new RegExp(`^(\\s*)task\\s*\\(?\\s*(?::${name}\\b|["']${name}["']|${name}:)`);
  for (const file of files) {
    const read = ctx.repo.read(file);
    if ("error" in read) continue;
    const lines = read.text.split("\n");
    if (!spaces.every((s) => new RegExp(`\\bnamespace\\s*\\(?\\s*(?::${s}\\b|["']${s}["'])`).test(read.text))) continue;
    const at = lines.findIndex((l) => taskLine.test(l));
    if (at < 0) continue;
    const indent = taskLine.exec(lines[at]!)![1]!.length;
    let end = at + 1;
    while (end < lines.length && !(new RegExp(`^\\s{0,${indent}}end\\b`).test(lines[end]!) && lines[end]!.search(/\S/) <= indent)) end++;
    return { file, from: at + 1, lines: lines.slice(at, end + 1) };
  }
  return null;
}

/** Ruby's and Rails' own constants: never the app's files. */
const RUBY_CORE: ReadonlySet<string> = new Set(["process", "file", "dir", "io", "kernel", "rails", "rake", "time", "date", "open3", "signal", "thread"]);

const underscore = (c: string): string => c.replace(/([a-z\d])([A-Z])/g, "$1_$2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2").toLowerCase();

/** How many steps constants are followed from the job's own Ruby (job → file → file → file). */
export const FOLLOW_STEPS = 3;
/** At most this many files are read for one job, over all steps. */
const FOLLOW_FILES = 40;

/** The repo files that define the constants a piece of Ruby calls (`Foo.bar`, `Foo::Bar.new`), by Rails' naming. */
function constantFiles(ctx: AnalyzerContext, ruby: string[], exact = false): string[] {
  const names = new Set<string>();
  // From the job's own Ruby, a constant's file and its folder; from a followed file on, only the
  // file of the full constant path (`Rightboat::Imports::Base` → rightboat/imports/base.rb): a
  // namespace's whole folder would pull in every job's neighbours.
  for (const l of ruby) for (const m of l.replace(/(^|\s)#(?!\{).*$/, "").matchAll(/(?<![\w:])([A-Z]\w*(?:::[A-Z]\w*)*)\s*\.\s*[a-z_]/g)) names.add(exact ? m[1]!.split("::").map(underscore).join("/") + "\0" : underscore(m[1]!.split("::")[0]!));
  const out: string[] = [];
  // Rails' autoload roots: app/<kind>/, lib/ and one folder under lib/ (lib/extras); a nested file
  // there belongs to a module, never to a top-level constant such as Ruby's own Process.
  const root = "^(?:app/[^/]+|lib(?:/[^/]+)?)/";
  for (const raw of names) {
    const n = raw.replace(/\0$/, "");
    if (RUBY_CORE.has(n.split("/")[0]!)) continue;
    const own = new RegExp(raw.endsWith("\0") ? `${root}${n}\\.rb$` : `${root}${n}(?:\\.rb$|/.+\\.rb$)`);
    for (const p of ctx.repo.paths) if (own.test(p) && !out.includes(p)) out.push(p);
  }
  return out.slice(0, FOLLOW_FILES);
}

/** How a whenever job supervises the servers' processes, or null (PROCESS_CONTROL's marks only). */
export function processControlOf(ctx: AnalyzerContext, job: CronJob): ProcessControl | null {
  const task = rubyToS(job.task) ?? "";
  const marks: { text: string; kind: MarkKind; line: string }[] = [];
  const scan = (file: string, from: number, lines: string[], shell: boolean) =>
    lines.forEach((l, i) => {
      for (const m of lineMarks(l, shell)) marks.push({ text: `${m.text} (${file}:${from + i})`, kind: m.kind, line: l });
    });
  let ruby: string[] = [];
  if (job.type === "rake") {
    const body = rakeTaskBody(ctx, task);
    if (body) {
      scan(body.file, body.from, body.lines, false);
      ruby = body.lines;
    }
  } else if (job.type === "runner") {
    scan(job.source.file, job.source.line, [task], false);
    ruby = [task];
  } else {
    // whenever's `command` template wraps the task in `/bin/bash -l -c '…'`: the task is the line; a custom job_type's line is its command.
    scan(job.source.file, job.source.line, [job.type === "command" ? task : (rubyToS(job.command) ?? task).replace(/^\/bin\/(?:ba)?sh -l -c '([\s\S]*)'$/, "$1")], true);
  }
  // Constants, followed from file to file up to FOLLOW_STEPS steps; a file read once.
  const visited = new Set<string>();
  for (let step = 0; step < FOLLOW_STEPS && ruby.length && visited.size < FOLLOW_FILES; step++) {
    const next: string[] = [];
    for (const file of constantFiles(ctx, ruby, step > 0)) {
      if (visited.has(file) || visited.size >= FOLLOW_FILES) continue;
      visited.add(file);
      const read = ctx.repo.read(file);
      if ("error" in read) continue;
      const lines = read.text.split("\n");
      scan(file, 1, lines, false);
      next.push(...lines);
    }
    ruby = next;
  }
  // Only reading a pid file, or asking whether a process lives, to report it: not supervising.
  if (!marks.some((m) => m.kind !== "read")) return null;
  // What it supervises: the backends and app servers its marks, or the task's own name, speak of.
  const about = [...marks.map((m) => m.line), task].join("\n");
  const norm = (x: string) => x.toLowerCase().replace(/[-_]/g, " ");
  const named = (x: string) => new RegExp(`\\b${norm(x).replace(/[^a-z0-9 ]/g, "\\$&")}\\b`).test(norm(about));
  const processes = JOB_BACKENDS.filter((b) => named(b.id) || named(b.label)).map((b) => b.id);
  if (APP_SERVERS.test(about)) processes.push("web");
  // The marks that made it supervising come first; a read beside them is context.
  const texts = (ms: typeof marks) => [...new Set(ms.map((m) => m.text))];
  const keep = new Set([...texts(marks.filter((m) => m.kind !== "read")), ...texts(marks.filter((m) => m.kind === "read"))].slice(0, 4));
  return { what: texts(marks).filter((t) => keep.has(t)), processes };
}

/** The job with what it supervises (CronJob.controlsProcess), when it does. */
export function withProcessControl(ctx: AnalyzerContext, job: CronJob): CronJob {
  // One job's odd text must cost that job's check, never the whole schedule (an exception here
  // used to reach the analysis guard and drop every CronJob).
  let control: ProcessControl | null;
  try {
    control = processControlOf(ctx, job);
  } catch (e) {
    ctx.problem({ file: job.source.file, line: job.source.line, severity: "warning", message: `cron.process-control-unread: whether this job starts or stops a process the cluster runs could not be read (${e instanceof Error ? e.message : String(e)}); its CronJob is written as the schedule says: check it does not start a second copy of a worker` });
    return job;
  }
  return control ? { ...job, controlsProcess: control } : job;
}
