// A `/…/` in a cron command is a path only where its program reads a file there: grep's pattern, a
// sed script, an awk program, find's `-name` glob and a runner's `/regex/` literal name none, so their
// CronJobs run; a find starting point, a runner's "/data/…" string or a redirect target outside the
// app do, so theirs are written suspended. Each job's line is the real `whenever -f`'s.
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
import { serverPathArgument, serverLayoutPath, serverOnlyProgram } from "../../emitters/kustomize/rules/cron-server-only.js";
import { absolutePathWords, rubyStringPaths } from "../../emitters/kustomize/cron-words.js";

beforeAll(async () => {
  await initPrism();
  requireKubectl();
});

// Test-only schedule: log sweeps and imports of a small shop, written for this test.
const SCHEDULE = `every 1.day, at: '1am' do
  command "grep -c '/basket/' log/production.log"
end
every 1.day, at: '2am' do
  runner 'PageHit.where(url: /\\A\\/staff\\//).delete_all'
end
every 1.day, at: '3am' do
  runner 'FeedImport.pull("/srv-feeds/inbox")'
end
every 1.day, at: '4am' do
  command "find /mnt/exports -name '*.csv' -mtime +7 -delete"
end
every 1.day, at: '5am' do
  command "awk '/FATAL/ {n++} END {print n}' log/production.log"
end
every 1.day, at: '6am' do
  command "sed -i 's/\\\\/v1\\\\//\\\\/v2\\\\//' tmp/routes.txt"
end
every 1.day, at: '7am' do
  command "grep -h '/var/www/' log/access.log > tmp/www-hits.txt"
end
every 1.day, at: '8am' do
  command "grep -v '/health/' log/access.log > /backups/access.txt"
end
`;

const RELEASE = "/var/www/shop/releases/3";

function built() {
  const m = shopModel();
  m.cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": SCHEDULE, Gemfile: "", "bin/rails": "" }), problem: () => {} })!;
  const { result, stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
  const crons = all(stages["production"]!, "CronJob").map((c) => ({
    schedule: c["spec"].schedule as string,
    suspend: c["spec"].suspend === true,
    command: c["spec"].jobTemplate.spec.template.spec.containers[0].args[2] as string,
  }));
  return { cron: m.cron, crons, notes: result.notes.map((n) => n.message) };
}

describe("a path or a pattern in a cron command", () => {
  it("each whenever line is one CronJob; only real paths outside the app suspend it", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-path-pattern-"));
    writeFileSync(join(dir, "schedule.rb"), SCHEDULE);
    const real = runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, `environment=production&path=${RELEASE}`);
    expect(real.lines).toHaveLength(8);
    const { cron, crons, notes } = built();
    // The analysis reads each line as whenever wrote it (the release being where it ran).
    const text = (v: unknown): string => (typeof v === "string" ? v : (v as { interp: unknown[] }).interp.map((p) => (typeof p === "string" ? p : RELEASE)).join(""));
    expect(cron.jobs.flatMap((j) => j.schedules.map((s) => `${s} ${text(j.command)}`))).toEqual(real.lines.map((l) => `${l.schedule} ${l.command}`));
    expect(crons.map((c) => c.schedule).sort()).toEqual(real.lines.map((l) => l.schedule).sort());
    const at = (hour: number) => crons.find((c) => c.schedule === `0 ${hour} * * *`)!;
    // patterns, scripts, globs, a regex literal: the job runs
    for (const hour of [1, 2, 5, 6, 7]) expect(at(hour).suspend, at(hour).command).toBe(false);
    expect(at(1).command).toBe("grep -c '/basket/' log/production.log");
    // a find starting point, a runner's file string, a redirect target: the servers' files
    for (const hour of [3, 4, 8]) expect(at(hour).suspend, at(hour).command).toBe(true);
    const named = notes.filter((n) => n.includes("outside the release")).map((n) => /names (\S+),/.exec(n)![1]).sort();
    expect(named).toEqual(["/backups/access.txt", "/mnt/exports", "/srv-feeds/inbox"]);
    // no note calls a pattern a program of the servers
    expect(notes.filter((n) => /a program installed on the servers/.test(n))).toEqual([]);
  });

  it("reads shell quotes and each program's grammar", () => {
    expect(absolutePathWords(`grep -e '/a/' -f /etc/app/patterns log/x`)).toEqual(["/etc/app/patterns"]);
    expect(absolutePathWords(`sed -n '/start/,/end/p' /data/in.txt`)).toEqual(["/data/in.txt"]);
    expect(absolutePathWords(`find /data/x -path '/data/x/tmp/*' -prune`)).toEqual(["/data/x"]);
    expect(absolutePathWords(`echo "/not/a/file" 2>&1 >> /data/log`)).toEqual(["/data/log"]);
    expect(absolutePathWords(`DUMP_DIR=/data/dumps bundle exec rake db:dump`)).toEqual(["/data/dumps"]);
    expect(rubyStringPaths(`Hit.where(path: /\\/x\\//).each { |h| File.write('/data/h', h.id / 2) }`)).toEqual(["/data/h"]);
    expect(rubyStringPaths(`x.split /,/`)).toEqual([]);
    expect(rubyStringPaths(`X.match(%r{/a/b})`)).toEqual([]);
    expect(serverPathArgument(`grep '/srv/app/' log/a`)).toBeNull();
    expect(serverLayoutPath(`grep -h '/var/www/' log/a`)).toBeNull();
    expect(serverLayoutPath(`tar czf /var/www/shop/shared/x.tgz public`)).toBe("/var/www/shop/shared/x.tgz");
    expect(serverOnlyProgram(`grep '/api/' log/a | wc -l`)).toBeNull();
    expect(serverOnlyProgram(`flock -n /tmp/x.lock /opt/backup/run.sh`)).toBe("/opt/backup/run.sh");
  });
});
