// Real cap as the oracle of what one deploy step ran on each stage: `cap <stage> r2k:ran[<step>]`
// invokes the step (its hooks run with it) through SSHKit's printer backend, recording each command
// with its host; no server is reached (cap-record.ts).
import { rmSync } from "node:fs";
import { capApp, capJson, hostRecorder } from "./cap-record.js";

const ORACLE = hostRecorder("r2k:ran", "invoke args[:target]", ":target");

const made: string[] = [];

/** Real cap's [host, command] pairs for deploy step `target` and its hooks on `stage`. */
export function stepRan(files: Record<string, string>, stage: string, target: string): [string, string][] {
  const { app } = capApp(files, "r2k-step-ran-", ORACLE, made);
  return capJson(app, stage, `r2k:ran[${target}]`, "R2K-RAN", { requires: ["json", "stringio", "erb"] });
}

/** Removes the copies stepRan made. */
export function removeStepRuns(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
