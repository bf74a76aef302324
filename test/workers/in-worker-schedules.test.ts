// Schedules that run inside a backend's own processes (sidekiq-cron's YAML loaded by an initializer,
// Solid Queue's config/recurring.yml) are cron jobs too: named on the worker that carries them and
// in MIGRATION.md; where no worker of the backend is carried, a warning says they no longer run.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { pluginApp } from "./app.js";
import { renderReport } from "../../src/report.js";

const CRON_YAML = `# minute hour dom month dow
nightly_digest:
  cron: "15 3 * * *"
  class: "DigestJob"
  queue: mailers
stale_carts:
  cron: "*/20 * * * *"
  class: "StaleCartSweepJob"
`;
const INIT = `Sidekiq.configure_server do |config|
  file = Rails.root.join("config", "cron_jobs.yml")
  Sidekiq::Cron::Job.load_from_hash!(YAML.load_file(file)) if File.exist?(file)
end
`;

describe("sidekiq-cron", () => {
  it("the carried Sidekiq worker names the schedule's jobs, and MIGRATION.md says they run with it", async () => {
    const m = await analyzeFiles(
      pluginApp("", { production: 'server "a.parcel.example.org", roles: %w[web app db]\n' }, { "config/sidekiq.yml": ":concurrency: 5\n:queues:\n  - default\n  - mailers\n", "config/cron_jobs.yml": CRON_YAML, "config/initializers/sidekiq.rb": INIT }, { sidekiq: "6.5.12", "sidekiq-cron": "1.12.0", "capistrano-sidekiq": "2.3.1" }, 'require "capistrano/sidekiq"\n'),
      "parcel",
    );
    const w = m.workers!.find((x) => x.backend === "sidekiq")!;
    expect(w.evidence.map((e) => e.value)).toContain("2 scheduled jobs of config/cron_jobs.yml (sidekiq-cron) run inside this worker");
    const answers = defaultAnswers(m, {});
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(md).toContain("It also runs 2 scheduled jobs of config/cron_jobs.yml (sidekiq-cron) (`config/initializers/sidekiq.rb:3`)");
  });

  it("a worker read from its own start line (a Procfile that decides): the report's Workers section still says the schedule, once", async () => {
    const m = await analyzeFiles(
      pluginApp("", { production: 'server "a.parcel.example.org", roles: %w[web app db]\n' }, { Procfile: "web: bundle exec puma\nworker: bundle exec sidekiq -q default -q mailers -c 4\n", "config/cron_jobs.yml": CRON_YAML, "config/initializers/sidekiq.rb": INIT }, { sidekiq: "6.5.12", "sidekiq-cron": "1.12.0" }, ""),
      "parcel",
    );
    const w = m.workers!.find((x) => x.backend === "sidekiq")!;
    expect(w.sidekiqOptions?.line).toEqual({ file: "Procfile", line: 2 });
    const report = renderReport(m, { color: false });
    const rows = report.split("\n").filter((l) => l.includes("2 scheduled jobs of config/cron_jobs.yml (sidekiq-cron) run inside this worker"));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain("config/initializers/sidekiq.rb:3");
  });

  it("no Sidekiq worker carried: a warning that the schedule's jobs no longer run", async () => {
    // sidekiq-cron without Sidekiq in the lockfile: no Sidekiq worker is made, so nothing carries the schedule.
    const m = await analyzeFiles(
      pluginApp("", { production: 'server "a.parcel.example.org", roles: %w[web app db]\n' }, { "config/cron_jobs.yml": CRON_YAML, "config/initializers/sidekiq.rb": INIT }, { "sidekiq-cron": "1.12.0" }, ""),
      "parcel",
    );
    expect(m.workers!.some((x) => x.backend === "sidekiq" && x.carried)).toBe(false);
    const warned = m.problems.filter((p) => /cron\.in-worker-schedule/.test(p.message));
    expect(warned.map((p) => `${p.file}:${p.line}`)).toEqual(["config/initializers/sidekiq.rb:3"]);
    expect(warned[0]!.message).toContain("config/cron_jobs.yml holds 2 scheduled jobs");
  });
});

describe("Solid Queue recurring.yml", () => {
  it("the production section's tasks are named on the worker", async () => {
    const m = await analyzeFiles(
      pluginApp(
        'after "deploy:published", "solid_queue:restart"\n',
        { production: 'server "a.parcel.example.org", roles: %w[web app db]\n' },
        { "config/recurring.yml": "production:\n  purge:\n    command: \"Cart.abandoned.delete_all\"\n    schedule: every hour\n  report:\n    class: ReportJob\n    schedule: at 5am every day\n  ping:\n    class: PingJob\n    schedule: every 5 minutes\n", "bin/jobs": "#!/usr/bin/env ruby\n", "lib/capistrano/tasks/solid_queue.rake": 'namespace :solid_queue do\n  task :restart do\n    on roles(:app) { execute :sudo, :systemctl, :restart, "parcel-jobs" }\n  end\nend\n' },
        { solid_queue: "1.1.0" },
        "",
      ),
      "parcel",
    );
    const w = m.workers!.find((x) => x.backend === "solid-queue")!;
    expect(w.carried || !!w.inWeb).toBe(true);
    expect(w.evidence.map((e) => e.value)).toContain("3 scheduled jobs of config/recurring.yml (solid_queue) run inside this worker");
  });
});
