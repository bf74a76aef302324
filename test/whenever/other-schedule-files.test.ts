// A deploy that runs whenever on files other than config/schedule.rb (a task per server role with
// `whenever -w -f config/cron/<role>.rb`, or whenever/capistrano's :whenever_load_file): only
// config/schedule.rb becomes CronJobs, so each other file is a named warning with its job count,
// never a silent loss. The files are real schedules: the real `whenever -f` writes their lines.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { runWhenever } from "./crontab.js";

const REPORTS = `set :output, "log/reports.log"
every :monday, at: "6:10am" do
  runner "Reports::Weekly.deliver"
end
every 1.day, at: "2:40am" do
  rake "reports:prune"
end
`;
const FEEDS = `every 15.minutes do
  rake "feeds:poll"
end
`;

const repo = (deploy: string) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": `set :application, "tally"\nset :repo_url, "https://git.example.org/tally.git"\n${deploy}`,
    "config/deploy/production.rb": 'server "a.tally.example.org", roles: %w[web app db cron]\n',
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "whenever"\n',
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    puma (6.4.2)\n    rails (7.1.3)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  puma\n  rails\n  whenever\n\nBUNDLED WITH\n   2.5.10\n",
    "config/puma.rb": "threads 5, 5\n",
    "config/cron/reports.rb": REPORTS,
    "lib/capistrano/tasks/cron.rake": [
      "namespace :cron do",
      "  task :install do",
      "    on roles(:cron) do",
      '      execute "cd #{current_path} && bundle exec whenever -w -f config/cron/reports.rb --set environment=#{fetch(:rails_env)}"',
      "    end",
      "  end",
      "end",
      "",
    ].join("\n"),
  });

const lines = (text: string) => {
  const dir = mkdtempSync(join(tmpdir(), "r2k-other-schedule-"));
  const f = join(dir, "schedule.rb");
  writeFileSync(f, text);
  try {
    return runWhenever(f, { gemfile: true, binRails: true }, "environment=production");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

describe("whenever files other than config/schedule.rb", () => {
  beforeAll(() => {
    // The fixtures are schedules whenever itself accepts, with the lines counted below.
    expect(lines(REPORTS).lines.length).toBe(2);
    expect(lines(FEEDS).lines.length).toBe(1);
  });

  it("a deploy task's `whenever -f FILE`: a warning naming the file and its jobs", async () => {
    const m = await analyzeFiles(repo(""), "tally");
    const w = m.problems.filter((p) => /cron\.other-schedule-file/.test(p.message));
    expect(w.map((p) => [p.file, p.line])).toEqual([["lib/capistrano/tasks/cron.rake", 4]]);
    expect(w[0]!.message).toContain("config/cron/reports.rb (2 `every` blocks)");
    expect(m.cron).toBeNull();
  });

  it(":whenever_load_file naming a file the repo does not hold: said, as a file of the servers", async () => {
    const m = await analyzeFiles(repo('set :whenever_load_file, -> { File.join(release_path, "config", "cron", "feeds.rb") }\n'), "tally");
    const w = m.problems.filter((p) => /cron\.other-schedule-file/.test(p.message)).map((p) => p.message);
    expect(w.some((x) => /on config\/cron\/feeds\.rb, which is not in the repo/.test(x))).toBe(true);
  });

  it("config/schedule.rb itself is not warned about", async () => {
    const m = await analyzeFiles(repo('set :whenever_load_file, -> { "#{release_path}/config/schedule.rb" }\n'), "tally");
    expect(m.problems.filter((p) => /cron\.other-schedule-file/.test(p.message) && /schedule\.rb/.test(p.message) && !/reports/.test(p.message))).toEqual([]);
  });
});
