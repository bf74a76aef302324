// Capistrano 2 recipe folders (config/recipes/*.rb, the Railscasts layout seen in real repos): a
// base.rb defines `set_default` (set unless already set) and a `template` helper rendering
// config/recipes/templates/*.erb; unicorn.rb sets its variables with set_default and uploads
// templates/unicorn.erb to shared/config/unicorn.rb, which the init script starts Unicorn with.
// set_default was read as doing nothing and `unicorn.erb` not as a Unicorn config, so the stage
// ran "no Unicorn config" (Unicorn's defaults: 1 worker, 60 s). Judged by loading the recipes in a
// Capistrano 2 variable store (cap2_recipes_oracle.rb: the repo's own helpers run) and reading the
// upload with Unicorn::Configurator.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
beforeAll(async () => {
  await initPrism();
});

const FILES: Record<string, string> = {
  Capfile: "load 'deploy'\nload 'deploy/assets'\nload 'config/deploy'\n",
  "config/deploy.rb": [
    'require "bundler/capistrano"',
    'set :unicorn_timeout, 45 # before the recipe: its set_default keeps this',
    'load "config/recipes/base"',
    'load "config/recipes/unicorn"',
    'set :application, "ferry"',
    'set :user, "deploy"',
    'set :deploy_to, "/home/#{user}/apps/#{application}"',
    'set :unicorn_workers, 3 # after the recipe: overrides its default',
    'server "ferry.example.org", :web, :app, :db, primary: true',
    "",
  ].join("\n"),
  "config/recipes/base.rb": [
    "def template(from, to)",
    '  erb = File.read(File.expand_path("../templates/#{from}", __FILE__))',
    "  put ERB.new(erb).result(binding), to",
    "end",
    "",
    "def set_default(name, *args, &block)",
    "  set(name, *args, &block) unless exists?(name)",
    "end",
    "",
  ].join("\n"),
  "config/recipes/unicorn.rb": [
    'set_default(:unicorn_pid) { "#{current_path}/tmp/pids/unicorn.pid" }',
    'set_default(:unicorn_config) { "#{shared_path}/config/unicorn.rb" }',
    "set_default :unicorn_workers, 2",
    "set_default :unicorn_timeout, 30",
    "",
    "namespace :unicorn do",
    "  task :setup, roles: :app do",
    '    run "mkdir -p #{shared_path}/config"',
    '    template "unicorn.erb", unicorn_config',
    '    template "unicorn_init.erb", "/tmp/unicorn_init"',
    '    run "#{sudo} mv /tmp/unicorn_init /etc/init.d/unicorn_#{application}"',
    "  end",
    '  after "deploy:setup", "unicorn:setup"',
    "",
    "  %w[start stop restart].each do |command|",
    "    task command, roles: :app do",
    '      run "service unicorn_#{application} #{command}"',
    "    end",
    '    after "deploy:#{command}", "unicorn:#{command}"',
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/recipes/templates/unicorn.erb": [
    'working_directory "<%= current_path %>"',
    'pid "<%= unicorn_pid %>"',
    'listen "/tmp/unicorn.<%= application %>.sock"',
    "worker_processes <%= unicorn_workers %>",
    "timeout <%= unicorn_timeout %>",
    "preload_app true",
    "",
  ].join("\n"),
  "config/recipes/templates/unicorn_init.erb": [
    "#!/bin/sh",
    'CMD="cd <%= current_path %>; bundle exec unicorn -D -c <%= unicorn_config %> -E production"',
    'case "$1" in start) su - <%= user %> -c "$CMD" ;; esac',
    "",
  ].join("\n"),
  // a leftover the servers never used
  "config/unicorn.rb": "worker_processes 8\ntimeout 15\n",
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    rails (4.2.11)\n    unicorn (5.4.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  rails\n  unicorn\n",
};

describe("Capistrano 2 recipes: set_default and templates/unicorn.erb", () => {
  it("the stage runs the rendered templates/unicorn.erb with the values set_default leaves, as Unicorn reads the upload", async () => {
    const root = mkdtempSync(join(tmpdir(), "r2k-cap2-recipes-"));
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    const cap2 = runRubyFile(join(here, "cap2_recipes_oracle.rb"), { root, file: "config/deploy.rb", task: "unicorn:setup" });
    const config = cap2.vars.unicorn_config as string;
    expect(config).toBe("/home/deploy/apps/ferry/shared/config/unicorn.rb");
    const uploaded = join(root, "uploaded-unicorn.rb");
    writeFileSync(uploaded, cap2.uploads[config]);
    const [real] = runRubyFile(join(here, "unicorn_oracle.rb"), [uploaded]);

    const m = await analyzeFiles(memoryRepo(FILES), "ferry");
    const stage = m.stages.find((s) => s.name === "production")!;
    for (const k of ["unicorn_config", "unicorn_pid", "unicorn_workers", "unicorn_timeout"]) expect([k, stage.variables[k]?.value]).toEqual([k, cap2.vars[k]]);
    const ours = m.appServers.find((s) => s.kind === "unicorn" && s.stages.includes("production"))!;
    expect(ours.file).toBe("config/recipes/templates/unicorn.erb");
    expect(ours.workers?.value).toBe(real.worker_processes);
    expect(ours.timeout?.value).toBe(real.timeout);
    expect(ours.pid?.value).toBe(real.pid);
    expect(ours.workers?.source).toEqual({ file: "config/recipes/templates/unicorn.erb", line: 4 });
    // set_default is followed, never reported as a call the analysis skipped
    expect(m.problems.filter((p) => /set_default/.test(p.message))).toEqual([]);
  });

  it("a repo `set_default` that sets nothing is not taken as one that does", async () => {
    const files = { ...FILES, "config/recipes/base.rb": FILES["config/recipes/base.rb"]!.replace("  set(name, *args, &block) unless exists?(name)", '  logger.info("default for #{name}")') };
    const m = await analyzeFiles(memoryRepo(files), "ferry");
    const stage = m.stages.find((s) => s.name === "production")!;
    expect(stage.variables["unicorn_config"]).toBeUndefined();
    expect(m.problems.some((p) => p.file === "config/recipes/unicorn.rb" && /set_default/.test(p.message))).toBe(true);
  });
});
