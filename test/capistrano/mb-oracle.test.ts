// capistrano-mb's defaults as the Capistrano analyzer reads them, against real `cap` 3.17. The gem
// is not installed here, so the oracle loads a stand-in `capistrano/mb` made of the very defaults we
// transcribed (MB_DEFAULTS, in load:defaults as the gem has them): what is judged is the evaluation
// of the repo's use of them — `fetch(:mb_recipes) << "sidekiq"`, `.delete(...)`, per-stage
// `set :mb_*`, the lazy deploy_to and rails_env — not the transcription (checked by hand against
// the gem's 0.35.0 lib/capistrano/tasks/defaults.rake). With R2K_MB_LIB set to the lib/ of the real
// gem (0.35.0, e.g. `git archive v0.35.0 lib` of mattbrictson/capistrano-mb), the oracle loads the gem
// itself and every variable we transcribed must equal the gem's (the gem sets more: those are left out).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { readRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCapistranoWith } from "../../analyzers/capistrano/index.js";
import { MB_DEFAULTS } from "../../analyzers/capistrano/defaults.js";
import type { Problem, Stage } from "../../src/model.js";
import { prepareCopy, runCap, type CapView } from "./cap.js";
import { withEnvUnset } from "./normalise.js";

const APP = join(import.meta.dirname, "../../fixtures/apps/kiln");
const STAGES = ["production", "staging"];
const REAL_GEM = process.env.R2K_MB_LIB || null;
const oracle = new Map<string, CapView>();
const ours = new Map<string, Stage>();
const cleanup: string[] = [];
afterAll(() => cleanup.forEach((c) => rmSync(c, { recursive: true, force: true })));

beforeAll(async () => {
  await initPrism();
  let lib = REAL_GEM ?? "";
  if (!REAL_GEM) {
    lib = mkdtempSync(join(tmpdir(), "r2k-mb-lib-"));
    cleanup.push(lib);
    mkdirSync(join(lib, "capistrano"));
    writeFileSync(join(lib, "capistrano", "mb.rb"), `namespace :load do\n  task :defaults do\n${MB_DEFAULTS}\n  end\nend\n`);
  }
  const copy = prepareCopy(APP);
  cleanup.push(dirname(copy));
  for (const st of STAGES) oracle.set(st, await runCap(copy, st, lib));
  const stubbed = [...new Set(STAGES.flatMap((st) => oracle.get(st)!.stubbed))];
  const { repo } = readRepo(APP);
  for (const s of analyzeCapistranoWith({ repo, problem: () => {} }, { stubbed }).stages) ours.set(s.name, s);
});

describe("capistrano-mb's defaults and the repo's use of them = real cap 3.17", () => {
  for (const st of STAGES) {
    it(`${st}: same variables`, () => {
      const real = oracle.get(st)!;
      const mine = ours.get(st)!;
      expect(real.stubbed).not.toContain("capistrano/mb");
      if (REAL_GEM) for (const name of Object.keys(mine.variables)) expect(Object.keys(real.variables), `${st} :${name} is the gem's`).toContain(name);
      else expect(Object.keys(mine.variables).sort()).toEqual(Object.keys(real.variables).sort());
      for (const [name, value] of Object.entries(real.variables)) {
        if (REAL_GEM && !(name in mine.variables)) continue; // set by the gem, not transcribed (apt, postgresql, ssl...)
        if (/^git_(wrapper_path|environmental_variables)$/.test(name)) continue; // SecureRandom
        expect(withEnvUnset(mine.variables[name]!.value), `${st} :${name}`).toEqual(value);
      }
    });
  }

  it("reads the stage's own mb_* values, and labels the gem's defaults as its defaults", () => {
    const prod = ours.get("production")!.variables;
    const staging = ours.get("staging")!.variables;
    expect(oracle.get("production")!.variables["mb_recipes"]).toContain("sidekiq");
    expect(oracle.get("production")!.variables["mb_recipes"]).not.toContain("postgresql");
    expect(prod["mb_unicorn_workers"]!.value).toBe(6);
    expect(prod["mb_unicorn_workers"]!.defaultOf).toBeUndefined();
    expect(staging["mb_unicorn_workers"]!.value).toBe(2);
    expect(staging["mb_unicorn_workers"]!.defaultOf).toBe("capistrano-mb");
    expect(staging["mb_sidekiq_concurrency"]!.value).toBe(2);
    expect(prod["deploy_to"]!.value).toBe("/home/deployer/apps/kiln");
    expect(prod["deploy_to"]!.defaultOf).toBe("capistrano-mb");
    expect(prod["migration_role"]!.value).toEqual({ sym: "app" });
  });

  it("without capistrano-mb in Gemfile.lock, its defaults are not read and a named warning says so", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-mb-unlocked-"));
    cleanup.push(dir);
    cpSync(APP, dir, { recursive: true });
    unlinkSync(join(dir, "Gemfile.lock"));
    const problems: Problem[] = [];
    const { repo } = readRepo(dir);
    const r = analyzeCapistranoWith({ repo, problem: (p) => problems.push(p) }, {});
    const prod = r.stages.find((s) => s.name === "production")!;
    expect(prod.variables["mb_unicorn_workers"]!.value).toBe(6);
    expect(prod.variables["mb_recipes"]).toBeUndefined();
    expect(prod.variables["deploy_to"]!.value).toBe("/var/www/kiln");
    expect(problems.map((p) => p.message).join("\n")).toMatch(/capfile\.mb-not-locked/);
  });
});

// With the real gem: its `template` helper prefers the repo's copy under the folder mbOverride names
// (lib/capistrano/mb/dsl.rb), and its units start unicorn and sidekiq with the variables the
// analyzers read through a copy (analyzers/capistrano/mb.ts mbUnitOverride, appserver/mb-unicorn.ts,
// sidekiq.ts), read here with the same unit reader.
describe.skipIf(!REAL_GEM)("capistrano-mb's template lookup and units (real gem)", () => {
  it("the override folder and the units' ExecStart=", async () => {
    const { readFileSync } = await import("node:fs");
    const { mbOverride } = await import("../../analyzers/capistrano/mb.js");
    const { execStarts, readUnit } = await import("../../analyzers/services/unit-file.js");
    const dsl = readFileSync(join(REAL_GEM!, "capistrano/mb/dsl.rb"), "utf8");
    expect(dsl).toContain(`File.join("${mbOverride("").replace(/\/$/, "")}", local_path)`);
    const unit = (n: string) => execStarts(readUnit(readFileSync(join(REAL_GEM!, "capistrano/mb/templates", n), "utf8")))[0]!.command;
    expect(unit("unicorn.service.erb")).toMatch(/-c <%= fetch\(:mb_unicorn_config\) %>/);
    expect(unit("sidekiq.service.erb")).toMatch(/--concurrency <%= fetch\(:mb_sidekiq_concurrency\) %>/);
  });
});
