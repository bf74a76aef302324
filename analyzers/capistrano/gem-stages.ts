// A Capistrano 2 deploy whose stage tasks come from a gem it requires (a company's recipe gem that
// defines `task :staging { set :stage, … }`): the repo holds no stage, yet its own files read :stage
// (`set(:branch) { stage == "production" ? … }`). That is not "a deploy the repo does not describe":
// the gems that may define the stages are named, and the stage names its comparisons spell are read
// as what the repo itself says (gap stages.none).
import type { Fact, GemStages, Source } from "../../src/model.js";
import { kind, argsOf, literalName, type ParsedRuby } from "../ruby/prism.js";

/** Requires that are no stage source: Ruby's and Bundler's setup, Capistrano 2 itself and its recipes. */
const NOT_A_STAGE_GEM = /^(rubygems|bundler(\/.*)?|deploy(\/.*)?|capistrano(\/.*)?|config\/deploy)$/;

/** `stage`, `fetch(:stage)`, `self.stage`: Capistrano 2's reads of the stage variable. */
function readsStage(node: any): boolean {
  if (kind(node) !== "CallNode") return false;
  const args = argsOf(node);
  if (node.name === "stage" && !args.length && (!node.receiver || kind(node.receiver) === "SelfNode")) return true;
  return node.name === "fetch" && !node.receiver && args.length >= 1 && literalName(args[0]) === "stage";
}

export function gemStages(files: ParsedRuby[], requires: Fact<string>[], isRepoFile: (p: string) => boolean): GemStages | null {
  let read: Source | null = null;
  const names: Fact<string>[] = [];
  const walk = (n: any, p: ParsedRuby, depth: number): void => {
    if (!n || typeof n !== "object" || depth > 200) return;
    if (readsStage(n)) read ??= p.sourceOf(n);
    if (kind(n) === "CallNode" && (n.name === "==" || n.name === "!=") && n.receiver) {
      const [arg] = argsOf(n);
      const name = readsStage(n.receiver) ? literalName(arg) : arg && readsStage(arg) ? literalName(n.receiver) : null;
      if (name !== null && /^[a-z][a-z0-9_-]*$/i.test(name) && !names.some((x) => x.value === name)) names.push({ value: name, source: p.sourceOf(n) });
    }
    for (const [key, v] of Object.entries(n)) {
      if (key === "location" || key === "constructor") continue;
      if (Array.isArray(v)) v.forEach((x) => walk(x, p, depth + 1));
      else if (v && typeof v === "object" && kind(v).endsWith("Node")) walk(v, p, depth + 1);
    }
  };
  for (const p of files) walk(p.root, p, 0);
  const gems = requires.filter((r) => !NOT_A_STAGE_GEM.test(r.value) && !isRepoFile(r.value) && !isRepoFile(`${r.value}.rb`));
  if (!read || !gems.length) return null;
  return { gems, read, names };
}
