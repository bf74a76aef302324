// The emitted entrypoint, run by a real shell: the app's log file ends up on the container's stdout
// (a pipe, as in a pod), a stale pid file is removed, and the command gets the arguments.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { emitEntrypoint } from "../../emitters/container/entrypoint.js";

describe("bin/docker-entrypoint", () => {
  it("log/<env>.log goes to stdout; stale pid removed; exec of the command", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-entry-"));
    mkdirSync(join(dir, "log"));
    mkdirSync(join(dir, "tmp/pids"), { recursive: true });
    writeFileSync(join(dir, "tmp/pids/unicorn.pid"), "12345\n");
    writeFileSync(join(dir, "entrypoint"), emitEntrypoint("unicorn"), { mode: 0o755 });
    // Through `| cat`: a container's stdout is a pipe (Node's own stdio would be a socket, which
    // /dev/stdout cannot be opened on).
    const r = spawnSync("sh", ["-c", `./entrypoint sh -c 'echo "Started GET /health" >> "log/$RAILS_ENV.log"; echo "args: $0"' the-arg | cat`], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH, RAILS_ENV: "staging" },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Started GET /health");
    expect(r.stdout).toContain("args: the-arg");
    expect(existsSync(join(dir, "tmp/pids/unicorn.pid"))).toBe(false);
  });
});

describe("bin/docker-entrypoint under shellcheck", () => {
  it("has no finding, for both servers", () => {
    for (const kind of ["unicorn", "puma"] as const) {
      const r = spawnSync("shellcheck", ["-s", "sh", "-"], { input: emitEntrypoint(kind), encoding: "utf8" });
      expect(r.stdout + r.stderr, kind).toBe("");
      expect(r.status).toBe(0);
    }
  });
});
