// A deploy file kept out of git (`/config/deploy.rb` in .gitignore) with an example copy committed
// beside it (config/deploy.rb.sample, config/deploy.rb.example): each server held its own copy, made
// from that example. The example is the deploy's template, not what ran: it is named wherever the
// missing file is (the analysis never reads it as the deploy; its hosts and stages are placeholders
// or someone's, to confirm).
import type { RepoFiles } from "../../src/model.js";

const SUFFIXES = ["example", "sample", "dist", "template", "tmpl", "default"];

/** The repo's example copies of `target` (`config/deploy.rb`), in a stable order. */
export function deployExamplesOf(target: string, paths: readonly string[]): string[] {
  const dot = target.lastIndexOf(".");
  const slash = target.lastIndexOf("/");
  const [base, ext] = dot > slash ? [target.slice(0, dot), target.slice(dot)] : [target, ""];
  const names = new Set(SUFFIXES.flatMap((s) => [`${target}.${s}`, `${base}.${s}${ext}`, `${base}_${s}${ext}`, `${base}-${s}${ext}`]));
  return paths.filter((p) => names.has(p)).sort();
}

/** The .gitignore line that names `target` itself (`config/deploy.rb` or `/config/deploy.rb`), if any. */
export function ignoredAt(repo: RepoFiles, target: string): number | null {
  if (!repo.paths.includes(".gitignore")) return null;
  const r = repo.read(".gitignore");
  if (!("text" in r)) return null;
  const i = r.text.split("\n").findIndex((l) => l.trim().replace(/^\//, "") === target);
  return i < 0 ? null : i + 1;
}

/** `config/deploy.rb.example is in the repo: …` for a message about the missing `target`; "" when there is none. */
export function deployExampleSaid(repo: RepoFiles, target: string, asked = true): string {
  const examples = deployExamplesOf(target, repo.paths);
  if (!examples.length) return "";
  const ignored = ignoredAt(repo, target);
  return `; ${examples.join(" and ")} ${examples.length === 1 ? "is" : "are"} in the repo, the deploy's template${ignored !== null ? ` (${target} itself is git-ignored, .gitignore:${ignored})` : ""}: the servers deployed with a copy of ${target} made from it and kept off the repo, so their stages, servers and settings are not read from it (copy it to ${target} with the real values${asked ? ", or answer the questions," : ""} and run again)`;
}
