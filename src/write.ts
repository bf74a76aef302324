// Flushes staged changes to disk so that a failure anywhere leaves the repo as it was:
//  1. prepare: refuse any path that is or passes through a symbolic link; record in the journal
//     (src/journal.ts) the temp and backup files about to exist; create missing directories; write
//     each file to a temp file in `.rails2k8s/tmp/` (0600, exclusive create, fsync'd), hard-link
//     a backup of each file it replaces there — any error here removes every temp, backup and new
//     directory, and no existing file has been touched;
//  2. commit: rename each temp over its target (atomic per file on POSIX); if a rename fails, the
//     files already renamed are put back from their backups;
//  3. fsync the directories, drop the backups and the journal.
import * as nodeFs from "node:fs";
import { basename, dirname, join } from "node:path";
import { closeTmpDir, openTmpDir, removeStale, silently, writeJournal, type TmpDir } from "./journal.js";
import { insideRoot, LinkRefused, refuseLinks } from "./safe-path.js";

export interface WriteOp {
  abs: string;
  content: string;
  mode: number;
  /** Delete the file instead (a generated file no longer generated): backed up, then unlinked. */
  remove?: true;
}

/** The file-system calls the writer makes; tests pass a copy with one call failing. */
export type WriteFs = Pick<
  typeof nodeFs,
  | "lstatSync"
  | "mkdirSync"
  | "openSync"
  | "writeSync"
  | "fsyncSync"
  | "closeSync"
  | "fchmodSync"
  | "linkSync"
  | "copyFileSync"
  | "renameSync"
  | "unlinkSync"
  | "rmdirSync"
  | "readdirSync"
  | "readFileSync"
>;

export class WriteFailed extends Error {}

interface Prepared {
  op: WriteOp;
  /** null for a deletion: nothing new is written. */
  temp: string | null;
  backup: string | null;
}

/**
 * Writes `ops` under the repo `root`. A target outside the root (only an --answers file the user
 * named) gets its temp file beside it, as a rename must stay on one file system; it holds no
 * secret (the answers file never does) and is not journaled: a file in the repo never decides
 * what is deleted outside it.
 */
export function writeAtomically(root: string, ops: WriteOp[], fs: WriteFs = nodeFs): void {
  const shown = (abs: string) => insideRoot(root, abs) ?? abs;
  for (const op of ops) refuseLinks(root, op.abs, shown(op.abs), fs.lstatSync);

  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const names = ops.map((op, i) => {
    const inside = insideRoot(root, op.abs) !== null;
    const stem = inside ? `${tag}-${i}` : `.${basename(op.abs)}.rails2k8s-${tag}-${i}`;
    return { inside, tmp: `${stem}.tmp`, bak: `${stem}.bak` };
  });
  const createdDirs: string[] = [];
  const prepared: Prepared[] = [];
  let tmp: TmpDir | null = null;
  let journal: string | null = null;

  const cleanUp = () => {
    for (const p of prepared) {
      if (p.temp) silently(() => fs.unlinkSync(p.temp!));
      if (p.backup) silently(() => fs.unlinkSync(p.backup!));
    }
    for (const d of [...createdDirs].reverse()) silently(() => fs.rmdirSync(d));
    if (tmp) closeTmpDir(tmp, journal, fs);
  };

  // 1. prepare
  try {
    tmp = openTmpDir(root, fs);
    removeStale(tmp, fs);
    journal = writeJournal(tmp, names.filter((n) => n.inside).flatMap((n) => [n.tmp, n.bak]), fs);
    ops.forEach((op, i) => {
      const { inside, tmp: tmpName, bak } = names[i]!;
      const dir = dirname(op.abs);
      if (op.remove) {
        // A deletion is a backup now and an unlink at the commit: put back from the backup if a later step fails.
        const existing = statOrNull(fs, op.abs);
        if (!existing) return;
        if (!existing.isFile()) throw new WriteFailed(`${shown(op.abs)}: not a regular file, so it is not deleted`);
        const p: Prepared = { op, temp: null, backup: join(tmp!.dir, bak) };
        prepared.push(p);
        try {
          fs.linkSync(op.abs, p.backup!);
        } catch {
          fs.copyFileSync(op.abs, p.backup!, nodeFs.constants.COPYFILE_EXCL);
        }
        return;
      }
      ensureDir(fs, root, dir, inside, createdDirs);
      const existing = statOrNull(fs, op.abs);
      if (existing && !existing.isFile())
        throw new WriteFailed(`${shown(op.abs)}: ${existing.isDirectory() ? "a directory" : "something that is not a regular file"} stands where the file goes`);
      const at = inside ? tmp!.dir : dir;
      const temp = join(at, tmpName);
      const p: Prepared = { op, temp, backup: null };
      prepared.push(p);
      // 0600 until complete: a temp file of a secret is never readable by others, even for a moment.
      const fd = fs.openSync(temp, "wx", 0o600);
      try {
        const buf = Buffer.from(op.content, "utf8");
        let off = 0;
        while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
        fs.fchmodSync(fd, op.mode);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      if (existing) {
        const backup = join(at, bak);
        try {
          fs.linkSync(op.abs, backup);
        } catch {
          fs.copyFileSync(op.abs, backup, nodeFs.constants.COPYFILE_EXCL);
        }
        p.backup = backup;
      }
    });
  } catch (e) {
    cleanUp();
    throw asWriteFailed(e);
  }

  // 2. commit
  let done = 0;
  try {
    for (const p of prepared) {
      if (p.temp === null) fs.unlinkSync(p.op.abs);
      else fs.renameSync(p.temp, p.op.abs);
      done++;
    }
  } catch (e) {
    for (const p of prepared.slice(0, done).reverse()) {
      if (p.backup) silently(() => fs.renameSync(p.backup!, p.op.abs));
      else silently(() => fs.unlinkSync(p.op.abs));
      p.backup = null;
    }
    cleanUp();
    throw asWriteFailed(e);
  }

  // 3. durability of the renames, then the backups go
  for (const dir of new Set(prepared.map((p) => dirname(p.op.abs)))) {
    silently(() => {
      const fd = fs.openSync(dir, "r");
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    });
  }
  for (const p of prepared) if (p.backup) silently(() => fs.unlinkSync(p.backup!));
  closeTmpDir(tmp, journal, fs);
  // A directory left empty by a deletion (an overlay of a stage that is gone) goes too; rmdir
  // refuses one that still holds anything.
  for (const p of prepared)
    if (p.temp === null)
      for (let d = dirname(p.op.abs); insideRoot(root, d) !== null && d !== root; d = dirname(d)) {
        try {
          fs.rmdirSync(d);
        } catch {
          break;
        }
      }
}

/**
 * Creates `dir` and its missing parents. Inside the repo each component was checked not to be a
 * link (refuseLinks); outside it (an --answers file's directory) nothing is created: that file
 * exists already.
 */
function ensureDir(fs: WriteFs, root: string, dir: string, inside: boolean, created: string[]): void {
  const st = statOrNull(fs, dir);
  if (st) {
    if (st.isSymbolicLink()) throw new LinkRefused(insideRoot(root, dir) ?? dir, insideRoot(root, dir) ?? dir);
    if (!st.isDirectory()) throw new WriteFailed(`${insideRoot(root, dir) ?? dir}: a file stands where a directory is needed`);
    return;
  }
  if (!inside) throw new WriteFailed(`${dir}: no such directory`);
  const parent = dirname(dir);
  if (parent !== dir) ensureDir(fs, root, parent, insideRoot(root, parent) !== null, created);
  fs.mkdirSync(dir);
  created.push(dir);
}

function statOrNull(fs: WriteFs, path: string): nodeFs.Stats | null {
  try {
    return fs.lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "ENOTDIR") throw new WriteFailed(`${path}: a file stands where a directory is needed`);
    throw e;
  }
}


const asWriteFailed = (e: unknown): Error => (e instanceof WriteFailed || e instanceof LinkRefused ? e : new WriteFailed((e as Error).message));
