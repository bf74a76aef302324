// Shared helpers of the migrate tests: throwaway copies of fixture apps, directory snapshots, and
// an Io that records what the command printed.
import { cpSync, mkdtempSync, readdirSync, readFileSync, lstatSync, readlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { tmpdir } from "node:os";
import type { Io } from "../../src/io.js";

export const ROOT = join(import.meta.dirname, "../..");
export const BIN = join(ROOT, "bin/rails2k8s.js");

/** A copy of fixtures/apps/<name> in a fresh temp dir. */
export function copyFixture(name = "shop"): string {
  const dir = join(mkdtempSync(join(tmpdir(), `r2k-migrate-${name}-`)), name);
  cpSync(join(ROOT, "fixtures/apps", name), dir, { recursive: true });
  return dir;
}

/** Every file (path → sha256), directory and link (never followed) under `dir`: equal snapshots = nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    for (const e of readdirSync(abs).sort()) {
      const a = join(abs, e);
      const r = rel ? `${rel}/${e}` : e;
      const st = lstatSync(a);
      if (st.isDirectory()) {
        out[r + "/"] = "dir";
        walk(a, r);
      } else if (st.isSymbolicLink()) out[r] = `-> ${readlinkSync(a)}`;
      else out[r] = createHash("sha256").update(readFileSync(a)).digest("hex") + ` ${(st.mode & 0o777).toString(8)}`;
    }
  };
  walk(dir, "");
  return out;
}

export interface RecordingIo extends Io {
  stdout: () => string;
  stderr: () => string;
}

export function recordingIo(color = false): RecordingIo {
  let o = "";
  let e = "";
  return { out: (s) => void (o += s), err: (s) => void (e += s), color, stdout: () => o, stderr: () => e };
}

/** Plants by rewriting one file of a copied app; a rewrite that changes nothing is a broken test. */
export function edit(dir: string, path: string, fn: (s: string) => string): void {
  const p = join(dir, path);
  const before = readFileSync(p, "utf8");
  const after = fn(before);
  if (after === before) throw new Error(`planting in ${path} changed nothing`);
  writeFileSync(p, after);
}
