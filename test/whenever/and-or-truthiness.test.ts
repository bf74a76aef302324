// `x && false` is falsy and `x || true` truthy whatever x is (Ruby: `&&` gives x when x is falsy,
// else its right side; `||` gives x when x is truthy). With x not known statically, a job under such
// a condition is still decided: run by the real `whenever -f` with the unknown both ways.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron } from "../../analyzers/whenever.js";
import { memoryRepo } from "../../src/repo.js";
import { runWhenever } from "./crontab.js";

beforeAll(async () => {
  await initPrism();
});

const SCHEDULE = `if ENV["REPORTS_ON"] && false
  every 1.day, at: "1:00 am" do
    rake "reports:never"
  end
end
if File.exist?("/etc/reports.flag") || true
  every 1.day, at: "2:00 am" do
    rake "reports:always"
  end
end
unless ENV["REPORTS_ON"] && nil
  every 1.day, at: "3:00 am" do
    rake "reports:unless"
  end
end
if ENV["REPORTS_ON"] && true
  every 1.day, at: "4:00 am" do
    rake "reports:open"
  end
end
`;

describe("&& false / || true over a value not known", () => {
  it("Ruby's own truthiness of the forms, either way the unknown goes", () => {
    for (const flag of [undefined, "1"]) {
      const r = spawnSync("ruby", ["-e", 'p [!!(ENV["F"] && false), !!(ENV["F"] || true), !!(ENV["F"] && nil)]'], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...(flag ? { F: flag } : {}) } });
      expect(r.stdout.trim()).toBe("[false, true, false]");
    }
  });

  it("decides the jobs as whenever does, and leaves the truly open one undecided", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-and-or-"));
    writeFileSync(join(dir, "schedule.rb"), SCHEDULE);
    const off = runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=production");
    const on = runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=production", { env: { REPORTS_ON: "1" } });
    const cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": SCHEDULE, Gemfile: "", "bin/rails": "" }), problem: () => {} })!;
    const decided = cron.jobs.filter((j) => !j.condition).map((j) => j.schedules[0]);
    // whenever wrote 2:00 and 3:00 both ways; 1:00 never; 4:00 only with REPORTS_ON set.
    for (const real of [off, on]) for (const s of ["0 2 * * *", "0 3 * * *"]) expect(real.lines.map((l) => l.schedule)).toContain(s);
    for (const real of [off, on]) expect(real.lines.map((l) => l.schedule)).not.toContain("0 1 * * *");
    expect(decided).toEqual(["0 2 * * *", "0 3 * * *"]);
    expect(cron.jobs.map((j) => j.schedules[0])).not.toContain("0 1 * * *");
    expect(cron.jobs.filter((j) => j.condition).map((j) => j.schedules[0])).toEqual(["0 4 * * *"]);
  });
});
