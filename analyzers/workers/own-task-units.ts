// Several units of one backend that a task of the repo starts (hmis-warehouse's shape:
// `delayed_job:restart` runs `systemctl start <app>-delayed_job.1.service`, `.2`, `.3` in
// `on roles(:job)` blocks). Each unit is one process the servers ran on every server of those roles,
// so the count of distinct unit names is the processes per server and the block's roles are where.
// - Only a task a hook runs counts, or one a hook under an undecided condition runs (`if
//   ENV['MANUAL_SYSTEMD_RESTART'] == 'true'`): a deploy that ran it found the units there, so they
//   are the servers' standing units, whichever deploys restarted them; the condition is said.
// - The unit name may hold interpolations (`#{fetch(:client)}`): kept as written, they name the
//   units apart all the same (`.1`, `.2`); a `#{fetch(:x)}` that stands for the init tool
//   (`#{fetch(:systemctl_path)} start …`) is read as that tool when each stage sets x to a path of it.
// - What a unit runs (its ExecStart: queues, -n) is on the servers: the command is the backend's
//   standard one, said at the start lines. Roles that are not literal, or blocks that disagree, are a
//   named warning and decide nothing.
import { isEnvRefShape, type AnalyzerContext, type CapistranoFacts, type RValue, type Source, type Stage } from "../../src/model.js";
import { backendNames, type JobBackend } from "./backends.js";
import { hookedTaskLines, type TaskLine } from "./deploy-task-lines.js";
import type { OnRoles } from "./deploy-methods.js";

export interface OwnUnits {
  task: string;
  units: string[];
  on: OnRoles;
  /** The start lines, one per unit (the same line for units started together). */
  lines: Source[];
  hook: Source;
  /** The hook's undecided condition, when it has one. */
  condition?: Source;
  /** The stages whose deploy runs the task (its hooks or itself written in their files only); absent: every stage. */
  stages?: string[];
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A unit word: letters, digits, `@._-` and whole `#{…}` interpolations. */
const UNIT_WORD = String.raw`(?:[\w@.-]|#\{[^{}]*\})+`;
const UNIT = `(${UNIT_WORD})`;
// systemctl takes every unit on its line (`systemctl restart dj.1 dj.2 dj.3` starts three); service one.
const SYSTEMCTL = new RegExp(String.raw`(?:^|[\s"'\`/])systemctl\s+(?:--\S+\s+)*(?:re)?start\s+(${UNIT_WORD}(?:[ \t]+${UNIT_WORD})*)`);
const SERVICE = new RegExp(String.raw`(?:^|[\s"'\`/])service\s+` + UNIT + String.raw`\s+(?:re)?start\b`);

/** The init tool a value names: a path ending in systemctl/service, or an ENV read whose default is one. */
const toolOf = (v: RValue | undefined): string | null => {
  const s = typeof v === "string" ? v : v !== undefined && isEnvRefShape(v) && typeof v.default === "string" ? v.default : null;
  return s !== null && /(^|\/)(systemctl|service)$/.test(s) ? s.replace(/^.*\//, "") : null;
};

/**
 * The variables `#{fetch(:x)}` that every stage sets to the same init tool (`set :systemctl_path,
 * ENV.fetch('SYSTEMCTL_PATH') { '/bin/systemctl' }`: another path from the shell is still that tool).
 */
function toolVariables(stages: readonly Stage[]): Map<string, string> {
  const out = new Map<string, string>();
  const names = new Set(stages.flatMap((s) => Object.keys(s.variables)));
  for (const n of names) {
    const tools = stages.map((s) => toolOf(s.variables[n]?.value));
    if (tools[0] && tools.every((t) => t === tools[0])) out.set(n, tools[0]);
  }
  return out;
}

/** The units a task line starts, in order (none: a stop, or no unit start). */
export function startedUnitsOf(text: string, tools: ReadonlyMap<string, string>): string[] {
  let t = text;
  for (const [n, tool] of tools) t = t.replace(new RegExp(String.raw`#\{\s*fetch\(\s*:${esc(n)}\s*\)\s*\}`, "g"), tool);
  const m = SYSTEMCTL.exec(t) ?? SERVICE.exec(t);
  // A word after the units that is shell or Ruby, not a unit (`systemctl restart dj.1 && …` stops at `&&`).
  return m ? m[1]!.split(/[ \t]+/).filter((u) => !/^(do|end|if|then|and|or|unless)$/.test(u)).map((u) => u.replace(/\.service$/, "")) : [];
}

/** The unit's name holds one of the backend's names as a word (`delayed_job-acme.1`). */
const namedFor = (unit: string, b: JobBackend): boolean =>
  backendNames(b).some((n) => new RegExp(`(^|[-_.}])${esc(n)}([-_.@#]|$)`).test(unit));

/**
 * The backend's units the repo's hooked tasks start, when there are several or the hook is
 * conditional (one unit on a plain hook is unitRestartOf's, in index.ts); `{ unknown }` when a task
 * starts them where its roles are not literal, or on blocks with different roles.
 */
export function ownTaskUnits(ctx: AnalyzerContext, cap: CapistranoFacts | null, b: JobBackend, stages: readonly Stage[]): OwnUnits | { unknown: string; source: Source } | null {
  const tools = toolVariables(stages);
  const byTask = new Map<string, { lines: TaskLine[]; units: string[] }>();
  for (const l of hookedTaskLines(ctx, cap, true)) {
    for (const u of startedUnitsOf(l.text, tools)) {
      if (!namedFor(u, b)) continue;
      const x = byTask.get(l.task.name) ?? { lines: [], units: [] };
      if (!x.units.includes(u)) x.units.push(u), x.lines.push(l);
      byTask.set(l.task.name, x);
    }
  }
  for (const [task, x] of byTask) {
    const first = x.lines[0]!;
    // A name built from a block's local (`(1..3).each { |i| … "dj.#{i}" }`) is one line for many units: not counted.
    const computed = x.units.find((u) => /#\{(?!\s*fetch\()[^{}]*\}/.test(u));
    if (computed) return { unknown: `task ${task} starts ${b.label}'s unit \`${computed}\`, a name computed in the task (a loop's local, a method's value): how many units it starts is not read`, source: x.lines[x.units.indexOf(computed)]!.source };
    if (x.units.length < 2 && !first.condition) continue;
    const ons = x.lines.map((l) => l.on);
    const key = (o: OnRoles) => JSON.stringify([o.roles, o.primary]);
    if (ons.some((o) => !o)) return { unknown: `task ${task} starts ${b.label}'s units ${x.units.map((u) => `\`${u}\``).join(", ")}, but not all within a literal \`on roles(…)\`: where they ran is not known`, source: first.source };
    if (ons.some((o) => key(o!) !== key(ons[0]!))) return { unknown: `task ${task} starts ${b.label}'s units on different roles (${[...new Set(ons.map((o) => o!.roles.join(",")))].join(" / ")}): one count per server is not read`, source: first.source };
    return { task, units: x.units, on: ons[0]!, lines: x.lines.map((l) => l.source), hook: first.hook, ...(first.condition ? { condition: first.condition } : {}), ...(first.stages ? { stages: first.stages } : {}) };
  }
  return null;
}
