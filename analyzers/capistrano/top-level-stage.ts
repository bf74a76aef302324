// Capistrano 2 without multistage, stages written as switch tasks (`task :production do role … end`),
// and a top level of config/deploy.rb that declares servers of its own: `cap production deploy` runs
// the switch first, but a plain `cap deploy` runs no switch and deploys the top level's servers with
// the top level's settings. That deploy is a stage too (as Mina's `else` branch is, mina.ts), or the
// environment it ran is lost. Capistrano 2 has no name for it, so the name is the tool's, by one rule:
//   1. the top level's rails_env, when the repo sets it (not Capistrano 2's own "production" default),
//   2. else the top level's `stage` variable (Cap2 without multistage has no `stage` of its own: a
//      repo sets it to name what the top level is),
//   3. else "default" (what `cap deploy` with no stage task ran),
// skipping a value that is not a stage name or that a switch task already has (same Kubernetes name).
// A value read from ENV (`ENV["RAILS_ENV"] || "staging"`) gives its fallback, named for confirmation.
import type { RValue, Source } from "../../src/model.js";
import { isSym } from "../ruby/evaluate.js";
import { stageSlug } from "../../src/model.js";

export interface TopLevelName {
  name: string;
  by: "rails_env" | "stage" | "default";
  source: Source;
  /** The ENV name the value was read from (its fallback is the name). */
  envRead?: string;
}

interface Vars {
  has(name: string): boolean;
  fetch(name: string): RValue;
  sourceOf(name: string): Source | undefined | null;
}

const NAME = /^[a-z][a-z0-9_-]*$/i;

/** A literal name, or an ENV read's literal fallback (with the ENV name). */
function nameOf(v: RValue): { text: string; env?: string } | null {
  if (typeof v === "string") return { text: v };
  if (isSym(v)) return { text: v.sym };
  if (v && typeof v === "object" && !Array.isArray(v) && typeof (v as { env?: unknown }).env === "string") {
    const d = (v as { default?: RValue | null }).default ?? null;
    const inner = d === null ? null : nameOf(d);
    return inner && !inner.env ? { text: inner.text, env: (v as { env: string }).env } : null;
  }
  return null;
}

/**
 * The top-level stage's name (see above). `isDefault` says a source is a tool's own default (Capistrano
 * 2's `_cset :rails_env`); `taken` are the switch tasks' names; `firstServer` is cited for "default".
 */
export function topLevelStageName(vars: Vars, isDefault: (src: Source) => boolean, taken: string[], firstServer: Source): TopLevelName {
  const slug = (n: string) => {
    const r = stageSlug(n);
    return "slug" in r ? r.slug : null;
  };
  const takenSlugs = new Set(taken.map(slug).filter((x) => x !== null));
  for (const by of ["rails_env", "stage"] as const) {
    if (!vars.has(by)) continue;
    const source = vars.sourceOf(by);
    if (!source || isDefault(source)) continue;
    const n = nameOf(vars.fetch(by));
    if (!n || !NAME.test(n.text)) continue;
    const s = slug(n.text);
    if (s === null || takenSlugs.has(s)) continue;
    return { name: n.text, by, source, ...(n.env ? { envRead: n.env } : {}) };
  }
  let name = "default";
  for (let i = 2; takenSlugs.has(slug(name)!); i++) name = `default-${i}`;
  return { name, by: "default", source: firstServer };
}

/** The ENV names a value reads (`"/srv/#{nickname}"` where nickname is `ENV["NICKNAME"] || "x"`). */
export function envNamesIn(v: unknown, out: Set<string> = new Set()): Set<string> {
  if (!v || typeof v !== "object") return out;
  if (Array.isArray(v)) {
    for (const x of v) envNamesIn(x, out);
    return out;
  }
  const o = v as Record<string, unknown>;
  if (typeof o.env === "string") out.add(o.env);
  if (Array.isArray(o.interp)) envNamesIn(o.interp, out);
  return out;
}
