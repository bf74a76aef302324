// Writes emitted files into a throwaway Rails app directory and boots it with real Rails.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import type { EmittedFile, RValue } from "../../src/model.js";

const BOOT = join(import.meta.dirname, "boot_app.rb");

export function writeApp(files: EmittedFile[], extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-railsapp-"));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  for (const [p, c] of Object.entries(extra)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  mkdirSync(join(dir, "config/initializers"), { recursive: true });
  return dir;
}

/** RValue → the typed JSON boot_app.rb reads (Symbols, Dates tagged). */
export function typedJson(v: RValue): unknown {
  if (Array.isArray(v)) return v.map(typedJson);
  if (v && typeof v === "object") {
    const o = v as Record<string, RValue>;
    if (typeof o.sym === "string" && Object.keys(o).length === 1) return { sym: o.sym };
    if (typeof o.date === "string" && Object.keys(o).length === 1) return { date: o.date };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, typedJson(x)]));
  }
  return v;
}

export interface Booted {
  namespaces: Record<string, unknown>;
  probes: Record<string, unknown>;
  task?: { status: number; output: string };
}

/** `global`: the values the stand-in Global serves (typed JSON), or `{ globalDir }`: Global's own config directory, read by the gem's rules in RAILS_ENV. */
export function bootApp(dir: string, global: Record<string, unknown> | { globalDir: string }, opts: { env?: Record<string, string>; probes?: string[]; task?: string } = {}): Booted {
  let globalFile: string;
  if (typeof global["globalDir"] === "string") globalFile = global["globalDir"] as string;
  else {
    globalFile = join(dir, "global-values.json");
    writeFileSync(globalFile, JSON.stringify(global));
  }
  const args = [BOOT, dir, globalFile, ...(opts.task ? [opts.task] : [])];
  const r = spawnSync("ruby", args, {
    encoding: "utf8",
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", PROBES: JSON.stringify(opts.probes ?? []), ...opts.env },
  });
  if (r.status !== 0) throw new Error(`ruby boot failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  try {
    return JSON.parse(r.stdout.trim().split("\n").pop()!);
  } catch {
    throw new Error(`ruby boot printed no JSON last:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  }
}

/** Parses YAML text (after ERB) with Ruby's own Psych, returning typed JSON. */
export function rubyLoad(texts: string[], env: Record<string, string> = {}): unknown[] {
  const script = `
require "json"; require "yaml"; require "erb"; require "date"
def typed(v)
  case v
  when Hash then v.each_with_object({}) { |(k, x), h| h[k.to_s] = typed(x) }
  when Array then v.map { |x| typed(x) }
  when Symbol then { "sym" => v.to_s }
  when Date then { "date" => v.iso8601 }
  when Float then v.nan? || v.infinite? || v == v.to_i ? { "float" => v.to_s } : v
  else v
  end
end
texts = JSON.parse(STDIN.read)
puts JSON.generate(texts.map { |t| typed(YAML.unsafe_load(ERB.new(t).result)) })
`;
  const out = execFileSync("ruby", ["-e", script], { input: JSON.stringify(texts), encoding: "utf8", env: { PATH: process.env.PATH, LANG: "C.UTF-8", ...env } });
  return JSON.parse(out);
}
