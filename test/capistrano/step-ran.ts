// Real cap as the oracle of what one deploy step ran on each stage: `cap <stage> r2k:ran` invokes
// the step named by $R2K_TARGET (its hooks run with it) through SSHKit's printer backend, recording
// each command with its host; no server is reached.
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareCopy } from "./cap.js";

const ORACLE = `
task "r2k:ran" do
  require "sshkit/backends/printer"
  $r2k_ran = []
  recorder = Class.new(SSHKit::Backend::Printer) do
    def execute_command(cmd) = ($r2k_ran << [host.hostname, cmd.to_command])
  end
  SSHKit.config.backend = recorder
  SSHKit.config.output = StringIO.new
  invoke ENV.fetch("R2K_TARGET")
  puts "R2K-RAN" + JSON.generate($r2k_ran)
end
`;

const made: string[] = [];

/** Real cap's [host, command] pairs for deploy step `target` and its hooks on `stage`. */
export function stepRan(files: Record<string, string>, stage: string, target: string): [string, string][] {
  const dir = mkdtempSync(join(tmpdir(), "r2k-step-ran-"));
  made.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const app = prepareCopy(dir);
  made.push(join(app, ".."));
  writeFileSync(join(app, "..", "ran.rake"), ORACLE);
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "ran.rake"))}\n`);
  const r = spawnSync("cap", [stage, "r2k:ran"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", R2K_TARGET: target, RUBYOPT: `-r${join(app, "..", "prelude.rb")} -rjson -rstringio -rerb` } });
  const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-RAN"));
  if (!line) throw new Error(`cap ${stage} r2k:ran (${target}) failed: ${r.stderr}`);
  return JSON.parse(line.slice(7));
}

/** Removes the copies stepRan made. */
export function removeStepRuns(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
