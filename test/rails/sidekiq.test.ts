// Sidekiq facts: shop's config/sidekiq.yml, the evidence rules, and null for apps without sidekiq.
import { describe, it, expect, beforeAll } from "vitest";
import { readRepo, memoryRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeRails } from "../../analyzers/rails.js";
import { analyzeSidekiq } from "../../analyzers/sidekiq.js";
import type { Problem, CapistranoFacts, Stage, RepoFiles } from "../../src/model.js";

beforeAll(async () => {
  await initPrism();
});

const run = (repo: RepoFiles, cap: CapistranoFacts | null = null, stages: Stage[] = []) => {
  const problems: Problem[] = [];
  const ctx = { repo, problem: (p: Problem) => problems.push(p) };
  const { rails, procfile } = analyzeRails(ctx);
  return { sk: analyzeSidekiq(ctx, rails, cap, procfile, stages), problems };
};
const cap = (requires: string[]): CapistranoFacts => ({ major: 3, requires: requires.map((value, i) => ({ value, source: { file: "Capfile", line: i + 1 } })), lock: null, tasks: [], hooks: [] });
const stage = (name: string, roles: string[][]): Stage => ({
  name,
  source: { file: `config/deploy/${name}.rb`, line: 1 },
  variables: {},
  servers: roles.map((r, i) => ({ host: `h${i}`, user: null, port: null, roles: r, primary: false, properties: {}, source: { file: `config/deploy/${name}.rb`, line: i + 2 } })),
});

describe("analyzeSidekiq", () => {
  it("shop: queues with weights, ERB concurrency, per-env overrides, evidence", () => {
    const { sk, problems } = run(readRepo("fixtures/apps/shop").repo, cap(["capistrano/setup", "capistrano/sidekiq"]), [stage("production", [["web", "app"], ["app", "db", "worker"]])]);
    expect(problems).toEqual([]);
    expect(sk).not.toBeNull();
    expect(sk!.file).toBe("config/sidekiq.yml");
    expect(sk!.concurrency).toEqual({ value: { env: "SIDEKIQ_CONCURRENCY", default: 5 }, source: { file: "config/sidekiq.yml", line: 2 } });
    expect(sk!.timeout).toEqual({ value: 25, source: { file: "config/sidekiq.yml", line: 3 } });
    expect(sk!.queues.map((q) => q.value)).toEqual([["critical", 4], ["default", 2], ["mailers", 1], ["low", 1]]);
    expect(sk!.queues[0].source.line).toBe(5);
    expect(sk!.envOverrides).toEqual({ production: { concurrency: 20 }, staging: { concurrency: 5 } });
    const ev = sk!.evidence.map((e) => e.source.file);
    expect(ev).toEqual(["Gemfile.lock", "Capfile", "Procfile", "config/deploy/production.rb"]);
  });

  it("ledger and legacy do not use sidekiq", () => {
    expect(run(readRepo("fixtures/apps/ledger").repo).sk).toBeNull();
    expect(run(readRepo("fixtures/apps/legacy").repo).sk).toBeNull();
  });

  it("a worker role alone is not sidekiq; a sidekiq role is", () => {
    expect(run(memoryRepo({}), null, [stage("production", [["worker"]])]).sk).toBeNull();
    const { sk } = run(memoryRepo({}), null, [stage("production", [["sidekiq"]])]);
    expect(sk?.evidence.map((e) => e.value)).toEqual(["production: h0 has the sidekiq role"]);
    expect(sk?.timeout?.value).toBe(25);
  });

  it("plain keys, symbol queues, a :schedule: table that is not an env section; old sidekiq timeout default", () => {
    const { sk } = run(
      memoryRepo({
        "config/sidekiq.yml": "concurrency: 4\nqueues:\n  - default\n  - :low\n:schedule:\n  nightly:\n    cron: '0 3 * * *'\n    class: NightlyJob\nproduction:\n  concurrency: 12\n",
        "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    sidekiq (4.2.10)\n\nDEPENDENCIES\n  sidekiq\n",
      }),
    );
    expect(sk!.concurrency?.value).toBe(4);
    expect(sk!.queues.map((q) => q.value)).toEqual(["default", { sym: "low" }]);
    expect(sk!.envOverrides).toEqual({ production: { concurrency: 12 } });
    // Not set in the file: Sidekiq's own default before 6.0, labelled as such, no line cited.
    expect(sk!.timeout).toEqual({ value: 8, source: { file: "config/sidekiq.yml", line: 0 }, defaultOf: "Sidekiq before 6" });
  });

  it("reports a broken file and still returns the evidence", () => {
    const { sk, problems } = run(memoryRepo({ "config/sidekiq.yml": ":queues: [a\n", Procfile: "worker: bundle exec sidekiq\n" }));
    expect(problems.some((p) => p.file === "config/sidekiq.yml")).toBe(true);
    expect(sk?.evidence.map((e) => e.source.file)).toEqual(["Procfile"]);
  });
});
