// The Capistrano analyzer held to Capistrano itself on generated configs: each program from
// deploy-gen.ts runs through real `cap` (Debian's 3.17, with the oracle tests' dump task) and through
// the analyzer; stages, servers (host, user, port, roles, primary, properties) and every variable
// must be the same. A difference fails with the program fast-check shrank it to.
// Seeded, so a failure reproduces: R2K_DIFF_SEED=<n> picks another seed, R2K_DIFF_RUNS=<n> runs more.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import fc from "fast-check";
import { rmSync } from "node:fs";
import { memoryRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCapistranoWith } from "../../analyzers/capistrano/index.js";
import type { RValue } from "../../src/model.js";
import type { CapView } from "./cap.js";
import { batchRoot, runCapBatch, writeApp } from "./cap-batch.js";
import { deployApp, showApp, type DeployApp } from "./deploy-gen.js";
import { withEnvUnset } from "./normalise.js";

const RUNS = Number(process.env.R2K_DIFF_RUNS ?? 200);
const SEED = Number(process.env.R2K_DIFF_SEED ?? 20261206);
/** Named with SecureRandom.hex by the git plugin: different at every run of Capistrano itself. */
const RANDOM = new Set(["git_wrapper_path", "git_environmental_variables"]);

const root = batchRoot();
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cache = new Map<string, (CapView | { error: string })[]>();
const key = (a: DeployApp) => JSON.stringify(a);
let seq = 0;
let misses = 0;
let analyzeMs = 0;

/** Capistrano's view of every stage of each app, in one Ruby process. */
async function capViews(apps: DeployApp[]): Promise<void> {
  const todo = apps.filter((a) => !cache.has(key(a)));
  const jobs: { dir: string; stage: string }[] = [];
  const owners: DeployApp[] = [];
  for (const a of todo) {
    const dir = writeApp(root, `app${seq++}`, a.files);
    for (const stage of a.stages) jobs.push({ dir, stage }), owners.push(a);
  }
  if (!jobs.length) return;
  const views = await runCapBatch(root, jobs, `b${seq}`);
  views.forEach((v, i) => {
    const k = key(owners[i]);
    cache.set(k, [...(cache.get(k) ?? []), v]);
  });
}

/** The first difference between the analyzer and Capistrano, or null. */
function difference(a: DeployApp, views: (CapView | { error: string })[]): string | null {
  const r = analyzeCapistranoWith({ repo: memoryRepo(a.files), problem: () => {} }, {});
  const names = r.stages.map((s) => s.name).sort();
  if (JSON.stringify(names) !== JSON.stringify([...a.stages].sort())) return `stages: analyzer ${names.join(",")}, Capistrano ${[...a.stages].sort().join(",")}`;
  for (const [i, stage] of a.stages.entries()) {
    const real = views[i];
    if ("error" in real) return `stage ${stage}: Capistrano failed (the generator wrote a program cap refuses):\n${real.error.slice(0, 1500)}`;
    const mine = r.stages.find((s) => s.name === stage)!;
    const ours = Object.keys(mine.variables).sort();
    const theirs = Object.keys(real.variables).sort();
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) return `stage ${stage}: variables differ: analyzer has [${ours.filter((k) => !theirs.includes(k))}] more, [${theirs.filter((k) => !ours.includes(k))}] fewer`;
    for (const name of theirs) {
      if (RANDOM.has(name)) continue;
      const got = withEnvUnset(mine.variables[name].value);
      if (JSON.stringify(got) !== JSON.stringify(real.variables[name])) return `stage ${stage}: :${name} is ${JSON.stringify(got)} in the analyzer, ${JSON.stringify(real.variables[name])} in Capistrano`;
    }
    const servers = mine.servers.map((s) => ({ host: s.host, user: s.user, port: s.port, roles: s.roles, primary: s.primary, properties: withEnvUnset(s.properties as RValue) }));
    if (JSON.stringify(servers) !== JSON.stringify(real.servers)) return `stage ${stage}: servers differ\n  analyzer:   ${JSON.stringify(servers)}\n  Capistrano: ${JSON.stringify(real.servers)}`;
  }
  return null;
}

describe("Capistrano analyzer = real cap 3.17 on generated configs", () => {
  beforeAll(async () => {
    await initPrism();
    // The exact programs fc.assert will try first (same seed, same generator): run through cap in one batch.
    const programs: DeployApp[] = [];
    fc.assert(
      fc.property(deployApp, (a) => void programs.push(a) ?? true),
      { seed: SEED, numRuns: RUNS },
    );
    await capViews(programs);
  }, 1_800_000);

  it(`${RUNS} programs (seed ${SEED}): same stages, servers, roles, primary and variables`, async () => {
    await fc.assert(
      fc.asyncProperty(deployApp, async (a) => {
        // Shrinking tries programs not run yet: each goes to cap on its own.
        if (!cache.has(key(a))) misses++, await capViews([a]);
        const t0 = Date.now();
        const diff = difference(a, cache.get(key(a))!);
        analyzeMs += Date.now() - t0;
        if (diff) throw new Error(`${diff}\n--- program ---\n${showApp(a)}`);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: false },
    );
    console.log(`R2K-DIFF misses=${misses} analyzeMs=${analyzeMs} cached=${cache.size}`);
  }, 900_000);

  it.runIf(RUNS >= 100)("the generator's programs exercise every idiom it knows", () => {
    // A generator that stopped producing an idiom would let the harness pass without checking it.
    const text = [...cache.keys()].join("\n");
    for (const idiom of ["(1..", "...", ".times", ".upto(", "each_with_index", "with_index(1)", ".product(", ".zip(", "format(", "% ", ".rjust(", ".ljust(", ".gsub(", ".sub(", "upcase", "case fetch(:stage)", "ENV.fetch(", "fetch(:r2k_never_block) {", "->(", "merge(", "YAML.load_file", "JSON.parse(File.read", ".ruby-version", "hosts <<", "map(&:upcase)", "role :web, hosts"])
      expect(text, idiom).toContain(idiom.replace(/"/g, '\\"'));
  });
});
