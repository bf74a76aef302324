// The shell-word encoder, judged by real shells: whatever the value, `printf '%s' <word>` prints
// exactly the value in sh (dash) and bash, and shellcheck finds nothing in the line.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { checked, GEM_VERSION, shellWord } from "../../emitters/encode/shell.js";
import { RefusedInput } from "../../emitters/encode/refuse.js";

const HOSTILE = ["2.4.22;touch${IFS}/x;#", "$(id)", "`id`", "'", "a'b", "\n", "a b", "*", "~", "-n", "!", "\\", '"', "é漢🙂", "\u001b[31m", "", "#x", "a=b", "{a,b}"];

/** Prints each value through `printf '%s'` in one script, NUL-separated, and returns what the shell printed. */
function roundTrip(shell: string, values: string[]): string[] {
  const script = values.map((v) => `printf '%s\\0' ${shellWord(v)}`).join("\n") + "\n";
  const r = spawnSync(shell, ["-c", script], { encoding: "utf8", maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\0").slice(0, -1);
}

const noNul = fc.string({ unit: "binary", maxLength: 30 }).map((s) => s.replace(/\0/g, "").toWellFormed());

describe("shellWord", () => {
  for (const shell of ["sh", "bash"])
    it(`${shell} reads back exactly the value (planted and generated)`, () => {
      const values = [...HOSTILE, ...fc.sample(noNul, { numRuns: 400, seed: 7 })];
      expect(roundTrip(shell, values)).toEqual(values);
    });

  // Severity warning and up: its "info" notes (SC2016 `$` in single quotes, SC1003 a backslash in
  // them) describe exactly the literal reading the encoder wants.
  it("shellcheck finds no warning in a script that uses such words", () => {
    const values = [...HOSTILE, ...fc.sample(noNul, { numRuns: 100, seed: 9 })];
    const script = "#!/bin/sh\n" + values.map((v) => `printf '%s\\n' ${shellWord(v)}`).join("\n") + "\n";
    const r = spawnSync("shellcheck", ["-s", "sh", "-S", "warning", "-"], { input: script, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("plain words stay bare, a NUL is a bug", () => {
    expect(shellWord("2.4.22")).toBe("2.4.22");
    expect(shellWord("a'b")).toBe(`'a'\\''b'`);
    expect(() => shellWord("a\0b")).toThrow();
  });
});

describe("GEM_VERSION", () => {
  it("takes what Bundler writes in BUNDLED WITH", () => {
    for (const v of ["1.17.3", "2.4.22", "2.5.0.pre1", "2.6.0.dev", "2.3.0.rc.1", "4"]) expect(GEM_VERSION.test(v), v).toBe(true);
  });
  it("refuses anything else, naming the lockfile line", () => {
    const src = { file: "Gemfile.lock", line: 300 };
    for (const v of ["2.4.22;touch${IFS}/x;#", "2.4.22 ", "$(id)", "2.4\n", "", "v2", "2..4", "2.4-x"]) {
      expect(() => checked(v, GEM_VERSION, "BUNDLED WITH", src), v).toThrow(RefusedInput);
    }
    expect(() => checked("1;x", GEM_VERSION, "BUNDLED WITH", src)).toThrow(/^Gemfile\.lock:300: BUNDLED WITH "1;x" is not a version/);
  });
  it("every version the grammar takes is a plain shell word (property)", () => {
    fc.assert(fc.property(fc.stringMatching(/^\d+(\.[0-9A-Za-z]+)*$/), (v) => GEM_VERSION.test(v) && shellWord(v) === v));
  });
});
