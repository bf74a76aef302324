// The in-memory Tree every output goes through before anything touches the disk (the idea of Nx
// generators' Tree): writes are staged, reads see staged content first, and a write that restores
// the bytes already on disk drops the change, so a re-run with the same answers stages nothing.
// The disk is only read here (lazily, once per path); flushing is src/write.ts's job.
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { linkOnPath, LinkRefused } from "./safe-path.js";

/** What stands at a path on disk before any change. `link`: the component that is a symbolic link. */
export type DiskEntry = { kind: "file"; bytes: Buffer } | { kind: "missing" } | { kind: "other"; what: string; link?: string };

/** Why a file is in the Tree: decides how the review classifies it. */
export type Origin = "generated" | "patched" | "gitignore" | "answers" | "record" | "beside" | "stale";

export interface FileMeta {
  origin: Origin;
  /** Holds secret values: never shown, written 0600 and git-ignored. */
  secret?: boolean;
  mode?: number;
  /** The emitter that produced it (for messages). */
  by?: string;
  /** Why the change is made, for the review (a deletion says why the file goes). */
  why?: string;
}

export interface Change {
  /** Repo-relative with `/`, or absolute for a file outside the repo (an --answers file). */
  path: string;
  abs: string;
  before: DiskEntry;
  content: string;
  meta: FileMeta;
  /** The file is deleted rather than written (`content` is then empty). */
  remove?: true;
}

/** Reads `path` (repo-relative, or absolute outside the repo) under `root`. */
export type DiskReader = (root: string, path: string) => DiskEntry;

/**
 * Never follows a link: each component from the root down is lstat'd (a planted
 * `k8s/overlays/production/secrets.env` -> /etc/passwd is neither read nor shown), and the file is
 * opened with O_NOFOLLOW so that a link swapped in after the check is not followed either.
 */
export const readDiskEntry: DiskReader = (root, path) => {
  const abs = isAbsolute(path) ? path : join(root, path);
  try {
    const link = isAbsolute(path) ? (lstatSync(abs).isSymbolicLink() ? path : null) : linkOnPath(root, path);
    if (link !== null) return { kind: "other", what: link === path ? "a symbolic link" : `under ${link}, a symbolic link`, link };
    const st = lstatSync(abs);
    if (!st.isFile()) return { kind: "other", what: st.isDirectory() ? "a directory" : "not a regular file" };
    const fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      if (!fstatSync(fd).isFile()) return { kind: "other", what: "not a regular file" };
      return { kind: "file", bytes: readFileSync(fd) };
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a file stands where a parent directory should be; the write will say so.
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
    if (code === "ELOOP") return { kind: "other", what: "a symbolic link", link: path };
    return { kind: "other", what: `unreadable (${code ?? (e as Error).message})` };
  }
};

/** Rejects paths that would leave the repo: an emitter bug must never write outside it. */
export function checkRepoPath(path: string): void {
  const bad =
    path === "" ||
    isAbsolute(path) ||
    path.includes("\\") ||
    path.includes("\0") ||
    path.split("/").some((seg) => seg === "" || seg === "." || seg === "..");
  if (bad) throw new Error(`refusing to write ${JSON.stringify(path)}: not a plain path inside the repo`);
}

export class Tree {
  private readonly disk = new Map<string, DiskEntry>();
  private readonly staged = new Map<string, Change>();

  constructor(
    readonly root: string,
    private readonly readDisk: DiskReader = readDiskEntry,
  ) {}

  private abs(path: string, allowOutside = true): string {
    // Only the answers file may live outside the repo (--answers FILE); outputs never.
    if (isAbsolute(path) && allowOutside) return path;
    checkRepoPath(path);
    return join(this.root, path);
  }

  /** What is on disk at `path` (cached: the disk is read once per path). */
  original(path: string): DiskEntry {
    let e = this.disk.get(path);
    if (!e) {
      this.abs(path); // the path check
      this.disk.set(path, (e = this.readDisk(this.root, path)));
    }
    return e;
  }

  /** The text at `path` as the Tree stands: staged content, else the disk's, else null. */
  read(path: string): string | null {
    const s = this.staged.get(path);
    if (s) return s.remove ? null : s.content;
    const e = this.original(path);
    return e.kind === "file" ? e.bytes.toString("utf8") : null;
  }

  /**
   * Stages `content` at `path` (repo-relative; absolute only for files outside the repo, such as
   * an --answers file). Content equal to the disk's bytes drops the change.
   */
  write(path: string, content: string, meta: FileMeta): void {
    const abs = this.abs(path, meta.origin === "answers");
    const before = this.original(path);
    // Refused here rather than at the write: a dry run says so too, and no diff is made of it.
    if (before.kind === "other" && before.link !== undefined) throw new LinkRefused(path, before.link);
    if (before.kind === "file" && before.bytes.equals(Buffer.from(content, "utf8"))) {
      this.staged.delete(path);
      return;
    }
    this.staged.set(path, { path, abs, before, content, meta });
  }

  /**
   * Stages the deletion of the file at `path` (repo-relative): a file rails2k8s wrote earlier and
   * generates no more. Only a regular file is ever deleted; anything else stays as it is.
   */
  remove(path: string, meta: FileMeta): void {
    const abs = this.abs(path, false);
    const before = this.original(path);
    if (before.kind !== "file") return;
    this.staged.set(path, { path, abs, before, content: "", meta, remove: true });
  }

  /** Drops a staged change (a conflict the user keeps). */
  revert(path: string): void {
    this.staged.delete(path);
  }

  isStaged(path: string): boolean {
    return this.staged.has(path);
  }

  /** Staged changes in path order (stable output). */
  changes(): Change[] {
    return [...this.staged.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
