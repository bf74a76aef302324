// Crash safety of writes: a writer process killed with SIGKILL at varying moments of a large write
// (prepare: temp files being written and fsync'd; commit: renames) leaves every target whole —
// its old bytes or its new bytes, never a truncated mix — and the next write removes the files the
// killed run journaled. Temp files of secrets left by a kill are 0600 and ignored by git.
import { describe, it, expect } from "vitest";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
import { writeAtomically } from "../../src/write.js";
import { TMP_DIR } from "../../src/journal.js";
import { ROOT } from "./helpers.js";

const FILES = 120;
const SIZE = 256 * 1024;
// The built writer (npm test builds first): the child is a plain node process, as the CLI is.
const WRITER = pathToFileURL(join(ROOT, "dist/src/write.js")).href;

const body = (tag: string, i: number) => `${tag} ${i}\n`.padEnd(SIZE, tag === "old" ? "o" : "n");

function setUp(): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-crash-"));
  mkdirSync(join(dir, "k8s"), { recursive: true });
  for (let i = 0; i < FILES; i++) if (i % 3 !== 0) writeFileSync(join(dir, "k8s", `f${i}.yaml`), body("old", i));
  return dir;
}

/**
 * Starts a writer of every file's new version; `ready` resolves when it starts writing, `commit`
 * when it starts renaming. The renames are slowed a little (a pause after each, through the
 * writer's own fs parameter) so that kills can land between them, as on a slow disk.
 */
function startWriter(dir: string, secret = false) {
  const script = `
    const fs = await import("node:fs");
    const { writeAtomically } = await import(${JSON.stringify(WRITER)});
    const SIZE = ${SIZE};
    const ops = Array.from({ length: ${FILES} }, (_, i) => ({ abs: ${JSON.stringify(join(dir, "k8s"))} + "/f" + i + ".yaml", content: (${body.toString()})("new", i), mode: ${secret ? "0o600" : "0o644"} }));
    let renames = 0;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const slowRename = (a, b) => {
      if (renames++ === 0) fs.writeSync(1, "commit\\n");
      fs.renameSync(a, b);
      Atomics.wait(pause, 0, 0, 2);
    };
    // fsyncs: the tmp directory's .gitignore, the journal, then each temp file
    let fsyncs = 0;
    const tellingFsync = (fd) => {
      fs.fsyncSync(fd);
      if (++fsyncs === 4) fs.writeSync(1, "temps\\n");
    };
    fs.writeSync(1, "go\\n");
    writeAtomically(${JSON.stringify(dir)}, ops, { ...fs, renameSync: slowRename, fsyncSync: tellingFsync });
    fs.writeSync(1, "done\\n");
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const exited = new Promise<void>((res) => child.on("exit", () => res()));
  const seen = (word: string) =>
    Promise.race([
      new Promise<void>((res) => {
        const check = () => out.includes(word) && res();
        child.stdout.on("data", (d) => ((out += d), check()));
        check();
      }),
      exited.then(() => {
        throw new Error(`the writer exited before "${word}": ${out}`);
      }),
    ]);
  return { child, ready: () => seen("go"), temps: () => seen("temps"), commit: () => seen("commit"), exited, output: () => out };
}

type State = "old" | "new" | "absent";

function inspect(dir: string): { states: State[]; leftovers: string[] } {
  const states: State[] = [];
  for (let i = 0; i < FILES; i++) {
    const p = join(dir, "k8s", `f${i}.yaml`);
    if (!existsSync(p)) {
      states.push("absent");
      continue;
    }
    const text = readFileSync(p, "utf8");
    if (text === body("new", i)) states.push("new");
    else if (text === body("old", i)) states.push("old");
    else throw new Error(`k8s/f${i}.yaml is neither its old nor its new content (${text.length} bytes)`);
  }
  const tmp = join(dir, TMP_DIR);
  return {
    states,
    leftovers: [
      ...readdirSync(join(dir, "k8s")).filter((n) => n.includes(".rails2k8s-")).map((n) => `k8s/${n}`),
      ...(existsSync(tmp) ? readdirSync(tmp).filter((n) => n !== ".gitignore").map((n) => `${TMP_DIR}/${n}`) : []),
    ],
  };
}

describe("SIGKILL mid-write", () => {
  it("every file is old or new, never truncated; the next write removes the leftovers", async () => {
    let interrupted = 0;
    let finished = 0;
    let swept = 0;
    let mixed = 0;
    const runs: [phase: "prepare" | "commit", delay: number][] = [
      ...[0, 5, 20, 60].map((d) => ["prepare", d] as ["prepare", number]),
      ...[0, 20, 60, 120].map((d) => ["commit", d] as ["commit", number]),
    ];
    for (const [phase, delay] of runs) {
      const dir = setUp();
      const w = startWriter(dir);
      await (phase === "prepare" ? w.ready() : w.commit());
      await new Promise((r) => setTimeout(r, delay));
      w.child.kill("SIGKILL");
      await w.exited;
      const { states, leftovers } = inspect(dir);
      // a file that did not exist before is absent or new; one that did is old or new
      states.forEach((s, i) => expect(s === "new" || s === (i % 3 === 0 ? "absent" : "old"), `${phase}+${delay}ms f${i}: ${s}`).toBe(true));
      if (w.output().includes("done")) finished++;
      else interrupted++;
      if (states.includes("new") && states.some((s) => s !== "new")) mixed++;
      if (leftovers.length) {
        swept++;
        expect(leftovers.every((l) => l.startsWith(TMP_DIR + "/")), leftovers.join(", ")).toBe(true);
        writeAtomically(dir, [{ abs: join(dir, "k8s", "f0.yaml"), content: body("new", 0), mode: 0o644 }]);
        expect(inspect(dir).leftovers).toEqual([]);
      }
    }
    // the test means something only if some kills landed before the writer finished
    expect(interrupted, `${finished} runs finished before the kill`).toBeGreaterThan(0);
    expect(swept, "no kill left temp or backup files: the sweep was not exercised").toBeGreaterThan(0);
    expect(mixed, "no kill landed between two renames").toBeGreaterThan(0);
  }, 180_000);

  it("temp files of secrets left by a kill are 0600 and git-ignored (git add -A takes none); the next write removes them", async () => {
    const git = (dir: string, ...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", ...args], { cwd: dir, encoding: "utf8" });
    let seen = 0;
    for (const delay of [0, 10, 30]) {
      const dir = setUp();
      // the repo's own .gitignore ignores nothing of ours: the tmp directory's own .gitignore must
      writeFileSync(join(dir, ".gitignore"), "/log/\n");
      git(dir, "init", "-q");
      git(dir, "add", "-A");
      git(dir, "commit", "-qm", "base");
      const w = startWriter(dir, true);
      await w.temps();
      await new Promise((r) => setTimeout(r, delay));
      w.child.kill("SIGKILL");
      await w.exited;
      const temps = inspect(dir).leftovers.filter((l) => /\.(tmp|bak)$/.test(l));
      if (!temps.length) continue;
      seen++;
      for (const t of temps.filter((l) => l.endsWith(".tmp"))) expect(statSync(join(dir, t)).mode & 0o777, t).toBe(0o600);
      const status = git(dir, "status", "--porcelain", "--ignored", "--untracked-files=all");
      for (const t of temps) expect(status, t).toContain(`!! ${t}\n`);
      expect(status).not.toMatch(/^\?\? .*rails2k8s/m);
      git(dir, "add", "-A");
      expect(git(dir, "diff", "--cached", "--name-only")).not.toContain(".rails2k8s");
      git(dir, "reset", "-q");
      writeAtomically(dir, [{ abs: join(dir, "k8s", "f0.yaml"), content: body("new", 0), mode: 0o600 }]);
      expect(inspect(dir).leftovers).toEqual([]);
      expect(existsSync(join(dir, TMP_DIR))).toBe(false);
    }
    expect(seen, "no kill left a temp file: the test exercised nothing").toBeGreaterThan(0);
  }, 180_000);
});
