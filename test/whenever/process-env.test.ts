// `if ENV["X"] == …` in a schedule, decided per stage where the deploy says what whenever's process
// had: whenever's Capistrano 3 task runs `with fetch(:whenever_command_environment_variables)`
// (default_env + RAILS_ENV = whenever_environment), which SSHKit exports only for a mapped command.
// Judged by real Capistrano (`cap <stage> whenever:update_crontab` on a recording backend: the command
// the servers got) and the real `whenever -f` run with that command's exports and `--set`, under each
// state the servers' own environment may have been in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { sentWheneverCommands } from "./cap-whenever.js";
import { runWhenever } from "./crontab.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "process_env_schedule.rb");
const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    unicorn (6.1.0)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  unicorn\n  whenever\n\nBUNDLED WITH\n   2.4.22\n";
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "whenever"\n',
  "Gemfile.lock": LOCK,
  "bin/rails": "",
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
  "config/deploy.rb": 'set :application, "depot"\nset :repo_url, "git@example.net:depot.git"\nset :deploy_to, "/srv/depot"\nset :default_env, { "ON_K8S" => "false", mirror: "on" }\n',
  "config/deploy/production.rb": 'server "p1.depot.example.net", roles: %w[app db]\nset :default_env, { "ON_K8S" => "true", mirror: "on" }\n',
  "config/deploy/staging.rb": 'server "s1.depot.example.net", roles: %w[app db]\nset :rails_env, "staging"\n',
  // a command string with blanks: SSHKit sends it as written (no export, no cd, and none of the task's
  // own flags: the command carries them)
  "config/deploy/legacy.rb": 'server "l1.depot.example.net", roles: %w[app db]\nset :whenever_command, -> { "bash -l -c \'cd #{fetch(:release_path)} && bundle exec whenever --update-crontab depot --set environment=#{fetch(:stage)}\'" }\n',
  "config/schedule.rb": readFileSync(FILE, "utf8"),
};
const STAGES = ["production", "staging", "legacy"];
const TASKS = ["sync:fast", "sync:slow", "demo:reset", "mirror:pull"];

const cleanup: string[] = [];
const sent: Record<string, string> = {};

beforeAll(async () => {
  await initPrism();
  Object.assign(sent, sentWheneverCommands(FILES, STAGES, cleanup, "r2k-wh-env-"));
}, 180_000);

afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

/** The `export K="v" …` of a command SSHKit built, and its `--set` word. */
function readSent(command: string): { env: Record<string, string>; set: string } {
  const env: Record<string, string> = {};
  const exp = /\( export (.*?) ; /.exec(command);
  if (exp) for (const m of exp[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) env[m[1]!] = m[2]!.replace(/\\"/g, '"');
  return { env, set: /--set ([^\s']+)/.exec(command)![1]! };
}

/** What the servers' own environment may have held beside the exports (an export wins over it). */
const SERVER_STATES: Record<string, string>[] = [{}, { ON_K8S: "true", MIRROR: "on", RAILS_ENV: "staging" }, { ON_K8S: "false" }];

function truth(stage: string): Record<string, "runs" | "open" | "none"> {
  const { env, set } = readSent(sent[stage]!);
  const runs = SERVER_STATES.map((s) => new Set(runWhenever(FILE, { gemfile: true, binRails: true }, set, { env: { ...s, ...env } }).lines.map((l) => TASKS.find((t) => l.command.includes(t))!)));
  const out: Record<string, "runs" | "open" | "none"> = {};
  for (const t of TASKS) {
    const n = runs.filter((r) => r.has(t)).length;
    out[t] = n === runs.length ? "runs" : n ? "open" : "none";
  }
  return out;
}

describe("ENV branches in a schedule vs `cap <stage> whenever:update_crontab` + `whenever -f`", () => {
  it("what the deploy exported decides the branch per stage; what it did not stays suspended with the condition", async () => {
    // the recorded commands: production and staging export, legacy's string command does not
    expect(readSent(sent["production"]!).env).toEqual({ ON_K8S: "true", MIRROR: "on", RAILS_ENV: "production" });
    expect(readSent(sent["staging"]!).env).toEqual({ ON_K8S: "false", MIRROR: "on", RAILS_ENV: "staging" });
    expect(readSent(sent["legacy"]!).env).toEqual({});
    const m = await analyzeFiles(memoryRepo(FILES), "depot");
    const { stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    const seen: Record<string, Record<string, string>> = {};
    for (const stage of STAGES) {
      const want = truth(stage);
      const crons = all(stages[stage]!, "CronJob");
      // one CronJob per job call, on every stage
      expect(crons).toHaveLength(4);
      seen[stage] = {};
      for (const [task, what] of Object.entries(want)) {
        const c = crons.find((x) => JSON.stringify(x.spec).includes(task))!;
        const annotations = (c.metadata as { annotations?: Record<string, string> }).annotations ?? {};
        const suspended = (c.spec as { suspend?: boolean }).suspend === true;
        seen[stage]![task] = what;
        if (what === "runs") expect(suspended, `${stage} ${task}`).toBe(false);
        else {
          expect(suspended, `${stage} ${task}`).toBe(true);
          // a branch the exports decide against is "not run here"; one they leave open names its condition
          if (what === "none") expect(annotations["rails2k8s.dev/not-run-on-stage"], `${stage} ${task}`).toBeDefined();
          else expect(annotations["rails2k8s.dev/undecided-condition"] ?? "", `${stage} ${task}`).not.toBe("");
        }
      }
    }
    // the fixture exercises each outcome
    expect(seen["production"]).toEqual({ "sync:fast": "runs", "sync:slow": "none", "demo:reset": "none", "mirror:pull": "runs" });
    expect(seen["staging"]).toEqual({ "sync:fast": "none", "sync:slow": "runs", "demo:reset": "runs", "mirror:pull": "runs" });
    expect(seen["legacy"]).toEqual({ "sync:fast": "open", "sync:slow": "open", "demo:reset": "open", "mirror:pull": "open" });
    const report = renderReport(m, { color: false });
    expect(report).toMatch(/rake sync:fast[^\n]*\[only on stages legacy, production: the environment the stages. deploys exported[^\n]*\[suspended on stages legacy only: under `if ENV\[.ON_K8S.\] == .true.`/);
  });
});
