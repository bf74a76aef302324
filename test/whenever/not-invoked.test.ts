// A repo whose Gemfile has whenever and whose config/schedule.rb holds jobs, while nothing in the
// deploy runs whenever (no whenever/capistrano, no whenever command in a task) and no stage has the
// db role: the report says the deploy never ran whenever, not only that each stage lacked a role.
import { describe, it, expect } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWhenever } from "./crontab.js";

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (6.1.7)\n    unicorn (6.1.0)\n    whenever (0.9.7)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  unicorn\n  whenever\n\nBUNDLED WITH\n   2.4.22\n";
const repo = (capfile: string, schedule = 'every 10.minutes do\n  rake "stats:tally_viewers"\nend\n') =>
  memoryRepo({
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "whenever", require: false\n',
    "Gemfile.lock": LOCK,
    Capfile: capfile,
    "config/deploy.rb": 'set :application, "reel"\nset :deploy_to, "/srv/reel"\n',
    "config/deploy/production.rb": 'server "web1.reel.example.org", roles: %w[app web]\n',
    "config/deploy/worker.rb": 'server "jobs1.reel.example.org", roles: %w[app jobs]\n',
    "config/schedule.rb": schedule,
  });

describe("a schedule the deploy never runs", () => {
  it("is said as such, in the report and as a named warning", async () => {
    const m = await analyzeFiles(repo('load "deploy"\nload "config/deploy"\n'), "reel");
    expect(m.problems.filter((p) => /^cron\.whenever-not-invoked: config\/schedule\.rb exists but the deploy never runs whenever \(whenever is in Gemfile\.lock\)/.test(p.message))).toHaveLength(1);
    const report = renderReport(m, { color: false });
    expect(report).toMatch(/Cron\n  config\/schedule\.rb exists but the deploy never runs whenever/);
    // its job is still carried, one CronJob per job
    expect(m.cron?.jobs.map((j) => j.task)).toEqual(["stats:tally_viewers"]);
  });

  it("is not said when the Capfile loads whenever's Capistrano tasks", async () => {
    const m = await analyzeFiles(repo('require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n'), "reel");
    expect(m.problems.some((p) => /whenever-not-invoked/.test(p.message))).toBe(false);
    expect(renderReport(m, { color: false })).not.toMatch(/never runs whenever/);
  });

  it("when whenever raises on the file, says that nothing is carried (whenever by hand failed on it too), not 'carried as written'", async () => {
    // A cron string of six fields beside one whenever reads: real whenever fails on the whole file.
    const schedule = 'every 1.day, at: "4:10 am" do\n  rake "stats:rollup"\nend\n\nevery "*/5 * * * * *" do\n  rake "stats:tally_viewers"\nend\n';
    const dir = mkdtempSync(join(tmpdir(), "r2k-not-invoked-"));
    try {
      writeFileSync(join(dir, "schedule.rb"), schedule);
      expect(() => runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=production")).toThrow(/ArgumentError/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const m = await analyzeFiles(repo('load "deploy"\nload "config/deploy"\n', schedule), "reel");
    const warn = m.problems.filter((p) => /^cron\.whenever-not-invoked/.test(p.message));
    expect(warn).toHaveLength(1);
    expect(warn[0]!.message).not.toMatch(/carry them as written/);
    expect(warn[0]!.message).toMatch(/whenever raises on this file \(config\/schedule\.rb:5: [^)]*\), so `whenever` run by hand failed on the whole file too: no crontab line came of it, and nothing is carried \(no CronJob\)/);
  });
});
