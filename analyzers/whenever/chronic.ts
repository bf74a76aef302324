// The part of Chronic (gitlab-chronic 0.10.5, what Debian's whenever uses) that schedule `at:`
// strings need: a time of day ("3am", "4:30 pm", "16:00", "noon", "midnight", "430") and an
// optional date ("January 5th 3am", "1/15 4pm"). Chronic's rules are kept, quirks included: a bare
// "3:00" is ambiguous and read inside 6:00–18:00 (so 15:00), "12" alone is noon, a date without a
// time is its middle (12:00). Anything outside this subset gives null: never a guess.
//
// Source: lib/chronic/parser.rb (pre_normalize), repeaters/repeater_time.rb (ambiguity),
// handlers.rb (ambiguous_time_range 6 → a day portion 6:00..18:00), repeater_day_portion.rb.

export interface ChronicTime {
  hour: number;
  min: number;
  /** Day of month and month, when the text names a date. */
  day?: number;
  month?: number;
  /**
   * The words before the time that Chronic read as a span ("end of the month" in "end of the month
   * at 2am"): whenever keeps only the hour and minute of such a time, so they never reach the line.
   */
  spanWords?: string;
}

export interface ChronicOptions {
  /** `chronic_options: { hours24: true }`: every time read on a 24-hour clock. */
  hours24?: boolean | null;
}

const MONTHS: Record<string, number> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5, jun: 6, june: 6,
  jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9, oct: 10, october: 10, nov: 11, november: 11, dec: 12, december: 12,
};

const H = 3600;

/** Chronic's pre_normalize, the steps a time/date string goes through. */
function normalize(text: string): string {
  let t = text.toLowerCase();
  t = t.replace(/\b([ap])\.m\.?/g, "$1m");
  t = t.replace(/\./g, ":");
  t = t.replace(/([ap]):m:?/g, "$1m");
  t = t.replace(/['"]/g, "");
  t = t.replace(/,/g, " ");
  t = t.replace(/([/\-,@])/g, " $1 ");
  t = t.replace(/(?:^|\s)0(\d+:\d+\s*pm?\b)/g, " $1");
  t = t.replace(/\bnoon\b/g, "12:00pm");
  t = t.replace(/\bmidnight\b/g, "24:00");
  t = t.replace(/\b\d+:?\d*[ap]\b/g, "$&m");
  t = t.replace(/\b(\d{2})(\d{2})(am|pm)\b/g, "$1:$2$3");
  t = t.replace(/(\d)([ap]m|oclock)\b/g, "$1 $2");
  return t.trim();
}

/**
 * Chronic.parse(text).hour/.min/.day/.month; "nil" where Chronic itself finds nothing (a time
 * outside the am/pm it names, e.g. "9pm" on a 24-hour clock — whenever then uses 0); null when
 * the text is outside the supported subset.
 */
export function chronicParse(text: string, opts: ChronicOptions = {}): ChronicTime | "nil" | null {
  const tokens = normalize(text).split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return null;
  // Forms checked against Chronic 0.10.5: "at 3am" and "5th 3am" are nil; "5th" alone is 0:00 of
  // that day; a date with a month and no time is its middle, 12:00.
  if (tokens[0] === "at") return "nil";
  if (/^\d{1,2}(st|nd|rd|th)$/.test(tokens[0])) {
    if (tokens.length === 1) return { hour: 0, min: 0, day: parseInt(tokens[0], 10) };
    return "nil";
  }
  const date = readDate(tokens, 0);
  if (date) {
    let i = date.next;
    if (tokens[i] === "at") i++;
    if (i === tokens.length) return { hour: 12, min: 0, day: date.day, month: date.month };
    const t = readTime(tokens, i, opts);
    if (t === null || t === "nil") return t;
    if (t.next !== tokens.length) return null;
    return { ...hm(t.secs), day: date.day, month: date.month };
  }
  const span = spanPrefix(tokens);
  if (span > 0) {
    const i = tokens[span] === "at" ? span + 1 : span;
    const t = readTime(tokens, i, opts);
    // A time Chronic finds nothing for after a span is not checked against Chronic: not guessed as 0.
    if (t === null || t === "nil" || t.next !== tokens.length) return null;
    return { ...hm(t.secs), spanWords: tokens.slice(0, span).join(" ") };
  }
  const t = readTime(tokens, 0, opts);
  if (t === null || t === "nil") return t;
  if (t.next === tokens.length) return hm(t.secs);
  // "3am January 5th"
  const after = readDate(tokens, t.next);
  if (!after || after.next !== tokens.length) return null;
  return { ...hm(t.secs), day: after.day, month: after.month };
}

// Chronic drops the words it has no tag for ("start", "beginning", "end", "middle", "of") and reads
// "the month at 6am", "this week 6am", "every sunday at noon" as a span of the current day, week or
// month with the time put on a day of it: its hour and minute are the time's, whatever day whenever
// runs on (checked against Chronic over a year of `now`s, test/whenever/chronic-span-oracle.test.ts).
// Only these words are read so; anything else before a time stays outside the subset.
const SPAN_FILLER = new Set(["start", "beginning", "end", "middle", "of", "the", "this", "each", "every"]);
const SPAN_UNIT = new Set(["day", "week", "month", "year", "today", "tomorrow", "weekday", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]);

const DAY_NAMED = new Set(["today", "tomorrow"]);

/** How many leading tokens are span words (at least one a unit), else 0. */
function spanPrefix(tokens: string[]): number {
  let n = 0;
  let unit = false;
  while (n < tokens.length && (SPAN_FILLER.has(tokens[n]!) || SPAN_UNIT.has(tokens[n]!))) {
    // "this today at 6am" is nil in Chronic (a grabber before a day it cannot grab): not read
    if (DAY_NAMED.has(tokens[n]!) && tokens[n - 1] === "this") return 0;
    unit = SPAN_UNIT.has(tokens[n++]!) || unit;
  }
  return unit ? n : 0;
}

const hm = (secs: number) => ({ hour: Math.floor(secs / H) % 24, min: Math.floor((secs % H) / 60) });

/** "january 5th", "jan 5", "5 january", "1 / 15" (month first, Chronic's default endianness). */
function readDate(tokens: string[], i: number): { day: number; month: number; next: number } | null {
  const dayTok = (t: string | undefined) => (t && /^(\d{1,2})(st|nd|rd|th)?$/.test(t) ? parseInt(t, 10) : null);
  if (tokens[i] && tokens[i] in MONTHS) {
    const d = dayTok(tokens[i + 1]);
    return d === null ? null : { month: MONTHS[tokens[i]], day: d, next: i + 2 };
  }
  const d = dayTok(tokens[i]);
  if (d !== null && tokens[i + 1] && tokens[i + 1] in MONTHS) return { month: MONTHS[tokens[i + 1]], day: d, next: i + 2 };
  if (/^\d{1,2}$/.test(tokens[i] ?? "") && tokens[i + 1] === "/" && /^\d{1,2}$/.test(tokens[i + 2] ?? "")) return { month: Number(tokens[i]), day: Number(tokens[i + 2]), next: i + 3 };
  return null;
}

/** A time token and its optional am/pm. */
function readTime(tokens: string[], i: number, opts: ChronicOptions): { secs: number; next: number } | "nil" | null {
  const portion = tokens[i + 1] === "am" || tokens[i + 1] === "pm" ? (tokens[i + 1] as "am" | "pm") : undefined;
  const secs = timeOfDay(tokens[i], portion, opts);
  if (secs === null || secs === "nil") return secs;
  return { secs, next: i + (portion ? 2 : 1) };
}

/** RepeaterTime + the day portion it falls in; seconds after midnight, "nil" or null (as above). */
function timeOfDay(tok: string, portion: "am" | "pm" | undefined, opts: ChronicOptions): number | "nil" | null {
  if (!/^\d{1,4}(:\d{1,2}){0,2}$/.test(tok)) return null;
  let parts = tok.split(":");
  if (parts.length === 1 && parts[0].length > 2) {
    // "430" → 4:30, "1630" → 16:30
    const p = parts[0];
    parts = [p.slice(0, p.length - 2), p.slice(p.length - 2)];
  }
  let hours = parseInt(parts[0], 10);
  let ambiguous = false;
  if (opts.hours24 !== true) {
    ambiguous = (parts[0].length === 1 && hours > 0) || (hours >= 10 && hours <= 12) || (opts.hours24 === false && hours > 0);
    if (hours === 12 && ambiguous) hours = 0;
  }
  const minutes = parts.length > 1 ? parseInt(parts[1], 10) : 0;
  if (minutes > 59 || hours > 24) return null;
  const t = hours * H + minutes * 60;
  // the day portion: am, pm, or for an ambiguous time without one, ambiguous_time_range 6
  const range: [number, number] | null = portion === "am" ? [0, 12 * H - 1] : portion === "pm" ? [12 * H, 24 * H - 1] : ambiguous ? [6 * H, 18 * H] : null;
  if (!range) return t;
  const candidates = ambiguous ? [t, t + 12 * H] : [t];
  const hit = candidates.find((c) => c >= range[0] && c <= range[1]);
  return hit ?? "nil";
}
