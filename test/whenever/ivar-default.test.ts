// `@x ||= value` in a schedule: whenever's `--set` (and setup.rb's `set`) assign @x before the
// schedule runs, so the default applies only to variables the deploy did not set. Checked against
// the real `whenever -f FILE --set ...`, line by line, for both branches of a word-list test.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCron, readCrontab } from "../../analyzers/whenever.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";
import { runWhenever } from "./crontab.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "ivar_default_schedule.rb");

beforeAll(async () => {
  await initPrism();
});

function analyzer(set: Record<string, string>) {
  const problems: Problem[] = [];
  const ctx = { repo: memoryRepo({ "config/schedule.rb": readFileSync(FILE, "utf8"), Gemfile: "", "bin/rails": "" }), problem: (p: Problem) => problems.push(p) };
  return { crontab: readCrontab(ctx, { set })!, problems };
}

const lines = (ls: { schedule: string; command: string }[]) => ls.map((l) => `${l.schedule} ${l.command}`);

describe("whenever: `@x ||= value` vs `whenever -f`", () => {
  const cases: [string, Record<string, string>, string, RegExp][] = [
    // @site not set: its default "north" is not in the list, the else branch runs
    ["default taken when --set leaves it out", { environment: "production", path: "/app" }, "environment=production&path=/app", /assets:check/],
    // whenever_variables setting site=south: --set wins over the default, the list branch runs
    ["--set value kept", { environment: "production", path: "/app", site: "south" }, "environment=production&path=/app&site=south", /mirror-assets --site south/],
  ];
  for (const [name, set, arg, mustHave] of cases) {
    it(name, () => {
      const want = lines(runWhenever(FILE, { gemfile: true, binRails: true }, arg).lines);
      expect(want.some((l) => mustHave.test(l))).toBe(true);
      const { crontab, problems } = analyzer(set);
      expect(problems).toEqual([]);
      expect(lines(crontab.lines)).toEqual(want);
    });
  }

  // setup.rb sets path (the release directory whenever runs in): `@path ||= "/srv/..."` keeps it
  it("@path ||= keeps setup.rb's path", () => {
    const { crontab, problems } = analyzer({ environment: "production" });
    expect(problems).toEqual([]);
    const rake = crontab.jobs.find((j) => j.type === "rake")!;
    expect(JSON.stringify(rake.command)).not.toMatch(/unknown|\/srv\/shop/);
    expect(JSON.stringify(rake.command)).toMatch(/release_path/);
  });
});

// A deploy that passes whenever variables of its own may set @site: the default is then not known
// to apply, so the word-list branches stay undecided (warned) instead of taking "north".
describe("whenever: `@x ||=` when the deploy passes its own variables", () => {
  function cron(extra: Record<string, string>) {
    const problems: Problem[] = [];
    const ctx = { repo: memoryRepo({ "config/schedule.rb": readFileSync(FILE, "utf8"), Gemfile: "", "bin/rails": "", ...extra }), problem: (p: Problem) => problems.push(p) };
    return { cron: analyzeCron(ctx)!, problems };
  }
  // the list branch's job (schedule line 11): its command holds @site, so it is known only by its line
  const mirrors = (c: ReturnType<typeof cron>) => c.cron.jobs.some((j) => j.source.line === 11);

  it("no variables of its own: the default applies, the list branch is dropped as whenever drops it", () => {
    const c = cron({ "config/deploy.rb": 'set :application, "shop"\n' });
    expect(mirrors(c)).toBe(false);
  });

  it("set :whenever_variables: @site is unknown, the branch is kept and warned, naming the deploy line", () => {
    const c = cron({ "config/deploy.rb": 'set :application, "shop"\nset :whenever_variables, -> { "environment=#{fetch :rails_env}&site=#{fetch :site}" }\n' });
    expect(mirrors(c)).toBe(true);
    expect(c.problems.some((p) => /not known statically/.test(p.message))).toBe(true);
    expect(JSON.stringify(c.cron.jobs.find((j) => j.source.line === 11)!.task)).toMatch(/config\/deploy\.rb:2/);
  });
});
