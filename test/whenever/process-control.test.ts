// A whenever job that kept the servers' worker alive (started it as a daemon when its pid file showed
// no process, killed it by pid, restarted it through its own control script) is written suspended:
// in a CronJob's pod there is no such process, so a run would start a second worker inside the cron
// pod. The reason, on the object and in the notes (MIGRATION.md), names the Deployment that runs the
// worker. Jobs that only enqueue or report stay active. The lines are the real `whenever -f`'s.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron } from "../../analyzers/whenever.js";
import { processControlOf, withProcessControl } from "../../analyzers/whenever/process-control.js";
import { memoryRepo } from "../../src/repo.js";
import { runWhenever } from "./crontab.js";
import { shopModel } from "../kustomize/models.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { requireKubectl } from "../kustomize/kubectl.js";

beforeAll(async () => {
  await initPrism();
  requireKubectl();
});

// Modelled on a pattern seen in the wild: a watchdog module under lib/ that a rake task calls.
const SCHEDULE = `set :output, "log/cron.log"
every 10.minutes do
  rake "watchdog:jobs_alive"
end
every 1.day, at: "3:10 am" do
  rake "queue:recycle"
end
every 1.day, at: "4:20 am" do
  command "kill -TERM $(cat tmp/pids/sidekiq.pid)"
end
every 1.day, at: "5:30 am" do
  rake "digest:weekly"
end
every 1.hour do
  runner "Stats.refresh"
end
`;

const FILES: Record<string, string> = {
  "config/schedule.rb": SCHEDULE,
  Gemfile: "",
  "bin/rails": "",
  "lib/tasks/watchdog.rake": `namespace :watchdog do
  desc "bring the job runner back when it died"
  task jobs_alive: :environment do
    JobWatchdog.revive_if_dead
  end
end
`,
  "lib/job_watchdog.rb": `module JobWatchdog
  # the job runner writes its pid here
  PIDFILE = "tmp/pids/sidekiq.pid"

  def self.revive_if_dead
    return if File.exist?(PIDFILE) && alive?(File.read(PIDFILE).to_i)
    system("bundle exec sidekiq -d -L log/sidekiq.log -P #{PIDFILE}")
  end
end
`,
  "lib/tasks/queue.rake": `namespace :queue do
  task :recycle => :environment do
    pid = File.read(Rails.root.join("tmp", "pids", "sidekiq.pid")).to_i
    Process.kill("USR1", pid)
  end
end
`,
  "lib/tasks/digest.rake": `namespace :digest do
  task weekly: :environment do
    DigestMailer.weekly.deliver_later
  end
end
`,
  "lib/process_report.rb": `class ProcessReport
  def self.kill_switch = system("pkill -f sidekiq")
end
`,
};

describe("a whenever job that supervised the servers' worker", () => {
  it("is written suspended, the reason on the object and in the notes naming the worker Deployment", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-process-control-"));
    writeFileSync(join(dir, "schedule.rb"), SCHEDULE);
    const real = runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=production");
    const cron = analyzeCron({ repo: memoryRepo(FILES), problem: () => {} })!;
    expect(real.lines.length).toBe(5);
    expect(cron.jobs.map((j) => j.schedules[0])).toEqual(real.lines.map((l) => l.schedule));
    // (rake and runner lines hold the release directory whenever ran in; the command line is as written)
    expect(cron.jobs[2]!.command).toBe(real.lines[2]!.command);
    // What each supervising job did, with file and line; the others supervise nothing.
    const control = cron.jobs.map((j) => j.controlsProcess ?? null);
    expect(control[0]!.what.join("\n")).toMatch(/runs `sidekiq -d -L log\/sidekiq.log -P #\{PIDFILE\}` \(lib\/job_watchdog.rb:7\)/);
    expect(control[0]!.what.join("\n")).toMatch(/uses the pid file `tmp\/pids\/sidekiq.pid` \(lib\/job_watchdog.rb:3\)/);
    expect(control[1]!.what.join("\n")).toMatch(/`Process.kill`\) \(lib\/tasks\/queue.rake:4\)/);
    expect(control[2]!.what.join("\n")).toMatch(/runs `kill -TERM \$\(cat tmp\/pids\/sidekiq.pid\)`/);
    for (const c of control.slice(0, 3)) expect(c!.processes).toEqual(["sidekiq"]);
    // `Stats.refresh` names no file of the app; `digest:weekly` only enqueues mail.
    expect(control.slice(3)).toEqual([null, null]);

    const m = shopModel();
    m.cron = cron;
    const { result, stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    const jobs = all(stages["production"]!, "CronJob");
    expect(jobs.length).toBe(5);
    const byWord = (w: string) => jobs.find((c) => (c["spec"].jobTemplate.spec.template.spec.containers[0].args[2] as string).includes(w))!;
    for (const w of ["watchdog:jobs_alive", "queue:recycle", "kill -TERM"]) {
      expect(byWord(w)["spec"].suspend, w).toBe(true);
      expect(byWord(w)["metadata"].annotations?.["rails2k8s.dev/supervised-process"], w).toMatch(/the cluster runs that process as Deployment shop-worker \(Sidekiq\)/);
    }
    for (const w of ["digest:weekly", "Stats.refresh"]) {
      expect(byWord(w)["spec"].suspend, w).toBeUndefined();
      expect(byWord(w)["metadata"].annotations?.["rails2k8s.dev/supervised-process"], w).toBeUndefined();
    }
    const notes = result.notes.filter((n) => /not to be resumed: it supervised a process of the servers/.test(n.message));
    expect(notes.map((n) => n.source?.line)).toEqual([3, 6, 9]);
  });

  it("does not take a foreground worker, a Ruby builtin or a job that only enqueues for supervising", () => {
    const repo = memoryRepo({ ...FILES, "lib/extras/watch/process.rb": 'class Process\n  def x = `kill -9 1`\nend\n' });
    const job = (type: string, task: string, command = task) => ({ schedules: ["* * * * *"], type, task, command, roles: [], source: { file: "config/schedule.rb", line: 1 } });
    expect(processControlOf({ repo, problem: () => {} }, job("command", "bundle exec rake jobs:workoff"))).toBeNull();
    expect(processControlOf({ repo, problem: () => {} }, job("command", "bundle exec sidekiq -C config/sidekiq.yml"))).toBeNull();
    expect(processControlOf({ repo, problem: () => {} }, job("command", "bin/delayed_job restart"))?.processes).toEqual(["delayed-job"]);
    // Process.kill's `Process` is Ruby's, never lib/extras/watch/process.rb.
    expect(processControlOf({ repo, problem: () => {} }, job("rake", "queue:recycle"))?.what).toEqual(["uses the pid file `sidekiq.pid` (lib/tasks/queue.rake:3)", "signals a process by its pid (`Process.kill`) (lib/tasks/queue.rake:4)"]);
    expect(processControlOf({ repo, problem: () => {} }, job("runner", "ProcessReport.kill_switch"))?.what).toEqual(["runs `pkill -f sidekiq` (lib/process_report.rb:2)"]);
  });

  it("a check that throws costs only that job's check, said at the job's line", () => {
    const base = memoryRepo(FILES);
    const repo = new Proxy(base, { get: (t, k) => (k === "read" ? () => { throw new Error("disk gone"); } : Reflect.get(t, k)) });
    const said: { file: string; line: number; message: string }[] = [];
    const job = { schedules: ["* * * * *"], type: "rake", task: "queue:recycle", command: "queue:recycle", roles: [], source: { file: "config/schedule.rb", line: 7 } };
    const out = withProcessControl({ repo, problem: (p) => said.push(p) }, job as never);
    expect(out).toBe(job);
    expect(said).toEqual([expect.objectContaining({ file: "config/schedule.rb", line: 7, message: expect.stringMatching(/^cron\.process-control-unread: .*disk gone/) })]);
  });

  it("reads a rake task name as text, never as a pattern: regex syntax in it neither throws nor matches another task", () => {
    const repo = memoryRepo({ ...FILES, "lib/tasks/odd.rake": 'namespace :q do\n  task "a[b(" do\n    `kill -TERM $(cat tmp/pids/sidekiq.pid)`\n  end\n  task :axb do\n    `pkill sidekiq`\n  end\nend\n' });
    const job = (task: string) => ({ schedules: ["* * * * *"], type: "rake", task, command: task, roles: [], source: { file: "config/schedule.rb", line: 1 } });
    expect(() => processControlOf({ repo, problem: () => {} }, job("q:a[b("))).not.toThrow();
    expect(processControlOf({ repo, problem: () => {} }, job("q:a[b("))?.what.join("\n")).toMatch(/lib\/tasks\/odd.rake:3/);
    expect(processControlOf({ repo, problem: () => {} }, job("q:a.b"))).toBeNull();
  });

  // A status check reads a pid file and asks whether that pid lives, to print it: nothing is started,
  // stopped or signalled (signal 0 delivers nothing).
  const STATUS: Record<string, string> = {
    "lib/tasks/status.rake": `namespace :status do
  task workers: :environment do
    pid_path = Rails.root.join("tmp", "pids", "sidekiq.pid")
    pid = File.exist?(pid_path) ? File.read(pid_path).to_i : nil
    alive = pid && (Process.kill(0, pid) rescue false)
    puts "sidekiq #{alive ? "up" : "down"}"
    puts \`ps aux | grep [s]idekiq\`
  end
  task relay: :environment do
    File.write("tmp/pids/relay.pid", Process.pid.to_s)
  end
  task odd: :environment do
    pid_path = ENV.fetch("PID_DIR", "tmp/pids") + "/sidekiq.pid"
    puts pid_path
  end
  task bounce: :environment do
    Ops::Restarter.run
  end
  task loop: :environment do
    PingA.go
  end
end
`,
    "lib/ops/restarter.rb": "module Ops\n  class Restarter\n    def self.run = Fleet.bounce\n  end\nend\n",
    "app/services/fleet.rb": "class Fleet\n  def self.bounce\n    WorkerLauncher.start_daemon\n  end\nend\n",
    "lib/worker_launcher.rb": 'class WorkerLauncher\n  def self.start_daemon\n    Process.kill("TERM", File.read("tmp/pids/sidekiq.pid").to_i)\n  end\nend\n',
    "lib/ping_a.rb": "class PingA\n  def self.go = PingB.go\nend\n",
    "lib/ping_b.rb": "class PingB\n  def self.go = PingA.go\nend\n",
    "bin/live": "",
  };
  const rake = (task: string) => ({ schedules: ["* * * * *"], type: "rake", task, command: task, roles: [], source: { file: "config/schedule.rb", line: 1 } });
  const cmd = (task: string) => ({ schedules: ["* * * * *"], type: "command", task, command: task, roles: [], source: { file: "config/schedule.rb", line: 1 } });

  it("a job that only reads a pid file or ps to report is not suspended; writing the pid file, or a use not clearly a read, is", () => {
    const ctx = { repo: memoryRepo({ ...FILES, ...STATUS }), problem: () => {} };
    expect(processControlOf(ctx, rake("status:workers"))).toBeNull();
    expect(processControlOf(ctx, cmd("test -f tmp/pids/sidekiq.pid && kill -0 $(cat tmp/pids/sidekiq.pid) && echo up"))).toBeNull();
    expect(processControlOf(ctx, rake("status:relay"))?.what).toEqual(["writes or removes the pid file `tmp/pids/relay.pid` (lib/tasks/status.rake:10)"]);
    // Not clearly a read: kept suspended, and the mark says why at its line.
    expect(processControlOf(ctx, rake("status:odd"))?.what).toEqual(["uses the pid file `/sidekiq.pid`, not read here as only reading it (lib/tasks/status.rake:13)"]);
    // Signals and service managers stay control.
    expect(processControlOf(ctx, cmd("kill -0 $(cat tmp/pids/sidekiq.pid) || kill -9 1"))?.what.join()).toMatch(/runs `kill -9 1`/);
    expect(processControlOf(ctx, cmd("sudo systemctl restart sidekiq"))).not.toBeNull();
    expect(processControlOf(ctx, cmd("service sidekiq start"))?.processes).toEqual(["sidekiq"]);
  });

  it("follows constants three steps (rake → Ops::Restarter → Fleet → WorkerLauncher), each file once", () => {
    const ctx = { repo: memoryRepo({ ...FILES, ...STATUS }), problem: () => {} };
    const bounce = processControlOf(ctx, rake("status:bounce"));
    expect(bounce?.what).toContain("signals a process by its pid (`Process.kill`) (lib/worker_launcher.rb:3)");
    expect(bounce?.processes).toEqual(["sidekiq"]);
    // Two files that call each other: read once each, no endless walk.
    expect(processControlOf(ctx, rake("status:loop"))).toBeNull();
  });
});
