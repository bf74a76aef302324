// The whenever analyzer as the pipeline calls it (no --set): the release path stays a Capistrano
// reference, roles as written, settings with their sources, and what it cannot read is reported.
import { describe, it, expect, beforeAll } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron } from "../../analyzers/whenever.js";
import { memoryRepo, readRepo } from "../../src/repo.js";
import type { Problem, RepoFiles } from "../../src/model.js";

beforeAll(async () => {
  await initPrism();
});
const run = (repo: RepoFiles) => {
  const problems: Problem[] = [];
  return { cron: analyzeCron({ repo, problem: (p) => problems.push(p) }), problems };
};

describe("shop schedule", () => {
  it("jobs, schedules, roles, settings; `cd` into the release as a reference", () => {
    const { cron, problems } = run(readRepo("fixtures/apps/shop").repo);
    expect(problems).toEqual([]);
    expect(cron!.file).toBe("config/schedule.rb");
    expect(cron!.jobs.map((j) => [j.type, j.task, j.schedules, j.roles])).toEqual([
      ["runner", "Order.expire_stale_carts!", ["0,15,30,45 * * * *"], []],
      ["rake", "orders:nightly_report", ["30 4 * * *"], ["db"]],
      ["rake", "sitemap:refresh", ["0 3 * * 0"], []],
      ["command", "find /var/www/shop/shared/tmp/exports -type f -mtime +2 -delete", ["0 * * * *"], []],
    ]);
    expect(cron!.jobs[1].command).toEqual({
      interp: ["/bin/bash -l -c 'cd ", { cap: "release_path" }, " && RAILS_ENV=production bundle exec rake orders:nightly_report --silent >> log/cron.log 2>&1'"],
    });
    expect(cron!.jobs[3].command).toBe("/bin/bash -l -c 'find /var/www/shop/shared/tmp/exports -type f -mtime +2 -delete >> log/cron.log 2>&1'");
    expect(cron!.jobs[0].source).toEqual({ file: "config/schedule.rb", line: 11 });
    expect(Object.keys(cron!.settings).sort()).toEqual(["env:PATH", "output"]);
    expect(cron!.settings["output"]).toEqual({ value: "log/cron.log", source: { file: "config/schedule.rb", line: 6 } });
  });
});

describe("legacy schedule: the quirks that ran", () => {
  it("every 45.minutes is hourly at :45; at \"3:00\" is 15:00", () => {
    const { cron } = run(readRepo("fixtures/apps/legacy").repo);
    expect(cron!.jobs.map((j) => j.schedules)).toEqual([["45 * * * *"], ["0 15 * * *"], ["30 23 * * 6"]]);
  });
});

describe("input the analyzer cannot follow", () => {
  it("reports it and goes on", () => {
    const { cron, problems } = run(
      memoryRepo({
        "config/schedule.rb": [
          "every 1.day, at: next_slot do command 'a' end",
          "every 1.day, at: 'next tuesday' do command 'b' end",
          "every 30.seconds do command 'c' end",
          "runner 'Outside.every'",
          "every 1.day do mystery 'd' end",
          "every 1.day, at: '4am' do rake 'ok' end",
          "every :daily, at: '4am' do command 'e' end",
        ].join("\n"),
      }),
    );
    expect(cron!.jobs.find((j) => j.task === "ok")!.schedules).toEqual(["0 4 * * *"]);
    const text = problems.map((p) => `${p.line}: ${p.message}`).join("\n");
    expect(text).toMatch(/1: `at:` not known statically/);
    expect(text).toMatch(/2: schedule not computed \(at: "next tuesday" is not a time this tool reads as Chronic does\)/);
    expect(text).toMatch(/3: whenever raises on this schedule: Time must be in minutes or higher/);
    expect(text).toMatch(/4: `runner` outside an `every` block/);
    expect(text).toMatch(/5: `mystery` is not a job type/);
    expect(text).toMatch(/7: whenever raises on this schedule: You cannot specify an ':at'/);
  });

  it("no schedule file: null; a syntax error: reported, not thrown", () => {
    expect(run(memoryRepo({ Gemfile: "" })).cron).toBeNull();
    const { problems } = run(memoryRepo({ "config/schedule.rb": "every 1.day do\n  rake 'x'\n" }));
    expect(problems.some((p) => /syntax error/.test(p.message))).toBe(true);
  });

  it("`@environment` conditions are read with the default environment, and flagged", () => {
    const { cron, problems } = run(memoryRepo({ "config/schedule.rb": "if @environment == 'production'\n  every 1.day do command 'prod-only' end\nend\n" }));
    expect(cron!.jobs.map((j) => j.task)).toEqual(["prod-only"]);
    expect(problems.map((p) => p.message).join()).toMatch(/reads `environment`/);
  });
});
