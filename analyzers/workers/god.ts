// How many processes a god file starts from one `w.start` line: a `God.watch` inside
// `N.times do |i|`, `(a..b).each do |i|` or `NAME.times` (NAME a constant of the same file set to a
// whole number) is that many watches, each a process on every server that loads the file.
import type { Source } from "../../src/model.js";

export interface GodCount {
  count: number;
  /** The loop as written, for the evidence. */
  written: string;
  source: Source;
}

const indent = (l: string) => /^(\s*)/.exec(l)![1]!.replace(/\t/g, "  ").length;
const code = (l: string) => l.trim() !== "" && !/^\s*#/.test(l);
const TIMES = /^\s*([A-Za-z_]\w*|\d+)\.times\s*(?:do\b|\{)/;
const RANGE = /^\s*\(\s*([A-Za-z_]\w*|\d+)\s*(\.\.\.?)\s*([A-Za-z_]\w*|\d+)\s*\)\.each(?:_with_index)?\s*(?:do\b|\{)/;

/**
 * The loop around the `God.watch` that holds line `at` (0-based) of a god file, or null when the
 * watch is not in a loop. `unknown` when it is, but its count is not a number the file states.
 */
export function godWatchCount(file: string, text: string, at: number): GodCount | { unknown: string; source: Source } | null {
  const ls = text.split(/\r?\n/);
  const watch = watchStart(ls, at);
  if (watch < 0) return null;
  const own = indent(ls[watch]!);
  let header = -1;
  for (let i = watch - 1; i >= 0; i--)
    if (code(ls[i]!) && indent(ls[i]!) < own) {
      header = i;
      break;
    }
  if (header < 0) return null;
  const h = ls[header]!;
  const source = { file, line: header + 1 };
  const value = (w: string): number | null => {
    if (/^\d+$/.test(w)) return Number(w);
    const m = new RegExp(`^\\s*${w}\\s*=\\s*(\\d+)\\s*(#.*)?$`, "m").exec(text);
    return m ? Number(m[1]) : null;
  };
  const t = TIMES.exec(h);
  if (t) {
    const n = value(t[1]!);
    return n === null ? { unknown: `${h.trim()}: ${t[1]} is not a number this file sets`, source } : { count: n, written: h.trim(), source };
  }
  const r = RANGE.exec(h);
  if (r) {
    const a = value(r[1]!);
    const b = value(r[3]!);
    if (a === null || b === null) return { unknown: `${h.trim()}: the range's ends are not numbers this file sets`, source };
    return { count: Math.max(0, b - a + (r[2] === ".." ? 1 : 0)), written: h.trim(), source };
  }
  // Some other loop (`ENV["N"].to_i.times`, `queues.each`): a count the file does not state.
  if (/\.(times|each|each_with_index|upto)\b.*(\bdo\b|\{)/.test(h)) return { unknown: `${h.trim()}: a loop whose count is computed`, source };
  return null;
}

/** The line (0-based) of the `God.watch` at or above line `at`; -1 when there is none. */
function watchStart(ls: string[], at: number): number {
  for (let i = at; i >= 0; i--) if (/\bGod\.watch\b/.test(ls[i]!)) return i;
  return -1;
}

/** The `God.watch` block that holds line `at` (0-based): its first and last line, by indentation. */
function watchBlock(ls: string[], at: number): { from: number; to: number } | null {
  const from = watchStart(ls, at);
  if (from < 0) return null;
  const own = indent(ls[from]!);
  let to = ls.length - 1;
  for (let i = from + 1; i < ls.length; i++)
    if (code(ls[i]!) && indent(ls[i]!) <= own) {
      to = i;
      break;
    }
  return { from, to };
}

const SECONDS: Record<string, number> = { second: 1, seconds: 1, minute: 60, minutes: 60, hour: 3600, hours: 3600 };

/**
 * God's own stop settings of the watch that holds line `at`: `w.stop_timeout` (how long god waits
 * after the stop command before it sends KILL: the servers' drain bound) and a memory restart
 * (`c.above = 150.megabytes` under :memory_usage), each as written, with its line.
 */
export function godWatchStop(file: string, text: string, at: number): { stopTimeout?: { seconds: number; written: string; source: Source }; memory?: { written: string; source: Source } } {
  const ls = text.split(/\r?\n/);
  const b = watchBlock(ls, at);
  if (!b) return {};
  const out: ReturnType<typeof godWatchStop> = {};
  let memoryCondition = false;
  for (let i = b.from; i <= b.to; i++) {
    const l = ls[i]!;
    if (!code(l)) continue;
    const t = /^\s*\w+\.stop_timeout\s*=\s*(\d+)(?:\.(seconds?|minutes?|hours?))?\s*(#.*)?$/.exec(l);
    if (t) out.stopTimeout = { seconds: Number(t[1]) * SECONDS[t[2] ?? "seconds"]!, written: l.trim(), source: { file, line: i + 1 } };
    if (/:memory_usage\b/.test(l)) memoryCondition = true;
    const m = /^\s*\w+\.above\s*=\s*(\d+(?:\.\d+)?\.(?:kilobytes|megabytes|gigabytes|kilobyte|megabyte|gigabyte))/.exec(l);
    if (m && memoryCondition && !out.memory) out.memory = { written: m[1]!, source: { file, line: i + 1 } };
  }
  return out;
}
