// simple-rails-deploy 0.0.1's `load 'deploy/unicorn'` starts Unicorn with the gem's own
// lib/configs/unicorn.rb (analyzers/appserver/simple-rails-deploy.ts): timeout 30 and preload_app
// false, labelled as the gem's; 1 worker on staging; elsewhere the count changed inside 0.0.1 (or is
// the server's CPU count on production), so it is asked. Neither Capistrano 2 nor the gem is
// installable here: the reading is cited from the gem's source. App "quarry", written here.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { APP_SERVER_DEFAULTS, appServerFor } from "../../emitters/app-server.js";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { recordingIo } from "../migrate/helpers.js";

beforeAll(async () => {
  await initPrism();
});

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

function quarry(): Record<string, string> {
  return {
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": ["require 'simple-rails-deploy/common'", "load 'deploy/unicorn'", "require 'capistrano/ext/multistage'", "set :stages, %w(production staging)", "set :application, 'quarry'", "set :repository, 'git@git.example.test:acct/quarry.git'", ""].join("\n"),
    "config/deploy/production.rb": "server 'q1.example.test', :web, :app, :db, primary: true\nset :rails_env, 'production'\n",
    "config/deploy/staging.rb": "server 'q-stg.example.test', :web, :app, :db, primary: true\nset :rails_env, 'staging'\n",
    "config/environments/staging.rb": "Rails.application.configure do\nend\n",
    "config/unicorn.rb": "worker_processes 5\ntimeout 120\n",
    Gemfile: "source 'https://rubygems.org'\ngem 'rails'\ngem 'unicorn'\ngem 'simple-rails-deploy'\n",
    "Gemfile.lock": ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (2.15.5)", "    rails (3.2.22)", "    simple-rails-deploy (0.0.1)", "      capistrano (>= 2.0.0)", "    unicorn (4.8.3)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  rails", "  simple-rails-deploy", "  unicorn", ""].join("\n"),
  };
}

describe("simple-rails-deploy's deploy/unicorn", () => {
  it("each stage runs the gem's config: timeout 30 and preload_app false as the gem's, 1 worker on staging, production's count asked", async () => {
    const m = await analyzeFiles(memoryRepo(quarry()), "quarry");
    const staging = appServerFor(m, m.stages.find((s) => s.name === "staging")!)!;
    expect(staging.file).toBe("simple-rails-deploy 0.0.1's own lib/configs/unicorn.rb");
    expect(staging.workers).toMatchObject({ value: 1, defaultOf: "simple-rails-deploy 0.0.1", source: { file: "config/deploy.rb", line: 2 } });
    expect(staging.timeout).toMatchObject({ value: 30, defaultOf: "simple-rails-deploy 0.0.1" });
    expect(staging.preloadApp).toMatchObject({ value: false });
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(prod.workers?.value).toMatchObject({ unknown: expect.stringContaining("CPU count of the server on production") });
    expect(prod.timeout?.value).toBe(30);
    expect(m.gaps.find((g) => g.id === "stage.production.web.workers")).toMatchObject({ default: APP_SERVER_DEFAULTS.unicorn.workers, placeholder: true });
    expect(m.gaps.some((g) => g.id === "stage.production.web.timeout" || g.id.startsWith("stage.staging.web."))).toBe(false);
    // The repo's config/unicorn.rb (5 workers, 120 s) is not what the servers ran, and it says so.
    expect(m.problems.some((p) => p.file === "config/unicorn.rb" && p.message.includes("simple-rails-deploy"))).toBe(true);
    expect(m.appServers.find((a) => a.file === "config/unicorn.rb")?.stages ?? []).toEqual([]);
  });

  it("migrate --yes: staging 1 worker and a 30 s timeout, production's workers a labelled placeholder; config/unicorn.rb's 5 and 120 nowhere", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "r2k-quarry-")), "app");
    for (const [f, text] of Object.entries(quarry())) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const read = (p: string) => readFileSync(join(dir, p), "utf8");
    const staging = read("k8s/overlays/staging/config.env");
    expect(staging).toMatch(/\nWEB_CONCURRENCY=1\n/);
    expect(staging).toMatch(/\nUNICORN_TIMEOUT=30\n/);
    expect(read("k8s/overlays/production/config.env")).toMatch(/# PLACEHOLDER: [^\n]*stage\.production\.web\.workers[^\n]*\nWEB_CONCURRENCY=1\n/);
    for (const st of ["staging", "production"]) expect(read(`k8s/overlays/${st}/config.env`)).not.toMatch(/=5\n|=120\n/);
  });
});
