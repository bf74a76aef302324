// Server configs the servers could not have run: a Unicorn/Puma config whose gem the lockfile does
// not hold (Rails' generated config/puma.rb left in an app the bundle serves with Unicorn). The
// image runs the other server (emitters/app-server.ts appServerKind), so this says why, and the
// file's ENV reads are no boot reads of the app.
import type { AnalyzerContext, AppServerConfig, RailsFacts, Source } from "../../src/model.js";

/** The repo paths of the configs whose server gem is not in Gemfile.lock, each said as a warning. */
export function unusedServerConfigs(ctx: AnalyzerContext, appServers: AppServerConfig[], rails: Pick<RailsFacts, "gems" | "lockfilePresent">, started: string | null = null, evidence: Source | null = null): string[] {
  const out: string[] = [];
  for (const a of rails.lockfilePresent === true ? appServers : []) {
    // the deploy's own start line outweighs the lockfile (emitters/app-server.ts does the same)
    if (rails.gems[a.kind] || a.kind === started || out.includes(a.file) || a.renderedBy) continue;
    out.push(a.file);
    ctx.problem({ file: a.file, line: 1, message: `${a.file} is not used: ${a.kind} is not in Gemfile.lock, so the servers could not have run it; its settings and ENV reads are not carried`, severity: "warning" });
  }
  return notStartedConfigs(ctx, appServers, started, evidence, out);
}

/**
 * Unicorn or Puma configs of the other server than the one the deploy starts (Rails' generated
 * config/puma.rb in an app the deploy restarts Unicorn for): its gem may be locked for
 * development, but the servers never loaded the file, so its ENV reads are no boot reads.
 */
function notStartedConfigs(ctx: AnalyzerContext, appServers: AppServerConfig[], started: string | null, evidence: Source | null, out: string[]): string[] {
  if (started !== "unicorn" && started !== "puma") return out;
  for (const a of appServers) {
    if (a.kind === started || a.kind === "passenger" || out.includes(a.file) || a.renderedBy || a.startedBy || a.stages.length) continue;
    out.push(a.file);
    ctx.problem({ file: a.file, line: 1, message: `${a.file} is not used: the deploy starts ${started}${evidence ? ` (${evidence.file}:${evidence.line})` : ""}, not ${a.kind}, so the servers never loaded it; its settings and ENV reads are not carried`, severity: "warning" });
  }
  return out;
}
