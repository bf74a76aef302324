// A carried command that names its own Rails environment (`RAILS_ENV=production bundle exec …`, or
// rake's `rake resque:work RAILS_ENV=production`, where rake sets ENV from VAR=value arguments): the
// value was the servers' it was written for, while each overlay sets RAILS_ENV for its stage. The
// pod follows the stage; where the line named another environment than a stage's rails_env, the
// difference is said, since that stage's servers may have run the line as written.
import { railsEnvOf, type AnalyzerContext, type Source, type Stage } from "../../src/model.js";

const ENV_NAMES = /^(RAILS_ENV|RACK_ENV)=(.*)$/;
/** Commands that read `VAR=value` arguments as environment (rake, and rails/bin/rails passing a task on to rake). */
const RAKE_LIKE = /(^|\/)(rake|rails)$/;

/** Whether a word of an argv is a RAILS_ENV/RACK_ENV assignment rake applies (after `rake`/`rails`). */
export function pinnedEnvArgIndexes(words: string[]): number[] {
  const at = words.findIndex((w) => RAKE_LIKE.test(w));
  if (at < 0) return [];
  const out: number[] = [];
  for (let i = at + 1; i < words.length; i++) if (ENV_NAMES.test(words[i]!)) out.push(i);
  return out;
}

/** The RAILS_ENV/RACK_ENV a command line sets for itself, leading or as a rake argument. */
export function pinnedEnv(line: string): { name: string; value: string }[] {
  const words = line.trim().replace(/^exec\s+/, "").split(/\s+/);
  const out: { name: string; value: string }[] = [];
  for (const w of words) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) break;
    const m = ENV_NAMES.exec(w);
    if (m) out.push({ name: m[1]!, value: m[2]! });
  }
  for (const i of pinnedEnvArgIndexes(words)) {
    const m = ENV_NAMES.exec(words[i]!)!;
    out.push({ name: m[1]!, value: m[2]! });
  }
  return out;
}

/** Warns, once per line, where the line's own environment differs from a stage's rails_env. */
export function warnPinnedEnv(ctx: AnalyzerContext, stages: Stage[], line: string, source: Source, worker: string): void {
  for (const p of pinnedEnv(line)) warnEnvDiffers(ctx, stages, `sets ${p.name}=${p.value}`, p.value, source, worker, "the assignment");
}

/**
 * The one warning for a line that names its environment (`RAILS_ENV=x`, Sidekiq's `-e x`), where a stage
 * that runs the line has another rails_env: the pod follows the stage, which those servers may not have.
 */
export function warnEnvDiffers(ctx: AnalyzerContext, stages: Stage[], written: string, raw: string, source: Source, worker: string, dropped = "it"): void {
  const value = raw.replace(/^(["'])(.*)\1$/, "$2");
  const differ = stages.filter((s) => railsEnvOf(s) !== value);
  if (!differ.length) return;
  ctx.problem({
    ...source,
    message: `${worker}: the line ${written}, but stage${differ.length > 1 ? "s" : ""} ${differ.map((s) => `${s.name} (rails_env ${railsEnvOf(s)})`).join(", ")} run${differ.length > 1 ? "" : "s"} another environment: the pod drops ${dropped} and runs with its stage's RAILS_ENV; if those servers ran ${value} on purpose, set that stage's rails_env`,
    severity: "warning",
  });
}
