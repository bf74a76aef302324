// Which file is the Capfile: Capistrano's Rake application looks for these names, in this order
// (capistrano/application.rb: `@rakefiles = %w{capfile Capfile capfile.rb Capfile.rb}`), and loads
// the first one that exists.
import { hasPath, type RepoFiles } from "../../src/model.js";

export const CAPFILE_NAMES: readonly string[] = ["capfile", "Capfile", "capfile.rb", "Capfile.rb"];

/** The repo's Capfile path, null when it has none. */
export function capfilePath(repo: RepoFiles): string | null {
  return CAPFILE_NAMES.find((n) => hasPath(repo, n)) ?? null;
}

export const isCapfileName = (path: string): boolean => CAPFILE_NAMES.includes(path);
