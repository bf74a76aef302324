// Where a write keeps its temp and backup files, and the journal that names them.
//
// `.rails2k8s/tmp/` sits in the repo (the same file system, so a rename into place stays atomic)
// and holds its own `.gitignore` of `*`: git ignores whatever is in it, whatever the repo's own
// .gitignore says, so a temp file holding secret values that survives a SIGKILL is never picked
// up by `git add -A`.
//
// Before it creates any temp or backup file, a write records their exact names in
// `journal-<pid>.json`. A run killed outright cannot clean up; the next write removes exactly the
// files named by the journals of processes that are gone, and nothing else: a file is never
// deleted because its name looks like ours. The journal is read from an untrusted repo (one could
// be planted), so an entry must be a plain name of this run's shape, standing in the tmp
// directory itself as a regular file; anything else is left alone.
import * as nodeFs from "node:fs";
import { join } from "node:path";
import { linkOnPath, LinkRefused } from "./safe-path.js";

export const TMP_DIR = ".rails2k8s/tmp";
const GITIGNORE = ".gitignore";
const IGNORE_ALL = "*\n";

export type JournalFs = Pick<typeof nodeFs, "lstatSync" | "mkdirSync" | "openSync" | "writeSync" | "fsyncSync" | "closeSync" | "readFileSync" | "readdirSync" | "unlinkSync" | "rmdirSync">;

/** A temp or backup name of the run with this pid: `<pid>-<time>-<n>.tmp|bak`. */
const entryName = (pid: number) => new RegExp(`^${pid}-[0-9a-z]+-\\d+\\.(?:tmp|bak)$`);
const JOURNAL = /^journal-(\d+)\.json$/;

export interface TmpDir {
  /** Absolute path of the tmp directory. */
  dir: string;
  /** Directories this run created for it (deepest last), removed again when left empty. */
  created: string[];
}

/** Makes `.rails2k8s/tmp/` (refusing links on the way) with its .gitignore. */
export function openTmpDir(root: string, fs: JournalFs = nodeFs): TmpDir {
  const link = linkOnPath(root, `${TMP_DIR}/${GITIGNORE}`, fs.lstatSync);
  if (link !== null) throw new LinkRefused(`${TMP_DIR}/${GITIGNORE}`, link);
  const created: string[] = [];
  let path = root;
  for (const part of TMP_DIR.split("/")) {
    path = join(path, part);
    const st = lstatOrNull(fs, path);
    if (st && !st.isDirectory()) throw new Error(`${TMP_DIR}: a file stands where rails2k8s keeps its temp files`);
    if (!st) {
      fs.mkdirSync(path, { mode: 0o700 });
      created.push(path);
    }
  }
  const dir = path;
  const ignore = join(dir, GITIGNORE);
  const st = lstatOrNull(fs, ignore);
  if (!st || !st.isFile() || fs.readFileSync(ignore, "utf8") !== IGNORE_ALL) {
    // Written before any temp file exists: there is no moment where one is not ignored.
    if (st) fs.unlinkSync(ignore);
    try {
      writeExclusive(fs, ignore, IGNORE_ALL, 0o644);
    } catch (e) {
      silently(() => fs.unlinkSync(ignore));
      for (const d of [...created].reverse()) silently(() => fs.rmdirSync(d));
      throw e;
    }
  }
  return { dir, created };
}

/** Records this run's temp and backup names (before any of them exists). Returns the journal's path. */
export function writeJournal(tmp: TmpDir, names: string[], fs: JournalFs = nodeFs): string {
  const path = join(tmp.dir, `journal-${process.pid}.json`);
  // A journal of a dead process with our pid (pids are reused) was already swept by removeStale.
  if (lstatOrNull(fs, path)) fs.unlinkSync(path);
  // Written and fsync'd before the first temp file: a journal cut short by a kill names files
  // that were never created, so it is simply removed.
  try {
    writeExclusive(fs, path, JSON.stringify({ pid: process.pid, files: names }) + "\n", 0o600);
  } catch (e) {
    silently(() => fs.unlinkSync(path));
    throw e;
  }
  return path;
}

/**
 * Removes the files named by the journals of dead processes, then those journals. Returns the
 * tmp-relative names removed.
 */
export function removeStale(tmp: TmpDir, fs: JournalFs = nodeFs, alive: (pid: number) => boolean = pidAlive): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(tmp.dir) as string[]) {
    const m = JOURNAL.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    // Our own pid names a dead run too (pids are reused): this run writes its journal only after this sweep.
    if (pid !== process.pid && alive(pid)) continue;
    const journal = join(tmp.dir, name);
    const st = lstatOrNull(fs, journal);
    if (!st || !st.isFile()) continue;
    let files: unknown = [];
    try {
      files = (JSON.parse(fs.readFileSync(journal, "utf8")) as { files?: unknown }).files;
    } catch {
      // cut short by the kill: no file it names was created yet
    }
    const ours = entryName(pid);
    for (const f of Array.isArray(files) ? files : []) {
      if (typeof f !== "string" || !ours.test(f)) continue;
      const p = join(tmp.dir, f);
      if (lstatOrNull(fs, p)?.isFile()) {
        fs.unlinkSync(p);
        removed.push(f);
      }
    }
    fs.unlinkSync(journal);
  }
  return removed;
}

/** Removes this run's journal, then the tmp directory if nothing else is left in it. */
export function closeTmpDir(tmp: TmpDir, journal: string | null, fs: JournalFs = nodeFs): void {
  if (journal) silently(() => fs.unlinkSync(journal));
  silently(() => {
    const left = fs.readdirSync(tmp.dir) as string[];
    // Nothing but our `*` left (this run's, or one a killed run wrote): the directory goes.
    if (left.length === 1 && left[0] === GITIGNORE && fs.readFileSync(join(tmp.dir, GITIGNORE), "utf8") === IGNORE_ALL) fs.unlinkSync(join(tmp.dir, GITIGNORE));
  });
  silently(() => fs.rmdirSync(tmp.dir));
  for (const d of [...tmp.created].reverse()) silently(() => fs.rmdirSync(d));
}

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function writeExclusive(fs: JournalFs, path: string, text: string, mode: number): void {
  const fd = fs.openSync(path, "wx", mode);
  try {
    const buf = Buffer.from(text, "utf8");
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function lstatOrNull(fs: JournalFs, path: string): nodeFs.Stats | null {
  try {
    return fs.lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** Best effort: used while tidying up or reporting another error, where a second failure must not hide the first. */
export function silently(fn: () => void): void {
  try {
    fn();
  } catch {
    /* what is left is harmless and git-ignored, or the error that matters is being reported */
  }
}
