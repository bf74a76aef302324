// delayed_job worked from cron: a whenever job running `rake jobs:workoff` every few minutes is how
// some apps ran their queue, with no worker process at all. The analysis says that job works the
// queue (and the CronJobs carry it) instead of "nothing in the repo starts its workers".
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";

const dj = { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8", whenever: "1.0.0" };
const stages = { production: 'server "a1.parcel.example.org", roles: %w[web app db]\nset :rails_env, "production"\n' };
const SCHEDULE = 'set :output, "log/cron.log"\n\nevery 5.minutes, roles: [:app] do\n  rake "jobs:workoff"\nend\n\nevery 1.day, at: "4:10 am" do\n  runner "Invoice.remind"\nend\n';

const djWorker = async (schedule: string | null) => {
  const repo = pluginApp("", stages, schedule === null ? {} : { "config/schedule.rb": schedule }, dj, 'require "whenever/capistrano"\n');
  const model = await analyzeFiles(repo);
  return model.workers.find((w) => w.backend === "delayed-job")!;
};

describe("a job queue worked from cron", () => {
  it("names the whenever job that works it, not a lost process", async () => {
    const w = await djWorker(SCHEDULE);
    expect(w.notStarted).toBe(true);
    expect(w.carried).toBe(false);
    expect(w.why).toMatch(/whenever schedule works its queue from cron: jobs:workoff \(0,5,10,15,20,25,30,35,40,45,50,55 \* \* \* \*\) at config\/schedule\.rb:4/);
    expect(w.why).not.toMatch(/nothing in the repo starts/);
    expect(w.evidence.some((e) => e.source.file === "config/schedule.rb" && e.source.line === 4)).toBe(true);
  });

  it("without such a job the backend is still said to be started by nothing", async () => {
    const w = await djWorker(SCHEDULE.replace('rake "jobs:workoff"', 'rake "reports:daily"'));
    expect(w.why).toMatch(/nothing in the repo starts its workers/);
  });
});
