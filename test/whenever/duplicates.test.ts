// Exact duplicate jobs (same time, command and roles), as schedules gathered over years end up with.
// Judged by the real `whenever -f`: for a fixed time it combines the two into one line
// (`15,15 2 * * *`, which cron runs once per time); for `* * * * *` and `@reboot` it leaves two
// lines, which cron runs twice. The CronJobs follow the lines: a combined duplicate is no suspended
// "schedule not known" CronJob and asks no question, but a note in MIGRATION.md.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron } from "../../analyzers/whenever.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";
import { runWhenever } from "./crontab.js";
import { shopModel } from "../kustomize/models.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { requireKubectl } from "../kustomize/kubectl.js";
import { cronGaps } from "../../src/gaps/cron.js";

beforeAll(async () => {
  await initPrism();
  requireKubectl();
});

const SCHEDULE = `every 1.day, at: '2:15 am' do
  rake "invoices:remind"
end

every 1.minute do
  runner "Queue.sweep"
end

every 1.day, at: '2:15 am' do
  rake "invoices:remind"
end

every 1.minute do
  runner "Queue.sweep"
end

every 1.day, at: '2:15 am', roles: [:app] do
  rake "invoices:remind"
end
`;

describe("exact duplicate jobs", () => {
  it("CronJobs match whenever -f's lines one to one, and the combined duplicate is said, not suspended", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-dup-"));
    writeFileSync(join(dir, "schedule.rb"), SCHEDULE);
    const real = runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=production");
    const problems: Problem[] = [];
    const cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": SCHEDULE, Gemfile: "", "bin/rails": "" }), problem: (p) => problems.push(p) })!;
    // whenever on one machine (every role): the two daily jobs and the roles: [:app] one are one line.
    expect(real.lines.map((l) => l.schedule)).toEqual(["15,15,15 2 * * *", "* * * * *", "* * * * *"]);
    // Per server (by roles), the default-roles pair is one line and the :app job its own.
    expect(cron.jobs.map((j) => [j.source.line, j.schedules, j.sameLineAs?.line ?? null])).toEqual([
      [2, ["15,15 2 * * *"], null],
      [6, ["* * * * *"], null],
      [10, [], 2],
      [14, ["* * * * *"], null],
      [18, ["15 2 * * *"], null],
    ]);
    expect(cronGaps({ cron } as never)).toEqual([]);

    const m = shopModel();
    m.cron = cron;
    const { result, stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    const crons = all(stages["production"]!, "CronJob");
    expect(crons.map((c) => [c["spec"].schedule, c["spec"].suspend === true]).sort()).toEqual([
      ["* * * * *", false],
      ["* * * * *", false],
      ["15 2 * * *", false],
      ["15,15 2 * * *", false],
    ]);
    const notes = result.notes.map((n) => n.message);
    expect(notes.some((n) => /"invoices:remind" is the same job as the one at config\/schedule.rb:2/.test(n))).toBe(true);
    expect(notes.some((n) => /schedule is computed/.test(n))).toBe(false);
  });
});

describe("a task named unknown", () => {
  it("a command with a part exactly 'unknown' is a duplicate like any other: the check looks for an Unknown value, not the word", () => {
    const schedule = `every 1.day, at: '2:15 am' do\n  command "#{ENV['BIN']}unknown#{ENV['ARGS']}"\nend\n\nevery 1.day, at: '2:15 am' do\n  command "#{ENV['BIN']}unknown#{ENV['ARGS']}"\nend\n`;
    const cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": schedule, Gemfile: "", "bin/rails": "" }), problem: () => {} })!;
    expect(cron.jobs.map((j) => [j.source.line, j.schedules, j.sameLineAs?.line ?? null])).toEqual([
      [2, ["15,15 2 * * *"], null],
      [6, [], 2],
    ]);
  });
});
