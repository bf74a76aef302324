// A tree built from a file of the same shape (analyzers/capistrano/same-shape.ts) must be the tree
// Prism gives for the file itself: same node classes, ids, flags, fields, strings and offsets, and a
// ParsedRuby that answers every line and text question alike. Texts come from the differential
// test's generated deploy configs and from a grammar of the places a quote may stand in Ruby
// (comments, %w[], heredocs, labels, interpolation, ?-literals...); the other files of a shape are
// those texts with their literals' contents replaced, by safe text or by text that must not pass.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { initPrism, parseRuby, type ParsedRuby } from "../../analyzers/ruby/prism.js";
import { fromShape, shapeOf, shapeParser } from "../../analyzers/capistrano/same-shape.js";
import { deployApp } from "./deploy-gen.js";

beforeAll(() => initPrism());

const SEED = Number(process.env.R2K_SHAPE_SEED ?? 20261206);

/** Where the two values first differ, or null: prototypes, own keys, values, and node flags. */
function diff(a: unknown, b: unknown, path = "root"): string | null {
  if (a === b) return null;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return `${path}: ${String(a)} vs ${String(b)}`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: class ${a.constructor?.name} vs ${(b as object).constructor?.name}`;
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  if (ka.join() !== kb.join()) return `${path}: keys ${ka} vs ${kb}`;
  const ja = (a as { toJSON?: () => { flags?: number } }).toJSON;
  if (typeof ja === "function" && "nodeID" in a) {
    const fa = ja.call(a).flags;
    const fb = (b as { toJSON: () => { flags?: number } }).toJSON().flags;
    if (fa !== fb) return `${path}: flags ${fa} vs ${fb}`;
  }
  for (const k of ka) {
    const d = diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

function nodesOf(root: unknown): { location: { startOffset: number; length: number } }[] {
  const out: { location: { startOffset: number; length: number } }[] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach(walk);
    if ("nodeID" in v) out.push(v as (typeof out)[number]);
    for (const x of Object.values(v)) walk(x);
  };
  walk(root);
  return out;
}

/** Where a ParsedRuby from the shape path differs from parseRuby's, or null. */
function parsedDiff(got: ParsedRuby, want: ParsedRuby): string | null {
  if (Object.keys(got).join() !== Object.keys(want).join()) return `ParsedRuby keys ${Object.keys(got)} vs ${Object.keys(want)}`;
  if (got.file !== want.file || got.text !== want.text) return "file or text";
  const d = diff(got.errors, want.errors, "errors") ?? diff(got.root, want.root);
  if (d) return d;
  const size = Buffer.byteLength(want.text);
  for (let o = 0; o <= size; o++) if (got.lineOf(o) !== want.lineOf(o)) return `lineOf(${o})`;
  const a = nodesOf(got.root);
  const b = nodesOf(want.root);
  for (let i = 0; i < b.length; i++) {
    if (got.textOf(a[i]) !== want.textOf(b[i])) return `textOf node ${i}`;
    if (got.sourceOf(a[i]).line !== want.sourceOf(b[i]).line) return `sourceOf node ${i}`;
  }
  return null;
}

// --- texts ---------------------------------------------------------------------------------------

const word = fc.constantFrom("app1", "web", "db", "release-4", "main", "x.example.com", "deploy", "a b", "10", "do", "end");
const q = (w: string) => JSON.stringify(w);
/** Statements where quotes appear in every role Ruby's lexer gives them. */
const statement = fc.oneof(
  fc.tuple(word, word).map(([h, u]) => `server ${q(h)}, user: ${q(u)}, roles: %w[web app db], primary: true`),
  fc.tuple(word, word).map(([k, v]) => `set :${k.replace(/\W/g, "_") || "k"}, ${q(v)}`),
  fc.tuple(word, word).map(([k, v]) => `set :x, '${k}' '${v}'`),
  fc.tuple(word, word).map(([k, v]) => `set :x, "${k}#{fetch(:a)}${v}"`),
  fc.tuple(word, word).map(([k, v]) => `set :x, "${k}" "#{"${v}"}"`),
  fc.tuple(word, word).map(([k, v]) => `# a comment with "${k}" and '${v}'`),
  fc.tuple(word, word).map(([k, v]) => `set :h, { "${k}": 1, ${q(v)} => 2, '${k}' => :"${v}" }`),
  fc.tuple(word, word).map(([k, v]) => `set :list, %w[${k.replace(/\s/g, "")} "${v.replace(/\s/g, "")}"]`),
  fc.tuple(word, word).map(([k, v]) => `set :c, ?" + ${q(k)} + ?' + '${v}'`),
  fc.tuple(word, word).map(([k, v]) => `set :r, /${k.replace(/\W/g, "")}"/ =~ "${v}"`),
  fc.tuple(word, word).map(([k, v]) => `set :s, \`echo "${k}"\` + %q(${v}) + %Q[${k}]`),
  fc.tuple(word, word).map(([k, v]) => `set :d, <<~EOS + "${k}"\n  text "${v}" here\n  EOS`),
  fc.tuple(word, word).map(([k, v]) => `role :app, ["${k}", '${v}'] if ENV["${k}"] == "${v}"`),
  fc.tuple(word, word).map(([k, v]) => `task :t do\n  on roles(:app) { execute "${k}", '${v}' }\nend`),
  fc.tuple(word, word).map(([k, v]) => `x = "${k}"; y = 'don''t' "${v}"`),
  fc.tuple(word, word).map(([k]) => `set :e, "${k}`), // unterminated: a syntax error
  fc.constantFrom("# frozen_string_literal: true", "# encoding: ascii-8bit", "# café: « »", "__END__\n\"data\" 'x'"),
);
const handWritten = fc.array(statement, { minLength: 1, maxLength: 8 }).map((l) => l.join("\n") + "\n");
const generated = deployApp.map((a) => Object.entries(a.files).filter(([p]) => p.endsWith(".rb") || p === "Capfile").map(([, t]) => t).join("\n"));
const text = fc.oneof(handWritten, generated);

/** Replacement contents: mostly safe, some that must fail the check (and so go to Prism). */
const content = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-zA-Z0-9 .:@\/%()[\]{}=+,-]{1,12}$/), weight: 12 },
  { arbitrary: fc.constantFrom("", "a\"b", "a'b", "a\\nb", "#{x}", "#@x", "a\nb", "é", "`x`", "do", "end", "((((", "\u0000"), weight: 2 },
);

/** `text` with each quoted content (as a rough scan finds them) replaced by the next of `subs`. */
function replaced(text: string, subs: string[]): string {
  let i = 0;
  return text.replace(/"([^"\\#\n]+)"|'([^'\\#\n]+)'/g, (m) => {
    const s = subs[i++ % subs.length];
    return m[0] + s + m[0];
  });
}

describe("same-shape parses", () => {
  it("a tree built from a file of the same shape is the tree Prism gives", () => {
    let built = 0;
    let shaped = 0;
    fc.assert(
      fc.property(text, fc.array(fc.array(content, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }), (a, variants) => {
        const shape = shapeOf(parseRuby("config/deploy/a.rb", a));
        for (const subs of variants) {
          const b = replaced(a, subs);
          const want = parseRuby("config/deploy/b.rb", b);
          if (shape) {
            shaped++;
            const got = fromShape(shape, "config/deploy/b.rb", b);
            if (got) {
              built++;
              const d = parsedDiff(got, want);
              if (d) throw new Error(`${d}\n--- shape file:\n${a}\n--- this file:\n${b}`);
            }
          }
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
    // The check is not simply refusing everything: many variants of a file with a shape are built
    // from it (the others changed a quote that is no literal's, or hold a content that must go to Prism).
    expect(shaped).toBeGreaterThan(300);
    expect(built).toBeGreaterThan(shaped / 5);
  });

  it("the parser of an analysis gives parseRuby's result for every file, in any order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), fc.array(content, { minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 12 }), fc.array(text, { minLength: 1, maxLength: 4 }), (picks, bases) => {
        const parse = shapeParser();
        for (const [i, subs] of picks) {
          const t = replaced(bases[i % bases.length], subs);
          const d = parsedDiff(parse("config/deploy/s.rb", t), parseRuby("config/deploy/s.rb", t));
          if (d) throw new Error(`${d}\n--- file:\n${t}`);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("a fleet's stage files are built from their shape, with their own hosts and lines", () => {
    const parse = shapeParser();
    const file = (n: number, host: string) => `server "${host}", user: "deploy", roles: %w[web app db], primary: true\nset :branch, "release-${n}"\nset :rails_env, "production"\n`;
    parse("config/deploy/a.rb", file(1, "app1.a.example.com"));
    const other = file(22, "app1.customer-b.example.com");
    const shape = shapeOf(parseRuby("config/deploy/a.rb", file(1, "app1.a.example.com")))!;
    const got = fromShape(shape, "config/deploy/b.rb", other)!;
    expect(got).not.toBeNull();
    expect(parsedDiff(got, parseRuby("config/deploy/b.rb", other))).toBeNull();
    const set = got.root.statements.body[1];
    expect(set.arguments_.arguments_[1].unescaped.value).toBe("release-22");
    expect(got.textOf(set)).toBe('set :branch, "release-22"');
    expect(got.sourceOf(set)).toEqual({ file: "config/deploy/b.rb", line: 2 });
    // Another shape (a second server line) is not built from this one.
    expect(fromShape(shape, "config/deploy/c.rb", other + 'server "app2"\n')).toBeNull();
  });

  it("every Prism node class takes its fields in the order it declares them", async () => {
    // same-shape.ts calls each constructor with a node's own fields in order: this is what makes
    // that the node Prism made (nodes.js is generated; a change of its template would show here).
    const nodes = await import("@ruby/prism");
    let classes = 0;
    for (const [name, C] of Object.entries(nodes)) {
      if (typeof C !== "function" || !/Node$/.test(name)) continue;
      const src = Function.prototype.toString.call(C);
      const params = /constructor\(([^)]*)\)/.exec(src)?.[1].split(",").map((s) => s.trim());
      if (!params) continue;
      classes++;
      const assigned = [...src.matchAll(/this\.#?(\w+) = (\w+);/g)].filter((m) => m[1] === m[2]).map((m) => m[1]);
      expect(assigned, name).toEqual(params);
      expect(params.slice(0, 3), name).toEqual(["nodeID", "location", "flags"]);
      // Own properties come in the order the fields are declared.
      const declared = [...src.matchAll(/^\s+(#?\w+);$/gm)].map((m) => m[1].replace("#", ""));
      expect(declared, name).toEqual(params);
    }
    expect(classes).toBeGreaterThan(100);
  });
});
