// resque-scheduler's schedule is what `Resque.schedule =` is given (analyzers/workers/schedules.ts).
// Audit B s26 #3/#4: an assignment naming no file took every YAML path of the file for the schedule
// (the Redis URLs' config/redis.yml read as "2 scheduled jobs"); a schedule of 26 jobs was counted as
// 21 (the shown 20 plus the "and 6 more" line); and a file loaded from an initializer and from the
// scheduler's rake task was warned about twice. The app ("parcel") and its files are written for this test.
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { pluginApp } from "./app.js";

beforeAll(async () => {
  await initPrism();
});

const gems = { resque: "2.6.0", "resque-scheduler": "4.10.2" };
const stages = { production: 'server "p1.parcel.example.org", roles: %w[web app db]\n' };
const REDIS_YML = "production:\n  url: redis://cache.parcel.internal:6379/0\nstaging:\n  url: redis://cache.staging.internal:6379/0\n";
const jobsYaml = (n: number) => Array.from({ length: n }, (_, i) => `sweep_${i + 1}:\n  cron: "${i % 60} * * * *"\n  class: Sweep${i + 1}Job\n`).join("");
const app = (extra: Record<string, string>) => analyzeFiles(pluginApp("", stages, { "config/redis.yml": REDIS_YML, ...extra }, gems, ""), "parcel");
const scheduleSaid = (m: Awaited<ReturnType<typeof app>>) => m.problems.filter((p) => /^cron\.in-worker-schedule/.test(p.message));

describe("what Resque.schedule is given", () => {
  it("a wrapper's result names no file: the schedule is said as not read, never another YAML of the initializer", async () => {
    const init = [
      'redis_url = YAML.load_file(Rails.root.join("config", "redis.yml"))[Rails.env]["url"]',
      "Resque.redis = Redis.new(url: redis_url)",
      'loaded = YAML.load_file(Rails.root.join("config", "jobs_schedule.yml")) || {}',
      "wrapped = JobWrapper.wrap loaded",
      "Resque.schedule = wrapped",
      "",
    ].join("\n");
    const m = await app({ "config/initializers/resque.rb": init, "config/jobs_schedule.yml": jobsYaml(2) });
    const said = scheduleSaid(m);
    expect(said.map((p) => p.message).join("\n")).not.toContain("redis.yml");
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ file: "config/initializers/resque.rb", line: 5, severity: "warning" });
    expect(said[0]!.message).toMatch(/^cron\.in-worker-schedule-unread: .*from `wrapped`.*not read/);
  });

  it("a local assigned from a YAML load is followed to its file; the initializer's other YAML is not taken", async () => {
    const init = [
      'Resque.redis = YAML.load_file(Rails.root.join("config", "redis.yml"))["production"]["url"]',
      'plan = YAML.load_file(Rails.root.join("config", "jobs_schedule.yml")) || {}',
      "Resque.schedule = plan",
      "",
    ].join("\n");
    const m = await app({ "config/initializers/resque.rb": init, "config/jobs_schedule.yml": jobsYaml(3) });
    const said = scheduleSaid(m);
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toMatch(/^cron\.in-worker-schedule: config\/jobs_schedule\.yml holds 3 scheduled jobs \(sweep_1 /);
  });

  it("one file loaded from two places is one schedule, counted by its own jobs", async () => {
    const init = 'Resque.schedule = YAML.load_file("config/jobs_schedule.yml")\n';
    const rake = 'namespace :resque do\n  task :setup_schedule do\n    require "resque-scheduler"\n    Resque.schedule = YAML.load_file("config/jobs_schedule.yml")\n  end\nend\n';
    const m = await app({ "config/initializers/resque.rb": init, "lib/tasks/resque.rake": rake, "config/jobs_schedule.yml": jobsYaml(26) });
    const said = scheduleSaid(m);
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toMatch(/holds 26 scheduled jobs \(sweep_1 .*sweep_20 [^,]*, and 6 more\)/);
    expect(said[0]!.message).toMatch(/also set from it at (lib\/tasks\/resque\.rake:4|config\/initializers\/resque\.rb:1)/);
  });
});
