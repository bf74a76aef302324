// The kept-file report names where a new value went. For files read line by line (a Dockerfile, a
// .dockerignore) a line is looked for whole: not its words, which every generated file shares, and
// never a comment line.
import { describe, expect, it } from "vitest";
import { keptReports } from "../../src/consistency.js";
import type { ReviewItem } from "../../src/review.js";

const kept = (path: string, before: string, after: string): ReviewItem => ({ path, status: "skipped", before, after });
const written = (path: string, after: string): ReviewItem => ({ path, status: "new", before: null, after });

describe("kept files: where the new values are", () => {
  const items = [
    kept(".dockerignore", "/tmp/\n", "# Version control\n/.git/\n/tmp/\n/log/*\n"),
    kept("Dockerfile", "FROM ruby:3.2\n", "# base: what both stages share\nFROM ruby:3.3.4-slim\nAPP_HOST=shop.example.org\n"),
    written("k8s/base/kustomization.yaml", "# Version control of the set\nresources:\n  - web.yaml\n"),
    written(".github/workflows/build.yml", "# base: image\nimage: ruby:3.3.4-slim\nrun: rm -rf tmp log\nenv: APP_HOST=shop.example.org\n"),
  ];
  const reports = keptReports(items, new Set(items.map((i) => i.path)));
  const of = (path: string) => reports.find((r) => r.path === path)!.disagreements;

  it("a comment line is never said to be in another file, nor found by its words", () => {
    expect(of(".dockerignore").find((d) => d.generated === "# Version control")!.alsoIn).toEqual([]);
    expect(of("Dockerfile").find((d) => d.generated?.startsWith("# base"))!.alsoIn).toEqual([]);
  });

  it("a line is looked for whole", () => {
    expect(of(".dockerignore").find((d) => d.generated === "/log/*")!.alsoIn).toEqual([]);
    expect(of("Dockerfile").find((d) => d.generated === "FROM ruby:3.3.4-slim")!.alsoIn).toEqual([]);
  });

  it("a line found whole in a file just written is named", () => {
    expect(of("Dockerfile").find((d) => d.generated === "APP_HOST=shop.example.org")!.alsoIn).toEqual([".github/workflows/build.yml"]);
  });
});
