// Directory fingerprints that do not follow symlinks (a followed link would hash the outside as if
// it were the repo), the CLI as a process, and git's own view of what a commit would take.
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "../../migrate/helpers.js";

/** path → content hash and mode, `link -> target` for symlinks, "dir" for directories. */
export function hashTree(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    for (const e of readdirSync(abs).sort()) {
      const a = join(abs, e);
      const r = rel ? `${rel}/${e}` : e;
      if (skip(r)) continue;
      const st = lstatSync(a);
      if (st.isSymbolicLink()) out[r] = `link -> ${readlinkSync(a)}`;
      else if (st.isDirectory()) {
        out[r + "/"] = "dir";
        walk(a, r);
      } else out[r] = createHash("sha256").update(readFileSync(a)).digest("hex") + ` ${(st.mode & 0o777).toString(8)}`;
    }
  };
  walk(dir, "");
  return out;
}

/** Files added or changed between two fingerprints (not directories, not removals). */
export function changedFiles(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(after).filter((p) => !p.endsWith("/") && !after[p].startsWith("link") && before[p] !== after[p]).sort();
}

export interface CliRun {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };

export function gitCommitAll(dir: string): void {
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: dir, env: GIT_ENV });
  execFileSync("git", ["add", "-A"], { cwd: dir, env: GIT_ENV });
  execFileSync("git", ["commit", "-q", "-m", "hostile repo"], { cwd: dir, env: GIT_ENV });
}

/** Files `git add -A` would take now: changed tracked files and untracked files not ignored. */
export function gitWouldCommit(dir: string): string[] {
  const out = execFileSync("git", ["ls-files", "-z", "--modified", "--others", "--exclude-standard"], { cwd: dir, env: GIT_ENV, encoding: "utf8" });
  return [...new Set(out.split("\0").filter(Boolean))].sort();
}

export function gitIgnores(dir: string, path: string): boolean {
  return spawnSync("git", ["check-ignore", "-q", "--no-index", path], { cwd: dir, env: GIT_ENV }).status === 0;
}

/** A command as a child process, without blocking; a missing command is an error, not a result. */
export function run(cmd: string, args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1", TERM: "dumb" }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", (e) => reject(new Error(`${cmd} could not run: ${e.message}`)));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CLI as a child process, without blocking. */
export async function cliAsync(cwd: string, args: string[]): Promise<CliRun> {
  return { args, ...(await run(process.execPath, [BIN, ...args], cwd)) };
}

/** Runs async jobs at most `limit` at a time, results in order. */
export async function limited<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}
