// Runs the real `whenever` (Debian's ruby-whenever 1.0) on a schedule and parses the crontab it
// prints: env lines, MAILTO lines and job lines (time part and command). It runs in a scratch
// directory laid out like the release (Gemfile, bin/rails), because whenever picks `bundle exec`
// and the runner command from the directory it runs in.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WheneverOutput {
  env: [string, string][];
  lines: { schedule: string; command: string; mailto: string | null }[];
}

/** What the server had when whenever ran there: environment variables, and empty files in its home (= the run directory). */
export interface ServerState {
  env?: Record<string, string>;
  homeFiles?: string[];
}

export function runWhenever(scheduleFile: string, release: { gemfile: boolean; binRails: boolean }, set: string, server: ServerState = {}, extra: string[] = []): WheneverOutput {
  const dir = mkdtempSync(join(tmpdir(), "r2k-whenever-"));
  try {
    for (const f of server.homeFiles ?? []) writeFileSync(join(dir, f), "");
    if (release.gemfile) writeFileSync(join(dir, "Gemfile"), 'source "https://rubygems.org"\n');
    if (release.binRails) {
      mkdirSync(join(dir, "bin"));
      writeFileSync(join(dir, "bin/rails"), "#!/usr/bin/env ruby\n");
    }
    const r = spawnSync("whenever", ["-f", scheduleFile, "--set", set, ...extra], { cwd: dir, encoding: "utf8", env: { ...server.env, PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    if (r.status !== 0) throw new Error(`whenever failed (${r.status}): ${r.stderr}`);
    return parseCrontab(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseCrontab(text: string): WheneverOutput {
  const out: WheneverOutput = { env: [], lines: [] };
  let mailto: string | null = null;
  for (const line of text.split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    let m: RegExpExecArray | null;
    if ((m = /^(@\w+|(?:\S+ +){4}\S+) +(.*)$/.exec(line)) && /^[@*\d]/.test(line)) out.lines.push({ schedule: m[1], command: m[2], mailto });
    else if ((m = /^MAILTO=(.*)$/.exec(line)) && out.lines.length) mailto = m[1];
    else if ((m = /^(\w+)=(.*)$/.exec(line))) out.env.push([m[1], m[2]]);
    else throw new Error(`unexpected crontab line: ${line}`);
  }
  return out;
}
