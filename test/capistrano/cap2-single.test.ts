// Capistrano 2 without stages: `cap deploy` deploys config/deploy.rb's own servers. No oracle here
// (Debian ships only Capistrano 3): Capistrano 2.15's recipes put `server "x", :app, :web` in the one
// configuration every task runs against, and its deploy recipe defaults rails_env to production.
import { describe, expect, it } from "vitest";
import { analyze } from "./analyze.js";

const CAPFILE2 = "load 'deploy'\nload 'config/deploy'\n";

describe("Capistrano 2 single-stage", () => {
  it("config/deploy.rb's servers are one stage, named after its rails_env default, and said", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": 'set :application, "ledger"\nset :user, "deploy"\nserver "app1.example.com", :app, :web, :db, :primary => true\nserver "app2.example.com", :app, :web\n',
    });
    expect(r.stages.map((s) => s.name)).toEqual(["production"]);
    expect(r.stage("production").servers.map((s) => [s.host, [...s.roles].sort()])).toEqual([
      ["app1.example.com", ["app", "db", "web"]],
      ["app2.example.com", ["app", "web"]],
    ]);
    expect(r.problems.some((p) => /Capistrano 2 without stages/.test(p.message))).toBe(true);
  });

  it("a rails_env set in deploy.rb names the stage", async () => {
    const r = await analyze({ Capfile: CAPFILE2, "config/deploy.rb": 'set :application, "ledger"\nset :rails_env, "staging"\nrole :app, "s1.example.com"\n' });
    expect(r.stages.map((s) => s.name)).toEqual(["staging"]);
  });

  it("roles whose hosts come from the environment still make the one stage, whose servers are its question", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": 'set :application, "ledger"\nrole :web, ENV["LEDGER_WEB_HOST"]\nrole :app, ENV["LEDGER_APP_HOST"], jobs: true\n',
    });
    expect(r.stages.map((s) => s.name)).toEqual(["production"]);
    expect(r.stage("production").servers).toEqual([]);
    const unread = r.stage("production").unread ?? [];
    expect(unread.filter((u) => u.what === "servers").map((u) => u.source.line)).toEqual([2, 3]);
  });

  it("no servers: no stage is invented", async () => {
    const r = await analyze({ Capfile: CAPFILE2, "config/deploy.rb": 'set :application, "ledger"\n' });
    expect(r.stages).toEqual([]);
  });
});

describe("Mina", () => {
  const DEPLOY = [
    "require 'mina/rails'",
    "require 'mina/git'",
    "set :application_name, 'ledger'",
    "set :domain, 'ledger.example.com'",
    "set :deploy_to, '/var/www/ledger'",
    "set :repository, 'git@example.com:acme/ledger.git'",
    "set :branch, 'main'",
    "set :user, 'deploy'",
    "task :deploy do",
    "  deploy do",
    "    invoke :'git:clone'",
    "    invoke :'rails:db_migrate'",
    "  end",
    "end",
  ].join("\n");
  it("is recognised as Mina, and its domain is the one server, with every role", async () => {
    const r = await analyze({ "config/deploy.rb": DEPLOY });
    expect(r.capistrano?.tool).toBe("mina");
    expect(r.stages.map((s) => s.name)).toEqual(["production"]);
    expect(r.stage("production").servers.map((s) => [s.host, s.user, s.roles])).toEqual([["ledger.example.com", "deploy", ["web", "app", "db"]]]);
    expect(r.v("production", "deploy_to")).toBe("/var/www/ledger");
  });
  it("mina-multistage: one stage per file, each with its own domain", async () => {
    const r = await analyze({
      "config/deploy.rb": DEPLOY.replace("set :domain, 'ledger.example.com'\n", "").replace("require 'mina/git'", "require 'mina/git'\nrequire 'mina/multistage'"),
      "config/deploy/production.rb": "set :domain, 'ledger.example.com'\n",
      "config/deploy/staging.rb": "set :domain, 'staging.ledger.example.com'\n",
    });
    expect(r.stages.map((s) => [s.name, s.servers.map((x) => x.host)])).toEqual([
      ["production", ["ledger.example.com"]],
      ["staging", ["staging.ledger.example.com"]],
    ]);
  });
});
