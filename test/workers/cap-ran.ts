// Real cap 3.17 per stage with a recording backend: which host got which command when deploy:starting's
// hook-adding prerequisites, then deploy:published (and the hooks around it) ran. Plugins not installed
// here are stand-ins in their shape, put on Ruby's load path (`lib`).
import { rmSync } from "node:fs";
import { capApp, capJson } from "../capistrano/cap-record.js";
import { ORACLE } from "./dlss-stand-in.js";

/** Per app and stage, real cap's [host, command] pairs. */
const ran: Record<string, Record<string, [string, string][]>> = {};
const cleanup: string[] = [];

export function capRan(name: string, files: Record<string, string>, stages: string[], lib: Record<string, string> = {}): void {
  const { app, lib: libDir } = capApp(files, `r2k-stage-hooks-${name}-`, ORACLE, cleanup, "ran.rake", lib);
  ran[name] = {};
  for (const stage of stages) ran[name]![stage] = capJson(app, stage, "r2k:published", "R2K-RAN", { lib: libDir });
}

/** The hosts of the stage's run that got a command matching `re`, sorted. */
export const hostsOf = (app: string, stage: string, re: RegExp): string[] => [...new Set(ran[app]![stage]!.filter(([, c]) => re.test(c)).map(([h]) => h))].sort();

export function removeCapRuns(): void {
  for (const d of cleanup.splice(0)) rmSync(d, { recursive: true, force: true });
}
