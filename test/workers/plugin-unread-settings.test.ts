// Settings of a Capistrano plugin the deploy never loads: capistrano-resque locked but never
// required (its `set :workers` read by nothing), capistrano3-delayed-job's `delayed_job_workers` with
// no plugin at all, capistrano3-puma's `puma_threads` with the gem locked and not required. Each line
// is named as read by nothing, and no replica count is taken from it. Required, or read by a task
// of the repo, nothing is said.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { pluginApp } from "./app.js";
import { emitAndBuild, find } from "../kustomize/built.js";

beforeAll(async () => {
  await initPrism();
});

const unread = (m: { problems: { file: string; line: number; message: string }[] }) =>
  m.problems.filter((p) => /^[\w-]+\.settings-unread:/.test(p.message)).map((p) => `${p.file}:${p.line} ${p.message.split(" ")[0]} ${p.message.split(" ")[1]}`);

// Capistrano 2, single stage: the team's own resque task runs a script; the plugin's gem is locked, never required.
const CAP2 = (deployTail: string) =>
  memoryRepo({
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": [
      'server "box.kiln.example.org", :web, :app, :db, primary: true',
      'set :application, "kiln"',
      'set :deploy_to, "/srv/kiln"',
      'role :resque_worker, "box.kiln.example.org"',
      'set :workers, { "mail" => 2, "reports" => 1 }',
      "namespace :deploy do",
      '  task "restart_jobs" do',
      '    run "cd #{current_path} && script/jobs_restart.sh"',
      "  end",
      "end",
      deployTail,
      "",
    ].join("\n"),
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    capistrano-resque (0.0.9)\n      capistrano\n      resque\n    rails (4.2.11)\n    resque (1.27.4)\n    unicorn (5.4.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  capistrano-resque\n  rails\n  resque\n  unicorn\n",
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "resque"\ngem "capistrano"\ngem "capistrano-resque"\n',
  });

describe("a plugin's settings with the plugin never loaded", () => {
  it("capistrano-resque locked, never required: `set :workers` is named as read by nothing", async () => {
    const m = await analyzeFiles(CAP2(""), "kiln");
    expect(unread(m)).toEqual(["config/deploy.rb:5 resque.settings-unread: workers"]);
    expect(m.problems.find((p) => p.message.startsWith("resque.settings-unread:"))!.message).toMatch(/capistrano-resque 0\.0\.9 is in Gemfile\.lock, but neither the Capfile nor any deploy file requires it/);
  });

  it("required in deploy.rb: the plugin reads it, nothing said", async () => {
    const m = await analyzeFiles(CAP2('require "capistrano-resque"'), "kiln");
    expect(unread(m)).toEqual([]);
  });

  it("Capistrano 2 reads a variable by its bare name: a task of the repo using it reads it", async () => {
    const m = await analyzeFiles(CAP2('task :show_pools do\n  puts workers.inspect\nend'), "kiln");
    expect(unread(m)).toEqual([]);
  });

  it("delayed_job_workers with no delayed_job plugin: named, and the replicas do not multiply by it", async () => {
    const app = pluginApp(
      "set :delayed_job_workers, 4\n",
      { production: 'server "a.parcel.example.org", roles: %w[web app db]\nserver "j.parcel.example.org", roles: %w[jobs]\n' },
      { Procfile: "web: bundle exec puma -C config/puma.rb\njobs: bundle exec rake jobs:work\n" },
      { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" },
      "",
    );
    const m = await analyzeFiles(app, "parcel");
    expect(unread(m)).toEqual(["config/deploy.rb:3 delayed-job.settings-unread: delayed_job_workers"]);
    const { stages } = emitAndBuild(m);
    expect((find(stages["production"]!, "Deployment", "-worker-delayed-job") as { spec: { replicas: number } }).spec.replicas).toBe(1);
  });

  it("delayed_job_pools with no delayed_job plugin, the deploy restarting the jobs through its own task: the unread pools neither decide nor zero a stage", async () => {
    // A stage sets capistrano3-delayed-job's pools (one with the gem's "any queue" nil key, which the
    // analysis cannot read as a Hash); nothing loads the plugin, and the repo's own task restarts the
    // workers. The Procfile line decides the worker in both stages, one per jobs server.
    const app = pluginApp(
      "",
      {
        production: 'server "a.parcel.example.org", roles: %w[web app db]\nserver "j.parcel.example.org", roles: %w[jobs]\n',
        staging: 'set :delayed_job_pools, { mail: 2, nil => 1 }\nserver "s.parcel.example.org", roles: %w[web app db]\nserver "sj.parcel.example.org", roles: %w[jobs]\n',
      },
      {
        Procfile: "web: bundle exec puma -C config/puma.rb\njobs: bundle exec rake jobs:work\n",
        "lib/capistrano/tasks/jobs.rake": 'namespace :delayed_job do\n  task :restart do\n    on roles(:jobs) do\n      sudo "systemctl restart parcel-delayed-job"\n    end\n  end\nend\nafter "deploy:published", "delayed_job:restart"\n',
      },
      { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" },
      'Dir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
    );
    const m = await analyzeFiles(app, "parcel");
    expect(unread(m)).toEqual(["config/deploy/staging.rb:1 delayed-job.settings-unread: delayed_job_pools"]);
    expect(m.problems.filter((p) => /delayed_job_pools` is not a Hash|0 replicas there/.test(p.message))).toEqual([]);
    const { stages } = emitAndBuild(m);
    for (const st of ["production", "staging"]) expect((find(stages[st]!, "Deployment", "-worker-delayed-job") as { spec: { replicas: number } }).spec.replicas, st).toBe(1);
  });

  it("capistrano3-delayed-job required: its variable counts, nothing said", async () => {
    const app = pluginApp("set :delayed_job_workers, 4\n", { production: 'server "a.parcel.example.org", roles: %w[web app db]\n' }, {}, { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8", "capistrano3-delayed-job": "1.7.6" }, 'require "capistrano/delayed-job"\n');
    const m = await analyzeFiles(app, "parcel");
    expect(unread(m)).toEqual([]);
  });

  it("capistrano3-puma locked but not required: puma_threads named; not locked at all, a recipe of another name may read it: silent", async () => {
    const deploy = "set :puma_threads, [4, 16]\n";
    const stages = { production: 'server "a.parcel.example.org", roles: %w[web app db]\n' };
    // No Puma plugin required (the shared app's Capfile requires one).
    const capfile = { Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n' };
    const locked = await analyzeFiles(pluginApp(deploy, stages, capfile, { "capistrano3-puma": "5.2.0" }, ""), "parcel");
    expect(unread(locked)).toEqual(["config/deploy.rb:3 puma.settings-unread: puma_threads"]);
    const none = await analyzeFiles(pluginApp(deploy, stages, capfile, {}, ""), "parcel");
    expect(unread(none)).toEqual([]);
  });
});

describe("capistrano-sidekiq's variables with no reader loaded: the built overlay counts the servers only", () => {
  // Two worker servers and a third with a role of the team's own; sidekiq from a Procfile line the
  // deploy's servers ran, no capistrano-sidekiq anywhere.
  const PRODUCTION = 'server "a.parcel.example.org", roles: %w[web app db]\nserver "q1.parcel.example.org", roles: %w[worker]\nserver "q2.parcel.example.org", roles: %w[worker]\nserver "r1.parcel.example.org", roles: %w[reports]\n';
  const build = async (deploy: string) => {
    const app = pluginApp(deploy, { production: PRODUCTION }, { Procfile: "web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq\n", "config/sidekiq.yml": ":concurrency: 4\n" }, { sidekiq: "6.4.1" }, "");
    const m = await analyzeFiles(app, "parcel");
    const replicas = (find(emitAndBuild(m).stages["production"]!, "Deployment", "parcel-worker") as { spec: { replicas: number } }).spec.replicas;
    return { m, replicas };
  };

  it("sidekiq_processes 3, read by nothing: named, in the model, and 2 replicas (the two worker servers), not 6", async () => {
    const { m, replicas } = await build("set :sidekiq_processes, 3\n");
    expect(unread(m)).toEqual(["config/deploy.rb:3 sidekiq.settings-unread: sidekiq_processes"]);
    expect(m.sidekiq!.unreadSettings).toEqual(["sidekiq_processes"]);
    expect(replicas).toBe(2);
  });

  it("sidekiq_roles :reports, read by nothing: the worker servers still count (2), not the one reports server", async () => {
    const { m, replicas } = await build("set :sidekiq_roles, :reports\n");
    expect(m.sidekiq!.unreadSettings).toEqual(["sidekiq_roles"]);
    expect(replicas).toBe(2);
  });

  it("required (capistrano-sidekiq 1.0.3 locked): the same sidekiq_processes multiplies: 3 on the one server of the plugin's default role :app", async () => {
    const app = pluginApp("set :sidekiq_processes, 3\n", { production: PRODUCTION }, { "config/sidekiq.yml": ":concurrency: 4\n" }, { sidekiq: "6.4.1", "capistrano-sidekiq": "1.0.3" }, 'require "capistrano/sidekiq"\n');
    const m = await analyzeFiles(app, "parcel");
    expect(m.sidekiq!.unreadSettings).toBeUndefined();
    expect((find(emitAndBuild(m).stages["production"]!, "Deployment", "parcel-worker") as { spec: { replicas: number } }).spec.replicas).toBe(3);
  });
});
