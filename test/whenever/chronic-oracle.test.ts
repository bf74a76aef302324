// Oracle: Chronic itself (gitlab-chronic 0.10.5, what Debian's whenever loads) reads a table of
// `at:` strings; the analyzer's Chronic subset must give the same hour and minute (and the day and
// month when the text names a date), or nil where Chronic finds nothing. One Ruby process for all.
import { describe, it, expect, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { chronicParse } from "../../analyzers/whenever/chronic.js";

const TIMES = [
  "3am", "3 am", "3:00", "3:00 am", "3:00 pm", "3pm", "3p", "3 p.m.", "4:30 am", "4:30am", "4:30 AM", "4.30pm", "6:00 pm",
  "1", "5", "6", "6:59", "7", "9", "10", "11", "12", "10:30", "11:59", "12:00", "12:15", "12am", "12pm", "12:30am", "12:30pm",
  "0:15", "00:30", "03:00", "03:00 pm", "07:45", "13:45", "16:00", "23:59", "24:00", "noon", "midnight", "430", "0930", "1630", "2359",
  "3:00:30", "at 3am", "5th 3am", "5th", "January 5th 3am", "jan 5 3am", "January 5th", "1/5 3am", "January 5th at 3am",
  "3am January 5th", "June 1st 8:00", "jan 5th, 3:00", "5 January 3am", "December 31st 11:30 pm",
];

let ruby: Record<string, any>;
const cases = [
  ...TIMES.map((text) => ({ text, hours24: null as boolean | null })),
  ...["3:00", "3pm", "9pm", "11:45", "12", "12am", "7", "10:30 am"].map((text) => ({ text, hours24: true })),
  ...["3:00", "13:00", "7", "12"].map((text) => ({ text, hours24: false })),
];
const key = (c: { text: string; hours24: boolean | null }) => `${c.text}|${c.hours24}`;

beforeAll(() => {
  const script = `
    require "json"; require "chronic"
    out = {}
    JSON.parse($stdin.read).each do |c|
      opts = c["hours24"].nil? ? {} : { hours24: c["hours24"] }
      t = Chronic.parse(c["text"], opts)
      out["#{c["text"]}|#{c["hours24"].nil? ? "null" : c["hours24"]}"] = t && { "hour" => t.hour, "min" => t.min, "day" => t.day, "month" => t.month }
    end
    puts JSON.generate(out)`;
  const r = spawnSync("ruby", ["-e", script], { input: JSON.stringify(cases), encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TZ: "UTC", LANG: "C.UTF-8" } });
  if (r.status !== 0) throw new Error(r.stderr);
  ruby = JSON.parse(r.stdout);
});

describe("Chronic subset vs Chronic", () => {
  it("covers every string of the table and agrees with Chronic", () => {
    const diffs: string[] = [];
    for (const c of cases) {
      const want = ruby[key(c)];
      const got = chronicParse(c.text, { hours24: c.hours24 });
      expect(got, `${c.text} is in the supported subset`).not.toBeNull();
      if (want === null) {
        if (got !== "nil") diffs.push(`${key(c)}: Chronic nil, got ${JSON.stringify(got)}`);
        continue;
      }
      if (got === "nil" || got === null) {
        diffs.push(`${key(c)}: Chronic ${JSON.stringify(want)}, got ${got}`);
        continue;
      }
      if (got.hour !== want.hour || got.min !== want.min) diffs.push(`${key(c)}: Chronic ${want.hour}:${want.min}, got ${got.hour}:${got.min}`);
      if (got.day !== undefined && got.day !== want.day) diffs.push(`${key(c)}: day ${want.day} vs ${got.day}`);
      if (got.month !== undefined && got.month !== want.month) diffs.push(`${key(c)}: month ${want.month} vs ${got.month}`);
    }
    expect(diffs).toEqual([]);
  });

  it("says so (null) for text outside the subset instead of guessing", () => {
    expect(chronicParse("next tuesday at 3")).toBeNull();
    expect(chronicParse("quarter past three")).toBeNull();
  });
});
