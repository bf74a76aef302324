// What a CLI run over a fixture app wrote and printed, for the tests that check no secret leaks:
// the app written to a scratch directory, every file migrate wrote read back (not the app's own,
// except the answers file it rewrites), and the real CLI entry (main) with its output captured.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { main } from "../src/cli.js";

/** The app's files under a fresh scratch directory `<tmp>/<prefix>XXXX/<name>`; remove dirname(dir) after. */
export function writeApp(prefix: string, name: string, files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), prefix)), name);
  for (const [f, text] of Object.entries(files)) mkdirSync(dirname(join(dir, f)), { recursive: true }), writeFileSync(join(dir, f), text);
  return dir;
}

/** Every file under `dir` that migrate wrote (not one of the app's own, `own`), path → text. */
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

export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), color: false });
  return { code, out, err };
}

/** No secret in any written file or printed text; the failure names the file, never the value's place in a diff. */
export function expectNoSecret(tree: Record<string, string>, printed: string, secrets: string[]): void {
  for (const [path, text] of Object.entries(tree)) for (const [i, s] of secrets.entries()) expect(text.includes(s), `${path} holds secret #${i}`).toBe(false);
  for (const [i, s] of secrets.entries()) expect(printed.includes(s), `the output holds secret #${i}`).toBe(false);
}
