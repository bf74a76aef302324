// Runs one Ruby process for a batch of oracle cases: the script reads JSON on stdin, prints JSON.
// It runs in a scratch directory with an empty Gemfile: Bundler's parser looks for a root.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function runRuby(script: string, input: unknown): any {
  const dir = mkdtempSync(join(tmpdir(), "r2k-ruby-"));
  writeFileSync(join(dir, "Gemfile"), "");
  const r = spawnSync("ruby", ["-rjson", "-e", script], {
    cwd: dir,
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", BUNDLE_GEMFILE: join(dir, "Gemfile") },
  });
  if (r.status !== 0) throw new Error(`ruby failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}
