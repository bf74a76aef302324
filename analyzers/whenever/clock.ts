// A time of day computed in a schedule: `Time.parse("4:30 am") - 2.hours`, then `.strftime("%I:%M %P")`
// or handed to `at:` as the Time itself. Ruby's Time.parse puts a clock-only text on the day whenever
// ran; whenever reads only `hour` and `min` of a Time `at:` (Whenever::Output::Cron#parse_time; its
// `day_given?` is false for anything but a String), so the date never reaches the cron line and the
// clock is known. Arithmetic is on the clock, modulo a day: `Time - seconds` on the servers gives the
// same wall clock except across a daylight-saving change, which is said at the line.
//
// The value stays an Unknown everywhere else (its date is not known): the clock rides beside it in a
// WeakMap, read only where whenever itself reads a clock (an `at:`, a `strftime` of clock fields).
import type { RValue, Unknown } from "../../src/model.js";
import { kind, argsOf } from "../ruby/prism.js";

const clocks = new WeakMap<object, number>();

const DAY = 86400;
const pad = (n: number) => String(n).padStart(2, "0");
const hhmm = (secs: number) => `${pad(Math.floor(secs / 3600))}:${pad(Math.floor((secs % 3600) / 60))}`;

/** A Time whose clock is `secs` after midnight on a day not known. */
function clockValue(secs: number, how: string): Unknown {
  const v: Unknown = { unknown: `a Time on the day whenever ran (${how}): its date is not known, its clock is ${hhmm(secs)}` };
  clocks.set(v, secs);
  return v;
}

/** The clock (seconds after midnight) of a Time this module computed, or undefined. */
export function clockOf(v: RValue): number | undefined {
  return typeof v === "object" && v !== null ? clocks.get(v) : undefined;
}

/**
 * Ruby's Time.parse (Date._parse) of a text that names only a time of day: `4:30 am`, `5:00pm`,
 * `3am`, `16:45`, `0:30 am`. Seconds after midnight; null for anything else (a date, `10`, `4.30`),
 * which stays unknown.
 */
export function parseClock(text: string): number | null {
  const m = /^\s*(\d{1,2})(?::(\d{2})(?::(\d{2}))?)?\s*(?:([ap])\.?m\.?)?\s*$/i.exec(text);
  if (!m) return null;
  let h = Number(m[1]);
  const min = m[2] === undefined ? 0 : Number(m[2]);
  const sec = m[3] === undefined ? 0 : Number(m[3]);
  const meridian = m[4]?.toLowerCase();
  if (m[2] === undefined && !meridian) return null;
  if (min > 59 || sec > 59) return null;
  if (meridian) {
    if (h > 12) return null;
    h = (h % 12) + (meridian === "p" ? 12 : 0);
  } else if (h > 23) return null;
  return h * 3600 + min * 60 + sec;
}

/** Time#strftime with clock fields only (%H %I %M %S %P %p %l %k, `-` and `%%`); null if it asks for a date. */
export function strftimeClock(secs: number, format: string): string | null {
  const h = Math.floor(secs / 3600);
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const fields: Record<string, [string, string]> = {
    H: [pad(h), String(h)], k: [String(h).padStart(2, " "), String(h)], I: [pad(h12), String(h12)], l: [String(h12).padStart(2, " "), String(h12)],
    M: [pad(Math.floor((secs % 3600) / 60)), String(Math.floor((secs % 3600) / 60))], S: [pad(secs % 60), String(secs % 60)],
    P: [h < 12 ? "am" : "pm", h < 12 ? "am" : "pm"], p: [h < 12 ? "AM" : "PM", h < 12 ? "AM" : "PM"],
  };
  let out = "";
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== "%") {
      out += format[i];
      continue;
    }
    const flag = format[i + 1] === "-" ? "-" : "";
    const c = format[i + 1 + flag.length];
    if (c === "%" && !flag) {
      out += "%";
      i++;
      continue;
    }
    const f = c === undefined ? undefined : fields[c];
    if (!f) return null;
    out += flag ? f[1] : f[0];
    i += 1 + flag.length;
  }
  return out;
}

/**
 * The schedule's walker hook: `Time.parse(text)`, `time ± seconds`, `time.strftime(fmt)`. Undefined
 * for any other call (the evaluator decides); `arithmetic` is told of each `±` on a clock (said at
 * its line: the servers' clock change days).
 */
export function clockCall(node: any, ev: (n: any) => RValue, textOf: (node: any) => string, arithmetic: (node: any) => void): RValue | undefined {
  if (kind(node) !== "CallNode" || !node.receiver) return undefined;
  const args = argsOf(node);
  const name = String(node.name);
  if (name === "parse" && kind(node.receiver) === "ConstantReadNode" && node.receiver.name === "Time" && args.length === 1) {
    const text = ev(args[0]);
    const secs = typeof text === "string" ? parseClock(text) : null;
    return secs === null ? undefined : clockValue(secs, `Time.parse(${JSON.stringify(text)})`);
  }
  // Only a receiver that can hold a Time is evaluated here (a local, or text calling Time.parse): the
  // evaluator evaluates it again, and a chain of `+` on strings must not be evaluated twice per link.
  const r = node.receiver;
  const mayHold = ["LocalVariableReadNode", "InstanceVariableReadNode", "ConstantReadNode"].includes(kind(r)) || /\bTime\.parse\b/.test(textOf(r));
  if (!mayHold) return undefined;
  const base = clockOf(ev(r));
  if (base === undefined) return undefined;
  const arg = args.length === 1 ? ev(args[0]) : undefined;
  if (name === "strftime" && typeof arg === "string") {
    const s = strftimeClock(base, arg);
    if (s !== null) return s;
  }
  if ((name === "+" || name === "-") && typeof arg === "number" && Number.isInteger(arg)) {
    arithmetic(node);
    const secs = (((base + (name === "+" ? arg : -arg)) % DAY) + DAY) % DAY;
    return clockValue(secs, `${hhmm(base)} ${name} ${arg} seconds`);
  }
  // Any other method of the Time (a date field, to_s, a comparison): not known, and no longer a clock.
  return { unknown: `\`${name}\` of a Time on the day whenever ran: not known statically` };
  return undefined;
}
