// capistrano-multiconfig (3.x): `require 'capistrano/multiconfig'` in the Capfile replaces
// `capistrano/setup`. Its rules, as the gem's README and lib/capistrano/multiconfig{,/dsl}.rb state:
// - the stages are every `<stages_root>/**/*.rb` (stages_root: `fetch(:stages_root, 'config/deploy')`,
//   read when the Capfile requires the gem), named by its path below the root with `/` → `:`
//   (`config/deploy/shop/production.rb` → `shop:production`);
// - a file whose name is the namespace of another (`config/deploy/shop.rb` beside `shop/`) is not a
//   stage: it is shared configuration;
// - `cap shop:production` sets `:stage` to the String "shop:production", runs load:defaults, then loads
//   `<stages_root>.rb`, `<stages_root>/shop.rb`, `<stages_root>/shop/production.rb`, each if it exists.
import type { Source } from "../../src/model.js";
import { compileGlob } from "./glob.js";

export const MULTICONFIG_REQUIRE = "capistrano/multiconfig";
/** The gem's default for `:stages_root`. */
export const MULTICONFIG_ROOT = "config/deploy";

export interface MulticonfigStage {
  name: string;
  /** The stage's own file. */
  file: string;
  /** The files the stage task loads, in order, that exist: `<root>.rb`, each namespace's file, then `file`. */
  chain: string[];
}

/** The Capfile's `require 'capistrano/multiconfig'`, where it is; null when the Capfile does not load the gem. */
export function multiconfigRequire(capfile: string, file = "Capfile"): Source | null {
  const lines = capfile.split("\n");
  const i = lines.findIndex((l) => /^\s*require\s*\(?\s*["']capistrano\/multiconfig["']/.test(l));
  return i < 0 ? null : { file, line: i + 1 };
}

/** The lockfile names the gem (a hint that the Capfile was meant to load it). */
export const lockHasMulticonfig = (lock: string): boolean => /^    capistrano-multiconfig \(/m.test(lock);

/** The stages and what each loads, from the repo's paths, as the gem lists them (sorted). */
export function multiconfigStages(paths: readonly string[], root: string): MulticonfigStage[] {
  const base = root.replace(/^\.\//, "").replace(/\/+$/, "");
  const re = compileGlob(`${base}/**/*.rb`);
  const have = new Set(paths);
  const names = paths.filter((p) => re.test(p)).map((p) => p.slice(base.length + 1, -3).split("/").join(":"));
  const kept = names.filter((n) => !names.some((o) => o !== n && o.startsWith(`${n}:`)));
  // Ruby's Array#sort of Strings: byte order (the names are ASCII in practice; code units agree there).
  kept.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return kept.map((name) => {
    const segs = name.split(":");
    const files = [`${base}.rb`];
    for (let i = 1; i <= segs.length; i++) files.push(`${base}/${segs.slice(0, i).join("/")}.rb`);
    return { name, file: files[files.length - 1], chain: files.filter((f) => have.has(f)) };
  });
}
