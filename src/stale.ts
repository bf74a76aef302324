// Files rails2k8s wrote on an earlier run and generates no more: the overlay of a stage that now
// defines no server, or whose stage file is gone. The record (src/generated.ts) is what proves a
// file was ours only together with the file itself: its path is there, the bytes on disk still hash
// to what was written, and the file starts with the marker the Kustomize emitter writes
// (GENERATED_MARKER_LINE). The record is committed, so a repo can carry one planted, naming a
// team's own k8s/overlays file whose hash it knows: without the marker that file is kept. Such a
// file is staged for deletion in the Tree, so it shows in the review and the dry run like any
// change and goes with the one atomic write. A file edited since is never deleted: a warning names it.
import { ANSWERS_FILE } from "./model/answers.js";
import { RECORD_PATH, SECRET_RECORD_PATH, sha256, type GeneratedRecord } from "./generated.js";
import { GITIGNORE } from "./gitignore.js";
import { mayDeleteStale, mayGenerate } from "./output-paths.js";
import { checkRepoPath, type Tree } from "./tree.js";
import { GENERATED_MARKER_LINE } from "../emitters/contract.js";

/** The file starts with the line only rails2k8s' Kustomize emitter writes there. */
const carriesMarker = (bytes: Buffer): boolean => bytes.subarray(0, Buffer.byteLength(GENERATED_MARKER_LINE)).equals(Buffer.from(GENERATED_MARKER_LINE, "utf8"));

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
    else if (!carriesMarker(disk.bytes))
      // The record says we wrote it, but the file does not: an earlier version's output, or a team
      // file a (possibly planted) record vouches for. Kept, and kept in the record, so it is named again.
      warn(`${path}: the record says an earlier run wrote it, and ${why}; but it does not start with rails2k8s' generated-file line, so it is not deleted: delete it yourself if it is not the team's own`);
    else {
      tree.remove(path, { origin: "stale", ...(secret(path) ? { secret: true } : {}), why: `${why}: written by an earlier run and unchanged since, so deleted` });
      delete next[path];
    }
  }
  return next;
}
