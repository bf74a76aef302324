// Monit checks an ERB loop defines: a monit template the deploy renders (`<% media_workers.times do |i| %>
// check process x_<%= i %> … start program = "…" … <% end %>`) is N daemons on each server the
// rendering task runs on. As god.ts / god-stages.ts do for god loops: the loop's count per stage
// (a number written, or the stage's Capistrano variable of that name), the start program of each
// check in the loop, and the roles of the task that renders the template. What is not known (a
// computed bound, a task whose roles are not literal, a template no task renders) is said, never guessed.
import type { AnalyzerContext, Source, Stage, TaskDef } from "../../src/model.js";
import { taskLineRoles } from "../capistrano/task-roles.js";

export interface MonitLoop {
  /** The template. */
  file: string;
  /** The loop's line, as written. */
  written: string;
  loop: Source;
  /** The start program of each check in the loop, ERB tags as written, with the check's name (its ERB tags dropped). */
  starts: { command: string; source: Source; check: string | null }[];
  /** The task that renders the template, and the roles it runs on (null: not literal, or no task found). */
  task: { name: string; source: Source; roles: string[] | null } | null;
  /** Per stage: processes per server (the loop's count), servers of the roles, or why not known. */
  perStage: { stage: string; count: number | null; servers: number | null; why: string; source: Source }[];
}

const MONIT_TEMPLATE = /(^|\/)monit\/[^/]+\.erb$|\.monitrc\.erb$/;
const LOOP = /<%-?\s*(?:([A-Za-z_]\w*|\d+)\.times|\(\s*(\d+)\s*(\.\.\.?)\s*([A-Za-z_]\w*|\d+)\s*\)\.each)\s+do\s*(?:\|\s*\w+\s*\|)?\s*-?%>/;
const START = /^\s*start\s+program\s*=\s*"((?:[^"\\]|\\.)*)"/i;

// Only an Integer has `times` (and bounds an Integer range): `set :pollers, "3"` is a String, whose
// `"3".times` raises NoMethodError (`(0..."3")` ArgumentError), so the template does not render.
const whole = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null);

/**
 * The bodies of a line's ERB tags (`<% x.each do |a| %>` → ` x.each do |a| `), found with indexOf: a
 * pattern like /<%[^%]*\bdo\b[^%]*%>/ backtracks over every `do` of an unclosed tag, quadratic on a
 * long line. A tag is `<%` up to the next `%>`; one with a `%` inside is not counted (as before).
 */
export function erbTags(line: string): string[] {
  const out: string[] = [];
  for (let i = line.indexOf("<%"); i >= 0; ) {
    const end = line.indexOf("%>", i + 2);
    if (end < 0) break;
    const body = line.slice(i + 2, end);
    // `<%a <% b %>`: the tag is the last `<%` before the `%>`, as `<%[^%]*%>` read it.
    const inner = body.lastIndexOf("<%");
    const tag = inner >= 0 ? body.slice(inner + 2) : body;
    if (!tag.includes("%")) out.push(tag);
    i = line.indexOf("<%", end + 2);
  }
  return out;
}

/** Why a loop bound the stage gives is no count: not set, a String (the render fails in Ruby), or not a whole number. */
function notCount(name: string, st: Stage, written: string): string {
  const v = st.variables[name];
  if (!v) return `${name} is not a variable the stage sets`;
  if (typeof v.value === "string")
    return `${name} is the String ${JSON.stringify(v.value)} (${v.source.file}:${v.source.line}), not an Integer: ${written} raises ${written.endsWith(".times") ? "NoMethodError" : "ArgumentError (bad value for range)"} in Ruby, so the template's render fails`;
  return `${name} is not a whole number the stage sets`;
}

/** The task whose body renders the template by its name (`monit_config "media_worker"`, `template "monit/media_worker.erb"`). */
function renderingTask(ctx: AnalyzerContext, tasks: readonly TaskDef[], file: string): MonitLoop["task"] {
  const base = file.replace(/^.*\//, "").replace(/\.erb$/, "");
  const dirBase = file.split("/").slice(-2).join("/");
  const said = new RegExp(`["'](?:monit/)?${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:\\.erb)?["']`);
  for (const t of tasks) {
    if (t.renders?.some((r) => r.template === file)) return { name: t.name, source: t.source, roles: lineRoles(ctx, t.source) };
    const r = ctx.repo.read(t.source.file);
    if ("error" in r) continue;
    const line = r.text.split(/\r?\n/)[t.source.line - 1] ?? "";
    // A one-line task (`task(:media_worker, roles: :worker) { monit_config "media_worker" }`): its body is on its line.
    if (said.test(line) || line.includes(dirBase)) return { name: t.name, source: t.source, roles: taskLineRoles(line) };
  }
  return null;
}

const lineRoles = (ctx: AnalyzerContext, s: Source): string[] | null => {
  const r = ctx.repo.read(s.file);
  return "error" in r ? null : taskLineRoles(r.text.split(/\r?\n/)[s.line - 1] ?? "");
};

/** Every loop of a monit template in the repo that holds a check's start program. */
export function monitLoops(ctx: AnalyzerContext, stages: readonly Stage[], tasks: readonly TaskDef[]): MonitLoop[] {
  const out: MonitLoop[] = [];
  for (const file of ctx.repo.paths.filter((p) => MONIT_TEMPLATE.test(p))) {
    const r = ctx.repo.read(file);
    if ("error" in r) continue;
    const ls = r.text.split(/\r?\n/);
    for (let i = 0; i < ls.length; i++) {
      const m = LOOP.exec(ls[i]!);
      if (!m) continue;
      // The loop's body: up to its own `<% end %>`, counting the ERB blocks opened inside it.
      let depth = 1;
      const starts: MonitLoop["starts"] = [];
      let j = i + 1;
      let check: string | null = null;
      for (; j < ls.length && depth > 0; j++) {
        const l = ls[j]!;
        const c = /^\s*check\s+process\s+(.+)$/i.exec(l);
        if (c) check = (c[1]!.replace(/<%[^%]*%>/g, "").split(/\s+/)[0] ?? "").replace(/[-_.]+$/, "") || null;
        for (const tag of erbTags(l)) depth += /\bdo\b/.test(tag) ? 1 : /^-?\s*end\s*-?$/.test(tag) ? -1 : 0;
        const s = START.exec(l);
        if (s && depth > 0) starts.push({ command: s[1]!, source: { file, line: j + 1 }, check });
      }
      if (!starts.length) continue;
      const loop = { file, line: i + 1 };
      const task = renderingTask(ctx, tasks, file);
      const perStage = stages.map((st) => {
        const value = (w: string): { n: number | null; src: Source } => {
          if (/^\d+$/.test(w)) return { n: Number(w), src: loop };
          const v = st.variables[w];
          return { n: whole(v?.value), src: v?.source ?? loop };
        };
        let count: number | null;
        let src: Source = loop;
        let why: string;
        if (m[1]) {
          const v = value(m[1]);
          count = v.n;
          src = v.src;
          why = count === null ? notCount(m[1], st, `${m[1]}.times`) : `${m[1]} = ${count}`;
        } else {
          const a = Number(m[2]);
          const b = value(m[4]!);
          count = b.n === null ? null : Math.max(0, b.n - a + (m[3] === ".." ? 1 : 0));
          src = b.src;
          why = count === null ? (typeof st.variables[m[4]!]?.value === "string" ? notCount(m[4]!, st, `(${m[2]}${m[3]}${m[4]})`) : `the range's end ${m[4]} is not a number the stage sets`) : `(${m[2]}${m[3]}${b.n}) is ${count}`;
        }
        const roles = task?.roles ?? null;
        const servers = roles && !st.unread?.length ? st.servers.filter((sv) => sv.roles.some((x) => roles.includes(x))).length : null;
        return { stage: st.name, count, servers, why, source: src };
      });
      out.push({ file, written: ls[i]!.trim(), loop, starts, task, perStage });
      i = j - 1;
    }
  }
  return out;
}
