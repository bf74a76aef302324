// Monit checks the deploy starts: a monit file kept in the repo (config/deploy/monitrc/<stage>.monitrc,
// a templates/x.monitrc.erb the deploy renders) whose `check process X … start program = "…"` the
// deploy runs, by the check's name (`monit start X`) or as a whole (`monit restart all` next to the
// line that copies or uploads the file). Each stage reads its own file where the files are named for
// the stages, else every file; an ERB file is rendered with the stage's variables. The servers are
// those of the roles around the deploy's monit line. Checks inside an ERB loop are monit-loops.ts'.
import type { AnalyzerContext, Source, Stage } from "../../src/model.js";
import { renderErb } from "../ruby/erb.js";
import { stageScope } from "../ruby/stage-scope.js";
import { methodStarts, type OnRoles } from "./deploy-methods.js";

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
}

/** Monit control files and templates kept in the repo. */
export const MONIT_FILE = /(^|\/)monit\/[^/]+$|\.monitrc(\.erb)?$|(^|\/)monitrc(\.erb)?$/;
const CHECK = /^\s*check\s+process\s+(\S+)/i;
const START = /^\s*start\s+program\s*=\s*"((?:[^"\\]|\\.)*)"/i;
const LOOP = /<%-?\s*[^%]*\b(?:times|each)\s+do\b/;

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
export function monitChecks(ctx: AnalyzerContext, stages: readonly Stage[]): MonitCheck[] {
  const files = ctx.repo.paths.filter((p) => MONIT_FILE.test(p));
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
        const by = byName ?? all;
        if (!by) continue;
        // The rendered line's source: the template's line of the same check.
        const at = raw.find((x) => x.check === c.check) ?? c;
        // A value the template reads that is not known leaves a reference in the rendering (erb.ts refs).
        const unknown = rendered && [...rendered.refs.keys()].some((k) => c.start.includes(k));
        out.push({
          stage: st.name,
          file,
          check: c.check,
          command: unknown ? null : c.start,
          source: { file, line: at.line },
          loadedBy: loads?.source ?? null,
          deploy: { on: by.on!, source: by.source, how: byName ? `monit ${/restart/.test(byName.text) ? "restart" : "start"} ${c.check}` : `${loads!.source.file}:${loads!.source.line} puts ${file} on the servers and ${by.source.file}:${by.source.line} (re)starts monit's checks` },
        });
      }
    }
  }
  return out;
}
