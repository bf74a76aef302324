// Files rails2k8s wrote on an earlier run and generates no more: the overlay of a stage that now
// defines no server, or whose stage file is gone. The record (src/generated.ts) is what proves a
// file was ours: its path is there, and the bytes on disk still hash to what was written. Such a
// file is staged for deletion in the Tree, so it shows in the review and the dry run like any
// change and goes with the one atomic write. A file edited since is never deleted: a warning names it.
import { ANSWERS_FILE } from "./answers.js";
import { RECORD_PATH, SECRET_RECORD_PATH, sha256, type GeneratedRecord } from "./generated.js";
import { GITIGNORE } from "./gitignore.js";
import { mayDeleteStale, mayGenerate } from "./output-paths.js";
import { checkRepoPath, type Tree } from "./tree.js";

/** Never deleted, whatever a (possibly planted) record says: rails2k8s' own bookkeeping and the team's .gitignore. */
const isBookkeeping = (path: string): boolean => path === ANSWERS_FILE || path === GITIGNORE || path === RECORD_PATH || path === SECRET_RECORD_PATH || path.startsWith(".rails2k8s/");

const isPlainPath = (path: string): boolean => {
  try {
    checkRepoPath(path);
    return true;
  } catch {
    return false;
  }
};

/** Why the file is no longer generated, as far as its path tells. */
function noLonger(path: string, generated: ReadonlySet<string>): string {
  const m = /^k8s\/overlays\/([^/]+)\//.exec(path);
  if (m && ![...generated].some((g) => g.startsWith(`k8s/overlays/${m[1]}/`))) return `stage ${m[1]} gets no overlay any more`;
  return "rails2k8s generates it no more";
}

/**
 * Stages the deletion of every recorded file that is not generated any more and is unchanged
 * since it was written; warns about each one edited since (kept, and kept in the record so the
 * warning comes back until the team deletes it). Returns the record without the deleted files and
 * without files already gone.
 */
export function settleStale(tree: Tree, record: GeneratedRecord, generated: ReadonlySet<string>, secret: (path: string) => boolean, warn: (message: string) => void): GeneratedRecord {
  const next: GeneratedRecord = { ...record };
  // On a case-insensitive file system K8s/Base/x and k8s/base/x are one file: a record path that
  // case-folds to one written this run is that file, never a stale one.
  const folded = new Set([...generated].map((p) => p.toLowerCase()));
  for (const path of Object.keys(record).sort()) {
    if (folded.has(path.toLowerCase()) || isBookkeeping(path) || !isPlainPath(path) || tree.isStaged(path)) continue;
    // The record is committed, so it may be planted: a path no emitter writes is not ours, whatever
    // its hash; it is dropped from the record and left alone (never read, never deleted).
    if (!mayGenerate(path)) {
      delete next[path];
      continue;
    }
    const disk = tree.original(path);
    const why = noLonger(path, generated);
    if (disk.kind === "missing") delete next[path];
    else if (!mayDeleteStale(path)) {
      // Deletion is for the Kubernetes files a dropped stage or object leaves behind. The rest of
      // the output may be what the app runs on now (config/custom/*.yml read by config_for once
      // config/global is gone, the initializers, the rake task): named, kept, kept in the record.
      if (disk.kind === "file") warn(`${path}: written by an earlier run, and ${why}; not deleted, as the app may depend on it: delete it yourself once nothing needs it`);
    }
    else if (disk.kind === "other") warn(`${path}: written by an earlier run, and ${why}; ${disk.what} stands there now: left as it is`);
    else if (sha256(disk.bytes) !== record[path])
      warn(
        `${path}: written by an earlier run, and ${why}; it was ${secret(path) ? "filled in or edited" : "edited"} since, so it is not deleted: delete it yourself once nothing needs it`,
      );
    else {
      tree.remove(path, { origin: "stale", ...(secret(path) ? { secret: true } : {}), why: `${why}: written by an earlier run and unchanged since, so deleted` });
      delete next[path];
    }
  }
  return next;
}
