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
  let watch = -1;
  for (let i = at; i >= 0; i--)
    if (/\bGod\.watch\b/.test(ls[i]!)) {
      watch = i;
      break;
    }
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
