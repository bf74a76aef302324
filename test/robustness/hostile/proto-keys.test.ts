// Keys named like the properties every JavaScript object has (`__proto__`, `constructor`,
// `toString`...) are plain Hash keys to Ruby. A Global file holding them must come out of the
// config migration with the same values: real Rails' config_for on the emitted config/custom file
// gives, per environment, what the global gem's rules give from config/global (the reference reader
// test/global/reference_global.rb). Assigned as `o[k] = v`, `__proto__` set the prototype instead
// and the key silently vanished.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import fc from "fast-check";
import { analyzeDir } from "../../../src/analyze.js";
import { emitRailsConfig } from "../../../emitters/rails-config/index.js";
import { analyze } from "../../capistrano/analyze.js";
import type { RValue } from "../../../src/model.js";

const ORACLE = join(import.meta.dirname, "proto_keys.rb");
const NS = "conf";
const ENVS = ["production", "staging"];

/** A small Rails repo deployed to production and staging, with one Global file. */
function repo(global: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-proto-")), "app");
  const files: Record<string, string> = {
    Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "global"\n',
    "config/application.rb": 'require_relative "boot"\n',
    "config/deploy.rb": 'set :application, "proto"\n',
    "config/deploy/production.rb": 'server "web1.example.com", roles: %w[web app]\nset :rails_env, "production"\n',
    "config/deploy/staging.rb": 'server "web2.example.com", roles: %w[web app]\nset :rails_env, "staging"\n',
    [`config/global/${NS}.yml`]: global,
  };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** Analyzes and emits, writing the config_for files into the repo as `migrate` would. */
async function migrateConfig(dir: string): Promise<{ text: string; values: Record<string, RValue> }> {
  const model = await analyzeDir(dir);
  const files = emitRailsConfig(model, {}).files;
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  const ns = model.global!.namespaces.find((n) => n.name === NS)!;
  return { text: files.find((f) => f.path === `config/custom/${NS}.yml`)!.content, values: ns.values };
}

interface Verdict {
  differ: { root: string; env: string; global: string; config_for: string }[];
  loaded: Record<string, unknown>;
}

function oracle(roots: string[]): Verdict {
  const input = roots.map((root) => ({ root, ns: NS, envs: ENVS }));
  const r = spawnSync("ruby", [ORACLE], { input: JSON.stringify(input), encoding: "utf8", env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8" } });
  if (r.status !== 0) throw new Error(`ruby failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const REPRO = [
  "default:",
  "  __proto__:",
  "    polluted: yes",
  "  constructor:",
  "    prototype:",
  "      p2: yes",
  "  toString: x",
  "  list:",
  "    __proto__:",
  "      a: 1",
  "    b: 2",
  "  arr:",
  "    - __proto__: 3",
  "production:",
  "  __proto__:",
  "    isAdmin: true",
  "",
].join("\n");

describe("Global keys named like Object.prototype's properties", () => {
  let dir: string;
  let out: { text: string; values: Record<string, RValue> };
  let verdict: Verdict;
  beforeAll(async () => {
    dir = repo(REPRO);
    out = await migrateConfig(dir);
    verdict = oracle([dir]);
  });

  it("Ruby's YAML keeps them, and so does the analysis (own keys, no prototype changed)", () => {
    expect(JSON.stringify(verdict.loaded[dir])).toContain('"__proto__":{"isAdmin":true}');
    const prod = out.values["production"] as Record<string, RValue>;
    expect(Object.hasOwn(prod, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(prod)).toBe(Object.prototype);
    expect(JSON.stringify(prod)).toBe('{"__proto__":{"polluted":true,"isAdmin":true},"constructor":{"prototype":{"p2":true}},"toString":"x","list":{"__proto__":{"a":1},"b":2},"arr":[{"__proto__":3}]}');
  });

  it("the config_for file writes every one of them", () => {
    expect(out.text).toMatch(/^ {2}__proto__:\n {4}polluted: true$/m);
    expect(out.text).toMatch(/^ {2}list:\n {4}__proto__:\n {6}a: 1$/m);
    expect(out.text).toMatch(/^ {4}- __proto__: 3$/m);
    expect(out.text).toMatch(/^production:\n {2}__proto__:\n {4}polluted: true\n {4}isAdmin: true$/m);
  });

  it("real Rails' config_for gives what Global gave, in every environment", () => {
    expect(verdict.differ).toEqual([]);
  });
});

// --- property: any tree of such keys round-trips -------------------------------------------------

type Tree = { map: [string, Tree][] } | { list: Tree[] } | number | boolean | string | null;
const KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "a", "b"];

const tree: fc.Arbitrary<Tree> = fc.letrec<{ t: Tree }>((tie) => ({
  t: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(fc.integer({ min: -99, max: 99 }), fc.boolean(), fc.constantFrom("x", "hello world", "__proto__"), fc.constant(null)),
    fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie("t")), { selector: (e) => e[0], maxLength: 4 }).map((map) => ({ map })),
    fc.array(tie("t"), { maxLength: 3 }).map((list) => ({ list })),
  ),
})).t;

const isMap = (t: Tree): t is { map: [string, Tree][] } => typeof t === "object" && t !== null && "map" in t;
const isList = (t: Tree): t is { list: Tree[] } => typeof t === "object" && t !== null && "list" in t;
const scalar = (t: Tree): string | null =>
  isMap(t) ? (t.map.length ? null : "{}") : isList(t) ? (t.list.length ? null : "[]") : typeof t === "string" ? JSON.stringify(t) : String(t);

/** Block YAML, the way a Global file is written (plain keys: each of KEYS is plain-safe). */
function block(t: Tree, pad: string): string {
  if (isMap(t)) return t.map.map(([k, v]) => `${pad}${k}:${scalar(v) !== null ? ` ${scalar(v)}\n` : `\n${block(v, pad + "  ")}`}`).join("");
  if (isList(t)) return t.list.map((v) => `${pad}-${scalar(v) !== null ? ` ${scalar(v)}\n` : `\n${block(v, pad + "  ")}`}`).join("");
  return `${pad}${scalar(t)}\n`;
}

const section = fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tree), { selector: (e) => e[0], minLength: 1, maxLength: 4 });

describe("property: Global → config_for → real Rails round-trips keys named like JS object properties", () => {
  it("holds for random trees (one Ruby process judges every sample)", async () => {
    const samples = fc.sample(fc.record({ default: section, production: section, staging: section }), { numRuns: 24, seed: 11 });
    const roots: string[] = [];
    for (const s of samples) {
      const text = Object.entries(s)
        .map(([env, entries]) => `${env}:\n${block({ map: entries }, "  ")}`)
        .join("");
      const dir = repo(text);
      await migrateConfig(dir);
      roots.push(dir);
    }
    expect(oracle(roots).differ).toEqual([]);
  }, 240_000);
});

describe("Ruby hash literals (Prism) keep such keys as own keys", () => {
  it("`{ \"__proto__\" => ..., **other }` in a deploy config", async () => {
    const r = await analyze({
      "config/deploy.rb": 'set :application, "proto"\n',
      "config/deploy/production.rb": 'server "web1.example.com", roles: %w[web]\nset :h, { "__proto__" => { "a" => 1 }, **{ "constructor" => 2, "__proto__" => { "b" => 3 } } }\nset :g, { **{ "__proto__" => 4 } }\n',
    });
    const h = r.v("production", "h") as Record<string, RValue>;
    expect(Object.hasOwn(h, "__proto__")).toBe(true);
    // Ruby: a later key wins, at the first key's position.
    expect(JSON.stringify(h)).toBe('{"__proto__":{"b":3},"constructor":2}');
    expect(JSON.stringify(r.v("production", "g"))).toBe('{"__proto__":4}');
  });
});
