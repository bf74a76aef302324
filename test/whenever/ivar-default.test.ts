// `@x ||= value` in a schedule: whenever's `--set` (and setup.rb's `set`) assign @x before the
// schedule runs, so the default applies only to variables the deploy did not set. Checked against
// the real `whenever -f FILE --set ...`, line by line, for both branches of a word-list test.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { readCrontab } from "../../analyzers/whenever.js";
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
