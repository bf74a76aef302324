// resque-pool's YAML is the Resque worker layout: per stage's rails_env, the top-level entries merged
// with that env's section (the env's count wins), each queue list one Deployment whose replicas are
// the entry's count. The apps and pool files are written for this test.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import { poolConfigFlag, poolEnvFlag } from "../../analyzers/workers/resque-pool.js";
import { pluginApp } from "./app.js";
import { memoryRepo } from "../../src/repo.js";

const GEMS = { resque: "2.6.0", "resque-pool": "0.7.1" };
const STAGES = {
  production: 'server "app1.ledger.example.org", roles: %w[web app db]\nset :rails_env, "production"\n',
  staging: 'server "stg.ledger.example.org", roles: %w[web app db]\nset :rails_env, "staging"\n',
};
const POOL = `# counts per queue list
"invoices,mailers": 1
exports: 2

production:
  exports: 5
  "audit": 3
development:
  scratch: 9
`;

const pool = (m: Awaited<ReturnType<typeof analyzeFiles>>) => m.workers!.filter((w) => w.name.startsWith("worker-resque-pool"));
const replicas = (m: Awaited<ReturnType<typeof analyzeFiles>>) =>
  Object.fromEntries(workerSpecs(makePlan(m, {})).filter((s) => s.facts.name.startsWith("worker-resque-pool")).map((s) => [s.facts.name, s.stages.map((x) => x.replicas)]));

describe("resque-pool layout", () => {
  it("top-level entries apply to every env, the env's section overrides and adds; other envs' sections are dropped", async () => {
    const m = await analyzeFiles(pluginApp("", STAGES, { "config/resque-pool.yml": POOL }, GEMS, ""), "ledger");
    const ws = pool(m);
    expect(ws.map((w) => [w.name, w.env["QUEUE"], w.queues])).toEqual([
      ["worker-resque-pool-invoices-mailers", "invoices,mailers", ["invoices", "mailers"]],
      ["worker-resque-pool-exports", "exports", ["exports"]],
      ["worker-resque-pool-audit", "audit", ["audit"]],
    ]);
    expect(ws.every((w) => w.args.join(" ") === "bundle exec rake resque:work" && w.stopSignal === "QUIT" && w.carried)).toBe(true);
    // stages in plan order (production, staging)
    const plan = makePlan(m, {});
    const order = plan.stages.map((s) => s.stage.name);
    const r = replicas(m);
    const at = (name: string) => Object.fromEntries(order.map((s, i) => [s, r[name]![i]]));
    expect(at("worker-resque-pool-invoices-mailers")).toEqual({ production: 1, staging: 1 });
    expect(at("worker-resque-pool-exports")).toEqual({ production: 5, staging: 2 });
    expect(at("worker-resque-pool-audit")).toEqual({ production: 3, staging: 0 });
    const exports = ws.find((w) => w.name === "worker-resque-pool-exports")!;
    expect(exports.perStage!["production"]!.source).toEqual({ file: "config/resque-pool.yml", line: 6 });
    expect(exports.perStage!["staging"]!.source).toEqual({ file: "config/resque-pool.yml", line: 3 });
  });

  it("a linked pool file the repo holds only as .sample is read from it and marked as an example", async () => {
    const m = await analyzeFiles(
      pluginApp('set :linked_files, %w[config/database.yml config/resque-pool.yml]\n', { production: STAGES.production }, { "config/resque-pool.yml.sample": "production:\n  exports: 4\n" }, GEMS, ""),
      "ledger",
    );
    const [w] = pool(m);
    expect(w!.commandNote).toMatch(/read from config\/resque-pool\.yml\.sample, an EXAMPLE/);
    expect(w!.evidence.map((e) => e.value)).toContain("config/resque-pool.yml is a linked file (the servers held their own copy)");
    expect(m.problems.some((p) => p.file === "config/resque-pool.yml.sample" && /example/.test(p.message))).toBe(true);
    expect(replicas(m)).toEqual({ "worker-resque-pool-exports": [4] });
  });

  it("the Procfile's `-c` names the file; capistrano-resque-pool's roles multiply the counts", async () => {
    const m = await analyzeFiles(
      pluginApp(
        "set :resque_server_roles, :jobs\n",
        { production: 'server "j1.ledger.example.org", roles: %w[jobs]\nserver "j2.ledger.example.org", roles: %w[jobs]\nserver "w1.ledger.example.org", roles: %w[web app db]\n' },
        { Procfile: "web: bundle exec puma -C config/puma.rb\npool: bundle exec resque-pool -c config/pools/jobs.yml -E production\n", "config/pools/jobs.yml": "mailers: 2\n", "config/resque-pool.yml": "other: 7\n" },
        { ...GEMS, "capistrano-resque-pool": "0.1.0" },
        'require "capistrano-resque-pool"\n',
      ),
      "ledger",
    );
    const ws = pool(m);
    expect(ws.map((w) => w.env["QUEUE"])).toEqual(["mailers"]);
    expect(ws[0]!.roles).toEqual(["jobs"]);
    expect(replicas(m)).toEqual({ "worker-resque-pool-mailers": [4] });
  });

  it("a line that runs resque:work itself is what ran: the pool file does not decide", async () => {
    const m = await analyzeFiles(pluginApp("", { production: STAGES.production }, { Procfile: "web: bundle exec puma\nwork: QUEUE=critical bundle exec rake resque:work\n", "config/resque-pool.yml": "exports: 2\n" }, GEMS, ""), "ledger");
    expect(pool(m)).toEqual([]);
    expect(m.workers!.find((w) => w.backend === "resque")!.env["QUEUE"]).toBe("critical");
  });

  it("a count that is not a whole number is asked, not guessed", async () => {
    const m = await analyzeFiles(pluginApp("", { production: STAGES.production }, { "config/resque-pool.yml": 'exports: "<%= ENV.fetch("N", 2) %>"\n' }, GEMS, ""), "ledger");
    const [w] = pool(m);
    expect(w!.perStage!["production"]!.unknown).toMatch(/not a whole number/);
    expect(m.gaps.some((g) => g.id === "workers.production.worker-resque-pool-exports.processes")).toBe(true);
  });

  it("a count above the replicas ceiling (an int32 field) is asked, never written", async () => {
    const m = await analyzeFiles(pluginApp("", { production: STAGES.production }, { "config/resque-pool.yml": "exports: 100000000000\nmailers: 1000\n" }, GEMS, ""), "ledger");
    const exports = pool(m).find((w) => w.env["QUEUE"] === "exports")!;
    expect(exports.perStage!["production"]!.unknown).toMatch(/not a whole number from 0 to 1000/);
    expect(m.gaps.some((g) => g.id === "workers.production.worker-resque-pool-exports.processes")).toBe(true);
    expect(pool(m).find((w) => w.env["QUEUE"] === "mailers")!.perStage!["production"]!.processes).toBe(1000);
  });

  it("`-E` on the line that starts the pool is its env on every stage", async () => {
    const m = await analyzeFiles(pluginApp("", { staging: STAGES.staging }, { Procfile: "web: bundle exec puma\npool: bundle exec resque-pool -E production\n", "config/resque-pool.yml": POOL }, GEMS, ""), "ledger");
    expect(replicas(m)).toEqual({ "worker-resque-pool-invoices-mailers": [1], "worker-resque-pool-exports": [5], "worker-resque-pool-audit": [3] });
    expect(pool(m).find((w) => w.env["QUEUE"] === "audit")!.perStage!["staging"]!.why).toMatch(/env production \(-E, Procfile:2\)/);
    expect(poolEnvFlag("resque-pool --daemon --environment #{fetch(:rails_env)}")).toBeNull();
    expect(poolEnvFlag("resque-pool --environment=staging")).toBe("staging");
  });

  it("a pool file with nothing for the stage's env says so", async () => {
    const m = await analyzeFiles(pluginApp("", { staging: STAGES.staging }, { "config/resque-pool.yml": "production:\n  exports: 2\n" }, GEMS, ""), "ledger");
    expect(pool(m)).toEqual([]);
    expect(m.problems.some((p) => p.file === "config/resque-pool.yml" && /no entries for staging/.test(p.message))).toBe(true);
  });

  it("config flags as resque-pool's CLI reads them", () => {
    expect(poolConfigFlag("bundle exec resque-pool --daemon -c config/p.yml")).toBe("config/p.yml");
    expect(poolConfigFlag("resque-pool --config=/srv/x/current/config/p.yml")).toBe("/srv/x/current/config/p.yml");
    expect(poolConfigFlag("RESQUE_POOL_CONFIG=config/q.yml bundle exec resque-pool")).toBe("config/q.yml");
    expect(poolConfigFlag("bundle exec resque-pool --daemon")).toBeNull();
  });
});

describe("capistrano-resque-pool required by one Capistrano 2 stage file", () => {
  // multistage loads config/deploy/<stage>.rb like deploy.rb: the gem's resque:pool tasks exist in
  // the stage whose file requires it; the other stage's servers never started a pool.
  const lock = (gems: Record<string, string>) =>
    `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}`;
  const app = (jobsFile: string) =>
    memoryRepo({
      Capfile: "load 'deploy' if respond_to?(:namespace)\nload 'config/deploy'\n",
      "config/deploy.rb": 'set :application, "tally"\nset :stages, %w(batch demo)\nrequire \'capistrano/ext/multistage\'\n',
      "config/deploy/batch.rb": `${jobsFile}role :app, "10.4.0.1", "10.4.0.2"\nset :rails_env, "production"\nafter "deploy:restart", "resque:pool:restart"\n`,
      "config/deploy/demo.rb": 'role :app, "10.5.0.1"\nset :rails_env, "production"\n',
      "config/resque-pool.yml": "tally_imports: 2\n",
      "Gemfile.lock": lock({ resque: "1.27.4", "resque-pool": "0.6.0", "capistrano-resque-pool": "0.1.0", capistrano: "2.15.9", rails: "4.2.11" }),
    });

  it("the stage that requires it runs the pool's entries per :app server; the other runs none, and says why", async () => {
    const m = await analyzeFiles(app("require 'capistrano-resque-pool'\n"), "tally");
    expect(m.stages.find((s) => s.name === "batch")!.plugins!.map((p) => p.value)).toEqual(["capistrano-resque-pool"]);
    const [w] = pool(m);
    expect(w!.name).toBe("worker-resque-pool-tally-imports");
    expect(w!.perStage!["demo"]).toMatchObject({ processes: 0, why: "stage demo does not load capistrano-resque-pool (only config/deploy/batch.rb requires it)" });
    expect(w!.evidence.map((e) => e.value)).toContain('require "capistrano-resque-pool" in config/deploy/batch.rb (capistrano-resque-pool)');
    const plan = makePlan(m, {});
    const spec = workerSpecs(plan).find((x) => x.facts.name === w!.name)!;
    expect(Object.fromEntries(spec.stages.map((x, i) => [plan.stages[i]!.stage.name, x.replicas]))).toEqual({ batch: 4, demo: 0 });
  });

  it("the Cap 3 style require (capistrano/resque/pool) in the stage file is the same", async () => {
    const m = await analyzeFiles(app("require 'capistrano/resque/pool'\n"), "tally");
    const plan = makePlan(m, {});
    const spec = workerSpecs(plan).find((x) => x.facts.name === "worker-resque-pool-tally-imports")!;
    expect(Object.fromEntries(spec.stages.map((x, i) => [plan.stages[i]!.stage.name, x.replicas]))).toEqual({ batch: 4, demo: 0 });
  });
});

describe("capistrano-resque-pool required by one Capistrano 3 stage file", () => {
  it("Capistrano 3 loads the stage's file after load:defaults ran and was frozen: a named warning, not the stage's plugin", async () => {
    const m = await analyzeFiles(
      pluginApp(
        "",
        {
          production: 'require "capistrano-resque-pool"\nserver "q1.ledger.example.org", roles: %w[web app db]\nserver "q2.ledger.example.org", roles: %w[app]\nset :rails_env, "production"\nafter "deploy:published", "resque:pool:restart"\n',
          staging: STAGES.staging,
        },
        { "config/resque-pool.yml": "exports: 2\n" },
        { ...GEMS, "capistrano-resque-pool": "0.1.0" },
        "",
      ),
      "ledger",
    );
    expect(m.problems.filter((p) => /^cap3\.plugin-after-defaults: require "capistrano-resque-pool" in config\/deploy\/production\.rb/.test(p.message)).map((p) => [p.file, p.line])).toEqual([["config/deploy/production.rb", 1]]);
    expect(m.stages.every((s) => s.plugins === undefined)).toBe(true);
    expect(m.capistrano!.requires.map((r) => r.value)).not.toContain("capistrano-resque-pool");
    expect(pool(m).flatMap((w) => w.evidence.map((e) => e.value)).some((v) => /\(capistrano-resque-pool\)$/.test(v))).toBe(false);
  });
});
