// Oracle: the real whenever prints the crontab of each fixture schedule and of two test-only
// schedules holding every rule and quirk (45.minutes hourly, 1.week as days 1,8,15,22, Chronic's
// "3:00" = 15:00, :reboot, raw cron, at: lists, combining, job_type, job_template, output hashes,
// MAILTO, chronic_options). The analyzer's crontab must match it line for line: time and command.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron, readCrontab } from "../../analyzers/whenever.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";
import { runWhenever, type WheneverOutput } from "./crontab.js";

const here = dirname(fileURLToPath(import.meta.url));
const SET = { environment: "production", path: "/app" };
const SET_ARG = "environment=production&path=/app";

interface Case {
  name: string;
  schedule: string;
  gemfile: boolean;
  binRails: boolean;
  /** Lines the crontab must have (a floor, so an empty crontab cannot pass). */
  minLines: number;
}
const CASES: Case[] = [
  { name: "shop", schedule: "fixtures/apps/shop/config/schedule.rb", gemfile: true, binRails: true, minLines: 4 },
  { name: "legacy", schedule: "fixtures/apps/legacy/config/schedule.rb", gemfile: true, binRails: true, minLines: 3 },
  { name: "quirks (test-only)", schedule: join(here, "quirks_schedule.rb"), gemfile: false, binRails: false, minLines: 40 },
  { name: "quirks in a release with bundler and bin/rails", schedule: join(here, "quirks_schedule.rb"), gemfile: true, binRails: true, minLines: 40 },
  { name: "chronic_options hours24 (test-only)", schedule: join(here, "hours24_schedule.rb"), gemfile: false, binRails: false, minLines: 3 },
];

const oracle = new Map<string, WheneverOutput>();
beforeAll(async () => {
  await initPrism();
  for (const c of CASES) oracle.set(c.name, runWhenever(resolve(c.schedule), c, SET_ARG));
});

function analyzerFor(c: Case) {
  const files: Record<string, string> = { "config/schedule.rb": readFileSync(c.schedule, "utf8") };
  if (c.gemfile) files["Gemfile"] = "";
  if (c.binRails) files["bin/rails"] = "";
  const problems: Problem[] = [];
  const ctx = { repo: memoryRepo(files), problem: (p: Problem) => problems.push(p) };
  return { crontab: readCrontab(ctx, { set: SET })!, facts: analyzeCron(ctx, { set: SET })!, problems };
}

describe("whenever schedules: analyzer vs `whenever -f`", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const want = oracle.get(c.name)!;
      expect(want.lines.length).toBeGreaterThanOrEqual(c.minLines);
      const { crontab, facts, problems } = analyzerFor(c);
      expect(problems).toEqual([]);
      const got = crontab.lines.map((l) => ({ schedule: l.schedule, command: l.command }));
      expect(got).toEqual(want.lines.map(({ schedule, command }) => ({ schedule, command })));
      // env lines, written as whenever writes them (empty → "")
      expect(crontab.env.map(([k, v]) => [k, v === "" || v === null ? '""' : String(v)])).toEqual(want.env);
      // the CronJobs carry the same lines, grouped by the job call that made them
      const fromJobs = facts.jobs.flatMap((j) => j.schedules.map((s) => `${s} ${j.command}`)).sort();
      expect(fromJobs).toEqual(want.lines.map((l) => `${l.schedule} ${l.command}`).sort());
    });
  }
});
