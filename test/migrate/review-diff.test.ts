// The review's diff: the same text as the diff package writes, in time linear in the files' size;
// a bounded Myers run for two large files that differ a lot.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import { DIFF_BUDGET, unifiedDiff } from "../../src/review.js";

const pkg = (a: string, b: string, before: string, after: string) =>
  createTwoFilesPatch(a, b, before, after, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY });

// Lines made of few characters, so that texts share lines and end with or without a newline.
const text = fc.array(fc.constantFrom("a", "b", "\n", "\r\n", " ", "é", "\\"), { maxLength: 40 }).map((xs) => xs.join(""));
const name = fc.constantFrom("x.yml", "config/custom/a b.yml", 'q"uote.yml', "tab\there.yml", "ünï.yml", "new\nline.yml");

describe("unifiedDiff", () => {
  it("writes a new file's diff as the diff package does, whatever the text and the file name", () => {
    fc.assert(
      fc.property(text, name, (after, n) => {
        expect(unifiedDiff("/dev/null", `b/${n}`, "", after)).toBe(pkg("/dev/null", `b/${n}`, "", after));
        expect(unifiedDiff(`a/${n}`, `b/${n}`, "", after)).toBe(pkg(`a/${n}`, `b/${n}`, "", after));
      }),
      { numRuns: 500 },
    );
  });

  it("gives the diff package's diff for changed files under the budget", () => {
    fc.assert(
      fc.property(text, text, name, (before, after, n) => {
        expect(unifiedDiff(`a/${n}`, `b/${n}`, before, after)).toBe(pkg(`a/${n}`, `b/${n}`, before, after));
      }),
      { numRuns: 500 },
    );
  });

  it("writes a 2 MB new file's diff at once", () => {
    const big = Array.from({ length: 100_000 }, (_, i) => `  key_${i}: value ${i}`).join("\n") + "\n";
    const t0 = performance.now();
    const d = unifiedDiff("/dev/null", "b/big.yml", "", big);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(d.startsWith("--- /dev/null\n+++ b/big.yml\n@@ -0,0 +1,100000 @@\n+  key_0: value 0\n")).toBe(true);
    expect(d.endsWith("+  key_99999: value 99999\n")).toBe(true);
  });

  it("says how two large files differ instead of a diff when too many lines changed", () => {
    const n = 60_000;
    const before = Array.from({ length: n }, (_, i) => `k${i}: ${i}`).join("\n") + "\n";
    const after = Array.from({ length: n }, (_, i) => `k${i}: ${i % 2 ? i : -i}`).join("\n") + "\n";
    expect(Math.floor(DIFF_BUDGET / (2 * n))).toBeLessThan(n);
    const t0 = performance.now();
    const d = unifiedDiff("a/big.yml", "b/big.yml", before, after);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(d).toBe(`--- a/big.yml\n+++ b/big.yml\n  (more than 166 lines differ: ${n} lines before, ${n} after; the diff is not shown)\n`);
    // A large file with a few changes still gets its diff.
    const few = before.replace("k100: 100\n", "k100: changed\n");
    expect(unifiedDiff("a/big.yml", "b/big.yml", before, few)).toBe(pkg("a/big.yml", "b/big.yml", before, few));
  });
});
