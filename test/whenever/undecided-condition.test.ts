// A job under a condition only the server could decide (an ENV read, a file on the server, a list
// built from ENV) is neither dropped nor run as if it ran: its CronJob is written suspended, with the
// condition and its line in the report and MIGRATION.md. Judged against the real `whenever -f` under
// each server state: every line whenever prints has exactly one CronJob (suspended counts).
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron } from "../../analyzers/whenever.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { defaultAnswers } from "../kustomize/answers.js";
import type { Problem } from "../../src/model.js";
import { runWhenever, type ServerState } from "./crontab.js";
import { parse } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "undecided_schedule.rb");
const SCHEDULE = readFileSync(FILE, "utf8");

beforeAll(async () => {
  await initPrism();
});

const SERVERS: [string, ServerState][] = [
  ["a bare server", {}],
  ["export on, archive flag file present, two mirrors", { env: { NIGHTLY_EXPORT: "1", MIRROR_HOSTS: "m1,m2" }, homeFiles: ["archive.enabled"] }],
  ["export on only", { env: { NIGHTLY_EXPORT: "yes" } }],
];

describe("jobs under undecided conditions vs `whenever -f` on each server state", () => {
  const problems: Problem[] = [];
  const read = () => {
    problems.length = 0;
    const ctx = { repo: memoryRepo({ "config/schedule.rb": SCHEDULE, Gemfile: "", "bin/rails": "" }), problem: (p: Problem) => problems.push(p) };
    const facts = analyzeCron(ctx, { set: { environment: "production", path: "/app" } })!;
    return { facts, jobLines: facts.jobs.flatMap((j) => j.schedules.map((s) => ({ line: `${s} ${j.command}`, job: j }))) };
  };

  for (const [name, server] of SERVERS) {
    it(name, () => {
      const printed = runWhenever(FILE, { gemfile: true, binRails: true }, "environment=production&path=/app", server).lines.map((l) => `${l.schedule} ${l.command}`);
      expect(printed.length).toBeGreaterThanOrEqual(2);
      const { jobLines } = read();
      // one to one: each printed line is exactly one job's line
      for (const l of printed) expect(jobLines.filter((j) => j.line === l)).toHaveLength(1);
    });
  }

  it("every job a server state can leave out carries its condition; the unconditional one none", () => {
    const { facts, jobLines } = read();
    const always = new Set(SERVERS.map(([, s]) => runWhenever(FILE, { gemfile: true, binRails: true }, "environment=production&path=/app", s).lines.map((l) => `${l.schedule} ${l.command}`)).reduce((a, b) => a.filter((x) => b.includes(x))));
    for (const { line, job } of jobLines) expect(!!job.condition, line).toBe(!always.has(line));
    expect(facts.jobs).toHaveLength(5);
    const byTask = Object.fromEntries(facts.jobs.map((j) => [String(j.task), j.condition]));
    expect(byTask["exports:nightly"]).toEqual({ text: 'if ENV["NIGHTLY_EXPORT"]', source: { file: "config/schedule.rb", line: 9 } });
    expect(byTask["Archive.sweep"]?.source.line).toBe(15);
    expect(byTask["Archive.check"]?.text).toMatch(/^if File\.exist\?/);
    expect(byTask["echo mirror-sync"]?.text).toBe("unless MIRROR_HOSTS.empty?");
    expect(problems.filter((p) => /cron\.condition-undecided/.test(p.message)).map((p) => p.line)).toEqual([11, 17, 21, 28]);
  });
});

describe("suspended, with the reason, through the report, the CronJobs and MIGRATION.md", () => {
  const repo = () =>
    memoryRepo({
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "whenever"\n',
      "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    unicorn (6.1.0)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  unicorn\n  whenever\n\nBUNDLED WITH\n   2.4.22\n",
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
      "config/deploy.rb": 'set :application, "tally"\nset :deploy_to, "/srv/tally"\n',
      "config/deploy/production.rb": 'server "db1.tally.example.org", roles: %w[app db web]\n',
      "config/schedule.rb": SCHEDULE.replace('if ENV["NIGHTLY_EXPORT"]', 'if ENV["NIGHTLY_EXPORT"] && `whoami` != "x\u001b[31m"'),
    });

  it("each conditional job's CronJob is suspended and says why; the plain one runs", async () => {
    const m = await analyzeFiles(repo(), "tally");
    const report = renderReport(m, { color: false });
    expect(report).toMatch(/rake exports:nightly.*\[suspended: under `if ENV\["NIGHTLY_EXPORT"\] && `whoami` != "x.*\(config\/schedule\.rb:9\), not decided statically; resume once you confirm the servers ran it\]/);
    // the condition text is the repo's: no terminal escape reaches the report
    expect(report).not.toContain("\u001b[31m");
    expect(report).toMatch(/ledger:close_day[^\n]*config\/schedule\.rb:6\n/);

    const answers = defaultAnswers(m, {});
    const result = emitKustomize(m, answers);
    const crons = result.files.filter((f) => f.path.endsWith("cronjobs.yaml")).flatMap((f) => f.content.split(/^---$/m).map((d) => parse(d)).filter(Boolean));
    expect(crons).toHaveLength(5);
    const suspended = (needle: string) => crons.find((c) => JSON.stringify(c.spec.jobTemplate).includes(needle))!.spec.suspend === true;
    expect(suspended("ledger:close_day")).toBe(false);
    for (const t of ["exports:nightly", "Archive.sweep", "Archive.check", "mirror-sync"]) expect(suspended(t), t).toBe(true);
    // the condition on the object, for the corpus oracle and a reader of the YAML
    const sweep = crons.find((c) => JSON.stringify(c.spec.jobTemplate).includes("Archive.sweep"))!;
    expect(sweep.metadata.annotations["rails2k8s.dev/undecided-condition"]).toBe('if File.exist?(File.join(Dir.home, "archive.enabled")) (config/schedule.rb:15)');
    expect(crons.find((c) => JSON.stringify(c.spec.jobTemplate).includes("ledger:close_day"))!.metadata.annotations).toBeUndefined();

    const guide = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(guide).toMatch(/cron job "Archive\.sweep" is written suspended: whenever wrote it only when .*if File\.exist\?.*config\/schedule\.rb:15.*resume it once you confirm the servers ran it/);
    expect(guide).not.toContain("\u001b");
  });
});
