// whenever schedule files other than config/schedule.rb: the file the servers loaded is the one the
// deploy names (`whenever_load_file`, `-f`/`--load-file` in whenever_command or a deploy task's
// whenever line), per stage and per task. Each loaded file's jobs become CronJobs, judged against
// the real `whenever -f FILE` line by line; a schedule file nothing loads is a named warning.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { readCrontab } from "../../analyzers/whenever.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { cronJobBaseName, cronJobKey } from "../../emitters/kustomize/rules/cron-names.js";
import { cronNotRunReason } from "../../emitters/kustomize/rules/cron.js";
import { cronGaps } from "../../src/gaps/cron.js";
import { cronServersOf, type AppModel, type Problem } from "../../src/model.js";
import { memoryRepo } from "../../src/repo.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { runWhenever } from "./crontab.js";

const SET = { environment: "production", path: "/app" };
const SET_ARG = "environment=production&path=/app";

const GEMFILE = 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "whenever"\n';
const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    puma (6.4.2)\n    rails (7.1.3)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  puma\n  rails\n  whenever\n\nBUNDLED WITH\n   2.5.10\n";

// Capistrano 3: whenever/capistrano loads a per-stage file; a task of the repo loads a third on its own role.
const QUARRY: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
  "config/deploy.rb": [
    'set :application, "quarry"',
    'set :repo_url, "https://git.example.org/quarry.git"',
    'set :whenever_load_file, -> { File.join(release_path, "config", "whenever", "main.rb") }',
    "set :whenever_roles, [:app]",
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'server "q1.quarry.example.org", roles: %w[web app db]\nserver "q2.quarry.example.org", roles: %w[exporter]\n',
  "config/deploy/staging.rb": 'server "s1.quarry.example.org", roles: %w[web app db exporter]\nset :whenever_load_file, "config/whenever/staging.rb"\n',
  "lib/capistrano/tasks/exports.rake": [
    "namespace :exports do",
    "  task :crontab do",
    "    on roles(:exporter) do",
    "      within current_path do",
    '        execute "cd #{current_path} && bundle exec whenever --update-crontab quarry-exports --load-file config/whenever/exports.rb --set environment=#{fetch(:rails_env)}"',
    "      end",
    "    end",
    "  end",
    "end",
    'after "deploy:published", "exports:crontab"',
    "",
  ].join("\n"),
  "config/whenever/main.rb": 'set :output, "log/cron.log"\nenv :LEDGER_REGION, "north"\n\nevery 1.day, at: "4:15 am" do\n  rake "ledger:close"\nend\n\nevery 10.minutes do\n  runner "Inbox.sweep"\nend\n',
  "config/whenever/staging.rb": 'every 1.hour do\n  rake "ledger:close"\nend\n',
  "config/whenever/exports.rb": 'every :sunday, at: "2:00 am" do\n  rake "exports:weekly"\nend\n\nevery 1.day, at: "4:15 am" do\n  rake "ledger:close"\nend\n',
  "config/whenever/retired.rb": 'every 3.hours do\n  rake "legacy:ping"\nend\n',
  "config/schedule.rb": 'every 5.minutes do\n  command "echo never-installed"\nend\n',
  "config/puma.rb": "threads 5, 5\n",
  Gemfile: GEMFILE,
  "Gemfile.lock": LOCK,
  "bin/rails": "#!/usr/bin/env ruby\n",
};

// Capistrano 2, single stage: two tasks, each writing its role's crontab from its own file.
const KETTLE: Record<string, string> = {
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  "config/deploy.rb": [
    'set :application, "kettle"',
    'set :repository, "https://git.example.org/kettle.git"',
    'role :web, "w1.kettle.example.net"',
    'role :cron, "c1.kettle.example.net"',
    "",
    "namespace :crontab do",
    "  task :web_side, :roles => [:web] do",
    '    run "cd #{current_path} && RAILS_ENV=production whenever -w -f config/cron/web_side.rb"',
    "  end",
    "",
    "  task :cron_side, :roles => :cron do",
    '    run "cd #{current_path} && RAILS_ENV=production whenever --write-crontab --load-file=config/cron/main.rb"',
    "  end",
    "end",
    'after "deploy:update", "crontab:web_side", "crontab:cron_side"',
    "",
  ].join("\n"),
  "config/cron/web_side.rb": 'every 30.minutes do\n  command "find tmp/cache -mmin +60 -delete"\nend\n',
  "config/cron/main.rb": 'every :weekday, at: "7:05 am" do\n  runner "Digest.morning"\nend\n\nevery 1.day, at: ["1:00 am", "1:00 pm"] do\n  rake "search:reindex"\nend\n',
  Gemfile: GEMFILE,
  "Gemfile.lock": LOCK,
  "bin/rails": "#!/usr/bin/env ruby\n",
};

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The real whenever's crontab of one repo file, in a release laid out like the repo's (Gemfile, bin/rails). */
function whenever(files: Record<string, string>, file: string) {
  const dir = mkdtempSync(join(tmpdir(), "r2k-loaded-"));
  scratch.push(dir);
  const path = join(dir, "schedule.rb");
  writeFileSync(path, files[file]!);
  return runWhenever(path, { gemfile: "Gemfile" in files, binRails: "bin/rails" in files }, SET_ARG);
}

/** Each loaded file: the analysis' crontab and its jobs' lines against `whenever -f FILE`, line by line. */
function judge(files: Record<string, string>, m: AppModel) {
  for (const f of m.cron!.files!) {
    const want = whenever(files, f.file).lines.map((l) => `${l.schedule} ${l.command}`);
    expect(want.length, f.file).toBeGreaterThan(0);
    const problems: Problem[] = [];
    const got = readCrontab({ repo: memoryRepo(files), problem: (p) => problems.push(p) }, { set: SET }, f.file)!;
    expect(got.lines.map((l) => `${l.schedule} ${l.command}`), f.file).toEqual(want);
    // One CronJob line per crontab line of that file, none borrowed from another file.
    const jobs = m.cron!.jobs.filter((j) => j.source.file === f.file);
    expect(jobs.flatMap((j) => j.schedules).sort(), f.file).toEqual(whenever(files, f.file).lines.map((l) => l.schedule).sort());
  }
}

let quarry: AppModel;
let kettle: AppModel;
beforeAll(async () => {
  quarry = await analyzeFiles(memoryRepo(QUARRY), "quarry");
  kettle = await analyzeFiles(memoryRepo(KETTLE), "kettle");
});

describe("Capistrano 3: whenever_load_file per stage and a deploy task's --load-file", () => {
  it("finds each loaded file, what loads it and where", () => {
    const files = quarry.cron!.files!.map((f) => ({ file: f.file, by: f.loadedBy && `${f.loadedBy.file}:${f.loadedBy.line}`, stages: f.stages, roles: f.taskRoles?.roles }));
    expect(files).toEqual([
      { file: "config/whenever/main.rb", by: "config/deploy.rb:3", stages: ["production"], roles: undefined },
      { file: "config/whenever/staging.rb", by: "config/deploy/staging.rb:2", stages: ["staging"], roles: undefined },
      { file: "config/whenever/exports.rb", by: "lib/capistrano/tasks/exports.rake:5", stages: undefined, roles: ["exporter"] },
    ]);
  });

  it("each file's crontab is the one `whenever -f FILE` writes, line by line", () => judge(QUARRY, quarry));

  it("a job runs only on the stages that load its file, on the servers of its loader", () => {
    const [prod, staging] = ["production", "staging"].map((n) => quarry.stages.find((s) => s.name === n)!);
    const of = (file: string) => quarry.cron!.jobs.filter((j) => j.source.file === file);
    for (const j of of("config/whenever/main.rb")) {
      expect(cronServersOf(prod!, j).map((s) => s.host)).toEqual(["q1.quarry.example.org"]);
      expect(cronNotRunReason(staging!, j)).toMatch(/does not load config\/whenever\/main\.rb/);
    }
    for (const j of of("config/whenever/staging.rb")) expect(cronNotRunReason(prod!, j)).toMatch(/only staging/);
    for (const j of of("config/whenever/exports.rb")) {
      expect(cronServersOf(prod!, j).map((s) => s.host)).toEqual(["q2.quarry.example.org"]);
      expect(cronServersOf(staging!, j).map((s) => s.host)).toEqual(["s1.quarry.example.org"]);
    }
  });

  it("schedule files nothing loads are named warnings, with the reason", () => {
    const w = quarry.problems.filter((p) => /cron\.schedule-not-loaded/.test(p.message));
    expect(w.map((p) => p.file).sort()).toEqual(["config/schedule.rb", "config/whenever/retired.rb"]);
    expect(w.find((p) => p.file === "config/whenever/retired.rb")!.message).toMatch(/1 `every` block\) that nothing in the deploy loads/);
    expect(quarry.cron!.jobs.some((j) => j.source.file === "config/schedule.rb" || j.source.file === "config/whenever/retired.rb")).toBe(false);
  });

  it("one CronJob per job, names distinct across files, each file's env on its own jobs", () => {
    const out = emitKustomize(quarry, defaultAnswers(quarry, {}));
    const text = out.files.find((f) => f.path === "k8s/base/cronjobs.yaml")!.content;
    const names = [...text.matchAll(/^ {2}name: (\S+)$/gm)].map((m) => m[1]!);
    expect(names.length).toBe(5);
    expect(new Set(names).size).toBe(5);
    const exportsLedger = quarry.cron!.jobs.find((j) => j.source.file === "config/whenever/exports.rb" && j.task === "ledger:close")!;
    expect(cronJobBaseName("quarry", exportsLedger)).toBe("quarry-exports-ledger-close");
    // LEDGER_REGION comes from main.rb: its two jobs carry it, exports.rb's and staging.rb's do not.
    expect(text.match(/LEDGER_REGION/g)?.length).toBe(2);
  });
});

describe("Capistrano 2: tasks with `:roles` that run `whenever -w -f FILE`", () => {
  it("each file is loaded on its task's roles", () => {
    expect(kettle.cron!.files!.map((f) => [f.file, f.taskRoles?.roles])).toEqual([
      ["config/cron/web_side.rb", ["web"]],
      ["config/cron/main.rb", ["cron"]],
    ]);
    const stage = kettle.stages[0]!;
    const hostsOf = (file: string) => [...new Set(kettle.cron!.jobs.filter((j) => j.source.file === file).flatMap((j) => cronServersOf(stage, j).map((s) => s.host)))];
    expect(hostsOf("config/cron/web_side.rb")).toEqual(["w1.kettle.example.net"]);
    expect(hostsOf("config/cron/main.rb")).toEqual(["c1.kettle.example.net"]);
  });

  it("each file's crontab is the one `whenever -f FILE` writes, line by line", () => judge(KETTLE, kettle));

  it("a server with both tasks' roles: each `-w` replaced the other's crontab, said by server", async () => {
    expect(kettle.problems.filter((p) => /cron\.crontab-replaced/.test(p.message))).toEqual([]);
    const deploy = KETTLE["config/deploy.rb"]!.replace('role :cron, "c1.kettle.example.net"', 'role :cron, "w1.kettle.example.net"');
    const m = await analyzeFiles(memoryRepo({ ...KETTLE, "config/deploy.rb": deploy }), "kettle");
    const w = m.problems.filter((p) => /cron\.crontab-replaced/.test(p.message));
    expect(w.map((p) => `${p.file}:${p.line}`)).toEqual(["config/deploy.rb:12"]);
    expect(w[0]!.message).toMatch(/server w1\.kettle\.example\.net: .*config\/cron\/web_side\.rb and config\/cron\/main\.rb/);
    // Both files' jobs are still carried.
    expect(new Set(m.cron!.jobs.map((j) => j.source.file))).toEqual(new Set(["config/cron/web_side.rb", "config/cron/main.rb"]));
  });

  it("whenever_command carrying -f: that file, not config/schedule.rb", async () => {
    const files = { ...KETTLE, Capfile: "load 'deploy'\nrequire 'whenever/capistrano'\nload 'config/deploy'\n", "config/deploy.rb": 'set :application, "kettle"\nrole :db, "d1.kettle.example.net"\nset :whenever_command, "bundle exec whenever -f config/cron/main.rb"\n' };
    const m = await analyzeFiles(memoryRepo(files), "kettle");
    expect(m.cron!.files!.map((f) => [f.file, `${f.loadedBy!.file}:${f.loadedBy!.line}`])).toEqual([["config/cron/main.rb", "config/deploy.rb:3"]]);
    expect(m.problems.filter((p) => /cron\.schedule-not-loaded/.test(p.message)).map((p) => p.file)).toEqual(["config/cron/web_side.rb"]);
  });
});

describe("Mina", () => {
  const MINA = {
    "config/deploy.rb": "require 'mina/rails'\nrequire 'mina/git'\nrequire 'mina/whenever'\nset :domain, 'ledger.example.org'\nset :deploy_to, '/srv/ledger'\n\ntask :deploy do\n  deploy do\n    on :launch do\n      invoke :'whenever:update'\n    end\n  end\nend\n",
    "config/schedule.rb": 'every 2.hours do\n  rake "ledger:sync"\nend\n',
    Gemfile: GEMFILE,
    "bin/rails": "#!/usr/bin/env ruby\n",
  };

  it("mina/whenever's whenever:update loads whenever's default file, from the line that invokes it", async () => {
    const m = await analyzeFiles(memoryRepo(MINA), "ledger");
    expect(m.cron!.files!.map((f) => [f.file, `${f.loadedBy?.file}:${f.loadedBy?.line}`])).toEqual([["config/schedule.rb", "config/deploy.rb:10"]]);
    judge(MINA, m);
  });

  it("a deploy task of Mina's own running `whenever -i … -f FILE`: that file", async () => {
    const files = { ...MINA, "config/deploy.rb": MINA["config/deploy.rb"].replace("require 'mina/whenever'\n", "").replace("invoke :'whenever:update'", 'command "bundle exec whenever -i ledger -f config/cron/ledger.rb"'), "config/cron/ledger.rb": MINA["config/schedule.rb"] };
    const m = await analyzeFiles(memoryRepo(files), "ledger");
    expect(m.cron!.files!.map((f) => f.file)).toEqual(["config/cron/ledger.rb"]);
    expect(m.problems.filter((p) => /cron\.schedule-not-loaded/.test(p.message)).map((p) => p.file)).toEqual(["config/schedule.rb"]);
    judge(files, m);
  });
});

describe("files the analysis cannot carry", () => {
  it("a load file the repo does not hold: said, as a file of the servers", async () => {
    const m = await analyzeFiles(memoryRepo({ ...QUARRY, "config/deploy.rb": QUARRY["config/deploy.rb"]!.replace('"main.rb"', '"gone.rb"') }), "quarry");
    const w = m.problems.filter((p) => /cron\.schedule-not-in-repo/.test(p.message));
    expect(w.map((p) => `${p.file}:${p.line}`)).toEqual(["config/deploy.rb:3"]);
    expect(w[0]!.message).toMatch(/config\/whenever\/gone\.rb .*not in the repo/);
  });

  it("a load file computed at deploy time: a warning per stage, no guessed file", async () => {
    const m = await analyzeFiles(memoryRepo({ ...QUARRY, "config/deploy/staging.rb": 'server "s1.quarry.example.org", roles: %w[web app db]\nset :whenever_load_file, -> { ENV.fetch("CRON_FILE") }\n' }), "quarry");
    expect(m.problems.filter((p) => /cron\.load-file-unknown: stage staging/.test(p.message)).length).toBe(1);
    expect(m.cron!.files!.map((f) => f.file)).not.toContain("config/whenever/staging.rb");
  });

  it("SSHKit words with a comma between flag and file are still read", async () => {
    const rake = QUARRY["lib/capistrano/tasks/exports.rake"]!.replace(/execute ".*"/, 'execute :bundle, :exec, "whenever", "--update-crontab", "quarry-exports", "-f" ,  "config/whenever/exports.rb"');
    const m = await analyzeFiles(memoryRepo({ ...QUARRY, "lib/capistrano/tasks/exports.rake": rake }), "quarry");
    expect(m.cron!.files!.map((f) => f.file)).toContain("config/whenever/exports.rb");
  });

  // A flag followed by a long run of blanks and no file: the old pattern tried every split of the
  // run between its optional groups (about two minutes of CPU for this line).
  it("a hostile deploy line (`-f`, 300,000 spaces, no file) costs well under two seconds of CPU", async () => {
    const cpu = async (files: Record<string, string>) => {
      const t0 = process.cpuUsage();
      const m = await analyzeFiles(memoryRepo(files), "quarry");
      const t = process.cpuUsage(t0);
      return { m, ms: (t.user + t.system) / 1000 };
    };
    const base = await cpu(QUARRY);
    const hostile = `namespace :cron do\n  task :w do\n    on roles(:app) do\n      execute "whenever -w -f${" ".repeat(300_000)}#"\n    end\n  end\nend\n`;
    const { m, ms } = await cpu({ ...QUARRY, "lib/tasks/deploy_cron.rake": hostile });
    expect(ms - base.ms).toBeLessThan(2000);
    // No file after the flag: whenever's own default, as the line would run.
    expect(m.cron!.files!.map((f) => f.file)).toContain("config/schedule.rb");
  });

  it("whenever's default file stays as before when nothing names another", async () => {
    const files = { ...QUARRY, "config/deploy.rb": 'set :application, "quarry"\nset :repo_url, "https://git.example.org/quarry.git"\n', "config/deploy/staging.rb": 'server "s1.quarry.example.org", roles: %w[web app db]\n' };
    delete (files as Record<string, string>)["lib/capistrano/tasks/exports.rake"];
    const m = await analyzeFiles(memoryRepo(files), "quarry");
    expect(m.cron!.files!.map((f) => [f.file, f.stages, f.taskRoles])).toEqual([["config/schedule.rb", undefined, undefined]]);
    expect(cronJobBaseName("quarry", m.cron!.jobs[0]!)).toBe("quarry-echo-never-installed");
  });
});

describe("what a stage's own file loads runs in that stage only", () => {
  it("a deploy task defined in config/deploy/production.rb: its file's jobs in production, not staging", async () => {
    const files = {
      ...QUARRY,
      "config/deploy/production.rb": [
        QUARRY["config/deploy/production.rb"]!.trimEnd(),
        "namespace :prod_reports do",
        "  task :crontab do",
        "    on roles(:app) do",
        '      execute "cd #{current_path} && bundle exec whenever --update-crontab prod_reports -f config/schedule_prod.rb"',
        "    end",
        "  end",
        "end",
        'after "deploy:published", "prod_reports:crontab"',
        "",
      ].join("\n"),
      "config/schedule_prod.rb": 'every 1.day, at: "6:30 am" do\n  rake "reports:daily"\nend\n',
    };
    const m = await analyzeFiles(memoryRepo(files), "quarry");
    const f = m.cron!.files!.find((x) => x.file === "config/schedule_prod.rb")!;
    expect([f.stages, `${f.loadedBy!.file}:${f.loadedBy!.line}`, f.taskRoles?.roles]).toEqual([["production"], "config/deploy/production.rb:6", ["app"]]);
    const [prod, staging] = ["production", "staging"].map((n) => m.stages.find((s) => s.name === n)!);
    const jobs = m.cron!.jobs.filter((j) => j.source.file === "config/schedule_prod.rb");
    expect(jobs.length).toBe(1);
    expect(cronServersOf(prod!, jobs[0]!).map((s) => s.host)).toEqual(["q1.quarry.example.org"]);
    expect(cronNotRunReason(staging!, jobs[0]!)).toMatch(/only production/);
    judge(files, m);
  });

  // Capistrano 2 multistage: whenever/capistrano required by one stage's file defines its task there alone.
  const cap2 = (stageFiles: Record<string, string>) => ({
    Capfile: "load 'deploy' if respond_to?(:namespace)\nload 'config/deploy'\n",
    "config/deploy.rb": `set :application, "kettle"\nset :stages, %w(${Object.keys(stageFiles).join(" ")})\nrequire 'capistrano/ext/multistage'\n`,
    ...Object.fromEntries(Object.entries(stageFiles).map(([s, t]) => [`config/deploy/${s}.rb`, t])),
    "config/schedule.rb": 'every 2.hours do\n  runner "Kettle.boil"\nend\n',
    "config/cron/live.rb": 'every 1.day, at: "3:10 am" do\n  rake "kettle:descale"\nend\n',
    Gemfile: GEMFILE,
    "Gemfile.lock": LOCK,
    "bin/rails": "#!/usr/bin/env ruby\n",
  });

  it("Capistrano 2: `require 'whenever/capistrano'` in one stage file loads the schedule in that stage only", async () => {
    const files = cap2({
      production: "require 'whenever/capistrano'\nrole :db, \"d1.kettle.example.net\", :primary => true\nrole :app, \"a1.kettle.example.net\"\n",
      staging: 'role :db, "s1.kettle.example.net", :primary => true\nrole :app, "s1.kettle.example.net"\n',
    });
    const m = await analyzeFiles(memoryRepo(files), "kettle");
    expect(m.cron!.files!.map((f) => [f.file, f.stages, `${f.loadedBy!.file}:${f.loadedBy!.line}`])).toEqual([["config/schedule.rb", ["production"], "config/deploy/production.rb:1"]]);
    const staging = m.stages.find((s) => s.name === "staging")!;
    for (const j of m.cron!.jobs) expect(cronNotRunReason(staging, j)).toMatch(/only production/);
    judge(files, m);
  });

  it("Capistrano 2: each stage file requiring it, with its own -f: each stage its own file", async () => {
    const files = cap2({
      production: "require 'whenever/capistrano'\nset :whenever_command, \"bundle exec whenever -f config/cron/live.rb\"\nrole :db, \"d1.kettle.example.net\", :primary => true\n",
      staging: "require 'whenever/capistrano'\nrole :db, \"s1.kettle.example.net\", :primary => true\n",
      sandbox: 'role :db, "x1.kettle.example.net", :primary => true\n',
    });
    const m = await analyzeFiles(memoryRepo(files), "kettle");
    expect(m.cron!.files!.map((f) => [f.file, f.stages])).toEqual([
      ["config/cron/live.rb", ["production"]],
      ["config/schedule.rb", ["staging"]],
    ]);
    judge(files, m);
  });
});

describe("answer ids of jobs in files other than config/schedule.rb", () => {
  // Two files whose readable keys fold to the same words, each with a job on line 3 whose command
  // only whenever's own run knows (a gap per job).
  const PING = "job_type :runner_ping, 'cd :path && bin/rails runner \":task\" && curl -fsS https://checkins.example.test/:ping_id'\nevery 1.day, at: '2am' do\n  set :ping_id, AppSettings.pings.nightly\n  runner_ping \"Nightly.run!\"\nend\n";
  const long = (n: number) => `config/whenever/${"quarterly_ledger_reconciliation_".repeat(2)}${n}.rb`;
  const repoLoading = (paths: string[]) => ({
    ...QUARRY,
    "lib/capistrano/tasks/exports.rake": paths.map((p, i) => `namespace :c${i} do\n  task :crontab do\n    on roles(:app) do\n      execute "whenever --update-crontab c${i} -f ${p}"\n    end\n  end\nend\n`).join(""),
    ...Object.fromEntries(paths.map((p) => [p, PING])),
  });

  for (const paths of [["config/whenever/cron.rb", "config/whenever_cron.rb"], [long(1), long(2)]])
    it(`${paths.join(" and ")}: one answer each`, async () => {
      const m = await analyzeFiles(memoryRepo(repoLoading(paths)), "quarry");
      const ids = cronGaps(m).map((g) => g.id).filter((id) => /\.command$/.test(id));
      const of = (file: string) => m.cron!.jobs.map((j, i) => (j.source.file === file ? cronJobKey(m.cron!.jobs, i) : null)).filter(Boolean);
      expect(of(paths[0]!).length).toBe(1);
      expect(of(paths[1]!).length).toBe(1);
      expect(of(paths[0]!)[0]).not.toBe(of(paths[1]!)[0]);
      expect(ids.length).toBe(new Set(ids).size);
      expect(ids.filter((id) => /job_at_/.test(id)).length).toBeGreaterThanOrEqual(2);
    });

  it("config/schedule.rb's ids keep their plain form; another file's keep its words and stay the same run to run", async () => {
    const m = await analyzeFiles(memoryRepo(repoLoading(["config/whenever/cron.rb", "config/schedule.rb"])), "quarry");
    const keys = m.cron!.jobs.map((j, i) => [j.source.file, cronJobKey(m.cron!.jobs, i)]);
    expect(keys.filter(([f]) => f === "config/schedule.rb").map(([, k]) => k)).toEqual(["job_at_line_4"]);
    const other = keys.filter(([f]) => f === "config/whenever/cron.rb").map(([, k]) => k);
    expect(other).toHaveLength(1);
    expect(other[0]).toMatch(/^job_at_whenever_cron_[0-9a-f]{8}_line_4$/);
    const again = await analyzeFiles(memoryRepo(repoLoading(["config/whenever/cron.rb"])), "quarry");
    expect(again.cron!.jobs.map((j, i) => cronJobKey(again.cron!.jobs, i)).filter((k) => k.includes("whenever_cron"))).toEqual(other);
  });
});
