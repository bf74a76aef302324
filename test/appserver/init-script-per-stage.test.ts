// Capistrano 2 multistage whose stages each link their own init script into /etc/init.d and start
// Unicorn through it (`run "/etc/init.d/unicorn_<app>-staging restart"`), each script naming its own
// config with `-c $APP_ROOT/config/<file>` (APP_ROOT set in the script). Each stage's numbers are its
// own script's config, as real Unicorn reads it, never another stage's file. App "harbor", written here.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));

const stageFile = (stage: string, suffix: string) =>
  [
    `server "${stage}.harbor.example.test", :web, :app, :db, primary: true`,
    `set :rails_env, "${stage}"`,
    "namespace :deploy do",
    "  %w[start stop restart].each do |command|",
    "    task command, roles: :app do",
    `      run "/etc/init.d/unicorn_#{application}${suffix} #{command}"`,
    "    end",
    "  end",
    "  task :setup_config, roles: :app do",
    `    sudo "ln -nfs #{current_path}/config/unicorn_init${suffix}.sh /etc/init.d/unicorn_#{application}${suffix}"`,
    "  end",
    '  after "deploy:setup", "deploy:setup_config"',
    "end",
    "",
  ].join("\n");

const initScript = (root: string, config: string, env: string) => `#!/bin/sh\nset -e\nAPP_ROOT=${root}/current\nPID=$APP_ROOT/tmp/pids/unicorn.pid\nCMD="cd $APP_ROOT; bundle exec unicorn -D -c $APP_ROOT/config/${config} -E ${env}"\ncase "$1" in\nstart)\n  $CMD\n  ;;\nesac\n`;

const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\n',
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  "config/deploy.rb": 'require "capistrano/ext/multistage"\nset :stages, %w(production staging)\nset :default_stage, "staging"\nset :application, "harbor"\nset :user, "deployer"\nset :deploy_to, "/home/deployer/apps/harbor"\n',
  "config/deploy/production.rb": stageFile("production", ""),
  "config/deploy/staging.rb": stageFile("staging", "-staging"),
  "config/unicorn_init.sh": initScript("/home/deployer/apps/harbor", "unicorn.rb", "production"),
  "config/unicorn_init-staging.sh": initScript("/home/deployer/apps/harbor-staging", "unicorn-staging.rb", "staging"),
  "config/unicorn.rb": "worker_processes 6\ntimeout 40\n",
  "config/unicorn-staging.rb": "worker_processes 3\ntimeout 25\n",
};

beforeAll(async () => {
  await initPrism();
});

describe("a per-stage init script linked into /etc/init.d", () => {
  it("each stage runs the config its own script's -c names, read as real Unicorn reads it", async () => {
    const root = mkdtempSync(join(tmpdir(), "r2k-harbor-"));
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    const m = await analyzeFiles(memoryRepo(FILES), "harbor");
    for (const [stage, file] of [["production", "config/unicorn.rb"], ["staging", "config/unicorn-staging.rb"]] as const) {
      const got = appServerFor(m, m.stages.find((s) => s.name === stage)!)!;
      const real = runRubyFile(join(here, "unicorn_oracle.rb"), [{ path: join(root, file), env: stage }])[0];
      expect(got.file).toBe(file);
      expect(got.workers?.value).toBe(real.worker_processes);
      expect(got.timeout?.value).toBe(real.timeout);
    }
  });
});
