// Jobs declared inside `each_pair`, `each_with_index`, `N.times`, an `each` whose block takes
// `|(name, time)|` or `|n, t|` over pairs, and a `def` helper the file calls: the real `whenever -f`
// writes every one of them. Before, these were skipped without a word (only `recv.each do |x|` was
// walked, a def body never). Each crontab line must equal the real one; an iteration over what is not
// known here is run once under a marked condition (said, never dropped).
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

// An orchard app of ours: pickers per field, a weigh-in per crate, a helper for the nightly rounds.
const SCHEDULE = `FIELDS = { "North" => "1:00 am", "South" => "2:30 am" }
FIELDS.each_pair do |field, time|
  every 1.day, at: time do
    runner "Picker.sweep('#{field}')"
  end
end
{ "East" => "3:15 am" }.each_with_index do |(field, time), i|
  every 1.day, at: time do
    runner "Picker.sweep('#{field}', #{i})"
  end
end
%w[apples pears].each_with_index do |crop, i|
  every 1.day, at: "4:00 am" do
    rake "crates:weigh[#{crop},#{i}]"
  end
end
2.times do |n|
  every 1.day, at: "5:00 am" do
    runner "Scale.tare(#{n})"
  end
end
[["West", "6:00 am"]].each do |field, time|
  every 1.day, at: time do
    runner "Picker.sweep('#{field}')"
  end
end
def round(name, at)
  every 1.day, at: at do
    runner "Rounds.#{name}"
  end
end
round "gate", "7:45 pm"
round "shed", "11:10 pm"
ENV.fetch("ORCHARD_CROPS", "plums").split(",").each_with_index do |crop, i|
  every 1.week do
    rake "crop:report[#{crop}]"
  end
end
`;

describe("whenever jobs inside iterations and the file's own methods", () => {
  const file = join(mkdtempSync(join(tmpdir(), "r2k-iter-")), "schedule.rb");
  writeFileSync(file, SCHEDULE);
  const repo = () => memoryRepo({ "config/schedule.rb": SCHEDULE, Gemfile: "", "bin/rails": "" });

  it("every decided job is a line of the real whenever -f, in the same order", () => {
    const want = runWhenever(file, { gemfile: true, binRails: true }, "environment=production&path=/srv/orchard");
    const got = readCrontab({ repo: repo(), problem: () => {} }, { set: { environment: "production", path: "/srv/orchard" } })!;
    // The last loop reads ENV: on a server without ORCHARD_CROPS it is one job (plums); here it is undecided.
    const decided = want.lines.filter((l) => !l.command.includes("crop:report"));
    expect(decided).toHaveLength(10);
    expect(got.lines.filter((l) => typeof l.command === "string").map((l) => ({ schedule: l.schedule, command: l.command }))).toEqual(decided.map((l) => ({ schedule: l.schedule, command: l.command })));
  });

  it("the loop over ENV is a job under its condition, not dropped", () => {
    const cron = analyzeCron({ repo: repo(), problem: () => {} })!;
    const report = cron.jobs.filter((j) => /crop:report/.test(String(j.task)) || j.condition?.text.includes("each_with_index"));
    expect(report).toHaveLength(1);
    expect(report[0]!.condition!.text).toMatch(/ENV\.fetch\("ORCHARD_CROPS", "plums"\)\.split\(","\)\.each_with_index/);
  });
});
