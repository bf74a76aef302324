// capistrano-sidekiq's `sidekiq_processes` set to something the analysis cannot read (an ENV value
// of the deploy machine): that stage's processes per server are not taken as 1 unsaid, they are
// asked (a gap per stage), with or without sidekiq_options_per_process splitting the workers. The
// app is written here: "parcel", hosts under tally.example.net.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { workerProcessesAnswer } from "../../emitters/kustomize/rules/workers.js";
import { pluginApp } from "./app.js";

const PRODUCTION = 'server "jobs1.tally.example.net", roles: %w[app db web]\nset :rails_env, "production"\nset :sidekiq_processes, 2\n';
const STAGING = 'server "stage1.tally.example.net", roles: %w[app db web]\nset :rails_env, "staging"\nset :sidekiq_processes, ENV.fetch("SIDEKIQ_PROCESSES")\n';
const app = (production: string) =>
  pluginApp("", { production, staging: STAGING }, { "config/sidekiq.yml": ":concurrency: 5\n" }, { sidekiq: "6.4.1", "capistrano-sidekiq": "1.0.3" }, 'require "capistrano/sidekiq"\n');

describe("an unreadable sidekiq_processes", () => {
  for (const [label, production] of [
    ["one Sidekiq worker", PRODUCTION],
    ["workers split by sidekiq_options_per_process", `${PRODUCTION}set :sidekiq_options_per_process, ["--queue mail", "--queue reports"]\n`],
  ] as const)
    it(`${label}: staging's count is asked, production's is read`, async () => {
      const m = await analyzeFiles(app(production), "parcel");
      const w = m.workers!.find((x) => x.backend === "sidekiq" && x.name === "worker")!;
      expect(w.perStage!["staging"]).toMatchObject({ processes: 1, unknown: "sidekiq_processes is not a whole number the analysis can read", source: { file: "config/deploy/staging.rb", line: 3 } });
      expect(w.perStage!["production"]!.unknown).toBeUndefined();
      expect(m.gaps.map((g) => g.id)).toContain(workerProcessesAnswer("staging", "worker"));
      expect(m.gaps.map((g) => g.id)).not.toContain(workerProcessesAnswer("production", "worker"));
    });
});
