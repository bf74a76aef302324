// Capistrano 3 features newer than the lockfile's Capistrano: a Capfile written for 3.7 (`require
// "capistrano/scm/git"` + `install_plugin`) beside a lock of 3.6.1 is one the locked `cap` cannot
// load (no such file to require, no such method), so the deploy ran with another Capistrano than
// the bundle's. Each feature's first version is cited from Capistrano's CHANGELOG.md.
import type { AnalyzerContext, Source } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { before } from "./after-defaults.js";

interface Feature {
  what: string;
  since: string;
  /** CHANGELOG.md's entry, in short. */
  cited: string;
  /** A line (comments left out) that uses it. */
  line: RegExp;
  /** Files it is looked for in: the Capfile, or every deploy file. */
  capfileOnly: boolean;
}

const FEATURES: Feature[] = [
  // CHANGELOG.md `3.7.0` (2016-12-10): "The `set :scm, ...` mechanism is now deprecated in favor of a new SCM plugin system".
  { what: 'the SCM plugin files (`require "capistrano/scm/git"`, hg, svn)', since: "3.7.0", cited: "CHANGELOG 3.7.0: the new SCM plugin system", line: /^\s*require\s*\(?\s*["']capistrano\/scm\/(?:git|hg|svn)["']/, capfileOnly: true },
  { what: "`install_plugin`", since: "3.7.0", cited: "CHANGELOG 3.7.0: the new SCM plugin system", line: /^\s*install_plugin\b/, capfileOnly: true },
  // CHANGELOG.md `3.3.3`: "Added set_if_empty method to DSL to allow conditional setting".
  { what: "`set_if_empty`", since: "3.3.3", cited: "CHANGELOG 3.3.3: set_if_empty added to the DSL", line: /^\s*set_if_empty\b/, capfileOnly: false },
];

/** The first use of each feature newer than the locked version, in the Capfile and deploy files. */
export function featuresNewerThan(ctx: AnalyzerContext, locked: string, capfile: string, deployFiles: string[]): { what: string; since: string; cited: string; source: Source }[] {
  const out: { what: string; since: string; cited: string; source: Source }[] = [];
  const texts = new Map<string, string[]>();
  const linesOf = (file: string): string[] => {
    if (!texts.has(file)) {
      const r = hasPath(ctx.repo, file) ? ctx.repo.read(file) : { error: "" };
      texts.set(file, "text" in r ? r.text.split(/\r?\n/) : []);
    }
    return texts.get(file)!;
  };
  for (const f of FEATURES) {
    if (!before(locked, f.since)) continue;
    for (const file of f.capfileOnly ? [capfile] : [capfile, ...deployFiles]) {
      const i = linesOf(file).findIndex((l) => f.line.test(l));
      if (i >= 0) {
        out.push({ what: f.what, since: f.since, cited: f.cited, source: { file, line: i + 1 } });
        break;
      }
    }
  }
  return out;
}
