// Real cap 3.17 per stage with a recording backend: which host got which command when deploy:starting's
// hook-adding prerequisites, then deploy:published (and the hooks around it) ran. Plugins not installed
// here are stand-ins in their shape, put on Ruby's load path (`lib`).
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareCopy } from "../capistrano/cap.js";
import { ORACLE } from "./dlss-stand-in.js";

/** Per app and stage, real cap's [host, command] pairs. */
const ran: Record<string, Record<string, [string, string][]>> = {};
const cleanup: string[] = [];

export function capRan(name: string, files: Record<string, string>, stages: string[], lib: Record<string, string> = {}): void {
  const dir = mkdtempSync(join(tmpdir(), `r2k-stage-hooks-${name}-`));
  cleanup.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  const libDir = join(app, "..", "lib");
  for (const [p, text] of Object.entries(lib)) {
    mkdirSync(join(libDir, p, ".."), { recursive: true });
    writeFileSync(join(libDir, p), text);
  }
  writeFileSync(join(app, "..", "ran.rake"), ORACLE);
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "ran.rake"))}\n`);
  ran[name] = {};
  for (const stage of stages) {
    const r = spawnSync("cap", [stage, "r2k:published"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-I${libDir} -r${join(app, "..", "prelude.rb")} -rjson -rstringio` } });
    const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-RAN"));
    if (!line) throw new Error(`cap ${stage} r2k:published failed: ${r.stderr}`);
    ran[name]![stage] = JSON.parse(line.slice(7));
  }
}

/** The hosts of the stage's run that got a command matching `re`, sorted. */
export const hostsOf = (app: string, stage: string, re: RegExp): string[] => [...new Set(ran[app]![stage]!.filter(([, c]) => re.test(c)).map(([h]) => h))].sort();

export function removeCapRuns(): void {
  for (const d of cleanup.splice(0)) rmSync(d, { recursive: true, force: true });
}
