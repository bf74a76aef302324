// The stock Rails 2 Capfile loads every recipe its vendored plugins ship:
// `Dir['vendor/plugins/*/recipes/*.rb'].each { |plugin| load(plugin) }`. Those recipes often carry
// the deploy's shape: a copy of capistrano-ext's multistage, `on :load` blocks that declare the roles
// from `set :host` (`role(:app) { host }`), a restart strategy. vendor/ is a tree the repo walk skips,
// so the files must be listed when the Capfile globs them. No oracle (Capistrano 2 is not
// installable here); the order is Capistrano 2's own, read in its source
// (capistrano/capistrano, lib/capistrano/cli/execute.rb: load_recipes, then trigger(:load), then the
// requested tasks, so a stage task's file loads after every `on :load` block ran;
// lib/capistrano/configuration/callbacks.rb: callbacks fire in the order defined;
// lib/capistrano/role.rb: a role's block is called when its servers are first listed).
// Fixture in our own words, modelled on a Rails 2 app of the corpus.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { analyzeDir } from "../../src/analyze.js";
import { analyze } from "./analyze.js";

const PLUGIN = "vendor/plugins/quay_recipes/recipes";
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "2.3.18"\n',
  "config/environment.rb": "RAILS_GEM_VERSION = '2.3.18'\n",
  Capfile: "load 'deploy' if respond_to?(:namespace)\nDir['vendor/plugins/*/recipes/*.rb'].each { |plugin| load(plugin) }\nload 'config/deploy'\n",
  [`${PLUGIN}/multistage.rb`]: [
    "# stage tasks from the files under config/deploy, as capistrano-ext does",
    "on :load do",
    "  where = fetch(:stage_dir, 'config/deploy')",
    "  set :stages, Dir[\"#{where}/*.rb\"].map { |f| File.basename(f, '.rb') } unless exists?(:stages)",
    "  stages.each do |name|",
    "    task(name) do",
    "      set :stage, name.to_sym",
    "      load \"#{where}/#{stage}\"",
    "    end",
    "  end",
    "end",
  ].join("\n"),
  [`${PLUGIN}/hosts.rb`]: [
    "set :restart_with, :passenger",
    "on :load do",
    "  role(:app) { host }",
    "  role(:web) { host }",
    "  role(:db, :primary => true) { host }",
    "  set(:rails_env) { fetch(:stage, 'production').to_s }",
    "  set(:branch) { fetch(:stage, 'trunk').to_s }",
    "end",
  ].join("\n"),
  [`${PLUGIN}/restarting.rb`]: [
    "on :load do",
    "  if fetch(:restart_with, :mongrel) == :passenger",
    "    load File.join(File.dirname(__FILE__), 'restart_with', 'passenger')",
    "  end",
    "end",
  ].join("\n"),
  [`${PLUGIN}/restart_with/passenger.rb`]: "namespace :deploy do\n  task :restart, :roles => :app do\n    run \"touch #{current_path}/tmp/restart.txt\"\n  end\nend\n",
  "vendor/plugins/quay_recipes/lib/quay.rb": "module Quay; end\n",
  "config/deploy.rb": 'set :application, "quayside"\nset :user, "deployer"\nset :branch, "main"\n',
  "config/deploy/production.rb": 'set :host, "quayside.example.org"\nset :deploy_to, "/srv/quayside"\n',
  "config/deploy/staging.rb": 'set :host, "staging.quayside.example.org"\nset :rails_env, "staging"\non :load do\n  set :branch, "late"\nend\n',
};

let root = "";
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "r2k-cap2-vendor-"));
  for (const [p, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("Capistrano 2: recipes the Capfile loads from vendor/plugins/*/recipes", () => {
  it("the vendored multistage makes the stages; `on :load` roles take each stage's host", async () => {
    const m = await analyzeDir(root);
    expect(m.stages.map((s) => s.name)).toEqual(["production", "staging"]);
    const servers = (st: string) => m.stages.find((s) => s.name === st)!.servers.map((s) => [s.host, s.roles, s.primary ?? false, s.source.file]);
    expect(servers("production")).toEqual([["quayside.example.org", ["app", "web", "db"], true, `${PLUGIN}/hosts.rb`]]);
    expect(servers("staging")).toEqual([["staging.quayside.example.org", ["app", "web", "db"], true, `${PLUGIN}/hosts.rb`]]);
    const v = (st: string, k: string) => m.stages.find((s) => s.name === st)!.variables[k];
    // `on :load` ran after config/deploy.rb (its lazy rails_env and branch win over deploy.rb's branch),
    // and the stage file after it (staging's own rails_env wins).
    expect([v("production", "rails_env")?.value, v("production", "rails_env")?.source.file]).toEqual(["production", `${PLUGIN}/hosts.rb`]);
    expect(v("production", "branch")?.value).toBe("production");
    expect(v("staging", "rails_env")?.value).toBe("staging");
    // a stage file's `on :load` is registered after :load fired: it never runs, and says so
    expect(v("staging", "branch")?.value).toBe("staging");
    expect(m.problems.some((p) => p.file === "config/deploy/staging.rb" && p.line === 3 && /on :load.*never runs/.test(p.message))).toBe(true);
  });

  it("the restart strategy the recipes load (a neighbour file, through File.dirname(__FILE__)) is the web server's evidence", async () => {
    const m = await analyzeDir(root);
    expect(m.webServer?.kind).toBe("passenger");
    expect(m.webServer?.evidence.some((e) => e.source.file === `${PLUGIN}/restart_with/passenger.rb`)).toBe(true);
    expect(m.capistrano?.tasks.some((t) => t.name === "deploy:restart" && t.source.file === `${PLUGIN}/restart_with/passenger.rb`)).toBe(true);
  });

  it("the evidence cites the line that restarts Passenger, not the strategy's `when :passenger` nor the task's desc text", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-cap2-vendor-case-"));
    try {
      const files: Record<string, string> = {
        ...FILES,
        [`${PLUGIN}/restarting.rb`]: ["on :load do", "  case fetch(:restart_with, :mongrel)", "  when :passenger", "    load File.join(File.dirname(__FILE__), 'restart_with', 'passenger')", "  end", "end"].join("\n"),
        [`${PLUGIN}/restart_with/passenger.rb`]: [
          "namespace :deploy do",
          "  desc <<-TEXT",
          "    Restarts the app: Passenger notices tmp/restart.txt and restarts",
          "    its processes on the next request.",
          "  TEXT",
          "  task :restart, :roles => :app do",
          '    run "touch #{File.join(current_path, \'tmp\', \'restart.txt\')}"',
          "  end",
          "end",
        ].join("\n"),
      };
      for (const [p, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, p)), { recursive: true });
        writeFileSync(join(dir, p), text);
      }
      const m = await analyzeDir(dir);
      expect(m.webServer?.kind).toBe("passenger");
      expect(m.webServer?.evidence[0]).toMatchObject({ source: { file: `${PLUGIN}/restart_with/passenger.rb`, line: 7 } });
      expect(m.webServer?.evidence[0]!.value).toMatch(/touch/);
      expect(m.webServer?.evidence.some((e) => /when :passenger|Restarts the app/.test(e.value))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("vendor/ stays out of every other reader: only the globbed recipes are read", async () => {
    const m = await analyzeDir(root);
    const cited = JSON.stringify(m);
    expect(cited).not.toContain("vendor/plugins/quay_recipes/lib");
  });

  it("in memory (paths hold everything), a role block that is not a known host stays a question", async () => {
    const r = await analyze({
      Capfile: FILES.Capfile!,
      [`${PLUGIN}/multistage.rb`]: FILES[`${PLUGIN}/multistage.rb`]!,
      [`${PLUGIN}/hosts.rb`]: "on :load do\n  role(:app) { ENV['APP_HOSTS'].split(',') }\nend\n",
      "config/deploy.rb": 'set :application, "quayside"\n',
      "config/deploy/production.rb": "set :deploy_to, '/srv/q'\n",
    });
    expect(r.stages.map((s) => s.name)).toEqual(["production"]);
    expect(r.stage("production").servers).toEqual([]);
    expect(r.stage("production").unread?.some((u) => u.what === "servers" && /APP_HOSTS/.test(u.message))).toBe(true);
  });
});
