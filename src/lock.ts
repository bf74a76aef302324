// One writing `migrate` per repo at a time: `.rails2k8s/lock`, created exclusively, holds the
// owner's pid, host and start time. A second run finds it and stops (exit 2) naming the first; a
// lock whose process is gone (killed outright) is taken over with a warning. Runs that write
// nothing (`analyze`, `migrate --dry-run`) take no lock: they change nothing another run could
// see.
import * as nodeFs from "node:fs";
import { constants, hostname } from "node:os";
import { join } from "node:path";
import { pidAlive } from "./journal.js";
import { linkOnPath, LinkRefused } from "./safe-path.js";

export const LOCK_PATH = ".rails2k8s/lock";
/** Held for the instant of replacing a stale lock, so that two runs cannot both replace it. */
const TAKEOVER_PATH = ".rails2k8s/lock.takeover";
/** A takeover file older than this was left by a run killed in that instant. */
const TAKEOVER_STALE_MS = 10_000;
/** A lock without readable content younger than this is being written by its owner. */
const UNREADABLE_GRACE_MS = 5_000;

export class LockHeld extends Error {}

interface Owner {
  pid: number;
  host: string;
  started: string;
}

export interface Lock {
  /** Removes the lock (only while it is still ours), and `.rails2k8s/` if the lock created it and it is empty. */
  release(): void;
}

export function acquireLock(root: string, warn: (s: string) => void, alive: (pid: number) => boolean = pidAlive): Lock {
  const link = linkOnPath(root, LOCK_PATH);
  if (link !== null) throw new LinkRefused(LOCK_PATH, link);
  const dir = join(root, ".rails2k8s");
  let createdDir = false;
  try {
    nodeFs.mkdirSync(dir);
    createdDir = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    if (!nodeFs.lstatSync(dir).isDirectory()) throw new LockHeld(`.rails2k8s: a file stands where rails2k8s keeps its lock and records`);
  }
  const abs = join(root, LOCK_PATH);
  const me: Owner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  const mine = JSON.stringify(me) + "\n";

  const tryCreate = (): boolean => {
    let fd: number;
    try {
      fd = nodeFs.openSync(abs, nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_EXCL | nodeFs.constants.O_NOFOLLOW, 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e;
    }
    try {
      nodeFs.writeSync(fd, mine);
      nodeFs.fsyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
    return true;
  };

  let held = false;
  let listening = false;
  const unlisten = () => {
    if (!listening) return;
    listening = false;
    for (const [sig, fn] of handlers) process.removeListener(sig, fn);
    process.removeListener("exit", release);
  };
  const release = () => {
    unlisten();
    if (held) {
      held = false;
      try {
        if (readOrNull(abs) === mine) nodeFs.unlinkSync(abs);
      } catch {
        /* gone already */
      }
    }
    if (createdDir) {
      createdDir = false;
      try {
        nodeFs.rmdirSync(dir);
      } catch {
        /* holds the records or other files: stays */
      }
    }
  };
  // Ctrl-C (outside a prompt, which ends the run by itself), a terminal closed, a kill: the lock
  // goes with the process rather than waiting to be found stale. A write is synchronous, so a
  // signal is only handled between steps, never in the middle of one.
  const handlers: [NodeJS.Signals, () => void][] = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((sig) => [
    sig,
    () => {
      release();
      process.stderr.write(`\nrails2k8s: interrupted (${sig}); nothing was written.\n`);
      process.exit(128 + (constants.signals[sig] ?? 0));
    },
  ]);

  // Listening before the lock file exists: a signal between its creation and the listeners would
  // otherwise end the process with the lock left behind.
  listening = true;
  for (const [sig, fn] of handlers) process.on(sig, fn);
  process.on("exit", release);

  try {
    for (let attempt = 0; ; attempt++) {
      if (tryCreate()) {
        held = true;
        return { release };
      }
      const text = readOrNull(abs);
      // Released between our create and our read: try again.
      if (text === null && !nodeFs.existsSync(abs) && attempt < 3) continue;
      const owner = parseOwner(text);
      // Our own pid in a lock we do not hold is a dead run's (pids are reused).
      const stale = owner ? owner.host === me.host && (owner.pid === process.pid || !alive(owner.pid)) : ageMs(abs) > UNREADABLE_GRACE_MS;
      if (!stale) throw new LockHeld(heldMessage(owner));
      replaceStale(root, abs, text, () => (held = tryCreate()));
      warn(
        owner
          ? `took over ${LOCK_PATH} from pid ${owner.pid} (started ${owner.started}), which is no longer running: it was stopped without cleaning up`
          : `took over ${LOCK_PATH}, which was unreadable: a run was stopped while taking it`,
      );
      return { release };
    }
  } catch (e) {
    release();
    throw e;
  }
}

/** Replaces the stale lock (whose bytes were `seen`) by ours, under the takeover file. */
function replaceStale(root: string, abs: string, seen: string | null, tryCreate: () => boolean): void {
  const takeover = join(root, TAKEOVER_PATH);
  let fd: number;
  try {
    fd = nodeFs.openSync(takeover, nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_EXCL | nodeFs.constants.O_NOFOLLOW, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    if (ageMs(takeover) > TAKEOVER_STALE_MS) nodeFs.unlinkSync(takeover);
    throw new LockHeld(`another rails2k8s migrate is taking over a stale ${LOCK_PATH} right now; run again in a moment`);
  }
  nodeFs.closeSync(fd);
  try {
    // Still the same stale lock? Another run may have replaced it between our look and now.
    if (readOrNull(abs) !== seen) throw new LockHeld(heldMessage(parseOwner(readOrNull(abs))));
    nodeFs.unlinkSync(abs);
    if (!tryCreate()) throw new LockHeld(heldMessage(parseOwner(readOrNull(abs))));
  } finally {
    nodeFs.unlinkSync(takeover);
  }
}

function heldMessage(owner: Owner | null): string {
  const who = owner ? `pid ${owner.pid} on ${owner.host}, started ${owner.started}` : "a process that is still writing the lock";
  return `another rails2k8s migrate is running in this repo (${who}): wait for it to finish. If none is running, remove ${LOCK_PATH} and run again.`;
}

function parseOwner(text: string | null): Owner | null {
  if (text === null) return null;
  try {
    const j = JSON.parse(text) as Partial<Owner>;
    if (typeof j.pid === "number" && Number.isInteger(j.pid) && j.pid > 0 && typeof j.host === "string" && typeof j.started === "string")
      return { pid: j.pid, host: j.host, started: j.started };
  } catch {
    /* unreadable */
  }
  return null;
}

function readOrNull(path: string): string | null {
  try {
    const fd = nodeFs.openSync(path, nodeFs.constants.O_RDONLY | nodeFs.constants.O_NOFOLLOW);
    try {
      return nodeFs.readFileSync(fd, "utf8");
    } finally {
      nodeFs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - nodeFs.lstatSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
