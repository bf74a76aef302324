// Real `cap` as the oracle of what a deploy sends where: the test's app copied for cap (cap.ts
// prepareCopy) with a recording task of the test's own loaded after its Capfile, and each
// `cap <stage> <task>` run reading back the JSON that task printed after its marker.
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareCopy } from "./cap.js";

/**
 * A task `name` (with `args`, Rake's argument names, for `name[x]`) that runs `body` on a backend
 * recording each command with the host it was sent to, then prints them as JSON after R2K-RAN.
 */
export const hostRecorder = (name: string, body: string, args = ""): string => `
task "${name}"${args ? `, [${args}] do |_, args|` : " do"}
  require "sshkit/backends/printer"
  $r2k_ran = []
  recorder = Class.new(SSHKit::Backend::Printer) do
    def execute_command(cmd) = ($r2k_ran << [host.hostname, cmd.to_command])
  end
  SSHKit.config.backend = recorder
  SSHKit.config.output = StringIO.new
  ${body}
  puts "R2K-RAN" + JSON.generate($r2k_ran)
end
`;

/**
 * The app's `files` in a fresh temp folder (named `prefix`…), copied for cap with `oracle` (saved as
 * `rake`) loaded after its Capfile; `lib`'s files go in a folder for Ruby's load path. Every folder
 * made is added to `cleanup`.
 */
export function capApp(files: Record<string, string>, prefix: string, oracle: string, cleanup: string[], rake = "ran.rake", lib: Record<string, string> = {}): { app: string; lib: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
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
  writeFileSync(join(app, "..", rake), oracle);
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", rake))}\n`);
  return { app, lib: libDir };
}

/**
 * `cap <stage> <task>` in `app`, with the prelude and `requires` loaded (and `lib` on the load path):
 * the JSON printed after `marker`; no such line fails with cap's stderr.
 */
export function capJson<T>(app: string, stage: string, task: string, marker: string, opts: { lib?: string; requires?: string[] } = {}): T {
  const requires = (opts.requires ?? ["json", "stringio"]).map((r) => ` -r${r}`).join("");
  const r = spawnSync("cap", [stage, task], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `${opts.lib ? `-I${opts.lib} ` : ""}-r${join(app, "..", "prelude.rb")}${requires}` } });
  const line = r.stdout.split("\n").find((l) => l.startsWith(marker));
  if (!line) throw new Error(`cap ${stage} ${task} failed: ${r.stderr}`);
  return JSON.parse(line.slice(marker.length)) as T;
}
