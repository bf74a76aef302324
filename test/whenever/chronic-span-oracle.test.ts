// Oracle table: `at:` strings Chronic reads as a span with a time put on it ("start of the month at
// 6am", "every sunday at noon", "this week 4:30 am"), and plain times, across every kind of whenever
// frequency. For each string: Chronic's hour and minute must be the same whatever day whenever ran
// on (a year of `now`s), and the line the analyzer computes must be the line the real `whenever -f`
// writes. Strings whose reading depends on the day ("beginning of the day", "end of the month")
// stay outside the subset: named, never guessed.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chronicParse } from "../../analyzers/whenever/chronic.js";
import { cronTimes, CronError, type Frequency } from "../../analyzers/whenever/cron.js";
import { runWhenever } from "./crontab.js";

const LEADS = ["", "start of ", "beginning of ", "end of ", "middle of "];
const DETS = ["", "the ", "this ", "every "];
const UNITS = ["day", "week", "month", "year", "sunday", "friday", "weekday", "today", "tomorrow"];
const TIMES = ["at 6am", "6am", "at 3", "at 4:30", "at noon", "at midnight", "at 11:59pm", "at 12am", "at 00:01am", "at 7:00 pm", "at 16:45"];
const PLAIN = ["noon", "midnight", "4:30 am", "12pm", "12:00am", "6:00 am", "3", "23:59", "0:15"];

// Every string of the grammar, each with one time picked in turn so the table stays a few hundred strings.
const SPANS: string[] = [];
let k = 0;
for (const lead of LEADS)
  for (const det of DETS)
    for (const unit of UNITS) {
      if (!(det === "this " && (unit === "today" || unit === "tomorrow"))) SPANS.push(`${lead}${det}${unit} ${TIMES[k++ % TIMES.length]}`);
    }
SPANS.push("start of the month at 6am", "Beginning of the Month at 04:01", "End Of The Month at 11:59pm");

/** The frequency as the schedule writes it, and as cron.ts takes it. */
const FREQS: [string, Frequency][] = [
  ["1.day", 86400], ["3.days", 3 * 86400], [":day", { sym: "day" }], ["1.week", 604800], ["1.month", 2592000],
  [":month", { sym: "month" }], ["2.months", 2 * 2592000], [":year", { sym: "year" }], ["2.hours", 7200],
  [":sunday", { sym: "sunday" }], [":weekday", { sym: "weekday" }], [":weekend", { sym: "weekend" }], ['"tuesday"', "tuesday"],
];

/** Readings that depend on the day whenever ran, or that Chronic finds nothing for: outside the subset. */
const NOT_MAPPED = ["this today at 6am", "beginning of the day", "end of the month", "month", "the month", "6am today", "next month at 6am", "first of the month at 6am", "last day of the month at 6am"];

let chronic: Record<string, (number[] | null | string)[]>;
let lines: Map<number, string>;
const jobs: { at: string; freq: [string, Frequency] }[] = [];

beforeAll(() => {
  const script = `
    require "json"; require "chronic"
    t0 = Time.utc(2026, 1, 1)
    nows = (0...366).step(29).flat_map { |d| [0, 7 * 3600 + 13 * 60, 12 * 3600, 23 * 3600 + 59 * 60].map { |s| t0 + d * 86400 + s } }
    out = {}
    JSON.parse($stdin.read).each do |s|
      out[s] = nows.map { |n| begin; r = Chronic.parse(s, now: n); r && [r.hour, r.min]; rescue StandardError; "raises"; end }.uniq
    end
    puts JSON.generate(out)`;
  const r = spawnSync("ruby", ["-e", script], { input: JSON.stringify([...SPANS, ...PLAIN, ...NOT_MAPPED]), encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TZ: "UTC", LANG: "C.UTF-8" } });
  if (r.status !== 0) throw new Error(r.stderr);
  chronic = JSON.parse(r.stdout);

  // Each string under a few frequencies in turn, plain times under all of them: one schedule, one whenever run.
  let f = 0;
  for (const at of SPANS) for (let n = 0; n < 2; n++) jobs.push({ at, freq: FREQS[f++ % FREQS.length]! });
  for (const at of PLAIN) for (const freq of FREQS) jobs.push({ at, freq });
  const dir = mkdtempSync(join(tmpdir(), "r2k-span-"));
  try {
    const file = join(dir, "schedule.rb");
    writeFileSync(file, jobs.map((j, i) => `every ${j.freq[0]}, at: ${JSON.stringify(j.at)} do\n  command "job${i}"\nend\n`).join(""));
    const out = runWhenever(file, { gemfile: false, binRails: false }, "environment=production");
    lines = new Map(out.lines.map((l) => [Number(/job(\d+)/.exec(l.command)![1]), l.schedule]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("Chronic spans with a time, across whenever's frequencies, vs `whenever -f`", () => {
  it("reads the hour and minute Chronic gives on any day", () => {
    const off: string[] = [];
    for (const s of [...SPANS, ...PLAIN]) {
      const seen = chronic[s]!;
      const got = chronicParse(s);
      if (seen.length !== 1 || !Array.isArray(seen[0])) off.push(`${s}: Chronic gives ${JSON.stringify(seen)} over the year`);
      else if (got === null || got === "nil") off.push(`${s}: not read (Chronic ${JSON.stringify(seen[0])})`);
      else if (got.hour !== seen[0][0] || got.min !== seen[0][1]) off.push(`${s}: ${got.hour}:${got.min}, Chronic ${seen[0].join(":")}`);
    }
    expect(off).toEqual([]);
  });

  it("computes the line whenever writes for every frequency", () => {
    expect(lines.size).toBe(jobs.length);
    const off: string[] = [];
    jobs.forEach((j, i) => {
      let ours: string;
      try {
        ours = cronTimes(j.freq[1], j.at).join("|");
      } catch (e) {
        if (!(e instanceof CronError)) throw e;
        ours = `raises: ${e.message}`;
      }
      if (ours !== lines.get(i)) off.push(`every ${j.freq[0]}, at: ${JSON.stringify(j.at)}: ours ${ours}, whenever ${lines.get(i)}`);
    });
    expect(off).toEqual([]);
  });

  it("leaves a reading that depends on the day (or that Chronic rejects) unmapped, and says so", () => {
    for (const s of NOT_MAPPED) {
      expect(chronicParse(s), s).toBeNull();
      expect(() => cronTimes(86400, s), s).toThrow(/not a time this tool reads as Chronic does/);
    }
    // the table's premise: these really do move with the day, or Chronic finds nothing or raises
    for (const s of ["beginning of the day", "end of the month", "month"]) expect(chronic[s]!.length, s).toBeGreaterThan(1);
    for (const s of ["6am today", "first of the month at 6am"]) expect(chronic[s]!.every((x) => !Array.isArray(x)), s).toBe(true);
  });
});

describe("a schedule with span `at:`s", () => {
  it("gets whenever's lines, and the span whenever dropped is named at its line", async () => {
    const { readFileSync } = await import("node:fs");
    const { initPrism } = await import("../../analyzers/ruby/prism.js");
    const { readCrontab } = await import("../../analyzers/whenever.js");
    const { memoryRepo } = await import("../../src/repo.js");
    await initPrism();
    const file = join(import.meta.dirname, "span_at_schedule.rb");
    const problems: { line: number; message: string }[] = [];
    const ctx = { repo: memoryRepo({ "config/schedule.rb": readFileSync(file, "utf8"), Gemfile: "", "bin/rails": "" }), problem: (p: { line: number; message: string }) => problems.push(p) };
    const ours = readCrontab(ctx, { set: { environment: "production", path: "/app" } })!;
    const want = runWhenever(file, { gemfile: true, binRails: true }, "environment=production&path=/app");
    expect(want.lines.length).toBe(3);
    expect(ours.lines.map((l) => `${l.schedule} ${l.command}`)).toEqual(want.lines.map((l) => `${l.schedule} ${l.command}`));
    expect(problems.map((p) => [p.line, p.message.split(":")[0]])).toEqual([[6, "cron.at-span-dropped"]]);
    expect(problems[0]!.message).toContain("59 23 1 * *");
  });
});
