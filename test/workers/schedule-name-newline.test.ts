// A scheduled job's name is the YAML key the app chose, and YAML lets a key hold a line break. The
// worker's "N scheduled jobs … run inside this worker" sentence must still reach MIGRATION.md and the
// report, the break in the name escaped by the encoder of each (it may not start a Markdown block).
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { pluginApp } from "./app.js";
import { renderReport } from "../../src/report.js";

const SCHEDULE = `"weekly\\n# Rollup":\n  cron: "0 4 * * 1"\n  class: "RollupJob"\nsweep:\n  every: "30m"\n  class: "SweepJob"\n`;

describe("a scheduled job named with a line break", () => {
  it("keeps the worker's schedule sentence, the break escaped", async () => {
    const m = await analyzeFiles(
      pluginApp("", { production: 'server "a.parcel.example.org", roles: %w[web app db]\n' }, { Procfile: "web: bundle exec unicorn\nclock: bundle exec rake resque:scheduler\n", "config/resque_schedule.yml": SCHEDULE, "config/initializers/resque.rb": 'require "resque-scheduler"\nResque.schedule = YAML.load_file(Rails.root.join("config/resque_schedule.yml"))\n' }, { resque: "2.6.0", "resque-scheduler": "4.10.2" }, ""),
      "parcel",
    );
    const w = m.workers!.find((x) => x.backend === "resque-scheduler")!;
    const said = w.evidence.find((e) => /scheduled jobs of config\/resque_schedule\.yml/.test(e.value))!;
    expect(said.value).toContain("weekly\n# Rollup");
    const answers = defaultAnswers(m, {});
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    const line = md.split("\n").find((l) => l.includes("It also runs 2 scheduled jobs of config/resque_schedule.yml"));
    expect(line).toBeDefined();
    expect(line).toContain("weekly\\u000a# Rollup");
    expect(md).not.toMatch(/^# Rollup/m);
    const report = renderReport(m, { color: false });
    expect(report.split("\n").some((l) => l.includes("2 scheduled jobs of config/resque_schedule.yml") && l.includes("config/initializers/resque.rb:2"))).toBe(true);
  });
});
