// A job under a condition that reads the stage's Rails env and something only the servers knew: where
// the env decides it, that stage's overlay runs it (or has no line for it); only where it stays open is
// the CronJob suspended. Judged per stage against the real `whenever -f FILE --set environment=<env>`
// under each server state: a line printed in every state runs, a line printed in some is suspended, a
// line printed in none is not run on that stage.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { runWhenever, type ServerState } from "./crontab.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "stage_decided_schedule.rb");

beforeAll(async () => {
  await initPrism();
});

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    unicorn (6.1.0)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  unicorn\n  whenever\n\nBUNDLED WITH\n   2.4.22\n";
const repo = (deploy = 'set :application, "tally"\nset :deploy_to, "/srv/tally"\n') =>
  memoryRepo({
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "whenever"\n',
    "Gemfile.lock": LOCK,
    "bin/rails": "",
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
    "config/deploy.rb": deploy,
    "config/deploy/production.rb": 'server "p1.tally.example.org", roles: %w[app db]\n',
    "config/deploy/staging.rb": 'server "s1.tally.example.org", roles: %w[app db]\nset :rails_env, "staging"\n',
    "config/schedule.rb": readFileSync(FILE, "utf8"),
  });

const STATES: ServerState[] = [{}, { env: { DIGEST_ON: "1", MIRROR_OFF: "1" }, homeFiles: ["reindex.on"] }, { env: { DIGEST_ON: "1" } }];
const taskOf = (command: string) => /(billing:settle|digest:send|Search\.reindex|mirror-pull)/.exec(command)?.[1] ?? command;

/** Per task, what whenever did on the stage: printed in every server state, in some, or in none. */
function truth(env: string): Record<string, "runs" | "open" | "none"> {
  const runs = STATES.map((s) => new Set(runWhenever(FILE, { gemfile: true, binRails: true }, `environment=${env}&path=/srv/tally/current`, s).lines.map((l) => taskOf(l.command))));
  const out: Record<string, "runs" | "open" | "none"> = {};
  for (const t of ["billing:settle", "digest:send", "Search.reindex", "mirror-pull"]) {
    const n = runs.filter((r) => r.has(t)).length;
    out[t] = n === runs.length ? "runs" : n ? "open" : "none";
  }
  return out;
}

describe("a condition decided by the stage's env vs `whenever -f --set environment=<env>`", () => {
  it("each stage's overlay: runs what whenever always wrote there, suspends only what stays open", async () => {
    const m = await analyzeFiles(repo(), "tally");
    const { stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    for (const [stage, env] of [["production", "production"], ["staging", "staging"]] as const) {
      const want = truth(env);
      // the fixture exercises all three outcomes across the stages
      const crons = all(stages[stage]!, "CronJob");
      expect(crons).toHaveLength(4);
      for (const [task, what] of Object.entries(want)) {
        const c = crons.find((x) => JSON.stringify(x.spec).includes(task))!;
        const annotations = (c.metadata as { annotations?: Record<string, string> }).annotations ?? {};
        const suspended = (c.spec as { suspend?: boolean }).suspend === true;
        if (what === "runs") expect(suspended, `${stage} ${task}`).toBe(false);
        else if (what === "open") {
          expect(suspended, `${stage} ${task}`).toBe(true);
          expect(annotations["rails2k8s.dev/undecided-condition"], `${stage} ${task}`).toBeDefined();
        } else {
          expect(suspended, `${stage} ${task}`).toBe(true);
          expect(annotations["rails2k8s.dev/not-run-on-stage"], `${stage} ${task}`).toBeDefined();
        }
      }
    }
    expect(truth("staging")["digest:send"]).toBe("runs");
    expect(truth("production")["digest:send"]).toBe("open");
  });

  it("the report says where the condition stays open, and each stage's env, not the first stage's", async () => {
    const m = await analyzeFiles(repo(), "tally");
    const report = renderReport(m, { color: false });
    expect(report).toMatch(/rake digest:send[^\n]*\[suspended on RAILS_ENV production only: under `if @environment == "staging" \|\| ENV\["DIGEST_ON"\]`/);
    // billing runs on both stages: RAILS_ENV is each stage's, said per stage
    const billing = report.split("\n").find((l) => l.includes("billing:settle"))!;
    expect(billing).not.toMatch(/RAILS_ENV=production/);
    expect(billing).toMatch(/RAILS_ENV=<the stage's env>.*\[env by stage: production production; staging staging\]/);
    // reindex is only production's: its env is production's
    expect(report.split("\n").find((l) => l.includes("Search.reindex"))).toMatch(/-e production .*\[only for RAILS_ENV production\]/);
    // the undecided warning is said for the env that leaves it open, once per job
    const said = m.problems.filter((p) => /cron\.condition-undecided/.test(p.message)).map((p) => p.line);
    expect(said.sort((a, b) => a - b)).toEqual([12, 19, 26]);
  });

  it("whenever_variables per stage decide it the same way", async () => {
    const deploy = 'set :application, "tally"\nset :deploy_to, "/srv/tally"\nset :whenever_variables, -> { "\'environment=#{fetch :whenever_environment}&path=#{fetch :deploy_to}/current\'" }\n';
    const m = await analyzeFiles(repo(deploy), "tally");
    const digest = m.cron!.jobs.find((j) => j.task === "digest:send")!;
    expect(digest.conditionOn).toEqual({ stages: ["production"] });
    const billing = m.cron!.jobs.find((j) => j.task === "billing:settle")!;
    expect(billing.environmentOn).toEqual({ production: "production", staging: "staging" });
    const { stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    const susp = (stage: string, task: string) => (all(stages[stage]!, "CronJob").find((x) => JSON.stringify(x.spec).includes(task))!.spec as { suspend?: boolean }).suspend === true;
    expect([susp("staging", "digest:send"), susp("production", "digest:send"), susp("production", "billing:settle")]).toEqual([false, true, false]);
  });
});
