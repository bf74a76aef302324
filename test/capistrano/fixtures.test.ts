// The facts fixtures/README.md says the fixture apps agree on, as the analyzer reads them (with the
// plugin defaults it models: capistrano-rails, whenever).
import { describe, it, expect, beforeAll } from "vitest";
import { join } from "node:path";
import { readRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCapistrano, type CapistranoResult } from "../../analyzers/capistrano/index.js";
import type { Problem } from "../../src/model.js";

const read = (app: string) => {
  const problems: Problem[] = [];
  const { repo } = readRepo(join(import.meta.dirname, "../../fixtures/apps", app));
  return { ...analyzeCapistrano({ repo, problem: (p) => problems.push(p) }), problems, repo };
};
let shop: CapistranoResult & { problems: Problem[] };
beforeAll(async () => {
  await initPrism();
  shop = read("shop");
});
const v = (r: CapistranoResult, st: string, k: string) => r.stages.find((s) => s.name === st)!.variables[k]?.value;

describe("shop", () => {
  it("reads without problems; Capistrano 3 with its plugins", () => {
    expect(shop.problems).toEqual([]);
    expect(shop.capistrano!.major).toBe(3);
    expect(shop.capistrano!.requires.map((r) => r.value)).toEqual(expect.arrayContaining(["capistrano/rails/assets", "capistrano3/unicorn", "capistrano/sidekiq", "whenever/capistrano"]));
  });

  it("stages, servers and the variables templates use", () => {
    expect(shop.stages.map((s) => s.name)).toEqual(["production", "staging"]);
    expect(v(shop, "production", "application")).toBe("shop");
    expect(shop.stages[0].servers.map((s) => [s.host, s.roles, s.primary])).toEqual([
      ["web1.shop.example.com", ["web", "app"], false],
      ["web2.shop.example.com", ["web", "app"], false],
      ["worker1.shop.example.com", ["app", "db", "worker"], true],
    ]);
    expect(shop.stages[1].servers.map((s) => s.host)).toEqual(["staging.shop.example.com"]);
    expect(v(shop, "production", "server_name")).toBe("shop.example.com www.shop.example.com");
    expect(v(shop, "staging", "server_name")).toBe("staging.shop.example.com");
    expect(v(shop, "staging", "s3_bucket")).toBe("shop-staging-assets");
    expect(v(shop, "production", "payment_endpoint")).toBe("https://pay.example.com/api");
    expect(["production", "staging"].map((s) => v(shop, s, "rails_env"))).toEqual(["production", "staging"]);
    expect(v(shop, "staging", "branch")).toEqual({ env: "BRANCH", default: "develop" });
    expect(v(shop, "production", "unicorn_config_path")).toBe("/var/www/shop/current/config/unicorn/production.rb");
    expect(v(shop, "staging", "whenever_environment")).toBe("staging");
    expect(v(shop, "production", "rbenv_ruby")).toBe("3.1.4");
  });

  it("linked files and dirs, classed", () => {
    const cls = Object.fromEntries(shop.linked.map((l) => [l.path, `${l.kind}:${l.class}`]));
    expect(cls).toEqual({
      "config/database.yml": "file:config",
      "config/master.key": "file:secret",
      "config/global/aws.yml": "file:config",
      "public/assets": "dir:cache",
      log: "dir:log",
      "tmp/pids": "dir:pids",
      "tmp/cache": "dir:cache",
      "tmp/sockets": "dir:pids",
      "public/system": "dir:data",
    });
  });

  it("the global upload task, its templates and hook", () => {
    const t = shop.capistrano!.tasks.find((x) => x.name === "deploy:upload_global")!;
    const { repo } = read("shop");
    expect(t.templates).toEqual(repo.paths.filter((p) => /^config\/deploy\/templates\/global\/[^/.][^/]*\.yml\.erb$/.test(p)));
    expect(t.uploads).toEqual(["#{shared_path}/config/global/#{name}.yml"]);
    expect(shop.capistrano!.hooks).toContainEqual(expect.objectContaining({ kind: "before", target: "deploy:check:linked_files", task: "deploy:upload_global" }));
    const nginx = shop.capistrano!.tasks.find((x) => x.name === "nginx:config")!;
    expect(nginx.templates).toEqual(["config/deploy/templates/nginx.conf.erb"]);
    expect(nginx.uploads[0]).toMatch(/^\/etc\/nginx\/sites-enabled\//);
  });
});

describe("ledger and atlas", () => {
  it("ledger: three stages, demo runs production, puma_conf per stage", () => {
    const r = read("ledger");
    expect(r.stages.map((s) => s.name)).toEqual(["demo", "production", "staging"]);
    expect(v(r, "demo", "application")).toBe("ledger");
    expect(v(r, "demo", "rails_env")).toBe("production");
    expect(v(r, "staging", "rails_env")).toEqual({ sym: "staging" }); // capistrano-rails: fetch(:stage)
    expect(v(r, "production", "puma_conf")).toBe("/srv/apps/ledger/current/config/puma.rb");
    expect(r.stages[1].servers.map((s) => [s.host, s.roles])).toEqual([
      ["web1.ledger.example.org", ["web", "app", "db"]],
      ["web2.ledger.example.org", ["web", "app"]],
    ]);
    expect(r.stages[0].servers[0].host).toBe("demo.ledger.example.org");
    expect(r.problems).toEqual([expect.objectContaining({ file: "config/deploy/demo.rb", line: 2, message: expect.stringContaining("DEMO_HOST") })]);
  });

  it("atlas: asks, Unknowns with sources, memoized deploy_to", () => {
    const r = read("atlas");
    expect(r.stages.map((s) => s.name)).toEqual(["alpha", "beta"]);
    expect(r.stages[0].asked).toEqual([{ name: "branch", default: expect.objectContaining({ unknown: expect.stringContaining("backticks") }), source: { file: "config/deploy.rb", line: 9 } }]);
    expect(v(r, "beta", "application")).toBe("atlas-beta");
    expect(v(r, "beta", "deploy_to")).toBe("/srv/atlas/beta");
    expect(v(r, "alpha", "built_at")).toMatchObject({ source: { file: "config/deploy.rb", line: 33 } });
    expect(r.linked.find((l) => l.path === "public/exports")!.stages).toEqual(["beta"]);
    expect(r.problems).toEqual([]);
  });
});
