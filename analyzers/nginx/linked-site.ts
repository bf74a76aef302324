// A plain nginx file of the repo that a deploy task links into nginx's folders itself
// (`sudo "ln -nfs #{current_path}/config/nginx.conf /etc/nginx/sites-enabled/app"`), under a
// condition on the stage (`unless "production" == rails_env`, `if fetch(:stage) == :staging`):
// the file is the config of the stages where the condition holds, and of no other. Its hosts and
// limits must not reach a stage whose servers never linked it.
// A condition this reads: `==` / `!=` between a literal string or symbol and the stage's rails_env
// (`rails_env`, `fetch(:rails_env)`) or its name (`stage`, `fetch(:stage)`), each side may end in
// `.to_s`/`.to_sym`. Anything else is unknown: named (a warning at its line), never taken as true.
import type { AnalyzerContext, CapistranoFacts, NginxFacts, Problem, Stage } from "../../src/model.js";
import { railsEnvIsCap2Default } from "../../src/model.js";
import { hookedTaskLines } from "../workers/deploy-task-lines.js";
import { writtenOnStage } from "../capistrano/stage-scope.js";

const RELEASE_WORD = /^["']?#\{\s*(?:current_path|release_path|latest_release|current_release|fetch\(\s*:(?:current_path|release_path)\s*\))\s*\}\/([\w./-]+?)["']?$/;
const NGINX_DESTINATION = /nginx|sites-(?:available|enabled)\/|conf\.d\//i;
const indentOf = (l: string) => /^(\s*)/.exec(l)![1]!.length;

/** What a condition is, per stage: the stages where it holds, or why it is not known. */
type Decided = { holds: (s: Stage) => boolean | null; text: string };

const VALUE = /^(?:"([\w-]+)"|'([\w-]+)'|:([\w]+))$/;
const STAGE_REF = /^(rails_env|stage|fetch\(\s*:(rails_env|stage)\s*\))$/;

/** One side of `==`: a literal, or the stage's rails_env / name; null when neither. */
function side(text: string): { lit: string } | { ref: "rails_env" | "stage" } | null {
  const t = text.trim().replace(/\.(?:to_s|to_sym)$/, "").trim();
  const v = VALUE.exec(t);
  if (v) return { lit: (v[1] ?? v[2] ?? v[3])! };
  const r = STAGE_REF.exec(t);
  return r ? { ref: (r[2] ?? r[1]) as "rails_env" | "stage" } : null;
}

/** The stage's value of a reference: its name, or its rails_env as set (null when no stage file or deploy.rb sets it). */
function refValue(ref: "rails_env" | "stage", s: Stage): string | null {
  if (ref === "stage") return s.name;
  // Capistrano 2's own default (`_cset :rails_env, "production"`) is no file of the repo setting it.
  if (railsEnvIsCap2Default(s)) return null;
  const v = s.variables["rails_env"]?.value;
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && "sym" in v && typeof (v as { sym: unknown }).sym === "string") return (v as { sym: string }).sym;
  return null;
}

/** `if`/`unless` with a comparison this reads; null holds = not known for that stage. */
function decide(keyword: "if" | "unless", cond: string): Decided {
  const m = /^(.+?)\s*(==|!=)\s*(.+?)\s*(?:then)?$/.exec(cond.trim().replace(/^\((.*)\)$/, "$1"));
  const a = m ? side(m[1]!) : null;
  const b = m ? side(m[3]!) : null;
  const pair = a && b && "lit" in a !== "lit" in b ? ("lit" in a ? { lit: a.lit, ref: (b as { ref: "rails_env" | "stage" }).ref } : { lit: (b as { lit: string }).lit, ref: (a as { ref: "rails_env" | "stage" }).ref }) : null;
  const text = `${keyword} ${cond.trim()}`;
  if (!pair) return { holds: () => null, text };
  return {
    text,
    holds: (s) => {
      const v = refValue(pair.ref, s);
      if (v === null) return null;
      const eq = (v === pair.lit) === (m![2] === "==");
      return keyword === "if" ? eq : !eq;
    },
  };
}

/** The conditions around line `at` (0-based) of a task body starting at `head` (0-based): enclosing blocks and a trailing modifier. */
function conditionsAround(lines: string[], head: number, at: number): { cond: Decided; line: number }[] {
  const out: { cond: Decided; line: number }[] = [];
  const mod = /\s(if|unless)\s+(.+?)\s*$/.exec(lines[at]!.replace(/\s+#[^{].*$/, ""));
  // a modifier after the closing quote of the command: `sudo "ln …" unless x`
  if (mod && /["')]\s+(?:if|unless)\s/.test(lines[at]!)) out.push({ cond: decide(mod[1] as "if" | "unless", mod[2]!), line: at + 1 });
  let indent = indentOf(lines[at]!);
  for (let i = at - 1; i > head; i--) {
    const l = lines[i]!;
    if (!l.trim() || /^\s*#/.test(l)) continue;
    const ind = indentOf(l);
    if (ind >= indent) continue;
    indent = ind;
    const m = /^\s*(if|unless)\s+(.+?)\s*$/.exec(l);
    if (m) out.push({ cond: decide(m[1] as "if" | "unless", m[2]!), line: i + 1 });
    // an `else`/`elsif` branch: what holds there is not this reading's
    else if (/^\s*(?:else|elsif)\b/.test(l)) out.push({ cond: { holds: () => null, text: l.trim() }, line: i + 1 });
  }
  return out;
}

/**
 * Marks each plain nginx file a hooked task links under a condition on the stage with the stages
 * it was linked for (NginxFile.linkedFor); an unknown condition is a warning and links it for none.
 */
export function withLinkedSites(ctx: AnalyzerContext, cap: CapistranoFacts | null, stages: Stage[], nginx: NginxFacts): void {
  const plain = new Map(nginx.files.filter((f) => f.stage === null && !f.example).map((f) => [f.file, f]));
  if (!plain.size || !stages.length) return;
  const texts = new Map<string, string[]>();
  const linesOf = (file: string) => {
    if (!texts.has(file)) {
      const r = ctx.repo.read(file);
      texts.set(file, "text" in r ? r.text.split(/\r?\n/) : []);
    }
    return texts.get(file)!;
  };
  // file → stages it was linked for, per link (an unconditional link: every stage)
  const links = new Map<string, { stages: Set<string>; source: { file: string; line: number }; conditions: string[]; unknown: string[]; doubts: string[] }>();
  const text = (file: string) => linesOf(file).join("\n");
  for (const l of hookedTaskLines(ctx, cap)) {
    const words = l.text.match(/#\{[^}]*\}[^\s"']*|[^\s"']+/g) ?? [];
    const ln = words.findIndex((w) => w === "ln");
    if (ln < 0 || !words.slice(ln + 1).some((w) => /^-\w*s/.test(w))) continue;
    const operands = words.slice(ln + 1).filter((w) => !w.startsWith("-"));
    if (operands.length < 2 || !NGINX_DESTINATION.test(operands[operands.length - 1]!)) continue;
    for (const w of operands.slice(0, -1)) {
      const rel = RELEASE_WORD.exec(w)?.[1];
      const f = rel ? plain.get(rel) : undefined;
      if (!f) continue;
      const lines = linesOf(l.source.file);
      const conds = conditionsAround(lines, l.task.source.line - 1, l.source.line - 1);
      const entry = links.get(f.file) ?? { stages: new Set<string>(), source: l.source, conditions: [], unknown: [], doubts: [] };
      // A task only some stages' deploys run (its hook or itself written in their files) linked it
      // on their servers alone; a stage whose run hit code not followed keeps it, the doubt said.
      const ran = writtenOnStage(cap, l.task, stages, text);
      const off: string[] = [];
      for (const s of stages) {
        const r = ran(s);
        if (!r.runs) {
          off.push(r.why);
          continue;
        }
        if (r.doubt) entry.doubts.push(r.doubt);
        const held = conds.map((c) => c.cond.holds(s));
        if (held.every((h) => h === true)) entry.stages.add(s.name);
        else if (held.includes(null) && !held.includes(false)) entry.unknown.push(s.name);
      }
      for (const c of conds) entry.conditions.push(`\`${c.cond.text}\` (${l.source.file}:${c.line})`);
      if (off.length) entry.conditions.push(`in the deploys that run task ${l.task.name} (${[...new Set(off)].join("; ")})`);
      else if (!conds.length) entry.conditions.push("");
      links.set(f.file, entry);
    }
  }
  for (const [file, e] of links) {
    // linked on every stage's servers, with no condition: nothing to narrow
    if (e.conditions.includes("") || (e.stages.size === stages.length && !e.unknown.length)) {
      if (e.doubts.length) ctx.problem({ file: e.source.file, line: e.source.line, severity: "warning", message: `nginx.linked-site-doubt: ${file} is read as linked into nginx on every stage, though no hook read in some stages' deploys runs the link: ${[...new Set(e.doubts)].join("; ")}; confirm on a server of each` });
      continue;
    }
    const f = plain.get(file)!;
    const conds = [...new Set(e.conditions)].join(", ");
    const unknown = [...new Set(e.unknown)].filter((s) => !e.stages.has(s));
    f.linkedFor = { stages: stages.map((s) => s.name).filter((s) => e.stages.has(s)), source: e.source };
    const p: Problem = {
      file: e.source.file,
      line: e.source.line,
      severity: "warning",
      message: `${file} is linked into nginx only ${conds}: it is the nginx config of ${f.linkedFor.stages.length ? `stage ${f.linkedFor.stages.join(", ")}` : "no stage"} alone${unknown.length ? `; whether stage ${unknown.join(", ")} linked it is not known (the condition is not one this analysis decides), so it is not taken as theirs` : ""}${e.doubts.length ? `; read as linked where ${[...new Set(e.doubts)].join("; ")}, which is not certain` : ""}`,
    };
    ctx.problem(p);
  }
}
