// Which stages a start line (or a service file the deploy installs) is evidence for. The place a
// line is written decides nothing by itself: `cap <stage>` runs the Capfile, deploy.rb (and what they
// load), then the stage's own file or stage task. So a line counts on a stage when that stage's run
// executes it:
// - inside a Capistrano 2 stage task (`task :staging do … end`): that stage only;
// - inside a task of the deploy: the stages whose deploy runs (or, run by hand, defines) the task
//   (capistrano/stage-scope.ts writtenOnStage), with its doubts;
// - outside any task: the stages that load its file. config/deploy/<x>.rb that is no stage's file and
//   holds no task or hook any stage defined is loaded by no stage: nobody's evidence. A deploy file
//   not seen loaded at all counts everywhere, but in doubt (the doubt is named; it never overrides a
//   stated rails_env, src/model.ts startedRailsEnv).
import type { AnalyzerContext, CapistranoFacts, Source, Stage, TaskDef } from "../../src/model.js";
import { writtenOnStage } from "../capistrano/stage-scope.js";

/** Per stage: the line runs there (a doubt named when not certain), or not, and why. */
export type LineOn = (st: Stage) => { runs: true; doubt?: string } | { runs: false; why: string };

const indentOf = (l: string) => /^(\s*)/.exec(l)![1]!.length;

/** Whether line `at` (1-based) is in the block opened at line `head` (1-based): the head itself, or deeper-indented lines after it. */
function inBlock(lines: readonly string[], head: number, at: number): boolean {
  if (at === head) return true;
  if (at < head) return false;
  const base = indentOf(lines[head - 1] ?? "");
  for (let i = head; i < at; i++) {
    const l = lines[i]!;
    if (!l.trim()) continue;
    if (indentOf(l) <= base) return false;
  }
  return true;
}

export interface ScopeReader {
  /** Scope of a line of a deploy file (a task body, a `set`, a stage file). */
  ofLine(source: Source): LineOn;
  /** Scope of a repo file the deploy names (uploads, links, renders): where the lines naming it run; null when no deploy line names it. */
  ofNamed(file: string): LineOn | null;
}

export function scopeReader(ctx: AnalyzerContext, cap: CapistranoFacts | null, stages: readonly Stage[], deployFiles: readonly string[]): ScopeReader {
  const texts = new Map<string, string[]>();
  const linesOf = (file: string) => {
    let t = texts.get(file);
    if (!t) {
      const r = ctx.repo.read(file);
      texts.set(file, (t = "text" in r ? r.text.split(/\r?\n/) : []));
    }
    return t;
  };
  const text = (file: string) => linesOf(file).join("\n");
  const names = stages.map((s) => s.name);
  const every: LineOn = () => ({ runs: true });
  const only = (name: string, why: string): LineOn => (st) => (st.name === name ? { runs: true } : { runs: false, why });
  const none = (why: string): LineOn => () => ({ runs: false, why });
  // Capistrano 2 stage tasks: the stage's declaration is a `task` line (Stage.source)
  const stageTasks = stages.filter((s) => s.source.file !== `config/deploy/${s.name}.rb` && /^\s*task\b/.test(linesOf(s.source.file)[s.source.line - 1] ?? ""));
  const loaded = new Set<string>(["Capfile", "config/deploy.rb", ...stages.map((s) => s.source.file), ...(ctx.deployRecipes ?? [])]);
  for (const x of [...(cap?.tasks ?? []), ...(cap?.hooks ?? []), ...(cap?.conditionalHooks ?? [])]) loaded.add(x.source.file);
  const taskScope = new Map<TaskDef, LineOn>();
  const ofTask = (t: TaskDef): LineOn => {
    let on = taskScope.get(t);
    if (!on) taskScope.set(t, (on = writtenOnStage(cap, t, stages, text)));
    return on;
  };

  function ofLine(source: Source): LineOn {
    const { file, line } = source;
    // without Capistrano (Mina, none) the file decides, as it always did
    if (!cap || cap.tool) {
      const own = /^config\/deploy\/([^/]+)\.rb$/.exec(file)?.[1];
      if (own && names.includes(own)) return only(own, `${file} is stage ${own}'s own file`);
      return every;
    }
    const lines = linesOf(file);
    const st = stageTasks.filter((s) => s.source.file === file && inBlock(lines, s.source.line, line)).pop();
    if (st) return only(st.name, `${file}:${line} is in stage ${st.name}'s own task (${st.source.file}:${st.source.line}), which only \`cap ${st.name}\` runs`);
    const task = (cap.tasks ?? []).filter((t) => t.source.file === file && inBlock(lines, t.source.line, line)).sort((a, b) => a.source.line - b.source.line).pop();
    if (task) return ofTask(task);
    const own = /^config\/deploy\/([^/]+)\.rb$/.exec(file)?.[1];
    if (own && names.includes(own)) return only(own, `${file} is stage ${own}'s own file`);
    if (loaded.has(file)) {
      // a file whose tasks or hooks only some stages defined is loaded by those stages only
      const defs = [...cap.tasks, ...cap.hooks, ...(cap.conditionalHooks ?? [])].filter((x) => x.source.file === file);
      if (defs.length && defs.every((d) => d.stages)) {
        const on = new Set(defs.flatMap((d) => d.stages!));
        return (s) => (on.has(s.name) ? { runs: true } : { runs: false, why: `stage ${s.name}'s run does not load ${file}` });
      }
      return every;
    }
    if (own) return none(`${file} is no stage's file and no stage's run loads it (no task or hook of it is defined in any stage's deploy)`);
    return () => ({ runs: true, doubt: `${file} is not seen loaded by any stage's run` });
  }

  /** The deploy lines naming `file` (its path, without .erb), each with its scope. */
  function ofNamed(file: string): LineOn | null {
    const path = file.replace(/\.erb$/, "");
    const at: Source[] = [];
    for (const f of deployFiles) linesOf(f).forEach((l, i) => l.includes(path) && at.push({ file: f, line: i + 1 }));
    if (!at.length) return null;
    const each = at.map((s) => ({ s, on: ofLine(s) }));
    return (st) => {
      const rs = each.map((x) => x.on(st));
      const sure = rs.find((r) => r.runs && !("doubt" in r && r.doubt));
      if (sure) return { runs: true };
      const doubt = rs.find((r): r is { runs: true; doubt?: string } => r.runs);
      if (doubt) return doubt;
      return { runs: false, why: `no line of stage ${st.name}'s deploy installs or starts ${file} (${each.map((x) => `${x.s.file}:${x.s.line}`).join(", ")}: ${rs.map((r) => (!r.runs ? r.why : "")).filter(Boolean)[0]})` };
    };
  }

  return { ofLine, ofNamed };
}
