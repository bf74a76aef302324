// SysV init scripts kept in the repo that start a long-running process of the app which is neither
// the web server nor a job backend: an EventMachine websocket server (`bundle exec ruby
// bin/ws_server.rb`), a Faye or private_pub server (`thin -R faye.ru`, `rackup private_pub.ru`), a
// daemon of the app's own. The servers ran it next to the app; left unread it would vanish at the
// cutover. Each one is carried as a worker Deployment where its start command is fully known, the
// repo installs or starts the script, and the process stays in the foreground; else it is named with
// its line, never dropped. The ports it listens on are named: a server that clients reach needs a
// Service and a route, which rails2k8s does not write for it.
//
// Rules:
// - An init script: a file in an `init.d`/`init` folder, or any file with an LSB header
//   (`### BEGIN INIT INFO`, the Linux Standard Base's comment block every Debian script carries).
// - Its start command is the `start)` branch of its `case "$1"`, functions it calls (`do_start`) read
//   in place, with the script's own top-level `NAME=value` assignments filled in (a value the shell
//   would split or re-read differently is not filled in: the line is then not known).
// - Its process is read through the wrappers by the one start-line reader (start-line.ts): `su -c`,
//   `start-stop-daemon --exec … --`, `cd <release> &&`.
// - A job backend's or an app server's line (on config.ru) is left to their readers. A process that
//   does not run from the release and runs no file of the repo is infrastructure, not the app's.
// - The repo starts it when another file of the repo names the script or its service name (a link or
//   copy into /etc/init.d, `update-rc.d`, `service <name> start`, `systemctl start <name>`).
// - A daemonizing process (a `-d`/`--daemonize` flag; `Process.daemon`, `daemonize`, `Daemons.run` in
//   the Ruby file it runs) would leave the container's foreground and the pod would exit at once.
import type { AnalyzerContext, Source, Stage, UncarriedProcess, WebServerFacts, WorkerFacts } from "../../src/model.js";
import { dnsLabel } from "../../src/model/names.js";
import { cutSecretShapes, SECRET_SHOWN_AS } from "../../src/model/secret-shapes.js";
import { backendOfCommand } from "./backends.js";
import { readStartLine, serverLayout } from "./start-line.js";
import { godStarts } from "./god-starts.js";
import { godWatchCount } from "./god.js";
import { fileStage } from "./god-stages.js";
import { unitEnvironment } from "./unit-environment.js";
import { simpleCommands, type ShellWord } from "../../src/model/shell-words.js";
import { daemonEnv, daemonEnvNote, ENV_NAME, envNameShown, type EnvSetting } from "./daemon-env.js";
import { godKinds, MAX_LOOP_KINDS } from "./god-loops.js";

/** An app server or job backend named anywhere in a script whose start line is not read: left to their readers. */
const OTHERS_NAMED = /\b(?:unicorn(?:_rails)?|puma|pumactl|thin|passenger|rainbows|sidekiq|resque|delayed_job|jobs:work|shoryuken|sneakers|good_job|solid_queue|rpush|clockwork)\b/;
/** A Rack file other than config.ru: a server of its own (faye.ru, private_pub.ru). */
const RACK_FILE = /\b(?!config\.ru\b)[\w-]+\.ru\b/;
const LSB_HEADER = /^###\s*BEGIN INIT INFO\b/m;
const INIT_FOLDER = /(?:^|\/)init(?:\.d)?\/[^/]+$/;
const MAX_FILES = 200;

/** An init script: an LSB header anywhere, or a file in an `init.d`/`init` folder with a `start)` branch. */
export const isInitScript = (file: string, text: string): boolean => LSB_HEADER.test(text) || (INIT_FOLDER.test(file) && /^\s*start\s*(?:\|[^)]*)?\)/m.test(text));
const MAX_SCRIPT_BYTES = 200_000;

/** An app server serving the app itself: its Rack file is config.ru (the default) — the web Deployment's. */
const APP_SERVER = /^(?:unicorn(?:_rails)?|puma|pumactl|thin|passenger|falcon|iodine|rainbows|pitchfork|rails)$/;
/** Shell built-ins and helpers of an init script that are never the process it starts. */
const NOT_THE_PROCESS = /^(?:cd|echo|printf|test|\[|\[\[|exit|return|sleep|true|false|:|export|source|\.|mkdir|chown|chmod|rm|touch|kill|log_\w+|pidofproc|status_of_proc|local|set|shift|wait|ulimit|umask|trap|if|then|fi|else|elif)$/;
/** A flag by which the program forks into the background (thin/rackup/rainbows `-d`/`-D`, `--daemonize`). */
const DAEMON_FLAG = /^(?:-d|-D|--daemon|--daemonize)$/;
/** Ruby that detaches the process from its parent: the pod's main process would exit at once. */
const DAEMONIZES = /\bProcess\.daemon\b|^\s*daemonize\b|\bDaemons\.(?:run|run_proc|daemonize)\b|\bWEBrick::Daemon\b/m;

/** What kind of server a Ruby/Rack file is, by the library it starts. */
const SERVER_KINDS: { what: string; re: RegExp; websocket: boolean }[] = [
  { what: "an EventMachine websocket server (em-websocket)", re: /\b(?:EM|EventMachine)::WebSocket\b/, websocket: true },
  { what: "a Faye server", re: /\bFaye::RackAdapter\b/, websocket: true },
  { what: "a private_pub server (Faye)", re: /\bPrivatePub\b/, websocket: true },
  { what: "an EventMachine server", re: /\b(?:EM|EventMachine)\.start_server\b/, websocket: false },
];

/** A port in a Ruby/Rack file: `:port => 8080`, `port: 8080`, `start_server("0.0.0.0", 8080`. */
const RUBY_PORT = /(?:[:"']port["']?\s*(?:=>|:)\s*|\bport:\s*|start_server\s*\(?\s*["'][^"']*["']\s*,\s*)(\d{2,5})\b/;

export interface InitScriptFinding {
  workers: WorkerFacts[];
  uncarried: UncarriedProcess[];
  /** Units of the repo read here: a deploy's restart of one of them is no longer "a unit file on the servers". */
  units: string[];
}

const at = (s: Source) => `${s.file}:${s.line}`;
/** A URL's password cut out (`redis://:pw@host`), whatever its shape: the shape rule misses a short or plain one. */
const cutUserinfo = (line: string) => line.replace(/(\b[a-z][\w+.-]*:\/\/[^/\s:@]*:)[^@/\s]*@/gi, `$1${SECRET_SHOWN_AS}@`);

export function initScriptDaemons(ctx: AnalyzerContext, stages: Stage[], workers: readonly WorkerFacts[], web: WebServerFacts | null, known: readonly UncarriedProcess[]): InitScriptFinding {
  const out: InitScriptFinding = { workers: [], uncarried: [], units: [] };
  const named = new Set([...known.map((u) => u.source), ...workers.flatMap((w) => [w.commandSource, ...w.evidence.map((e) => e.source)]), ...(web?.evidence ?? []).map((e) => e.source)].filter((x): x is Source => !!x).map((x) => x.file));
  evidenceUnitsEnv(ctx, workers);
  // A god file's watches are judged one by one (a backend's watch beside a websocket server's).
  const candidates = ctx.repo.paths.filter((p) => (!named.has(p) || GOD_FILE.test(p)) && !/\.(?:rb|yml|yaml|json|md|js|ts|css|scss|html|haml|slim|png|jpg|gif|svg|lock)$/i.test(p) && !/^(?:app|spec|test|features|public|db|vendor|node_modules)\//.test(p));
  const scripts: Start[] = [];
  for (const file of candidates) {
    if (scripts.length >= MAX_FILES) {
      ctx.problem({ file, line: 1, message: `workers.init-scripts-not-read: more than ${MAX_FILES} init scripts; from ${file} on they are not read: a daemon one of them starts is not named, check them by hand`, severity: "warning" });
      break;
    }
    const r = ctx.repo.read(file);
    if ("error" in r || r.text.length > MAX_SCRIPT_BYTES) continue;
    if (GOD_FILE.test(file)) {
      scripts.push(...godDaemons(ctx, file, r.text));
      continue;
    }
    if (UNIT_FILE.test(file)) {
      const u = unitStart(file, r.text);
      if (u) scripts.push(u);
      continue;
    }
    if (!isInitScript(file, r.text)) continue;
    const start = startCommand(r.text);
    if (start) scripts.push({ kind: "init script", file, text: r.text, name: serviceName(file), ...start, stop: stopSignal(file, r.text), ...scriptEnv(file, r.text) });
  }
  if (!scripts.length) return out;
  const layout = serverLayout(stages);
  const names = new Map<string, Source>();
  const stageNames = stages.map((x) => x.name);
  for (const s of scripts) {
    const start = s;
    const line = start.line;
    const source = { file: s.file, line: start.lineNo };
    const read: ReturnType<typeof readStartLine> = start.unknown ? { unknown: start.unknown } : readStartLine(line, isProcess, [], layout);
    const words = "words" in read ? read.words : null;
    const text = words ? words.join(" ") : line;
    // A job backend's or the web server's: their own readers decide. A line not read is judged by the
    // script's whole text (a unicorn_init.erb whose command the deploy fills in is the web server's).
    if (backendOfCommand(text)) continue;
    if (!words && OTHERS_NAMED.test(s.text.replace(/^\s*#.*$/gm, "")) && !RACK_FILE.test(s.text)) continue;
    if (!words && s.kind !== "init script" && backendOfCommand(s.text)) continue;
    const program = words ? programOf(words) : null;
    if (program && APP_SERVER.test(program.name) && !program.rackFile) continue;
    const runs = words ? repoFileRun(ctx, words) : null;
    // A start line not read: the script's own text says whether it runs from the release.
    const fromRelease = "words" in read ? read.notes.some((n) => /is the release/.test(n)) : /\/current\b|\/releases\/|(?:<%=|#\{)\s*(?:fetch\(:)?(?:current_path|release_path)\b/.test(s.text.replace(/^\s*#.*$/gm, ""));
    // Not the app's code: infrastructure (a database, a proxy) or a program of the servers.
    if (!runs && !fromRelease && !(program && /^(?:bundle|ruby|rackup|thin)$/.test(program.name))) continue;
    const name = s.name;
    if (s.kind === "systemd unit") out.units.push(name);
    const installed = installedBy(ctx, s.file, s.kind === "god watch" ? s.file.replace(/^.*\//, "") : name);
    const kind = runs ? serverKind(ctx, runs.file) : null;
    const ports = [...(words ? flagPorts(words, source) : []), ...(runs ? filePorts(ctx, runs.file, kind?.what ?? "the process") : [])];
    const portText = ports.length
      ? ` It listens on ${ports.map((p) => `${p.port} (${at(p.source)})`).join(", ")}: ${kind?.websocket ? "its websocket clients" : "its clients"} reach it only through a Service and a route (the edge) of their own, which rails2k8s does not write; add them, and point the clients at the new address`
      : kind?.websocket
        ? " Its port is not read: its websocket clients reach it only through a Service and a route of their own, which rails2k8s does not write"
        : "";
    const what = kind?.what ?? "a long-running process of the app (not a web server or a job backend the analysis knows)";
    const daemonFlags = words?.filter((w) => DAEMON_FLAG.test(w)) ?? [];
    const daemonizes = s.detaches ? { file: s.detaches.source.file, line: s.detaches.source.line, text: s.detaches.text } : (words ? configDaemonizes(ctx, words) : null) ?? (runs ? daemonizeLine(ctx, runs.file) : null);
    // A secret in the arguments is only seen on the line as a whole (`--token` and its value are two
    // words, neither secret alone): as the report and the leak check read it.
    const argLine = words ? words.join(" ") : "";
    const argSecret = !!words && (cutSecretShapes(argLine, SECRET_SHOWN_AS) !== argLine || words.some((w) => /^[a-z][\w+.-]*:\/\/[^/\s]*:[^@/\s]*@/i.test(w)));
    const why = !("words" in read)
      ? `its start command (${cutSecretShapes(line.trim(), SECRET_SHOWN_AS).slice(0, 160)}) is not known: ${read.unknown}`
      : !installed
        ? s.kind === "init script"
          ? "nothing in the repo installs or starts this init script (no link or copy into /etc/init.d, no `service`/`update-rc.d` line naming it): whether the servers ran it is not known"
          : s.kind === "god watch"
            ? "nothing in the repo loads this god file (no `god -c`/`god load` line naming it): whether the servers ran it is not known"
            : "nothing in the repo installs, enables or starts this unit (no `systemctl` line naming it): whether the servers ran it is not known"
        : argSecret
          ? `its arguments hold a secret (\`${cutUserinfo(cutSecretShapes(argLine, SECRET_SHOWN_AS)).slice(0, 160)}\`): a secret never goes into a tracked Deployment. Have the process read it from an environment variable, put that variable in the stage's secrets.env, and carry the line by hand`
          : daemonizes
          ? `${daemonizes.file}:${daemonizes.line} detaches the process (${daemonizes.text}): in a pod the main process would exit at once. Remove the detach (the pod runs it in the foreground), then run \`${text}\` as a worker Deployment`
          : null;
    // A file kept for one stage (`feed_production.god`, `feed-staging.service`) ran on that stage's servers only.
    const stage = fileStage(s.file, stageNames);
    const label = dnsLabel((stage && !name.includes(stage) ? `${name}-${stage}` : name).replace(/_/g, "-"));
    const first = names.get(label);
    if (first) {
      // Two starts of one name (a unit and an init script of one daemon, two watches named alike): carrying both could run it twice.
      out.uncarried.push({ name, command: cutUserinfo(cutSecretShapes(text, SECRET_SHOWN_AS)).slice(0, 200), source, why: `${what}, started by the ${s.kind} ${s.kind === "god watch" ? `${name} of ${s.file}` : s.file}; not carried: ${at(first)} already starts a daemon named ${name} (carried or named from there), and both could be one process the servers ran once: check which of the two the servers ran, and carry the other by hand if both ran` });
      continue;
    }
    names.set(label, source);
    if (why) {
      // The daemon is not carried, so neither is anything its source set: said at its line, by name only (a value may be a secret).
      const extra = envNotes(s);
      for (const e of extra) ctx.problem({ file: e.source.file, line: e.source.line, message: `workers.daemon-start-not-carried: the ${s.kind} ${name} ${e.text}`, severity: "warning" });
      const extraText = extra.map((e) => ` The ${s.kind} ${e.text} (${at(e.source)}).`).join("");
      out.uncarried.push({ name, command: cutUserinfo(cutSecretShapes(text, SECRET_SHOWN_AS)).slice(0, 200), source, why: `${what}, started by the ${s.kind} ${s.kind === "god watch" ? `${name} of ${s.file}` : s.file}${installed ? ` (${installed.how}, ${at(installed.source)})` : ""}; not carried: ${why}.${portText}${portText && extraText ? "." : ""}${extraText}` });
      continue;
    }
    // The environment its source gave the process (daemon-env.ts): literal values carried, secrets to
    // the stage's secrets, a server path or an expansion named at its line.
    const de = daemonEnv(s.settings ?? [], s.envFiles ?? []);
    for (const e of de.notCarried) ctx.problem({ file: e.source.file, line: e.source.line, message: `workers.daemon-start-not-carried: the ${s.kind} ${name} ${e.text}`, severity: "warning" });
    if (de.secretEnv.length)
      ctx.problem({ ...de.secretEnv[0]!.source, message: `worker-${label}: the ${s.kind} ${name} sets ${de.secretEnv.map((e) => `${e.name} (${at(e.source)})`).join(", ")}, which look${de.secretEnv.length > 1 ? "" : "s"} like ${de.secretEnv.length > 1 ? "secrets" : "a secret"}; the value is not written into the worker's Deployment: ${de.secretEnv.length > 1 ? "they are" : "it is"} listed in the stage's secrets.env.example, to fill in secrets.env, which every pod reads`, severity: "warning" });
    const extra = de.notCarried;
    const env = { ...(read as { env: Record<string, string> }).env, ...de.env };
    const args = words!.filter((w) => !DAEMON_FLAG.test(w));
    const notes = [...(s.note ? [s.note] : []), ...(read as { notes: string[] }).notes, ...(daemonFlags.length ? [`left out ${daemonFlags.map((f) => `\`${f}\``).join(", ")} (it forked into the background; the pod runs it in the foreground)`] : []), ...daemonEnvNote(de, `the ${s.kind}`), ...extra.map((e) => `the ${s.kind} ${e.text} (${at(e.source)})`)];
    const stop = s.stop;
    const firstPort = ports[0];
    out.workers.push({
      backend: DAEMON_BACKEND,
      label: kind?.websocket ? "websocket server" : "daemon",
      drain: `on ${stop.signal} it stops as its init script's stop did; Kubernetes' TERM comes first when the preStop hook sends no other signal, and SIGKILL ends it after the grace period${kind?.websocket ? ": its open websocket connections drop, and clients must reconnect" : ""}`,
      name: `worker-${label}`,
      args,
      env,
      ...(de.secretEnv.length ? { secretEnv: de.secretEnv } : {}),
      commandFrom: "service",
      commandSource: source,
      ...(notes.length ? { commandNote: notes.join("; ") } : {}),
      queues: [],
      stopSignal: stop.signal,
      stopTimeout: { seconds: DAEMON_STOP_SECONDS, source: null },
      roles: [],
      evidence: [
        { value: `${what}: ${s.kind} ${s.kind === "god watch" ? `${name} of ${s.file}` : s.file} starts \`${text}\``, source },
        { value: `${installed!.how}`, source: installed!.source },
        ...(stop.source ? [{ value: `its stop sends ${stop.signal}`, source: stop.source }] : []),
        ...ports.map((p) => ({ value: `listens on ${p.port}: ${p.what}; clients reach it only through a Service and a route of their own, which rails2k8s does not write`, source: p.source })),
      ],
      carried: true,
      ports: ports.map((p) => ({ port: p.port, source: p.source, websocket: !!kind?.websocket })),
      // The Rails heartbeat initializer never loads in a process that does not boot the app: the port
      // answering is its liveness where it listens on one; else the process being alive is.
      liveness: firstPort ? { tcpPort: firstPort.port, source: firstPort.source } : { none: "it does not boot Rails (no heartbeat) and no port it listens on is read: the container's process being alive is its only check" },
      ...(stage ? { offStages: Object.fromEntries(stageNames.filter((x) => x !== stage).map((x) => [x, { why: `${s.file} is kept for stage ${stage} (its name or folder says so): only ${stage}'s servers ran it`, source }])) } : {}),
      ...(s.loop
        ? {
            // A loop's passes alike: that many processes, on the one server's worth the repo lets us count.
            processesPerServer: { value: s.loop.count, why: `${s.file}'s loop (${s.loop.written}) starts ${s.loop.count} of this process`, source: s.loop.source },
          }
        : { singleton: `one pod per stage: the ${s.kind} ran one process on each server it was installed on, and the repo does not say which servers those were${kind?.websocket ? "; a websocket server keeps its clients in memory, so clients split over several pods would not hear each other's messages" : ""}` }),
    });
  }
  return out;
}

/** Backend id of a carried init-script daemon: not a job backend (backends.ts), a process of its own. */
export const DAEMON_BACKEND = "daemon";
/** Seconds a daemon gets after its stop signal: Kubernetes' own default grace period, labelled as a default. */
export const DAEMON_STOP_SECONDS = 30;

/**
 * The file's lines with each `\\`-newline continuation joined onto the line it continues, as sh and
 * systemd read them; the lines it took are left empty, so every line keeps its number.
 */
function joinedLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let j = i;
    while (/(?<!\\)(?:\\\\)*\\$/.test(lines[i]!) && j + 1 < lines.length) {
      lines[i] = `${lines[i]!.slice(0, -1)} ${lines[++j]!.trim()}`;
      lines[j] = "";
    }
    i = j;
  }
  return lines;
}

const isProcess = (words: string[]): boolean => words.length > 0 && !NOT_THE_PROCESS.test(words[0]!) && !/^\w+\(\)$/.test(words[0]!);

/**
 * The `start)` branch's command line with the script's own variables filled in, following a function
 * the branch calls (`do_start`). The first line naming a program that is not a built-in is the start.
 */
export function startCommand(text: string): { line: string; lineNo: number; unknown?: string } | null {
  const lines = joinedLines(text);
  const vars = assignments(lines);
  const fns = functions(lines);
  const branch = caseBranch(lines, "start");
  if (!branch) return null;
  const seen = new Set<string>();
  const walk = (from: number, to: number, depth: number): { line: string; lineNo: number; unknown?: string } | null => {
    for (let i = from; i < to; i++) {
      const raw = lines[i]!.replace(/^\s*start\s*(?:\|[^)]*)?\)\s*/, "").trim();
      if (!raw || raw.startsWith("#") || raw === ";;") continue;
      const first = raw.split(/\s+/)[0]!.replace(/;+$/, "");
      const fn = fns.get(first);
      if (fn && depth < 3 && !seen.has(first)) {
        seen.add(first);
        const r = walk(fn.from, fn.to, depth + 1);
        if (r) return r;
        continue;
      }
      // A line that starts with a built-in and chains on with `&&`/`||` (`sig 0 && echo … && exit 0`) is a check.
      // `cd <dir> && cmd`: the start line reader follows the cd (start-line.ts); a cd alone is a step.
      const cdThen = first === "cd" && /&&/.test(raw);
      if ((NOT_THE_PROCESS.test(first) && !cdThen) || fns.has(first) || /^(?:sig|oldsig|status)$/.test(first)) continue;
      const filled = fill(raw, vars);
      if (typeof filled !== "string") return { line: raw, lineNo: i + 1, unknown: filled.unknown };
      return { line: filled.replace(/\s*;;\s*$/, ""), lineNo: i + 1 };
    }
    return null;
  };
  // A start branch with no line read as the start: named, never dropped.
  return walk(branch.from, branch.to, 0) ?? { line: lines[branch.from]!.trim(), lineNo: branch.from + 1, unknown: "no line of its start) branch (or of a function it calls) is read as the command it starts" };
}

/** The lines of the `case` branch whose patterns include `start` (not `restart` alone). */
function caseBranch(lines: string[], verb: string): { from: number; to: number } | null {
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*["']?([\w|"' -]+?)["']?\s*\)/.exec(lines[i]!);
    if (!m || !m[1]!.split("|").map((x) => x.trim().replace(/["']/g, "")).includes(verb)) continue;
    let j = i;
    while (j < lines.length && !/;;\s*$/.test(lines[j]!)) j++;
    return { from: i, to: Math.min(j + 1, lines.length) };
  }
  return null;
}

/** `name() {` … `}` and `function name {` … `}` at the top level of the script. */
function functions(lines: string[]): Map<string, { from: number; to: number }> {
  const out = new Map<string, { from: number; to: number }>();
  for (let i = 0; i < lines.length; i++) {
    const m = /^(?:function\s+)?([A-Za-z_][\w-]*)\s*(?:\(\s*\))?\s*\{\s*$/.exec(lines[i]!) ?? /^([A-Za-z_][\w-]*)\s*\(\s*\)\s*$/.exec(lines[i]!);
    if (!m || (!/\(\s*\)|^function\s/.test(lines[i]!))) continue;
    let j = i + 1;
    while (j < lines.length && !/^\}\s*$/.test(lines[j]!)) j++;
    out.set(m[1]!, { from: i + 1, to: j });
  }
  return out;
}

/** The script's top-level `NAME=value` / `NAME="value"` assignments (the last one wins, as the shell runs them in order before the case). */
function assignments(lines: string[]): Map<string, string | { unknown: string }> {
  const vars = new Map<string, string | { unknown: string }>();
  for (const l of lines) {
    // An unquoted value may hold `$NAME` (`PID=$ROOT/shared/x.pid`): the shell fills it in (an assignment is not split).
    const m = /^([A-Za-z_]\w*)=(?:"([^"`\\]*)"|'([^']*)'|([^\s"'`;&|<>()\\]*))\s*(?:#.*)?$/.exec(l);
    if (m) {
      const v = m[2] ?? m[3] ?? m[4] ?? "";
      vars.set(m[1]!, m[3] !== undefined ? v : fill(v, vars, m[1]));
      continue;
    }
    // Any other assignment (a command substitution, a quote the pattern does not read): its value is not known.
    const other = /^([A-Za-z_]\w*)=/.exec(l);
    if (other) vars.set(other[1]!, { unknown: `${other[1]} is set in a way the analysis does not read (${l.trim().slice(0, 80)})` });
  }
  return vars;
}

/**
 * `$NAME`/`${NAME}` filled in from the script's own values. The shell does not read a variable's value
 * again as shell syntax, except where a `-c` string does; a value with quotes, operators or glob
 * characters is therefore only filled in inside double quotes and without quotes of its own. A
 * variable the script does not set (or sets in a way not read): null.
 */
function fill(line: string, vars: Map<string, string | { unknown: string }>, of?: string): string | { unknown: string } {
  let quoted = false;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" && !quoted) {
      const j = line.indexOf("'", i + 1);
      if (j < 0) return { unknown: "a quote does not close" };
      out += line.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "\\") {
      out += line.slice(i, i + 2);
      i++;
      continue;
    }
    if (c !== "$") {
      out += c;
      continue;
    }
    const m = /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/.exec(line.slice(i));
    if (!m) {
      // `$(…)`, `$1`, `$$`: computed by the shell where the script runs.
      if (/^\$[({0-9$!@*#?-]/.test(line.slice(i))) return { unknown: `${of ? `${of} holds ` : ""}\`${line.slice(i, i + 40)}\`, which the servers' shell computes when the script runs` };
      out += c;
      continue;
    }
    const name = (m[1] ?? m[2])!;
    const v = vars.get(name);
    if (v === undefined) return { unknown: `$${name} is not set by the script (the servers' environment)` };
    if (typeof v !== "string") return v;
    if (/["'`\\$]/.test(v) || (!quoted && /[;&|<>*?[\]]/.test(v))) return { unknown: `$${name}'s value would be read again by the shell in a way the analysis does not follow` };
    out += v;
    i += m[0].length - 1;
  }
  return out;
}

/** The program of the words and the Rack file it serves (`thin -R faye.ru`, `rackup private_pub.ru`), past `bundle exec`. */
function programOf(words: string[]): { name: string; rackFile: string | null } | null {
  let w = words;
  if (/(^|\/)bundle$/.test(w[0] ?? "") && w[1] === "exec") w = w.slice(2);
  if (!w.length) return null;
  const name = w[0]!.replace(/^.*\//, "");
  const r = w.findIndex((x) => x === "-R" || x === "--rackup");
  const flag = r >= 0 ? w[r + 1] : w.find((x) => /^--rackup=/.test(x))?.replace(/^--rackup=/, "");
  const positional = name === "rackup" ? w.slice(1).find((x) => /\.ru$/.test(x)) : undefined;
  const rack = flag ?? positional ?? null;
  return { name, rackFile: rack && rack.replace(/^\.\//, "") !== "config.ru" ? rack : null };
}

/** The repo file the process runs (`ruby bin/ws.rb`, `script/daemon`, `thin -R faye.ru`). */
export function repoFileRun(ctx: AnalyzerContext, words: string[]): { file: string } | null {
  for (const w of words.slice(0, 8)) {
    const f = w.replace(/^--?[\w-]+=/, "").replace(/^\.\//, "");
    if (f && ctx.repo.paths.includes(f)) return { file: f };
  }
  return null;
}

function serverKind(ctx: AnalyzerContext, file: string): { what: string; websocket: boolean } | null {
  const r = ctx.repo.read(file);
  if ("error" in r) return null;
  const k = SERVER_KINDS.find((x) => x.re.test(r.text));
  return k ? { what: k.what, websocket: k.websocket } : null;
}

/** `-p 9292`, `--port 9292`, `--port=9292`, `-p9292` on the command line. */
function flagPorts(words: string[], source: Source): { port: number; source: Source; what: string }[] {
  for (let i = 0; i < words.length; i++) {
    const m = /^(?:-p|--port)(?:=?(\d+))?$/.exec(words[i]!);
    if (!m) continue;
    const n = Number(m[1] ?? words[i + 1]);
    if (Number.isInteger(n) && n > 0 && n < 65536) return [{ port: n, source, what: "its command line's port flag" }];
  }
  return [];
}

function filePorts(ctx: AnalyzerContext, file: string, what: string): { port: number; source: Source; what: string }[] {
  const r = ctx.repo.read(file);
  if ("error" in r) return [];
  const lines = r.text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*#/.test(lines[i]!)) continue;
    const m = RUBY_PORT.exec(lines[i]!);
    const n = m ? Number(m[1]) : NaN;
    if (n > 0 && n < 65536) return [{ port: n, source: { file, line: i + 1 }, what: `${what} in ${file}` }];
  }
  return [];
}

/** A server config the line loads (`thin -C config/x.yml`) that sets `daemonize: true`: thin forks into the background. */
function configDaemonizes(ctx: AnalyzerContext, words: string[]): { file: string; line: number; text: string } | null {
  const i = words.findIndex((w) => w === "-C" || w === "--config");
  const file = (i >= 0 ? words[i + 1] : words.find((w) => /^--config=/.test(w))?.slice(9))?.replace(/^\.\//, "");
  if (!file || !ctx.repo.paths.includes(file)) return null;
  const r = ctx.repo.read(file);
  if ("error" in r) return null;
  const lines = r.text.split(/\r?\n/);
  const n = lines.findIndex((l) => /^\s*:?daemonize:\s*true\b/.test(l));
  return n >= 0 ? { file, line: n + 1, text: lines[n]!.trim() } : null;
}

export function daemonizeLine(ctx: AnalyzerContext, file: string): { file: string; line: number; text: string } | null {
  const r = ctx.repo.read(file);
  if ("error" in r) return null;
  const lines = r.text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*#/.test(lines[i]!)) continue;
    const m = DAEMONIZES.exec(lines[i]!);
    if (m) return { file, line: i + 1, text: m[0].trim() };
  }
  return null;
}

/** A start the servers' service manager ran: the line, and the text that says what surrounds it (an init script's whole text; a god watch's or unit's own lines). */
interface Start {
  kind: "init script" | "god watch" | "systemd unit";
  file: string;
  text: string;
  name: string;
  line: string;
  lineNo: number;
  unknown?: string;
  /** What was taken off the line before it was read (the servers' absolute path to Ruby's tools). */
  note?: string;
  stop: { signal: "TERM" | "QUIT" | "INT"; source: Source | null };
  /** The service manager's own word that the process forks away (a unit's `Type=forking`, `PIDFile=`). */
  detaches?: { source: Source; text: string };
  /** Environment the source sets for the process, each assignment with its value where the source states it (daemon-env.ts). */
  settings?: EnvSetting[];
  /** Files of the servers the source reads into the process's environment. */
  envFiles?: { path: string; source: Source }[];
  /** Processes of this very kind a god loop started (its passes alike): that many pods. */
  loop?: { count: number; written: string; source: Source };
}

/**
 * A unit of the repo that only serves as evidence of a worker another reader carries (capistrano-resque's
 * worker whose `rake resque:work` a unit also runs): the worker's Deployment is built from that reader's
 * facts, so the unit's own `Environment=`/`EnvironmentFile=` is not in it. Said on the worker and at the
 * unit's lines, by name only (a value may be a secret).
 */
function evidenceUnitsEnv(ctx: AnalyzerContext, workers: readonly WorkerFacts[]): void {
  const own = new Set(workers.map((w) => w.commandSource?.file).filter(Boolean));
  for (const file of ctx.repo.paths) {
    if (!UNIT_FILE.test(file) || own.has(file)) continue;
    const ws = workers.filter((w) => w.evidence.some((e) => e.source?.file === file));
    if (!ws.length) continue;
    const r = ctx.repo.read(file);
    if ("error" in r || r.text.length > MAX_SCRIPT_BYTES) continue;
    const ue = unitEnvironment(r.text);
    if (!ue) continue;
    const settings: EnvSetting[] = [...Object.entries(ue.vars).map(([name, v]) => ({ name, line: v.line })), ...Object.entries(ue.unknown).map(([name, v]) => ({ name, line: v.line })), ...Object.entries(ue.filled).map(([name, line]) => ({ name, line }))].map((x) => ({ name: x.name, value: null, source: { file, line: x.line } }));
    const notes = envNotes({ settings, envFiles: ue.files.map((f) => ({ path: f.path, source: { file, line: f.line } })) });
    for (const w of ws) {
      const what = `${file}, read as evidence of ${w.name} (whose command another reader gives),`;
      for (const e of notes) ctx.problem({ file: e.source.file, line: e.source.line, message: `workers.evidence-unit-env-not-carried: ${what} ${e.text}`, severity: "warning" });
      const said = notes.map((e) => `${file} ${e.text} (${at(e.source)})`).join("; ");
      w.commandNote = w.commandNote ? `${w.commandNote}; ${said}` : said;
    }
  }
}

/** The warning text of each environment setting of a start not carried (the daemon itself is not): names only, never a value. */
function envNotes(s: Pick<Start, "settings" | "envFiles">): { text: string; source: Source }[] {
  const byLine = new Map<string, { names: string[]; files: string[]; source: Source }>();
  const at1 = (x: Source) => byLine.get(`${x.line}`) ?? byLine.set(`${x.line}`, { names: [], files: [], source: x }).get(`${x.line}`)!;
  for (const e of s.settings ?? []) if (!at1(e.source).names.includes(e.name)) at1(e.source).names.push(e.name);
  for (const f of s.envFiles ?? []) at1(f.source).files.push(f.path);
  return [...byLine.values()]
    .sort((a, b) => a.source.line - b.source.line)
    .map((e) => ({
      source: e.source,
      text: [
        ...(e.names.length ? [`sets ${e.names.map((n) => (ENV_NAME.test(n) ? `\`${n}\`` : envNameShown(n))).join(", ")} in its process's environment`] : []),
        ...(e.files.length ? [`reads ${e.files.map((f) => `\`${f}\``).join(", ")} (a file of the servers, which may set any variable) into its process's environment`] : []),
      ].join(" and ") + ": not carried into the Deployment (values not shown); set what the process needs in the stage's ConfigMap, or in secrets.env for a secret, by hand",
    }));
}

const GOD_FILE = /\.god$/;
const UNIT_FILE = /\.service(?:\.erb)?$/;

/**
 * The god watches of a god file whose start is no job backend's (a backend's watch is read by the
 * workers' own reader): the command god's Ruby computes (god-starts.ts), run in the watch's `w.dir`
 * (god's Process#spawn chdirs into `dir` before it execs the start, god 0.13 lib/god/process.rb).
 */
function godDaemons(ctx: AnalyzerContext, file: string, text: string): Start[] {
  const out: Start[] = [];
  const lines = text.split(/\r?\n/);
  const computed = godStarts(file, text).starts;
  lines.forEach((l, i) => {
    if (!/^\s*\w+\.start\s*=/.test(l)) return;
    const c = computed.get(i + 1);
    const written = l.replace(/^\s*\w+\.start\s*=\s*/, "").trim();
    const tool = c?.command ? serversTool(c.command) : null;
    const cmd = tool ? tool.line : null;
    if ((cmd && backendOfCommand(cmd)) || (!cmd && backendOfCommand(written))) return;
    // The watch's own lines: from its `God.watch` to the next one.
    const from = c?.watch ? c.watch.line - 1 : Math.max(0, i - 20);
    let to = lines.findIndex((x, j) => j > i && /\bGod\.watch\b/.test(x));
    if (to < 0) to = lines.length;
    const body = lines.slice(from, to).join("\n");
    const name = /^\s*\w+\.name\s*=\s*["']([^"'#]+)["']/m.exec(body)?.[1] ?? file.replace(/^.*\//, "").replace(/\.god$/, "");
    const dir = /^\s*\w+\.dir\s*=\s*["']([^"'#]+)["']/m.exec(body)?.[1];
    const sig = /^\s*\w+\.stop_signal\s*=\s*["']?(?:SIG)?(TERM|QUIT|INT)\b/m.exec(body);
    const sigLine = sig ? from + body.slice(0, sig.index).split("\n").length - 1 + 1 : 0;
    const unknown = cmd === null ? (c?.unknown ? `${c.unknown.reason} (${c.unknown.source.file}:${c.unknown.source.line})` : "god's Ruby for it is not read") : undefined;
    const base = {
      kind: "god watch" as const,
      file,
      text: `${body}`,
      lineNo: i + 1,
      // god's default stop is TERM, then KILL (god-starts.ts GOD_STOP_SIGNAL_DEFAULT).
      stop: sig ? { signal: sig[1] as "TERM" | "QUIT" | "INT", source: { file, line: sigLine } } : { signal: "TERM" as const, source: null },
    };
    // god runs the start in `w.dir` (god 0.13 lib/god/process.rb chdirs before it execs).
    const inDir = (command: string) => (dir ? `cd ${dir} && ${command}` : command);
    // `w.env = { "NAME" => … }`: god sets these for the started process (god 0.13 lib/god/process.rb).
    const envOf = (p: { env: EnvSetting[]; envUnknown?: Source } | undefined): EnvSetting[] =>
      p ? [...p.env, ...(p.envUnknown ? [{ name: "w.env", value: null, source: p.envUnknown, why: "it is not a Hash the file states" }] : [])] : writtenEnv(file, body, from);
    const passes = cmd !== null && c ? c.passes.filter((p) => p.command !== null) : [];
    if (passes.length <= 1) {
      const settings = envOf(passes[0]);
      out.push({ ...base, ...(settings.length ? { settings } : {}), name, line: cmd === null ? written : inDir(cmd), ...(unknown ? { unknown } : {}), ...(tool?.note ? { note: tool.note } : {}) });
      return;
    }
    // A loop: every pass is a process; passes alike are one worker with that many, the others one each (god-loops.ts).
    const { kinds, cut } = godKinds(passes);
    const loop = godWatchCount(file, text, i);
    const loopAt = loop && "count" in loop ? { written: loop.written, source: loop.source } : { written: lines[(c!.watch.line || 1) - 1]!.trim(), source: c!.watch };
    if (cut.length)
      ctx.problem({ file, line: i + 1, message: `workers.god-loop-cut: the god watch ${name}'s loop (${loopAt.written}, ${at(loopAt.source)}) starts ${kinds.length + cut.length} different processes; the first ${MAX_LOOP_KINDS} are carried, ${cut.length} are not (${cut.slice(0, 3).map((k) => `\`${cutUserinfo(cutSecretShapes(k.command, SECRET_SHOWN_AS)).slice(0, 80)}\``).join(", ")}${cut.length > 3 ? ", …" : ""}): a loop that long is better set by hand`, severity: "warning" });
    const names = new Set(kinds.map((k) => k.name));
    kinds.forEach((k, j) => {
      const t = serversTool(k.command);
      if (backendOfCommand(t.line)) return;
      const own = kinds.length === 1 ? name : k.name && names.size === kinds.length ? k.name : `${name}-${j + 1}`;
      const settings = envOf(k);
      out.push({
        ...base,
        ...(settings.length ? { settings } : {}),
        name: own,
        line: inDir(t.line),
        ...(t.note ? { note: t.note } : {}),
        ...(k.count > 1 ? { loop: { count: k.count, ...loopAt } } : {}),
      });
    });
  });
  return out;
}

/** A watch's `w.env` names as written, where god's Ruby is not read: names only, values not known. */
function writtenEnv(file: string, body: string, from: number): EnvSetting[] {
  const out: EnvSetting[] = [];
  body.split("\n").forEach((b, k) => {
    if (!/^\s*\w+\.env\s*=/.test(b)) return;
    const names = [...new Set([...b.matchAll(/["']([A-Za-z_]\w*)["']\s*=>|\b([A-Za-z_]\w*):\s/g)].map((m) => (m[1] ?? m[2])!))];
    for (const n of names.length ? names : ["w.env"]) out.push({ name: n, value: null, source: { file, line: from + k + 1 }, why: "god's Ruby for it is not read" });
  });
  return out;
}

/**
 * A systemd unit's `ExecStart=` (systemd.service(5): a leading `-`, `@`, `+`, `!` or `:` only changes how
 * it is run), in its `WorkingDirectory=`, stopped by its `KillSignal=` (SIGTERM by default, systemd.kill(5)).
 */
function unitStart(file: string, text: string): Start | null {
  const lines = joinedLines(text);
  const i = lines.findIndex((l) => /^\s*ExecStart\s*=/.test(l));
  if (i < 0) return null;
  const exec = serversTool(lines[i]!.replace(/^\s*ExecStart\s*=\s*[-@+!:]*/, "").trim());
  const cmd = exec.line;
  const dir = lines.map((l) => /^\s*WorkingDirectory\s*=\s*-?(\S+)\s*$/.exec(l)?.[1]).find(Boolean);
  // systemd.service(5): Type=forking waits for the started process to fork and exit; a PIDFile= is read for the forked child.
  const f = lines.findIndex((l) => /^\s*(?:Type\s*=\s*forking|PIDFile\s*=)/.test(l));
  const k = lines.findIndex((l) => /^\s*KillSignal\s*=\s*(?:SIG)?(TERM|QUIT|INT)\s*$/.test(l));
  const signal = k >= 0 ? (/(TERM|QUIT|INT)/.exec(lines[k]!)![1] as "TERM" | "QUIT" | "INT") : "TERM";
  const ue = unitEnvironment(text);
  // systemd.exec(5): `Environment=` values are not run through a shell; escapes and `%%` are decoded, a `%h`-style specifier named (unit-environment.ts).
  const settings: EnvSetting[] = ue
    ? [
        ...Object.entries(ue.vars).map(([name, v]) => ({ name, value: v.value, source: { file, line: v.line } })),
        ...Object.entries(ue.unknown).map(([name, v]) => ({ name, value: null, source: { file, line: v.line }, why: v.why })),
        ...Object.entries(ue.filled).map(([name, line]) => ({ name, value: null, source: { file, line }, why: "the deploy fills its value in (ERB or Ruby interpolation) when it renders the unit" })),
      ].sort((a, b) => a.source.line - b.source.line)
    : [];
  const envFiles = (ue?.files ?? []).map((f) => ({ path: f.path, source: { file, line: f.line } }));
  return {
    kind: "systemd unit",
    ...(settings.length ? { settings } : {}),
    ...(envFiles.length ? { envFiles } : {}),
    file,
    text: [lines[i]!, ...(dir ? [`WorkingDirectory=${dir}`] : [])].join("\n"),
    name: file.replace(/^.*\//, "").replace(/\.service(?:\.erb)?$/, ""),
    line: dir ? `cd ${dir} && ${cmd}` : cmd,
    lineNo: i + 1,
    ...(exec.note ? { note: exec.note } : {}),
    ...(f >= 0 ? { detaches: { source: { file, line: f + 1 }, text: lines[f]!.trim() } } : {}),
    stop: { signal, source: k >= 0 ? { file, line: k + 1 } : null },
  };
}

/**
 * systemd wants an absolute program (`/home/deploy/.rbenv/shims/bundle exec …`): the servers' copy of a
 * Ruby tool, which the image has on its own PATH. Taken off to the tool's name, and said.
 */
function serversTool(line: string): { line: string; note?: string } {
  const m = /^(\/\S*\/)(bundle|ruby|rackup|thin)(?=\s|$)/.exec(line);
  return m ? { line: `${m[2]}${line.slice(m[0].length)}`, note: `\`${m[1]}${m[2]}\` is the servers' ${m[2]}: the image runs its own` } : { line };
}

/** The service name the servers knew it by: its file name without an `_initd`/`.sh`/`.init` suffix. */
export function serviceName(file: string): string {
  return file.replace(/^.*\//, "").replace(/\.erb$/i, "").replace(/\.sh$/i, "").replace(/[._-]init(?:d|\.d)?$/i, "") || file;
}

/** Another repo file that installs or starts the script: by its path, by `/etc/init.d/<name>`, `service <name> start`, `update-rc.d <name>`. */
export function installedBy(ctx: AnalyzerContext, file: string, name: string): { how: string; source: Source } | null {
  const base = file.replace(/^.*\//, "");
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // A name the deploy completes (`/etc/init.d/faye_#{application}`) still names it.
  const n = `(?:${esc(name)}|${esc(base)})(?:[-_.](?:#\\{[^}]*\\}|<%=[^%]*%>))?`;
  const res: { re: RegExp; how: string }[] = [
    { re: new RegExp(`(?:^|[\\s"'/:(])${esc(file)}\\b`), how: `${file} is named here (linked, copied or run)` },
    // A god file or unit named by its base name under a path of the servers (`god -c #{current_path}/config/x.god`).
    ...(/\.(?:god|service)$/.test(base) ? [{ re: new RegExp(`/${esc(base)}(?![\\w.-])`), how: `${base} is named here (loaded, linked or started)` }] : []),
    // A deploy template helper rendering it by its file name (`template "faye_init.erb", "/tmp/x"`).
    ...(/\.erb$/.test(base) ? [{ re: new RegExp(`\\btemplate\\s*\\(?\\s*["']${esc(base)}["']`), how: `rendered by the deploy's template call` }] : []),
    { re: new RegExp(`/etc/(?:rc\\.d/)?init\\.d/${n}(?![\\w.-])`), how: `put into /etc/init.d as ${name}` },
    { re: new RegExp(`\\b(?:service\\s+${n}\\s+(?:start|restart)|update-rc\\.d\\s+(?:-f\\s+)?${n}|systemctl\\s+(?:start|restart|enable)\\s+${n}|invoke-rc\\.d\\s+${n}\\s+(?:start|restart))(?![\\w.-])`), how: `the service ${name} is started or enabled here` },
  ];
  for (const p of ctx.repo.paths) {
    if (p === file || /^(?:app|spec|test|features|public|db|vendor|node_modules|log|tmp)\//.test(p) || /\.(?:png|jpg|gif|svg|css|scss|lock|sqlite3)$/i.test(p)) continue;
    const r = ctx.repo.read(p);
    if ("error" in r || r.text.length > MAX_SCRIPT_BYTES || !r.text.includes(name)) continue;
    const lines = r.text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      // A Ruby deploy line read as shell words too (`execute :sudo, :systemctl, :restart, "x"`).
      const shell = lines[i]!.replace(/[:'",()]/g, " ").replace(/\s+/g, " ");
      for (const x of res) if (x.re.test(lines[i]!) || x.re.test(shell)) return { how: x.how, source: { file: p, line: i + 1 } };
    }
  }
  return null;
}

/** The signal the script's `stop)` branch sends (`kill -QUIT`, `sig QUIT`, `start-stop-daemon --signal INT`); TERM when it says none of the three. */
function stopSignal(file: string, text: string): { signal: "TERM" | "QUIT" | "INT"; source: Source | null } {
  const lines = text.split(/\r?\n/);
  const b = caseBranch(lines, "stop");
  if (b)
    for (let i = b.from; i < b.to; i++) {
      const m = /(?:\bkill\s+-(?:s\s+)?|\bsig\s+|--signal[=\s]+|--retry[=\s]+)(?:SIG)?(TERM|QUIT|INT)\b/.exec(lines[i]!);
      if (m) return { signal: m[1] as "TERM" | "QUIT" | "INT", source: { file, line: i + 1 } };
    }
  return { signal: "TERM", source: null };
}

/** Words before a command that only open a block (`then export X=1`, `do export …`). */
const OPENERS = new Set(["then", "do", "else", "{", "!"]);

/**
 * The `export NAME=value …`, `declare -x`/`typeset -x` commands of a line, each name with the value
 * the shell gives it, read with the one shell-words reader (src/model/shell-words.ts) so quoting is
 * the shell's (`x"y z"` is `xy z`, `'it'"'"'s'` is `it's`). A value the reader cannot decide is named
 * with why, not carried: a command substitution, a brace, glob or `~` the shell may expand, a flag of
 * `declare` that changes the value (`-i` computes it, `-l`/`-u` change its case).
 */
function exportsOf(code: string, vars: Map<string, string | { unknown: string }>, source: Source): EnvSetting[] {
  const out: EnvSetting[] = [];
  for (const words of simpleCommands(code)) {
    let i = 0;
    while (i < words.length && !words[i]!.quoted && OPENERS.has(words[i]!.text)) i++;
    const cmd = words[i];
    if (!cmd || cmd.quoted || !/^(?:export|declare|typeset)$/.test(cmd.text)) continue;
    const flags: string[] = [];
    for (i++; i < words.length && !words[i]!.quoted && /^[-+]/.test(words[i]!.text); i++) if (words[i]!.text !== "--") flags.push(words[i]!.text);
    const letters = flags.map((f) => f.slice(1)).join("");
    // `export -n` takes the export off, `-f` names functions, `-p` prints: none exports a variable.
    if (cmd.text === "export" ? /[nfp]/.test(letters) || flags.some((f) => f.startsWith("+")) : !flags.some((f) => f.startsWith("-") && f.includes("x"))) continue;
    const changes = cmd.text === "export" ? null : letters.replace(/[xrg]/g, "");
    for (const w of words.slice(i)) {
      if (w.redirect) break;
      const first = w.parts[0];
      const m = first && first.quote === "" ? /^([A-Za-z_]\w*)(=|$)/.exec(first.text) : null;
      if (!m) continue;
      const name = m[1]!;
      if (w.substitution) {
        out.push({ name, value: null, source, why: "its value holds a command substitution the servers' shell runs" });
        // The reader stops at the substitution's `(`: the line's later names are named too, not dropped.
        for (const n of code.slice(code.indexOf(`${name}=`) + name.length + 1).matchAll(/(?:^|\s)([A-Za-z_]\w*)=/g)) out.push({ name: n[1]!, value: null, source, why: "it follows a command substitution on its line, which the analysis does not read past" });
        return out;
      }
      if (!m[2]) {
        // `export NAME`: the value the script gave it (its last top-level assignment).
        if (w.parts.length > 1 || first!.text !== name) continue;
        const v = vars.get(name);
        out.push(v === undefined ? { name, value: null, source, why: "the script does not set it (the servers' environment)" } : typeof v === "string" ? { name, value: v, source } : { name, value: null, source, why: v.unknown });
        continue;
      }
      if (changes) {
        out.push({ name, value: null, source, why: `\`${cmd.text} -${letters}\` changes the value as it sets it` });
        continue;
      }
      const v = wordValue([{ text: first!.text.slice(m[0].length), quote: "" }, ...w.parts.slice(1)], vars, name);
      out.push(typeof v === "string" ? { name, value: v, source } : { name, value: null, source, why: v.unknown });
    }
  }
  return out;
}

/** An assignment's value from its pieces as the shell expands them (a piece's quoting says which expansions apply). */
function wordValue(parts: ShellWord["parts"], vars: Map<string, string | { unknown: string }>, name: string): string | { unknown: string } {
  let out = "";
  for (const [k, p] of parts.entries()) {
    if (p.quote === "'" || p.quote === "\\") {
      out += p.text;
      continue;
    }
    if (p.text.includes("`")) return { unknown: "its value holds a command substitution the servers' shell runs" };
    if (p.quote === "") {
      // bash expands `{a,b}`/`{1..3}` (giving the name twice: the last wins); a glob may match the servers' files; `~` is a home directory there.
      if (/\{[^{}]*(?:,|\.\.)[^{}]*\}/.test(p.text)) return { unknown: "its value holds a brace expansion (`{a,b}`), which bash expands and sh does not" };
      if (/[*?[]/.test(p.text)) return { unknown: "its value holds a glob the servers' shell may expand" };
      // bash reads `$'…'` (C escapes) and `$"…"` (a translation) where sh reads a `$` and a quote.
      if (p.text.endsWith("$") && parts[k + 1]) return { unknown: "its value holds a `$'…'` or `$\"…\"` quote, which bash and sh read apart" };
      if ((k === 0 && p.text.startsWith("~")) || p.text.includes(":~")) return { unknown: "its value holds a `~` the servers' shell expands to a home directory" };
    }
    const f = fill(p.quote === '"' ? `"${p.text}"` : p.text, vars, name);
    if (typeof f !== "string") return f;
    out += p.quote === '"' ? f.slice(1, -1) : f;
  }
  return out;
}

/**
 * What an init script exports to the process it starts, at its top level or in its `start)` branch:
 * `export NAME=value`, `NAME=…; export NAME`, each value as the shell gives it (the script's own
 * variables filled in, quotes taken off; a value the shell computes is not known), and a file of the
 * servers it sources (`. /etc/default/x`), which may set any variable.
 */
export function scriptEnv(file: string, text: string): { settings?: EnvSetting[]; envFiles?: { path: string; source: Source }[] } {
  const lines = joinedLines(text);
  const start = caseBranch(lines, "start");
  const caseAt = lines.findIndex((l) => /^\s*case\b/.test(l));
  const fns = [...functions(lines).values()];
  const vars = assignments(lines);
  const settings: EnvSetting[] = [];
  const envFiles: { path: string; source: Source }[] = [];
  lines.forEach((l, i) => {
    const top = (caseAt < 0 || i < caseAt) && !fns.some((f) => i >= f.from - 1 && i <= f.to);
    if (!top && !(start && i >= start.from && i < start.to)) return;
    const code = l.replace(/^\s*start\s*(?:\|[^)]*)?\)\s*/, "");
    if (/^\s*#/.test(code)) return;
    const source = { file, line: i + 1 };
    settings.push(...exportsOf(code, vars, source));
    for (const m of code.matchAll(/(?:^|[;&|]\s*|&&\s*)(?:\.|source)\s+([^\s;&|]+)/g)) envFiles.push({ path: m[1]!, source });
  });
  return { ...(settings.length ? { settings } : {}), ...(envFiles.length ? { envFiles } : {}) };
}
