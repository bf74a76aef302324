// A start line is evidence of a stage's RAILS_ENV only where that stage's run executes it
// (analyzers/appserver/start-line-scope.ts): a Capistrano 2 stage task's body is that stage's alone,
// a deploy file no stage loads is nobody's, a unit file counts on the stages whose deploy installs it.
// And what unicorn_rails itself does with `-E` next to a RAILS_ENV prefix (real /usr/bin/unicorn_rails).
// Oracles: real `cap` (Debian's Capistrano 3) prints what each stage's deploy runs; Capistrano 2 is
// not installable here, its stage tasks are read as v2.15's `task :name do … end` runs them.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { CAPFILE3 } from "./analyze.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { lineStartedEnv } from "../../analyzers/appserver/start-line-env.js";
import type { AppModel } from "../../src/model.js";

const CAPFILE2 = "load 'deploy'\nload 'config/deploy'\n";
const stage = (m: AppModel, name: string) => m.stages.find((s) => s.name === name)!;
const startHazards = (m: AppModel) => m.hazards.filter((h) => h.id === "stage.rails-env-start-line");

const writeApp = (files: Record<string, string>): string => {
  const dir = mkdtempSync(join(tmpdir(), "r2k-start-scope-"));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
};
const cap = (dir: string, ...args: string[]): string => {
  const run = spawnSync("cap", [...args, "--dry-run"], { cwd: dir, encoding: "utf8", input: "", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout + run.stderr;
};

describe("Capistrano 2: a line inside one stage task is that stage's alone", () => {
  // app "heron" (written here): two stage tasks in deploy.rb, each sets its own start command
  const heron = {
    Capfile: CAPFILE2,
    "config/deploy.rb": [
      "set :application, 'heron'",
      "set :repository, 'git@git.example.test:birds/heron.git'",
      "set :deploy_to, '/srv/heron'",
      "",
      "task :qa do",
      "  server 'heron-qa.example.test', :app, :web, :db, :primary => true",
      "  set :rails_env, 'qa'",
      "  set :app_start, 'RAILS_ENV=qa bundle exec unicorn_rails -c config/unicorn.rb -D'",
      "end",
      "",
      "task :live do",
      "  server 'heron1.example.test', :app, :web, :db, :primary => true",
      "  set :rails_env, 'production'",
      "  set :app_start, 'bundle exec unicorn_rails -c config/unicorn.rb -D -E #{rails_env}'",
      "end",
      "",
      "namespace :deploy do",
      "  task :start do",
      "    run \"cd #{current_path} && #{app_start}\"",
      "  end",
      "end",
    ].join("\n") + "\n",
    "config/unicorn.rb": "worker_processes 2\n",
  };

  it("qa's RAILS_ENV=qa does not reach live, whose stated production stands", async () => {
    const m = await analyzeFiles(memoryRepo(heron), "heron");
    expect(stage(m, "qa").startedEnv).toMatchObject({ env: "qa", source: { file: "config/deploy.rb", line: 8 } });
    expect(stage(m, "live").startedEnv).toBeUndefined();
    expect(startHazards(m)).toEqual([]);
  });
});

describe("Capistrano 2 multistage: a stage file no stage loads is nobody's evidence", () => {
  it("config/deploy/sandbox.rb, not in :stages, sets no stage's RAILS_ENV", async () => {
    const files = {
      Capfile: CAPFILE2,
      "config/deploy.rb": "require 'capistrano/ext/multistage'\nset :stages, %w(qa live)\nset :application, 'heron'\nset :deploy_to, '/srv/heron'\n",
      "config/deploy/qa.rb": "server 'heron-qa.example.test', :app, :web, :db, :primary => true\nset :rails_env, 'qa'\n",
      "config/deploy/live.rb": "server 'heron1.example.test', :app, :web, :db, :primary => true\nset :rails_env, 'production'\n",
      "config/deploy/sandbox.rb": "server 'heron-sb.example.test', :app, :web, :db, :primary => true\nnamespace :deploy do\n  task :start do\n    run \"cd #{current_path} && RAILS_ENV=sandbox bundle exec unicorn_rails -D\"\n  end\nend\n",
      "config/unicorn.rb": "worker_processes 2\n",
    };
    const m = await analyzeFiles(memoryRepo(files), "heron");
    expect(m.stages.map((s) => s.name).sort()).toEqual(["live", "qa"]);
    expect(stage(m, "qa").startedEnv).toBeUndefined();
    expect(stage(m, "live").startedEnv).toBeUndefined();
    expect(startHazards(m)).toEqual([]);
  });
});

describe("Capistrano 3: a unit counts on the stages whose deploy installs it (real cap)", () => {
  // app "plover" (written here): deploy.rb defines the task that installs the unit; only live.rb hooks it
  const plover = {
    Capfile: CAPFILE3,
    "config/deploy.rb": [
      "lock '~> 3.17'",
      "set :application, 'plover'",
      "set :repo_url, 'git@git.example.test:birds/plover.git'",
      "set :deploy_to, '/srv/plover'",
      "namespace :unit do",
      "  task :put do",
      "    on roles(:app) do",
      "      upload! 'config/systemd/plover-web.service', '/tmp/plover-web.service'",
      "      execute :sudo, :mv, '/tmp/plover-web.service', '/etc/systemd/system/plover-web.service'",
      "    end",
      "  end",
      "end",
    ].join("\n") + "\n",
    "config/deploy/live.rb": "server 'plover1.example.test', roles: %w[app web db]\nset :rails_env, 'production'\nafter 'deploy:published', 'unit:put'\n",
    "config/deploy/qa.rb": "server 'plover-qa.example.test', roles: %w[app web db]\nset :rails_env, 'qa'\n",
    "config/systemd/plover-web.service": "[Unit]\nDescription=plover web\n[Service]\nEnvironment=RAILS_ENV=production\nWorkingDirectory=/srv/plover/current\nExecStart=/usr/bin/bundle exec puma -C config/puma.rb\n",
  };

  it("live installs it and runs production; qa never installs it and keeps its stated qa", async () => {
    const dir = writeApp(plover);
    expect(cap(dir, "live", "deploy:published")).toContain("/etc/systemd/system/plover-web.service");
    expect(cap(dir, "qa", "deploy:published")).not.toContain("plover-web.service");
    const m = await analyzeFiles(memoryRepo(plover), "plover");
    expect(stage(m, "live").startedEnv).toMatchObject({ env: "production", source: { file: "config/systemd/plover-web.service", line: 4 } });
    expect(stage(m, "qa").startedEnv).toBeUndefined();
    expect(startHazards(m)).toEqual([]);
  });
});

describe("a start line whose stage scope is in doubt never overrides a stated rails_env", () => {
  it("a task file the Capfile never imports: qa keeps its stated qa, the hazard names the doubt", async () => {
    const files = {
      Capfile: CAPFILE3,
      "config/deploy.rb": "lock '~> 3.17'\nset :application, 'plover'\nset :repo_url, 'git@git.example.test:birds/plover.git'\nset :deploy_to, '/srv/plover'\n",
      "config/deploy/qa.rb": "server 'plover-qa.example.test', roles: %w[app web db]\nset :rails_env, 'qa'\n",
      "lib/capistrano/tasks/web.rake": "set :web_start, 'RAILS_ENV=production bundle exec unicorn_rails -D'\n",
      "config/unicorn.rb": "worker_processes 2\n",
    };
    const m = await analyzeFiles(memoryRepo(files), "plover");
    expect(stage(m, "qa").startedEnv).toMatchObject({ env: "production", doubt: expect.stringContaining("lib/capistrano/tasks/web.rake is not seen loaded") });
    const h = startHazards(m);
    expect(h.map((x) => `${x.source.file}:${x.source.line}`)).toEqual(["lib/capistrano/tasks/web.rake:1"]);
    expect(h[0]!.message).toContain("the overlay runs RAILS_ENV=qa");
    expect(h[0]!.message).toContain("is in doubt");
  });
});

describe("unicorn_rails: `-E` sets RAILS_ENV after the shell's prefix (real unicorn_rails)", () => {
  it("RAILS_ENV=staging unicorn_rails -E production -E qa runs qa", () => {
    const dir = writeApp({ "config.ru": "run ->(e) { [200, {}, ['ok']] }\n", "probe.rb": "warn \"R2K-RAILS-ENV #{ENV['RAILS_ENV']}\"\nexit!(0)\n" });
    const r = spawnSync("unicorn_rails", ["-E", "production", "-E", "qa", "-c", "probe.rb", "-l", "127.0.0.1:0"], { cwd: dir, encoding: "utf8", timeout: 30000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, RAILS_ENV: "staging" } });
    expect(r.stderr).toContain("R2K-RAILS-ENV qa");
    expect(lineStartedEnv("RAILS_ENV=staging bundle exec unicorn_rails -E production -E qa -c probe.rb")).toMatchObject({ env: "qa", sets: true });
    expect(lineStartedEnv("RAILS_ENV=#{fetch(:rails_env)} bundle exec unicorn_rails -c config/unicorn.rb -E production -D")).toMatchObject({ env: "production", sets: true, how: "`unicorn_rails -E production`" });
    expect(lineStartedEnv("RAILS_ENV=staging bundle exec unicorn_rails -E #{fetch(:rails_env)} -D")).toBeNull();
    // `rails s -e`: the prefix is set first and `||=` keeps it
    expect(lineStartedEnv("RAILS_ENV=staging bundle exec rails s -e production")).toMatchObject({ env: "staging" });
  });

  it("a shared start line `RAILS_ENV=#{fetch(:rails_env)} … unicorn_rails -E production` ran production on qa too (real cap)", async () => {
    const files = {
      Capfile: CAPFILE3,
      "config/deploy.rb": [
        "lock '~> 3.17'",
        "set :application, 'plover'",
        "set :repo_url, 'git@git.example.test:birds/plover.git'",
        "set :deploy_to, '/srv/plover'",
        "namespace :web do",
        "  task :boot do",
        "    on roles(:app) do",
        "      execute \"cd #{current_path} && RAILS_ENV=#{fetch(:rails_env)} bundle exec unicorn_rails -c config/unicorn.rb -E production -D\"",
        "    end",
        "  end",
        "end",
        "after 'deploy:published', 'web:boot'",
      ].join("\n") + "\n",
      "config/deploy/qa.rb": "server 'plover-qa.example.test', roles: %w[app web db]\nset :rails_env, 'qa'\n",
      "config/unicorn.rb": "worker_processes 2\n",
    };
    expect(cap(writeApp(files), "qa", "deploy:published")).toContain("RAILS_ENV=qa bundle exec unicorn_rails -c config/unicorn.rb -E production -D");
    const m = await analyzeFiles(memoryRepo(files), "plover");
    expect(stage(m, "qa").startedEnv).toMatchObject({ env: "production", how: "`unicorn_rails -E production`", source: { file: "config/deploy.rb", line: 8 } });
    expect(startHazards(m).map((h) => h.message)).toEqual([expect.stringContaining("sets RAILS_ENV=production, over the deploy's rails_env \"qa\"")]);
  });
});
