// analyzers/workers: job backends found from the lockfile, Procfile, Capistrano and service files;
// the command is the repo's line when it is plain words, else the backend's standard one, said so.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { JOB_BACKENDS, backendOfCommand } from "../../analyzers/workers/backends.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";

const lock = (gems: Record<string, string>) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}`;

describe("job workers", () => {
  it("a systemd unit's ExecStart is evidence; its server paths make the standard command run, labelled", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        "Gemfile.lock": lock({ shoryuken: "6.2.1", rails: "7.1.3" }),
        "lib/capistrano/templates/shoryuken.service.erb": "[Service]\nExecStart=/home/deploy/.rbenv/shims/bundle exec shoryuken -R -C config/shoryuken.yml\n",
      }),
      "queue-app",
    );
    const w = m.workers!.find((x) => x.backend === "shoryuken")!;
    expect(w.carried).toBe(true);
    expect(w.commandFrom).toBe("standard");
    expect(w.args).toEqual(["bundle", "exec", "shoryuken", "-R"]);
    expect(w.commandSource).toEqual({ file: "lib/capistrano/templates/shoryuken.service.erb", line: 2 });
    expect(w.commandNote).toMatch(/is a path of the servers; the backend.s standard command runs instead/);
    expect(w.stopSignal).toBe("TERM");
    expect(w.stopTimeout).toEqual({ seconds: 8, source: null });
  });

  it("a Procfile line with shell syntax is not run as is; plain lines keep their words and env", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        "Gemfile.lock": lock({ delayed_job: "4.1.11", que: "2.3.0", rails: "7.0.8" }),
        Procfile: "web: bundle exec puma\njobs: bundle exec rake jobs:work 2>&1 | logger -t jobs\nque: RAILS_ENV=production QUE_WORKER_COUNT=4 bundle exec que ./config/environment.rb\n",
      }),
      "procs",
    );
    const dj = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(dj.commandFrom).toBe("standard");
    expect(dj.args).toEqual(["bundle", "exec", "rake", "jobs:work"]);
    expect(dj.commandNote).toMatch(/shell syntax/);
    const que = m.workers!.find((x) => x.backend === "que")!;
    expect(que.commandFrom).toBe("procfile");
    expect(que.args).toEqual(["bundle", "exec", "que", "./config/environment.rb"]);
    expect(que.env).toEqual({ QUE_WORKER_COUNT: "4" }); // RAILS_ENV comes from each stage's ConfigMap
    expect(m.hazards.filter((h) => h.id === "workers.backend-not-migrated")).toEqual([]);
  });

  it("every backend's table row recognises its own standard command", () => {
    for (const b of JOB_BACKENDS) expect(backendOfCommand(b.standardCommand.join(" "))?.id).toBe(b.id);
    expect(JOB_BACKENDS.find((b) => b.id === "resque")!.stopSignal).toBe("QUIT"); // TERM kills Resque's running job
  });
});

// A Capistrano 3 repo in memory: Capfile requires, deploy.rb, stage files, and any other files.
const capRepo = (requires: string[], deploy: string, stagesRb: Record<string, string>, files: Record<string, string>) =>
  memoryRepo({
    Capfile: ['require "capistrano/setup"', 'require "capistrano/deploy"', ...requires.map((r) => `require "${r}"`)].join("\n") + "\n",
    "config/deploy.rb": `lock "~> 3.18"\nset :application, "jobs"\nset :repo_url, "git@git.example.org:ops/jobs.git"\n${deploy}`,
    ...Object.fromEntries(Object.entries(stagesRb).map(([s, t]) => [`config/deploy/${s}.rb`, t])),
    ...files,
  });

describe("capistrano-resque's :workers", () => {
  it("role groups, queue lists with spaces and `*`, unique RFC 1123 names, the kill signal and default_env's TERM_CHILD", async () => {
    const m = await analyzeFiles(
      capRepo(
        ["capistrano-resque"],
        [
          'set :workers, { resque_low: { "*" => 1, "Reports, Exports" => 1, "reports,exports" => 2 }, resque_hi: { "scheduler" => 3 } }',
          'set :resque_kill_signal, "TERM"',
          'set :default_env, { "TERM_CHILD" => "1", "RESQUE_TERM_TIMEOUT" => "20" }',
          'set :interval, 0.5',
          "set :resque_verbose, false",
          'after "deploy:restart", "resque:restart"',
          'after "deploy:restart", "resque:scheduler:restart"',
        ].join("\n") + "\n",
        {
          production:
            'server "j1.jobs.example.org", user: "deploy", roles: %w[app resque_low]\nserver "j2.jobs.example.org", user: "deploy", roles: %w[app resque_low resque_hi resque_scheduler]\nset :rails_env, "production"\n',
        },
        { "Gemfile.lock": lock({ resque: "2.6.0", "resque-scheduler": "4.10.2", rails: "7.1.3" }) },
      ),
      "jobs",
    );
    const ws = m.workers!.filter((w) => w.backend === "resque");
    expect(ws.map((w) => w.name)).toEqual(["worker-resque-resque-low-all", "worker-resque-resque-low-reports-exports", "worker-resque-resque-low-reports-exports-2", "worker-resque-resque-hi-scheduler"]);
    for (const w of m.workers!) expect(w.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(new Set(m.workers!.map((w) => w.name)).size).toBe(m.workers!.length);
    const spaced = ws[1]!;
    expect(spaced.env["QUEUE"]).toBe("Reports, Exports"); // verbatim: what the servers' QUEUE held
    expect(spaced.queues).toEqual(["Reports", "Exports"]);
    expect(spaced.env["INTERVAL"]).toBe("0.5");
    expect(spaced.env["VERBOSE"]).toBeUndefined();
    expect(spaced.args).toEqual(["bundle", "exec", "rake", "resque:work"]); // resque_environment_task defaults to false
    expect(spaced.roles).toEqual(["resque_low"]);
    expect(spaced.perStage).toEqual({ production: { processes: 1, why: 'capistrano-resque :workers "Reports, Exports" => 1', source: { file: "config/deploy.rb", line: 4 } } });
    // TERM is the team's stop; with TERM_CHILD it waits RESQUE_TERM_TIMEOUT for the job.
    expect(spaced.stopSignal).toBe("TERM");
    expect(spaced.stopTimeout).toEqual({ seconds: 20, source: { file: "config/deploy.rb", line: 4 } });
    expect(ws[3]!.perStage!["production"]!.processes).toBe(3);
    // The plugin's scheduler, hooked into the deploy: its own Deployment on the resque_scheduler role.
    const sched = m.workers!.find((w) => w.backend === "resque-scheduler")!;
    expect(sched).toMatchObject({ name: "worker-resque-scheduler", commandFrom: "capistrano", args: ["bundle", "exec", "rake", "resque:scheduler"], roles: ["resque_scheduler"] });
  });

  it("without `set :workers` the plugin's default {\"*\" => 1} runs, labelled; an unreadable one is a warning and a question whose answer sets the count", async () => {
    const m = await analyzeFiles(
      capRepo(
        ["capistrano-resque"],
        'after "deploy:restart", "resque:restart"\n',
        {
          production: 'server "a.example.org", roles: %w[app resque_worker]\nset :rails_env, "production"\n',
          staging: 'server "s.example.org", roles: %w[app resque_worker]\nset :rails_env, "staging"\nset :workers, ENV.fetch("RESQUE_WORKERS")\n',
        },
        { "Gemfile.lock": lock({ resque: "2.6.0", rails: "7.1.3" }) },
      ),
      "jobs",
    );
    const ws = m.workers!.filter((w) => w.backend === "resque");
    expect(ws.map((w) => [w.name, w.env["QUEUE"], w.stopSignal])).toEqual([["worker-resque-all", "*", "QUIT"]]);
    expect(ws[0]!.perStage!["production"]!.why).toMatch(/the plugin's default\)/);
    // The deploy said something we could not read: not the plugin's default, a question.
    expect(ws[0]!.perStage!["staging"]).toMatchObject({ processes: 1, unknown: "`:workers` is not a Hash the analysis can read", source: { file: "config/deploy/staging.rb", line: 3 } });
    expect(ws[0]!.perStage!["staging"]!.why).not.toMatch(/plugin's default/);
    const gap = m.gaps.find((g) => g.id === "workers.staging.worker-resque-all.processes")!;
    expect(gap).toMatchObject({ default: 1, format: "replicas", source: { file: "config/deploy/staging.rb", line: 3 } });
    expect(m.gaps.some((g) => g.id === "workers.production.worker-resque-all.processes")).toBe(false);
    const replicas = (answers: Record<string, unknown>) => workerSpecs(makePlan(m, answers as never)).find((x) => x.facts.name === "worker-resque-all")!.stages.map((x) => x.replicas);
    expect(replicas({})).toEqual([1, 1]);
    expect(replicas({ "workers.staging.worker-resque-all.processes": 3 })).toEqual([1, 3]);
    expect(m.problems.some((p) => /capistrano-resque: `:workers` is not a Hash/.test(p.message) && p.file === "config/deploy/staging.rb")).toBe(true);
  });
});

describe("Capistrano 2: a plugin required by a stage file", () => {
  // multistage loads config/deploy/<stage>.rb like deploy.rb: a gem it requires is that stage's alone.
  const cap2 = (stageFiles: Record<string, string>) =>
    memoryRepo({
      Capfile: "load 'deploy' if respond_to?(:namespace)\nload 'config/deploy'\n",
      "config/deploy.rb": `set :application, "relay"\nset :stages, %w(${Object.keys(stageFiles).join(" ")})\nrequire 'capistrano/ext/multistage'\n`,
      ...Object.fromEntries(Object.entries(stageFiles).map(([s, t]) => [`config/deploy/${s}.rb`, t])),
      "Gemfile.lock": lock({ resque: "1.27.4", "capistrano-resque": "0.2.3", capistrano: "2.15.9", rails: "4.2.11" }),
    });

  it("capistrano-resque's :workers count per server in the stages that require it, and 0 where no file does", async () => {
    const m = await analyzeFiles(
      cap2({
        live: [
          "require 'capistrano-resque'",
          'role :app, "10.1.0.1", "10.1.0.2"',
          'role :resque_worker, "10.1.0.1", "10.1.0.2"',
          'set :rails_env, "production"',
          'set :workers, { "mailers,digests" => 3 }',
          "set :interval, 2",
          "set :resque_environment_task, true",
          'after "deploy:restart", "resque:restart"',
        ].join("\n") + "\n",
        // Same roles, but this stage's file loads no resque plugin: its servers ran no resque:start.
        crawl: 'role :app, "10.2.0.1"\nrole :resque_worker, "10.2.0.1"\nset :rails_env, "crawl"\n',
      }),
      "relay",
    );
    expect(m.capistrano!.requires.filter((r) => r.value === "capistrano-resque").map((r) => r.source)).toEqual([{ file: "config/deploy/live.rb", line: 1 }]);
    expect(m.stages.find((s) => s.name === "live")!.plugins!.map((p) => p.value)).toContain("capistrano-resque");
    expect(m.stages.find((s) => s.name === "crawl")!.plugins).toBeUndefined();
    const ws = m.workers!.filter((w) => w.backend === "resque");
    expect(ws.map((w) => [w.name, w.commandFrom, w.env["QUEUE"], w.env["INTERVAL"]])).toEqual([["worker-resque-mailers-digests", "capistrano", "mailers,digests", "2"]]);
    expect(ws[0]!.args).toEqual(["bundle", "exec", "rake", "environment", "resque:work"]);
    expect(ws[0]!.evidence.map((e) => e.value)).toContain('require "capistrano-resque" in config/deploy/live.rb');
    expect(ws[0]!.perStage!["crawl"]).toMatchObject({ processes: 0, why: "stage crawl does not load capistrano-resque (only config/deploy/live.rb requires it)" });
    const plan = makePlan(m, {} as never);
    const spec = workerSpecs(plan).find((x) => x.facts.name === "worker-resque-mailers-digests")!;
    expect(Object.fromEntries(spec.stages.map((x, i) => [plan.stages[i]!.stage.name, x.replicas]))).toEqual({ live: 6, crawl: 0 });
  });
});

describe("Capistrano 2: capistrano-resque's scheduler from a stage file", () => {
  it("resque:scheduler hooked in the stage file that requires capistrano-resque: that stage's scheduler only", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: "load 'deploy' if respond_to?(:namespace)\nload 'config/deploy'\n",
        "config/deploy.rb": 'set :application, "relay"\nset :stages, %w(live crawl)\nrequire \'capistrano/ext/multistage\'\n',
        "config/deploy/live.rb": "require 'capistrano-resque'\nrole :app, \"10.1.0.1\"\nrole :resque_scheduler, \"10.1.0.1\"\nafter \"deploy:restart\", \"resque:scheduler:restart\"\n",
        "config/deploy/crawl.rb": 'role :app, "10.2.0.1"\nrole :resque_scheduler, "10.2.0.1"\n',
        "Gemfile.lock": lock({ resque: "1.27.4", "resque-scheduler": "4.10.2", "capistrano-resque": "0.2.3", capistrano: "2.15.9", rails: "4.2.11" }),
      }),
      "relay",
    );
    const sched = m.workers!.find((w) => w.name === "worker-resque-scheduler")!;
    expect(sched.commandFrom).toBe("capistrano");
    expect(Object.keys(sched.perStage ?? {})).toEqual(["live"]);
    const plan = makePlan(m, {} as never);
    const spec = workerSpecs(plan).find((x) => x.facts.name === "worker-resque-scheduler")!;
    expect(Object.fromEntries(spec.stages.map((x, i) => [plan.stages[i]!.stage.name, x.replicas]))).toEqual({ live: 1, crawl: 0 });
  });
});

describe("worker names across backends", () => {
  it("a Resque queue named `scheduler` does not take resque-scheduler's Deployment name", async () => {
    const m = await analyzeFiles(
      capRepo(["capistrano-resque"], 'set :workers, { "scheduler" => 1 }\nafter "deploy:restart", "resque:scheduler:restart"\n', { production: 'server "a.example.org", roles: %w[app resque_worker resque_scheduler]\n' }, { "Gemfile.lock": lock({ resque: "2.6.0", "resque-scheduler": "4.10.2" }) }),
      "jobs",
    );
    expect(m.workers!.map((w) => w.name)).toEqual(["worker-resque-scheduler", "worker-resque-scheduler-2"]);
    expect(m.workers![1]!.env["QUEUE"]).toBe("scheduler");
  });
});

describe("GoodJob and Solid Queue: inside the web server or a process of their own, per stage", () => {
  const files = (extra: Record<string, string>) => ({
    "Gemfile.lock": lock({ good_job: "3.29.4", solid_queue: "1.1.2", puma: "6.4.2", rails: "7.2.1" }),
    "config/application.rb": "module Jobs\n  class Application < Rails::Application\n    config.active_job.queue_adapter = :good_job\n  end\nend\n",
    ...extra,
  });
  const stages = {
    production: 'server "p.example.org", roles: %w[web app db]\nset :rails_env, "production"\n',
    staging: 'server "s.example.org", roles: %w[web app db]\nset :rails_env, "staging"\n',
  };

  it("GoodJob :async in production's environment file, GoodJob's default (:external) in staging: a Deployment with 0 replicas in production", async () => {
    const m = await analyzeFiles(capRepo(["capistrano3/puma"], "", stages, files({ "config/environments/production.rb": "Rails.application.configure do\n  # threads in Puma are enough here\n  config.good_job.execution_mode = :async\nend\n" })), "jobs");
    const g = m.workers!.find((w) => w.backend === "good-job")!;
    expect(g.carried).toBe(true);
    expect(g.perStage!["production"]).toEqual({ processes: 0, why: "`config.good_job.execution_mode = :async`: jobs run in threads of the web server process", source: { file: "config/environments/production.rb", line: 3 } });
    expect(g.perStage!["staging"]!.processes).toBe(1);
    expect(g.perStage!["staging"]!.why).toMatch(/GoodJob's default for Rails env staging \(:external\)/);
  });

  it("GoodJob :async everywhere (an initializer wins over the environment file): no Deployment, no hazard, said so", async () => {
    const m = await analyzeFiles(
      capRepo(["capistrano3/puma"], "", stages, files({
        "config/environments/production.rb": "Rails.application.configure do\n  config.good_job.execution_mode = :external\nend\n",
        "config/initializers/good_job.rb": "Rails.application.configure do\n  config.good_job = { execution_mode: :async, max_threads: 4 }\nend\n",
      })),
      "jobs",
    );
    const g = m.workers!.find((w) => w.backend === "good-job")!;
    expect(g.carried).toBe(false);
    expect(g.inWeb!.source).toEqual({ file: "config/initializers/good_job.rb", line: 2 });
    expect(g.inWeb!.why).toMatch(/production: `config.good_job = \{ execution_mode: :async/);
    expect(m.hazards.filter((h) => h.id === "workers.backend-not-migrated" && /GoodJob/.test(h.message))).toEqual([]);
  });

  it("execution_mode under `if Rails.env.production?` / `else` / a trailing `unless`, evaluated per stage; another condition is unknown", async () => {
    const m = await analyzeFiles(
      capRepo(["capistrano3/puma"], "", stages, files({
        "config/application.rb": [
          "module Jobs",
          "  class Application < Rails::Application",
          "    if Rails.env.production?",
          "      config.good_job.execution_mode = :external",
          "    else",
          "      config.good_job.execution_mode = :async",
          "    end",
          "    config.good_job.max_threads = 5",
          "  end",
          "end",
        ].join("\n") + "\n",
      })),
      "jobs",
    );
    const g = m.workers!.find((w) => w.backend === "good-job")!;
    expect(g.perStage!["production"]).toMatchObject({ processes: 1, source: { file: "config/application.rb", line: 4 } });
    expect(g.perStage!["staging"]).toMatchObject({ processes: 0, source: { file: "config/application.rb", line: 6 } });
    const mod = await analyzeFiles(capRepo(["capistrano3/puma"], "", stages, files({ "config/initializers/good_job.rb": "Rails.application.config.good_job.execution_mode = :async unless Rails.env.production?\n" })), "jobs");
    expect(mod.workers!.find((w) => w.backend === "good-job")!.perStage).toMatchObject({ production: { processes: 1 }, staging: { processes: 0 } });
    const other = await analyzeFiles(capRepo(["capistrano3/puma"], "", stages, files({ "config/initializers/good_job.rb": "if ENV['SMALL_BOX']\n  Rails.application.config.good_job.execution_mode = :async\nend\n" })), "jobs");
    expect(other.problems.some((p) => /GoodJob, stage production: .*under a condition the analysis does not evaluate/.test(p.message))).toBe(true);
  });

  it("GOOD_JOB_EXECUTION_MODE from Capistrano's default_env; an execution_mode read from elsewhere is a warning and keeps the Deployment", async () => {
    const viaEnv = await analyzeFiles(capRepo(["capistrano3/puma"], 'set :default_env, { "GOOD_JOB_EXECUTION_MODE" => "async" }\n', stages, files({})), "jobs");
    expect(viaEnv.workers!.find((w) => w.backend === "good-job")!.inWeb!.why).toMatch(/GOOD_JOB_EXECUTION_MODE=async/);
    const unknown = await analyzeFiles(capRepo(["capistrano3/puma"], "", stages, files({ "config/initializers/good_job.rb": "Rails.application.config.good_job.execution_mode = Settings.jobs.mode.to_sym\n" })), "jobs");
    expect(unknown.workers!.find((w) => w.backend === "good-job")!.carried).toBe(true);
    expect(unknown.problems.some((p) => /GoodJob, stage production: .*not known statically/.test(p.message))).toBe(true);
  });

  it("a `good_job start` line is a process the servers ran, whatever the mode; its --shutdown-timeout reaches the stop and the standard command", async () => {
    const m = await analyzeFiles(
      capRepo(["capistrano3/puma"], "", stages, files({
        "config/environments/production.rb": "Rails.application.configure do\n  config.good_job.execution_mode = :async\nend\n",
        "config/systemd/good_job.service.erb": "[Service]\nExecStart=/usr/local/bin/bundle exec good_job start --max-threads=8 --shutdown-timeout 45\n",
      })),
      "jobs",
    );
    const g = m.workers!.find((w) => w.backend === "good-job")!;
    expect(g.carried).toBe(true);
    expect(g.perStage).toBeUndefined();
    expect(g.args).toEqual(["bundle", "exec", "good_job", "start", "--shutdown-timeout", "45"]);
    expect(g.stopTimeout).toEqual({ seconds: 45, source: { file: "config/systemd/good_job.service.erb", line: 2 } });
  });

  it("Solid Queue's Puma plugin: in the web server when Puma is what the deploy started; Rails 8's ENV condition unknown → Deployment and a warning", async () => {
    const plain = await analyzeFiles(capRepo(["capistrano3/puma"], "", stages, files({ "config/puma.rb": "threads 3, 3\nplugin :solid_queue\n" })), "jobs");
    const sq = plain.workers!.find((w) => w.backend === "solid-queue")!;
    expect(sq.carried).toBe(false);
    expect(sq.inWeb!.source).toEqual({ file: "config/puma.rb", line: 2 });
    const unicorn = await analyzeFiles(capRepo(["capistrano3/unicorn"], "", stages, files({ "config/puma.rb": "plugin :solid_queue\n" })), "jobs");
    // Unicorn ran, so the plugin never did; nothing else starts bin/jobs: mentioned, not invented.
    expect(unicorn.workers!.find((w) => w.backend === "solid-queue")).toMatchObject({ carried: false, notStarted: true });
    const rails8 = files({ "config/puma.rb": 'threads 3, 3\nplugin :solid_queue if ENV["SOLID_QUEUE_IN_PUMA"]\n' });
    const cond = await analyzeFiles(capRepo(["capistrano3/puma"], "", stages, rails8), "jobs");
    expect(cond.workers!.find((w) => w.backend === "solid-queue")!.carried).toBe(true);
    expect(cond.problems.some((p) => /Solid Queue, stage staging: `plugin :solid_queue` runs only when SOLID_QUEUE_IN_PUMA is set/.test(p.message))).toBe(true);
    const set = await analyzeFiles(capRepo(["capistrano3/puma"], 'set :default_env, { solid_queue_in_puma: "1" }\n', stages, rails8), "jobs");
    expect(set.workers!.find((w) => w.backend === "solid-queue")!.inWeb).toBeDefined();
  });
});

describe("drain timeouts on the command line", () => {
  it("sidekiq -t on the Procfile line wins over sidekiq.yml and is the timeout the grace period uses", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        "Gemfile.lock": lock({ sidekiq: "6.5.12", rails: "7.0.8" }),
        "config/sidekiq.yml": ":concurrency: 10\n:timeout: 25\n:queues:\n  - default\n",
        Procfile: "web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq -C config/sidekiq.yml -t 40\n",
      }),
      "sk",
    );
    // The Procfile decides and its line is read on its own (workers/sidekiq-line.ts): the -t is that
    // line's worker's, not a timeout for every Sidekiq process (analyzers/sidekiq.ts's loose scan undone).
    const w = m.workers!.find((x) => x.backend === "sidekiq")!;
    expect(w.sidekiqOptions?.timeout).toBe(40);
    expect(w.stopTimeout).toEqual({ seconds: 40, source: { file: "Procfile", line: 2 } });
    expect(m.sidekiq!.commandTimeout).toBeUndefined();
    expect(m.sidekiq!.timeout!.value).toBe(25);
    // A deploy task's Ruby starting it: the flag inside the string counts.
    const task = await analyzeFiles(
      memoryRepo({
        "Gemfile.lock": lock({ sidekiq: "6.5.12", rails: "7.0.8" }),
        "lib/capistrano/tasks/workers.rake": 'namespace :workers do\n  task :start do\n    on roles(:worker) do\n      within current_path do\n        execute :bundle, "exec sidekiq -d -e production -t 35 -L log/sidekiq.log"\n      end\n    end\n  end\nend\n',
      }),
      "sk",
    );
    expect(task.sidekiq!.commandTimeout).toEqual({ value: 35, source: { file: "lib/capistrano/tasks/workers.rake", line: 5 } });
    const long = await analyzeFiles(memoryRepo({ "Gemfile.lock": lock({ sidekiq: "7.2.0", rails: "7.1.3" }), Procfile: "worker: bundle exec sidekiq --timeout=55 -q default\n" }), "sk");
    expect(long.workers!.find((x) => x.backend === "sidekiq")!.stopTimeout.seconds).toBe(55);
  });

  it("Shoryuken has no timeout flag: the -C file a service line names is kept on the standard command, and its timeout: is the drain", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        "Gemfile.lock": lock({ shoryuken: "6.2.1", rails: "7.1.3" }),
        "config/shoryuken.yml": "concurrency: 15\ntimeout: 30\nqueues:\n  - [billing, 2]\n  - default\n",
        "config/systemd/shoryuken.service": "[Service]\nExecStart=/usr/bin/bundle exec shoryuken -R -C /srv/billing/current/config/shoryuken.yml -t 99\n",
      }),
      "sqs",
    );
    const w = m.workers!.find((x) => x.backend === "shoryuken")!;
    expect(w.args).toEqual(["bundle", "exec", "shoryuken", "-R", "-C", "config/shoryuken.yml"]);
    expect(w.stopTimeout).toEqual({ seconds: 30, source: { file: "config/shoryuken.yml", line: 2 } });
  });

  it("delayed_job has no shutdown timeout: the default is kept and labelled", async () => {
    const m = await analyzeFiles(memoryRepo({ "Gemfile.lock": lock({ delayed_job: "4.1.11", rails: "7.0.8" }), Procfile: "worker: bundle exec rake jobs:work -t 30\n" }), "dj");
    expect(m.workers!.find((w) => w.backend === "delayed-job")!.stopTimeout).toEqual({ seconds: 60, source: null });
  });
});
