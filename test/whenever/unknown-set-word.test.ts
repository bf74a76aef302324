// A `--set` word the deploy builds from what only the deploying machine knew (its ENV) may set any
// variable: whenever's defaults (`environment` production, `path` the release) are then not known to
// apply, and each stays unknown with a named warning. Judged with the real `whenever -f --set` under
// values that word could have had: they print different RAILS_ENV and cd lines, so any literal the
// analysis wrote would be wrong for one of them.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { formatValue } from "../../src/model/format.js";
import { cronCommand } from "../../emitters/kustomize/rules/cron-command.js";
import { runWhenever } from "./crontab.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "unknown_vars_schedule.rb");

beforeAll(async () => {
  await initPrism();
});

const repo = (vars: string) =>
  memoryRepo({
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "whenever"\n',
    "bin/rails": "",
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
    "config/deploy.rb": `set :application, "ledger"\nset :deploy_to, "/srv/ledger"\nset :whenever_variables, -> { ${vars} }\n`,
    "config/deploy/production.rb": 'server "p1.ledger.example.org", roles: %w[app db]\n',
    "config/schedule.rb": readFileSync(FILE, "utf8"),
  });

describe("an unknown --set word vs `whenever -f --set`", () => {
  it("the values it could have had print different lines", () => {
    const lines = ["environment=staging&path=/srv/ledger/current", "path=/opt/other", ""].map((set) => runWhenever(FILE, { gemfile: true, binRails: true }, set || "x=").lines.map((l) => l.command));
    expect(lines[0]!.join()).toContain("RAILS_ENV=staging");
    expect(lines[2]!.join()).toContain("RAILS_ENV=production");
    expect(lines[1]!.join()).toContain("cd /opt/other && bin/flush-outbox");
  });

  it("the whole word from the deploying machine's ENV: environment and path stay unknown, by name", async () => {
    const m = await analyzeFiles(repo('ENV.fetch("CRON_VARS")'), "ledger");
    const rake = m.cron!.jobs.find((j) => j.task === "ledger:close")!;
    const flush = m.cron!.jobs.find((j) => j.type === "command")!;
    expect(formatValue(rake.command)).not.toMatch(/RAILS_ENV=production/);
    expect(formatValue(flush.command)).not.toMatch(/cd \/srv\/ledger|cd #\{fetch\(:release_path\)\}/);
    const why = m.problems.filter((p) => /cron\.whenever-variable-unknown/.test(p.message)).map((p) => p.message);
    expect(why.some((w) => /whether they set environment is not known.*the schedule's `environment`/.test(w))).toBe(true);
    expect(why.some((w) => /whether they set path is not known.*the schedule's `path`/.test(w))).toBe(true);
    expect(m.problems.some((p) => /cron\.whenever-variables-open/.test(p.message))).toBe(true);
    // the rake task itself is known: its CronJob runs it (RAILS_ENV from the stage's config), the cd command waits for an answer
    expect(cronCommand(rake)).toMatch(/rake ledger:close/);
    expect(cronCommand(flush)).toBeNull();
  });

  it("an unknown pair among known ones: the named ones are kept, the rest unknown", async () => {
    const m = await analyzeFiles(repo(`"'environment=production&#{ENV["MORE_VARS"]}'"`), "ledger");
    const rake = m.cron!.jobs.find((j) => j.task === "ledger:close")!;
    expect(formatValue(rake.command)).toMatch(/RAILS_ENV=production/);
    const flush = m.cron!.jobs.find((j) => j.type === "command")!;
    expect(cronCommand(flush)).toBeNull();
  });

  it("whenever keeps a variable's first value: a known pair after a piece not known is itself not known", async () => {
    // The real parse: the first pair of a name wins, so a piece that may hold `&path=...` decides path.
    const first = runWhenever(FILE, { gemfile: true, binRails: true }, "environment=production&environment=staging").lines.map((l) => l.command).join();
    expect(first).toContain("RAILS_ENV=production");
    const overridden = runWhenever(FILE, { gemfile: true, binRails: true }, "environment=staging&path=/opt/elsewhere&path=/srv/ledger/current").lines.map((l) => l.command).join();
    expect(overridden).toContain("cd /opt/elsewhere && bin/flush-outbox");

    const twice = await analyzeFiles(repo(`"'environment=production&environment=staging'"`), "ledger");
    expect(formatValue(twice.cron!.jobs.find((j) => j.task === "ledger:close")!.command)).toMatch(/RAILS_ENV=production/);

    const m = await analyzeFiles(repo(`"'environment=#{ENV["CRON_ENV"]}&path=/srv/ledger/current'"`), "ledger");
    const flush = m.cron!.jobs.find((j) => j.type === "command")!;
    expect(formatValue(flush.command)).not.toMatch(/cd \/srv\/ledger\/current/);
    expect(cronCommand(flush)).toBeNull();
    const why = m.problems.filter((p) => /cron\.whenever-variable-unknown/.test(p.message)).map((p) => `${p.file}:${p.line} ${p.message}`);
    expect(why.some((w) => /^config\/deploy.rb:3 .*path=\/srv\/ledger\/current to whenever .*after `environment=<.*CRON_ENV.*>`, a piece not known statically.*the schedule's `path`/.test(w))).toBe(true);
  });
});
