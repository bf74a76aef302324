// capistrano-sidekiq's variables, per stage, as its start and stop used them (0.x and 1.x start
// `sidekiq --environment <sidekiq_env> --queue <q>… --config <sidekiq_config> --concurrency <n>
// --daemon`, and stop with `sidekiqctl stop <pid> <sidekiq_timeout>`: TERM, then SIGKILL after that
// many seconds; 2.x/3.x put the same flags in their systemd and monit templates). The plugin's own
// defaults add no flag (concurrency, queues and config nil; sidekiq_env the stage's Rails env), so only
// a variable the repo set changes the command; its default `sidekiq_timeout` of 10 is shorter than
// Sidekiq's own and changes nothing here. `sidekiq_processes` and `sidekiq_roles` are read where the
// replicas are counted (emitters/kustomize/rules/sidekiq.ts workerReplicas); processes started with different
// `sidekiq_options_per_process` words become one Deployment each (analyzers/workers/sidekiq-processes.ts).
import { queuesFromArgs } from "./backends.js";
import { sidekiqFlagTimeout } from "./timeouts.js";
import { isV3, warnV3Unread } from "./sidekiq-v3-unread.js";
import { perRoleProcesses } from "./sidekiq-started.js";
import { isSym, railsEnvOf, type AnalyzerContext, type Fact, type RValue, type SidekiqFacts, type SidekiqOptionWords, type SidekiqStagePlugin, type Stage } from "../../src/model.js";

const scalar = (v: RValue | undefined): string | null =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : v && isSym(v) ? v.sym : null;

/** A whole, non-negative number as a Fact, or null (with a warning when the repo set something else). */
function count(ctx: AnalyzerContext, stage: Stage, name: string): Fact<number> | null {
  const f = stage.variables[name];
  if (!f) return null;
  const s = scalar(f.value);
  if (s !== null && /^\s*\d+\s*$/.test(s)) return { value: Number(s), source: f.source };
  ctx.problem({ ...f.source, message: `capistrano-sidekiq: ${name} of stage ${stage.name} is not a number the analysis can read; the worker runs without it`, severity: "warning" });
  return null;
}

/** A config path as the release sees it: relative, or under `current`/`releases/<x>` (the repo's own file). */
function repoPath(v: RValue): string | null {
  const pieces = v && typeof v === "object" && "interp" in v ? (v as { interp: RValue[] }).interp : [v];
  const last = pieces[pieces.length - 1];
  if (typeof last !== "string") return null;
  // `"#{current_path}/config/sidekiq.yml"`: the text after the release's root is the repo path.
  if (pieces.length > 1) {
    // Under shared_path (or any other place than the release) it is the servers' file, not the repo's.
    const head = JSON.stringify(pieces.slice(0, -1));
    if (/shared/.test(head)) return null;
    const rel = /\/(?:current|releases\/[^/]+)\/(.+)$/.exec(last);
    if (rel) return rel[1]!;
    if (!/current_path|release_path/.test(head)) return null;
    const m = /^\/?(config\/.+)$/.exec(last);
    return m ? m[1]! : null;
  }
  const m = /\/(?:current|releases\/[^/]+)\/(.+)$/.exec(last);
  if (m) return m[1]!;
  return last.startsWith("/") ? null : last.replace(/^\.\//, "");
}

/** `readConfig` is the Sidekiq analyzer's reader of a config file (passed in: that analyzer calls this one). */
export function sidekiqPluginStages(
  ctx: AnalyzerContext,
  stages: Stage[],
  evidence: SidekiqFacts["evidence"],
  readConfig: (file: string) => NonNullable<SidekiqStagePlugin["config"]>["facts"],
  gem: { version: Fact<string> | null; monit: boolean } = { version: null, monit: false },
): Record<string, SidekiqStagePlugin> {
  const out: Record<string, SidekiqStagePlugin> = {};
  const startLine = perProcessStartLine(gem);
  const v3 = isV3(gem.version?.value);
  for (const stage of stages) {
    // 3.x reads none of the pre-3.x start-line variables (sidekiq-v3-unread.ts): each one set is
    // warned there and hidden from the reading below, which then applies nothing of it.
    const unread = v3 ? warnV3Unread(ctx, stage, gem.version!.value) : new Set<string>();
    const s: Stage = unread.size ? { ...stage, variables: Object.fromEntries(Object.entries(stage.variables).filter(([k]) => !unread.has(k))) } : stage;
    const p: SidekiqStagePlugin = {};
    const wait = count(ctx, s, "sidekiq_timeout");
    if (wait) p.stopWait = wait;
    const conc = count(ctx, s, "sidekiq_concurrency");
    if (conc) p.concurrency = conc;
    const q = s.variables["sidekiq_queue"];
    if (q) {
      const list = (Array.isArray(q.value) ? q.value : [q.value]).map(scalar);
      if (list.every((x): x is string => x !== null && x !== "")) p.queues = { value: list, source: q.source };
      else ctx.problem({ ...q.source, message: `capistrano-sidekiq: sidekiq_queue of stage ${s.name} is not a list of names the analysis can read; the worker takes the config file's queues`, severity: "warning" });
    }
    const c = s.variables["sidekiq_config"];
    if (c) {
      const file = repoPath(c.value);
      if (file && ctx.repo.paths.includes(file)) p.config = { value: file, source: c.source, facts: readConfig(file) };
      else {
        // The servers' Sidekiq read that file (its -C); the repo's own config, if any, is only a stand-in.
        const shown = typeof c.value === "string" ? `\`${c.value}\`` : "a value the analysis cannot read";
        const where = file ? `${file}, which the repo does not hold` : "a path of the servers, not of the release";
        ctx.problem({ ...c.source, message: `capistrano-sidekiq: sidekiq_config of stage ${s.name} is ${shown} (${where}): the servers' Sidekiq took its concurrency, queues and timeout from that file, which are not known here; the worker runs with the repo's own config/sidekiq.yml where it has one (else Sidekiq's defaults) as a placeholder: read the servers' file and set the worker's -c, queues and timeout`, severity: "warning" });
      }
    }
    const e = s.variables["sidekiq_env"];
    if (e) {
      const env = scalar(e.value);
      if (env && env !== railsEnvOf(s)) p.env = { value: env, source: e.source };
      else if (!env) ctx.problem({ ...e.source, message: `capistrano-sidekiq: sidekiq_env of stage ${s.name} is not a name the analysis can read; Sidekiq runs in the stage's Rails env`, severity: "warning" });
    }
    // 0.5.3–1.x count a server's processes per role: `<role>_processes` over sidekiq_processes, and
    // index sidekiq_options_per_process by that count where each server has one of the roles
    // (sidekiq-started.ts perRoleProcesses); where the count is not one per stage, a warning.
    const perRole = startLine === true ? perRoleProcesses(s, gem.version) : null;
    if (perRole && "mixed" in perRole && s.variables["sidekiq_options_per_process"])
      ctx.problem({ ...perRole.source, message: `capistrano-sidekiq: stage ${s.name}'s processes per server are counted per role (<role>_processes over sidekiq_processes), and ${perRole.mixed}; the analysis indexes sidekiq_options_per_process by sidekiq_processes: check the per-process options`, severity: "warning" });
    else if (perRole && !("mixed" in perRole) && perRole.variable !== "sidekiq_processes")
      evidence.push({ value: `${s.name}: capistrano-sidekiq counts ${perRole.variable} ${JSON.stringify(perRole.value)} processes per server (its servers have that role), over sidekiq_processes`, source: perRole.source });
    // `sidekiq_options` follows the per-process words on every process's start line.
    const all = startLine === true ? s.variables["sidekiq_options"] : undefined;
    for (const name of ["sidekiq_options_per_process", "sidekiq_options"])
      if (startLine !== true && !v3 && s.variables[name] && (startLine.monitOnly === false || name === "sidekiq_options"))
        ctx.problem({ ...s.variables[name]!.source, message: `capistrano-sidekiq: ${name} of stage ${s.name} is not used by capistrano-sidekiq ${startLine.version} (${startLine.why}); the worker runs without it`, severity: "warning" });
    let common: string[] = [];
    if (all && all.value !== null && all.value !== false) {
      const ws = typeof all.value === "string" ? all.value.trim().split(/\s+/).filter(Boolean) : null;
      if (ws && ws.every((w) => WORD.test(w))) common = ws;
      else ctx.problem({ ...all.source, message: `capistrano-sidekiq: sidekiq_options of stage ${s.name} is not a string of plain flags and names the analysis can read; the worker runs without it`, severity: "warning" });
    }
    const per = startLine === true || startLine.monitOnly ? s.variables["sidekiq_options_per_process"] : undefined;
    const o = per ? perProcessOptions(per.value, perRole && !("mixed" in perRole) ? perRole.value : s.variables["sidekiq_processes"]?.value) : null;
    if (per && o && "unknown" in o) ctx.problem({ ...per.source, message: `capistrano-sidekiq: sidekiq_options_per_process of stage ${s.name} ${o.unknown}; the worker runs without those options`, severity: "warning" });
    const used = o && !("unknown" in o) ? o.used : common.length ? [[]] : null;
    if (used) {
      const at = (per && o && !("unknown" in o) ? per : all)!.source;
      const kept = used.map((ws) => podWords([...ws, ...common]));
      const dropped = [...new Set(kept.flatMap((k) => k.dropped))];
      if (dropped.length)
        ctx.problem({ ...at, message: `capistrano-sidekiq: stage ${s.name}'s start line${kept.length > 1 ? "s" : ""} pass${kept.length > 1 ? "" : "es"} ${dropped.map((d) => `\`${d}\``).join(", ")}: left out of the pod's command (a daemonized Sidekiq would leave the container's main process to exit, its log belongs on stdout where kubectl logs reads it, and no pid file is read in a pod)`, severity: "warning" });
      const sets = optionSets(kept.map((k) => k.words));
      if (sets.length === 1 && sets[0]!.words.length) {
        const only = sets[0]!;
        p.options = { value: only.words, source: at, queues: only.queues, concurrency: only.concurrency };
      } else if (sets.length > 1) p.perProcess = { value: o && !("unknown" in o) ? o.entries : [], source: at, processes: used.length, sets };
      if (o && !("unknown" in o) && o.unused.length) p.unusedOptions = { value: o.unused, source: per!.source, processes: o.used.length };
      if (common.length) evidence.push({ value: `${s.name}: capistrano-sidekiq sidekiq_options ${JSON.stringify(all!.value)} (after each process's own words)`, source: all!.source });
    }
    const said: [string, Fact<unknown> | undefined][] = [
      ["sidekiq_options_per_process", per && o && !("unknown" in o) ? per : undefined],
      ["sidekiq_timeout", p.stopWait],
      ["sidekiq_concurrency", p.concurrency],
      ["sidekiq_queue", p.queues],
      ["sidekiq_config", p.config],
      ["sidekiq_env", p.env],
    ];
    for (const [name, f] of said) if (f) evidence.push({ value: `${s.name}: capistrano-sidekiq ${name} ${JSON.stringify(f.value)}`, source: f.source });
    if (Object.keys(p).length) out[s.name] = p;
  }
  return out;
}

/**
 * Whether the locked capistrano-sidekiq put the per-process words on a start line: 0.5–1.x did (its
 * start_sidekiq, with `sidekiq_options` after them); 2.x only through its monit template (installed
 * with `Capistrano::Sidekiq::Monit`), which has no `sidekiq_options`; its systemd and upstart units,
 * and 3.x altogether, start every process alike. No version locked: read as 1.x, which defined them.
 */
function perProcessStartLine(gem: { version: Fact<string> | null; monit: boolean }): true | { version: string; monitOnly: boolean; why: string } {
  const v = gem.version?.value;
  const major = v ? Number.parseInt(v, 10) : NaN;
  if (!Number.isFinite(major) || major < 2) return true;
  if (major === 2 && gem.monit) return { version: v!, monitOnly: true, why: "its monit template has no sidekiq_options" };
  return { version: v!, monitOnly: false, why: major === 2 ? "its systemd and upstart units start every process alike; only its monit integration, not installed here, reads per-process options" : "it starts every process alike through its systemd unit" };
}

/** One command-line word capistrano-sidekiq pasted into its start line: flags and plain names only. */
const WORD = /^[A-Za-z0-9_.:=,@%+/-]+$/;

/**
 * capistrano-sidekiq 0.5–1.x (its start_sidekiq): the processes of a server are numbered 0… in the
 * order of its pid files (`sidekiq_processes` of them), and process i's start line gets
 * `sidekiq_options_per_process[i]` appended after the plugin's own flags (`--queue`s of
 * sidekiq_queue, `--config`, `--concurrency`) and before `sidekiq_options`; a process past the list's
 * end gets nothing (`nil`, dropped by `compact`), and an entry past `sidekiq_processes` is never used.
 * `used` holds each started process's words; `unused` the entries no process got.
 */
export function perProcessOptions(v: RValue, processes: RValue | undefined): { entries: string[]; used: string[][]; unused: string[] } | { unknown: string } {
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === "string")) return { unknown: "is not a list of strings the analysis can read" };
  const n = processes === undefined ? 1 : typeof processes === "number" ? processes : typeof processes === "string" && /^\d+$/.test(processes) ? Number(processes) : null;
  if (n === null) return { unknown: "depends on sidekiq_processes, which the analysis cannot read" };
  const entries = list as string[];
  const used = Array.from({ length: Math.max(1, n) }, (_, i) => (entries[i] ?? "").trim().split(/\s+/).filter(Boolean));
  if (!used.every((ws) => ws.every((w) => WORD.test(w)))) return { unknown: "holds words other than plain flags and names (quotes, shell syntax)" };
  return { entries, used, unused: entries.slice(Math.max(1, n)) };
}

/**
 * The words a pod can run: Sidekiq's daemon, log file and pid file flags (`-d`, `-L x`, `-P x`, in
 * their long forms too) served the servers' start line only, and `--index` numbered a server's pid files.
 */
export function podWords(words: string[]): { words: string[]; dropped: string[] } {
  const out: string[] = [];
  const dropped: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "-d" || w === "--daemon") dropped.push(w);
    else if (/^--(logfile|pidfile|index)=/.test(w)) dropped.push(w);
    else if (["-L", "--logfile", "-P", "--pidfile", "-i", "--index"].includes(w) && words[i + 1] !== undefined) dropped.push(`${w} ${words[++i]}`);
    else out.push(w);
  }
  return { words: out, dropped };
}

/** A set of per-process words as Sidekiq's CLI reads them, and how many of a server's processes got it. */
export type SidekiqOptionSet = SidekiqOptionWords & { processes: number };

/** The distinct word lists of a server's processes, in the order of the first process that got each. */
export function optionSets(used: string[][]): SidekiqOptionSet[] {
  const out = new Map<string, SidekiqOptionSet>();
  for (const words of used) {
    const key = JSON.stringify(words);
    const have = out.get(key);
    if (have) have.processes++;
    else out.set(key, { words, queues: queuesFromArgs(words), concurrency: concurrencyOf(words), timeout: sidekiqFlagTimeout(words.join(" "), { file: "", line: 0 })?.seconds ?? null, processes: 1 });
  }
  return [...out.values()];
}

function concurrencyOf(words: string[]): number | null {
  const c = words.flatMap((w, i) => ((w === "-c" || w === "--concurrency") && words[i + 1] ? [words[i + 1]!] : w.startsWith("--concurrency=") ? [w.slice("--concurrency=".length)] : [])).pop();
  return c !== undefined && /^\d+$/.test(c) ? Number(c) : null;
}
