// What `migrate` does with an untrusted repo's links, a wrong --answers path, and a second run at
// the same time: refused with exit 2 and a message naming the path or the other run; nothing
// written, in the repo or outside it.
import { describe, it, expect } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { hostname, tmpdir } from "node:os";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { LOCK_PATH } from "../../src/lock.js";
import { BIN, copyFixture, recordingIo, snapshot } from "./helpers.js";

const noPrompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

async function migrate(dir: string, opts: Record<string, unknown>) {
  const io = recordingIo();
  const code = await runMigrate(dir, opts, io, env);
  return { code, out: io.stdout(), err: io.stderr() };
}

/** The CLI as users run it, in its own process. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string; pid: number }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  return new Promise((res) => child.on("close", (code) => res({ code, out, err, pid: child.pid! })));
}

describe("links in the repo", () => {
  it("k8s/ a link out of the repo: exit 2 naming it; nothing written or deleted on either side", async () => {
    const dir = copyFixture();
    const outside = mkdtempSync(join(tmpdir(), "r2k-outside-"));
    // names the old leftover sweep matched and deleted, and a file a write would have replaced
    mkdirSync(join(outside, "base"));
    writeFileSync(join(outside, "base/.kustomization.yaml.rails2k8s-4199999-abc-0.tmp"), "someone else's\n");
    writeFileSync(join(outside, "base/kustomization.yaml"), "someone else's\n");
    symlinkSync(outside, join(dir, "k8s"));
    const before = snapshot(dir);
    const outsideBefore = snapshot(outside);
    for (const opts of [{ yes: true }, { yes: true, dryRun: true }, { yes: true, force: true }]) {
      const r = await migrate(dir, opts);
      expect(r.code, JSON.stringify(opts)).toBe(2);
      expect(r.err).toMatch(/k8s\/[^\n]*passes through k8s, a symbolic link/);
      expect(r.err).toContain("Nothing was written.");
      expect(r.out).not.toMatch(/Wrote|Nothing was changed/);
      expect(snapshot(dir)).toEqual(before);
      expect(snapshot(outside)).toEqual(outsideBefore);
    }
  });

  it("a secret file that is a link (to a file outside) is neither read nor shown", async () => {
    const dir = copyFixture();
    const outside = mkdtempSync(join(tmpdir(), "r2k-outside-"));
    writeFileSync(join(outside, "passwd"), "root:x:0:0:PLANTED-OUTSIDE-CONTENT:/root:/bin/sh\n");
    mkdirSync(join(dir, "k8s/overlays/production"), { recursive: true });
    symlinkSync(join(outside, "passwd"), join(dir, "k8s/overlays/production/secrets.env"));
    const before = snapshot(dir);
    for (const opts of [{ yes: true, dryRun: true }, { yes: true }, { yes: true, force: true }]) {
      const r = await migrate(dir, opts);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/k8s\/overlays\/production\/secrets\.env: a symbolic link/);
      expect(r.out + r.err).not.toContain("PLANTED-OUTSIDE-CONTENT");
      expect(snapshot(dir)).toEqual(before);
    }
    expect(readFileSync(join(outside, "passwd"), "utf8")).toContain("PLANTED-OUTSIDE-CONTENT");
  });

  it("a directory on the way that is a link: the files under it are neither read nor shown", async () => {
    const dir = copyFixture();
    const outside = mkdtempSync(join(tmpdir(), "r2k-outside-"));
    for (const f of ["secrets.env", "config.env", "kustomization.yaml"]) writeFileSync(join(outside, f), `PLANTED_${f.replace(/\W/g, "_")}=PLANTED-OUTSIDE-CONTENT\n`);
    mkdirSync(join(dir, "k8s/overlays"), { recursive: true });
    symlinkSync(outside, join(dir, "k8s/overlays/production"));
    const before = snapshot(dir);
    const outsideBefore = snapshot(outside);
    for (const opts of [{ yes: true, dryRun: true }, { yes: true, force: true }]) {
      const r = await migrate(dir, opts);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/k8s\/overlays\/production\/[\w.]+: passes through k8s\/overlays\/production, a symbolic link/);
      expect(r.out + r.err).not.toContain("PLANTED");
      expect(snapshot(dir)).toEqual(before);
      expect(snapshot(outside)).toEqual(outsideBefore);
    }
  });

  it(".rails2k8s a link: the lock is refused before anything is read or written", async () => {
    const dir = copyFixture();
    const outside = mkdtempSync(join(tmpdir(), "r2k-outside-"));
    symlinkSync(outside, join(dir, ".rails2k8s"));
    const r = await migrate(dir, { yes: true });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\.rails2k8s\/lock: passes through \.rails2k8s, a symbolic link/);
    expect(snapshot(outside)).toEqual({});
  });
});

describe("--answers", () => {
  it("a path that does not exist: exit 2, no file created there nor in the repo", async () => {
    const dir = copyFixture();
    const before = snapshot(dir);
    const typo = join(dirname(dir), "answres.yml");
    const r = await migrate(dir, { yes: true, answers: typo });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${typo}: no such answers file`);
    expect(existsSync(typo)).toBe(false);
    expect(snapshot(dir)).toEqual(before);
  });

  it("the app's own file (config/sidekiq.yml) is never overwritten: exit 2 naming it", async () => {
    const dir = copyFixture();
    const before = snapshot(dir);
    for (const opts of [{ yes: true }, { yes: true, dryRun: true }]) {
      const r = await migrate(dir, { ...opts, answers: join(dir, "config/sidekiq.yml") });
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/config\/sidekiq\.yml: not a rails2k8s answers file[^\n]*never overwrites a file it did not write/);
      expect(snapshot(dir)).toEqual(before);
    }
  });

  it("a file without the header, outside the repo or the default one: exit 2; with the header it is read and saved", async () => {
    const dir = copyFixture();
    const outside = join(dirname(dir), "notes.yml");
    writeFileSync(outside, "image.repository: ghcr.io/acme/shop\n");
    const before = snapshot(dir);
    const r = await migrate(dir, { yes: true, answers: outside });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${outside}: not a rails2k8s answers file`);
    expect(readFileSync(outside, "utf8")).toBe("image.repository: ghcr.io/acme/shop\n");
    expect(snapshot(dir)).toEqual(before);

    writeFileSync(join(dir, ".rails2k8s.yml"), "image.repository: ghcr.io/acme/shop\n");
    const d = await migrate(dir, { yes: true });
    expect(d.code).toBe(2);
    expect(d.err).toContain(".rails2k8s.yml: not a rails2k8s answers file");
    rmSync(join(dir, ".rails2k8s.yml"));

    writeFileSync(outside, "# rails2k8s answers\nimage.repository: ghcr.io/acme/shop\n");
    const ok = await migrate(dir, { yes: true, answers: outside });
    expect(ok.code).toBe(0);
    expect(readFileSync(outside, "utf8")).toMatch(/^# rails2k8s answers: [\s\S]*image\.repository: ghcr\.io\/acme\/shop\n/);
    expect(existsSync(join(dir, ".rails2k8s.yml"))).toBe(false);
    expect(existsSync(join(dir, LOCK_PATH))).toBe(false);
  });

  it("an answers file that is a link: exit 2", async () => {
    const dir = copyFixture();
    const outside = join(dirname(dir), "real.yml");
    writeFileSync(outside, "# rails2k8s answers\n");
    symlinkSync(outside, join(dir, ".rails2k8s.yml"));
    const r = await migrate(dir, { yes: true });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\.rails2k8s\.yml: the answers file is a symbolic link/);
    expect(readFileSync(outside, "utf8")).toBe("# rails2k8s answers\n");
  });
});

describe("the lock", () => {
  it("held by a live run: a second migrate exits 2 naming its pid; a dry run still runs; the lock is left to its owner", async () => {
    const dir = copyFixture();
    // a live process standing for the first run: this test's own worker
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      mkdirSync(join(dir, ".rails2k8s"));
      const lock = JSON.stringify({ pid: holder.pid, host: hostname(), started: "2026-01-01T00:00:00.000Z" }) + "\n";
      writeFileSync(join(dir, LOCK_PATH), lock);
      const before = snapshot(dir);
      const r = await cli(["migrate", dir, "--yes"]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`another rails2k8s migrate is running in this repo (pid ${holder.pid} on ${hostname()}, started 2026-01-01T00:00:00.000Z)`);
      expect(snapshot(dir)).toEqual(before);
      const dry = await cli(["migrate", dir, "--yes", "--dry-run"]);
      expect(dry.code, dry.err).toBe(0);
      expect(readFileSync(join(dir, LOCK_PATH), "utf8")).toBe(lock);
    } finally {
      holder.kill();
    }
  }, 60_000);

  it("left by a run that is gone: taken over with a warning, and removed at the end", async () => {
    const dir = copyFixture();
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    mkdirSync(join(dir, ".rails2k8s"));
    writeFileSync(join(dir, LOCK_PATH), JSON.stringify({ pid: Number(gone.stdout), host: hostname(), started: "2026-01-01T00:00:00.000Z" }) + "\n");
    const r = await migrate(dir, { yes: true });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`warning: took over ${LOCK_PATH} from pid ${gone.stdout}`);
    expect(existsSync(join(dir, LOCK_PATH))).toBe(false);
  });

  it("a run stopped by SIGTERM or SIGINT removes its lock on the way out", async () => {
    for (const sig of ["SIGTERM", "SIGINT"] as const) {
      const dir = copyFixture();
      const child = spawn(process.execPath, [BIN, "migrate", dir, "--yes"], { stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      const closed = new Promise<number | null>((res) => child.on("close", (code) => res(code)));
      // the lock is taken first, before the analysis (a second or so): stop the run once it holds it
      const lock = join(dir, LOCK_PATH);
      // (a loaded machine may take seconds just to start node)
      let exited = false;
      void closed.then(() => (exited = true));
      for (const end = Date.now() + 30_000; Date.now() < end && !exited && !existsSync(lock); ) await new Promise((r) => setTimeout(r, 5));
      expect(existsSync(lock), `the run never took the lock: ${err}`).toBe(true);
      child.kill(sig);
      const code = await closed;
      expect(existsSync(lock)).toBe(false);
      // it may have finished just before the signal
      if (code !== 0) {
        expect(code).toBe(sig === "SIGTERM" ? 143 : 130);
        expect(err).toContain(`interrupted (${sig}); nothing was written`);
      }
    }
  }, 90_000);

  it("two real runs at once: one waits its turn (exit 2 naming the other) or they run one after the other; the tree is that of one run", async () => {
    const single = copyFixture();
    expect((await cli(["migrate", single, "--yes"])).code).toBe(0);
    const expected = snapshot(single);
    let refused = 0;
    for (let round = 0; round < 3; round++) {
      const dir = copyFixture();
      const [a, b] = await Promise.all([cli(["migrate", dir, "--yes"]), cli(["migrate", dir, "--yes"])]);
      for (const [me, other] of [[a, b], [b, a]] as const) {
        expect([0, 2], me.err).toContain(me.code);
        if (me.code === 2) {
          refused++;
          // Caught in the instant between the other's exclusive create and its write of the owner,
          // the lock has no owner to name yet: the message says so instead.
          expect(me.err).toMatch(new RegExp(`another rails2k8s migrate is running in this repo \\((pid ${other.pid} on |a process that is still writing the lock\\))`));
          expect(other.code).toBe(0);
        }
      }
      expect(a.code + b.code).toBeLessThan(4);
      // the second of two sequential runs finds the output in place and writes nothing
      if (a.code === 0 && b.code === 0) expect([a.out, b.out].filter((o) => o.includes("Nothing to write"))).toHaveLength(1);
      expect(snapshot(dir)).toEqual(expected);
    }
    // with two processes started together, at least one round should have overlapped
    expect(refused, "no round overlapped: the lock was not exercised").toBeGreaterThan(0);
  }, 180_000);
});
