// A whenever job that supervises the servers' own processes: it starts a worker as a daemon
// (`sidekiq -d`, `bin/delayed_job restart`), signals one by pid (`Process.kill`, `kill`, `pkill`,
// `sidekiqctl`) or reads a pid file (`tmp/pids/sidekiq.pid`). On a server it kept Sidekiq alive;
// in a CronJob's pod there is no such process and no pid file, so each run would start a second
// Sidekiq inside the cron pod, or kill nothing. The cluster runs those processes as Deployments and
// restarts them itself: the job is written suspended (emitters/kustomize/rules.ts
// cronProcessControlReason). What counts as supervising is named here, in PROCESS_CONTROL, and
// nowhere else.
//
// Where the job runs it: a `command` job's own text; a `rake` job's task body in lib/tasks/**/*.rake
// or the Rakefile; a `runner` job's Ruby. From that Ruby, the constants it calls (`MonitorSidekiq.x`)
// are followed one step, to their files by Rails' naming (monitor_sidekiq.rb and the monitor_sidekiq/
// folder beside it, under lib/ or app/).
import type { AnalyzerContext, CronJob } from "../../src/model.js";
import { rubyToS } from "../ruby/evaluate.js";
import { JOB_BACKENDS } from "../workers/backends.js";

/** Programs that stop or signal a running process by pid or name. */
const SIGNAL_PROGRAMS: ReadonlySet<string> = new Set(["kill", "pkill", "killall", "sidekiqctl", "start-stop-daemon"]);
/** Arguments that make a worker's command a daemon's start, stop or restart rather than a foreground run. */
const DAEMON_ARGS = /(^|\s)(-d|--daemon(ize)?|start|stop|restart|reload|BACKGROUND=(yes|true|1)|PIDFILE=\S+|-P|--pidfile(=\S+)?)(?=\s|$)/;
/** A pid file named in a string (`tmp/pids/sidekiq.pid`, `#{shared}/pids/x.pid`). */
const PID_FILE = /[\w./#{}:-]*\.pid(?![\w])/;
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
    if (SIGNAL_PROGRAMS.has(program)) return words.join(" ");
    const text = words.join(" ");
    if (JOB_BACKENDS.some((b) => b.command.test(text)) && DAEMON_ARGS.test(text)) return text;
  }
  return null;
}

/** The process-control marks of one Ruby (or shell) line, in words. */
function lineMarks(line: string, shell: boolean): string[] {
  const out: string[] = [];
  const code = shell ? line : line.replace(/(^|\s)#(?!\{).*$/, "");
  if (shell) {
    const c = shellControl(code);
    if (c) out.push(`runs \`${c}\``);
  } else {
    if (RUBY_KILL.test(code)) out.push("signals a process by its pid (`Process.kill`)");
    for (const m of code.matchAll(RUBY_SHELL)) {
      const c = shellControl(m[1] ?? m[2] ?? m[3] ?? "");
      if (c) out.push(`runs \`${c}\``);
    }
  }
  const pid = PID_FILE.exec(code);
  if (pid && /["'`]/.test(code)) out.push(`uses the pid file \`${pid[0]}\``);
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

/** The repo files that define the constants a piece of Ruby calls (`Foo.bar`, `Foo::Bar.new`), by Rails' naming. */
function constantFiles(ctx: AnalyzerContext, ruby: string[]): string[] {
  const names = new Set<string>();
  for (const l of ruby) for (const m of l.replace(/(^|\s)#(?!\{).*$/, "").matchAll(/(?<![\w:])([A-Z]\w*)(?:::[A-Z]\w*)*\s*\.\s*[a-z_]/g)) names.add(underscore(m[1]!));
  const out: string[] = [];
  // Rails' autoload roots: app/<kind>/, lib/ and one folder under lib/ (lib/extras); a nested file
  // there belongs to a module, never to a top-level constant such as Ruby's own Process.
  const root = "^(?:app/[^/]+|lib(?:/[^/]+)?)/";
  for (const n of names) {
    if (RUBY_CORE.has(n)) continue;
    const own = new RegExp(`${root}${n}(?:\\.rb$|/.+\\.rb$)`);
    for (const p of ctx.repo.paths) if (own.test(p) && !out.includes(p)) out.push(p);
  }
  return out.slice(0, 40);
}

/** How a whenever job supervises the servers' processes, or null (PROCESS_CONTROL's marks only). */
export function processControlOf(ctx: AnalyzerContext, job: CronJob): ProcessControl | null {
  const task = rubyToS(job.task) ?? "";
  const marks: { text: string; line: string }[] = [];
  const scan = (file: string, from: number, lines: string[], shell: boolean) =>
    lines.forEach((l, i) => {
      for (const m of lineMarks(l, shell)) marks.push({ text: `${m} (${file}:${from + i})`, line: l });
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
  for (const file of constantFiles(ctx, ruby)) {
    const read = ctx.repo.read(file);
    if (!("error" in read)) scan(file, 1, read.text.split("\n"), false);
  }
  if (!marks.length) return null;
  // What it supervises: the backends and app servers its marks, or the task's own name, speak of.
  const about = [...marks.map((m) => m.line), task].join("\n");
  const norm = (x: string) => x.toLowerCase().replace(/[-_]/g, " ");
  const named = (x: string) => new RegExp(`\\b${norm(x).replace(/[^a-z0-9 ]/g, "\\$&")}\\b`).test(norm(about));
  const processes = JOB_BACKENDS.filter((b) => named(b.id) || named(b.label)).map((b) => b.id);
  if (APP_SERVERS.test(about)) processes.push("web");
  return { what: [...new Set(marks.map((m) => m.text))].slice(0, 4), processes };
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
