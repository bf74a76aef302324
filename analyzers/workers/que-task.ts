// Que as the repo's own deploy task started it (`namespace :que do task :restart`): the command is
// the one `execute(...)` call of the task whose words run `que`, its pieces joined as SSHKit joins
// them (each argument one word, a string's own spaces kept, `#{…}` filled on the server), read
// through the wrappers around it (start-stop-daemon, su, sudo, env: src/model/service-managers.ts). Que's
// own arguments are carried by the options of the version the lockfile pins (bin/que of 0.x: -w,
// -i/--wake-interval, -l, -q once; 1.x and later: more, -q repeatable), and the files it requires
// are the app's jobs: without them the pod works nothing. A loop around the call
// (`(1..fetch(:n) / 2).each`, `n.times`) is processes per server, evaluated per stage.
import type { AnalyzerContext, Source, Stage, WorkerFacts } from "../../src/model.js";
import { argsOf, kind, parseRuby, type ParsedRuby, childrenOf } from "../ruby/prism.js";
import { evaluate } from "../ruby/evaluate.js";
import { stageScope } from "../ruby/stage-scope.js";
import { unwrapCommand } from "../../src/model/service-managers.js";
import { onRoles } from "./deploy-methods.js";

/** Options of bin/que that take a value, by major version; the rest of each list are flags. */
const OPTIONS_0 = { value: ["-w", "--worker-count", "-i", "--wake-interval", "-l", "--log-level", "-q", "--queue-name"], flag: [] as string[] };
const OPTIONS_1 = {
  value: ["-w", "--worker-count", "-i", "--poll-interval", "-l", "--log-level", "-q", "--queue-name", "--connection-url", "--maximum-buffer-size", "--minimum-buffer-size", "--wait-period", "--worker-priorities"],
  flag: ["--log-internals"],
};
/** One shell word without quoting or expansion: safe as an argv element. */
const PLAIN = /^[A-Za-z0-9_@%+=:,.\/*-]+$/;
/** The servers' release directory, which is the image's working directory. */
const RELEASE = /^#\{\s*(release_path|current_path|fetch\(:(release_path|current_path)\))\s*\}\//;
/** SSHKit calls that run a command on the servers. */
const RUNS = new Set(["execute", "run", "sudo"]);

type Base = Omit<WorkerFacts, "name" | "args" | "env" | "commandFrom" | "commandSource" | "queues" | "carried" | "roles">;

export type QueTaskResult = { workers: WorkerFacts[] } | { unknown: string; source: Source } | null;

/**
 * Workers of the que tasks' start lines; null when no task line runs que; `unknown` (said by the
 * caller on the standard command) when one does but cannot be carried as written.
 */
export function queTaskWorkers(ctx: AnalyzerContext, tasks: { name: string; source: Source }[], stages: Stage[], version: string | null, base: Base, fallbackRoles: string[]): QueTaskResult {
  for (const t of tasks) {
    const r = ctx.repo.read(t.source.file);
    if ("error" in r) continue;
    const parsed = parseRuby(t.source.file, r.text);
    if (parsed.errors.length) continue;
    const task = findTask(parsed.root, parsed, t.source.line);
    if (!task) continue;
    const found = findRun(task, []);
    for (const f of found) {
      const line = joinArgs(f.call, parsed);
      const un = unwrapCommand(line, (ws) => ws.some(isQue));
      if (!un) continue;
      const at = un.words.findIndex(isQue);
      if (at < 0) continue;
      const source = parsed.sourceOf(f.call);
      const prefix = un.words.slice(0, at + 1).map((w) => w.replace(/^.*\/(que)$/, "$1"));
      if (!(prefix.join(" ") === "que" || prefix.join(" ") === "bundle exec que")) return { unknown: `its line runs que through \`${prefix.join(" ")}\`, which the image does not have`, source };
      const read = queArgs(un.words.slice(at + 1), version);
      if ("unknown" in read) return { unknown: read.unknown, source };
      const on = onRoles(f.ancestors, parsed.sourceOf.bind(parsed));
      const perStage = loopCount(f.ancestors, parsed, stages);
      const name = `worker-que`;
      const cut = (x: string) => (x.length > 90 ? `${x.slice(0, 87)}...` : x);
      const note = [`the deploy's own task ${t.name} starts que (${source.file}:${source.line})${un.wrappers.length ? `; the pod runs it without ${un.wrappers.map((w) => `\`${cut(w)}\``).join(", ")} (the container is the process)` : ""}`, ...read.notes].join("; ");
      const w: WorkerFacts = {
        ...base,
        name,
        args: ["bundle", "exec", "que", ...read.args],
        env: {},
        commandFrom: "capistrano",
        commandSource: source,
        commandNote: note,
        queues: read.queues,
        roles: on?.roles ?? fallbackRoles,
        ...(on?.primary ? { primaryOnly: { role: on.roles[0]!, source: on.source } } : {}),
        evidence: [...base.evidence, { value: `que started by the deploy task ${t.name}: ${line.replace(/\s+/g, " ").slice(0, 160)}`, source }],
        carried: true,
        ...(perStage ? { perStage } : {}),
      };
      return { workers: [w] };
    }
  }
  return null;
}

const isQue = (w: string) => /(^|\/)que$/.test(w);

/** The `task :name do … end` call on that line. */
function findTask(node: any, p: ParsedRuby, line: number): any {
  if (!node) return null;
  if (kind(node) === "CallNode" && node.name === "task" && node.block && p.sourceOf(node).line === line) return node;
  const kids: any[] = childrenOf(node);
  for (const k of kids) {
    const f = findTask(k, p, line);
    if (f) return f;
  }
  return null;
}

/** Receiver-less `execute`/`run`/`sudo` calls under a node, each with the nodes around it. */
function findRun(node: any, ancestors: any[]): { call: any; ancestors: any[] }[] {
  const out: { call: any; ancestors: any[] }[] = [];
  if (kind(node) === "CallNode" && !node.receiver && RUNS.has(node.name) && argsOf(node).length) out.push({ call: node, ancestors });
  const kids: any[] = childrenOf(node);
  for (const k of kids) out.push(...findRun(k, [...ancestors, node]));
  return out;
}

/** The call's arguments as SSHKit joins them: one word each, a string's spaces and `#{…}` kept as written. */
function joinArgs(call: any, p: ParsedRuby): string {
  return argsOf(call)
    .filter((a) => kind(a) !== "KeywordHashNode")
    .map((a) => piece(a, p))
    .join(" ");
}

function piece(n: any, p: ParsedRuby): string {
  switch (kind(n)) {
    case "StringNode":
      return n.unescaped?.value ?? "";
    case "SymbolNode":
      return n.unescaped?.value ?? "";
    case "InterpolatedStringNode":
      return (n.parts ?? []).map((x: any) => (kind(x) === "StringNode" ? (x.unescaped?.value ?? "") : kind(x) === "EmbeddedStatementsNode" ? `#{${x.statements ? p.textOf(x.statements) : ""}}` : piece(x, p))).join("");
    case "CallNode":
      // `"a" + "b"`: one string.
      if (n.name === "+" && n.receiver && argsOf(n).length === 1) return piece(n.receiver, p) + piece(argsOf(n)[0], p);
      return `#{${p.textOf(n)}}`;
    default:
      return `#{${p.textOf(n)}}`;
  }
}

/** bin/que's arguments for the pinned version: options kept, files made relative to the image's app directory. */
function queArgs(words: string[], version: string | null): { args: string[]; queues: string[]; notes: string[] } | { unknown: string } {
  const major = version ? parseInt(version, 10) : NaN;
  const opts = major === 0 ? OPTIONS_0 : OPTIONS_1;
  const args: string[] = [];
  const queues: string[] = [];
  const files: string[] = [];
  const notes: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const eq = /^(--[a-z-]+)=(.*)$/.exec(w);
    const opt = eq ? eq[1]! : w;
    if (/^-/.test(w)) {
      if (opts.flag.includes(opt)) {
        args.push(w);
        continue;
      }
      if (!opts.value.includes(opt)) return { unknown: `\`${w}\` is not an option of que ${version ?? "(version not in Gemfile.lock)"}'s command line` };
      const v = eq ? eq[2]! : words[++i];
      if (v === undefined || !PLAIN.test(v)) return { unknown: `the value of que's \`${opt}\` (${v ?? "missing"}) is not known statically` };
      args.push(opt, v);
      if (opt === "-q" || opt === "--queue-name") {
        // 0.x keeps the last -q only; 1.x works every one given.
        if (major === 0) queues.splice(0, queues.length, v);
        else queues.push(v);
      }
      continue;
    }
    const rel = w.replace(RELEASE, "./");
    if (!PLAIN.test(rel) || rel.startsWith("/") || rel.includes("..")) return { unknown: `the file que requires (${w}) is a path of the servers the analysis cannot map into the image` };
    files.push(rel);
    if (rel !== w) notes.push(`${w} is the release directory's ${rel.slice(2)}, required from the image's app directory`);
  }
  if (!files.length && major === 0) notes.push("que 0.x's command exits without a file to require; the servers' line gave none");
  return { args: [...args, ...files], queues, notes };
}

/** Processes per server from a `(a..b).each` / `n.times` block around the call, per stage. */
function loopCount(ancestors: any[], p: ParsedRuby, stages: Stage[]): WorkerFacts["perStage"] | null {
  const loop = [...ancestors].reverse().find((a) => kind(a) === "CallNode" && a.block && (a.name === "each" || a.name === "times") && a.receiver);
  if (!loop) return null;
  const source = p.sourceOf(loop);
  const written = p.textOf(loop.receiver) + "." + loop.name;
  const out: NonNullable<WorkerFacts["perStage"]> = {};
  for (const s of stages) {
    const scope = stageScope(s);
    let n: number | null = null;
    let recv = loop.receiver;
    while (kind(recv) === "ParenthesesNode" && kind(recv.body) === "StatementsNode" && recv.body.body.length === 1) recv = recv.body.body[0];
    if (loop.name === "times") {
      const v = evaluate(recv, p, scope);
      n = typeof v === "number" && Number.isInteger(v) ? v : null;
    } else if (kind(recv) === "RangeNode") {
      const a = evaluate(recv.left, p, scope);
      const b = evaluate(recv.right, p, scope);
      if (typeof a === "number" && typeof b === "number" && Number.isInteger(a) && Number.isInteger(b)) n = Math.max(0, b - a + (p.textOf(recv).includes("...") ? 0 : 1));
    }
    out[s.name] = n === null ? { processes: 1, why: `${written} is not known for stage ${s.name}`, source, unknown: `the loop ${written} that starts the que processes` } : { processes: n, why: `${written} starts ${n} que process${n === 1 ? "" : "es"} per server`, source };
  }
  return out;
}
