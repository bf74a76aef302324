// The CLI runs from a bundle with V8's code cache (bin/load.cjs): the cache made by the build must be
// the one V8 takes, and a cache that does not fit (corrupt, from another Node, missing) must change
// nothing but speed.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync, existsSync, symlinkSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const ROOT = join(import.meta.dirname, "../..");
const SHOP = join(ROOT, "fixtures/apps/shop");

/** A copy of the built CLI (bin/ and dist/bundle/) whose cache file can be changed. */
function copyOfCli(): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-cli-"));
  cpSync(join(ROOT, "bin"), join(dir, "bin"), { recursive: true });
  cpSync(join(ROOT, "dist/bundle"), join(dir, "dist/bundle"), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

const run = (cliDir: string) => spawnSync(process.execPath, [join(cliDir, "bin/rails2k8s.js"), "analyze", SHOP, "--json"], { encoding: "utf8" });

describe("the CLI's code cache", () => {
  it("is the one V8 takes after a build", () => {
    expect(existsSync(join(ROOT, "dist/bundle/rails2k8s.cjs.cache"))).toBe(true);
    const r = spawnSync(process.execPath, ["-e", "const c = require('./bin/load.cjs').loadCli(); process.stdout.write(String(c.cacheRejected))"], { cwd: ROOT, encoding: "utf8" });
    expect(r.stdout).toBe("false");
  });

  it("changes nothing but speed when it is corrupt or missing", () => {
    const expected = run(ROOT);
    expect(expected.status).toBe(0);
    const dir = copyOfCli();
    try {
      writeFileSync(join(dir, "dist/bundle/rails2k8s.cjs.cache"), randomBytes(4096));
      const corrupt = run(dir);
      expect(corrupt.status).toBe(0);
      expect(corrupt.stdout).toBe(expected.stdout);
      expect(corrupt.stderr).toBe(expected.stderr);
      // A cache made for another bundle of the same length: V8 alone would take it and run the
      // other bundle's code; the digest in front of it turns it away.
      const bundle = join(dir, "dist/bundle/rails2k8s.cjs");
      cpSync(join(ROOT, "dist/bundle/rails2k8s.cjs.cache"), join(dir, "dist/bundle/rails2k8s.cjs.cache"));
      writeFileSync(bundle, readFileSync(bundle, "utf8").replace("no such directory", "no such DIRECTORY"));
      const edited = spawnSync(process.execPath, [join(dir, "bin/rails2k8s.js"), "analyze", join(dir, "nowhere")], { encoding: "utf8" });
      expect(edited.status).toBe(2);
      expect(edited.stderr).toMatch(/no such DIRECTORY/);
      cpSync(join(ROOT, "dist/bundle/rails2k8s.cjs"), bundle);
      rmSync(join(dir, "dist/bundle/rails2k8s.cjs.cache"));
      const missing = run(dir);
      expect(missing.status).toBe(0);
      expect(missing.stdout).toBe(expected.stdout);
      expect(missing.stderr).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
