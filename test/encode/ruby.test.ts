// The Ruby literal encoder, judged by Ruby itself: whatever the value, the literal parses as one
// String literal (Ripper) and evaluates to exactly the value's UTF-8 bytes.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { rubyString, rubyStringArray } from "../../emitters/encode/ruby.js";
import { fill } from "../../emitters/text/fill.js";

/** Runs Ruby over many literals at once: for each, its Ripper token kinds and its value in hex. */
function judge(literals: string[]): { tokens: string[]; hex: string }[] {
  const script = `
require "ripper"
require "json"
srcs = JSON.parse(STDIN.read)
out = srcs.map do |src|
  toks = Ripper.lex(src).map { |t| t[1].to_s }
  { tokens: toks, hex: eval(src).unpack1("H*") }
end
print JSON.generate(out)
`;
  const r = spawnSync("ruby", ["-e", script], { input: JSON.stringify(literals), encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const HOSTILE = ['a"#{`touch X`}".yml', "#{1}", "#@x #$y", "\\", "'", "\n__END__\n", "\0", "\u001b[31m", "é漢🙂", "\ud800", "a\\#{b}"];

describe("rubyString", () => {
  it("is one string literal with the value's bytes, for planted and generated values", () => {
    const values = [...HOSTILE, ...fc.sample(fc.string({ unit: "binary", maxLength: 40 }), { numRuns: 300, seed: 11 })];
    const literals = values.map(rubyString);
    const judged = judge(literals);
    judged.forEach((j, i) => {
      // Only the literal's own tokens: begin, content/escapes, end. No embexpr, no ident, no newline.
      expect(j.tokens.every((t) => ["on_tstring_beg", "on_tstring_content", "on_tstring_end"].includes(t)), literals[i]).toBe(true);
      expect(j.hex).toBe(Buffer.from(values[i]!.toWellFormed(), "utf8").toString("hex"));
    });
  });

  it("arrays are frozen lists of such literals", () => {
    expect(rubyStringArray(["a", 'b"'])).toBe('["a", "b\\""].freeze');
  });
});

describe("fill", () => {
  it("places values without reading $ patterns, and refuses unknown or unused slots", () => {
    expect(fill("x = {{a}}", { a: "$&$1" })).toBe("x = $&$1");
    expect(() => fill("{{a}}", {})).toThrow(/no value/);
    expect(() => fill("{{a}}", { a: "1", b: "2" })).toThrow(/not in the template/);
  });
});
