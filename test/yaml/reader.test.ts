// loadRubyYaml beyond what Ruby can be asked: line numbers for provenance, the typed view vs the
// String-key view, and the limits that keep a hostile file from exhausting memory.
import { describe, it, expect } from "vitest";
import { loadRubyYaml, rubyToValue, isRubyHash, YAML_LIMITS } from "../../analyzers/ruby/yaml.js";

describe("loadRubyYaml", () => {
  const text = `defaults: &d\n  a: 1\n  b: yes\nproduction:\n  <<: *d\n  b: n\n  t: 1:30\n  e: 1e3\n  s: :foo\n  d: 2020-01-01\n  o: 0755\n  list:\n    - x\n    - y\n`;

  it("reads values as Psych does and gives each path its line, merged keys their anchor's", () => {
    const r = loadRubyYaml(text);
    expect(r.errors).toEqual([]);
    expect(r.value).toEqual({
      defaults: { a: 1, b: true },
      production: { a: 1, b: "n", t: 5400, e: "1e3", s: { sym: "foo" }, d: { date: "2020-01-01" }, o: 493, list: ["x", "y"] },
    });
    expect(r.lineOf(["production", "t"])).toBe(7);
    expect(r.lineOf(["production", "a"])).toBe(2);
    expect(r.lineOf(["production", "list", 1])).toBe(14);
    expect(r.lineOf(["production", "missing", "deeper"])).toBe(4);
    expect(r.lineOf([])).toBe(1);
  });

  it("keeps key types in the Ruby view and collapses them as with_indifferent_access in the model view", () => {
    const r = loadRubyYaml(":a: 1\nb: 2\na: 3\n1: x\n");
    expect(isRubyHash(r.ruby) && [...r.ruby.entries.keys()]).toEqual(["y:a", "s:b", "s:a", "i:1"]);
    expect(r.value).toEqual({ a: 3, b: 2, 1: "x" });
    expect(Object.keys(rubyToValue(r.ruby) as object)).toEqual(["1", "a", "b"]);
  });

  it("takes `__proto__` as an ordinary key", () => {
    const r = loadRubyYaml("__proto__:\n  polluted: true\n");
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    expect(JSON.stringify(r.value)).toBe('{"__proto__":{"polluted":true}}');
  });

  it("reports an empty document as empty, with a nil value", () => {
    expect(loadRubyYaml("# only a comment\n")).toMatchObject({ value: null, empty: true, errors: [] });
  });

  it("stops an alias bomb without expanding it", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill("*" + String.fromCharCode(96 + i)).join(", ")}]`);
    const started = Date.now();
    const r = loadRubyYaml(lines.join("\n") + "\n");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.errors[0].message).toMatch(/alias bomb/);
    expect(r.value).toBeNull();
  });

  it("accepts many aliases to small anchors (a long database.yml)", () => {
    const body = Array.from({ length: 500 }, (_, i) => `env${i}:\n  <<: *default\n  database: db${i}\n`).join("");
    const r = loadRubyYaml(`default: &default\n  adapter: mysql2\n  pool: 5\n${body}`);
    expect(r.errors).toEqual([]);
    expect((r.value as Record<string, unknown>).env499).toEqual({ adapter: "mysql2", pool: 5, database: "db499" });
  });

  it("refuses nesting deeper than the limit, also through aliases", () => {
    expect(loadRubyYaml("a: " + "[".repeat(YAML_LIMITS.maxDepth + 5) + "]".repeat(YAML_LIMITS.maxDepth + 5) + "\n").errors[0].message).toMatch(/nesting/);
    const chain = ["a0: &a0 [[[[[[[[[[1]]]]]]]]]]"];
    for (let i = 1; i < 30; i++) chain.push(`a${i}: &a${i} [[[[[[[[[[*a${i - 1}]]]]]]]]]]`);
    expect(loadRubyYaml(chain.join("\n") + "\n").errors[0].message).toMatch(/nesting/);
  });
});
