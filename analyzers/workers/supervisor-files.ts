// Bluepill (`*.pill`) and eye (`*.eye`) files the deploy loads (`bluepill load …/config/production.pill`,
// `execute :eye, :load, "#{current_path}/config/#{fetch(:stage)}.eye"`): supervisors like god, whose
// processes ran on the servers of the task that loads them. Read statically with Prism, as god files
// are (god.ts): each `process(name) { start_command … }` is a process; a loop around it
// (`(1..16).each do |i|`, `N.times do |i|`) is that many; the loop variable in the command is its
// first value (the processes differ only in it, as `-i #{i}`). Stop: bluepill's `stop_grace_time`
// and eye's `stop_grace` are how long the supervisor gave a stopping process before it counted it
// down: the drain the servers allowed, carried as the worker's stop timeout.
import type { AnalyzerContext, Source, Stage, WorkerFacts } from "../../src/model.js";
import { railsEnvOf } from "../../src/model.js";
import { startLines } from "../appserver/started.js";
import { argsOf, childrenOf, kind, parseRuby, type ParsedRuby } from "../ruby/prism.js";
import { onRoles } from "./deploy-methods.js";

export type SupervisorTool = "bluepill" | "eye";

export interface SupervisedProcess {
  tool: SupervisorTool;
  /** The process name as written (`hnsearch-delayed_job.#{i}`). */
  name: string;
  /** The start command with the loop variable as its first value; null when not a string the file states. */
  command: string | null;
  /** The start_command's argument as written. */
  written: string;
  /** Why the command is not known, when it is not. */
  unknown?: string;
  /** Processes this block starts: the loop's count, 1 without a loop, null when the loop's count is not stated. */
  count: number | null;
  loop: { written: string; source: Source } | null;
  stop: { seconds: number; written: string; source: Source } | null;
  /** The process block's line. */
  source: Source;
  /** The start_command line. */
  commandSource: Source;
}

export interface SupervisorLoad {
  tool: SupervisorTool;
  /** The repo file each stage loads (a `#{fetch(:stage)}` in the path gives each stage its own). */
  files: { stage: string; file: string }[];
  /** The deploy line that loads it. */
  source: Source;
  /** The roles of the task around the line; null when not literal. */
  roles: { roles: string[]; source: Source } | null;
  /** Stages whose file, as the line names it for them, is not a file of the repo (the path as filled in). */
  missing?: { stage: string; file: string }[];
}

const LOAD = /\b(bluepill|eye)\b[\s\S]*?\bload\b[\s,:"']+((?:#\{[^}]*\}|[^\s"',)])+)/;

/** The deploy lines that load a bluepill or eye file of the repo, with the file per stage. */
export function supervisorLoads(ctx: AnalyzerContext, stages: readonly Stage[]): SupervisorLoad[] {
  const out: SupervisorLoad[] = [];
  for (const l of startLines(ctx)) {
    if (l.service || /^\s*#/.test(l.text)) continue;
    const m = LOAD.exec(l.text);
    if (!m) continue;
    const tool = m[1] as SupervisorTool;
    const files: { stage: string; file: string }[] = [];
    const missing: { stage: string; file: string }[] = [];
    for (const st of stages.length ? stages : [{ name: "", variables: {} } as unknown as Stage]) {
      const written = stagePath(m[2]!, st);
      const file = written.replace(/^#\{\s*(?:fetch\(\s*:)?(?:current_path|release_path)\s*\)?\s*\}\//, "").replace(/^\/.*\/(?:current|releases\/[^/]+)\//, "").replace(/^\.\//, "");
      if (ctx.repo.paths.includes(file)) files.push({ stage: st.name, file });
      else missing.push({ stage: st.name, file });
    }
    if (!files.length) continue;
    out.push({ tool, files, source: l.source, roles: taskRoles(ctx, l.source), ...(missing.length && stages.length ? { missing } : {}) });
  }
  return out;
}

/**
 * A load path as the stage's deploy filled it in: `#{fetch(:stage)}`/`#{stage}` is the stage's name,
 * `#{fetch(:rails_env)}`/`#{rails_env}` its Rails env (a Capistrano 2 `set :rails_env, :production`
 * is the word), and another variable the stage sets to a plain word is that word. Anything else stays
 * as written, so the file is not found and the stage is said to load a file the repo lacks.
 */
function stagePath(written: string, st: Stage): string {
  return written.replace(/#\{\s*(?:fetch\(\s*:(\w+)\s*\)|(\w+))\s*\}/g, (all, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    if (name === "stage") return st.name;
    if (name === "current_path" || name === "release_path") return all;
    if (!st.variables) return all;
    if (name === "rails_env" && st.variables["rails_env"]) return railsEnvOf(st);
    const v = st.variables[name]?.value;
    const word = typeof v === "string" ? v : typeof v === "object" && v !== null && "sym" in v && typeof v.sym === "string" ? v.sym : null;
    return word !== null && /^[\w.-]+$/.test(word) ? word : all;
  });
}

/** The roles around a deploy line: Capistrano 3's `on roles(:x)`, or Capistrano 2's `task :x, roles: [:y]`. */
export function taskRoles(ctx: AnalyzerContext, at: Source): { roles: string[]; source: Source } | null {
  const r = ctx.repo.read(at.file);
  if ("error" in r) return null;
  const parsed = parseRuby(at.file, r.text);
  if (parsed.errors.length) return null;
  let found: { roles: string[]; source: Source } | null = null;
  const walk = (node: any, ancestors: any[]): void => {
    if (found || !node) return;
    if (kind(node) === "CallNode" && parsed.lineOf(node.location.startOffset) === at.line && ["run", "execute", "sudo", "test"].includes(String(node.name))) {
      const on = onRoles(ancestors, parsed.sourceOf.bind(parsed));
      if (on) found = { roles: on.roles, source: on.source };
      else for (const a of [...ancestors].reverse()) if (kind(a) === "CallNode" && a.name === "task") { found = cap2Roles(parsed, a); break; }
      if (found) return;
    }
    for (const k of childrenOf(node)) walk(k, [...ancestors, node]);
  };
  walk(parsed.root, []);
  return found;
}

function cap2Roles(parsed: ParsedRuby, task: any): { roles: string[]; source: Source } | null {
  for (const a of argsOf(task)) {
    if (kind(a) !== "KeywordHashNode" && kind(a) !== "HashNode") continue;
    for (const el of a.elements ?? []) {
      if (kind(el) !== "AssocNode" || kind(el.key) !== "SymbolNode" || !/^roles?$/.test(el.key.unescaped?.value)) continue;
      const vs = kind(el.value) === "ArrayNode" ? el.value.elements : [el.value];
      const names = vs.map((v: any) => (kind(v) === "SymbolNode" || kind(v) === "StringNode" ? (v.unescaped?.value as string) : null));
      if (names.length && names.every((x: string | null) => !!x)) return { roles: names, source: parsed.sourceOf(task) };
    }
  }
  return null;
}

const UNITS: Record<string, number> = { second: 1, seconds: 1, minute: 60, minutes: 60, hour: 3600, hours: 3600 };

/** The processes a bluepill or eye file starts. */
export function supervisedProcesses(ctx: AnalyzerContext, file: string, tool: SupervisorTool): SupervisedProcess[] {
  const r = ctx.repo.read(file);
  if ("error" in r) return [];
  const parsed = parseRuby(file, r.text);
  if (parsed.errors.length) return [];
  const out: SupervisedProcess[] = [];
  // Locals assigned before a process block, in the file's order, are visible inside it (a block is a
  // closure: `app_root = "/srv/x/current"` at the top, then `start_command "#{app_root}/bin/…"`).
  // A block sees a copy (what it assigns stays in it); a method body sees none of them; an
  // assignment under a condition or loop may not have run, so its local is not known.
  const walk = (node: any, loops: Loop[], locals: Locals, maybe: boolean): void => {
    if (!node) return;
    const k = kind(node);
    // A constant (`RAILS_ROOT = "#{APP_ROOT}/current"`) is read like a local: a pill file's paths are often constants.
    if (k === "LocalVariableWriteNode" || k === "ConstantWriteNode") {
      const name = String(node.name);
      const line = parsed.sourceOf(node).line;
      const v = stringOf(node.value, loopEnv(loops), locals);
      locals.set(name, maybe ? { value: null, line, why: "is assigned under a condition or loop" } : v.value !== null ? { value: v.value, line } : { value: null, line, why: v.why ?? `is not a string the file states (${parsed.textOf(node.value).slice(0, 60)})` });
      return;
    }
    if (k === "DefNode") return;
    if (k === "CallNode" && node.block && kind(node.block) === "BlockNode") {
      const loop = loopOf(parsed, node);
      if (loop) {
        const inner = new Map(locals);
        for (const c of childrenOf(node.block)) walk(c, [...loops, loop], inner, maybe);
        return;
      }
      if (node.name === "process" && argsOf(node).length >= 1) {
        out.push(processOf(parsed, tool, node, loops, locals));
        return;
      }
      for (const c of childrenOf(node)) if (c !== node.block) walk(c, loops, locals, maybe);
      const inner = new Map(locals);
      for (const c of childrenOf(node.block)) walk(c, loops, inner, maybe);
      return;
    }
    const branch = maybe || CONDITIONAL.has(k);
    for (const c of childrenOf(node)) walk(c, loops, locals, branch);
  };
  walk(parsed.root, [], new Map(), false);
  return out;
}

type Loop = { variable: string | null; first: number | null; count: number | null; written: string; source: Source };
/** A local's string value where the file states it, else why not, with its line. */
type Locals = Map<string, { value: string | null; line: number; why?: string }>;
const CONDITIONAL = new Set(["IfNode", "UnlessNode", "CaseNode", "WhileNode", "UntilNode", "RescueNode", "EnsureNode", "ForNode", "AndNode", "OrNode"]);

/** The loop variables at their first value. */
function loopEnv(loops: Loop[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const l of loops) if (l.variable && l.first !== null) env.set(l.variable, String(l.first));
  return env;
}

/** `(a..b).each do |i|`, `N.times do |i|` with literal numbers: the loop's variable, first value and count. */
function loopOf(parsed: ParsedRuby, call: any): { variable: string | null; first: number | null; count: number | null; written: string; source: Source } | null {
  const name = String(call.name);
  if (!["each", "times", "each_with_index", "upto"].includes(name)) return null;
  const params = call.block.parameters?.parameters?.requireds ?? [];
  const variable = params[0] && kind(params[0]) === "RequiredParameterNode" ? String(params[0].name) : null;
  const written = parsed.textOf(call).split(/\r?\n/)[0]!.trim();
  const source = parsed.sourceOf(call);
  let recv = call.receiver;
  while (recv && kind(recv) === "ParenthesesNode") recv = recv.body?.body?.[0];
  const int = (n: any) => (n && kind(n) === "IntegerNode" ? Number(n.value) : null);
  if (name === "times") {
    const n = int(recv);
    return { variable, first: 0, count: n, written, source };
  }
  if (recv && kind(recv) === "RangeNode") {
    const a = int(recv.left);
    const b = int(recv.right);
    const exclusive = parsed.textOf(recv).includes("...");
    return { variable, first: a, count: a !== null && b !== null ? Math.max(0, b - a + (exclusive ? 0 : 1)) : null, written, source };
  }
  return { variable, first: null, count: null, written, source };
}

function processOf(parsed: ParsedRuby, tool: SupervisorTool, call: any, loops: Loop[], outer: Locals): SupervisedProcess {
  const env = loopEnv(loops);
  const name = parsed.textOf(argsOf(call)[0]).replace(/^["':]|["']$/g, "");
  let command: string | null = null;
  let written = "";
  let unknown: string | undefined = "the file sets no start_command";
  let commandSource = parsed.sourceOf(call);
  let stop: SupervisedProcess["stop"] = null;
  const locals: Locals = new Map(outer);
  const visit = (n: any): void => {
    if (!n) return;
    const k = kind(n);
    if (k === "LocalVariableWriteNode") {
      const v = stringOf(n.value, env, locals);
      locals.set(String(n.name), v.value !== null ? { value: v.value, line: parsed.sourceOf(n).line } : { value: null, line: parsed.sourceOf(n).line, why: v.why ?? "is not a string the file states" });
    }
    if (k === "CallNode") {
      const m = String(n.name).replace(/=$/, "");
      const arg = argsOf(n)[0];
      if (m === "start_command" && arg) {
        const v = stringOf(arg, env, locals);
        command = v.value;
        written = parsed.textOf(arg);
        unknown = v.value === null ? `its start_command is not a string the file states (${parsed.textOf(arg).slice(0, 80)})${v.why ? `: ${v.why}` : ""}` : undefined;
        commandSource = parsed.sourceOf(n);
      }
      // bluepill's stop_grace_time, eye's stop_grace: how long a stopping process was given
      if (((tool === "bluepill" && m === "stop_grace_time") || (tool === "eye" && m === "stop_grace")) && arg) {
        const d = durationOf(arg);
        if (d !== null) stop = { seconds: d, written: parsed.textOf(n).trim(), source: parsed.sourceOf(n) };
      }
    }
    for (const c of childrenOf(n)) visit(c);
  };
  visit(call.block);
  const known = loops.every((l) => l.count !== null);
  return {
    tool,
    name,
    command,
    written,
    ...(unknown ? { unknown } : {}),
    count: known ? loops.reduce((a, l) => a * l.count!, 1) : null,
    loop: loops.length ? { written: loops.map((l) => l.written).join(" / "), source: loops[loops.length - 1]!.source } : null,
    stop,
    source: parsed.sourceOf(call),
    commandSource,
  };
}

/**
 * A string literal, or one interpolating only the loop variables and the locals the file states
 * (a local holding a string the file states: `app_root = "/srv/x/current"`); else why not, naming
 * the local and its line.
 */
function stringOf(n: any, env: Map<string, string>, locals: Locals): { value: string | null; why?: string } {
  const k = kind(n);
  if (k === "StringNode") return { value: String(n.unescaped?.value ?? "") };
  const read = (node: any): { value: string | null; why?: string } => {
    const name = String(node.name);
    const loop = env.get(name);
    if (loop !== undefined) return { value: loop };
    const l = locals.get(name);
    if (!l) return { value: null, why: `the local \`${name}\` is not assigned before it in the file` };
    return l.value !== null ? { value: l.value } : { value: null, why: `the local \`${name}\` (line ${l.line}) ${l.why}` };
  };
  if (k === "LocalVariableReadNode" || k === "ConstantReadNode") return read(n);
  if (k !== "InterpolatedStringNode") return { value: null };
  let s = "";
  for (const p of n.parts ?? []) {
    if (kind(p) === "StringNode") s += String(p.unescaped?.value ?? "");
    else if (kind(p) === "EmbeddedStatementsNode") {
      const body = p.statements?.body ?? [];
      if (body.length !== 1 || !["LocalVariableReadNode", "ConstantReadNode"].includes(kind(body[0]))) return { value: null };
      const v = read(body[0]);
      if (v.value === null) return v;
      s += v.value;
    } else return { value: null };
  }
  return { value: s };
}

/** `30.seconds`, `3.minutes`, `45`: seconds. */
function durationOf(n: any): number | null {
  if (kind(n) === "IntegerNode") return Number(n.value);
  if (kind(n) === "CallNode" && kind(n.receiver) === "IntegerNode" && String(n.name) in UNITS) return Number(n.receiver.value) * UNITS[String(n.name)]!;
  return null;
}

export interface LoadedProcess {
  p: SupervisedProcess;
  load: SupervisorLoad;
  /** Every stage loads this one file (not a file per stage). */
  single: boolean;
}

/** Every process of every bluepill/eye file the deploy loads, with its load. */
export function supervisorProcesses(ctx: AnalyzerContext, stages: readonly Stage[]): LoadedProcess[] {
  const out: LoadedProcess[] = [];
  for (const load of supervisorLoads(ctx, stages)) {
    const files = [...new Set(load.files.map((f) => f.file))];
    for (const file of files) for (const p of supervisedProcesses(ctx, file, load.tool)) out.push({ p, load, single: files.length === 1 });
  }
  return out;
}

/** Every stage's process states the same known count and the same stop grace (or none): one value carries them all. */
export function stageSettingsAgree(ps: readonly Pick<SupervisedProcess, "count" | "stop">[]): boolean {
  return ps.length > 0 && ps.every((p) => p.count !== null && p.count === ps[0]!.count && (p.stop?.seconds ?? null) === (ps[0]!.stop?.seconds ?? null));
}

/**
 * A bluepill/eye file per stage (`#{fetch(:stage)}.eye`): each stage's processes are its own file's.
 * Where a job backend's process is in them, the backend's worker does not take each stage's command
 * and count from its own file, and a stage whose file the repo lacks ran a file the analysis cannot
 * read: both said at the load line, so no stage silently runs another stage's processes. A load whose
 * path names a value other than the stage (`#{fetch(:rails_env)}.pill` unresolved) is said likewise.
 */
export function supervisorStageDoubts(ctx: AnalyzerContext, stages: readonly Stage[], backendOf: (command: string) => { label: string } | undefined, workers: readonly WorkerFacts[] = []): void {
  for (const load of supervisorLoads(ctx, stages)) {
    const files = [...new Set(load.files.map((f) => f.file))];
    const backends = new Map<string, string[]>();
    /** Per backend, what each stage's file starts (count and command), to tell files that agree from files that differ. */
    const starts = new Map<string, Set<string>>();
    /** Per backend, each stage's processes: what a worker taking only each stage's command leaves out. */
    const procs = new Map<string, { stage: string; p: SupervisedProcess }[]>();
    for (const f of load.files)
      for (const p of supervisedProcesses(ctx, f.file, load.tool)) {
        const b = backendOf(p.command ?? p.written);
        if (!b) continue;
        procs.set(b.label, [...(procs.get(b.label) ?? []), { stage: f.stage, p }]);
        const said = `${f.stage}: ${f.file}:${p.commandSource.line} starts ${p.count ?? "an unstated number of"} × \`${(p.command ?? p.written).slice(0, 120)}\``;
        backends.set(b.label, [...(backends.get(b.label) ?? []), said]);
        starts.set(b.label, (starts.get(b.label) ?? new Set()).add(`${p.count} ${p.command ?? p.written}`));
      }
    const missing = load.missing ?? [];
    // A worker that takes each stage's own line from these files (supervisor-stage-sidekiq.ts) takes the
    // count and stop grace too where every stage's file states the same; where they differ they are not
    // carried, and are said (audit B s26 #2: production's 4 × and 120s drain became 1 × and 25s, silently).
    const perStage = (label: string) => workers.some((w) => w.label === label && w.stageSidekiqOptions && Object.values(w.stageSidekiqOptions).every((o) => o.line && files.includes(o.line.file)));
    if (files.length > 1)
      for (const [label, said] of backends) {
        if (perStage(label)) {
          const ps = procs.get(label) ?? [];
          if (!stageSettingsAgree(ps.map((x) => x.p)))
            ctx.problem({ ...load.source, message: `workers.supervisor-stage-files: ${load.tool} loads a file per stage; the ${label} worker takes each stage's options from its own file, but the stages' process counts or stop graces differ and are not carried (${ps.map(({ stage, p }) => `${stage}: ${p.commandSource.file}:${p.commandSource.line} starts ${p.count ?? "an unstated number of"} ×, ${p.stop ? `stop grace ${p.stop.seconds}s (${p.stop.source.file}:${p.stop.source.line})` : "no stop grace"}`).join("; ")}): each Deployment runs one process per pod with the default stop timeout; set replicas and terminationGracePeriodSeconds per stage`, severity: "warning" });
          continue;
        }
        ctx.problem({ ...load.source, message: `workers.supervisor-stage-files: ${load.tool} loads a file per stage (${said.join("; ")}); ${starts.get(label)!.size === 1 && load.files.length === stages.length ? `each stage's file starts the same, but the ${label} worker does not take its other settings (stop grace, checks) per stage from its own file: compare them` : `the ${label} worker does not take each stage's command and processes from its own file: set them per stage`}${missing.length ? `; ${missing.map((m) => `stage ${m.stage}'s ${m.file} is not in the repo`).join(", ")}` : ""}`, severity: "warning" });
      }
    if (missing.length && !(files.length > 1 && backends.size))
      ctx.problem({ ...load.source, message: `workers.supervisor-stage-files: ${load.tool} loads ${missing.map((m) => `${m.file} on stage ${m.stage}`).join(", ")}, not in the repo: what ${missing.length > 1 ? "those stages" : "that stage"} ran under ${load.tool} is not known (the other stages' files are not taken for ${missing.length > 1 ? "theirs" : "its"}); read it on a server`, severity: "warning" });
  }
}
