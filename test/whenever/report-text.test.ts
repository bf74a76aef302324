// The Cron section of `analyze`'s text report says what the schedule gave per stage: a schedule
// whose only block is empty says it defines no jobs (not an empty section), and a job written
// under `if @environment == ...` names the Rails envs that had it, as the CronJob of every other
// stage is suspended. Both shapes came from real Capistrano repos in the practice corpus.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";

beforeAll(async () => {
  await initPrism();
});

/** A two-stage Capistrano 3 app (staging runs RAILS_ENV=staging) with the given schedule. */
function app(schedule: string): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rails"\nrequire "whenever/capistrano"\n',
    "config/deploy.rb": 'lock "~> 3.17"\nset :application, "bakery"\nset :repo_url, "https://git.example.org/bakery.git"\n',
    "config/deploy/production.rb": 'server "ovens.example.org", user: "deploy", roles: %w[web app db]\n',
    "config/deploy/staging.rb": 'server "test-ovens.example.org", user: "deploy", roles: %w[web app db]\nset :rails_env, "staging"\n',
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "whenever"\n',
    "bin/rails": "",
    "config/schedule.rb": schedule,
  };
}

const cronSection = (text: string): string[] => {
  const lines = text.split("\n");
  const start = lines.indexOf("Cron");
  const end = lines.indexOf("", start);
  return lines.slice(start + 1, end);
};

describe("analyze report: Cron", () => {
  it("a schedule with only an empty block says it defines no jobs", async () => {
    const model = await analyzeFiles(memoryRepo(app('every :sunday, at: "4am" do\n  # rake "loaves:count"\nend\n')), "bakery");
    expect(model.cron?.jobs).toEqual([]);
    expect(cronSection(renderReport(model, { color: false }))).toEqual(["  (config/schedule.rb defines no jobs)"]);
  });

  it("a job defined for one Rails env names that env", async () => {
    const schedule = 'every 1.day, at: "5:10 am" do\n  rake "ovens:preheat"\nend\nif @environment == "production"\n  every :monday, at: "9pm" do\n    rake "invoices:send"\n  end\nend\n';
    const model = await analyzeFiles(memoryRepo(app(schedule)), "bakery");
    const lines = cronSection(renderReport(model, { color: false }));
    expect(lines).toHaveLength(2);
    expect(lines.find((l) => l.includes("ovens:preheat"))).not.toMatch(/only for RAILS_ENV/);
    expect(lines.find((l) => l.includes("invoices:send"))).toMatch(/\[only for RAILS_ENV production\]  config\/schedule\.rb:6$/);
  });
});

describe("a schedule that sets its environment from the server's ENV", () => {
  const SCHEDULE = "env :PATH, ENV['PATH']\nset :environment, ENV['RAILS_ENV']\nset :output, 'log/cron.log'\nevery 1.hour do\n  rake 'loaves:count'\nend\n";

  it("real whenever: the deploy's --set environment wins over the file's set (pre_set)", async () => {
    const { runWhenever } = await import("./crontab.js");
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "env-set-"));
    try {
      writeFileSync(join(dir, "schedule.rb"), SCHEDULE);
      const out = runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=staging", { env: { RAILS_ENV: "production" } });
      expect(out.lines.map((l) => l.command)).toEqual([expect.stringContaining("RAILS_ENV=staging bundle exec rake loaves:count")]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is each stage's rails_env in the cron lines, never Ruby text, and the line says why", async () => {
    const model = await analyzeFiles(memoryRepo(app(SCHEDULE)), "bakery");
    const all = cronSection(renderReport(model, { color: false }));
    // (the schedule's `env` lines are listed first, each with its fate: env-lines.test.ts)
    expect(all.filter((l) => l.startsWith("  env ")).map((l) => l.split(":")[0])).toEqual(["  env PATH"]);
    const lines = all.filter((l) => !l.startsWith("  env "));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("#{");
    expect(lines[0]).toMatch(/RAILS_ENV=<the stage's env> .*\[env by stage: production production; staging staging\]/);
    expect(model.problems.find((p) => p.file === "config/schedule.rb" && p.line === 2)?.message).toMatch(/^cron\.environment-from-deploy: .*passes --set environment=<the stage's rails_env>/);
  });
});
