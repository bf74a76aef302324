// Mina's paths linked from shared/ into every release: its `deploy:link_shared_paths` task, which a
// deploy runs only when its `deploy` task invokes it (Mina has no default flow that does).
// - Mina 0.3 (Debian's mina 0.3.7, /usr/lib/ruby/vendor_ruby/mina/deploy.rb:51-66): one list,
//   `shared_paths`, each entry `rm -rf ./x && ln -s <deploy_to>/shared/x ./x`, file or folder alike;
// - Mina 1.x (mina-deploy/mina tasks/mina/deploy.rb, `deploy:link_shared_paths`): `shared_dirs`
//   (folders) and `shared_files` (files); `shared_paths` is only read by `setup`, to create the
//   parent folders, and links nothing. mina/rails pushes log, tmp/cache and public/assets onto
//   `shared_dirs` (tasks/mina/rails.rb), which MINA_1_RAILS in defaults.ts sets.
// These are the same thing as Capistrano's linked_files / linked_dirs: the servers' copy of each
// path, not the repo's, is what ran (LinkedPath, read by hazards, database-linked, sidekiq-linked).
import type { LinkedPath } from "../../src/model.js";

/**
 * The variables a Mina deploy links from shared/, with the kind of each entry ("either": decided by
 * the path), for the major Gemfile.lock resolves; when it resolves none, every list (a deploy sets
 * the ones its own Mina links).
 */
export function minaSharedLists(major: 0 | 1 | null): [string, LinkedPath["kind"] | "either"][] {
  const old: [string, "either"][] = [["shared_paths", "either"]];
  const now: [string, LinkedPath["kind"]][] = [["shared_dirs", "dir"], ["shared_files", "file"]];
  return major === 0 ? old : major === 1 ? now : [...old, ...now];
}

/** Every variable name the Mina deploy paths may be listed in (where each entry's source is recorded). */
export const MINA_SHARED_KEYS = new Set(["shared_paths", "shared_dirs", "shared_files"]);

/**
 * Whether a Mina 0.3 `shared_paths` entry is a file or a folder: what the repo holds at that path
 * (a folder when files sit under it, a file when it is one); for a path the repo lacks, a last
 * segment with an extension is read as a file (config/database.yml), one without as a folder (tmp).
 */
export function sharedPathKind(path: string, paths: readonly string[], listed: LinkedPath["kind"] | "either" = "either"): LinkedPath["kind"] {
  const p = path.replace(/^\.\//, "").replace(/\/+$/, "");
  // What the checkout holds there is what the link replaced (Mina 1.x's `rm -f` of a listed file
  // that is a folder in the repo fails the deploy; either way the path is not a file of the image).
  if (paths.some((x) => x.startsWith(`${p}/`))) return "dir";
  if (paths.includes(p)) return "file";
  if (listed !== "either") return listed;
  return /\.[A-Za-z0-9]+$/.test(p.split("/").pop() ?? "") ? "file" : "dir";
}

/** A deploy file's text invokes Mina's link task (`invoke :'deploy:link_shared_paths'`). */
export const INVOKES_LINK = /\binvoke[\s(]+:?["']?deploy:link_shared_paths\b/;
