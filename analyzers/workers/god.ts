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

/** god's lib/god.rb: STOP_TIMEOUT_DEFAULT = 10 (seconds), STOP_SIGNAL_DEFAULT = 'TERM'. */
export const GOD_STOP_TIMEOUT_DEFAULT = 10;
export const GOD_STOP_SIGNAL_DEFAULT = "TERM";

const SECONDS: Record<string, number> = { second: 1, seconds: 1, minute: 60, minutes: 60, hour: 3600, hours: 3600 };

/**
 * God's own stop settings of the watch that holds line `at`: `w.stop_timeout` (how long god waits
 * after the stop command before it sends KILL: the servers' drain bound) and a memory restart
 * (`c.above = 150.megabytes` under :memory_usage), each as written, with its line.
 */
export function godWatchStop(
  file: string,
  text: string,
  at: number,
): {
  stopTimeout?: { seconds: number; written: string; source: Source; godDefault?: true };
  memory?: { written: string; source: Source };
  /** `w.stop = …`: god ran that command and waited for it before its own stop_timeout began. */
  stopCommand?: { written: string; source: Source };
  /** `w.stop_signal = 'QUIT'`: what god sends when the watch has no stop command. */
  stopSignal?: { signal: string; source: Source };
} {
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
    if (/^\s*\w+\.stop\s*=/.test(l)) out.stopCommand = { written: l.trim(), source: { file, line: i + 1 } };
    const sig = /^\s*\w+\.stop_signal\s*=\s*(?:["']|:)(?:SIG)?([A-Z0-9]+)["']?\s*(#.*)?$/.exec(l);
    if (sig) out.stopSignal = { signal: sig[1]!, source: { file, line: i + 1 } };
    if (/:memory_usage\b/.test(l)) memoryCondition = true;
    const m = /^\s*\w+\.above\s*=\s*(\d+(?:\.\d+)?\.(?:kilobytes|megabytes|gigabytes|kilobyte|megabyte|gigabyte))/.exec(l);
    if (m && memoryCondition && !out.memory) out.memory = { written: m[1]!, source: { file, line: i + 1 } };
  }
  // No stop_timeout: god's own (God::STOP_TIMEOUT_DEFAULT, lib/god.rb), which Process#call_action
  // waits after sending the stop signal, and Process#ensure_stop after a stop command, before KILL.
  if (!out.stopTimeout) out.stopTimeout = { seconds: GOD_STOP_TIMEOUT_DEFAULT, written: `god's default stop_timeout, God::STOP_TIMEOUT_DEFAULT = ${GOD_STOP_TIMEOUT_DEFAULT}; the watch sets none`, source: { file, line: b.from + 1 }, godDefault: true };
  return out;
}

/** One kind of process a god watch starts: its env (as the servers set it) and how many of it per server. */
export interface GodGroup {
  env: Record<string, string>;
  count: number;
  /** env keys whose value the file does not state (left out of the container). */
  unknown: string[];
}

// Set by the stage or pointing at server paths, never carried from the god file.
const SERVER_ENV = new Set(["PIDFILE", "RAILS_ENV", "RACK_ENV", "HOME", "PATH"]);

/**
 * The processes the watch holding line `at` starts, grouped by the env its `w.env = { … }` gives
 * each: a loop `(1..N).each do |id|` / `N.times do |id|` runs the watch once per value of id, and
 * an env value may index a table the file states (`Q = { a: 2, b: 1 }.map { |k, n| Array.new(n, k) }.flatten`,
 * `"@#{Q[id - 1]}"`), name a string the file sets (`workers = "A,B"`), or be a literal. Null when
 * the loop's count is not known (godWatchCount says why).
 */
export function godWatchGroups(file: string, text: string, at: number): GodGroup[] | null {
  const ls = text.split(/\r?\n/);
  const b = watchBlock(ls, at);
  if (!b) return null;
  const tables = repeatTables(text);
  const strings = new Map<string, string>();
  for (const m of text.matchAll(/^\s*([A-Za-z_]\w*)\s*=\s*(["'])([^"'#\\]*)\2\s*(?:#.*)?$/gm)) strings.set(m[1]!, m[3]!);
  // `queue_name = "@#{Q[id - 1]}"` in the file: a name for a string that may read the loop's variable.
  const exprs = new Map<string, string>();
  for (const m of text.matchAll(/^\s*([a-z_]\w*)\s*=\s*("(?:[^"\\]|\\.)*")\s*(?:#.*)?$/gm)) exprs.set(m[1]!, m[2]!);
  // The loop: its variable and the values it takes.
  let loopVar: string | null = null;
  let ids: number[] = [0];
  const count = godWatchCount(file, text, at);
  if (count && "unknown" in count) {
    const h = ls[count.source.line - 1]!;
    const r = /^\s*\(\s*(\d+)\s*(\.\.\.?)\s*([A-Z]\w*)(?:\.(?:length|size|count))?\s*\)\.each\s*(?:do\s*|\{\s*)\|(\w+)\|/.exec(h);
    // `(1..Q.length)`, or `(1..MAX)` with `MAX = Q.length` in the file.
    const alias = r && !/\.(length|size|count)\s*\)/.test(h) ? new RegExp(`^\\s*${r[3]}\\s*=\\s*([A-Z]\\w*)\\.(?:length|size|count)\\s*(#.*)?$`, "m").exec(text)?.[1] : r?.[3];
    const t = alias ? tables.get(alias) : undefined;
    if (!r || !t) return null;
    loopVar = r[4]!;
    const from = Number(r[1]);
    const to = r[2] === ".." ? t.length : t.length - 1;
    ids = [];
    for (let i = from; i <= to; i++) ids.push(i);
  } else if (count) {
    const h = ls[count.source.line - 1]!;
    const v = /\|\s*(\w+)\s*\|/.exec(h);
    loopVar = v ? v[1]! : null;
    const r = RANGE.exec(h);
    const start = r ? (/^\d+$/.test(r[1]!) ? Number(r[1]) : Number(new RegExp(`^\\s*${r[1]}\\s*=\\s*(\\d+)`, "m").exec(text)?.[1] ?? 0)) : 0;
    ids = Array.from({ length: count.count }, (_, i) => start + i);
  }
  // The env hash, possibly over several lines.
  let envText = "";
  for (let i = b.from; i <= b.to; i++) {
    const m = /^\s*\w+\.env\s*=\s*(\{.*)$/.exec(ls[i]!);
    if (!m) continue;
    envText = m[1]!;
    for (let j = i + 1; j <= b.to && (envText.match(/\{/g)?.length ?? 0) > (envText.match(/\}/g)?.length ?? 0); j++) envText += " " + ls[j]!.trim();
    break;
  }
  const entries = [...envText.matchAll(/(["'])(\w+)\1\s*=>\s*("(?:[^"\\]|\\.)*"|'[^']*'|[\w.:]+(?:\[[^\]]*\])?)/g)].map((m) => ({ key: m[2]!, value: m[3]! }));
  const value = (v: string, id: number, depth = 0): string | null => {
    const idx = (expr: string): string | null => {
      const e = expr.replace(/\s+/g, "");
      if (loopVar && e === loopVar) return String(id);
      const m = /^([A-Z]\w*)\[(\w+)(?:([-+])(\d+))?\]$/.exec(e);
      if (m && m[2] === loopVar && tables.has(m[1]!)) {
        const i = id + (m[3] === "-" ? -Number(m[4]) : m[3] === "+" ? Number(m[4]) : 0);
        return tables.get(m[1]!)![i] ?? null;
      }
      if (/^\d+$/.test(e) || /^(true|false)$/.test(e)) return e; // god sets ENV[k] = v.to_s
      if (strings.has(e)) return strings.get(e)!;
      const x = exprs.get(e);
      return x && depth < 3 ? value(x, id, depth + 1) : null;
    };
    if (v.startsWith("'")) return v.slice(1, -1);
    if (v.startsWith('"')) {
      let ok = true;
      const s = v.slice(1, -1).replace(/#\{([^}]*)\}/g, (_, e: string) => idx(e) ?? ((ok = false), ""));
      return ok && !/\\/.test(s) ? s : null;
    }
    return idx(v);
  };
  const groups = new Map<string, GodGroup>();
  for (const id of ids) {
    const env: Record<string, string> = {};
    const unknown: string[] = [];
    for (const e of entries) {
      if (SERVER_ENV.has(e.key)) continue;
      // A value that is only the loop counter (TERM_CHILD => id) is a flag per process: its lowest value stands for all.
      const v = loopVar && e.value === loopVar ? String(ids[0]) : value(e.value, id);
      if (v === null) unknown.push(e.key);
      else env[e.key] = v;
    }
    const key = JSON.stringify([env, unknown]);
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { env, count: 1, unknown });
  }
  return [...groups.values()];
}

/** `NAME = { a: 2, b: 1 }.map { |k, n| Array.new(n, k) }.flatten`: the flat list it builds (a, a, b). */
function repeatTables(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const re = /^\s*([A-Z]\w*)\s*=\s*\{([^}]*)\}\s*\.map\s*(?:\{|do)\s*\|\s*(\w+)\s*,\s*(\w+)\s*\|\s*Array\.new\(\s*(\w+)\s*,\s*(\w+)\s*\)\s*(?:\}|end)\s*\.flatten\b/gm;
  for (const m of text.matchAll(re)) {
    if (m[5] !== m[4] || m[6] !== m[3]) continue;
    const list: string[] = [];
    let ok = true;
    for (const part of m[2]!.split(",").map((p) => p.trim()).filter(Boolean)) {
      const e = /^(?::?(\w+):?|["'](\w+)["'])\s*(?:=>)?\s*(\d+)$/.exec(part.replace(/\s+/g, " "));
      if (!e) ok = false;
      else for (let i = 0; i < Number(e[3]); i++) list.push(e[1] ?? e[2]!);
    }
    if (ok) out.set(m[1]!, list);
  }
  return out;
}
