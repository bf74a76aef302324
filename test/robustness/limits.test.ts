// Limits of the repo walk and readers: each with a clear message, and the rest still analyzed.
import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { readRepo, decodeText } from "../../src/repo.js";
import { LIMITS } from "../../src/model/limits.js";
import { loadRubyYaml } from "../../analyzers/ruby/yaml.js";

function tree(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-limits-"));
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

describe("repo walk limits", () => {
  it("refuses a file over the size limit, a binary file and invalid UTF-8, by name", () => {
    const dir = tree({
      "config/huge.yml": "a: " + "x".repeat(LIMITS.fileBytes + 10),
      "config/binary.yml": Buffer.from([0x61, 0x00, 0x62]),
      "config/latin1.yml": Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]),
      "config/ok.yml": "a: 1\n",
    });
    const { repo } = readRepo(dir);
    expect(repo.read("config/huge.yml")).toEqual({ error: expect.stringMatching(/over the \d+-byte limit/) });
    // Not text is marked `invalid` (Ruby refuses it too); a size limit is only ours.
    expect(repo.read("config/binary.yml")).toEqual({ error: expect.stringMatching(/binary/), invalid: true });
    expect(repo.read("config/latin1.yml")).toEqual({ error: expect.stringMatching(/UTF-8/), invalid: true });
    expect(repo.read("config/ok.yml")).toEqual({ text: "a: 1\n" });
  });

  it("does not follow a symlink out of the repo, nor a directory loop; reports both", () => {
    const outside = tree({ "secret.yml": "password: hunter2\n" });
    const dir = tree({ "config/app.yml": "a: 1\n" });
    symlinkSync(join(outside, "secret.yml"), join(dir, "config/escape.yml"));
    symlinkSync(join(dir, "config"), join(dir, "config/loop"));
    symlinkSync(join(dir, "config/app.yml"), join(dir, "config/inside.yml"));
    const { repo, problems } = readRepo(dir);
    expect(repo.paths).toContain("config/app.yml");
    expect(repo.paths).toContain("config/inside.yml");
    expect(repo.paths).not.toContain("config/escape.yml");
    expect(repo.paths.some((p) => p.startsWith("config/loop/"))).toBe(false);
    expect(problems).toContainEqual(expect.objectContaining({ file: "config/escape.yml", message: expect.stringMatching(/leaves the repo/) }));
  });

  it("skips dependency and build trees without reading them", () => {
    const dir = tree({ "node_modules/x/index.js": "1", "vendor/bundle/x.rb": "1", ".git/config": "x", "tmp/cache/a": "1", "app/models/a.rb": "class A; end\n" });
    const { repo } = readRepo(dir);
    expect(repo.paths).toEqual(["app/models/a.rb"]);
  });

  it("runtime-data names skip only at the root: config/global/storage and config/global/log are config", () => {
    const dir = tree({ "storage/x.sqlite3": "1", "log/production.log": "1", "engines/billing/node_modules/x.js": "1", "config/global/storage/s3.yml": "default: {}\n", "config/global/log/app.yml": "default: {}\n" });
    expect(readRepo(dir).repo.paths).toEqual(["config/global/log/app.yml", "config/global/storage/s3.yml"]);
  });

  it("strips a UTF-8 byte-order mark", () => {
    expect(decodeText(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toEqual({ text: "a" });
  });
});

describe("YAML limits", () => {
  it("stops a billion-laughs alias bomb with a message and a line", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill("*" + String.fromCharCode(96 + i)).join(", ")}]`);
    const r = loadRubyYaml(lines.join("\n") + "\n");
    expect(r.errors[0]).toEqual({ message: expect.stringMatching(/alias/), line: expect.any(Number), aliasBomb: true });
    expect(r.errors[0]!.line).toBeGreaterThan(1);
    expect(r.value).toBeNull();
  });

  it("refuses nesting deeper than the limit", () => {
    const r = loadRubyYaml("a: " + "[".repeat(1000) + "]".repeat(1000) + "\n");
    expect(r.errors.some((e) => /nesting|deep/i.test(e.message))).toBe(true);
  });
});
