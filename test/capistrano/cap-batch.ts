// Many Capistrano runs from one Ruby process: Capistrano and its gems are loaded once, then each
// (app, stage) runs `cap <stage> r2k:dump` in a forked child, a fresh Capistrano exactly as
// /usr/bin/cap starts it (Capistrano::Application.new.run), at a fraction of a boot each. The dump
// task and the plugin prelude are the oracle tests' own (cap.ts).
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, appendFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { PRELUDE, DUMP, type CapView } from "./cap.js";

const DRIVER = `
require "capistrano/all"
require "json"
jobs = JSON.parse(File.read(ARGV[0]))
width = Integer(ARGV[1])
running = {}
run = lambda do |job|
  fork do
    Dir.chdir(job["dir"])
    $stdout.reopen(job["out"], "w")
    $stderr.reopen(job["err"], "w")
    ARGV.replace([job["stage"], "r2k:dump"])
    Capistrano::Application.new.run
  end
end
finish = lambda do
  pid, status = Process.wait2
  job = running.delete(pid)
  File.write(job["err"], "exit #{status.exitstatus}\\n", mode: "a") unless status.success?
end
jobs.each do |job|
  finish.call if running.size >= width
  running[run.call(job)] = job
end
finish.call until running.empty?
`;

/** Children at once: each mostly loads Ruby files, so a few overlap well even on two cores. */
const WIDTH = Number(process.env.R2K_DIFF_WIDTH ?? 3);

export interface CapJob {
  /** The app directory (a Capfile at its top). */
  dir: string;
  stage: string;
}

/** Writes `files` as an app under a fresh directory, its Capfile loading the dump task. */
export function writeApp(root: string, name: string, files: Record<string, string>): string {
  const app = join(root, name);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(app, p)), { recursive: true });
    writeFileSync(join(app, p), text);
  }
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(root, "dump.rake"))}\n`);
  return app;
}

export function batchRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "r2k-diff-"));
  writeFileSync(join(root, "prelude.rb"), PRELUDE);
  writeFileSync(join(root, "dump.rake"), DUMP);
  writeFileSync(join(root, "driver.rb"), DRIVER);
  return root;
}

/** Runs every job; each result is Capistrano's view or the error it printed. */
export function runCapBatch(root: string, jobs: CapJob[], tag = "batch"): Promise<(CapView | { error: string })[]> {
  const list = jobs.map((j, i) => ({ ...j, out: join(root, `${tag}-${i}.out`), err: join(root, `${tag}-${i}.err`) }));
  const jobFile = join(root, `${tag}.json`);
  writeFileSync(jobFile, JSON.stringify(list));
  return new Promise((resolve, reject) => {
    const child = spawn("ruby", [join(root, "driver.rb"), jobFile, String(WIDTH)], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      // As the oracle runs: no ENV but the basics, so `ENV.fetch(k, d)` gives d.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: root, LANG: "C.UTF-8", RUBYOPT: `-r${join(root, "prelude.rb")} -rjson` },
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.resume();
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`the Capistrano driver failed (${code}): ${err}`));
      resolve(
        list.map((j) => {
          const out = existsSync(j.out) ? readFileSync(j.out, "utf8") : "";
          const line = out.split("\n").find((l) => l.includes("R2K-JSON"));
          if (!line) return { error: `${existsSync(j.err) ? readFileSync(j.err, "utf8") : ""}\n${out}`.trim() };
          return JSON.parse(line.slice(line.indexOf("R2K-JSON") + 8)) as CapView;
        }),
      );
    });
  });
}
