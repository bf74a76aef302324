// One CronJob per whenever job, always: a value the analysis cannot know (an output path computed on
// the server, a computed `at:`) never merges jobs nor drops one; a `cd` the schedule wrote keeps its
// meaning; `env` lines reach the CronJobs. Judged by the real `whenever -f` and `kubectl kustomize`.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron } from "../../analyzers/whenever.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";
import { runWhenever } from "./crontab.js";
import { shopModel } from "../kustomize/models.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { requireKubectl } from "../kustomize/kubectl.js";
import { cronGaps } from "../../src/gaps/cron.js";
import { formatProblem } from "../../src/answers.js";
import { cronCommand } from "../../emitters/kustomize/rules/cron-command.js";
import { serverLayoutPath } from "../../emitters/kustomize/rules/cron-server-only.js";

beforeAll(async () => {
  await initPrism();
  requireKubectl();
});

const analyze = (schedule: string, files: Record<string, string> = {}) => {
  const problems: Problem[] = [];
  const cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": schedule, Gemfile: "", "bin/rails": "", ...files }), problem: (p) => problems.push(p) })!;
  return { cron, problems };
};

const whenever = (schedule: string, set = "environment=production") => {
  const dir = mkdtempSync(join(tmpdir(), "r2k-one-per-job-"));
  const file = join(dir, "schedule.rb");
  writeFileSync(file, schedule);
  return runWhenever(file, { gemfile: true, binRails: true }, set);
};

const built = (schedule: string, answers: Record<string, unknown> = {}, files: Record<string, string> = {}) => {
  const m = shopModel();
  m.cron = analyze(schedule, files).cron;
  const { result, stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC", ...(answers as object) });
  const crons = all(stages["production"]!, "CronJob").map((c) => ({
    name: c.metadata.name,
    schedule: c["spec"].schedule as string,
    suspend: c["spec"].suspend === true,
    command: c["spec"].jobTemplate.spec.template.spec.containers[0].args[2] as string,
    env: (c["spec"].jobTemplate.spec.template.spec.containers[0].env ?? []) as { name: string; value: string }[],
  }));
  return { crons, notes: result.notes.map((n) => n.message) };
};

describe("an output path computed on the server", () => {
  const SCHEDULE = `set :output, "#{path}/log/whenever.log"
every 1.day, at: '6:31 am' do
  rake "a:first"
end
every 1.day, at: '6:51 am' do
  rake "b:second"
end
every 1.day, at: '6:51 am' do
  runner "Report.send!"
end
`;
  it("keeps each job apart, as whenever does", () => {
    const real = whenever(SCHEDULE, "environment=production&path=/srv/app/releases/1");
    const { cron } = analyze(SCHEDULE);
    // whenever: one line per job, none combined (the commands differ)
    expect(real.lines.length).toBe(3);
    expect(cron.jobs.map((j) => j.schedules)).toEqual([["31 6 * * *"], ["51 6 * * *"], ["51 6 * * *"]]);
    expect(cron.jobs.map((j) => j.schedules[0]).sort()).toEqual(real.lines.map((l) => l.schedule).sort());
  });
  it("the output path on the release reads as whenever wrote it, the release being where it ran", () => {
    const release = "/srv/app/releases/1";
    const real = whenever(SCHEDULE, `environment=production&path=${release}`);
    const { cron } = analyze(SCHEDULE);
    const text = (v: unknown): string =>
      typeof v === "string" ? v : (v as { interp: unknown[] }).interp.map((p) => (typeof p === "string" ? p : (p as { cap?: string }).cap === "release_path" ? release : "<UNKNOWN>")).join("");
    expect(cron.jobs.map((j) => text(j.command)).sort()).toEqual(real.lines.map((l) => l.command).sort());
    expect(real.lines[0]!.command).toContain(`>> ${release}/log/whenever.log 2>&1`);
  });
  it("gives each job its own CronJob with its own task and time", () => {
    const { crons } = built(SCHEDULE);
    expect(crons.map((c) => [c.schedule, c.command]).sort()).toEqual([
      ["31 6 * * *", "bundle exec rake a:first --silent"],
      ["51 6 * * *", `bundle exec bin/rails runner -e "$RAILS_ENV" 'Report.send!'`],
      ["51 6 * * *", "bundle exec rake b:second --silent"],
    ]);
    expect(crons.every((c) => !c.suspend)).toBe(true);
  });
});

describe("a cd the schedule wrote", () => {
  const SCHEDULE = `every 1.day, at: '2am' do
  command "cd /apps/x/backups && ls | grep y | xargs rm"
end
every 1.hour do
  command "cd /var/www/shop/current && bin/sweep"
end
`;
  it("stays in the command; the release layout becomes the app directory", () => {
    const { cron } = analyze(SCHEDULE);
    const real = whenever(SCHEDULE);
    expect(real.lines.map((l) => l.command)).toEqual(cron.jobs.map((j) => j.command));
    expect(cronCommand(cron.jobs[0]!)).toBe("cd /apps/x/backups && ls | grep y | xargs rm");
    expect(cronCommand(cron.jobs[1]!)).toBe("bin/sweep");
  });
  it("a directory only the servers had is named", () => {
    expect(serverLayoutPath("cd /apps/x/backups && ls")).toBe("/apps/x/backups");
    expect(serverLayoutPath("cd /rails/tmp && ls")).toBeNull();
    expect(serverLayoutPath("cd /tmp && ls")).toBeNull();
    const { notes } = built(SCHEDULE);
    expect(notes.some((n) => n.includes("/apps/x/backups"))).toBe(true);
  });
});

describe("a path argument only the servers had", () => {
  // An export that writes to a mount of the servers (an NFS share), beside jobs whose paths a pod has.
  const SCHEDULE = `job_type :tool, 'cd :path && RAILS_ENV=:environment :task :output'
every '0 3 * * 2-6' do
  tool 'POOL=2 bin/dump-records -j4 --into /mnt/archive/records > /dev/null'
end
every 1.day, at: '1am' do
  tool 'bin/dump-records --into=/srv-data/daily'
end
every 1.day, at: '2am' do
  tool 'bin/dump-records --into /tmp/scratch 2> /dev/null'
end
every 1.day, at: '3am' do
  command "cd /var/www/shop/current && bin/dump-records --into /var/www/shop/current/tmp/out"
end
every 1.day, at: '4am' do
  command "curl -fsS https://ping.example.org/hook/abc && /usr/bin/find /tmp -mtime +3 -delete"
end
`;
  it("suspends the CronJob that names it, and only that one", () => {
    // whenever writes the path as it stands: the servers' directory, not the release
    const real = whenever(SCHEDULE, "environment=production&path=/var/www/shop/releases/7");
    expect(real.lines.length).toBe(5);
    expect(real.lines[0]!.command).toContain("--into /mnt/archive/records > /dev/null");
    const { crons, notes } = built(SCHEDULE, {}, { "bin/dump-records": "#!/usr/bin/env ruby\n" });
    const by = (s: string) => crons.find((c) => c.command.includes(s))!;
    expect(by("/mnt/archive/records").suspend).toBe(true);
    expect(by("/srv-data/daily").suspend).toBe(true);
    expect(by("/tmp/scratch").suspend).toBe(false);
    expect(by("/tmp/scratch").command).toBe("bin/dump-records --into /tmp/scratch");
    expect(by("/rails/tmp/out").suspend).toBe(false);
    expect(by("ping.example.org").suspend).toBe(false);
    expect(notes.filter((n) => n.includes("outside the release")).map((n) => /names (\S+),/.exec(n)![1]).sort()).toEqual(["/mnt/archive/records", "/srv-data/daily"]);
  });
});

describe("a schedule computed when whenever runs", () => {
  const SCHEDULE = `SLOTS = %w[1am 2am]
every 1.day, at: SLOTS.sample do
  rake "c:computed"
end
every 1.day, at: '4am' do
  rake "d:fixed"
end
`;
  it("is a gap whose answer must be a cron line", () => {
    const { cron } = analyze(SCHEDULE);
    const gaps = cronGaps({ cron } as never);
    expect(gaps.map((g) => g.id)).toEqual(["cron.job_at_line_3.schedule"]);
    expect(formatProblem("cron-schedule", "0 1 * * *")).toBeNull();
    expect(formatProblem("cron-schedule", null)).toBeNull();
    expect(formatProblem("cron-schedule", "0 1 * *")).not.toBeNull();
    expect(formatProblem("cron-schedule", "0 1 * * *; rm -rf /")).not.toBeNull();
  });
  it("unanswered: its CronJob is written suspended, and said", () => {
    const { crons, notes } = built(SCHEDULE);
    expect(crons.length).toBe(2);
    const c = crons.find((x) => x.command.includes("c:computed"))!;
    expect(c.suspend).toBe(true);
    expect(crons.find((x) => x.command.includes("d:fixed"))!.suspend).toBe(false);
    expect(notes.some((n) => n.includes("cron.job_at_line_3.schedule") && n.includes("suspended"))).toBe(true);
  });
  it("answered: runs at the given line", () => {
    const { crons } = built(SCHEDULE, { "cron.job_at_line_3.schedule": "15 1 * * *" });
    const c = crons.find((x) => x.command.includes("c:computed"))!;
    expect([c.schedule, c.suspend]).toEqual(["15 1 * * *", false]);
  });
});

describe("a command with a part computed when whenever runs", () => {
  // A custom job type that pings a check-in URL whose id comes from the app's settings object:
  // only whenever's own run (on a server, with the app's settings loaded) knows the whole line.
  const SCHEDULE = `job_type :runner_ping, 'cd :path && bin/rails runner -e :environment ":task" && curl -fsS https://checkins.example.test/:ping_id'
every 1.day, at: '2am' do
  set :ping_id, AppSettings.pings.nightly
  runner_ping "Nightly.run!"
end
every 1.day, at: '3am' do
  runner "Cleanup.run!"
end
`;
  it("whenever writes a line for each job", () => {
    // the oracle, with the settings object the servers had
    const dir = mkdtempSync(join(tmpdir(), "r2k-ping-"));
    const file = join(dir, "schedule.rb");
    writeFileSync(file, `module AppSettings; def self.pings; Struct.new(:nightly).new("abc123"); end; end\n${SCHEDULE}`);
    const real = runWhenever(file, { gemfile: true, binRails: true }, "environment=production");
    expect(real.lines.map((l) => l.schedule).sort()).toEqual(["0 2 * * *", "0 3 * * *"]);
    expect(analyze(SCHEDULE).cron.jobs.length).toBe(2);
  });
  it("is a gap whose answer must be one shell line", () => {
    const { cron } = analyze(SCHEDULE);
    const gaps = cronGaps({ cron } as never);
    expect(gaps.map((g) => [g.id, g.format])).toEqual([["cron.job_at_line_4.command", "cron-command"]]);
    expect(gaps[0]!.why).toContain("AppSettings");
    expect(formatProblem("cron-command", null)).toBeNull();
    expect(formatProblem("cron-command", "bin/rails runner Nightly.run! && curl -fsS https://x.test/abc")).toBeNull();
    expect(formatProblem("cron-command", "a\nb")).not.toBeNull();
    expect(formatProblem("cron-command", "  ")).not.toBeNull();
  });
  it("unanswered: the job still gets its CronJob, suspended, with a placeholder that fails, and said", () => {
    const { crons, notes } = built(SCHEDULE);
    expect(crons.length).toBe(2);
    const ping = crons.find((c) => c.schedule === "0 2 * * *")!;
    expect(ping.suspend).toBe(true);
    expect(ping.command).toContain("cron.job_at_line_4.command");
    expect(ping.command).toMatch(/exit 64$/);
    expect(crons.find((c) => c.schedule === "0 3 * * *")!.suspend).toBe(false);
    expect(notes.some((n) => n.includes("cron.job_at_line_4.command") && n.includes("suspended"))).toBe(true);
    expect(notes.some((n) => n.includes("no CronJob emitted"))).toBe(false);
  });
  it("answered: runs the given command", () => {
    const answer = `bin/rails runner -e "$RAILS_ENV" 'Nightly.run!' && curl -fsS https://checkins.example.test/abc123`;
    const { crons } = built(SCHEDULE, { "cron.job_at_line_4.command": answer });
    const ping = crons.find((c) => c.schedule === "0 2 * * *")!;
    expect([ping.command, ping.suspend]).toEqual([answer, false]);
  });
});

describe("two jobs on one line, each with a part computed when whenever runs", () => {
  const SCHEDULE = `job_type :runner_ping, 'cd :path && bin/rails runner -e :environment ":task" && curl -fsS https://checkins.example.test/:ping_id'
every 1.day, at: '2am' do
  set :ping_id, AppSettings.pings.nightly
  runner_ping "Second.run"; runner_ping "Third.run"
end
`;
  it("each job has its own question and its own answer", () => {
    const { cron } = analyze(SCHEDULE);
    expect(cron.jobs.length).toBe(2);
    const gaps = cronGaps({ cron } as never);
    expect(gaps.map((g) => g.id)).toEqual(["cron.job_at_line_4.command", "cron.job_at_line_4_2.command"]);
    expect(gaps[1]!.question).toContain("Third.run");
    const { crons } = built(SCHEDULE, { "cron.job_at_line_4.command": "bin/rails runner Second.run", "cron.job_at_line_4_2.command": "bin/rails runner Third.run" });
    expect(crons.map((c) => [c.command, c.suspend]).sort()).toEqual([
      ["bin/rails runner Second.run", false],
      ["bin/rails runner Third.run", false],
    ]);
    // one answered, the other not: the other stays suspended with its own placeholder
    const half = built(SCHEDULE, { "cron.job_at_line_4.command": "bin/rails runner Second.run" }).crons;
    expect(half.find((c) => c.command.includes("job_at_line_4_2"))!.suspend).toBe(true);
  });
});

describe("env lines", () => {
  const SCHEDULE = `env :PATH, "/home/deploy/.rbenv/shims:/usr/bin"
env :MAILTO, "ops@example.com"
env :REPORT_BUCKET, "shop-reports"
every 1.day, at: '4am' do
  rake "d:fixed"
end
`;
  it("plain values reach every CronJob; PATH and MAILTO are named, not carried", () => {
    const real = whenever(SCHEDULE);
    expect(real.env.map(([k]) => k)).toEqual(["PATH", "MAILTO", "REPORT_BUCKET"]);
    const { crons, notes } = built(SCHEDULE);
    expect(crons[0]!.env).toEqual([{ name: "REPORT_BUCKET", value: "shop-reports" }]);
    expect(notes.some((n) => n.includes("env PATH"))).toBe(true);
    expect(notes.some((n) => n.includes("env MAILTO"))).toBe(true);
  });
});

describe("jobs per Rails env and per server", () => {
  const SCHEDULE = `every 1.day, at: '4am' do
  rake "d:fixed"
end
if @environment == "production"
  every 1.hour do
    rake "p:only"
  end
end
every 1.day, at: '0:05 am', roles: [:one] do
  command "sudo service nginx restart"
end
every 1.day, at: '0:15 am', roles: [:two] do
  command "sudo service nginx restart"
end
`;
  const analyzeEnvs = () => analyzeCron({ repo: memoryRepo({ "config/schedule.rb": SCHEDULE, Gemfile: "", "bin/rails": "" }), problem: () => {} }, {}, ["production", "staging"])!;

  it("a job under `if @environment == ...` exists only in those envs, as whenever writes them", () => {
    const prod = whenever(SCHEDULE, "environment=production");
    const staging = whenever(SCHEDULE, "environment=staging");
    expect(prod.lines.some((l) => l.command.includes("p:only"))).toBe(true);
    expect(staging.lines.some((l) => l.command.includes("p:only"))).toBe(false);
    const cron = analyzeEnvs();
    expect(cron.jobs.find((j) => j.task === "p:only")!.envs).toEqual(["production"]);
    expect(cron.jobs.find((j) => j.task === "d:fixed")!.envs).toBeUndefined();
  });

  it("two equal commands for different roles keep their own times (each server had its own crontab)", () => {
    const cron = analyzeEnvs();
    expect(cron.jobs.filter((j) => j.task === "sudo service nginx restart").map((j) => j.schedules)).toEqual([["5 0 * * *"], ["15 0 * * *"]]);
  });

  it("the production-only CronJob is suspended in staging's overlay, and said", () => {
    const m = shopModel();
    m.cron = analyzeEnvs();
    const { result, stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    const only = (stage: string) => all(stages[stage]!, "CronJob").find((c) => c["spec"].jobTemplate.spec.template.spec.containers[0].args[2].includes("p:only"))!;
    expect(only("production")["spec"].suspend).toBeUndefined();
    expect(only("staging")["spec"].suspend).toBe(true);
    expect(result.notes.some((n) => /only for RAILS_ENV production, not staging/.test(n.message))).toBe(true);
  });
});
