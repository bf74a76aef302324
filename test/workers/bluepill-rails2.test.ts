// A Rails 2.3 app without Bundler: its gems are `config.gem` lines of config/environment.rb, its
// Capfile loads its own recipes from lib/recipes, and one of them loads the bluepill file named by
// the stage's Rails env (`bluepill load #{current_path}/config/#{rails_env}.pill`, rails_env set as a
// symbol). The pill's paths are constants. The delayed_job process it supervises is the worker:
// its command as real Ruby computes it (Bluepill's DSL stubbed: bluepill is not packaged), run in
// the foreground, and its stop_grace_time the drain. Files written for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const PILL = `ROOT = "/var/www/orchard"
CURRENT = "#{ROOT}/current"
ENVIRONMENT = "live"

Bluepill.application("orchard") do |app|
  app.process("jobs") do |process|
    process.working_dir = CURRENT
    process.start_command = "/usr/bin/env RAILS_ENV=#{ENVIRONMENT} ruby #{CURRENT}/script/delayed_job start"
    process.stop_command = "/usr/bin/env RAILS_ENV=#{ENVIRONMENT} ruby #{CURRENT}/script/delayed_job stop"
    process.stop_grace_time = 90.seconds
  end
end
`;

const RECIPE = `namespace :pill do
  task :boot, :roles => [:app] do
    sudo "bluepill load #{current_path}/config/#{rails_env}.pill"
  end
end
`;

function realPill(): { name: string; start: string; grace: number }[] {
  const dir = mkdtempSync(join(tmpdir(), "r2k-pill2-"));
  writeFileSync(join(dir, "live.pill"), PILL);
  const stub = `class Integer; def seconds = self; end
P = Struct.new(:name, :working_dir, :start_command, :stop_command, :stop_grace_time)
module Bluepill; @ps = []; def self.ps = @ps
  class App; def process(n) = (p = P.new(n); yield p; Bluepill.ps << p); end
  def self.application(_n, **_o) = yield(App.new)
end
load ARGV[0]
puts JSON.generate(Bluepill.ps.map { |p| { name: p.name, start: p.start_command, grace: p.stop_grace_time } })`;
  const r = spawnSync("ruby", ["-rjson", "-e", stub, join(dir, "live.pill")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("a bluepill file a Rails 2.3 recipe loads by rails_env", () => {
  it("its delayed_job process is the worker, declared by config.gem", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: "load 'deploy' if respond_to?(:namespace)\nDir['lib/recipes/*.rb'].each { |r| load(r) }\nload 'config/deploy'\n",
        "config/deploy.rb": 'set :application, "orchard"\nset :repository, "git@git.example.org:fruit/orchard.git"\nset :deploy_to, "/var/www/orchard"\nset :rails_env, :live\nrole :web, "o1.example.org"\nrole :app, "o1.example.org"\nrole :db, "o1.example.org", :primary => true\nafter "deploy:restart", "pill:boot"\n',
        "lib/recipes/pill.rb": RECIPE,
        "config/live.pill": PILL,
        "config/environment.rb": "RAILS_GEM_VERSION = '2.3.18'\nrequire File.join(File.dirname(__FILE__), 'boot')\nRails::Initializer.run do |config|\n  config.gem 'will_paginate', :version => '~> 2.3'\n  config.gem 'delayed_job', :version => '~>1.8.4'\nend\n",
        "config/environments/live.rb": "config.cache_classes = true\n",
        "script/delayed_job": "#!/usr/bin/env ruby\nrequire File.expand_path(File.join(File.dirname(__FILE__), '..', 'config', 'environment'))\nrequire 'delayed/command'\nDelayed::Command.new(ARGV).daemonize\n",
      }),
      "orchard",
    );
    const [real] = realPill();
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.carried).toBe(true);
    expect(w.commandSource).toEqual({ file: "config/live.pill", line: 8 });
    expect(w.evidence.map((e) => e.value)).toContain(real!.start);
    expect(w.evidence.map((e) => e.value).join("\n")).toMatch(/config\.gem "delayed_job" \(~>1\.8\.4\) in config\/environment\.rb/);
    expect(w.args[w.args.length - 1]).toBe("run");
    expect(w.stopTimeout.seconds).toBe(real!.grace);
    expect(w.roles).toEqual(["app"]);
  });
});
