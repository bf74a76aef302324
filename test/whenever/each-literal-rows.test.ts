// A table of jobs iterated with `each`, where some rows hold values only the server knows (a time
// from ENV with a default, a row guarded by `next if`): the loop is unrolled row by row, so every
// row whose values are literal is its own decided job, equal to the line the real `whenever -f`
// writes, and only the rows that depend on the server are left undecided, each on its own.
// Before, one unknown value anywhere in the table made the whole list unknown: the loop body ran
// once with "an item of …" and all the rows became one suspended placeholder per job call.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron, readCrontab } from "../../analyzers/whenever.js";
import { memoryRepo } from "../../src/repo.js";
import { runWhenever } from "./crontab.js";

beforeAll(async () => {
  await initPrism();
});

// A bookkeeping app of ours: nightly closes, a poll, a monthly archive, a demo-only seed, a retired sync.
const SCHEDULE = `require "active_support/core_ext/object/blank"
nightly_at = ENV["NIGHTLY_AT"] || "3:10 am"
sweeps = [
  { task: "ledger:close", every: 1.day, at: "1:15 am" },
  { task: "ledger:report", every: 1.day, at: nightly_at },
  { task: "inbox:poll", every: 10.minutes },
  { task: "demo:seed", every: 1.day, at: "4:30 am", only_when: ENV["DEMO"] == "true" },
  { task: "archive:monthly", every: :month, at: "12:30 pm" },
  { task: "legacy:sync", every: 1.day, at: "6:00 am", only_when: false },
]
job_type :short_rake, "cd :path && :environment_variable=:environment bundle exec rake :task --silent"

sweeps.each do |s|
  next if s.key?(:only_when) && !s[:only_when]

  opts = {}
  opts[:at] = s[:at] if s[:at].present?
  every s[:every], opts do
    short_rake s[:task]
  end
end
`;

describe("each over a literal table with some rows known only on the server", () => {
  const file = join(mkdtempSync(join(tmpdir(), "r2k-rows-")), "schedule.rb");
  writeFileSync(file, SCHEDULE);
  const repo = () => memoryRepo({ "config/schedule.rb": SCHEDULE, Gemfile: "", "bin/rails": "" });

  it("one job per row the loop keeps: the retired row is skipped, the ENV-guarded row and the ENV time undecided on their own", () => {
    const cron = analyzeCron({ repo: repo(), problem: () => {} })!;
    expect(cron.jobs.map((j) => j.task)).toEqual(["ledger:close", "ledger:report", "inbox:poll", "demo:seed", "archive:monthly"]);
    const undecided = cron.jobs.filter((j) => j.condition).map((j) => j.task);
    expect(undecided).toEqual(["demo:seed"]);
    expect(cron.jobs.find((j) => j.task === "demo:seed")!.condition!.text).toMatch(/next/);
  });

  it("the decided rows are the lines of the real whenever -f, line by line", () => {
    const set = { environment: "production", path: "/srv/ledger" };
    const want = runWhenever(file, { gemfile: true, binRails: true }, "environment=production&path=/srv/ledger");
    // With no NIGHTLY_AT and no DEMO on the server: four lines.
    expect(want.lines.map((l) => l.command.match(/rake (\S+)/)![1])).toEqual(["ledger:close", "ledger:report", "inbox:poll", "archive:monthly"]);
    const got = readCrontab({ repo: repo(), problem: () => {} }, { set })!;
    const byTask = (ls: { schedule: string; command: string }[], t: string) => ls.find((l) => l.command.includes(`rake ${t} `));
    for (const t of ["ledger:close", "inbox:poll", "archive:monthly"]) {
      const g = byTask(got.lines, t);
      const w = byTask(want.lines, t)!;
      expect({ schedule: g?.schedule, command: g?.command }, t).toEqual({ schedule: w.schedule, command: w.command });
    }
  });
});
