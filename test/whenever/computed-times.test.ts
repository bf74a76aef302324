// Times a schedule computes (`Time.parse("4:30 am") - 2.hours`, its `strftime`, a Time given to
// `at:`) and a Hash walked with `each do |name, time|` (or `|pair|`): each job gets the line the
// real `whenever -f` writes, one CronJob per line; a Time read for its date stays a gap, never a guess.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron, readCrontab } from "../../analyzers/whenever.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";
import { runWhenever } from "./crontab.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "computed_times_schedule.rb");
const SET = { environment: "production", path: "/srv/ledger/current" };

beforeAll(async () => {
  await initPrism();
});

function analyzed() {
  const problems: Problem[] = [];
  const ctx = { repo: memoryRepo({ "config/schedule.rb": readFileSync(FILE, "utf8"), Gemfile: "", "bin/rails": "" }), problem: (p: Problem) => problems.push(p) };
  return { crontab: readCrontab(ctx, { set: SET })!, cron: analyzeCron(ctx, { set: SET })!, problems };
}

describe("computed times and a Hash of jobs vs `whenever -f`", () => {
  it("every line whenever writes, in its order, and one job per call", () => {
    const real = runWhenever(FILE, { gemfile: true, binRails: true }, "environment=production&path=/srv/ledger/current");
    const { crontab, cron, problems } = analyzed();
    // the date-reading `strftime('%d …')` job: whenever writes a line for it, the analysis cannot know which
    const dated = real.lines.find((l) => l.command.includes("ledger:dated"))!;
    expect(dated).toBeDefined();
    const known = real.lines.filter((l) => l !== dated);
    expect(known.length).toBe(10);
    expect(crontab.lines.map((l) => `${l.schedule} ${l.command}`)).toEqual(known.map((l) => `${l.schedule} ${l.command}`));
    // one CronJob per job call: 5 ledger jobs, 3 reports, 3 digests; the dated one a gap, not dropped
    expect(cron.jobs).toHaveLength(11);
    const datedJob = cron.jobs.find((j) => j.task === "ledger:dated")!;
    expect(datedJob.schedules).toEqual([]);
    expect(problems.some((p) => p.line === 20 && /`at:` not known statically/.test(p.message))).toBe(true);
    // the clock arithmetic is said at its lines
    expect([...new Set(problems.filter((p) => p.message.startsWith("cron.at-clock-arithmetic")).map((p) => p.line))]).toEqual([4, 5, 6, 17]);
  });
});

describe("a row a loop's undecided `next` may skip", () => {
  // Test-only: the row runs only where the servers set PAGER_ON; when it runs, its options are the row's.
  const SCHEDULE = `ROWS = [{ task: 'pager:ping', every: 1.day, at: '4:30 am', on: ENV['PAGER_ON'] == 'yes' }]
ROWS.each do |row|
  next unless row[:on]
  opts = {}
  opts[:at] = row[:at]
  every row[:every], opts do
    rake row[:task]
  end
end
`;
  it("keeps the row's own time (the pass goes on only where it ran), and stays undecided", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-next-row-"));
    writeFileSync(join(dir, "schedule.rb"), SCHEDULE);
    const real = runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=production", { env: { PAGER_ON: "yes" } });
    expect(runWhenever(join(dir, "schedule.rb"), { gemfile: true, binRails: true }, "environment=production").lines).toEqual([]);
    const problems: Problem[] = [];
    const cron = analyzeCron({ repo: memoryRepo({ "config/schedule.rb": SCHEDULE, Gemfile: "", "bin/rails": "" }), problem: (p) => problems.push(p) }, { set: { environment: "production" } })!;
    expect(cron.jobs).toHaveLength(1);
    expect(cron.jobs[0]!.schedules).toEqual(real.lines.map((l) => l.schedule));
    expect(cron.jobs[0]!.schedules).toEqual(["30 4 * * *"]);
    expect(cron.jobs[0]!.condition?.text).toMatch(/PAGER_ON|row\[:on\]/);
  });
});
