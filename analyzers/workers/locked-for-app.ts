// Whether a job gem in Gemfile.lock says the app runs it. A gem is in the lockfile because the
// Gemfile asks for it, or because a gem it asks for depends on it. capistrano-sidekiq depends on
// sidekiq, so a deploy that merely keeps capistrano-sidekiq in its development group locks sidekiq
// without the app ever running it (Jenny-Liujj__tianyuan). The lockfile's DEPENDENCIES are the
// gems the Gemfile asked for, its specs' indented lines who needs whom (bundler's lockfile_parser).
//
// Rule: the gem counts when some gem the Gemfile asked for reaches it through the specs without
// passing a deploy gem (src/model/deploy-gems.ts), and that asked-for gem is in a group the app runs
// with: any group other than development and test, or no group known (no Gemfile read, or a gem
// the Gemfile declares in a way not read). Otherwise the roots that pulled it in are returned, to
// be named in a warning.
import type { AnalyzerContext, RailsFacts, Source } from "../../src/model.js";
import { parseLockfile } from "../rails/lockfile.js";
import { isDeployGem } from "../../src/model/deploy-gems.js";

const LOCKFILE = "Gemfile.lock";
/** Groups Bundler installs for development only (the image's BUNDLE_WITHOUT always holds them). */
const DEV_GROUPS = new Set(["development", "test"]);

export interface LockedRoot {
  /** The gem the Gemfile asked for. */
  gem: string;
  /** Its Gemfile groups; null when the Gemfile does not say. */
  groups: string[] | null;
  /** It is a deploy gem: it runs on a workstation, not on the servers. */
  deploy: boolean;
  /** Its `gem` line in the Gemfile, else its DEPENDENCIES line in Gemfile.lock. */
  source: Source;
}

export type LockedFor = { app: true } | { app: false; roots: LockedRoot[] };

export function lockedForApp(ctx: AnalyzerContext, rails: RailsFacts, gem: string): LockedFor {
  const r = ctx.repo.read(LOCKFILE);
  if ("error" in r) return { app: true };
  const lock = parseLockfile(r.text);
  const asked = new Map(lock.dependencies.map((d) => [d.name, d]));
  const parents = new Map<string, Set<string>>();
  for (const s of lock.specs) for (const d of s.dependencies) parents.set(d.name, (parents.get(d.name) ?? new Set()).add(s.name));
  const known = Object.keys(rails.gemGroups).length > 0;
  const roots: LockedRoot[] = [];
  const seen = new Set<string>([gem]);
  const queue = [gem];
  while (queue.length) {
    const g = queue.shift()!;
    const deploy = g !== gem && isDeployGem(g);
    const d = asked.get(g);
    if (d || deploy) {
      const groups = known ? (rails.gemGroups[g] ?? null) : null;
      roots.push({ gem: g, groups, deploy, source: gemLine(ctx, g) ?? { file: LOCKFILE, line: d?.line ?? 0 } });
    }
    // A deploy gem's own dependents are no way into the app's bundle.
    if (deploy) continue;
    for (const p of parents.get(g) ?? []) if (!seen.has(p)) (seen.add(p), queue.push(p));
  }
  // A lockfile whose graph says nothing (no DEPENDENCIES section read): not known, so it counts.
  if (!roots.length) return { app: true };
  if (roots.some((x) => !x.deploy && (x.groups === null || x.groups.some((gr) => !DEV_GROUPS.has(gr))))) return { app: true };
  return { app: false, roots };
}

/** How the roots pulled the gem in, in words: `capistrano-sidekiq (Gemfile:53, groups development, test), a deploy gem`. */
export function lockedBy(gem: string, roots: LockedRoot[]): string {
  return roots
    .map((x) => {
      const where = `${x.source.file}:${x.source.line}`;
      const groups = x.groups ? `, group${x.groups.length > 1 ? "s" : ""} ${x.groups.join(", ")}` : "";
      return x.gem === gem ? `the Gemfile's own ${gem} (${where}${groups})` : `${x.gem} (${where}${groups})${x.deploy ? ", a deploy gem that runs on the workstation" : ""}`;
    })
    .join("; ");
}

/** The line of the Gemfile's `gem "<name>"`. */
function gemLine(ctx: AnalyzerContext, gem: string): Source | null {
  const r = ctx.repo.read("Gemfile");
  if ("error" in r) return null;
  const esc = gem.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  const re = new RegExp(`^\\s*gem\\s*\\(?\\s*["']${esc}["']`);
  const i = r.text.split(/\r?\n/).findIndex((l) => re.test(l));
  return i < 0 ? null : { file: "Gemfile", line: i + 1 };
}
