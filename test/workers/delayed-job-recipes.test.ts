// delayed_job's own Capistrano 2 recipe (`require "delayed/recipes"`): its delayed_job:start runs
// `cd <current>; RAILS_ENV=<env> <delayed_job_command> start <delayed_job_args>` on the
// delayed_job_server_role servers (defaults: script/delayed_job, no args, :app). Each stage's args
// become the pools; replicas = that role's servers × each pool's count. The apps are written here.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import type { AppModel } from "../../src/model.js";

const lock = (gems: Record<string, string>) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}`;
const GEMS = { delayed_job: "3.0.5", delayed_job_active_record: "0.4.4", capistrano: "2.15.9", rails: "3.2.22" };

function cap2(deployRb: string, stageFiles: Record<string, string>, extra: Record<string, string> = {}) {
  return memoryRepo({
    Capfile: "load 'deploy' if respond_to?(:namespace)\nload 'config/deploy'\n",
    "config/deploy.rb": `set :application, "ferry"\nset :stages, %w(${Object.keys(stageFiles).join(" ")})\nrequire 'capistrano/ext/multistage'\n${deployRb}`,
    ...Object.fromEntries(Object.entries(stageFiles).map(([s, t]) => [`config/deploy/${s}.rb`, t])),
    "Gemfile.lock": lock(GEMS),
    "script/delayed_job": "#!/usr/bin/env ruby\nrequire File.expand_path(File.join(File.dirname(__FILE__), '..', 'config', 'environment'))\nrequire 'delayed/command'\nDelayed::Command.new(ARGV).daemonize\n",
    ...extra,
  });
}

const dj = (m: AppModel) => m.workers!.filter((w) => w.backend === "delayed-job");
function replicas(m: AppModel): Record<string, Record<string, number>> {
  const plan = makePlan(m, {} as never);
  return Object.fromEntries(
    workerSpecs(plan)
      .filter((s) => s.facts.backend === "delayed-job")
      .map((s) => [s.facts.name, Object.fromEntries(s.stages.map((x, i) => [plan.stages[i]!.stage.name, x.replicas]))]),
  );
}

describe("delayed_job's Capistrano 2 recipe (delayed/recipes)", () => {
  it("per stage delayed_job_args on the delayed_job_server_role servers; a stage without args runs the recipe's default (one worker, all queues)", async () => {
    const m = await analyzeFiles(
      cap2('require "delayed/recipes"\nset :delayed_job_server_role, :worker\nafter "deploy:restart", "delayed_job:restart"\n', {
        live: 'role :app, "10.3.0.1"\nrole :worker, "10.3.0.7", "10.3.0.8"\nset :rails_env, "production"\nset :delayed_job_args, "-n 2 --queues=invoices,receipts"\n',
        trial: 'role :app, "10.6.0.1"\nrole :worker, "10.6.0.1"\nset :rails_env, "trial"\n',
      }),
      "ferry",
    );
    const ws = dj(m);
    expect(ws.map((w) => [w.name, w.args.join(" "), w.env, w.roles, w.commandFrom])).toEqual([
      ["worker-delayed-job-invoices-receipts", "bundle exec rake jobs:work", { QUEUES: "invoices,receipts" }, ["worker"], "capistrano"],
      ["worker-delayed-job-all", "bundle exec rake jobs:work", {}, ["worker"], "capistrano"],
    ]);
    expect(ws[0]!.evidence.map((e) => e.value)).toContain('require "delayed/recipes" in config/deploy.rb');
    expect(ws[0]!.commandNote).toMatch(/script\/delayed_job start -n 2 --queues=invoices,receipts/);
    expect(ws[0]!.commandNote).toMatch(/script\/delayed_job is the recipe's default delayed_job_command/);
    expect(ws[1]!.perStage!["trial"]!.why).toMatch(/delayed_job_args is not set: the recipe's default runs one worker on all queues/);
    expect(replicas(m)).toEqual({
      "worker-delayed-job-invoices-receipts": { live: 4, trial: 0 },
      "worker-delayed-job-all": { live: 0, trial: 1 },
    });
  });

  it("--pool options: one Deployment per pool; the default role :app is said to be the recipe's default", async () => {
    const m = await analyzeFiles(
      cap2('require "delayed/recipes"\nafter "deploy:restart", "delayed_job:restart"\n', {
        live: 'role :app, "10.3.0.1", "10.3.0.2"\nrole :db, "10.3.0.9", :primary => true\nset :delayed_job_args, "--pool=invoices:3 --pool=*:1"\n',
      }),
      "ferry",
    );
    const ws = dj(m);
    expect(ws.map((w) => [w.name, w.env["QUEUES"] ?? "*", w.roles])).toEqual([
      ["worker-delayed-job-invoices", "invoices", ["app"]],
      ["worker-delayed-job-all", "*", ["app"]],
    ]);
    expect(ws[0]!.perStage!["live"]!.why).toMatch(/role :app \(the recipe's default delayed_job_server_role\)/);
    expect(replicas(m)).toEqual({ "worker-delayed-job-invoices": { live: 6 }, "worker-delayed-job-all": { live: 2 } });
  });

  it("required by one stage file: the other stage runs none, and says why", async () => {
    const m = await analyzeFiles(
      cap2("", {
        live: 'require "delayed/recipes"\nrole :app, "10.3.0.1"\nset :delayed_job_args, "-n 3"\nafter "deploy:restart", "delayed_job:restart"\n',
        trial: 'role :app, "10.6.0.1"\n',
      }),
      "ferry",
    );
    const [w] = dj(m);
    expect(w!.name).toBe("worker-delayed-job");
    expect(w!.perStage!["trial"]).toMatchObject({ processes: 0, why: "stage trial does not load delayed/recipes (only config/deploy/live.rb requires it)" });
    expect(replicas(m)).toEqual({ "worker-delayed-job": { live: 3, trial: 0 } });
  });

  it("a delayed_job_command that is not a delayed_job script is said; its options are not guessed", async () => {
    const m = await analyzeFiles(
      cap2('require "delayed/recipes"\nset :delayed_job_command, "script/job_runner"\nafter "deploy:restart", "delayed_job:restart"\n', {
        live: 'role :app, "10.3.0.1"\nset :delayed_job_args, "-n 2"\n',
      }),
      "ferry",
    );
    expect(m.problems.some((p) => p.file === "config/deploy.rb" && p.line === 5 && /delayed_job_command "script\/job_runner"/.test(p.message))).toBe(true);
  });

  it("capistrano3-delayed-job's variables left in the deploy change nothing for the recipe, and are said", async () => {
    const m = await analyzeFiles(
      cap2('require "delayed/recipes"\nset :delayed_job_workers, 4\nset :delayed_job_queues, ["mail"]\nset :delayed_job_roles, [:worker]\nafter "deploy:restart", "delayed_job:restart"\n', {
        live: 'role :app, "10.3.0.1", "10.3.0.2"\nrole :worker, "10.3.0.7"\n',
      }),
      "ferry",
    );
    const [w] = dj(m);
    expect([w!.roles, w!.env]).toEqual([["app"], {}]);
    expect(replicas(m)).toEqual({ "worker-delayed-job": { live: 2 } });
    const named = m.problems.filter((p) => p.message.startsWith("workers.dj-recipe-ignores-variable:")).map((p) => [p.line, /`(\w+)`/.exec(p.message)![1]]);
    expect(named).toEqual([[5, "delayed_job_workers"], [6, "delayed_job_queues"], [7, "delayed_job_roles"]]);
  });
});

describe("delayed_job's recipe without a hook", () => {
  it("is carried as its start would run, and the missing hook is said", async () => {
    const m = await analyzeFiles(cap2('require "delayed/recipes"\n', { live: 'role :app, "10.3.0.1"\n' }), "ferry");
    expect(dj(m).map((w) => [w.name, w.carried])).toEqual([["worker-delayed-job", true]]);
    expect(m.problems.some((p) => p.file === "config/deploy.rb" && p.line === 4 && /no hook runs them in the deploy/.test(p.message))).toBe(true);
  });
});
