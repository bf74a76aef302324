// Several tests run the built CLI (bin/rails2k8s.js → dist/bundle/) as a separate process. Build it
// once, before any test starts: a build inside one test file would rewrite dist/ under the feet of
// the others running in parallel. The build is `npm run build`'s: tsc, then the bundle and its code
// cache.
//
// Every temp dir a test makes (tmpdir(), and the real tools' own, which read TMPDIR too) goes under
// one folder per run, removed at the end: tests that forget to clean up, or are killed mid-way, no
// longer leave their repos and rendered outputs in the machine's /tmp run after run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const root = join(import.meta.dirname, "..");
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, ["scripts/bundle.mjs"], { cwd: root, stdio: "inherit" });
  const run = mkdtempSync(join(tmpdir(), "r2k-test-run-"));
  // Read by the forked test workers (they inherit this process's environment) and by every tool
  // they start.
  process.env.TMPDIR = run;
  return () => {
    // A straggling child (a redis-server writing its dump on TERM) may still hold a file: retry,
    // and never fail the run over the cleanup.
    rmSync(run, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
}
