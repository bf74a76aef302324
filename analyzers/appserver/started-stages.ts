// The stages whose deploy starts no web server while other stages' deploys do. Capistrano 2
// multistage repos load capistrano-unicorn (and hook its restart) in some stage files only; the
// other stages deploy the same code to boxes that run something else (a job processor under
// upstart, a mail box). The app server plugins run on :app, so "only the app role" says nothing;
// what says it is where the evidence is.
//
// Rules (each piece of evidence from analyzers/appserver/started.ts, with its file):
// - Evidence outside the stage files (Capfile, deploy.rb, lib/capistrano/tasks, Procfile, service
//   units, templates) applies to every stage: then every stage starts it, nothing is decided here.
//   config/deploy.rb is loaded by every stage even where a stage is declared in it (Capistrano 2's
//   top-level stage, switch tasks): only a switch task's body is that stage's own (own-lines.ts).
// - Evidence in a stage's own file applies to that stage alone. A stage starts no web server when
//   none of the evidence is in its file, and another stage's file loads a server plugin or runs a
//   line that starts one (a file that only names a pid path decides nothing).
// - A stage file that loads other repo code (`load 'config/deploy/common'`, `require_relative`,
//   `eval`) may start the server from there: not decided, the stage keeps its web objects.
import type { AnalyzerContext, Fact, Stage, WebNotStarted, WebServerKind } from "../../src/model.js";
import { ownPlaceOf, stagesOwningLine } from "../capistrano/own-lines.js";

export interface PlacedEvidence {
  kind: WebServerKind;
  tier: number;
  starts?: boolean;
  fact: Fact<string>;
}

/** Loads of other code: Capistrano 2's own recipes (`load 'deploy'`, `load 'deploy/assets'`) and gems are not repo code. */
const LOADS = /^\s*(?:load|import|require_relative|require|eval|instance_eval|class_eval)\b\s*\(?\s*(.*)$/;
const OWN_RECIPE = /^["'](?:deploy(?:\/\w+)?|[\w-]+(?:\/[\w-]+)*)["']\s*(?:#.*)?$/;

function loadsRepoCode(ctx: AnalyzerContext, file: string): boolean {
  const read = ctx.repo.read(file);
  if ("error" in read) return true;
  for (const line of read.text.split(/\r?\n/)) {
    const m = LOADS.exec(line);
    if (!m) continue;
    const word = /^\s*(\w+)/.exec(line)![1]!;
    const arg = m[1]!.trim();
    // A gem's recipe by its name; anything else (a path, an expression, a repo file) is repo code.
    if ((word === "require" || word === "load") && OWN_RECIPE.test(arg) && !/^["'](?:config|lib|\.{1,2})\//.test(arg)) {
      const name = arg.slice(1, arg.search(/["']\s*(?:#.*)?$/));
      if (!ctx.repo.paths.includes(name) && !ctx.repo.paths.includes(`${name}.rb`)) continue;
    }
    return true;
  }
  return false;
}

export function stagesStartingNoWeb(ctx: AnalyzerContext, evidence: PlacedEvidence[], stages: Stage[], kind: WebServerKind | null): WebNotStarted[] {
  if (!kind || stages.length < 2 || !evidence.length) return [];
  const owners = new Map(evidence.map((e) => [e, stagesOwningLine(ctx, stages, e.fact.source)]));
  if (evidence.some((e) => !owners.get(e))) return [];
  const ownOf = (st: Stage) => evidence.filter((e) => owners.get(e)!.includes(st));
  const starting = stages.filter((st) => ownOf(st).some((e) => e.tier === 0 || e.starts));
  if (!starting.length) return [];
  const at = (e: PlacedEvidence) => `${e.fact.source.file}:${e.fact.source.line}`;
  const cited = starting.flatMap((st) => ownOf(st).slice(0, 1)).map(at);
  return stages
    .filter((st) => !ownOf(st).length && !loadsRepoCode(ctx, st.source.file))
    .map((st) => ({
      stage: st.name,
      why: `its deploy starts no web server: ${kind} is loaded or restarted only in the stage files of ${starting.map((s) => s.name).join(", ")} (${cited.join(", ")}), and neither ${ownPlaceOf(ctx, st)} nor any file every stage loads (Capfile, config/deploy.rb, Procfile, service units) starts one`,
      source: { file: st.source.file, line: 1 },
    }));
}
