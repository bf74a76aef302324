// The cap oracle's scratch copy (scripts/corpus/scratch.mjs): a committed `log` that links out of the
// repo (a path of the servers) fails every `cap <stage>` with Errno::EEXIST, since Capistrano makes
// log/ for its log/capistrano.log as each stage loads. The copy gets an empty log/ instead, so
// cap judges the deploy. Real `cap` 3.17 on a copy of the atlas fixture.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detachLinkedLog, scratchCopy } from "../../scripts/corpus/scratch.mjs";

const ROOT = join(import.meta.dirname, "../..");
const HERE = join(ROOT, "scripts/corpus");

/** A repo: atlas, with `log` a committed link to `target`. */
const repoWithLog = (target: string) => {
  const dir = mkdtempSync(join(tmpdir(), "r2k-corpus-scratch-"));
  cpSync(join(ROOT, "fixtures/apps/atlas"), join(dir, "repo"), { recursive: true });
  symlinkSync(target, join(dir, "repo/log"));
  return join(dir, "repo");
};

const cap = (app: string) => {
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(HERE, "cap_dump.rake"))}\n`);
  return spawnSync("cap", ["alpha", "corpus:dump"], { cwd: app, encoding: "utf8", timeout: 120_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-r${join(HERE, "cap_prelude.rb")} -rjson` } });
};

describe("the cap oracle's scratch copy", () => {
  it("a log link to a servers' path: cap fails on the plain copy, and judges the deploy once log/ is a folder", () => {
    const repo = repoWithLog("/home/app-data/shared/log");
    const scratch = mkdtempSync(join(tmpdir(), "r2k-corpus-scratch-root-"));
    const plain = cap(scratchCopy(repo, scratch, "plain"));
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toMatch(/Errno::EEXIST: File exists @ dir_s_mkdir - log/);

    const app = scratchCopy(repo, scratch, "cap");
    expect(detachLinkedLog(app)).toBe("log is a committed link to /home/app-data/shared/log, which is not there: an empty folder in the copy, for Capistrano's log/capistrano.log");
    const r = cap(app);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/CORPUS-JSON\{"servers":\[\{"host":"app1\.atlas\.example\.io"/);
    // The repo keeps its link.
    expect(lstatSync(join(repo, "log")).isSymbolicLink()).toBe(true);
  });

  it("a log link to a folder of this machine: nothing is written there", () => {
    const outside = mkdtempSync(join(tmpdir(), "r2k-corpus-scratch-outside-"));
    const repo = repoWithLog(outside);
    const app = scratchCopy(repo, mkdtempSync(join(tmpdir(), "r2k-corpus-scratch-root-")), "cap");
    expect(detachLinkedLog(app)).toMatch(/^log is a committed link to .*: an empty folder in the copy/);
    expect(cap(app).status).toBe(0);
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(app, "log/capistrano.log"))).toBe(true);
  });

  it("a log link inside the repo, and a plain log folder, are left as they are", () => {
    const repo = repoWithLog("tmp/logs");
    mkdirSync(join(repo, "tmp/logs"), { recursive: true });
    const app = scratchCopy(repo, mkdtempSync(join(tmpdir(), "r2k-corpus-scratch-root-")), "cap");
    expect(detachLinkedLog(app)).toBeNull();
    expect(lstatSync(join(app, "log")).isSymbolicLink()).toBe(true);
    const plainDir = mkdtempSync(join(tmpdir(), "r2k-corpus-scratch-dir-"));
    mkdirSync(join(plainDir, "log"));
    expect(detachLinkedLog(plainDir)).toBeNull();
    expect(detachLinkedLog(mkdtempSync(join(tmpdir(), "r2k-corpus-scratch-none-")))).toBeNull();
  });
});
