// A schedule whenever raises on (`every "0 3,9 * * * *"`: six fields do not match whenever's cron
// pattern, so it splits the string at commas and raises ArgumentError "Couldn't parse: \"0 3\"").
// `whenever` then fails on the whole file: no crontab line came of any job in it, so none gets a
// CronJob, nothing is asked about it, and the report says so at the line instead of "computed at run
// time". Judged against the real `whenever -f` (Debian's ruby-whenever 1.0).
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import type { AppModel } from "../../src/model.js";
import { runWhenever } from "./crontab.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { requireKubectl } from "../kustomize/kubectl.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "raising_schedule.rb");

beforeAll(async () => {
  await initPrism();
  requireKubectl();
});

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.2)\n    rails (7.1.3)\n    puma (6.4.2)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  rails\n  puma\n  whenever\n\nBUNDLED WITH\n   2.4.22\n";
const repo = () =>
  memoryRepo({
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "whenever"\ngem "capistrano"\n',
    "Gemfile.lock": LOCK,
    "bin/rails": "",
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
    "config/deploy.rb": 'set :application, "ledger"\nset :deploy_to, "/srv/ledger"\n',
    "config/deploy/production.rb": 'server "p1.ledger.example.org", roles: %w[app db web]\n',
    "config/schedule.rb": readFileSync(FILE, "utf8"),
  });

describe("a schedule whenever raises on", () => {
  let m: AppModel;
  beforeAll(async () => {
    m = await analyzeFiles(repo(), "ledger");
  });

  it("whenever itself fails on the file, at that string", () => {
    expect(() => runWhenever(FILE, { gemfile: true, binRails: true }, "environment=production")).toThrow(/Couldn't parse: "0 3" \(ArgumentError\)/);
  });

  it("is said at its `every` line, with whenever's message, not as computed at run time", () => {
    const sync = m.cron!.jobs.find((j) => j.task === "ledger:sync_rates")!;
    expect(sync.wheneverRaises).toEqual({ message: 'Couldn\'t parse: "0 3"', source: { file: "config/schedule.rb", line: 7 } });
    const report = renderReport(m, { color: false });
    expect(report).toContain('(whenever raises on this schedule at config/schedule.rb:7: Couldn\'t parse: "0 3"; no crontab line, no CronJob)');
    expect(report).not.toContain("(schedule computed at run time)");
    // nothing asked: no crontab line was ever written from this file
    expect(m.gaps.map((g) => g.id).filter((id) => id.startsWith("cron."))).toEqual([]);
  });

  it("no job of the file gets a CronJob, and the notes say why for each", () => {
    const { result, stages } = emitAndBuild(m, {});
    expect(all(stages["production"]!, "CronJob")).toEqual([]);
    for (const task of ["ledger:archive", "ledger:sync_rates"])
      expect(result.notes.some((n) => n.message.startsWith(`cron job "${task}" (rake) gets no CronJob: whenever raises on the schedule at config/schedule.rb:7`))).toBe(true);
  });
});
