// Oracle: the real `whenever` (Debian's ruby-whenever) writes the crontab of a schedule.rb; the
// CronJobs emitted from those lines must carry the same expressions (quirks included: every
// 45.minutes is hourly at :45) and the same commands, minus the release path and the log redirect.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { CronJob } from "../../src/model.js";
import { requireKubectl, removeTrees } from "./kubectl.js";
import { emitAndBuild, all } from "./built.js";
import { shopModel } from "./models.js";

beforeAll(() => {
  requireKubectl();
});
afterAll(removeTrees);

const SCHEDULE = `set :output, "log/cron.log"
every 1.day, at: "3:30 am" do
  rake "reports:daily"
end
every 15.minutes do
  runner "Order.expire_stale!"
end
every :monday, at: ["4:30 am", "6:00 pm"] do
  command "bin/rotate-exports"
end
every 45.minutes do
  rake "cache:warm"
end
`;

function wheneverLines(): { schedule: string; command: string }[] {
  const dir = mkdtempSync(join(tmpdir(), "rails2k8s-whenever-"));
  mkdirSync(join(dir, "config"));
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "config/schedule.rb"), SCHEDULE);
  writeFileSync(join(dir, "Gemfile"), 'source "https://rubygems.org"\n');
  writeFileSync(join(dir, "bin/rails"), "#!/usr/bin/env ruby\n");
  // whenever decides `bundle exec` and `bin/rails runner` from the directory it runs in.
  const text = execFileSync("whenever", ["-f", "config/schedule.rb", "--set", "environment=production"], { encoding: "utf8", cwd: dir });
  rmSync(dir, { recursive: true, force: true });
  return text
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => {
      const m = /^(@\w+|(?:\S+\s+){4}\S+)\s+(.*)$/.exec(l)!;
      return { schedule: m[1]!, command: m[2]! };
    });
}

it("CronJobs match the crontab whenever writes", () => {
  const lines = wheneverLines();
  expect(lines.length).toBe(5);
  // One job per distinct command, as the whenever analyzer groups them.
  const jobs: CronJob[] = [];
  for (const l of lines) {
    const task = /rake (\S+)/.exec(l.command)?.[1] ?? /'\\''([^']+)'\\''/.exec(l.command)?.[1] ?? "bin/rotate-exports";
    const type = /rake/.test(l.command) ? "rake" : /runner/.test(l.command) ? "runner" : "command";
    const existing = jobs.find((j) => j.command === l.command);
    if (existing) existing.schedules.push(l.schedule);
    else jobs.push({ schedules: [l.schedule], type, task, command: l.command, roles: ["db"], source: { file: "config/schedule.rb", line: jobs.length + 1 } });
  }
  const m = shopModel();
  m.cron = { file: "config/schedule.rb", settings: {}, jobs };
  const { stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
  const crons = all(stages["production"]!, "CronJob");
  expect(crons.length).toBe(lines.length);
  const got = crons.map((c) => ({ schedule: c["spec"].schedule, command: c["spec"].jobTemplate.spec.template.spec.containers[0].args[2], tz: c["spec"].timeZone }));
  expect(got.map((g) => g.schedule).sort()).toEqual(lines.map((l) => l.schedule).sort());
  expect(got.find((g) => g.schedule === "30 3 * * *")!.command).toBe("bundle exec rake reports:daily --silent");
  expect(got.find((g) => g.schedule === "45 * * * *")!.command).toBe("bundle exec rake cache:warm --silent");
  expect(got.find((g) => g.schedule === "0,15,30,45 * * * *")!.command).toBe(`bundle exec bin/rails runner -e "$RAILS_ENV" 'Order.expire_stale!'`);
  expect(got.filter((g) => g.command === "bin/rotate-exports").map((g) => g.schedule).sort()).toEqual(["0 18 * * 1", "30 4 * * 1"]);
  expect(new Set(got.map((g) => g.tz))).toEqual(new Set(["Etc/UTC"]));
  // every command ran from the release dir: none keeps the server path or the log redirect
  for (const g of got) expect(g.command).not.toMatch(/cd |rails2k8s-whenever|>>|2>&1|RAILS_ENV=production/);
});
