// A `case` at the top of a DSL file (whenever's schedule, Unicorn's and Puma's configs) runs one
// branch, like `if`: `case @environment when "staging" … else … end` in a schedule defines its jobs
// per Rails env. It used to be skipped whole, so every job under it was lost without a word.
// Judged by the real `whenever -f --set environment=<env>` and by Unicorn's own Configurator.
// (A Unicorn `case ENV["RAILS_ENV"]` is not decided per stage yet: its branches are read as unknown.)
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron, readCrontab } from "../../analyzers/whenever.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";
import { runWhenever } from "./crontab.js";
import { analyzeFiles } from "../../src/analyze.js";
import { runRubyFile } from "../appserver/ruby.js";
import { fileURLToPath } from "node:url";

beforeAll(async () => {
  await initPrism();
});

// A repo of ours: nightly sweeps differ per Rails env; a `when` with two values; a job type
// defined in one branch only; a `case` with no subject.
const SCHEDULE = `set :output, "log/cron.log"
case @environment
when "staging"
  every 1.hour do
    rake "mirror:refresh"
  end
when "production", "demo"
  job_type :sweeper, "cd :path && bin/sweep :task :output"
  every 1.day, at: "3:10 am" do
    sweeper "--orphans"
  end
  every :sunday, at: "5:00 am" do
    runner "Ledger.compact!"
  end
else
  every 10.minutes do
    command "echo idle"
  end
end
case
when @environment == "demo"
  every 1.day, at: "7:00 pm" do
    rake "demo:reset"
  end
end
`;

const ENVS = ["production", "staging", "demo", "qa"];

describe("`case` in a whenever schedule", () => {
  const file = join(mkdtempSync(join(tmpdir(), "r2k-case-")), "schedule.rb");
  writeFileSync(file, SCHEDULE);
  const repo = () => memoryRepo({ "config/schedule.rb": SCHEDULE, Gemfile: "", "bin/rails": "" });

  for (const env of ENVS)
    it(`takes the branch whenever takes for environment=${env}, line for line`, () => {
      const set = { environment: env, path: "/srv/app" };
      const want = runWhenever(file, { gemfile: true, binRails: true }, `environment=${env}&path=/srv/app`);
      expect(want.lines.length).toBeGreaterThan(0);
      const problems: Problem[] = [];
      const got = readCrontab({ repo: repo(), problem: (p) => problems.push(p) }, { set })!;
      expect(got.lines.map((l) => ({ schedule: l.schedule, command: l.command }))).toEqual(want.lines.map(({ schedule, command }) => ({ schedule, command })));
      expect(problems).toEqual([]);
    });

  it("per stage: each job says the Rails envs that define it; none is lost, none is merged", () => {
    const problems: Problem[] = [];
    const cron = analyzeCron({ repo: repo(), problem: (p) => problems.push(p) }, {}, ENVS)!;
    const jobs = cron.jobs.map((j) => [j.type, j.task, j.envs ?? "all"]);
    // In the order the stages' envs first define them.
    expect(jobs).toEqual([
      ["sweeper", "--orphans", ["production", "demo"]],
      ["runner", "Ledger.compact!", ["production", "demo"]],
      ["rake", "mirror:refresh", ["staging"]],
      ["rake", "demo:reset", ["demo"]],
      ["command", "echo idle", ["qa"]],
    ]);
    // Reading `environment` is said once, as before.
    expect(problems.filter((p) => /reads `environment`/.test(p.message))).toHaveLength(1);
  });

  it("a subject not known statically keeps every branch, each job marked with the case it sits under", () => {
    const problems: Problem[] = [];
    const text = 'case ENV.fetch("CRON_PROFILE")\nwhen "full"\n  every 1.day do\n    rake "a:b"\n  end\nelse\n  every 2.days do\n    rake "c:d"\n  end\nend\n';
    const cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": text, Gemfile: "", "bin/rails": "" }), problem: (p) => problems.push(p) })!;
    expect(cron.jobs.map((j) => j.task)).toEqual(["a:b", "c:d"]);
    // said once per job (not again for its `every`), and each job carries the case: its CronJob is suspended
    expect(problems.filter((p) => /under `case ENV.fetch\("CRON_PROFILE"\)`/.test(p.message)).map((p) => p.line)).toEqual([4, 8]);
    expect(cron.jobs.map((j) => j.condition)).toEqual([1, 1].map((line) => ({ text: 'case ENV.fetch("CRON_PROFILE")', source: { file: "config/schedule.rb", line } })));
  });
});

describe("`case` in a Unicorn config", () => {
  const analyzeUnicorn = (unicorn: string) =>
    analyzeFiles(
      memoryRepo({
        Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/unicorn"\n',
        "config/deploy.rb": 'set :application, "till"\n',
        "config/deploy/production.rb": 'server "p.example.org", roles: %w[web app db]\nset :rails_env, "production"\n',
        "config/unicorn/production.rb": unicorn,
        "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    unicorn (6.1.0)\n    rails (7.1.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  unicorn\n  rails\n",
      }),
      "till",
    );
  const oracle = (unicorn: string) => {
    const path = join(mkdtempSync(join(tmpdir(), "r2k-case-unicorn-")), "production.rb");
    writeFileSync(path, unicorn);
    return runRubyFile(fileURLToPath(new URL("../appserver/unicorn_oracle.rb", import.meta.url)), [{ path, env: "production" }])[0];
  };

  it("a subject the file decides: the branch Unicorn runs, with its line", async () => {
    const unicorn = 'size = "large"\ncase size\nwhen "small", "tiny"\n  worker_processes 2\nwhen "large"\n  worker_processes 6\n  timeout 45\nend\nlisten 8080\n';
    const u = (await analyzeUnicorn(unicorn)).appServers.filter((a) => a.kind === "unicorn");
    const want = oracle(unicorn);
    expect(want.worker_processes).toBe(6);
    expect(u.map((a) => [a.workers?.value, a.workers?.source.line, a.timeout?.value])).toEqual([[want.worker_processes, 6, want.timeout]]);
  });

  it("a subject not known here: not dropped, said unknown under its case", async () => {
    const u = (await analyzeUnicorn('case ENV["UNICORN_SIZE"]\nwhen "large"\n  worker_processes 6\nelse\n  worker_processes 2\nend\n')).appServers.filter((a) => a.kind === "unicorn");
    expect(u[0]!.workers!.value).toMatchObject({ unknown: 'set under `case ENV["UNICORN_SIZE"]`, not known statically' });
  });
});

describe("`each` over a list known only on the server", () => {
  // One pass of the loop per item of a list the servers' ENV decides: the jobs are said (never
  // dropped), marked as under the loop, and never combined with each other although their commands
  // read the same here.
  const LOOP = `ENV.fetch("SHARDS", "eu").split(",").each do |shard|
  every 1.day, at: "2:15 am" do
    rake "shard:vacuum[#{shard}]"
  end
  every 1.day, at: "4:45 am" do
    rake "shard:reindex[#{shard}]"
  end
end
every 1.day, at: "6:00 am" do
  rake "cleanup:all"
end
`;

  it("every job of the body is read, with the times whenever writes for a one-item list", () => {
    const file = join(mkdtempSync(join(tmpdir(), "r2k-each-")), "schedule.rb");
    writeFileSync(file, LOOP);
    const want = runWhenever(file, { gemfile: true, binRails: true }, "environment=production");
    expect(want.lines.map((l) => l.schedule)).toEqual(["15 2 * * *", "45 4 * * *", "0 6 * * *"]);
    const problems: Problem[] = [];
    const cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": LOOP, Gemfile: "", "bin/rails": "" }), problem: (p) => problems.push(p) })!;
    expect(cron.jobs.map((j) => j.schedules)).toEqual(want.lines.map((l) => [l.schedule]));
    // The loop's two jobs: their task is not known (the item is the servers'), the third's is.
    expect(cron.jobs.map((j) => typeof j.task === "string")).toEqual([false, false, true]);
    expect(problems.filter((p) => /under `ENV.fetch\("SHARDS", "eu"\).split\(","\).each`/.test(p.message)).map((p) => p.line)).toEqual([3, 6]);
    expect(cron.jobs.map((j) => j.condition?.source.line ?? null)).toEqual([1, 1, null]);
  });
});
