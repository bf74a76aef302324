// A configuration directory linked from shared/ (`set :linked_dirs, %w[config/settings]`, Global's
// `config/global`, or a Capistrano 2 task's `ln -nfs #{shared_path}/config/settings
// #{release_path}/config/settings`). Capistrano's deploy:symlink:linked_dirs removes the release's
// directory (`rm -rf`) and links the servers' shared/<dir> in its place, so every file the app read
// from it is the servers' copy: the repo's files there (if any) never ran, and the servers' files that
// the repo lacks (config/settings/production.yml, the Global namespaces kept only on the boxes) are not
// known. Directories that hold data, logs, caches or pids are storage, not configuration (their
// class in analyzers/capistrano/linked.ts), and keep their own hazards.
import type { LinkedPath } from "../src/model.js";

/** Linked directories under config/ whose files are configuration the app reads (config/credentials is a secret's, said elsewhere). */
export function linkedConfigDirs(linked: readonly LinkedPath[]): LinkedPath[] {
  return linked.filter((l) => l.kind === "dir" && l.class === "config" && /^config\/[^*?[]+$/.test(l.path.replace(/\/+$/, "")));
}

const dirOf = (l: LinkedPath): string => l.path.replace(/\/+$/, "");

/** The linked config directory holding a repo path (itself or any depth below), or null. */
export function linkedDirHolding(linked: readonly LinkedPath[], file: string): LinkedPath | null {
  return linkedConfigDirs(linked).find((l) => file.startsWith(`${dirOf(l)}/`)) ?? null;
}

/** "config/settings is linked from shared/ (config/deploy.rb:33)": the label's reason, with the link's line. */
export function linkedDirWords(l: LinkedPath): string {
  return `${dirOf(l)} is linked from the servers' shared/ directory (${l.source.file}:${l.source.line}${l.stages.length ? `, stage${l.stages.length > 1 ? "s" : ""} ${l.stages.join(", ")}` : ""})`;
}

/** The label every value read from a repo file in such a directory carries. */
export function repoCopyLabel(l: LinkedPath): string {
  return `the repo's copy, the servers' copy may differ: ${linkedDirWords(l)}`;
}

/**
 * Each linked config directory with the repo's files under it (LinkedPath.repoFiles): the hazard
 * names them as the copies the image would carry, never the servers'. Sorted, so the report is stable.
 */
export function withRepoFiles(paths: readonly string[], linked: LinkedPath[]): void {
  for (const l of linkedConfigDirs(linked)) l.repoFiles = paths.filter((p) => p.startsWith(`${dirOf(l)}/`)).sort();
}
