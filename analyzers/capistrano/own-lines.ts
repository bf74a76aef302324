// Which stages a line of the deploy is written for alone. `cap <stage>` loads the Capfile and
// config/deploy.rb for every stage, then the stage's own file: a line there is that stage's only.
// config/deploy.rb is never one stage's own file, even where a stage is declared in it (Capistrano 2's
// top-level stage, a switch task `task :live do … end`): its top level runs for every stage, and only
// the body of a switch task runs for that stage alone (`cap live deploy` runs the task `live` first).
import type { AnalyzerContext, Source, Stage } from "../../src/model.js";

const DEPLOY_RB = "config/deploy.rb";
const indentOf = (l: string) => /^(\s*)/.exec(l)![1]!.length;

/** The lines [first, last] (1-based) of the `task … do` block opening at `line`, or null when that line opens no task block. */
function taskBlock(text: string, line: number): [number, number] | null {
  const ls = text.split(/\r?\n/);
  const head = ls[line - 1] ?? "";
  if (!/^\s*task\b.*\bdo\b\s*(\|[^|]*\|)?\s*(#.*)?$/.test(head)) return null;
  const base = indentOf(head);
  for (let i = line; i < ls.length; i++) {
    const l = ls[i]!;
    if (!l.trim() || /^\s*#/.test(l)) continue;
    if (indentOf(l) <= base) return /^\s*end\b/.test(l) ? [line, i + 1] : [line, i];
  }
  return [line, ls.length];
}

/**
 * The stages the line at `at` is written for alone (their own files, or their switch task's body in
 * config/deploy.rb); null when every stage loads it (the Capfile, deploy.rb's top level, any other file).
 */
export function stagesOwningLine(ctx: AnalyzerContext, stages: readonly Stage[], at: Source): Stage[] | null {
  const own = stages.filter((st) => {
    if (st.source.file !== at.file) return false;
    if (st.source.file !== DEPLOY_RB) return true;
    const r = ctx.repo.read(DEPLOY_RB);
    const block = "error" in r ? null : taskBlock(r.text, st.source.line);
    return !!block && at.line >= block[0] && at.line <= block[1];
  });
  return own.length ? own : null;
}

/** Words for where a stage's own lines are: its file, its switch task in config/deploy.rb, or (the top-level stage) none of its own. */
export function ownPlaceOf(ctx: AnalyzerContext, st: Stage): string {
  if (st.source.file !== DEPLOY_RB) return st.source.file;
  const r = ctx.repo.read(DEPLOY_RB);
  return "text" in r && taskBlock(r.text, st.source.line) ? `its switch task (${DEPLOY_RB}:${st.source.line})` : `the top level of ${DEPLOY_RB}`;
}
