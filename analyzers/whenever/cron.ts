// whenever's Whenever::Output::Cron (ruby-whenever 1.0, lib/whenever/cron.rb), ported rule for rule:
// a frequency (seconds, a Symbol, a day name, raw cron) and an `at:` become a cron expression. Its
// quirks are what ran on the servers, so they are kept: `every 45.minutes` is "45 * * * *" (hourly),
// `every 90.minutes` hourly, `every 1.week` days 1,8,15,22, `every 7.minutes` minutes 7..56.
// Errors whenever raises (ArgumentError) are thrown as CronError, for the caller to report.
import { chronicParse, type ChronicOptions, type ChronicTime } from "./chronic.js";

export class CronError extends Error {}

/** A frequency as the schedule gives it: seconds (`15.minutes`), a Symbol, a String, or a list. */
export type Frequency = number | { sym: string } | string | Frequency[];
/** An `at:` as the schedule gives it: nothing, minutes/hours as a number, a Chronic string, or a list. */
export type At = null | number | string | { clock: number } | At[];

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const KEYWORDS = ["reboot", "yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly"];
// Ruby's ^ and $ match at line boundaries: the JS `m` flag does the same.
const REGEX = new RegExp(
  `^(@(${KEYWORDS.join("|")})|((\\*?[\\d\\/,\\-]*)\\s){3}(\\*?([\\d\\/,\\-]|(${MONTHS.join("|")}))*\\s)(\\*?([\\d\\/,\\-]|(${DAYS.join("|")}))*))$`,
  "im",
);

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;
const WEEK = 604800;
const MONTH = 2592000;
const YEAR = 31557600;
/** Whenever::NumericSeconds: `n.unit` is n (truncated to an Integer) times the unit. */
export const UNIT_SECONDS: Record<string, number> = {
  second: 1, seconds: 1, minute: MINUTE, minutes: MINUTE, hour: HOUR, hours: HOUR, day: DAY, days: DAY,
  week: WEEK, weeks: WEEK, month: MONTH, months: MONTH, year: YEAR, years: YEAR,
};

/** Cron.enumerate: raw cron strings stay whole, other strings split on commas, lists as they are. */
function enumerate<T>(item: T | T[] | null, detectCron: boolean): (T | null)[] {
  if (typeof item === "string") return detectCron && REGEX.test(item) ? [item] : (item.split(",") as T[]);
  if (Array.isArray(item)) return item;
  return [item];
}

type AtValue = number | ChronicTime;
const isTime = (a: AtValue): a is ChronicTime => typeof a === "object";

/** Every cron time expression whenever writes for one job: one per frequency × at. */
export function cronTimes(times: Frequency, at: At, chronic: ChronicOptions = {}): string[] {
  const out: string[] = [];
  for (const time of enumerate<Frequency>(times, true)) {
    for (const a of enumerate<At>(at, false)) out.push(timeInCronSyntax(time, a as At, chronic));
  }
  return out;
}

function timeInCronSyntax(time: Frequency | null, atGiven: At, chronic: ChronicOptions): string {
  let at: AtValue;
  if (typeof atGiven === "string") {
    // Chronic.parse(at) || 0 — but a string outside the supported subset is not a failure of
    // Chronic, so it is not silently 0: the caller reports it.
    const t = chronicParse(atGiven, chronic);
    if (t === null) throw new CronError(`at: ${JSON.stringify(atGiven)} is not a time this tool reads as Chronic does`);
    at = t === "nil" ? 0 : t;
  } else if (atGiven === null) at = 0;
  else if (!Array.isArray(atGiven) && typeof atGiven === "object") at = { hour: Math.floor(atGiven.clock / 3600), min: Math.floor((atGiven.clock % 3600) / 60) };
  else if (typeof atGiven === "number") at = atGiven;
  else throw new CronError("at: a list inside a list");
  const ctx = { at, atGiven };
  if (typeof time === "number") return parseTime(Math.trunc(time), ctx);
  if (typeof time === "string") return REGEX.test(time) ? time : parseAsString(time, ctx);
  if (time && typeof time === "object" && !Array.isArray(time)) return parseSymbol(time.sym, ctx);
  if (time === null) throw new CronError("no frequency");
  throw new CronError(`frequency ${JSON.stringify(time)} is not understood`);
}

interface Ctx {
  at: AtValue;
  atGiven: At;
}

function parseSymbol(sym: string, ctx: Ctx): string {
  if (KEYWORDS.includes(sym)) {
    if (isTime(ctx.at) || ctx.at > 0) throw new CronError("You cannot specify an ':at' when using the shortcuts for times.");
    return `@${sym}`;
  }
  const unit = { year: YEAR, day: DAY, month: MONTH, week: WEEK, hour: HOUR, minute: MINUTE }[sym];
  if (unit !== undefined) return parseTime(unit, ctx);
  return parseAsString(sym, ctx);
}

function dayGiven(ctx: Ctx): boolean {
  const g = ctx.atGiven;
  return typeof g === "string" && (MONTHS.some((m) => g.toLowerCase().includes(m)) || /\d\/\d/.test(g));
}

function rangeOrInteger(at: number, min: number, max: number, name: string): number {
  if (at < min || at > max) throw new CronError(`${name} must be between ${min}-${max}, ${at} given`);
  return at;
}

function parseTime(time: number, ctx: Ctx): string {
  const t: (string | number)[] = ["*", "*", "*", "*", "*"];
  const at = ctx.at;
  if (time >= 0 && time < MINUTE) throw new CronError("Time must be in minutes or higher");
  if (time >= MINUTE && time < HOUR) {
    if (isTime(at)) throw new CronError("an at: time of day with a frequency in minutes");
    t[0] = commaSeparatedTiming(Math.floor(time / 60), 59, at);
  } else if (time >= HOUR && time < DAY) {
    t[0] = isTime(at) ? at.min : rangeOrInteger(at, 0, 59, "Minute");
    t[1] = commaSeparatedTiming(Math.floor(time / 60 / 60), 23);
  } else if (time >= DAY && time < MONTH) {
    t[0] = isTime(at) ? at.min : 0;
    t[1] = isTime(at) ? at.hour : rangeOrInteger(at, 0, 23, "Hour");
    t[2] = commaSeparatedTiming(Math.floor(time / 24 / 60 / 60), 31, 1);
  } else if (time >= MONTH && time < YEAR) {
    t[0] = isTime(at) ? at.min : 0;
    t[1] = isTime(at) ? at.hour : 0;
    t[2] = isTime(at) ? (dayGiven(ctx) ? dayOf(at) : 1) : at === 0 ? 1 : rangeOrInteger(at, 1, 31, "Day");
    t[3] = commaSeparatedTiming(Math.floor(time / 30 / 24 / 60 / 60), 12, 1);
  } else if (time === YEAR) {
    t[0] = isTime(at) ? at.min : 0;
    t[1] = isTime(at) ? at.hour : 0;
    t[2] = isTime(at) ? (dayGiven(ctx) ? dayOf(at) : 1) : 1;
    t[3] = isTime(at) ? (dayGiven(ctx) ? monthOf(at) : 1) : at === 0 ? 1 : rangeOrInteger(at, 1, 12, "Month");
  } else return parseAsString(String(time), ctx);
  return t.join(" ");
}

function dayOf(at: ChronicTime): number {
  if (at.day === undefined) throw new CronError("a date whenever takes from Chronic's current day");
  return at.day;
}
function monthOf(at: ChronicTime): number {
  if (at.month === undefined) throw new CronError("a date whenever takes from Chronic's current month");
  return at.month;
}

function parseAsString(s: string, ctx: Ctx): string {
  const at = ctx.at;
  const t: (string | number)[] = [isTime(at) ? at.min : 0, isTime(at) ? at.hour : 0, "*", "*"];
  const lower = s.toLowerCase();
  if (lower.includes("weekday")) return [...t, "1-5"].join(" ");
  if (lower.includes("weekend")) return [...t, "6,0"].join(" ");
  const i = DAYS.findIndex((d) => lower.includes(d));
  if (i >= 0) return [...t, i].join(" ");
  throw new CronError(`Couldn't parse: ${JSON.stringify(s)}`);
}

/** Cron#comma_separated_timing, including its rounding. */
export function commaSeparatedTiming(frequency: number, max: number, start = 0): string | number {
  if (frequency === 0) return start;
  if (frequency === 1) return "*";
  if (frequency > Math.ceil(max * 0.5)) return frequency;
  const originalStart = start;
  if (!((max + 1) % frequency === 0 || start > 0)) start += frequency;
  const output: number[] = [];
  for (let x = start; x <= max; x += frequency) output.push(x);
  let maxOccurrences = Math.round(max / frequency);
  if (originalStart === 0) maxOccurrences += 1;
  return output.slice(0, maxOccurrences).join(",");
}

/**
 * JobList#combine: lines of one time group that differ in a single field are merged
 * ("0 3 * * * x" + "0 4 * * * x" → "0 3,4 * * * x"). Works on [fields..., command] rows; returns
 * which original row each surviving row stands for (the first of those merged).
 */
export function combine(entries: string[][]): { row: string[]; from: number }[] {
  const rows = entries.map((e, i) => ({ row: [...e], from: i }));
  for (let f = 0; f <= 4; f++) {
    for (let i = rows.length - 1; i >= 1; i--) {
      if (rows[i].row[f] === "*") continue;
      const cmp = JSON.stringify([...rows[i].row.slice(0, f), ...rows[i].row.slice(f + 1)]);
      for (let j = i - 1; j >= 0; j--) {
        if (rows[j].row[f] === "*") continue;
        if (cmp === JSON.stringify([...rows[j].row.slice(0, f), ...rows[j].row.slice(f + 1)])) {
          rows[j].row[f] += "," + rows[i].row[f];
          rows.splice(i, 1);
          break;
        }
      }
    }
  }
  return rows;
}
