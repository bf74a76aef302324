// For tests that search everything a real CLI run wrote and printed for values no output may hold
// (a password, a key): the app written to a temp folder, the CLI entry (main) run on it with its
// output captured, the files the run wrote read back, and the search itself.
import { expect } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../src/cli.js";

/** The app's files under `<temp>/<name>`; the temp folder is its parent (remove `dirname(dir)`). */
export function writeApp(files: Record<string, string>, prefix: string, name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), prefix)), name);
  for (const [f, text] of Object.entries(files)) mkdirSync(dirname(join(dir, f)), { recursive: true }), writeFileSync(join(dir, f), text);
  return dir;
}

/** Every file under `dir` that the run wrote (not one of the app's `own`, except the answers file it rewrites), path → text. */
export function written(dir: string, own: Set<string>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${e}` : e;
      if (statSync(join(dir, r)).isDirectory()) walk(r);
      else if (!own.has(r) || r === ".rails2k8s.yml") out[r] = readFileSync(join(dir, r), "utf8");
    }
  };
  walk("");
  return out;
}

/** The CLI entry with `argv`, its exit code and what it printed. */
export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), color: false });
  return { code, out, err };
}

/** No file the run wrote, and nothing it printed, holds any of `values`; a hit names the file and the value. */
export function expectHeldNowhere(tree: Record<string, string>, printed: string, values: readonly string[]): void {
  for (const [path, text] of Object.entries(tree)) for (const s of values) expect(text.includes(s), `${path} holds ${s}`).toBe(false);
  for (const s of values) expect(printed).not.toContain(s);
}

/**
 * `migrate --yes` on the app written at `dir` (its own files `files`): it exits 0 with no internal
 * error and writes MIGRATION.md; what it printed and every file it wrote.
 */
export async function migrateWritten(dir: string, files: Record<string, string>): Promise<{ r: { code: number; out: string; err: string }; tree: Record<string, string> }> {
  const r = await runCli(["migrate", "--yes", dir]);
  expect(r.code, r.err + r.out).toBe(0);
  expect(r.err + r.out).not.toContain("internal error");
  const tree = written(dir, new Set(Object.keys(files)));
  expect(Object.keys(tree)).toContain("MIGRATION.md");
  return { r, tree };
}
