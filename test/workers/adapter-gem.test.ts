// A backend the Gemfile asks for through its extension gem: `gem "delayed_job_active_record"` is
// how apps ask for delayed_job (the Gemfile never names delayed_job itself). Modelled on a deploy
// whose workers are systemd units kept outside the repo, restarted through a helper method on the
// :worker servers: the worker role is then the only sign that the servers ran the jobs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { memoryRepo } from "../../src/repo.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { emitAndBuild, find } from "../kustomize/built.js";

const LOCK = `GEM
  remote: https://rubygems.org/
  specs:
    delayed_job (4.1.11)
      activesupport (>= 3.0, < 8.0)
    delayed_job_active_record (4.1.8)
      activerecord (>= 3.0, < 8.0)
      delayed_job (>= 3.0, < 5)
    pg (1.5.6)
    puma (6.4.2)
    rails (7.1.3)

PLATFORMS
  ruby

DEPENDENCIES
  delayed_job_active_record
  pg
  puma
  rails

BUNDLED WITH
   2.5.10
`;

const files = (gemfileJobs: string) => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/puma"\n',
  "config/deploy.rb": [
    'set :application, "quarry"',
    'set :repo_url, "https://git.example.org/quarry.git"',
    "def bounce(unit)",
    '  execute "sudo systemctl restart #{unit}"',
    "end",
    "namespace :deploy do",
    "  task :bounce_units do",
    "    on roles(:worker) { bounce(\"quarry-jobs\") }",
    "  end",
    "  after :publishing, :bounce_units",
    "end",
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'server "a.quarry.example.org", roles: %w[web app db]\nserver "b.quarry.example.org", roles: %w[worker]\nserver "c.quarry.example.org", roles: %w[worker]\n',
  Gemfile: `source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "pg"\n${gemfileJobs}`,
  "Gemfile.lock": LOCK,
  "config/puma.rb": "threads 5, 5\n",
  "config/initializers/jobs.rb": "ActiveJob::Base.queue_adapter = :delayed_job\n",
});

let m: AppModel;
beforeAll(async () => {
  requireKubectl();
  m = await analyzeFiles(memoryRepo(files('gem "delayed_job_active_record"\n')), "quarry");
});
afterAll(removeTrees);

describe("delayed_job asked for through delayed_job_active_record", () => {
  it("the worker role starts it: a carried worker, not a dropped one", () => {
    const w = m.workers!.find((x) => x.backend === "delayed-job");
    expect(w).toBeDefined();
    expect(w!.carried).toBe(true);
    expect(w!.args).toEqual(["bundle", "exec", "rake", "jobs:work"]);
    expect(w!.evidence.map((e) => e.value)).toContain("production: b.quarry.example.org has the worker role");
  });

  it("a Deployment with one replica per worker server", () => {
    const { stages } = emitAndBuild(m);
    expect(find(stages["production"]!, "Deployment", "-worker-delayed-job").spec.replicas).toBe(2);
  });

  it("without the gem in the Gemfile (only pulled in by another), a generic role alone still starts nothing", async () => {
    const other = await analyzeFiles(memoryRepo({ ...files('gem "some_engine"\n') }), "quarry");
    expect(other.workers!.find((x) => x.backend === "delayed-job" && x.carried)).toBeUndefined();
  });

  it("the adapter the environment runs is another backend's: the worker role is that one's, delayed_job is named, not carried", async () => {
    const { "config/initializers/jobs.rb": _dropped, ...rest } = files('gem "delayed_job_active_record"\ngem "sidekiq"\n');
    const repo = {
      ...rest,
      "Gemfile.lock": LOCK.replace("    pg (1.5.6)\n", "    pg (1.5.6)\n    sidekiq (7.2.4)\n").replace("  pg\n", "  pg\n  sidekiq\n"),
      "config/application.rb": "module Quarry\n  class Application < Rails::Application\n    config.active_job.queue_adapter = :delayed_job\n  end\nend\n",
      "config/environments/production.rb": "Rails.application.configure do\n  config.eager_load = true\n  config.active_job.queue_adapter = :sidekiq # jobs go to Redis\nend\n",
    };
    const other = await analyzeFiles(memoryRepo(repo), "quarry");
    const w = other.workers!.find((x) => x.backend === "delayed-job");
    expect(w?.carried).toBe(false);
    expect(w?.notStarted).toBe(true);
    expect(w?.why).toMatch(/the worker role of stage production is no sign of it: the app's Active Job adapter there is another backend \(:sidekiq at config\/environments\/production\.rb:3\)/);
    const { stages } = emitAndBuild(other);
    expect(stages["production"]!.some((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-worker-delayed-job"))).toBe(false);
  });

  it("the adapter differs per stage: the stage whose adapter is another backend's runs no delayed_job (0 replicas, said why); the other keeps one per worker server", async () => {
    const { "config/initializers/jobs.rb": _dropped, ...rest } = files('gem "delayed_job_active_record"\ngem "sidekiq"\n');
    const repo = {
      ...rest,
      "Gemfile.lock": LOCK.replace("    pg (1.5.6)\n", "    pg (1.5.6)\n    sidekiq (7.2.4)\n").replace("  pg\n", "  pg\n  sidekiq\n"),
      "config/deploy/staging.rb": 'server "s1.quarry.example.org", roles: %w[web app db]\nserver "s2.quarry.example.org", roles: %w[worker]\nset :rails_env, "staging"\n',
      "config/application.rb": "module Quarry\n  class Application < Rails::Application\n    config.active_job.queue_adapter = :delayed_job\n  end\nend\n",
      // Staging tried Sidekiq: its jobs went to Redis, and its worker box ran Sidekiq, not delayed_job.
      "config/environments/staging.rb": "Rails.application.configure do\n  config.eager_load = true\n  config.active_job.queue_adapter = :sidekiq\nend\n",
    };
    const m2 = await analyzeFiles(memoryRepo(repo), "quarry");
    const w = m2.workers!.find((x) => x.backend === "delayed-job");
    expect(w?.carried).toBe(true);
    expect(w?.perStage?.["staging"]).toMatchObject({ processes: 0, source: { file: "config/environments/staging.rb", line: 3 } });
    expect(w?.perStage?.["staging"]?.why).toMatch(/stage staging's Active Job adapter is :sidekiq \(config\/environments\/staging\.rb:3\), another backend/);
    expect(w?.perStage?.["production"]?.processes).toBe(1);
    const { stages } = emitAndBuild(m2);
    expect(find(stages["production"]!, "Deployment", "-worker-delayed-job").spec.replicas).toBe(2);
    expect(find(stages["staging"]!, "Deployment", "-worker-delayed-job").spec.replicas).toBe(0);
  });

  it("no adapter set anywhere: the worker role still starts it (delayed_job is used without Active Job too)", async () => {
    const { "config/initializers/jobs.rb": _dropped, ...rest } = files('gem "delayed_job_active_record"\n');
    const m2 = await analyzeFiles(memoryRepo(rest), "quarry");
    expect(m2.workers!.find((x) => x.backend === "delayed-job")?.carried).toBe(true);
  });
});
