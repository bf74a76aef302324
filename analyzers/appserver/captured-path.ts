// A server config path built from `deploy_to` by a plain `set` in config/deploy.rb
// (`set :puma_conf, "#{deploy_to}/current/config/puma.rb"`): Capistrano computes a plain value at
// its `set`, and every 3.x loads config/deploy.rb before config/deploy/<stage>.rb (setup.rb's stage
// task). A stage file that sets another deploy_to later does not change the path: that stage starts
// its server with a file under the other deploy_to, outside its own releases. Only a lambda
// (`-> { "#{fetch(:deploy_to)}/…" }`) follows the stage. Checked with real `cap` (3.17) in
// test/appserver/captured-deploy-to.test.ts.
import type { AnalyzerContext, Fact, RValue, Source, Stage } from "../../src/model.js";
import { parseRuby, kind, argsOf, childrenOf, literalName } from "../ruby/prism.js";
import { rubyToS } from "../ruby/evaluate.js";

export interface CapturedDeployTo {
  /** The deploy_to the path was built from, and the `set` that gave it (null when not found). */
  builtFrom: string;
  builtAt: Source | null;
  /** The stage's own deploy_to, set later. */
  stageDeployTo: Fact<RValue>;
}

// The path's expression starts with deploy_to: `"#{deploy_to}/…"`, `"#{fetch(:deploy_to)}/…"`.
const FROM_DEPLOY_TO = /^#\{\s*(?:deploy_to|fetch\s*\(?\s*:deploy_to\s*\)?)\s*\}$/;

/**
 * Why a stage's config path (`fact`, the stage's value of the variable) lies outside its deploy_to,
 * when that is because the path was computed from an earlier deploy_to; null otherwise.
 */
export function capturedDeployTo(ctx: AnalyzerContext, stage: Stage, variable: string, fact: Fact<RValue>): CapturedDeployTo | null {
  const own = stage.variables["deploy_to"];
  const path = rubyToS(fact.value);
  const dir = own ? rubyToS(own.value)?.replace(/\/+$/, "") : null;
  if (!own || !path || !dir || path.startsWith(`${dir}/`)) return null;
  // The stage's deploy_to must be set after the path's `set` ran: in a later file (the stage file).
  if (own.source.file === fact.source.file && own.source.line <= fact.source.line) return null;
  const read = ctx.repo.read(fact.source.file);
  if (!("text" in read)) return null;
  const parsed = parseRuby(fact.source.file, read.text);
  const sets: any[] = [];
  const walk = (n: any, depth: number) => {
    if (!n || depth > 200) return;
    if (kind(n) === "CallNode" && !n.receiver && n.name === "set" && argsOf(n).length >= 2) sets.push(n);
    // not into blocks, lambdas or method bodies: only what runs when the file loads
    if (["BlockNode", "LambdaNode", "DefNode"].includes(kind(n))) return;
    for (const c of childrenOf(n)) walk(c, depth + 1);
  };
  walk(parsed.root, 0);
  const at = sets.find((n) => literalName(argsOf(n)[0]) === variable && parsed.sourceOf(n).line === fact.source.line);
  const value = at ? argsOf(at)[1] : null;
  if (!value || kind(value) !== "InterpolatedStringNode" || at.block) return null;
  const [first, ...rest] = value.parts as any[];
  if (!first || kind(first) !== "EmbeddedStatementsNode" || !FROM_DEPLOY_TO.test(parsed.textOf(first).trim())) return null;
  if (!rest.every((p) => kind(p) === "StringNode")) return null;
  const suffix = rest.map((p) => p.unescaped?.value ?? "").join("");
  if (!path.endsWith(suffix)) return null;
  const builtFrom = path.slice(0, path.length - suffix.length);
  if (builtFrom.replace(/\/+$/, "") === dir) return null;
  // The deploy_to in force then: the last `set :deploy_to` before it in the same file.
  const before = sets.filter((n) => literalName(argsOf(n)[0]) === "deploy_to" && parsed.sourceOf(n).line < fact.source.line).pop();
  return { builtFrom, builtAt: before ? parsed.sourceOf(before) : null, stageDeployTo: own };
}

/** The clause a warning gives: which deploy_to the path was built from, and when the stage's came. */
export function capturedClause(variable: string, fact: Fact<RValue>, c: CapturedDeployTo): string {
  const from = `deploy_to ${JSON.stringify(c.builtFrom)}${c.builtAt ? ` (${c.builtAt.file}:${c.builtAt.line})` : ""}`;
  const later = `${c.stageDeployTo.source.file}:${c.stageDeployTo.source.line} sets deploy_to ${JSON.stringify(rubyToS(c.stageDeployTo.value))}`;
  return `${variable} ${JSON.stringify(rubyToS(fact.value))} was built from ${from} when ${fact.source.file} loaded (${fact.source.file}:${fact.source.line} is a plain value, computed at its \`set\`); ${later} only afterwards, and that does not change the path (a lambda, \`-> { "#{fetch(:deploy_to)}/..." }\`, would have followed it). So the server is started with a file outside this stage's releases`;
}
