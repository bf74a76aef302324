// A whenever_command written as one String with a blank under whenever's Capistrano 3 task: SSHKit
// sends it as written, so the task's own flags (--update-crontab, --set, --roles=, -f), its cd and
// its exports are dropped, and whenever runs with the String's own words: `NAME=value` before it,
// its own --set, its own install flag, no --roles. Judged by real Capistrano (`cap <stage>
// whenever:update_crontab` on a recording backend: the command the servers got), then that very
// command run by bash against the real `whenever` (a `crontab` shim keeps what it installed).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { sentWheneverCommands } from "./cap-whenever.js";
import { parseCrontab } from "./crontab.js";

const here = dirname(fileURLToPath(import.meta.url));
const SCHEDULE = readFileSync(join(here, "command_string_schedule.rb"), "utf8");
const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  whenever\n\nBUNDLED WITH\n   2.4.22\n";
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "whenever"\n',
  "Gemfile.lock": LOCK,
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
  "config/deploy.rb": 'set :application, "ledger"\nset :repo_url, "git@example.net:ledger.git"\nset :deploy_to, "/srv/ledger"\nset :default_env, { "BATCH_MODE" => "day" }\n',
  // the String installs, with an env word and its own --set; no --roles
  "config/deploy/production.rb": 'server "p1.ledger.example.net", roles: %w[db]\nset :whenever_command, -> { "cd #{fetch(:release_path)} && BATCH_MODE=night bundle exec whenever --update-crontab ledger --set \'environment=production&region=north\'" }\n',
  // the String has no install flag: whenever only printed
  "config/deploy/staging.rb": 'server "s1.ledger.example.net", roles: %w[db]\nset :rails_env, "staging"\nset :whenever_command, -> { "cd #{fetch(:release_path)} && BATCH_MODE=night bundle exec whenever" }\n',
  // the task's own mapped command: exports default_env, --roles=db
  "config/deploy/plain.rb": 'server "q1.ledger.example.net", roles: %w[db]\n',
  "config/schedule.rb": SCHEDULE,
};
const STAGES = ["production", "staging", "plain"];
const TASKS = ["ledger:close", "ledger:batch", "ledger:inline", "ledger:sweep", "ledger:north_report"];

const cleanup: string[] = [];
/** Per stage: what the deploy's whenever command installed (null: nothing), as the real whenever wrote it. */
const installed: Record<string, string[] | null> = {};

/** Runs the recorded command with bash, the release at `release`, `bundle exec` passing through and `crontab` kept in a file. */
function runSent(command: string): string[] | null {
  const root = mkdtempSync(join(tmpdir(), "r2k-wh-str-"));
  cleanup.push(root);
  const release = join(root, "release");
  const home = join(root, "home");
  const shims = join(root, "bin");
  for (const d of [release, join(release, "config"), join(release, "bin"), home, shims]) mkdirSync(d, { recursive: true });
  writeFileSync(join(release, "config/schedule.rb"), SCHEDULE);
  writeFileSync(join(release, "Gemfile"), FILES.Gemfile!);
  writeFileSync(join(release, "bin/rails"), "");
  writeFileSync(join(shims, "bundle"), '#!/bin/sh\n[ "$1" = exec ] && shift\nexec "$@"\n');
  writeFileSync(join(shims, "crontab"), '#!/bin/sh\nfor a in "$@"; do [ "$a" = "-l" ] && exit 1; done\ncat > "$HOME/installed.crontab"\n');
  for (const f of ["bundle", "crontab"]) chmodSync(join(shims, f), 0o755);
  const cmd = command.replace(/\/srv\/ledger\/releases\/\d+/g, release);
  spawnSync("bash", ["-c", cmd], { cwd: home, encoding: "utf8", env: { PATH: `${shims}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: home, LANG: "C.UTF-8" } });
  const out = join(home, "installed.crontab");
  if (!existsSync(out)) return null;
  return parseCrontab(readFileSync(out, "utf8")).lines.map((l) => TASKS.find((t) => l.command.includes(`${t} `))!);
}

beforeAll(async () => {
  await initPrism();
  // the release directory a deploy makes before whenever runs (deploy:updated)
  const sent = sentWheneverCommands(FILES, STAGES, cleanup, "r2k-wh-str-app-", ["deploy:new_release_path"]);
  for (const st of STAGES) installed[st] = runSent(sent[st]!);
}, 180_000);

afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe("a String whenever_command vs `cap <stage> whenever:update_crontab` run by bash with the real whenever", () => {
  it("each stage's CronJobs are the jobs its deploy's command installed; the dropped flags are named", async () => {
    // the fixture exercises each outcome
    expect(new Set(installed["production"])).toEqual(new Set(["ledger:close", "ledger:batch", "ledger:sweep", "ledger:north_report"]));
    expect(installed["staging"]).toBeNull();
    expect(new Set(installed["plain"])).toEqual(new Set(["ledger:close", "ledger:inline"]));
    const problems: string[] = [];
    const m = await analyzeFiles(memoryRepo(FILES), "ledger");
    for (const p of m.problems ?? []) problems.push(`${p.file}:${p.line} ${p.message}`);
    const { stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    for (const stage of ["production", "plain"]) {
      const crons = all(stages[stage]!, "CronJob");
      // every job call has its CronJob; those whenever did not write there are suspended
      for (const t of TASKS) expect(crons.some((x) => JSON.stringify(x.spec).includes(`${t} `)), `${stage} ${t}`).toBe(true);
      const running = TASKS.filter((t) => crons.some((x) => JSON.stringify(x.spec).includes(`${t} `) && (x.spec as { suspend?: boolean }).suspend !== true));
      expect(new Set(running), stage).toEqual(new Set(installed[stage]));
    }
    const named = problems.filter((p) => p.includes("cron.whenever-command-string"));
    expect(named.find((p) => p.startsWith("config/deploy/production.rb:2 "))).toMatch(/--update-crontab ledger --set environment=production.*--roles=.*dropped.*updates the crontab itself; with no --roles.*with BATCH_MODE in its environment/);
    expect(named.join("\n")).not.toContain("night");
    expect(named.find((p) => p.startsWith("config/deploy/staging.rb:3 "))).toMatch(/installed nothing/);
    expect(named.some((p) => p.startsWith("config/deploy/plain.rb"))).toBe(false);
  }, 120_000);
});
