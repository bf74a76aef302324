// Capistrano 3's stage task (capistrano/setup.rb) runs load:defaults and freezes it
// (immutable_task.rb) before it loads config/deploy.rb and the stage file: a plugin required there
// never got its defaults. The real `cap` shows it (a plugin that defines load:defaults aborts it);
// the analysis says so at the require, and does not take the plugin as loaded anywhere.
// A stage file dropped for declaring no server (Capistrano 2 per-stage plugins) switches on nothing.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { namedConfigs } from "../../analyzers/appserver/named-configs.js";
import { renderReport } from "../../src/report.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";

const CAPFILE = 'require "capistrano/setup"\nrequire "capistrano/deploy"\n';
const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (6.1.7)\n    unicorn (6.1.0)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  unicorn\n  whenever\n\nBUNDLED WITH\n   2.4.22\n";
const files = (staging: string) => ({
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "whenever", require: false\n',
  "Gemfile.lock": LOCK,
  Capfile: CAPFILE,
  "config/deploy.rb": 'set :application, "reel"\nset :deploy_to, "/srv/reel"\n',
  "config/deploy/production.rb": 'server "web1.reel.example.org", roles: %w[app web db]\n',
  "config/deploy/staging.rb": staging,
  "config/schedule.rb": 'every 10.minutes do\n  rake "stats:tally_viewers"\nend\n',
});
const AFTER = /^cap3\.plugin-after-defaults: require "whenever\/capistrano" in config\/deploy\/staging\.rb: Capistrano 3 runs load:defaults before loading this file/;

/** The files with Gemfile.lock locking `capistrano` at `version`. */
const lockingCap = (f: Record<string, string>, version: string) => ({ ...f, "Gemfile.lock": f["Gemfile.lock"]!.replace("    rails (6.1.7)\n", `    capistrano (${version})\n    rails (6.1.7)\n`).replace("DEPENDENCIES\n", "DEPENDENCIES\n  capistrano\n") });
/** Debian's cap, the oracle: its version is the one the lockfile pins where it must abort. */
const debianCap = (): string => /Capistrano Version: (\d+\.\d+\.\d+)/.exec(spawnSync("cap", ["--version"], { encoding: "utf8", input: "" }).stdout)![1]!;

/** Runs the real `cap <stage> r2k:roles` over the files (the plugin stubbed by a load:defaults of its own, `lock` neutralised). */
function realCap(f: Record<string, string>, stage: string) {
  const dir = mkdtempSync(join(tmpdir(), "r2k-after-defaults-"));
  for (const [p, t] of Object.entries(f)) {
    mkdirSync(join(dir, "app", p, ".."), { recursive: true });
    writeFileSync(join(dir, "app", p), t);
  }
  mkdirSync(join(dir, "gems", "whenever"), { recursive: true });
  writeFileSync(join(dir, "gems", "whenever", "capistrano.rb"), "namespace :load do\n  task :defaults do\n    set :whenever_roles, ->{ :db }\n  end\nend\n");
  writeFileSync(join(dir, "app", "Capfile"), `${f["Capfile"]}module Capistrano::DSL; def lock(*); end; end\ntask("r2k:roles") { puts "R2K " + fetch(:whenever_roles).inspect }\n`);
  return spawnSync("cap", [stage, "r2k:roles"], { cwd: join(dir, "app"), input: "", encoding: "utf8", env: { PATH: process.env["PATH"]!, HOME: dir, LANG: "C.UTF-8", RUBYLIB: join(dir, "gems") } });
}

describe("a Capistrano 3 plugin required in a stage file", () => {
  it("with the lock pinning the Capistrano installed here: the analysis says cap aborts that stage, and the real cap does", async () => {
    const version = debianCap();
    const f = lockingCap(files('require "whenever/capistrano"\nserver "stg.reel.example.org", roles: %w[app web db]\n'), version);
    const staging = realCap(f, "staging");
    expect(staging.status).not.toBe(0);
    expect(staging.stderr).toMatch(/Plugins must be loaded in the Capfile to initialize properly\./);
    expect(realCap(f, "production").status).toBe(0);

    const m = await analyzeFiles(memoryRepo(f), "reel");
    const lockLine = f["Gemfile.lock"]!.split("\n").findIndex((l) => l.startsWith("    capistrano (")) + 1;
    const warning = m.problems.find((p) => AFTER.test(p.message))!;
    expect(warning.message).toContain(`; Capistrano ${version} (Gemfile.lock:${lockLine}) (3.5.0 or later) freezes load:defaults once run, and this plugin adds to it, so \`cap\` aborts: "Plugins must be loaded in the Capfile to initialize properly". No deploy of this stage ran with the repo as it stands`);
    expect(m.stages.map((s) => [s.name, s.capAborts?.source ?? null])).toEqual([
      ["production", null],
      ["staging", { file: "config/deploy/staging.rb", line: 1 }],
    ]);
    // Kept as a stage (its overlay is written), and said first where the team reads.
    expect(renderReport(m, { color: false })).toMatch(/ staging {2}config\/deploy\/staging\.rb:1\n {4}cap aborts this stage: no deploy of stage staging ran with the repo as it stands/);
    const guide = emitMigrationGuide(m, {}, []).content;
    expect(guide).toMatch(/^## Stages no deploy ran as the repo stands\n\n- \*\*staging\*\*: no deploy of stage staging ran with the repo as it stands: the locked Capistrano aborts `cap staging`/m);
    expect(guide.indexOf("## Stages no deploy ran")).toBeLessThan(guide.indexOf("## What was generated"));
  });

  it("with the lock pinning a Capistrano before 3.5.0 (no immutable load:defaults yet): the stage deployed with the plugin, without its defaults", async () => {
    const m = await analyzeFiles(memoryRepo(lockingCap(files('require "whenever/capistrano"\nserver "stg.reel.example.org", roles: %w[app web db]\n'), "3.4.1")), "reel");
    const warning = m.problems.find((p) => AFTER.test(p.message))!;
    expect(warning.message).toMatch(/; Capistrano 3\.4\.1 \(Gemfile\.lock:\d+\) predates 3\.5\.0, which made that an abort, so the plugin loaded: its tasks and hooks ran on this stage, and it is taken as this stage's plugin, but its load:defaults, added after it had run, never ran/);
    expect(m.stages.every((s) => s.capAborts === undefined)).toBe(true);
    expect(emitMigrationGuide(m, {}, []).content).not.toContain("## Stages no deploy ran");
    // Its tasks ran there: the stage's plugin, the warning kept; what its defaults would have set is unknown there.
    expect(warning.message).toMatch(/it is taken as this stage's plugin, .*each value it would have defaulted is unknown there/);
    const staging = m.stages.find((s) => s.name === "staging")!;
    expect(staging.plugins?.map((p) => [p.value, p.source.file, p.source.line])).toEqual([["whenever/capistrano", "config/deploy/staging.rb", 1]]);
    expect(m.stages.find((s) => s.name === "production")!.plugins).toBeUndefined();
    expect(staging.variables["whenever_roles"]?.value).toEqual({ unknown: expect.stringMatching(/whenever\/capistrano was required after load:defaults ran \(config\/deploy\/staging.rb:1\), so its default for whenever_roles never applied there/) });
    expect(m.stages.find((s) => s.name === "production")!.variables["whenever_roles"]).toBeUndefined();
  });

  it("before 3.5.0, a value the stage file sets after the late require is its own, not unknown", async () => {
    const m = await analyzeFiles(memoryRepo(lockingCap(files('require "whenever/capistrano"\nset :whenever_roles, [:app]\nserver "stg.reel.example.org", roles: %w[app web db]\n'), "3.4.1")), "reel");
    expect(m.stages.find((s) => s.name === "staging")!.variables["whenever_roles"]?.value).toEqual([{ sym: "app" }]);
  });

  it("a plugin whose load:defaults was not read: whether cap aborted is not known, and no stage is said to abort", async () => {
    const m = await analyzeFiles(memoryRepo(lockingCap(files('require "capistrano/sidekiq"\nserver "stg.reel.example.org", roles: %w[app web db]\n'), "3.17.2")), "reel");
    expect(m.problems.find((p) => /^cap3\.plugin-after-defaults: require "capistrano\/sidekiq"/.test(p.message))!.message).toMatch(/freezes load:defaults once run: if this plugin adds to it, as plugins with settings do, .*Which is not known here/);
    expect(m.stages.every((s) => s.capAborts === undefined)).toBe(true);
  });

  it("in config/deploy.rb with a 3.5+ lock: every stage aborts", async () => {
    const f = lockingCap(files('server "stg.reel.example.org", roles: %w[app web db]\n'), "3.11.0");
    f["config/deploy.rb"] += 'require "whenever/capistrano"\n';
    const m = await analyzeFiles(memoryRepo(f), "reel");
    expect(m.stages.map((s) => [s.name, s.capAborts?.source ?? null])).toEqual([
      ["production", { file: "config/deploy.rb", line: 3 }],
      ["staging", { file: "config/deploy.rb", line: 3 }],
    ]);
    expect(m.problems.find((p) => /^cap3\.plugin-after-defaults: require "whenever\/capistrano" in config\/deploy\.rb/.test(p.message))!.message).toContain("No deploy of any stage ran");
  });

  it("real cap: its load:defaults cannot be added any more, and cap aborts naming the Capfile", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-after-defaults-"));
    for (const [p, t] of Object.entries(files('require "whenever/capistrano"\nserver "stg.reel.example.org", roles: %w[app web db]\n'))) {
      mkdirSync(join(dir, "app", p, ".."), { recursive: true });
      writeFileSync(join(dir, "app", p), t);
    }
    // whenever's own Capistrano 3 file, cut down to what matters: a load:defaults task.
    mkdirSync(join(dir, "gems", "whenever"), { recursive: true });
    writeFileSync(join(dir, "gems", "whenever", "capistrano.rb"), "namespace :load do\n  task :defaults do\n    set :whenever_roles, ->{ :db }\n  end\nend\n");
    writeFileSync(join(dir, "app", "Capfile"), `${CAPFILE}module Capistrano::DSL; def lock(*); end; end\ntask("r2k:roles") { puts "R2K " + fetch(:whenever_roles).inspect }\n`);
    const run = (stage: string) => spawnSync("cap", [stage, "r2k:roles"], { cwd: join(dir, "app"), input: "", encoding: "utf8", env: { PATH: process.env["PATH"]!, HOME: dir, LANG: "C.UTF-8", RUBYLIB: join(dir, "gems") } });
    const staging = run("staging");
    expect(staging.status).not.toBe(0);
    expect(staging.stderr).toMatch(/load:defaults has already been invoked and can no longer be modified\.[\s\S]*Plugins must be loaded in the Capfile to initialize properly\./);
    expect(staging.stdout).not.toMatch(/R2K/);
    // production never loads the plugin: no whenever_roles at all
    const production = run("production");
    expect(production.status).toBe(0);
    expect(production.stdout).toMatch(/^R2K nil$/m);
  });

  it("is a named warning at its line, no plugin of the stage, and nothing app-wide", async () => {
    const m = await analyzeFiles(memoryRepo(files('require "whenever/capistrano"\nserver "stg.reel.example.org", roles: %w[app web db]\n')), "reel");
    expect(m.problems.filter((p) => AFTER.test(p.message)).map((p) => [p.file, p.line])).toEqual([["config/deploy/staging.rb", 1]]);
    expect(m.stages.every((s) => s.plugins === undefined)).toBe(true);
    expect(m.capistrano!.requires.map((r) => r.value)).not.toContain("whenever/capistrano");
    expect(m.problems.some((p) => /^cron\.whenever-not-invoked/.test(p.message))).toBe(true);
  });

  it("in a stage dropped for declaring no server, switches whenever on for no other stage", async () => {
    const m = await analyzeFiles(memoryRepo(files('require "whenever/capistrano"\n# server "stg.reel.example.org", roles: %w[app web db]\n')), "reel");
    expect(m.stages.map((s) => s.name)).toEqual(["production"]);
    expect(m.capistrano!.requires.map((r) => r.value)).not.toContain("whenever/capistrano");
    expect(m.problems.some((p) => /^cron\.whenever-not-invoked/.test(p.message))).toBe(true);
  });

  it("in config/deploy.rb is the same warning", async () => {
    const f = files('server "stg.reel.example.org", roles: %w[app web db]\n');
    f["config/deploy.rb"] += 'require "capistrano/sidekiq"\n';
    const m = await analyzeFiles(memoryRepo(f), "reel");
    expect(m.problems.filter((p) => /^cap3\.plugin-after-defaults: require "capistrano\/sidekiq" in config\/deploy\.rb/.test(p.message)).map((p) => [p.file, p.line])).toEqual([["config/deploy.rb", 3]]);
  });
});

describe("a Capistrano 2 stage file dropped for declaring no server", () => {
  const lock = (gems: Record<string, string>) =>
    `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}`;
  const app = () =>
    memoryRepo({
      Capfile: "load 'deploy' if respond_to?(:namespace)\nload 'config/deploy'\n",
      "config/deploy.rb": 'set :application, "tally"\nset :stages, %w(batch demo)\nrequire \'capistrano/ext/multistage\'\n',
      // the batch stage's servers are gone: only its require is left
      "config/deploy/batch.rb": "require 'capistrano-resque-pool'\nrequire 'whenever/capistrano'\n# role :app, \"10.4.0.1\"\nset :rails_env, \"production\"\nafter 'deploy:restart' do\n  run \"cd #{current_path} && bundle exec unicorn -c config/unicorn_batch.rb -D\"\nend\n",
      "config/deploy/demo.rb": 'role :app, "10.5.0.1"\nset :rails_env, "production"\n',
      "config/resque-pool.yml": "tally_imports: 2\n",
      "config/unicorn_batch.rb": "worker_processes 7\n",
      "config/schedule.rb": 'every 1.day do\n  rake "tally:close"\nend\n',
      "Gemfile.lock": lock({ whenever: "0.9.7", resque: "1.27.4", "resque-pool": "0.6.0", "capistrano-resque-pool": "0.1.0", capistrano: "2.15.9", rails: "4.2.11", unicorn: "5.8.0" }),
    });

  it("its require does not start a pool on the stage that is left", async () => {
    const m = await analyzeFiles(app(), "tally");
    expect(m.stages.map((s) => s.name)).toEqual(["demo"]);
    expect(m.capistrano!.requires.map((r) => r.value)).not.toContain("capistrano-resque-pool");
    // the pool is carried from its config alone (nothing starts it), not as the plugin's
    const pool = m.workers!.filter((w) => w.name.startsWith("worker-resque-pool"));
    expect(pool.flatMap((w) => w.evidence.map((e) => e.value)).some((v) => /capistrano-resque-pool\)$/.test(v))).toBe(false);
    expect(m.problems.some((p) => /^cron\.whenever-not-invoked/.test(p.message))).toBe(true);
    // its unicorn start line names a config for no stage
    expect(m.appServers.filter((a) => a.file === "config/unicorn_batch.rb" && a.stages.includes("demo"))).toEqual([]);
  });
});

describe("a start line in a dropped stage's file", () => {
  it("names a config for no stage (not for every stage)", () => {
    const repo = memoryRepo({
      "config/deploy/batch.rb": 'after "deploy:restart" do\n  run "cd #{current_path} && bundle exec unicorn -c config/unicorn_batch.rb -D"\nend\n',
      "config/deploy/demo.rb": 'role :app, "10.5.0.1"\n',
      "config/unicorn_batch.rb": "worker_processes 7\n",
    });
    const ctx = { repo, problem: () => {} };
    expect(namedConfigs(ctx, [], ["batch", "demo"]).map((n) => [n.path, n.stage])).toEqual([["config/unicorn_batch.rb", "batch"]]);
    expect(namedConfigs(ctx, [], ["demo"], ["batch"])).toEqual([]);
  });
});
