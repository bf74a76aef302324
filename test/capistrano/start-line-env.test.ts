// The environment an app server's own start line names (`unicorn_rails -E staging`, `RAILS_ENV=x
// bundle exec unicorn`, `puma -e x`, `rails s -e x`) is evidence of what the servers ran, per stage
// (audit s30 B3, second half). Where the stage's rails_env is only a default or a fallback it is the
// stage's RAILS_ENV, cited to its line; where it disagrees with a stated `set :rails_env`, that is
// hazard stage.rails-env-start-line, and the overlay follows what the process really got.
// Oracles: real `cap` (Debian's Capistrano 3) prints the command it runs and the rails_env its tasks
// use; Capistrano 2 is not installable here, so its shape is read as hooked-rails-env.test.ts reads it
// (v2.15.4's `_cset :rails_env, "production"`, `run` commands given to the shell as written).
// Which variable each form sets is read from the programs installed here: /usr/bin/unicorn_rails
// (`ENV['RAILS_ENV'] = e`), /usr/bin/unicorn (`ENV["RACK_ENV"] = e`), puma 5.6 Launcher
// (`ENV['RACK_ENV'] = environment`), railties 6.1 ServerCommand (`ENV["RAILS_ENV"] ||= …`).
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { CAPFILE3 } from "./analyze.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { lineStartedEnv } from "../../analyzers/appserver/start-line-env.js";
import type { AppModel } from "../../src/model.js";

const CAPFILE2 = "load 'deploy'\nload 'config/deploy'\n";

/** An app "finch" (written here), deployed with Capistrano 2 multistage; `stageFiles` are its stage files. */
const finch2 = (stageFiles: Record<string, string>): Record<string, string> => ({
  Capfile: CAPFILE2,
  "config/deploy.rb": [
    "require 'capistrano/ext/multistage'",
    `set :stages, %w(${Object.keys(stageFiles).join(" ")})`,
    "set :application, 'finch'",
    "set :repository, 'git@git.example.test:birds/finch.git'",
    "set :deploy_to, '/srv/finch'",
  ].join("\n") + "\n",
  ...Object.fromEntries(Object.entries(stageFiles).map(([n, t]) => [`config/deploy/${n}.rb`, t])),
  "config/unicorn.rb": "worker_processes 2\ntimeout 30\n",
});

/** A Capistrano 2 stage file that starts Unicorn itself, with `start` as the command. */
const startingStage = (host: string, start: string) =>
  [
    `server '${host}', :web, :app, :db, :primary => true`,
    "",
    "namespace :deploy do",
    "  task :start, :roles => :app do",
    `    run "${start}"`,
    "  end",
    "end",
  ].join("\n") + "\n";

const envLine = (m: AppModel, stage: string) => emitKustomize(m, {} as any).files.find((f) => f.path === `k8s/overlays/${stage}/config.env`)!.content.match(/^RAILS_ENV=.*$/m)?.[0];
const envRow = (m: AppModel, stage: string) => emitKustomize(m, {} as any).provenance.find((p) => p.output === `k8s/overlays/${stage}/config.env` && p.what.startsWith("RAILS_ENV="))!;

describe("what a start line says, read as the programs read their options", () => {
  it.each([
    ["cd #{current_path} && bundle exec unicorn_rails -c config/unicorn.rb -E staging -D", { env: "staging", variable: "RAILS_ENV", sets: true }],
    ["unicorn_rails --env=qa -D", { env: "qa", variable: "RAILS_ENV", sets: true }],
    ["cd /srv/x/current && RAILS_ENV=staging bundle exec unicorn -c config/unicorn.rb -D", { env: "staging", variable: "RAILS_ENV", sets: true }],
    ["env RAILS_ENV=beta bundle exec puma -C config/puma.rb", { env: "beta", variable: "RAILS_ENV", sets: true }],
    ["ExecStart=/usr/local/bin/bundle exec unicorn -c config/unicorn.rb -E staging", { env: "staging", variable: "RACK_ENV", sets: false }],
    ["bundle exec puma -e staging -b unix:///tmp/p.sock", { env: "staging", variable: "RACK_ENV", sets: false }],
    ["bundle exec puma --environment=staging", { env: "staging", variable: "RACK_ENV", sets: false }],
    ["bundle exec rails s -e staging -d -p 3000", { env: "staging", variable: "RAILS_ENV", sets: false }],
    ["bundle exec rails server --environment staging", { env: "staging", variable: "RAILS_ENV", sets: false }],
    // SSHKit's argument lists
    ["execute :unicorn_rails, '-D', '-E staging', '-c config/unicorn.rb'", { env: "staging", variable: "RAILS_ENV", sets: true }],
    ["execute(:bundle, 'exec', 'unicorn_rails', '-E', 'staging', '-c',", { env: "staging", variable: "RAILS_ENV", sets: true }],
  ])("%s", (line, want) => {
    expect(lineStartedEnv(line)).toMatchObject(want);
  });

  it.each([
    // interpolated from the deploy's own rails_env: not independent evidence
    "cd #{current_path} && bundle exec unicorn_rails -c config/unicorn.rb -E #{rails_env} -D",
    "bundle exec unicorn -c config/unicorn.rb -E #{fetch(:rails_env)} -D",
    "RAILS_ENV=#{rails_env} bundle exec unicorn -c config/unicorn.rb -E staging -D",
    "bundle exec unicorn -E <%= fetch(:rails_env) %> -c x.rb",
    "$DAEMON -E $RAILS_ENV -c $CONF",
    // Rack's presets, not a Rails environment
    "bundle exec unicorn -c config/unicorn/production.rb -E deployment -D",
    // RAILS_ENV for another command of the line, not the server
    "RAILS_ENV=staging bundle exec rake assets:precompile && bundle exec unicorn -c config/unicorn.rb -D",
    "unicorn_rails -c config/unicorn.rb -D",
    "kill -USR2 `cat tmp/pids/unicorn.pid`",
    'execute :bundle, :exec, :unicorn, "-c", fetch(:unicorn_config_path), "-E", fetch(:unicorn_rack_env), "-D"',
    "web: bundle exec puma -t 5:5 -p ${PORT:-3000} -e ${RACK_ENV:-development}",
  ])("nothing from %s", (line) => {
    expect(lineStartedEnv(line)).toBeNull();
  });
});

describe("Capistrano 2: the start line is the evidence where rails_env is only the default", () => {
  it("a stage-only `unicorn_rails -E staging` is stage beta's RAILS_ENV, cited to its line, not the stage's name", async () => {
    const m = await analyzeFiles(memoryRepo(finch2({
      production: "server 'finch1.example.test', :web, :app, :db, :primary => true\n",
      beta: startingStage("finch-beta.example.test", "cd #{current_path} && bundle exec unicorn_rails -c config/unicorn.rb -E staging -D"),
    })), "finch");
    const beta = m.stages.find((s) => s.name === "beta")!;
    expect(beta.variables["rails_env"]).toMatchObject({ value: "production", defaultOf: "Capistrano 2" });
    expect(envLine(m, "beta")).toBe("RAILS_ENV=staging");
    expect(envRow(m, "beta").source).toEqual({ file: "config/deploy/beta.rb", line: 5 });
    expect(envRow(m, "beta").what).toContain("`unicorn_rails -E staging`");
    // the line is beta's alone: production keeps Capistrano 2's production
    expect(envLine(m, "production")).toBe("RAILS_ENV=production");
    expect(m.stages.find((s) => s.name === "production")!.startedEnv).toBeUndefined();
    const h = m.hazards.filter((x) => x.id === "stage.rails-env-cap2-default");
    expect(h.map((x) => `${x.source.file}:${x.source.line}`)).toEqual(["config/deploy/beta.rb:5"]);
    expect(h[0]!.message).toContain("start line `unicorn_rails -E staging` (config/deploy/beta.rb:5), which started the app with it");
    expect(h[0]!.message).toContain("migrations may have used different database sections");
    // the Unicorn config is read for the env the process had
    expect(m.appServers.filter((a) => a.file === "config/unicorn.rb" && a.stages.includes("beta")).map((a) => a.env)).not.toContain("beta");
  });

  it("a staging-only stage: RAILS_ENV=staging as before, now from the start line, over the stage's name", async () => {
    const m = await analyzeFiles(memoryRepo(finch2({
      staging: startingStage("finch-stg.example.test", "cd #{current_path} && bundle exec unicorn_rails -c config/unicorn.rb -E staging -D"),
    })), "finch");
    expect(envLine(m, "staging")).toBe("RAILS_ENV=staging");
    expect(envRow(m, "staging")).toMatchObject({ source: { file: "config/deploy/staging.rb", line: 5 } });
    expect(envRow(m, "staging").what).toContain("started the app with it");
  });

  it("the start line's RAILS_ENV wins over default_environment's: the line sets it last", async () => {
    const stage = "set :default_environment, { 'RAILS_ENV' => 'beta' }\n" + startingStage("finch-beta.example.test", "cd #{current_path} && RAILS_ENV=staging bundle exec unicorn -c config/unicorn.rb -D");
    const m = await analyzeFiles(memoryRepo(finch2({ beta: stage })), "finch");
    expect(envLine(m, "beta")).toBe("RAILS_ENV=staging");
    expect(envRow(m, "beta").source).toEqual({ file: "config/deploy/beta.rb", line: 6 });
  });

  it("plain unicorn's -E (RACK_ENV) does not outrank the RAILS_ENV default_environment exported", async () => {
    const stage = "set :default_environment, { 'RAILS_ENV' => 'beta' }\n" + startingStage("finch-beta.example.test", "cd #{current_path} && bundle exec unicorn -c config/unicorn.rb -E staging -D");
    const m = await analyzeFiles(memoryRepo(finch2({ beta: stage })), "finch");
    expect(envLine(m, "beta")).toBe("RAILS_ENV=beta");
    expect(m.hazards.filter((x) => x.id === "stage.rails-env-start-line").map((x) => x.message)).toEqual([expect.stringContaining("gives RACK_ENV=staging")]);
  });

  it("`-E #{rails_env}` is the deploy's own value again: nothing changes", async () => {
    const m = await analyzeFiles(memoryRepo(finch2({
      beta: startingStage("finch-beta.example.test", "cd #{current_path} && bundle exec unicorn_rails -c config/unicorn.rb -E #{rails_env} -D"),
    })), "finch");
    expect(m.stages[0]!.startedEnv).toBeUndefined();
    expect(envLine(m, "beta")).toBe("RAILS_ENV=beta");
  });
});

describe("Capistrano 3: a start line against a stated rails_env (real cap)", () => {
  /** An app "wren" (written here): staging.rb sets production, and its own task starts Unicorn with `start`. */
  const wren = (start: string): Record<string, string> => ({
    Capfile: CAPFILE3,
    "config/deploy.rb": "lock '~> 3.17'\nset :application, 'wren'\nset :repo_url, 'git@git.example.test:birds/wren.git'\nset :deploy_to, '/srv/wren'\n",
    "config/deploy/staging.rb": [
      "set :rails_env, 'production'",
      "server 'wren-stg.example.test', roles: %w[web app db]",
      "",
      "namespace :deploy do",
      "  task :start_app do",
      "    on roles(:app) do",
      `      execute "${start}"`,
      "    end",
      "  end",
      "  task :show_env do",
      '    puts "R2K-ENV #{fetch(:rails_env)}"',
      "  end",
      "end",
    ].join("\n") + "\n",
    "config/unicorn.rb": "worker_processes 2\n",
  });
  const cap = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-start-env-"));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const run = spawnSync("cap", ["staging", "deploy:show_env", "deploy:start_app", "--dry-run"], { cwd: dir, encoding: "utf8", input: "", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout;
  };

  it("`unicorn_rails -E staging` sets RAILS_ENV itself: the app ran staging, the overlay runs it, and the set is a hazard", async () => {
    const files = wren("cd #{current_path} && bundle exec unicorn_rails -c config/unicorn.rb -E staging -D");
    const out = cap(files);
    expect(out).toContain("R2K-ENV production");
    expect(out).toContain("cd /srv/wren/current && bundle exec unicorn_rails -c config/unicorn.rb -E staging -D");
    const m = await analyzeFiles(memoryRepo(files), "wren");
    expect(m.stages[0]!.variables["rails_env"]!.value).toBe("production");
    expect(envLine(m, "staging")).toBe("RAILS_ENV=staging");
    expect(envRow(m, "staging").source).toEqual({ file: "config/deploy/staging.rb", line: 7 });
    const h = m.hazards.filter((x) => x.id === "stage.rails-env-start-line");
    expect(h.map((x) => `${x.source.file}:${x.source.line}`)).toEqual(["config/deploy/staging.rb:7"]);
    expect(h[0]!.message).toContain('over the deploy\'s rails_env "production" (config/deploy/staging.rb:1)');
  });

  it("plain `unicorn -E staging` gives RACK_ENV only: the stated production stands, the doubt is named", async () => {
    const files = wren("cd #{current_path} && bundle exec unicorn -c config/unicorn.rb -E staging -D");
    expect(cap(files)).toContain("bundle exec unicorn -c config/unicorn.rb -E staging -D");
    const m = await analyzeFiles(memoryRepo(files), "wren");
    expect(envLine(m, "staging")).toBe("RAILS_ENV=production");
    const h = m.hazards.filter((x) => x.id === "stage.rails-env-start-line");
    expect(h).toHaveLength(1);
    expect(h[0]!.message).toContain("gives RACK_ENV=staging");
    expect(h[0]!.message).toContain("not in the repo");
  });

  it("`-E #{fetch(:rails_env)}` is what cap fills in from rails_env: no evidence, no hazard", async () => {
    const files = wren("cd #{current_path} && bundle exec unicorn_rails -c config/unicorn.rb -E #{fetch(:rails_env)} -D");
    expect(cap(files)).toContain("-E production -D");
    const m = await analyzeFiles(memoryRepo(files), "wren");
    expect(envLine(m, "staging")).toBe("RAILS_ENV=production");
    expect(m.hazards.filter((x) => x.id === "stage.rails-env-start-line")).toEqual([]);
  });
});

describe("service files per stage, and lines that disagree", () => {
  it("a unit named for one stage is that stage's; a shared task's line is every other stage's", async () => {
    const files = finch2({
      production: "server 'finch1.example.test', :web, :app, :db, :primary => true\n",
      qa: "server 'finch-qa.example.test', :web, :app, :db, :primary => true\n",
    });
    files["config/systemd/unicorn-qa.service"] = "[Service]\nWorkingDirectory=/srv/finch/current\nExecStart=/usr/bin/env RAILS_ENV=staging bundle exec unicorn -c config/unicorn.rb\n";
    files["config/systemd/unicorn.service"] = "[Service]\nWorkingDirectory=/srv/finch/current\nExecStart=/usr/bin/env RAILS_ENV=production bundle exec unicorn -c config/unicorn.rb\n";
    const m = await analyzeFiles(memoryRepo(files), "finch");
    expect(m.stages.find((s) => s.name === "qa")!.startedEnv).toMatchObject({ env: "staging", source: { file: "config/systemd/unicorn-qa.service", line: 3 } });
    expect(m.stages.find((s) => s.name === "production")!.startedEnv).toMatchObject({ env: "production", source: { file: "config/systemd/unicorn.service", line: 3 } });
    expect(envLine(m, "qa")).toBe("RAILS_ENV=staging");
  });

  it("a unit's Environment=RAILS_ENV is its ExecStart's environment, over the line's puma -e", async () => {
    const files = finch2({ qa: "server 'finch-qa.example.test', :web, :app, :db, :primary => true\n" });
    files["config/systemd/puma.service"] = "[Service]\nEnvironment=RAILS_ENV=staging\nWorkingDirectory=/srv/finch/current\nExecStart=/usr/bin/bundle exec puma -e production -C config/puma.rb\n";
    // the deploy installs the unit: it is what the servers ran
    files["config/deploy.rb"] += "task :install_unit do\n  upload 'config/systemd/puma.service', '/etc/systemd/system/puma.service'\nend\n";
    const m = await analyzeFiles(memoryRepo(files), "finch");
    expect(m.stages[0]!.startedEnv).toMatchObject({ env: "staging", variable: "RAILS_ENV", sets: true, source: { file: "config/systemd/puma.service", line: 2 } });
    expect(envLine(m, "qa")).toBe("RAILS_ENV=staging");
  });

  it("a unit lying outside the deploy does not override a stated rails_env: a doubt, named", async () => {
    const files = finch2({ staging: "set :rails_env, 'staging'\nserver 'finch-stg.example.test', :web, :app, :db, :primary => true\n" });
    files["trial/systemd/puma.service"] = "[Service]\nEnvironment=RAILS_ENV=production\nExecStart=/usr/bin/bundle exec puma -C config/puma.rb\n";
    const m = await analyzeFiles(memoryRepo(files), "finch");
    expect(m.stages[0]!.startedEnv).toMatchObject({ env: "production", sets: true, byDeploy: false });
    expect(envLine(m, "staging")).toBe("RAILS_ENV=staging");
    const h = m.hazards.filter((x) => x.id === "stage.rails-env-start-line");
    expect(h.map((x) => `${x.source.file}:${x.source.line}`)).toEqual(["trial/systemd/puma.service:2"]);
    expect(h[0]!.message).toContain("nothing in the deploy is seen to install or run that file");
    // nor does it stand in where nothing states the env: the stage's name stays, the unit is named
    const bare = finch2({ qa: "server 'finch-qa.example.test', :web, :app, :db, :primary => true\n" });
    bare["trial/systemd/puma.service"] = files["trial/systemd/puma.service"]!;
    const b = await analyzeFiles(memoryRepo(bare), "finch");
    expect(envLine(b, "qa")).toBe("RAILS_ENV=qa");
    const bh = b.hazards.filter((x) => x.id === "stage.rails-env-start-line");
    expect(bh.map((x) => `${x.source.file}:${x.source.line}`)).toEqual(["trial/systemd/puma.service:2"]);
    expect(bh[0]!.message).toContain("the overlay runs RAILS_ENV=qa from the stage's name");
  });

  it("shared lines naming two environments decide nothing, and say so", async () => {
    const files = finch2({ qa: "server 'finch-qa.example.test', :web, :app, :db, :primary => true\n" });
    files["config/deploy.rb"] += "namespace :deploy do\n  task :start do\n    run \"cd #{current_path} && bundle exec unicorn_rails -E staging -D\"\n  end\n  task :start_live do\n    run \"cd #{current_path} && bundle exec unicorn_rails -E production -D\"\n  end\nend\n";
    const m = await analyzeFiles(memoryRepo(files), "finch");
    expect(m.stages[0]!.startedEnv).toBeUndefined();
    expect(envLine(m, "qa")).toBe("RAILS_ENV=qa");
    expect(m.problems.filter((p) => p.message.startsWith("appserver.start-line-envs:")).map((p) => `${p.file}:${p.line}`)).toEqual(["config/deploy.rb:8"]);
  });
});
