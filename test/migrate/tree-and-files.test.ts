// The small modules of the pipeline: the Tree, the generated-file record, the answers file and
// the .gitignore update.
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { parse } from "yaml";
import { Tree } from "../../src/tree.js";
import { LinkRefused, showPath } from "../../src/safe-path.js";
import { classifyGenerated, parseRecord, renderRecord, sha256 } from "../../src/generated.js";
import { answerProblem, parseAnswers, renderAnswers, BadAnswersFile } from "../../src/answers.js";
import { addIgnored } from "../../src/gitignore.js";
import { countLine, renderDiff, renderSummary } from "../../src/review.js";
import { applyPatch } from "../../src/patch.js";
import type { Gap } from "../../src/model.js";

const tmp = () => mkdtempSync(join(tmpdir(), "r2k-tree-"));

describe("Tree", () => {
  it("stages writes in memory and drops a write that restores the bytes on disk", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.txt"), "one\n");
    const t = new Tree(dir);
    t.write("a.txt", "two\n", { origin: "generated" });
    t.write("b/c.txt", "new\n", { origin: "generated" });
    expect(t.read("a.txt")).toBe("two\n");
    expect(t.changes().map((c) => c.path)).toEqual(["a.txt", "b/c.txt"]);
    t.write("a.txt", "one\n", { origin: "generated" });
    expect(t.changes().map((c) => c.path)).toEqual(["b/c.txt"]);
    expect(t.read("a.txt")).toBe("one\n");
  });

  it("refuses paths that leave the repo", () => {
    const t = new Tree(tmp());
    for (const p of ["../x", "/etc/passwd", "a/../../x", "a//b", "a\\b", ""]) expect(() => t.write(p, "x", { origin: "generated" }), p).toThrow(/refusing/);
  });

  it("never reads through a link, at any component; staging a write there is refused", () => {
    const dir = tmp();
    const outside = tmp();
    writeFileSync(join(outside, "secrets.env"), "PLANTED=1\n");
    mkdirSync(join(dir, "k8s"));
    symlinkSync(outside, join(dir, "k8s/overlays"));
    symlinkSync(join(outside, "secrets.env"), join(dir, "direct.env"));
    const t = new Tree(dir);
    expect(t.original("k8s/overlays/secrets.env")).toEqual({ kind: "other", what: "under k8s/overlays, a symbolic link", link: "k8s/overlays" });
    expect(t.original("direct.env")).toEqual({ kind: "other", what: "a symbolic link", link: "direct.env" });
    expect(t.read("k8s/overlays/secrets.env")).toBeNull();
    expect(() => t.write("k8s/overlays/secrets.env", "x", { origin: "generated" })).toThrow(LinkRefused);
    expect(() => t.write("direct.env", "x", { origin: "generated" })).toThrow(/direct\.env: a symbolic link/);
    expect(t.changes()).toEqual([]);
    expect(showPath("k8s/a\u001b[31m\nb")).toBe('"k8s/a\\u001b[31m\\nb"');
  });

  it("sees a directory standing where a file goes", () => {
    const dir = tmp();
    mkdirSync(join(dir, "d"));
    expect(new Tree(dir).original("d")).toEqual({ kind: "other", what: "a directory" });
  });
});

describe("generated-file record", () => {
  it("tells new, unchanged, ours-and-changed, edited and team files apart", () => {
    const ours = Buffer.from("v1\n");
    const record = { "x.yaml": sha256(ours) };
    expect(classifyGenerated("x.yaml", null, "v2\n", record, false).status).toBe("new");
    expect(classifyGenerated("x.yaml", ours, "v1\n", record, false).status).toBe("unchanged");
    expect(classifyGenerated("x.yaml", ours, "v2\n", record, false).status).toBe("changed");
    expect(classifyGenerated("x.yaml", Buffer.from("edited\n"), "v2\n", record, false)).toEqual({ status: "conflict", reason: "edited since rails2k8s wrote it" });
    expect(classifyGenerated("Dockerfile", Buffer.from("FROM x\n"), "v2\n", record, false)).toEqual({ status: "conflict", reason: "exists and was not written by rails2k8s" });
    expect(classifyGenerated("x.yaml", Buffer.from("A=filled\n"), "A=\n", record, true).status).toBe("kept");
  });

  it("renders sorted and reads back; a damaged record counts as empty with a warning", () => {
    const text = renderRecord({ b: "sha256:2", a: "sha256:1" });
    expect(text.indexOf('"a"')).toBeLessThan(text.indexOf('"b"'));
    expect(parseRecord(text).record).toEqual({ a: "sha256:1", b: "sha256:2" });
    const bad = parseRecord("{not json");
    expect(bad.record).toEqual({});
    expect(bad.warning).toMatch(/not readable/);
  });
});

describe("answers file", () => {
  const gaps: Gap[] = [
    { id: "stage.production.namespace", question: "Which namespace?", why: "w", default: "shop-production" },
    { id: "image.repository", question: "Which image repository?\nSecond line", why: "w", default: "registry.example.com/shop" },
    { id: "db.password", question: "Database password?", why: "w", default: null, secret: true },
    { id: "resources.web", question: "Resources?", why: "w", default: { requests: { cpu: "500m" } } },
    { id: "edge.target", question: "Edge?", why: "w", default: "alb", choices: ["gateway", "alb"] },
  ];

  it("comments each answer with its question, sorts keys, never saves a secret, keeps stale answers", () => {
    const answers = { "stage.production.namespace": "prod", "image.repository": "ghcr.io/a/b", "db.password": "hunter2", "resources.web": { requests: { cpu: "1" } }, "edge.target": "gateway" };
    const text = renderAnswers(gaps, answers, { "old.question": "kept", "image.repository": "x" });
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("db.password");
    expect(text).toContain("# Which image repository?\n# Second line\nimage.repository: ghcr.io/a/b\n");
    const keys = Object.keys(parse(text));
    expect(keys).toEqual(["edge.target", "image.repository", "resources.web", "stage.production.namespace", "old.question"]);
    expect(parseAnswers(text, "f")).toEqual({ "edge.target": "gateway", "image.repository": "ghcr.io/a/b", "resources.web": { requests: { cpu: "1" } }, "stage.production.namespace": "prod", "old.question": "kept" });
    // same input, same bytes
    expect(renderAnswers(gaps, answers, {})).toBe(renderAnswers(gaps, { ...answers }, {}));
  });

  it("rejects a file that is not a mapping, and answers that do not fit their question", () => {
    expect(() => parseAnswers("- a\n- b\n", "f")).toThrow(BadAnswersFile);
    expect(() => parseAnswers("a: [\n", "f")).toThrow(/not valid YAML/);
    expect(parseAnswers(null, "f")).toEqual({});
    expect(answerProblem(gaps[4]!, "nginx")).toMatch(/one of gateway, alb/);
    expect(answerProblem(gaps[3]!, "big")).toMatch(/a mapping/);
    expect(answerProblem(gaps[0]!, 3)).toMatch(/a string/);
    expect(answerProblem(gaps[0]!, "ok")).toBeNull();
  });
});

describe(".gitignore", () => {
  it("appends missing secret paths under one marked block, idempotently", () => {
    const once = addIgnored("node_modules/\n/log/*", ["k8s/overlays/b/secrets.env", "k8s/overlays/a/secrets.env"])!;
    expect(once).toBe("node_modules/\n/log/*\n\n# rails2k8s: files holding secret values (never commit them)\n/k8s/overlays/a/secrets.env\n/k8s/overlays/b/secrets.env\n");
    expect(addIgnored(once, ["k8s/overlays/a/secrets.env"])).toBe(once);
    const more = addIgnored(once + "\ntmp/\n", ["k8s/overlays/c/secrets.env"])!;
    expect(more).toContain("/k8s/overlays/b/secrets.env\n/k8s/overlays/c/secrets.env\n\ntmp/\n");
    expect(addIgnored(null, ["s.env"])).toBe("# rails2k8s: files holding secret values (never commit them)\n/s.env\n");
    expect(addIgnored(null, [])).toBeNull();
    expect(addIgnored("s.env\n", ["s.env"])).toBe("s.env\n");
  });
});

describe("review", () => {
  it("diffs changed files, hides secrets, colours only when asked, one summary line per file", () => {
    const items = [
      { path: "a.yaml", status: "changed" as const, before: "x: 1\n", after: "x: 2\n" },
      { path: "s.env", status: "new" as const, before: null, after: "KEY=sup3rs3cret\n", secret: true },
      { path: "u.yaml", status: "unchanged" as const, before: "u\n", after: "u\n" },
      { path: "e.yaml", status: "skipped" as const, before: "mine\n", after: "theirs\n", reason: "edited since rails2k8s wrote it" },
    ];
    const plain = items.map((i) => renderDiff(i, false)).join("");
    expect(plain).toContain("--- a/a.yaml\n+++ b/a.yaml\n@@ -1,1 +1,1 @@\n-x: 1\n+x: 2\n");
    expect(plain).toContain("(secret values hidden)");
    expect(plain).not.toContain("sup3rs3cret");
    expect(plain).not.toMatch(/\x1b\[/);
    expect(renderDiff(items[0]!, true)).toMatch(/\x1b\[32m\+x: 2/);
    const summary = renderSummary(items, false);
    expect(summary.split("\n").filter(Boolean)).toHaveLength(4);
    expect(summary).toMatch(/skipped\s+e\.yaml\s+\(edited since rails2k8s wrote it\)/);
    expect(countLine(items)).toBe("1 new, 1 changed, 1 unchanged, 1 skipped");
  });
});

describe("in-place edits (the codemod)", () => {
  it("applies byte-range edits only where the text is still what the analysis saw", () => {
    const dir = tmp();
    const text = "x = Global.aws.bucket # é\ny = Global.payment.url\n";
    writeFileSync(join(dir, "app.rb"), text);
    const t = new Tree(dir);
    const at = (s: string) => Buffer.from(text).indexOf(s);
    const src = { file: "app.rb", line: 1 };
    expect(applyPatch(t, { path: "app.rb", source: src, edits: [
      { offset: at("Global.aws"), length: 6, expect: "Global", replacement: "Rails.configuration.x" },
      { offset: at("Global.payment"), length: 6, expect: "Global", replacement: "Rails.configuration.x" },
    ] }, "rails-config")).toBeNull();
    expect(t.read("app.rb")).toBe("x = Rails.configuration.x.aws.bucket # é\ny = Rails.configuration.x.payment.url\n");
    const t2 = new Tree(dir);
    expect(applyPatch(t2, { path: "app.rb", source: src, edits: [{ offset: 0, length: 6, expect: "Global", replacement: "R" }] }, "rails-config")).toMatch(/changed since the analysis/);
    expect(t2.changes()).toEqual([]);
  });
});
