// Runs one Ruby process for a batch of oracle cases: the script reads JSON on stdin and prints JSON.
// TZ=UTC so that times without a zone (Psych reads them as UTC, shown in local time) print alike.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RubyVal } from "../../analyzers/ruby/yaml.js";
import { isRubyHash, rubyNumberToS } from "../../analyzers/ruby/yaml.js";

export function runRuby(script: string, input: unknown, env: Record<string, string> = {}): any {
  const dir = mkdtempSync(join(tmpdir(), "r2k-yaml-"));
  writeFileSync(join(dir, "Gemfile"), "");
  const r = spawnSync("ruby", ["-rjson", "-e", script], {
    cwd: dir,
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", TZ: "UTC", BUNDLE_GEMFILE: join(dir, "Gemfile"), ...env },
  });
  if (r.status !== 0) throw new Error(`ruby failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * Ruby's `enc(value)`: every Ruby type tagged, Hash keys typed and in order, so that the two sides
 * compare exactly. Integers ({i}) and Floats ({f}, as Float#to_s) stay apart, values and keys:
 * Ruby keeps `1` and `1.0` apart, and so must the model (FloatValue).
 */
export const RUBY_ENCODER = `
def enc(v, stack = [])
  return { "recursive" => true } if stack.any? { |s| s.equal?(v) }
  case v
  when Hash then { "h" => v.map { |k, x| [enc(k, stack + [v]), enc(x, stack + [v])] } }
  when Array then { "a" => v.map { |x| enc(x, stack + [v]) } }
  when String
    s = v.dup.force_encoding("UTF-8")
    s.valid_encoding? ? { "s" => s } : { "bin" => true }
  when Symbol then { "y" => v.to_s }
  when Integer then { "i" => v.to_s }
  when Float then { "f" => v.to_s }
  when DateTime then { "t" => v.to_time.strftime("%Y-%m-%dT%H:%M:%S.%6N%:z") }
  when Date then { "d" => v.iso8601 }
  when Time then { "t" => v.strftime("%Y-%m-%dT%H:%M:%S.%6N%:z") }
  when true, false, nil then v
  else { "other" => v.class.name }
  end
end
`;

/** Ruby's encoding with Integers beyond JavaScript's safe range as {big}. */
export function normalizeRuby(v: any, asKey = false): any {
  if (v === null || typeof v !== "object") return v;
  if ("h" in v) return { h: v.h.map(([k, x]: [any, any]) => [normalizeRuby(k, true), normalizeRuby(x)]) };
  if ("a" in v) return { a: v.a.map((x: any) => normalizeRuby(x)) };
  if ("i" in v && !Number.isSafeInteger(Number(v.i))) return { big: v.i };
  return v;
}

/** Our typed value in the same encoding. */
export function encodeOurs(v: RubyVal, asKey = false, float = false): any {
  if (v === null || typeof v === "boolean") return v;
  if (typeof v === "string") return { s: v };
  if (typeof v === "number") return float || !Number.isInteger(v) ? { f: rubyNumberToS(v, true) } : { i: String(v) };
  if (Array.isArray(v)) return { a: v.map((x) => encodeOurs(x)) };
  if (isRubyHash(v)) return { h: [...v.entries.values()].map((e) => [encodeOurs(e.key, true, e.floatKey), encodeOurs(e.value)]) };
  if ("sym" in v) return { y: v.sym };
  if ("float" in v) return { f: v.float };
  if ("date" in v) return { d: v.date };
  if ("time" in v) return { t: normalizeTime(v.time) };
  if ("unknown" in v) {
    if (/too large/.test(v.unknown)) return { big: (v.expr ?? "").replace(/[,_+]/g, "") };
    if (/binary data/.test(v.unknown)) return { bin: true };
    if (/Encoding/.test(v.unknown)) return { other: "Encoding" };
  }
  return { ours: v };
}

/**
 * The instant and offset Psych's parse_time gives for a timestamp text, printed as Ruby's
 * strftime("%Y-%m-%dT%H:%M:%S.%6N%:z") would (no zone: UTC, as the oracle runs with TZ=UTC).
 */
export function normalizeTime(text: string): string {
  const sep = /[ tT]/.exec(text)!;
  const date = text.slice(0, sep.index);
  const time = text.slice(sep.index + 1);
  const [, yy, m, dd] = /^(-?\d{4})-(\d{1,2})-(\d{1,2})/.exec(date)!.map(Number) as number[];
  const md = /(\d+:\d+:\d+)(?:\.(\d*))?\s*(Z|[-+]\d+(:\d\d)?)?/.exec(time)!;
  const [hh, mi, ss] = md[1].split(":").map(Number);
  const us = md[2] ? Math.floor(Number(`0.${md[2]}`) * 1e6 + 1e-6) : 0;
  let offset = 0;
  if (md[3] && md[3] !== "Z") {
    const tz = /^([+-]?\d{1,2}):?(\d{1,2})?$/.exec(md[3])!;
    const h = Number(tz[1]);
    // Psych: the minutes count against the hours only when `hours * 3600 < 0` ("-00:30" is +00:30).
    offset = h * 3600 + (h * 3600 < 0 ? -1 : 1) * Number(tz[2] ?? 0) * 60;
  }
  // Date.UTC rolls over out-of-range days and hours like Ruby's Time.utc / Time.new.
  const wall = new Date(0);
  wall.setUTCFullYear(yy, m - 1, dd);
  wall.setUTCHours(hh, mi, ss, 0);
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");
  const off = `${offset < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offset) / 3600))}:${pad(Math.floor((Math.abs(offset) % 3600) / 60))}`;
  const y = wall.getUTCFullYear();
  return `${y < 0 ? "-" : ""}${pad(y, 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}.${pad(us, 6)}${off}`;
}
