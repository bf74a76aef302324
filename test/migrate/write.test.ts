// Atomic writes: a failure at any point leaves every existing file as it was, and no temp file,
// backup or new directory behind. Tests run as root (chmod cannot make a write fail), so the
// failures come from what stands on disk, or from a file-system call made to fail.
import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, statSync, symlinkSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { writeAtomically, WriteFailed, type WriteFs } from "../../src/write.js";
import { LinkRefused } from "../../src/safe-path.js";
import { TMP_DIR } from "../../src/journal.js";
import { snapshot } from "./helpers.js";

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-write-"));
  writeFileSync(join(dir, "keep.txt"), "original\n");
  mkdirSync(join(dir, "config"));
  writeFileSync(join(dir, "config/app.yml"), "a: 1\n");
  return dir;
}

describe("writeAtomically", () => {
  it("writes new and existing files with their modes, creating directories", () => {
    const dir = repo();
    writeAtomically(dir, [
      { abs: join(dir, "keep.txt"), content: "changed\n", mode: 0o644 },
      { abs: join(dir, "bin/entry"), content: "#!/bin/sh\n", mode: 0o755 },
      { abs: join(dir, "k8s/a/secrets.env"), content: "K=\n", mode: 0o600 },
    ]);
    expect(readFileSync(join(dir, "keep.txt"), "utf8")).toBe("changed\n");
    expect(statSync(join(dir, "bin/entry")).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, "k8s/a/secrets.env")).mode & 0o777).toBe(0o600);
    expect(Object.keys(snapshot(dir)).filter((p) => /rails2k8s-.*\.(tmp|bak)$/.test(p))).toEqual([]);
  });

  it("a directory standing where a file goes: fails before touching anything", () => {
    const dir = repo();
    mkdirSync(join(dir, "Dockerfile"));
    const before = snapshot(dir);
    expect(() =>
      writeAtomically(dir, [
        { abs: join(dir, "keep.txt"), content: "changed\n", mode: 0o644 },
        { abs: join(dir, "new/dir/file.yaml"), content: "x\n", mode: 0o644 },
        { abs: join(dir, "Dockerfile"), content: "FROM x\n", mode: 0o644 },
      ]),
    ).toThrow(/Dockerfile: a directory stands where the file goes/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("a file standing where a directory is needed: fails, nothing changed", () => {
    const dir = repo();
    writeFileSync(join(dir, "k8s"), "not a dir\n");
    const before = snapshot(dir);
    expect(() =>
      writeAtomically(dir, [
        { abs: join(dir, "config/app.yml"), content: "a: 2\n", mode: 0o644 },
        { abs: join(dir, "k8s/base/x.yaml"), content: "x\n", mode: 0o644 },
      ]),
    ).toThrow(WriteFailed);
    expect(snapshot(dir)).toEqual(before);
  });

  it("a rename failing half-way through the commit puts back the files already renamed", () => {
    const dir = repo();
    const before = snapshot(dir);
    let renames = 0;
    const failing: WriteFs = {
      ...fs,
      renameSync: (a: fs.PathLike, b: fs.PathLike) => {
        // the third commit rename fails (after keep.txt and config/app.yml were replaced)
        if (++renames === 3) throw Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO" });
        return fs.renameSync(a, b);
      },
    };
    expect(() =>
      writeAtomically(
        dir,
        [
          { abs: join(dir, "keep.txt"), content: "changed\n", mode: 0o644 },
          { abs: join(dir, "config/app.yml"), content: "a: 2\n", mode: 0o644 },
          { abs: join(dir, "k8s/base/x.yaml"), content: "x\n", mode: 0o644 },
          { abs: join(dir, "z.txt"), content: "z\n", mode: 0o644 },
        ],
        failing,
      ),
    ).toThrow(/EIO/);
    expect(renames).toBeGreaterThan(3); // the rollback renamed the backups back
    expect(snapshot(dir)).toEqual(before);
  });

  it("a deletion goes with the writes: the emptied directory goes too; a later failing rename puts the deleted file back", () => {
    const dir = repo();
    mkdirSync(join(dir, "k8s/overlays/qa"), { recursive: true });
    writeFileSync(join(dir, "k8s/overlays/qa/config.env"), "RAILS_ENV=qa\n");
    const before = snapshot(dir);
    let renames = 0;
    const failing: WriteFs = {
      ...fs,
      renameSync: (a: fs.PathLike, b: fs.PathLike) => {
        if (++renames === 2) throw Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO" });
        return fs.renameSync(a, b);
      },
    };
    // Sorted as the Tree gives them: the deletion commits between the two renames.
    const ops = [
      { abs: join(dir, "config/app.yml"), content: "a: 2\n", mode: 0o644 },
      { abs: join(dir, "k8s/overlays/qa/config.env"), content: "", mode: 0o644, remove: true as const },
      { abs: join(dir, "keep.txt"), content: "changed\n", mode: 0o644 },
    ];
    expect(() => writeAtomically(dir, ops, failing)).toThrow(/EIO/);
    expect(snapshot(dir)).toEqual(before);
    writeAtomically(dir, ops);
    expect(existsSync(join(dir, "k8s/overlays/qa"))).toBe(false);
    expect(existsSync(join(dir, "k8s/overlays"))).toBe(false);
    expect(readFileSync(join(dir, "keep.txt"), "utf8")).toBe("changed\n");
    expect(Object.keys(snapshot(dir)).filter((p) => p.startsWith(".rails2k8s"))).toEqual([]);
  });

  it("a failure at any write (tmp .gitignore, journal, a temp file) leaves nothing behind", () => {
    // writes: 1 the tmp dir's .gitignore, 2 the journal, 3 and 4 the temp files
    for (const failAt of [1, 2, 3, 4]) {
      const dir = repo();
      const before = snapshot(dir);
      let writes = 0;
      const failing: WriteFs = {
        ...fs,
        writeSync: ((...args: Parameters<typeof fs.writeSync>) => {
          if (++writes === failAt) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
          return (fs.writeSync as (...a: unknown[]) => number)(...args);
        }) as typeof fs.writeSync,
      };
      expect(() =>
        writeAtomically(
          dir,
          [
            { abs: join(dir, "keep.txt"), content: "changed\n", mode: 0o644 },
            { abs: join(dir, "deep/er/file.txt"), content: "x\n", mode: 0o644 },
          ],
          failing,
        ),
      ).toThrow(/ENOSPC/);
      expect(snapshot(dir), `write ${failAt} failing`).toEqual(before);
    }
  });

  it("a link on the way to a target, leaving the repo or not, is refused before anything is touched", () => {
    const outside = mkdtempSync(join(tmpdir(), "r2k-outside-"));
    // the names the old pattern sweep deleted, planted where the link points
    writeFileSync(join(outside, ".deploy.yaml.rails2k8s-1-abc-0.tmp"), "not ours\n");
    writeFileSync(join(outside, "deploy.yaml"), "theirs\n");
    const outsideBefore = snapshot(outside);
    for (const plant of [
      (dir: string) => symlinkSync(outside, join(dir, "k8s")),
      (dir: string) => symlinkSync(join(dir, "config"), join(dir, "k8s")), // stays inside: refused too
      (dir: string) => (mkdirSync(join(dir, "k8s")), symlinkSync(join(outside, "deploy.yaml"), join(dir, "k8s/deploy.yaml"))),
      (dir: string) => symlinkSync(outside, join(dir, ".rails2k8s")),
    ]) {
      const dir = repo();
      plant(dir);
      const before = snapshot(dir);
      let err: unknown;
      try {
        writeAtomically(dir, [
          { abs: join(dir, "keep.txt"), content: "changed\n", mode: 0o644 },
          { abs: join(dir, "k8s/deploy.yaml"), content: "ours\n", mode: 0o644 },
        ]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LinkRefused);
      expect((err as Error).message).toMatch(/(k8s|\.rails2k8s)\b.*a symbolic link/);
      expect(snapshot(dir)).toEqual(before);
      expect(snapshot(outside)).toEqual(outsideBefore);
    }
  });

  it("removes exactly the files a dead run journaled, inside .rails2k8s/tmp only, then its journal", () => {
    const dir = repo();
    const tmp = join(dir, TMP_DIR);
    mkdirSync(tmp, { recursive: true });
    const dead = 2 ** 22 + 12345; // above pid_max's default: never a live process
    writeFileSync(join(tmp, `${dead}-abc-0.tmp`), "SECRET=real\n");
    writeFileSync(join(tmp, `${dead}-abc-1.tmp`), "not journaled: stays\n");
    writeFileSync(join(tmp, `${dead + 1}-abc-0.tmp`), "another pid's name: stays\n");
    // a planted journal may name anything: only plain names of its own pid's shape are removed
    writeFileSync(
      join(tmp, `journal-${dead}.json`),
      JSON.stringify({ files: [`${dead}-abc-0.tmp`, `${dead}-abc-0.bak`, "../../keep.txt", join(dir, "keep.txt"), `${dead + 1}-abc-0.tmp`, `../${dead}-abc-9.tmp`] }),
    );
    // a dead run that had this process's pid (pids are reused): its files go too
    writeFileSync(join(tmp, `${process.pid}-old-0.tmp`), "x\n");
    writeFileSync(join(tmp, `journal-${process.pid}.json`), JSON.stringify({ files: [`${process.pid}-old-0.tmp`] }));
    writeAtomically(dir, [{ abs: join(dir, "new.txt"), content: "n\n", mode: 0o644 }]);
    expect(readFileSync(join(dir, "keep.txt"), "utf8")).toBe("original\n");
    expect(readdirSync(tmp).sort()).toEqual([`${dead + 1}-abc-0.tmp`, `${dead}-abc-1.tmp`, ".gitignore"].sort());
    expect(readFileSync(join(tmp, ".gitignore"), "utf8")).toBe("*\n");
  });

  it("a cut-short journal (killed while writing it) is removed; a clean run leaves no tmp directory", () => {
    const dir = repo();
    const tmp = join(dir, TMP_DIR);
    mkdirSync(tmp, { recursive: true });
    const dead = 2 ** 22 + 777;
    writeFileSync(join(tmp, `journal-${dead}.json`), '{"files":["' + dead);
    writeAtomically(dir, [{ abs: join(dir, "new.txt"), content: "n\n", mode: 0o644 }]);
    expect(existsSync(tmp)).toBe(false);
    const fresh = repo();
    writeAtomically(fresh, [{ abs: join(fresh, "new.txt"), content: "n\n", mode: 0o644 }]);
    expect(existsSync(join(fresh, ".rails2k8s"))).toBe(false);
  });

  it("a file outside the repo (an --answers file) is written with its temp beside it, not through a link", () => {
    const dir = repo();
    const outside = mkdtempSync(join(tmpdir(), "r2k-answers-"));
    writeFileSync(join(outside, "answers.yml"), "# rails2k8s answers\n");
    writeAtomically(dir, [{ abs: join(outside, "answers.yml"), content: "# rails2k8s answers\na: 1\n", mode: 0o644 }]);
    expect(readFileSync(join(outside, "answers.yml"), "utf8")).toBe("# rails2k8s answers\na: 1\n");
    expect(readdirSync(outside)).toEqual(["answers.yml"]);
    symlinkSync(join(outside, "answers.yml"), join(outside, "link.yml"));
    expect(() => writeAtomically(dir, [{ abs: join(outside, "link.yml"), content: "x\n", mode: 0o644 }])).toThrow(LinkRefused);
    expect(readFileSync(join(outside, "answers.yml"), "utf8")).toBe("# rails2k8s answers\na: 1\n");
  });
});
