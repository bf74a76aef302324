// A cron command whose program exists only on the servers (installed under /usr/local, /opt or a
// home directory, or a service manager the image has none of) is written suspend: true with the
// reason; the wrappers around a program (`env X=1`, `nice -n 10`, `timeout 60`) do not hide it.
// The servers' path to a Ruby tool (`~/.rbenv/shims/bundle`) is the image's own tool: kept running.
// The commands are the lines the real `whenever -f` wrote; the CronJobs are `kubectl kustomize`d.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron } from "../../analyzers/whenever.js";
import { memoryRepo } from "../../src/repo.js";
import { runWhenever } from "./crontab.js";
import { shopModel } from "../kustomize/models.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { requireKubectl } from "../kustomize/kubectl.js";
import { serverAdminCommand, serverOnlyProgram } from "../../emitters/kustomize/rules/cron-server-only.js";

beforeAll(async () => {
  await initPrism();
  requireKubectl();
});

const SCHEDULE = `every 1.hour do
  command "/usr/local/rbenv/shims/archiver run --profile nightly"
end
every 2.hours do
  command "/usr/bin/env ARCHIVE_DIR=tmp /opt/archiver/bin/push"
end
every 3.hours do
  command "nice -n 10 /home/deploy/bin/thumbnails"
end
every 4.hours do
  command "sudo service memcached restart"
end
every 5.hours do
  command "systemctl --user restart queue-drain"
end
every 6.hours do
  command "/home/deploy/.rbenv/shims/bundle exec rake stock:recount"
end
every 7.hours do
  command "/usr/bin/env bundle exec bin/rails runner 'Stock.audit!'"
end
every 8.hours do
  command "/bin/sh -c 'bin/rails runner Stock.sweep'"
end
every 9.hours do
  rake "stock:expire"
end
`;

describe("a program only the servers had", () => {
  it("suspends each such CronJob with the program named, and leaves the image's commands running", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-server-programs-"));
    writeFileSync(join(dir, "schedule.rb"), SCHEDULE);
    const real = runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=production");
    const cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": SCHEDULE, Gemfile: "", "bin/rails": "" }), problem: () => {} })!;
    // The analysis read the lines whenever wrote (the rake line's release path is the one it ran in).
    expect(real.lines.length).toBe(9);
    expect(cron.jobs.slice(0, 8).map((j) => j.command)).toEqual(real.lines.slice(0, 8).map((l) => l.command));
    const m = shopModel();
    m.cron = cron;
    const { result, stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    const jobs = all(stages["production"]!, "CronJob").map((c) => ({
      schedule: c["spec"].schedule as string,
      suspend: c["spec"].suspend === true,
      command: c["spec"].jobTemplate.spec.template.spec.containers[0].args[2] as string,
    }));
    const job = (word: string) => jobs.find((j) => j.command.includes(word))!;
    for (const w of ["archiver run", "archiver/bin/push", "thumbnails", "memcached", "queue-drain"]) expect(job(w).suspend, w).toBe(true);
    for (const w of ["stock:recount", "Stock.audit!", "Stock.sweep", "stock:expire"]) expect(job(w).suspend, w).toBe(false);
    expect(jobs.length).toBe(9);
    expect(job("stock:recount").command).toBe("bundle exec rake stock:recount");
    const said = (program: string) => result.notes.some((n) => n.message.includes(`it runs ${program}, a program installed on the servers`));
    for (const p of ["/usr/local/rbenv/shims/archiver", "/opt/archiver/bin/push", "/home/deploy/bin/thumbnails"]) expect(said(p), p).toBe(true);
    // A restart through the servers' init system is not a program to bring into the image: its own reason.
    const admin = (piece: string) => result.notes.some((n) => n.message.includes(`not to be resumed: it administers the servers (${JSON.stringify(piece)})`));
    for (const p of ["sudo service memcached restart", "systemctl --user restart queue-drain"]) expect(admin(p), p).toBe(true);
    expect(result.notes.some((n) => /it runs (sudo|systemctl), a program installed on the servers/.test(n.message))).toBe(false);
  });

  it("finds the program past wrappers, never in the system's or the app's own commands", () => {
    expect(serverOnlyProgram("timeout 600 /opt/sync/run --all")).toBe("/opt/sync/run");
    expect(serverOnlyProgram("RAILS_ENV=production nohup /srv/tools/x")).toBe("/srv/tools/x");
    expect(serverOnlyProgram("bin/rails runner X && /usr/local/bin/notify done")).toBe("/usr/local/bin/notify");
    expect(serverOnlyProgram("timeout -s KILL 60 /opt/backup/run.sh")).toBe("/opt/backup/run.sh");
    expect(serverOnlyProgram("timeout --signal=KILL -k 5 60 /opt/backup/run.sh")).toBe("/opt/backup/run.sh");
    expect(serverOnlyProgram("flock -n /tmp/x.lock /opt/backup/run.sh")).toBe("/opt/backup/run.sh");
    expect(serverOnlyProgram("flock -n /tmp/x.lock bin/rails runner X > /var/log/x.log 2>&1")).toBeNull();
    for (const ok of ["/bin/sh -c 'x'", "/usr/bin/env ruby script/a.rb", "bundle exec rake a", "bin/rails runner X", "/rails/bin/rails runner X", "/usr/local/bin/bundle exec rake a", "ls tmp | xargs rm"])
      expect(serverOnlyProgram(ok), ok).toBeNull();
  });
});

// Modelled on a pattern seen in the wild: a restart through sudo, given a role of one server each.
const ROLES_SCHEDULE = `job_type :bounce, "sudo service nginx restart :output"
every :day, at: "12:05am", roles: [:web] do
  bounce "na"
end
every :day, at: "12:15am", roles: [:edge_box] do
  bounce "na"
end
`;

describe("a server-only job whose roles are on no server of a stage", () => {
  it("the stage's overlay states the role reason on the CronJob; MIGRATION's note gives the base's reason (it administers the servers)", () => {
    const cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": ROLES_SCHEDULE, Gemfile: "" }), problem: () => {} })!;
    const m = shopModel();
    m.cron = cron;
    const { result, stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    const jobs = (stage: string) => all(stages[stage]!, "CronJob").map((c) => ({ schedule: c["spec"].schedule, suspend: c["spec"].suspend === true, why: c["metadata"].annotations?.["rails2k8s.dev/not-run-on-stage"] as string | undefined }));
    // web: production and staging have web servers; the job needs sudo: suspended by the base, with no stage reason.
    expect(jobs("production")[0]).toEqual({ schedule: "5 0 * * *", suspend: true, why: undefined });
    // edge_box: on no server of either stage: each overlay says so on the object.
    for (const st of ["production", "staging"]) expect(jobs(st)[1]).toEqual({ schedule: "15 0 * * *", suspend: true, why: expect.stringMatching(/no server had its roles \(edge_box\)/) });
    const notes = result.notes.map((n) => n.message);
    expect(notes.some((n) => /"na" is written suspended, not to be resumed: it administers the servers \("sudo service nginx restart"\)/.test(n))).toBe(true);
    // The stage reason is the overlay's (its annotation); the base's note is the admin one, once per job.
  });
});

// Modelled on a pattern seen in the wild: a nightly worker restart through sudo and systemd, on the web role.
const ADMIN_SCHEDULE = `every 1.day, at: "4:30 am", roles: [:web] do
  command "sudo systemctl restart sidekiq"
end
every :sunday, at: "3am" do
  command "/etc/init.d/memcached restart > /dev/null"
end
every 1.day, at: "2am" do
  command "RAILS_ENV=production nohup monit restart all"
end
every 1.week do
  command "cd /tmp && /sbin/reboot"
end
every 1.day, at: "1am" do
  runner "ServiceRestart.restart_stale!"
end
every 1.day, at: "5am" do
  rake "service:restart_reminders"
end
`;

describe("a cron job that administered the servers", () => {
  it("is written suspended with the reason, one CronJob per job still; the app's own jobs named like it keep running", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-server-admin-"));
    writeFileSync(join(dir, "schedule.rb"), ADMIN_SCHEDULE);
    const real = runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=production");
    const cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": ADMIN_SCHEDULE, Gemfile: "", "bin/rails": "" }), problem: () => {} })!;
    expect(real.lines.length).toBe(6);
    const m = shopModel();
    m.cron = cron;
    const { result, stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    const jobs = all(stages["production"]!, "CronJob").map((c) => ({ suspend: c["spec"].suspend === true, command: c["spec"].jobTemplate.spec.template.spec.containers[0].args[2] as string }));
    expect(jobs.length).toBe(6);
    const job = (word: string) => jobs.find((j) => j.command.includes(word))!;
    for (const w of ["systemctl restart sidekiq", "/etc/init.d/memcached", "monit restart all", "reboot"]) expect(job(w).suspend, w).toBe(true);
    for (const w of ["ServiceRestart", "service:restart_reminders"]) expect(job(w).suspend, w).toBe(false);
    const notes = result.notes.map((n) => n.message);
    for (const piece of ["sudo systemctl restart sidekiq", "/etc/init.d/memcached restart", "monit restart all", "/sbin/reboot"])
      expect(notes.some((n) => n.includes(`not to be resumed: it administers the servers (${JSON.stringify(piece).slice(0, -1)}`)), piece).toBe(true);
    // Not told to bring the program into the image, nor to resume it.
    expect(notes.some((n) => /(sudo|systemctl|monit|reboot|init\.d).*then remove suspend: true/.test(n))).toBe(false);
  });

  it("reads the first program of each piece of the line", () => {
    expect(serverAdminCommand("bin/rails runner X && sudo service nginx reload")).toBe("sudo service nginx reload");
    expect(serverAdminCommand("/usr/bin/env FOO=1 systemctl restart puma")).toBe("systemctl restart puma");
    for (const ok of ["bin/rails runner 'Service.restart'", "bundle exec rake service:restart", "echo systemctl", "ls /etc/init.d"]) expect(serverAdminCommand(ok), ok).toBeNull();
  });
});
