// A Capistrano 2 deploy whose stage tasks live in a company recipe gem it requires: the repo has no
// stage file and no stage task, but its own lambdas compare :stage with stage names, and production
// starts the Resque workers through a monit check kept on the servers while the other stage runs a
// repo script. Capistrano 2 is not installable here (Debian ships Capistrano 3 only), so the rules are
// Capistrano 2's from its source: without capistrano-ext's multistage, the stages are whatever tasks
// set :stage, here the gem's, and none is in the repo.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    rails (4.2.11)\n    resque (1.27.4)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano (~> 2.15)\n  rails\n  resque\n";
const CAPFILE = [
  "require 'bundler/setup'",
  "require 'acme-deploy-recipes'",
  "",
  'set :application, "tally"',
  'set(:supervised) { stage == "production" }',
  'set(:branch) { fetch(:stage) == "production" ? "main" : "edge" }',
  "",
  "namespace :resque do",
  "  task :restart do",
  "    if supervised",
  '      run "sudo monit restart tally_resque_worker"',
  "    else",
  '      run "cd #{current_path} && bundle exec script/queue_daemon restart"',
  "    end",
  "  end",
  "end",
  'after "deploy:restart", "resque:restart"',
].join("\n");
const FILES = (capfile: string, extra: Record<string, string> = {}) => ({
  Capfile: capfile,
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "resque"\ngem "capistrano", "~> 2.15"\n',
  "Gemfile.lock": LOCK,
  "config/application.rb": "module Tally\n  class Application < Rails::Application\n  end\nend\n",
  ...extra,
});

beforeAll(async () => {
  await initPrism();
});

describe("stages defined by a required gem", () => {
  it("stages.none names the gem as the stage source and offers the stage name the repo spells", async () => {
    const m = await analyzeFiles(memoryRepo(FILES(CAPFILE)), "tally");
    expect(m.stages).toEqual([]);
    const g = m.gaps.find((x) => x.id === "stages.none")!;
    expect(g.question).toMatch(/defined by a gem the deploy requires.*acme-deploy-recipes \(Capfile:2\)/);
    expect(g.question).not.toMatch(/bundler/);
    expect(g.why).toMatch(/reads :stage \(Capfile:5\)/);
    expect(g.why).toMatch(/"production" \(Capfile:5\)/);
    expect(g.default).toBe("production");
    expect(g.required).toBe(true);
    expect(g.source).toEqual({ file: "Capfile", line: 2 });
  });

  it("without a read of :stage, or without a gem, it is the plain question with no default", async () => {
    const m = await analyzeFiles(memoryRepo(FILES(CAPFILE.replace(/^set\((:supervised|:branch)\).*$/gm, ""))), "tally");
    const g = m.gaps.find((x) => x.id === "stages.none")!;
    expect(g.question).toMatch(/^No Capistrano stage was found/);
    expect(g.default).toBeNull();
  });
});

describe("a job backend started through monit by a check that is not in the repo", () => {
  it("is said at the monit line, naming the check and the worker carried", async () => {
    const m = await analyzeFiles(memoryRepo(FILES(CAPFILE)), "tally");
    expect(m.workers.some((w) => w.backend === "resque" && w.carried)).toBe(true);
    const w = m.problems.filter((p) => /monit restart tally_resque_worker/.test(p.message));
    expect(w.map((p) => [p.file, p.line])).toEqual([["Capfile", 11]]);
    expect(w[0]!.message).toMatch(/monit check `tally_resque_worker`, whose start program is on the servers/);
  });

  it("not when a monit file of the repo defines that check", async () => {
    const monitrc = 'check process tally_resque_worker\n  with pidfile /srv/tally/shared/pids/resque.pid\n  start program = "/bin/sh -c \'cd /srv/tally/current && QUEUE=* bundle exec rake resque:work\'"\n';
    const m = await analyzeFiles(memoryRepo(FILES(CAPFILE, { "config/monit/resque.monitrc": monitrc })), "tally");
    expect(m.problems.filter((p) => /whose start program is on the servers/.test(p.message))).toEqual([]);
  });
});
