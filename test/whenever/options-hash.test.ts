// Schedules that build each job's options in a Hash before `every` reads it: a table of jobs, a
// loop over it, `opts[:at] = row[:at] if row[:at].present?`, then `every row[:freq], opts`. The
// index write used to be skipped, so every daily job ran at midnight; and a team's `if` whose two
// branches are written alike (its condition read from ENV) made each job twice, suspended.
// Judged line by line by the real `whenever -f`.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron, readCrontab } from "../../analyzers/whenever.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";
import { runWhenever } from "./crontab.js";

beforeAll(async () => {
  await initPrism();
});

// A repo of ours: a library's nightly chores, some with a time, one on a short interval.
const SCHEDULE = `require "active_support/core_ext/object/blank"
chores = [
  { name: "catalog:reindex", freq: 1.day, at: "2:40 am", quiet: false },
  { name: "loans:remind", freq: 1.day, at: "8:05 am", quiet: true },
  { name: "holds:expire", freq: 20.minutes, quiet: true },
  { name: "stats:rollup", freq: 1.day, at: "", quiet: true },
]
job_type :quiet_rake, "cd :path && :environment_variable=:environment bundle exec rake :task -s"

chores.each do |chore|
  opts = {}
  opts[:at] = chore[:at] if chore[:at].present?
  opts[:roles] = [:batch] unless chore[:quiet].blank?
  every chore[:freq], opts do
    if ENV["LIBRARY_QUEUE"] == "sqs" && chore[:quiet]
      quiet_rake chore[:name]
    else
      quiet_rake chore[:name]
    end
  end
end
`;

describe("job options built in a Hash before `every`", () => {
  const file = join(mkdtempSync(join(tmpdir(), "r2k-opts-")), "schedule.rb");
  writeFileSync(file, SCHEDULE);
  const repo = (text = SCHEDULE) => memoryRepo({ "config/schedule.rb": text, Gemfile: "", "bin/rails": "" });

  it("gives whenever's lines, times included, one per job", () => {
    const set = { environment: "production", path: "/srv/library" };
    const want = runWhenever(file, { gemfile: true, binRails: true }, "environment=production&path=/srv/library");
    expect(want.lines).toHaveLength(4);
    const problems: Problem[] = [];
    const got = readCrontab({ repo: repo(), problem: (p) => problems.push(p) }, { set })!;
    expect(got.lines.map((l) => ({ schedule: l.schedule, command: l.command }))).toEqual(want.lines.map(({ schedule, command }) => ({ schedule, command })));
    expect(problems).toEqual([]);
  });

  it("keeps each job's roles from its Hash, and no job is marked undecided", () => {
    const cron = analyzeCron({ repo: repo(), problem: () => {} })!;
    expect(cron.jobs.map((j) => j.task)).toEqual(["catalog:reindex", "loans:remind", "holds:expire", "stats:rollup"]);
    expect(cron.jobs.map((j) => j.condition ?? null)).toEqual([null, null, null, null]);
    // `false.blank?` is true: the first chore sets no roles of its own
    expect(cron.jobs[0]!.roles).not.toEqual(["batch"]);
    expect(cron.jobs.slice(1).map((j) => j.roles)).toEqual([["batch"], ["batch"], ["batch"]]);
  });

  it("branches that differ under an unknown condition stay undecided", () => {
    const text = SCHEDULE.replace(/    else\n      quiet_rake chore\[:name\]\n/, '    else\n      rake chore[:name]\n');
    const cron = analyzeCron({ repo: repo(text), problem: () => {} })!;
    // catalog:reindex is not quiet: `ENV[...] == "sqs" && false` is false whatever ENV says (Ruby), so only its else branch ran, decided.
    expect(cron.jobs.length).toBe(7);
    expect(cron.jobs.filter((j) => !j.condition).map((j) => j.task)).toEqual(["catalog:reindex"]);
    expect(cron.jobs.filter((j) => j.condition).every((j) => j.condition!.text.startsWith("if ENV"))).toBe(true);
  });
});
