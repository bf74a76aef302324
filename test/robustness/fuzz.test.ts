// Property-based robustness: every analyzer, fed mutated, truncated and random versions of the
// fixtures' files, never throws and never hits an internal error; each problem names a file.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";

const ROOT = join(import.meta.dirname, "../..");
const APPS = join(ROOT, "fixtures/apps");

function loadApp(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(dir, p).split("\\").join("/")] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return files;
}

const apps = readdirSync(APPS).sort().map((name) => ({ name, files: loadApp(join(APPS, name)) }));
/** The files analyzers read: Ruby, YAML, ERB, nginx. */
const interesting = (p: string) => /\.(rb|ya?ml|erb|conf|rake)$|(^|\/)(Capfile|Gemfile|Gemfile\.lock|Procfile)$/.test(p);

type Mutation = { kind: "truncate" | "delete" | "insert" | "duplicate" | "replace"; at: number; len: number; text: string };

function mutate(text: string, m: Mutation): string {
  const at = text.length ? m.at % (text.length + 1) : 0;
  switch (m.kind) {
    case "truncate":
      return text.slice(0, at);
    case "delete":
      return text.slice(0, at) + text.slice(at + m.len);
    case "insert":
      return text.slice(0, at) + m.text + text.slice(at);
    case "duplicate":
      return text.slice(0, at) + text.slice(at, at + m.len) + text.slice(at);
    case "replace":
      return m.text;
  }
}

const noise = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("{", "}", "<%", "%>", "<%= fetch(:x) %>", "end", "do", "\"", "'", "#{", ":", "- ", "&a", "*a", "<<: *a", ";", "\n", "\t", "\u0000", "%w[", "->{", "if (", "ENV[", "\\"),
  fc.array(fc.constantFrom("[", "{", "(", "- ", "  "), { minLength: 50, maxLength: 400 }).map((a) => a.join("")),
);
const mutation = fc.record({
  kind: fc.constantFrom("truncate", "delete", "insert", "duplicate", "replace") as fc.Arbitrary<Mutation["kind"]>,
  at: fc.nat(),
  len: fc.nat({ max: 200 }),
  text: noise,
});

function internalErrors(problems: { message: string }[]) {
  return problems.filter((p) => /internal error/.test(p.message));
}

describe("analyzers survive mutated input", () => {
  beforeAll(initPrism);

  for (const app of apps) {
    const targets = Object.keys(app.files).filter(interesting).sort();
    it(`${app.name}: one mutated file at a time`, async () => {
      expect(targets.length).toBeGreaterThan(3);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...targets), mutation, async (path, m) => {
          const files = { ...app.files, [path]: mutate(app.files[path], m) };
          const model = await analyzeFiles(memoryRepo(files), app.name);
          expect(internalErrors(model.problems)).toEqual([]);
          for (const p of model.problems) expect(typeof p.file).toBe("string");
          JSON.stringify(model); // serialisable: no cycles, no BigInt
        }),
        { numRuns: 60, seed: 20261123 },
      );
    });
  }

  it("deep nesting in every language is refused with a message, not a stack overflow", async () => {
    const depth = 5000;
    const files = {
      ...apps[0].files,
      "config/deploy/deep.rb": `set :x, ${"[".repeat(depth)}${"]".repeat(depth)}\n`,
      "config/global/deep.yml": `default: ${"[".repeat(depth)}${"]".repeat(depth)}\n`,
      "config/nginx/deep.conf": `${"http { ".repeat(depth)}${"} ".repeat(depth)}\n`,
    };
    const model = await analyzeFiles(memoryRepo(files), "deep");
    expect(internalErrors(model.problems)).toEqual([]);
  });

  it("deep nesting in each Ruby file (brackets, blocks, ERB tags): that file is refused, the others are read", async () => {
    const depth = 3000;
    const brackets = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const blocks = `${"begin\n".repeat(depth)}${"end\n".repeat(depth)}`;
    const cases: Record<string, string> = {
      "config/unicorn/production.rb": `worker_processes ${brackets}\n`,
      "config/schedule.rb": `${"every 1.day do\n".repeat(depth)}${"end\n".repeat(depth)}`,
      "config/deploy/production.rb": blocks,
      "config/global/mailer.yml": `default:\n  host: <%= ${brackets} %>\n`,
    };
    const shop = apps.find((a) => a.name === "shop")!;
    const clean = await analyzeFiles(memoryRepo(shop.files), "shop");
    for (const [path, text] of Object.entries(cases)) {
      expect(shop.files[path], path).toBeDefined();
      const model = await analyzeFiles(memoryRepo({ ...shop.files, [path]: text }), "shop");
      expect(internalErrors(model.problems), path).toEqual([]);
      expect(model.problems.some((p) => p.file === path && /nested deeper/.test(p.message)), path).toBe(true);
      // Prism is still usable afterwards: the rest reads as before.
      expect(model.stages.find((s) => s.name === "staging")?.servers, path).toEqual(clean.stages.find((s) => s.name === "staging")?.servers);
      expect(model.nginx.files.length, path).toBe(clean.nginx.files.length);
    }
  });

  it("random bytes in place of every file", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 300 }), async (junk) => {
        const files = Object.fromEntries(Object.keys(apps[0].files).map((p) => [p, interesting(p) ? junk : apps[0].files[p]]));
        const model = await analyzeFiles(memoryRepo(files), "junk");
        expect(internalErrors(model.problems)).toEqual([]);
      }),
      { numRuns: 25, seed: 7 },
    );
  });
});
