// A configuration directory the deploy links from shared/ (`append :linked_dirs, "config/settings"`,
// Global's config/global, a Capistrano 2 task's `ln -nfs #{shared_path}/config/settings ...`): the
// servers replaced the release's directory with their own, so every file the app read from it is the
// servers' copy. One server-only hazard per directory, at the line that links it; values read from
// the repo's files in it (or, for the config gem, from config/settings.yml that the servers'
// config/settings/<env>.yml is merged over) are labelled as the repo's copy, never the stage's.
// Judged by real `cap` (each stage's linked_dirs) and, for Capistrano 2, Ruby running the task and
// sh running its `ln`. Apps "herbarium" (config gem), "quarry" (Global) and "wharf" (Cap 2), written here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { recordingIo } from "../migrate/helpers.js";
import { writeApp } from "../written-files.js";
import { prepareCopy, runCap } from "../capistrano/cap.js";
import { runRubyFile } from "../appserver/ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
const cleanup: string[] = [];
beforeAll(async () => {
  await initPrism();
});
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

function onDisk(files: Record<string, string>): string {
  const dir = writeApp(files, "r2k-linkdir-", "app");
  cleanup.push(dirname(dir));
  return dir;
}

const CAPFILE = 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n';
const lock = (gems: string[]) => ["GEM", "  remote: https://rubygems.org/", "  specs:", ...gems.map((g) => `    ${g}`), "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", ...gems.map((g) => `  ${g.split(" ")[0]}`), ""].join("\n");

// A specimen-catalogue app on the config gem: settings.yml holds laptop defaults, each server's
// config/settings/<env>.yml (kept in shared/) holds the real hosts.
const HERBARIUM: Record<string, string> = {
  Capfile: CAPFILE,
  "config/deploy.rb": [
    'set :application, "herbarium"', // 1
    'set :repo_url, "git@git.example.test:botany/herbarium.git"', // 2
    'set :deploy_to, "/opt/app/herbarium"', // 3
    'append :linked_files, "config/database.yml"', // 4
    'append :linked_dirs, "log", "config/settings", "tmp", "vendor/bundle"', // 5
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'server "herb-prod.example.test", user: "app", roles: %w[web app db]\n',
  "config/deploy/qa.rb": 'set :rails_env, "production"\nserver "herb-qa.example.test", user: "app", roles: %w[web app db]\n',
  "config/settings.yml": ["catalogue_title: Herbarium", "redis_url: redis://localhost:6379/2", "amqp:", "  enabled: false", "  hostname: localhost", "  port: 5672", ""].join("\n"),
  "config/settings/development.yml": "catalogue_title: Herbarium (dev)\n",
  "config/settings/test.yml": "redis_url: redis://localhost:6379/9\n",
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "config"\ngem "puma"\n',
  "Gemfile.lock": lock(["config (4.2.1)", "puma (6.4.2)", "rails (7.0.8)"]),
  "config/application.rb": "module Herbarium\n  class Application < Rails::Application\n  end\nend\n",
  "config.ru": 'run ->(env) { [200, {}, ["ok"]] }\n',
};

describe("a config directory linked from shared/ (the config gem's config/settings)", () => {
  it("real cap links config/settings on both stages; one server-only hazard at the link's line", async () => {
    const app = prepareCopy(onDisk(HERBARIUM));
    cleanup.push(dirname(app));
    for (const stage of ["production", "qa"]) expect((await runCap(app, stage)).variables["linked_dirs"]).toContain("config/settings");

    const m = await analyzeFiles(memoryRepo(HERBARIUM), "herbarium");
    const said = m.hazards.filter((h) => h.id === "files.server-only" && /config\/settings is a linked directory/.test(h.message));
    expect(said.map((h) => [h.source?.file, h.source?.line])).toEqual([["config/deploy.rb", 5]]);
    const msg = said[0]!.message;
    expect(msg).toContain("every file the app read from it is the servers' copy");
    expect(msg).toContain("config/settings/development.yml, config/settings/test.yml) are not what the servers read");
    expect(msg).toContain("config/settings/production.yml (not in the repo)");
    expect(msg).toMatch(/the config gem merges config\/settings\/<env>\.yml over config\/settings\.yml/);
    // storage and cache dirs are not configuration: no such hazard for them
    expect(m.hazards.some((h) => h.id === "files.server-only" && /^(log|tmp|vendor\/bundle) /.test(h.message))).toBe(false);
  });

  it("addresses read from config/settings.yml are labelled: the servers' production.yml may override them", async () => {
    const m = await analyzeFiles(memoryRepo(HERBARIUM), "herbarium");
    const local = m.hazards.filter((h) => h.id === "services.localhost" && h.source?.file === "config/settings.yml");
    expect(local.length).toBeGreaterThan(0);
    for (const h of local) expect(h.message).toMatch(/^config\/settings\.yml \S+ \(the servers' config\/settings\/<env>\.yml may override it on stages production, qa: config\/settings is linked from the servers' shared\/ directory \(config\/deploy\.rb:5/);
    const addr = (m.localAddresses ?? []).find((a) => a.source.file === "config/settings.yml" && a.kind === "redis")!;
    expect(addr.repoCopy).toMatch(/may override it/);
  });

  it("without the link, config/settings.yml's addresses stay unlabelled and no hazard names the directory", async () => {
    const files = { ...HERBARIUM, "config/deploy.rb": HERBARIUM["config/deploy.rb"]!.replace('"config/settings", ', "") };
    const m = await analyzeFiles(memoryRepo(files), "herbarium");
    expect(m.hazards.some((h) => /config\/settings is a linked directory/.test(h.message))).toBe(false);
    expect((m.localAddresses ?? []).some((a) => a.repoCopy)).toBe(false);
  });
});

// A quarry-logistics app on Global whose deploy links the whole config/global from shared/.
const QUARRY: Record<string, string> = {
  Capfile: CAPFILE,
  "config/deploy.rb": [
    'set :application, "quarry"', // 1
    'set :repo_url, "git@git.example.test:stone/quarry.git"', // 2
    'set :deploy_to, "/srv/quarry"', // 3
    "set :linked_dirs, %w{log tmp/pids public/system config/global}", // 4
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "quarry1.example.test", user: "deploy", roles: %w[web app db]\n',
  "config/global/search.yml": ["default:", "  host: localhost", "  port: 9200", "production:", "  index: quarry_live", ""].join("\n"),
  "config/global/haulage.yml": ["default:", "  trucks: 4", "production:", "  trucks: 12", ""].join("\n"),
  "config/initializers/global.rb": 'Global.configure do |config|\n  config.backend :filesystem, environment: Rails.env.to_s, path: Rails.root.join("config/global").to_s\nend\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "global"\ngem "unicorn"\n',
  "Gemfile.lock": lock(["global (3.1.1)", "rails (6.1.7)", "unicorn (6.1.0)"]),
  "config/application.rb": "module Quarry\n  class Application < Rails::Application\n  end\nend\n",
  "config/unicorn.rb": "worker_processes 2\ntimeout 30\n",
  "config.ru": 'run ->(env) { [200, {}, ["ok"]] }\n',
};

describe("Global's config/global linked as a directory", () => {
  it("real cap links it; the hazard names it at its line; every namespace read from the repo is labelled the repo's copy", async () => {
    const app = prepareCopy(onDisk(QUARRY));
    cleanup.push(dirname(app));
    expect((await runCap(app, "production")).variables["linked_dirs"]).toContain("config/global");

    const m = await analyzeFiles(memoryRepo(QUARRY), "quarry");
    const h = m.hazards.find((x) => x.id === "files.server-only" && /^config\/global is a linked directory/.test(x.message))!;
    expect(h.source).toEqual({ file: "config/deploy.rb", line: 4 });
    expect(h.message).toContain("Global loads its namespaces from config/global: the values read here for haulage, search are the repo's copy, the servers' copy may differ");
    for (const ns of m.global!.namespaces) {
      expect(ns.repoCopy?.source).toEqual({ file: "config/deploy.rb", line: 4 });
      expect(ns.repoCopy?.label).toMatch(/^the repo's copy, the servers' copy may differ: config\/global is linked from the servers' shared\/ directory/);
    }
    // the report never lists them as the stage's values without the label
    const report = renderReport(m, { color: false } as never);
    expect(report).toMatch(/haulage {2}config\/global\/haulage\.yml {2}envs: [^\n]*\(the repo's copy, the servers' copy may differ/);
    // an address read from a Global file of the linked directory says whose it is
    const local = m.hazards.find((x) => x.id === "services.localhost" && x.source?.file === "config/global/search.yml")!;
    expect(local.message).toMatch(/\(the repo's copy, the servers' copy may differ: config\/global is linked/);
    // public/system keeps its storage hazard, and is no config directory
    expect(m.hazards.some((x) => x.id === "data.local-dir" && /public\/system/.test(x.message))).toBe(true);
    expect(m.hazards.some((x) => x.id === "files.server-only" && /^public\/system/.test(x.message))).toBe(false);
  });

  it("migrate --yes: the config/custom files say they carry the repo's copy", async () => {
    const dir = onDisk(QUARRY);
    const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
    const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const haulage = readFileSync(join(dir, "config/custom/haulage.yml"), "utf8");
    expect(haulage).toMatch(/^# These values are "the repo's copy, the servers' copy may differ: config\/global is linked from the servers' shared\/ directory \(config\/deploy\.rb:4/m);
    const guide = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    expect(guide).toMatch(/config\/global is a linked directory/);
  });

  it("the settings only on the servers: the repo holds no Global file, and the hazard says so", async () => {
    const files = Object.fromEntries(Object.entries(QUARRY).filter(([p]) => !p.startsWith("config/global/")));
    const m = await analyzeFiles(memoryRepo(files), "quarry");
    const h = m.hazards.find((x) => x.id === "files.server-only" && /^config\/global is a linked directory/.test(x.message))!;
    expect(h.source).toEqual({ file: "config/deploy.rb", line: 4 });
    expect(h.message).toContain("the repo holds no file there");
    expect(h.message).toContain("Global loads its namespaces from config/global, and the repo holds none of them there: its settings exist only on the servers");
  });
});

// Capistrano 2: a task links the directory itself. The repo keeps only config/settings.yml; the
// link creates config/settings in the release, pointing at the servers' copy.
const WHARF: Record<string, string> = {
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  "config/deploy.rb": [
    'set :application, "wharf"', // 1
    'set :repository, "git@git.example.test:port/wharf.git"', // 2
    'set :deploy_to, "/srv/wharf"', // 3
    'role :app, "wharf1.example.test"', // 4
    'role :web, "wharf1.example.test"', // 5
    'role :db, "wharf1.example.test", :primary => true', // 6
    'after "deploy:update_code", "deploy:link_settings"', // 7
    "namespace :deploy do", // 8
    "  task :link_settings do", // 9
    '    run "ln -nfs #{shared_path}/config/settings #{release_path}/config/settings"', // 10
    "  end", // 11
    "end", // 12
    "",
  ].join("\n"),
  "config/settings.yml": "berths: 6\nmemcache: localhost:11211\n",
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "4.2.11"\ngem "config"\ngem "capistrano", "~> 2.15"\n',
  "Gemfile.lock": lock(["capistrano (2.15.9)", "config (1.7.2)", "rails (4.2.11)"]),
  "config/application.rb": "module Wharf\n  class Application < Rails::Application\n  end\nend\n",
  "config.ru": 'run ->(env) { [200, {}, ["ok"]] }\n',
};

describe("Capistrano 2: a task's `ln -nfs #{shared_path}/config/settings #{release_path}/config/settings`", () => {
  it("Ruby runs the task and sh its ln: the release's config/settings is the servers'; the hazard is said at the ln line", async () => {
    const dir = onDisk(WHARF);
    const ran: string[] = runRubyFile(join(here, "../capistrano/cap2_run_oracle.rb"), { root: dir, files: ["config/deploy.rb"], task: "deploy:link_settings", release: "20260101000000" }).run;
    const root = mkdtempSync(join(tmpdir(), "r2k-wharf-"));
    cleanup.push(root);
    const release = join(root, "releases/20260101000000");
    mkdirSync(join(release, "config"), { recursive: true });
    writeFileSync(join(release, "config/settings.yml"), WHARF["config/settings.yml"]!);
    mkdirSync(join(root, "shared/config/settings"), { recursive: true });
    for (const cmd of ran) expect(spawnSync("sh", ["-c", cmd.replaceAll("/srv/wharf", root)]).status).toBe(0);
    expect(lstatSync(join(release, "config/settings")).isSymbolicLink()).toBe(true);

    const m = await analyzeFiles(memoryRepo(WHARF), "wharf");
    const h = m.hazards.find((x) => x.id === "files.server-only" && /^config\/settings is a linked directory/.test(x.message))!;
    expect(h.source).toEqual({ file: "config/deploy.rb", line: 10 });
    expect(h.message).toContain("config/settings/production.yml (not in the repo)");
    const local = m.hazards.find((x) => x.id === "services.localhost" && x.source?.file === "config/settings.yml")!;
    expect(local.message).toMatch(/\(the servers' config\/settings\/<env>\.yml may override it on stage production: config\/settings is linked/);
  });
});
