// A bluepill file the deploy loads on one role (`bin/bluepill load …/config/live.pill` in a
// Capistrano 2 task with `roles: [:jobs]`) ran its processes there: a loop of delayed_job processes
// is the worker (count per server, drain = stop_grace_time), and a daemon no backend claims is named
// as not carried. An eye file cites its process on the Sidekiq worker. Judged by real Ruby running the
// pill file with Bluepill's DSL stubbed (bluepill is not packaged in Debian), counting the processes
// and reading each one's start command. Files written for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";

const PILL = `Bluepill.application("ledger") do |app|
  app.process("ledger-poller") do |p|
    p.working_dir = "/srv/ledger/current"
    p.start_command = "./bin/poller --every 30"
    p.stop_grace_time = 20.seconds
    p.daemonize = true
  end
  (1..4).each do |n|
    app.process("ledger-dj.#{n}") do |p|
      p.working_dir = "/srv/ledger/current"
      p.start_command = "./bin/delayed_job start -i #{n}"
      p.stop_command = "./bin/delayed_job stop -i #{n}"
      p.stop_grace_time = 45.seconds
    end
  end
end
`;

const DEPLOY = `require "bundler/capistrano"
server "a1.ledger.example.org", :app, :web, :db, primary: true
server "b1.ledger.example.org", :app, :web, :jobs
server "b2.ledger.example.org", :app, :jobs
set :application, "ledger"
set :repository, "git@git.example.org:ops/ledger.git"
set :deploy_to, "/srv/ledger"
after "deploy:update", "supervisor:start"
namespace :supervisor do
  task :start, roles: [:jobs] do
    run "cd #{current_path} && bin/bluepill --no-privileged load #{current_path}/config/live.pill"
  end
end
`;

const lock = (gems: Record<string, string>) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.5.10\n`;
const gems = { rails: "6.1.7", puma: "6.4.2", pg: "1.5.6", delayed_job: "4.1.11", delayed_job_active_record: "4.1.8", daemons: "1.4.1" };

/** Real Ruby runs the pill with Bluepill stubbed: each process's name and start command. */
function realPill(): { name: string; start: string; grace: number }[] {
  const dir = mkdtempSync(join(tmpdir(), "r2k-pill-"));
  writeFileSync(join(dir, "live.pill"), PILL);
  const stub = `class Integer; def seconds = self; end
P = Struct.new(:name, :working_dir, :start_command, :stop_command, :stop_grace_time, :daemonize)
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

describe("bluepill and eye files the deploy loads", () => {
  it("a loop of delayed_job processes is the worker on the load's role; the poller is named", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: 'load "deploy"\nload "config/deploy"\n',
        "config/deploy.rb": DEPLOY,
        "config/live.pill": PILL,
        "bin/delayed_job": "#!/usr/bin/env ruby\nrequire File.expand_path(File.join(File.dirname(__FILE__), '..', 'config', 'environment'))\nrequire 'delayed/command'\nDelayed::Command.new(ARGV).daemonize\n",
        "bin/poller": "#!/usr/bin/env ruby\nloop { sleep 30 }\n",
        Gemfile: `source "https://rubygems.org"\n${Object.keys(gems).map((g) => `gem "${g}"`).join("\n")}\n`,
        "Gemfile.lock": lock(gems),
        "config/puma.rb": "threads 5, 5\n",
      }),
      "ledger",
    );
    const real = realPill();
    const dj = real.filter((p) => p.start.includes("delayed_job"));
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.carried).toBe(true);
    expect(w.roles).toEqual(["jobs"]);
    expect(w.processesPerServer?.value).toBe(dj.length);
    expect(w.stopTimeout.seconds).toBe(dj[0]!.grace);
    expect(w.evidence.map((e) => e.value).join("\n")).toMatch(/config\/deploy\.rb:11 loads config\/live\.pill \(bluepill\) on roles\(:jobs\)/);
    const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
    expect(spec.stages.map((s) => s.replicas)).toEqual([2 * dj.length]);
    const others = real.filter((p) => !p.start.includes("delayed_job"));
    for (const o of others) {
      const u = m.uncarried!.find((x) => x.name === o.name)!;
      expect(u.source).toEqual({ file: "config/live.pill", line: 4 });
      expect(u.why).toMatch(/bluepill process of config\/live\.pill, which the deploy loads \(config\/deploy\.rb:11\) on roles\(:jobs\)/);
    }
  });
});

// An eye file whose commands use locals assigned at its top (`app_root = "/srv/atlas/current"`):
// Ruby's blocks see them, so they are the file's values. The command is the one real Ruby computes
// with Eye's DSL stubbed (eye is not packaged); a local the file does not state is named with its line.
const EYE = `app_root = "/srv/atlas/current"
feed_root = ENV.fetch("FEED_ROOT")
Eye.application "atlas" do
  working_dir app_root
  process :resque_mail do
    pid_file "tmp/pids/resque_mail.pid"
    start_command "/bin/sh -c 'cd #{app_root} && QUEUE=mail,digest bundle exec rake resque:work'"
    stop_grace 30.seconds
  end
  process :indexer do
    start_command "#{app_root}/bin/indexer --every 10"
  end
  process :feeds do
    start_command "#{feed_root}/bin/feeds"
  end
end
`;

/** Real Ruby loads the eye file with Eye's DSL stubbed (blocks run by instance_eval, as Eye's own DSL runs them): each process's start command. */
function realEye(env: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-eye-"));
  writeFileSync(join(dir, "atlas.eye"), EYE);
  const stub = `class Integer; def seconds = self; end
class Opts; def initialize = (@o = {}); def method_missing(n, *a) = (@o[n] = a.first); def o = @o; end
module Eye; @ps = {}; def self.ps = @ps
  class App; def working_dir(_) = nil
    def process(n, &b) = (p = Opts.new; p.instance_eval(&b); Eye.ps[n] = p.o[:start_command]); end
  def self.application(_n, &b) = App.new.instance_eval(&b)
end
load ARGV[0]
puts JSON.generate(Eye.ps)`;
  const r = spawnSync("ruby", ["-rjson", "-e", stub, join(dir, "atlas.eye")], { encoding: "utf8", env: { ...process.env, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("an eye file's top-level locals", () => {
  it("are the values its commands use: the Resque process's queue is the worker's; the others are named", async () => {
    const deploy = `namespace :eye do\n  task :load do\n    on roles(:jobs) do\n      execute :eye, :load, "#{current_path}/config/atlas.eye"\n    end\n  end\nend\nafter "deploy:publishing", "eye:load"\n`;
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
        "config/deploy.rb": `set :application, "atlas"\nset :deploy_to, "/srv/atlas"\n${deploy}`,
        "config/deploy/production.rb": 'server "a1.atlas.example.org", roles: %w[web app db]\nserver "j1.atlas.example.org", roles: %w[jobs]\n',
        "config/atlas.eye": EYE,
        "bin/indexer": "#!/usr/bin/env ruby\n",
        Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "resque"\n',
        "Gemfile.lock": lock({ rails: "6.1.7", puma: "6.4.2", resque: "2.6.0" }),
        "config/puma.rb": "threads 5, 5\n",
      }),
      "atlas",
    );
    const real = realEye({ FEED_ROOT: "/opt/feeds" });
    expect(real["resque_mail"]).toBe("/bin/sh -c 'cd /srv/atlas/current && QUEUE=mail,digest bundle exec rake resque:work'");
    const w = m.workers!.find((x) => x.backend === "resque")!;
    expect([w.commandFrom, w.args, w.env["QUEUE"], w.queues]).toEqual(["service", ["bundle", "exec", "rake", "resque:work"], "mail,digest", ["mail", "digest"]]);
    expect(w.commandSource).toEqual({ file: "config/atlas.eye", line: 7 });
    expect(w.stopTimeout.seconds).toBe(30);
    expect(w.roles).toEqual(["jobs"]);
    const indexer = m.uncarried!.find((u) => u.name === "indexer")!;
    expect(indexer.why).not.toMatch(/not a string/);
    // FEED_ROOT is the servers' environment: the file does not state it, and real Ruby reads it from there.
    const feeds = m.uncarried!.find((u) => u.name === "feeds")!;
    expect(feeds.why).toMatch(/the local `feed_root` \(line 2\) is not a string the file states \(ENV\.fetch\("FEED_ROOT"\)\)/);
    expect(realEye({ FEED_ROOT: "/elsewhere" })["feeds"]).toBe("/elsewhere/bin/feeds");
  });
});
