// The Ruby literal encoder, judged by Ruby itself: whatever the value, the literal parses as one
// String literal (Ripper) and evaluates to exactly the value's UTF-8 bytes.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { rubyFloat, rubyString, rubyStringArray, rubyStringHash, rubySymbol } from "../../emitters/encode/ruby.js";
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

/** Runs Ruby over many sources: each one's value as typed JSON (hex for text), or its error. */
function evalAll(sources: string[], mode: "erb" | "ruby"): unknown[] {
  const script = `
require "json"
require "erb"
require "ripper"
def typed(v)
  case v
  when String then { "str" => v.unpack1("H*") }
  when Symbol then { "sym" => v.to_s.unpack1("H*") }
  when Hash then { "hash" => v.map { |k, x| [typed(k), typed(x)] }, "frozen" => v.frozen? }
  when Float then { "float" => v.nan? ? "NaN" : v.to_s }
  else v
  end
end
srcs = JSON.parse(STDIN.read)
print JSON.generate(srcs.map { |src|
  if ARGV[0] == "erb"
    { "str" => ERB.new("<%= #{src} %>").result.unpack1("H*") }
  else
    { "value" => typed(eval(src)), "tokens" => Ripper.lex(src).map { |t| t[1].to_s }.uniq }
  end
})
`;
  const r = spawnSync("ruby", ["-e", script, mode], { input: JSON.stringify(sources), encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const hex = (s: string) => Buffer.from(s.toWellFormed(), "utf8").toString("hex");
const someStrings = (n: number, seed: number) => [...HOSTILE, "%>", "a%>b<%= 1 %>", "%%>", ...fc.sample(fc.string({ unit: "binary", maxLength: 30 }), { numRuns: n, seed })];

describe("Ruby literals inside an ERB tag, Symbols, Hashes, Floats", () => {
  it("a literal with erb: true gives its value through ERB: no `%>` in it closes the tag", () => {
    const values = someStrings(200, 12);
    const out = evalAll(values.map((v) => rubyString(v, { erb: true })), "erb") as { str: string }[];
    out.forEach((o, i) => expect(o.str, JSON.stringify(values[i])).toBe(hex(values[i]!)));
  });

  it("a Symbol literal is one symbol with the value's name, and cannot interpolate", () => {
    const values = someStrings(200, 13);
    const out = evalAll(values.map((v) => rubySymbol(v)), "ruby") as { value: { sym: string }; tokens: string[] }[];
    out.forEach((o, i) => {
      expect(o.value.sym, JSON.stringify(values[i])).toBe(hex(values[i]!));
      expect(o.tokens.every((t) => ["on_symbeg", "on_tstring_content", "on_tstring_end"].includes(t)), rubySymbol(values[i]!)).toBe(true);
    });
  });

  it("a Hash of Strings is frozen and holds exactly the pairs", () => {
    const pairs: [string, string][] = someStrings(40, 14).map((v, i) => [`${i}${v}`, v]);
    const [o] = evalAll([rubyStringHash(pairs, "  ")], "ruby") as { value: { hash: [{ str: string }, { str: string }][]; frozen: boolean } }[];
    expect(o!.value.frozen).toBe(true);
    expect(o!.value.hash.map(([k, v]) => [k.str, v.str])).toEqual(pairs.map(([k, v]) => [hex(k), hex(v)]));
  });

  it("a Float literal is the same double", () => {
    const values = [0.1, -2.5e-300, 1e21, 123456789.125, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN, 3, ...fc.sample(fc.double(), { numRuns: 100, seed: 15 })];
    const out = evalAll(values.map(rubyFloat), "ruby") as { value: { float: string } }[];
    out.forEach((o, i) => {
      const v = values[i]!;
      const back = o.value.float === "NaN" ? NaN : o.value.float === "Infinity" ? Infinity : o.value.float === "-Infinity" ? -Infinity : Number(o.value.float);
      expect(Object.is(back, v) || (v === 0 && back === 0), `${v} → ${rubyFloat(v)}`).toBe(true);
    });
  });
});

describe("fill", () => {
  it("places values without reading $ patterns, and refuses unknown or unused slots", () => {
    expect(fill("x = {{a}}", { a: "$&$1" })).toBe("x = $&$1");
    expect(() => fill("{{a}}", {})).toThrow(/no value/);
    expect(() => fill("{{a}}", { a: "1", b: "2" })).toThrow(/not in the template/);
  });
});
