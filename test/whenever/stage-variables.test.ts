// whenever/capistrano passes `--set <whenever_variables>` through the servers' shell; a deploy that
// sets its own (region per stage, a value from the deploying machine's ENV) decides the schedule
// per stage. Judged per stage against the real `whenever -f FILE --set '<what that stage passes>'`:
// each printed line is exactly one CronJob that runs on that stage, and no CronJob runs there
// that whenever did not print (a job under a condition still undecided stays suspended).
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { cronNotRunReason, cronUndecidedReason } from "../../emitters/kustomize/rules/cron.js";
import type { AppModel } from "../../src/model.js";
import { runWhenever } from "./crontab.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "stage_vars_schedule.rb");

beforeAll(async () => {
  await initPrism();
});

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    unicorn (6.1.0)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  unicorn\n  whenever\n\nBUNDLED WITH\n   2.4.22\n";
const files = (deploy: string, extra: Record<string, string> = {}) =>
  memoryRepo({
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "whenever"\n',
    "Gemfile.lock": LOCK,
    "bin/rails": "",
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
    "config/deploy.rb": deploy,
    "config/deploy/production.rb": 'server "p1.tally.example.org", roles: %w[app db]\nset :region, "north"\n',
    "config/deploy/staging.rb": 'server "s1.tally.example.org", roles: %w[app db]\nset :region, "south"\nset :rails_env, "staging"\n',
    // no region: `#{fetch :region}` is empty, whenever skips `region=`, the schedule's default applies
    "config/deploy/demo.rb": 'server "d1.tally.example.org", roles: %w[app db]\nset :rails_env, "demo"\n',
    "config/schedule.rb": readFileSync(FILE, "utf8"),
    ...extra,
  });

// The README's form: the whole --set word in single quotes (an unquoted & would end the shell command).
const DEPLOY = `set :application, "tally"
set :deploy_to, "/srv/tally"
set :whenever_variables, -> { "'environment=#{fetch :whenever_environment}&path=#{fetch :deploy_to}/current&region=#{fetch :region}&tier=#{ENV['TALLY_TIER']}'" }
`;
// What each stage's deploy passes (TALLY_TIER unset on the deploying machine: `tier=` is skipped).
const PASSED: Record<string, string> = {
  production: "environment=production&path=/srv/tally/current&region=north&tier=",
  staging: "environment=staging&path=/srv/tally/current&region=south&tier=",
  demo: "environment=demo&path=/srv/tally/current&region=&tier=",
};

const norm = (l: string) => l.replace(/RAILS_ENV=\w+/g, "RAILS_ENV=<env>");

function linesOn(m: AppModel, stage: string) {
  const st = m.stages.find((s) => s.name === stage)!;
  return m.cron!.jobs.filter((j) => cronNotRunReason(st, j) === null).flatMap((j) => j.schedules.map((s) => ({ line: norm(`${s} ${j.command}`), job: j })));
}

describe("whenever_variables per stage vs `whenever -f --set`", () => {
  for (const stage of Object.keys(PASSED)) {
    it(stage, async () => {
      const m = await analyzeFiles(files(DEPLOY), "tally");
      const printed = runWhenever(FILE, { gemfile: true, binRails: true }, PASSED[stage]!).lines.map((l) => norm(`${l.schedule} ${l.command}`));
      expect(printed.length).toBeGreaterThanOrEqual(2);
      const ours = linesOn(m, stage);
      for (const l of printed) expect(ours.filter((o) => o.line === l), l).toHaveLength(1);
      // what runs (not suspended for an undecided condition) is what whenever printed
      for (const o of ours.filter((x) => !cronUndecidedReason(x.job))) expect(printed, o.line).toContain(o.line);
    });
  }

  it("@x ||= takes the deploy's value; a part from the deploying machine's ENV stays unknown, by name", async () => {
    const m = await analyzeFiles(files(DEPLOY), "tally");
    const tasks = m.cron!.jobs.filter((j) => j.type === "rake").map((j) => [j.task, j.onStages?.stages]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(tasks).toEqual([
      ["reports:regional[north]", ["production"]],
      ["reports:regional[south]", ["staging"]],
      ["reports:regional[west]", ["demo"]],
    ]);
    const gold = m.cron!.jobs.find((j) => j.command.includes("gold-refresh"))!;
    expect(gold.condition?.text).toBe('if @tier == "gold"');
    const why = m.problems.filter((p) => p.file === "config/deploy.rb" && /cron\.whenever-variable-unknown/.test(p.message)).map((p) => p.message);
    expect(why).toHaveLength(1);
    expect(why[0]).toMatch(/^cron\.whenever-variable-unknown: stages demo, production, staging: the deploy passes tier to whenever \(config\/deploy\.rb:3\) as <.*TALLY_TIER.*the schedule's `tier`/);
    const report = renderReport(m, { color: false });
    expect(report).toMatch(/bin\/north-sync.*\[only on stages production: their whenever variables \(config\/deploy\.rb:3\)\]/);
  });

  it("an unquoted & in the variables ends the servers' shell command: whenever got the first pair only", async () => {
    const m = await analyzeFiles(files(DEPLOY.replace(/"'environment/, '"environment').replace(/TALLY_TIER'\]\}'"/, "TALLY_TIER']}\"")), "tally");
    expect(m.problems.some((p) => /cron\.whenever-set-cut: stage production: .*unquoted `&`/.test(p.message))).toBe(true);
    // region never reached whenever: every stage runs the schedule's default
    expect(m.cron!.jobs.filter((j) => j.type === "rake").map((j) => j.task)).toEqual(["reports:regional[west]"]);
    const printed = runWhenever(FILE, { gemfile: true, binRails: true }, "environment=production").lines.map((l) => norm(`${l.schedule} ${l.command}`));
    expect(printed.some((l) => l.includes("reports:regional[west]"))).toBe(true);
  });
});
