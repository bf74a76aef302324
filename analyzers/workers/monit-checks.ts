// Monit checks the deploy starts: a monit file kept in the repo (config/deploy/monitrc/<stage>.monitrc,
// a templates/x.monitrc.erb the deploy renders) whose `check process X … start program = "…"` the
// deploy runs, by the check's name (`monit start X`) or as a whole (`monit restart all` next to the
// line that copies or uploads the file). Each stage reads its own file where the files are named for
// the stages, else every file; an ERB file is rendered with the stage's variables. The servers are
// those of the roles around the deploy's monit line. Checks inside an ERB loop are monit-loops.ts'.
// A monit file may sit anywhere (contrib/monit/resque_worker): files are found by name, and by
// content (a `check process` with a `start program`). A check the deploy never starts by name is still
// the deploy's when a hooked task stops the processes it watches (`script/stop_workers` QUITs every
// resque process after each deploy): monit starts them again, on that task's roles.
import type { AnalyzerContext, CapistranoFacts, Source, Stage } from "../../src/model.js";
import { perItem } from "../per-item.js";
import { renderErb } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { repoPathOf } from "../appserver/files.js";
import { unwrapCommand } from "../../src/model/service-managers.js";
import { backendOfCommand } from "./backends.js";
import { methodStarts, type OnRoles } from "./deploy-methods.js";
import { deployStopsOf } from "./deploy-task-lines.js";

export interface MonitCheck {
  stage: string;
  file: string;
  check: string;
  /** The start program as the stage's servers got it (ERB rendered); null when a part of it is not known. */
  command: string | null;
  /** The start program's line in the file. */
  source: Source;
  /** The deploy line that starts it, and the roles around that line. */
  deploy: { on: OnRoles; source: Source; how: string };
  /** The deploy line that copies or uploads the file onto the servers, when one does. */
  loadedBy: Source | null;
  /** The start program runs a repo script (`…/current/script/start_worker`): its line that runs a job backend. */
  script?: ScriptStart;
  /** The deploy ties the check by stopping what it watches (monit restarts it), not by starting monit. */
  byStop?: true;
}

export interface ScriptStart {
  file: string;
  /** The script's line that runs the backend, as written, and where. */
  text: string;
  source: Source;
  /** The start program's own words before the script (`QUEUE=x`), its environment. */
  env: string[];
}

/** Monit control files and templates kept in the repo. */
export const MONIT_FILE = /(^|\/)monit\/[^/]+$|\.monitrc(\.erb)?$|(^|\/)monitrc(\.erb)?$/;
const CHECK = /^\s*check\s+process\s+(\S+)/i;
const START = /^\s*start\s+program\s*=\s*"((?:[^"\\]|\\.)*)"/i;
const LOOP = /<%-?\s*[^%]*\b(?:times|each)\s+do\b/;

/** A file kept in the repo for a reason other than monit: code, data, assets, docs. */
const NOT_MONIT = /\.(rb|ru|rake|ya?ml|json|js|mjs|cjs|ts|tsx|jsx|css|scss|sass|less|html?|haml|slim|md|markdown|rdoc|lock|xml|svg|png|jpe?g|gif|ico|pdf|gz|zip|jar|woff2?|ttf|eot|map|csv|sql|py|go|java|c|h|cc|php|pl)$/i;
const NEVER = /(?:^|\/)(?:node_modules|vendor|spec|test|tmp|log|public|coverage|\.git)\//;
/** A `check process` line followed, on a later line, by a `start program =`: one pass over the lines (a regex spanning lines would go back over the text for each check, quadratic on a hostile file). */
function holdsCheckWithStart(text: string): boolean {
  let check = false;
  for (const line of text.split("\n")) {
    if (!check) check = CHECK.test(line);
    else if (/^\s*start\s+program\s*=/i.test(line)) return true;
  }
  return false;
}

/** The repo's monit files: by name (monit/…, *.monitrc), and any other file whose text holds a `check process` with a `start program`. */
export function monitFiles(ctx: AnalyzerContext): string[] {
  return ctx.repo.paths.filter((p) => MONIT_FILE.test(p) || (!NEVER.test(p) && !NOT_MONIT.test(p.replace(/\.erb$/, "")) && perItem(ctx, { file: p }, "whether this file is a monit file", false, () => {
    const r = ctx.repo.read(p);
    return !("error" in r) && /check\s+process/i.test(r.text) && holdsCheckWithStart(r.text);
  })));
}

/**
 * The repo script a start program runs (`/bin/sh -c 'QUEUE=x /u/apps/app/current/script/start_worker'`:
 * the release's script/start_worker), when a line of it runs a job backend: that line, and the
 * program's own leading assignments.
 */
export function scriptStartOf(ctx: AnalyzerContext, command: string): ScriptStart | null {
  const un = unwrapCommand(command, () => true);
  if (!un) return null;
  const env = un.words.filter((w, i) => un.words.slice(0, i + 1).every((x) => /^[A-Za-z_]\w*=/.test(x)));
  const program = un.words[env.length];
  if (!program) return null;
  const file = repoPathOf(program, null);
  if (!file || !ctx.repo.paths.includes(file)) return null;
  const r = ctx.repo.read(file);
  if ("error" in r) return null;
  const ls = r.text.split(/\r?\n/);
  const i = ls.findIndex((l) => !/^\s*#/.test(l) && !!backendOfCommand(l));
  return i < 0 ? null : { file, text: ls[i]!.trim(), source: { file, line: i + 1 }, env };
}

const stem = (f: string) => f.replace(/^.*\//, "").replace(/\.erb$/, "").replace(/\.(monitrc|conf)$/, "");
const dirOf = (f: string) => (f.includes("/") ? f.slice(0, f.lastIndexOf("/")) : "");

/** The stages each monit file serves: its own stage when its name is a stage's, else each stage with no file of its own beside it. */
export function monitFileStages(files: string[], stages: readonly Stage[]): Map<string, string[]> {
  const names = new Set(stages.map((s) => s.name));
  const out = new Map<string, string[]>();
  for (const f of files) {
    const own = stem(f);
    if (names.has(own)) out.set(f, [own]);
    else out.set(f, stages.map((s) => s.name).filter((s) => !files.some((g) => dirOf(g) === dirOf(f) && stem(g) === s)));
  }
  return out;
}

/** The `check process` blocks of a file's text outside ERB loops: name, start program and its line. */
function checksOf(text: string): { check: string; start: string; line: number }[] {
  const out: { check: string; start: string; line: number }[] = [];
  let check: string | null = null;
  let depth = 0;
  text.split(/\r?\n/).forEach((l, i) => {
    if (LOOP.test(l)) depth++;
    else if (depth && /<%-?\s*end\s*-?%>/.test(l)) depth--;
    if (depth) return;
    const c = CHECK.exec(l);
    if (c) check = c[1]!;
    const s = START.exec(l);
    if (s && check && !check.includes("<%")) out.push({ check, start: s[1]!, line: i + 1 });
  });
  return out;
}

/** Every check of the repo's monit files that a deploy line starts, stage by stage. */
export function monitChecks(ctx: AnalyzerContext, stages: readonly Stage[], cap: CapistranoFacts | null = null): MonitCheck[] {
  const files = monitFiles(ctx);
  if (!files.length) return [];
  const m = methodStarts(ctx, /\bmonit\b/);
  const lines = [...m.direct, ...m.starts].filter((x) => /\bmonit\b/.test(x.text) && x.on);
  const byFile = monitFileStages(files, stages);
  const out: MonitCheck[] = [];
  for (const file of files) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const raw = checksOf(r.text);
    if (!raw.length) continue;
    // The deploy line that copies or uploads this file (its directory, or its name, is in the line).
    const loads = lines.find((x) => x.text.includes(`${dirOf(file)}/`) || x.text.includes(file.replace(/^.*\//, "").replace(/\.erb$/, "")));
    for (const st of stages.filter((s) => byFile.get(file)?.includes(s.name))) {
      const rendered = file.endsWith(".erb") ? renderErb(file, r.text, stageScope(st)) : null;
      const checks = rendered ? checksOf(rendered.output) : raw;
      for (const c of checks) {
        const byName = lines.find((x) => new RegExp(`\\bmonit\\s+(?:-\\S+\\s+)*(?:start|restart)\\s+${c.check.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.-])`).test(x.text));
        const all = loads ? lines.find((x) => /\bmonit\s+(?:-\S+\s+)*(?:start|restart)\s+all\b|\bmonit\s+reload\b|\bservice\s+monit\s+(?:start|restart|reload)\b/.test(x.text) && x.on && JSON.stringify(x.on.roles) === JSON.stringify(loads.on!.roles)) : undefined;
        // The rendered line's source: the template's line of the same check.
        const at = raw.find((x) => x.check === c.check) ?? c;
        // A value the template reads that is not known leaves a reference in the rendering (erb.ts refs).
        const unknown = rendered && [...rendered.refs.keys()].some((k) => c.start.includes(k));
        const script = unknown ? null : scriptStartOf(ctx, c.start);
        const by = byName ?? all;
        if (!by) {
          // No deploy line starts monit's check: a hooked task that stops the processes it runs
          // (monit then starts them again) is the deploy's restart of them, on that task's roles.
          const backend = unknown ? undefined : (backendOfCommand(c.start) ?? (script ? backendOfCommand(script.text) : undefined));
          const stop = backend ? deployStopsOf(ctx, cap, backend).find((x) => x.on) : undefined;
          if (!stop) continue;
          const what = stop.script ? `${stop.source.file}:${stop.source.line} runs ${stop.script.file}, whose line ${stop.script.line} signals them` : `${stop.source.file}:${stop.source.line} signals them`;
          out.push({
            stage: st.name,
            file,
            check: c.check,
            command: c.start,
            source: { file, line: at.line },
            loadedBy: null,
            ...(script ? { script } : {}),
            byStop: true,
            deploy: { on: stop.on!, source: stop.source, how: `stops the running ${backend!.label} processes in task ${stop.task.name} (hooked at ${stop.hook.file}:${stop.hook.line}; ${what}), and monit's check ${c.check} starts them again` },
          });
          continue;
        }
        out.push({
          stage: st.name,
          file,
          check: c.check,
          command: unknown ? null : c.start,
          source: { file, line: at.line },
          loadedBy: loads?.source ?? null,
          ...(script ? { script } : {}),
          deploy: { on: by.on!, source: by.source, how: byName ? `monit ${/restart/.test(byName.text) ? "restart" : "start"} ${c.check}` : `${loads!.source.file}:${loads!.source.line} puts ${file} on the servers and ${by.source.file}:${by.source.line} (re)starts monit's checks` },
        });
      }
    }
  }
  return out;
}
