// A worker's systemd unit named through a deploy variable: `set :jobs_unit, "good_job.service"` then
// `execute :sudo, :systemctl, :restart, fetch(:jobs_unit)`. A variable every stage sets to one word
// is that unit: matched to the carried worker, not named as a process no Deployment runs. A unit
// name whose written parts name the backend (`good_job-#{fetch(:tenant)}.service`) is that worker's
// too; a static unit of something else is named by its own name.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";

beforeAll(async () => {
  await initPrism();
});

const TASKS = `namespace :good_job do
  task :restart do
    on roles(:app) do
      execute :sudo, :systemctl, :restart, fetch(:jobs_unit)
    end
  end
  task :tenants do
    on roles(:app) do
      execute :sudo, "systemctl restart good_job-#{fetch(:tenant)}.service"
    end
  end
end
namespace :relay do
  task :restart do
    on roles(:app) do
      execute :sudo, :systemctl, :restart, fetch(:relay_unit)
    end
  end
end
after "deploy:published", "good_job:restart"
after "deploy:published", "good_job:tenants"
after "deploy:published", "relay:restart"
`;

describe("a unit named through a deploy variable", () => {
  it("is the carried worker's when the variable is one word on every stage; another unit keeps its own name", async () => {
    const repo = pluginApp(
      `set :jobs_unit, "good_job.service"\nset :relay_unit, "mail-relay.service"\nset :tenant, ENV.fetch("TENANT")\n`,
      { production: 'server "a.parcel.example.org", roles: %w[app web db]\n', staging: 'server "s.parcel.example.org", roles: %w[app web db]\n' },
      { "lib/capistrano/tasks/jobs.rake": TASKS, Procfile: "worker: bundle exec good_job start\n" },
      { good_job: "3.29.0" },
      "",
    );
    const m = await analyzeFiles(repo, "parcel");
    expect(m.workers?.some((w) => w.backend === "good-job" && w.carried)).toBe(true);
    const uncarried = m.uncarried ?? [];
    expect(uncarried.filter((u) => /named through a variable/.test(u.why))).toEqual([]);
    expect(uncarried.map((u) => u.name)).toEqual(["mail-relay"]);
    expect(uncarried[0]!.source).toEqual({ file: "lib/capistrano/tasks/jobs.rake", line: 16 });
  });

  it("stays named through a variable where the stages set it differently", async () => {
    const repo = pluginApp(
      "",
      { production: 'server "a.parcel.example.org", roles: %w[app web db]\nset :relay_unit, "relay-a.service"\n', staging: 'server "s.parcel.example.org", roles: %w[app web db]\nset :relay_unit, "relay-b.service"\n' },
      { "lib/capistrano/tasks/jobs.rake": TASKS.replace(/namespace :good_job[\s\S]*?\nend\n/, ""), Procfile: "worker: bundle exec good_job start\n" },
      { good_job: "3.29.0" },
      "",
    );
    const m = await analyzeFiles(repo, "parcel");
    expect((m.uncarried ?? []).map((u) => u.why)).toEqual([expect.stringMatching(/named through a variable the analysis does not resolve/)]);
  });
});
