// `QUEUE=`/`QUEUES=` written after the task on a rake (or rails) command line is an argument rake
// turns into ENV before it runs the task: the worker's queues are those, as if the line had set the
// variable in front. Real rake says what the task sees; the app and its lines are written for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";

const STAGE = { production: 'server "q1.parcel.example.org", roles: %w[app web db worker]\nset :rails_env, "production"\n' };

/** What real rake hands the task as ENV["QUEUES"] || ENV["QUEUE"] (as Resque and delayed_job read it) for these arguments. */
function rakeSees(args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "rake-queue-"));
  writeFileSync(join(dir, "Rakefile"), 'task(:work) { puts((ENV["QUEUES"] || ENV["QUEUE"]).to_s) }\n');
  const r = spawnSync("rake", ["-f", join(dir, "Rakefile"), "work", ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "" } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split(",").filter(Boolean);
}

describe("queues given to rake as arguments", () => {
  it("a Procfile line: resque:work QUEUE=… as rake reads it", async () => {
    const m = await analyzeFiles(pluginApp("", STAGE, { Procfile: "web: bundle exec puma\nmailer: bundle exec rake resque:work QUEUE=outbox,digests INTERVAL=2\n" }, { resque: "2.6.0" }, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "resque")!;
    expect(w.args).toEqual(["bundle", "exec", "rake", "resque:work", "QUEUE=outbox,digests", "INTERVAL=2"]);
    expect(w.queues).toEqual(rakeSees(["QUEUE=outbox,digests", "INTERVAL=2"]));
    expect(w.queues).toEqual(["outbox", "digests"]);
  });

  it("rails jobs:work QUEUES=…: delayed_job's queues; QUEUES wins over QUEUE as the gem reads them", async () => {
    const m = await analyzeFiles(pluginApp("", STAGE, { Procfile: "web: bundle exec puma\njobs: bin/rails jobs:work QUEUE=ignored QUEUES=billing,reports\n" }, { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" }, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.queues).toEqual(rakeSees(["QUEUE=ignored", "QUEUES=billing,reports"]));
    expect(w.queues).toEqual(["billing", "reports"]);
  });

  it("a systemd unit's ExecStart with the argument after the task", async () => {
    const unit = "[Unit]\nDescription=parcel resque\n\n[Service]\nWorkingDirectory=/srv/parcel/current\nExecStart=bundle exec rake resque:work QUEUE=imports\nRestart=always\n";
    const m = await analyzeFiles(pluginApp("", STAGE, { "config/systemd/parcel-resque.service": unit }, { resque: "2.6.0" }, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "resque")!;
    expect(w.queues).toEqual(["imports"]);
  });

  it("a word before the program is env; a QUEUE= word of another program is not rake's", async () => {
    const m = await analyzeFiles(pluginApp("", STAGE, { Procfile: "web: bundle exec puma\nmailer: QUEUE=front bundle exec rake resque:work\n" }, { resque: "2.6.0" }, ""), "parcel");
    expect(m.workers!.find((x) => x.backend === "resque")!.queues).toEqual(["front"]);
    // After a program that is not rake, `QUEUE=x` is that program's argument: its ENV has no QUEUE (real Ruby says so).
    const r = spawnSync("ruby", ["-e", 'print ENV.key?("QUEUE"), " ", ARGV.join(",")', "QUEUE=stray"], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "" } });
    expect(r.stdout).toBe("false QUEUE=stray");
    const s = await analyzeFiles(pluginApp("", STAGE, { Procfile: "web: bundle exec puma\njobs: bin/delayed_job --queue=mail run QUEUE=stray\n" }, { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" }, ""), "parcel");
    const w = s.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.args).toContain("QUEUE=stray");
    expect(w.queues).toEqual(["mail"]);
  });
});
