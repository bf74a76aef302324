// Capistrano 2 multistage (capistrano-ext). No oracle exists here (Debian ships only Capistrano 3):
// expectations are computed by hand from Capistrano 2.15's recipes/deploy.rb and capistrano-ext's
// multistage.rb (stage file loaded after config/deploy.rb, `set :stage`, variables read by name).
import { describe, it, expect } from "vitest";
import { join } from "node:path";
import { readRepo } from "../../src/repo.js";
import { analyze } from "./analyze.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCapistrano } from "../../analyzers/capistrano/index.js";
import type { Problem } from "../../src/model.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";

const CAPFILE2 = `load 'deploy'\nload 'config/deploy'\n`;

describe("Capistrano 2's own Capfile line", () => {
  it("`load 'deploy' if respond_to?(:namespace)` is followed, without a warning", async () => {
    const r = await analyze({
      Capfile: "load 'deploy' if respond_to?(:namespace) # cap2 differentiator\nload 'config/deploy'\n",
      "config/deploy.rb": `require 'capistrano/ext/multistage'\nset :stages, %w(production)\nset :application, "x"`,
      "config/deploy/production.rb": `role :app, "a1"`,
    });
    expect(r.problems.filter((p) => /condition not known/.test(p.message))).toEqual([]);
    expect(r.capistrano!.requires.map((q) => q.value)).toContain("deploy");
  });
});

describe("Capistrano 2 without multistage: stages written as tasks", () => {
  it("`task :production do role ... end`: each such task is a stage, run after config/deploy.rb", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": [
        `set :application, "billing"`,
        `set :user, "deploy"`,
        `set(:deploy_to) { "/var/www/#{application}" }`,
        `set :shared_children, shared_children + %w(public/uploads)`,
        ``,
        `task :production do`,
        `  set :rails_env, "production"`,
        `  role :web, "w1.example.com", "w2.example.com"`,
        `  role :app, "w1.example.com", "w2.example.com"`,
        `  role :db, "db.example.com", :primary => true`,
        `end`,
        ``,
        `task :staging do`,
        `  set :rails_env, "staging"`,
        `  server "staging.example.com", :web, :app, :db, :primary => true`,
        `end`,
        ``,
        `namespace :deploy do`,
        `  task :restart do; run "touch #{current_path}/tmp/restart.txt"; end`,
        `end`,
      ].join("\n"),
    });
    expect(r.stages.map((s) => [s.name, s.source])).toEqual([
      ["production", { file: "config/deploy.rb", line: 6 }],
      ["staging", { file: "config/deploy.rb", line: 13 }],
    ]);
    expect(r.v("production", "rails_env")).toBe("production");
    expect(r.v("staging", "deploy_to")).toBe("/var/www/billing");
    expect(r.stage("production").servers.map((s) => [s.host, s.roles, s.primary])).toEqual([
      ["w1.example.com", ["web", "app"], false],
      ["w2.example.com", ["web", "app"], false],
      ["db.example.com", ["db"], true],
    ]);
    expect(r.stage("staging").servers.map((s) => [s.host, s.roles, s.primary])).toEqual([["staging.example.com", ["web", "app", "db"], true]]);
    expect(r.linked.map((l) => l.path)).toContain("public/uploads");
    // deploy:restart (in a namespace) is a task, not a stage
    expect(r.capistrano!.tasks.map((t) => t.name)).toContain("deploy:restart");
  });
});

describe("Capistrano 2 multistage", () => {
  it("hash rockets, roles with several hosts, server with roles, variables read by name, lazy blocks", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": [
        `require 'capistrano/ext/multistage'`,
        `set :stages, %w(production staging)`,
        `set :default_stage, "staging"`,
        `set :application, "app"`,
        `set :user, "deploy"`,
        `set(:deploy_to) { "/home/#{user}/#{application}" }`,
        `set :shared_children, shared_children + %w(public/uploads)`,
        `default_run_options[:pty] = true`,
        `ssh_options[:forward_agent] = true`,
        `ssh_options[:port] = 2222`,
      ].join("\n"),
      "config/deploy/production.rb": `role :web, "w1", "w2"\nrole :app, "w1", "w2"\nrole :db, "db1", :primary => true\nset :rails_env, "production"`,
      "config/deploy/staging.rb": `server "s1", :app, :web, :db, :primary => true\nset :user, "stage"\nset :rails_env, :staging`,
      "config/deploy/unused.rb": `set :x, 1`,
    });
    expect(r.capistrano!.major).toBe(2);
    expect(r.stages.map((s) => s.name)).toEqual(["production", "staging"]); // from :stages, not the folder
    expect(r.capistrano!.requires.map((q) => q.value)).toEqual(["deploy", "capistrano/ext/multistage"]);
    expect(r.v("production", "stage")).toEqual({ sym: "production" });
    expect(r.v("production", "deploy_to")).toBe("/home/deploy/app");
    expect(r.v("staging", "deploy_to")).toBe("/home/stage/app"); // the block runs after the stage file
    expect(r.v("staging", "rails_env")).toEqual({ sym: "staging" });
    expect(r.v("production", "ssh_options")).toEqual({ forward_agent: true, port: 2222 });
    expect(r.v("production", "default_run_options")).toEqual({ pty: true });
    expect(r.v("production", "use_sudo")).toBe(true); // Capistrano 2's default
    expect(r.stage("production").servers.map(({ source, ...s }) => s)).toEqual([
      { host: "w1", user: "deploy", port: null, roles: ["web", "app"], primary: false, properties: {} },
      { host: "w2", user: "deploy", port: null, roles: ["web", "app"], primary: false, properties: {} },
      { host: "db1", user: "deploy", port: null, roles: ["db"], primary: true, properties: {} },
    ]);
    expect(r.stage("staging").servers.map((s) => [s.host, s.user, s.roles, s.primary])).toEqual([["s1", "stage", ["app", "web", "db"], true]]);
    expect(r.linked.map((l) => [l.path, l.kind, l.class])).toEqual([
      ["public/system", "dir", "data"],
      ["log", "dir", "log"],
      ["tmp/pids", "dir", "pids"],
      ["public/uploads", "dir", "data"],
    ]);
  });

  it("stage list falls back to config/deploy/*.rb; shared files linked by hand in a hooked task", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": `require 'capistrano/ext/multistage'\nset :application, "a"\nnamespace :deploy do\n  task :link_config, :roles => :app do\n    run "ln -nfs #{shared_path}/config/database.yml #{release_path}/config/database.yml"\n    run "ln -sf #{shared_path}/uploads #{latest_release}/public/uploads"\n  end\nend\nafter "deploy:update_code", "deploy:link_config", "deploy:migrate"`,
      "config/deploy/b.rb": "",
      "config/deploy/a.rb": "",
    });
    expect(r.stages.map((s) => s.name)).toEqual(["a", "b"]);
    expect(r.capistrano!.hooks.map((h) => [h.kind, h.target, h.task])).toEqual([
      ["after", "deploy:update_code", "deploy:link_config"],
      ["after", "deploy:update_code", "deploy:migrate"],
    ]);
    expect(r.linked.filter((l) => l.source.file === "config/deploy.rb").map((l) => [l.path, l.kind, l.class, l.stages])).toEqual([
      ["config/database.yml", "file", "config", ["a", "b"]],
      ["public/uploads", "dir", "data", ["a", "b"]],
    ]);
    expect(r.v("a", "deploy_to")).toBe("/u/apps/a");
  });
});

describe("legacy fixture (Capistrano 2)", () => {
  it("stages, servers, users, deploy_to and linked paths as Capistrano 2 would use them", async () => {
    await initPrism();
    const problems: Problem[] = [];
    const { repo } = readRepo(join(import.meta.dirname, "../../fixtures/apps/legacy"));
    const r = analyzeCapistrano({ repo, problem: (p) => problems.push(p) });
    expect(problems).toEqual([]);
    expect(r.capistrano!.major).toBe(2);
    const v = (st: string, k: string) => r.stages.find((s) => s.name === st)!.variables[k]?.value;
    expect(r.stages.map((s) => s.name)).toEqual(["production", "staging", "qa"]);
    expect(v("production", "application")).toBe("legacy");
    expect(v("production", "stages")).toEqual(["production", "staging", "qa"]);
    expect(v("production", "deploy_to")).toBe("/home/deploy/apps/legacy");
    expect(v("qa", "deploy_to")).toBe("/home/qa/apps/legacy");
    expect(v("staging", "branch")).toEqual({ env: "BRANCH", default: "master" });
    expect(["production", "staging", "qa"].map((s) => v(s, "rails_env"))).toEqual(["production", "staging", "qa"]);
    expect(v("production", "use_sudo")).toBe(false);
    const prod = r.stages[0].servers.map((s) => [s.host, s.user, s.roles, s.primary]);
    expect(prod).toEqual([
      ["app1.legacy.example.net", "deploy", ["web", "app"], false],
      ["app2.legacy.example.net", "deploy", ["web", "app"], false],
      ["db1.legacy.example.net", "deploy", ["db"], true],
    ]);
    expect(r.stages[2].servers.map((s) => [s.host, s.user])).toEqual([["qa.legacy.example.net", "qa"]]);
    expect(r.linked.find((l) => l.path === "public/system")).toMatchObject({ kind: "dir", class: "data", stages: ["production", "qa", "staging"] });
    expect(r.linked.find((l) => l.path === "config/database.yml")).toMatchObject({ kind: "file", class: "config", source: { file: "config/deploy.rb" } });
    expect(r.capistrano!.hooks.find((h) => h.task === "qa:reset_data")).toMatchObject({ kind: "after", target: "deploy:migrate", stages: ["qa"] });
    expect(r.capistrano!.requires.map((q) => q.value)).toEqual(["deploy", "deploy/assets", "capistrano/ext/multistage", "bundler/capistrano", "rvm/capistrano", "whenever/capistrano"]);
  });
});

describe("Capistrano 2 multistage in the text report", () => {
  it("each stage shows its rails_env, domain and deploy_to with their lines, as the JSON has them", async () => {
    await initPrism();
    const stage = (host: string, env: string, dir: string) =>
      [`set :domain, "${host}"`, `set :deploy_to, "${dir}"`, "role :web, domain", "role :app, domain", "role :db, domain, :primary => true", `set :rails_env, :${env}`, ""].join("\n");
    const model = await analyzeFiles(
      memoryRepo({
        Capfile: CAPFILE2,
        "config/deploy.rb": 'set :stages, %w(production beta)\nrequire "capistrano/ext/multistage"\nset :application, "fleamarket"\n',
        "config/deploy/production.rb": stage("market.example.org", "production", "/srv/fleamarket"),
        "config/deploy/beta.rb": stage("beta.market.example.org", "beta", "/srv/fleamarket-beta"),
      }),
      "fleamarket",
      [],
      { callSites: false },
    );
    expect(model.stages.map((s) => s.variables["domain"]?.value)).toEqual(["market.example.org", "beta.market.example.org"]);
    const text = renderReport(model, { color: false });
    const block = (name: string) => text.split("\n").slice(text.split("\n").findIndex((l) => l.startsWith(`  ${name}  `))).join("\n");
    expect(block("production")).toMatch(/^  production  config\/deploy\/production\.rb:1\n(    .*\n)*?    rails_env: :production  config\/deploy\/production\.rb:6\n/);
    expect(block("production")).toMatch(/^  production [^]*?\n    deploy_to: "\/srv\/fleamarket"  config\/deploy\/production\.rb:2\n/);
    expect(block("production")).toMatch(/^  production [^]*?\n    domain: "market\.example\.org"  config\/deploy\/production\.rb:1\n[^]*?\n  beta  /);
    expect(block("beta")).toMatch(/^  beta [^]*?\n    domain: "beta\.market\.example\.org"  config\/deploy\/beta\.rb:1\n/);
    expect(block("beta")).toMatch(/^  beta [^]*?\n    rails_env: :beta  config\/deploy\/beta\.rb:6\n/);
  });
});
