// Scale: the stage-file limit (exit 2, named, nothing written), and the linear rewrites of
// searches that grew with the square of the input, held to what the old searches answered.
import { describe, it, expect, beforeAll, afterEach } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import fc from "fast-check";
import { main } from "../../src/cli.js";
import { LIMITS } from "../../src/model/limits.js";
import { memoryRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { parseGlobalText } from "../../analyzers/global/read-file.js";
import { isEnvRef } from "../../analyzers/ruby/evaluate.js";
import { isRubyHash, loadRubyYaml, YAML_LIMITS, type RubyHash } from "../../analyzers/ruby/yaml.js";
import { productionStage } from "../../emitters/kustomize/rules/stage.js";
import type { Problem, Stage } from "../../src/model.js";

function app(stages: number): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-scale-"));
  const w = (p: string, text: string) => {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  };
  w("Gemfile", 'source "https://rubygems.org"\ngem "rails"\n');
  w("Capfile", 'require "capistrano/setup"\nrequire "capistrano/deploy"\n');
  w("config/deploy.rb", 'set :application, "fleet"\n');
  for (let i = 0; i < stages; i++) w(`config/deploy/s${i}.rb`, `server "s${i}.example.com", roles: %w[web app]\nset :rails_env, "production"\n`);
  return dir;
}

const run = async (argv: string[]) => {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), color: false });
  return { code, out, err };
};

describe("the stage-file limit", () => {
  const limit = LIMITS.stages;
  afterEach(() => {
    LIMITS.stages = limit;
  });

  it("is 10,000 stage files", () => {
    expect(limit).toBe(10_000);
  });

  it("refuses more stage files than the limit with exit 2, naming config/deploy/ and the limit; migrate writes nothing", async () => {
    LIMITS.stages = 3;
    const dir = app(4);
    const before = readdirSync(dir).sort();
    const a = await run(["analyze", dir]);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/config\/deploy\/: 4 stage files \(config\/deploy\/<stage>\.rb\), more than the 3 rails2k8s reads/);
    expect(a.out).toBe("");
    const m = await run(["migrate", dir, "--yes"]);
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/more than the 3 rails2k8s reads/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it("counts nested config/deploy/**/*.rb only when the Capfile requires capistrano/multiconfig", async () => {
    LIMITS.stages = 3;
    const dir = app(3);
    mkdirSync(join(dir, "config/deploy/templates"), { recursive: true });
    for (const t of ["a", "b"]) writeFileSync(join(dir, `config/deploy/templates/${t}.rb`), "# a recipe, not a stage\n");
    const a = await run(["analyze", dir, "--json"]);
    expect(a.err).not.toMatch(/more than the 3/);
    expect(a.code).toBe(0);
    writeFileSync(join(dir, "Capfile"), 'require "capistrano/setup"\nrequire "capistrano/multiconfig"\nrequire "capistrano/deploy"\n');
    const m = await run(["analyze", dir]);
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/config\/deploy\/: 5 stage files/);
  });

  it("reads as many stage files as the limit", async () => {
    LIMITS.stages = 3;
    const a = await run(["analyze", app(3), "--json"]);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out).stages.map((s: Stage) => s.name)).toEqual(["s0", "s1", "s2"]);
  });
});

describe("productionStage, remembered per stage list", () => {
  const st = (name: string, env: string): Stage => ({ name, source: { file: `config/deploy/${name}.rb`, line: 1 }, servers: [], variables: { rails_env: { value: env, source: { file: "x", line: 1 } } } });

  it("answers again for a list that grew since it was asked", () => {
    const stages = [st("a", "production"), st("b", "staging")];
    expect(productionStage(stages)?.name).toBe("a");
    stages.push(st("c", "production"));
    expect(productionStage(stages)).toBeNull();
    stages.push(st("production", "production"));
    expect(productionStage(stages)?.name).toBe("production");
  });
});

// The searches as they were (a scan of every line for every token or name), as the oracle.
function oldEnvLines(text: string, names: string[]): number[] {
  const lines = text.split("\n");
  return names.map((name) => lines.findIndex((l) => l.includes("ENV") && l.includes(name)) + 1 || 1);
}

describe("Global file reading, linear", () => {
  beforeAll(async () => {
    await initPrism();
  });

  const read = (text: string) => {
    const problems: Problem[] = [];
    const r = parseGlobalText({ repo: memoryRepo({}), problem: (p) => problems.push(p) }, "config/global/x.yml", text, { scope: {}, trims: false });
    return { ...r, problems };
  };

  it("finds each ENV name's line as the line-by-line scan did, names inside other names included", () => {
    const name = fc.constantFrom("A", "AB", "B", "A_1", "A_10", "ENV_X", "X");
    const line = fc.oneof(
      fc.tuple(fc.constantFrom("k", "kk", "A", "AB"), name, fc.boolean()).map(([k, n, fetch]) => (fetch ? `${k}: <%= ENV.fetch("${n}", "d") %>` : `${k}: <%= ENV["${n}"] %>`)),
      fc.tuple(fc.constantFrom("note", "ENV", "a"), name).map(([k, n]) => `# ${k} ${n}`),
      fc.constantFrom("plain: 1", "ENV_LIKE: x", "other: AB"),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        // Unique keys, so the YAML loads; the values (and the ENV reads) are what varies.
        const text = "default:\n" + lines.map((l, i) => (l.startsWith("#") ? `  ${l}` : `  k${i}_${l}`)).join("\n") + "\n";
        const r = read(text);
        expect(r.raises).toBeNull();
        const names = r.envReads.map((e) => e.name);
        expect(r.envReads.map((e) => e.line)).toEqual(oldEnvLines(text, names));
      }),
      { numRuns: 300 },
    );
  });

  it("types a tag inside quotes as a String and a bare one by YAML's rules, several tags on a line too", () => {
    const text = [
      "default:",
      '  q: "<%= ENV["A"] %>"',
      "  b: <%= ENV['B'] %>",
      "  s: 'x <%= ENV[\"C\"] %>'",
      '  two: "<%= ENV["D"] %>-<%= ENV["E"] %>"',
      '  esc: "a\\" <%= ENV["F"] %>"',
      "  list: [<%= ENV['G'] %>, \"<%= ENV['H'] %>\"]",
      "",
    ].join("\n");
    const r = read(text);
    expect(r.raises).toBeNull();
    const d = (r.ruby as RubyHash).get("default");
    if (!isRubyHash(d)) throw new Error("default is not a Hash");
    const v = (k: string): any => d.get(k);
    expect(v("q")).toEqual({ interp: [{ env: "A", default: null }] });
    expect(isEnvRef(v("b"))).toBe(true);
    expect(v("s")).toEqual({ interp: ["x ", { env: "C", default: null }] });
    expect(v("two")).toEqual({ interp: [{ env: "D", default: null }, "-", { env: "E", default: null }] });
    expect(v("esc")).toEqual({ interp: ['a" ', { env: "F", default: null }] });
    expect(isEnvRef(v("list")[0])).toBe(true);
    expect(v("list")[1]).toEqual({ interp: [{ env: "H", default: null }] });
  });
});

describe("the alias limit counts what aliases add, not the document's own nodes", () => {
  it("loads a large document that reuses one anchor", () => {
    const lines = ["base: &b", "  x: 1", "items:"];
    for (let i = 0; i < 120_000; i++) lines.push(`  k${i}: v`);
    lines.push("ref: *b");
    const r = loadRubyYaml(lines.join("\n") + "\n");
    expect(r.errors).toEqual([]);
    expect((r.value as any).ref).toEqual({ x: 1 });
    expect(Object.keys((r.value as any).items)).toHaveLength(120_000);
  });

  it("refuses aliases that add more than the limit, and accepts them just under it", () => {
    const doc = (refs: number) => `list: &l [${Array(999).fill("1").join(", ")}]\nrefs: [${Array(refs).fill("*l").join(", ")}]\n`;
    // Each alias adds the list again: 1 node for the list, 999 for its items.
    expect(YAML_LIMITS.maxExpandedNodes).toBe(200_000);
    expect(loadRubyYaml(doc(199)).errors).toEqual([]);
    const over = loadRubyYaml(doc(201));
    expect(over.value).toBeNull();
    expect(over.errors[0]!.message).toMatch(/alias bomb/);
  });
});
