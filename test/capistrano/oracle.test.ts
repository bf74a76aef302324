// The Capistrano analyzer against real Capistrano: for every Capistrano 3 fixture app and every
// stage, each variable Capistrano computes (with the plugins not installed here stubbed) must equal
// ours, and the servers must be the same, in the same order, with the same roles and properties.
// Our side is analyzed with the same plugins "stubbed" (core defaults only), and compared with
// every ENV variable unset, as the oracle runs.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { join } from "node:path";
import { readRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCapistranoWith } from "../../analyzers/capistrano/index.js";
import type { RValue, Stage } from "../../src/model.js";
import { prepareCopy, runCap, type CapView } from "./cap.js";
import { withEnvUnset, UNKNOWN } from "./normalise.js";

const APPS: Record<string, string[]> = {
  shop: ["production", "staging"],
  ledger: ["demo", "production", "staging"],
  atlas: ["alpha", "beta"],
};

/** Variables that are genuinely not static, per app (every stage), with why. */
const EXPECTED_UNKNOWN: Record<string, Record<string, string>> = {
  "*": {
    git_wrapper_path: "the git plugin names its wrapper with SecureRandom.hex",
    git_environmental_variables: "holds git_wrapper_path (SecureRandom)",
  },
  atlas: {
    branch: "`ask` default computed by backticks (git rev-parse on the deploying machine)",
    built_at: "backticks (`date`) on the deploying machine",
  },
};

const root = join(import.meta.dirname, "../../fixtures/apps");
const oracle = new Map<string, CapView>();
const ours = new Map<string, Stage>();
const copies: string[] = [];
afterAll(() => copies.forEach((c) => rmSync(dirname(c), { recursive: true, force: true })));

beforeAll(async () => {
  await initPrism();
  const jobs: Promise<void>[] = [];
  for (const [app, stages] of Object.entries(APPS)) {
    const copy = prepareCopy(join(root, app));
    copies.push(copy);
    for (const st of stages) jobs.push(runCap(copy, st).then((v) => void oracle.set(`${app}/${st}`, v)));
  }
  await Promise.all(jobs);
  for (const app of Object.keys(APPS)) {
    // The same plugins stubbed on our side as in the oracle run (those not installed here).
    const stubbed = [...new Set(APPS[app].flatMap((st) => oracle.get(`${app}/${st}`)!.stubbed))];
    const { repo } = readRepo(join(root, app));
    const r = analyzeCapistranoWith({ repo, problem: () => {} }, { stubbed });
    for (const s of r.stages) ours.set(`${app}/${s.name}`, s);
  }
});

describe("Capistrano 3 analyzer = real cap 3.17", () => {
  for (const [app, stages] of Object.entries(APPS)) {
    for (const st of stages) {
      const key = `${app}/${st}`;
      it(`${key}: same variables`, () => {
        const real = oracle.get(key)!;
        const mine = ours.get(key)!;
        expect(mine, `stage ${key} found by the analyzer`).toBeDefined();
        const expectedUnknown = { ...EXPECTED_UNKNOWN["*"], ...(EXPECTED_UNKNOWN[app] ?? {}) };
        // The same set of variables (none missing, none invented).
        expect(Object.keys(mine.variables).sort()).toEqual(Object.keys(real.variables).sort());
        for (const [name, value] of Object.entries(real.variables)) {
          const got = withEnvUnset(mine.variables[name].value);
          if (name in expectedUnknown) {
            expect(JSON.stringify(got), `${key} :${name} should be Unknown (${expectedUnknown[name]})`).toContain(UNKNOWN);
            expect(matchesKnownParts(got, value), `${key} :${name} known parts`).toBe(true);
          } else {
            expect(got, `${key} :${name}`).toEqual(value);
          }
        }
      });
      it(`${key}: same servers and roles`, () => {
        const real = oracle.get(key)!;
        const mine = ours.get(key)!;
        const norm = mine.servers.map((s) => ({ host: s.host, user: s.user, port: s.port, roles: s.roles, primary: s.primary, properties: withEnvUnset(s.properties as RValue) }));
        expect(norm).toEqual(real.servers);
        expect(real.servers.length).toBeGreaterThan(0);
      });
    }
  }

  it("stubs only plugins that are not installed here", () => {
    const stubbed = new Set([...oracle.values()].flatMap((v) => v.stubbed));
    expect(stubbed.has("capistrano/setup")).toBe(false);
    expect(stubbed.has("capistrano/scm/git")).toBe(false);
    expect(stubbed.has("whenever/capistrano")).toBe(false); // Debian's ruby-whenever: its defaults are compared
    expect(stubbed.has("capistrano/rails/migrations")).toBe(true);
  });
});

/** A value with Unknown leaves matches the oracle everywhere else. */
function matchesKnownParts(ours: unknown, real: unknown): boolean {
  if (ours === UNKNOWN) return true;
  if (Array.isArray(ours)) return Array.isArray(real) && ours.length === real.length && ours.every((x, i) => matchesKnownParts(x, real[i]));
  if (ours && typeof ours === "object") {
    if (!real || typeof real !== "object") return false;
    const keys = Object.keys(ours);
    return keys.length === Object.keys(real).length && keys.every((k) => matchesKnownParts((ours as any)[k], (real as any)[k]));
  }
  return ours === real;
}
