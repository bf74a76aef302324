// The commit the analysed repo is at, for the first image tag of the overlays. Read with git itself
// (`rev-parse`, which runs no hook, pager or fsmonitor), with the user's and the system's git config
// left out: the repo is untrusted, and only its own refs matter here.
import { execFileSync } from "node:child_process";
import type { Fact } from "./model.js";

const SHORT_SHA = /^[0-9a-f]{7,40}$/;

/** The short SHA of HEAD, or null when the directory is not in a git checkout (or git is missing). */
export function headCommit(dir: string): Fact<string> | null {
  try {
    const out = execFileSync("git", ["-C", dir, "rev-parse", "--short=7", "--verify", "--quiet", "HEAD^{commit}"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 10_000,
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_TERMINAL_PROMPT: "0" },
    }).trim();
    return SHORT_SHA.test(out) ? { value: out, source: { file: ".git/HEAD", line: 0 } } : null;
  } catch {
    return null;
  }
}
