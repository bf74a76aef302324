// Runs one Ruby script for a whole batch of oracle cases (JSON in on stdin, JSON out on stdout), in
// a clean environment: no WEB_CONCURRENCY, RAILS_ENV... so ENV-dependent values take their defaults.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function runRubyFile(scriptPath: string, input: unknown, cwd?: string): any {
  const dir = cwd ?? mkdtempSync(join(tmpdir(), "r2k-appserver-"));
  const r = spawnSync("ruby", [scriptPath], {
    cwd: dir,
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" },
  });
  if (r.status !== 0) throw new Error(`ruby failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}
