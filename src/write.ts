// Flushes staged changes to disk so that a failure anywhere leaves the repo as it was:
//  1. prepare: create missing directories, write each file to a temp file in its own directory
//     (fsync'd), hard-link a backup of each file it replaces — any error here removes every temp,
//     backup and new directory, and no existing file has been touched;
//  2. commit: rename each temp over its target (atomic per file on POSIX); if a rename fails, the
//     files already renamed are put back from their backups;
//  3. fsync the directories, drop the backups.
import * as nodeFs from "node:fs";
import { basename, dirname, join } from "node:path";

export interface WriteOp {
  abs: string;
  content: string;
  mode: number;
}

/** The file-system calls the writer makes; tests pass a copy with one call failing. */
export type WriteFs = Pick<
  typeof nodeFs,
  "lstatSync" | "mkdirSync" | "openSync" | "writeSync" | "fsyncSync" | "closeSync" | "fchmodSync" | "linkSync" | "copyFileSync" | "renameSync" | "unlinkSync" | "rmdirSync" | "readdirSync"
>;

export class WriteFailed extends Error {}

interface Prepared {
  op: WriteOp;
  temp: string;
  backup: string | null;
}

export function writeAtomically(ops: WriteOp[], fs: WriteFs = nodeFs): void {
  sweepLeftovers(new Set(ops.map((op) => dirname(op.abs))), fs);
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const createdDirs: string[] = [];
  const prepared: Prepared[] = [];

  const cleanUp = () => {
    for (const p of prepared) {
      silently(() => fs.unlinkSync(p.temp));
      if (p.backup) silently(() => fs.unlinkSync(p.backup!));
    }
    for (const d of [...createdDirs].reverse()) silently(() => fs.rmdirSync(d));
  };

  // 1. prepare
  try {
    ops.forEach((op, i) => {
      ensureDir(fs, dirname(op.abs), createdDirs);
      const existing = statOrNull(fs, op.abs);
      if (existing && !existing.isFile())
        throw new WriteFailed(`${op.abs}: ${existing.isDirectory() ? "a directory" : "something that is not a regular file"} stands where the file goes`);
      const dir = dirname(op.abs);
      const base = basename(op.abs);
      const p: Prepared = { op, temp: join(dir, `.${base}.rails2k8s-${tag}-${i}.tmp`), backup: null };
      prepared.push(p);
      const fd = fs.openSync(p.temp, "wx", 0o600);
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
        const backup = join(dir, `.${base}.rails2k8s-${tag}-${i}.bak`);
        try {
          fs.linkSync(op.abs, backup);
        } catch {
          fs.copyFileSync(op.abs, backup);
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
      fs.renameSync(p.temp, p.op.abs);
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
}

/** Temp and backup names: `.<file>.rails2k8s-<pid>-<time>-<n>.tmp|bak`. */
const LEFTOVER = /^\..+\.rails2k8s-(\d+)-[0-9a-z]+-\d+\.(?:tmp|bak)$/;

/**
 * A run killed outright (SIGKILL, power loss) cannot clean up: its temp and backup files stay
 * beside the targets, every target itself being whole, old or new. The next write removes those
 * of processes that are gone.
 */
export function sweepLeftovers(dirs: Iterable<string>, fs: WriteFs = nodeFs): string[] {
  const removed: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir) as string[];
    } catch {
      continue;
    }
    for (const name of names) {
      const m = LEFTOVER.exec(name);
      if (!m || alive(Number(m[1]))) continue;
      silently(() => {
        fs.unlinkSync(join(dir, name));
        removed.push(join(dir, name));
      });
    }
  }
  return removed;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ensureDir(fs: WriteFs, dir: string, created: string[]): void {
  const st = statOrNull(fs, dir);
  if (st) {
    if (st.isSymbolicLink()) throw new WriteFailed(`${dir}: a symbolic link; rails2k8s does not write through links`);
    if (!st.isDirectory()) throw new WriteFailed(`${dir}: a file stands where a directory is needed`);
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) ensureDir(fs, parent, created);
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

function silently(fn: () => void): void {
  try {
    fn();
  } catch {
    /* best effort: the error that matters is being reported */
  }
}

const asWriteFailed = (e: unknown): WriteFailed => (e instanceof WriteFailed ? e : new WriteFailed((e as Error).message));
