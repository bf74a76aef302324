// The review's diff on a terminal goes through a pager, as `git diff` does: $PAGER, else `less -R`
// (colours pass through). With no pager to run, the text is printed: a missing `less` must not hide
// the diff the user is asked to approve.
import { spawn } from "node:child_process";

export interface PagerEnv {
  PAGER?: string;
  LESS?: string;
  [k: string]: string | undefined;
}

/**
 * Shows `text` in the pager and resolves once the user has quit it. Resolves false when no pager
 * ran (PAGER empty or `cat`, `less` missing, the pager could not start): the caller prints instead.
 */
export function page(text: string, env: PagerEnv = process.env): Promise<boolean> {
  const given = env.PAGER;
  if (given !== undefined && (given.trim() === "" || given.trim() === "cat")) return Promise.resolve(false);
  // less: -R lets our colour codes through; F quits at once when the text fits on one screen and X
  // leaves it on the screen (git's defaults), unless the user set LESS.
  const childEnv = { ...process.env, ...env, LESS: env.LESS ?? "FRX" };
  // $PAGER is a command line, as for git and man: the shell reads it.
  const child = given === undefined ? spawn("less", ["-R"], { stdio: ["pipe", "inherit", "inherit"], env: childEnv }) : spawn("/bin/sh", ["-c", given], { stdio: ["pipe", "inherit", "inherit"], env: childEnv });
  // Ctrl-C inside less is less's (it stops a search): it must not end this process meanwhile.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  return new Promise<boolean>((resolve) => {
    let started = true;
    child.on("error", () => {
      started = false;
      resolve(false);
    });
    // A pager quit before reading everything closes the pipe: not an error.
    child.stdin.on("error", () => {});
    child.on("close", (code) => {
      // 127: the shell found no such command.
      if (started) resolve(code !== 127);
    });
    child.stdin.end(text);
  }).finally(() => process.off("SIGINT", ignore));
}
