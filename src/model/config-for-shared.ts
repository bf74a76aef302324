// How Rails' config_for reads a file's `shared:` section, by the app's Rails version: the one rule
// the analyzers (which addresses a stage reads) and the rails-config emitter (whether to write
// `shared:`) both follow. From railties/lib/rails/application.rb at each tag (SEMANTICS.md):
// - before 6.0: `YAML.load(...)[env] || {}`, so `shared` is only another environment's name;
// - 6.0.0–6.0.3: `(config["shared"] || {}).merge(config[env] || {})`, a shallow merge: an env
//   section's top-level key replaces shared's whole value under that key;
// - 6.0.4 on (the cherry-pick 7d8cc2feb99 "Allow non-hash values in config files", then 6.1's own):
//   `shared.deep_merge(config)`; an env section that is not a Hash is taken as it is.

export type SharedMerge = "none" | "shallow" | "deep";

/** null: the version is not known (the caller says so, and assumes the current rule, labelled). */
export function sharedMergeOf(version: string | null | undefined): SharedMerge | null {
  const m = version ? /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim()) : null;
  if (!m) return null;
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (maj < 6) return "none";
  if (maj > 6 || min > 0) return "deep";
  return patch >= 4 ? "deep" : "shallow";
}

/** What today's Rails does: the assumption where the version is unknown. */
export const CURRENT_SHARED_MERGE: SharedMerge = "deep";

/**
 * How config_for looks up the env's and shared's sections, beyond the merge (railties
 * application.rb; 6.1.7 verified by running Debian's railties):
 * - symbolKeys: 6.1 on read the file through `deep_symbolize_keys` and look up `env.to_sym` and
 *   `:shared`, so `:shared:` and `shared:` are one key (the later wins); earlier versions look the
 *   names up as Strings, and a Symbol key is no section there;
 * - falseTakesShared: 6.0's `config[env] || {}` (6.0.4: `config ||= {}`) gives a `false` section
 *   shared's values; 6.1 on merges only into a Hash or a missing/null section, so `false` stays false.
 */
export function sectionLookupOf(version: string | null | undefined): { symbolKeys: boolean; falseTakesShared: boolean } | null {
  const m = version ? /^(\d+)\.(\d+)/.exec(version.trim()) : null;
  if (!m) return null;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  const modern = maj > 6 || (maj === 6 && min >= 1);
  return { symbolKeys: modern, falseTakesShared: maj === 6 && min === 0 };
}

/** What today's Rails does: the assumption where the version is unknown. */
export const CURRENT_SECTION_LOOKUP = { symbolKeys: true, falseTakesShared: false };
