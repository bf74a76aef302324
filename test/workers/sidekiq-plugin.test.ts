// capistrano-sidekiq's variables per stage (an app written for this test: two stages that start
// Sidekiq differently): sidekiq_config/_queue/_concurrency/_env become the stage's command line,
// sidekiq_timeout reaches the grace period through workerGracePeriod when longer than Sidekiq's own
// timeout, sidekiq_processes × the role's servers are the replicas. Built by kubectl kustomize.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";
import { workerGracePeriod } from "../../emitters/kustomize/rules/shutdown.js";
import type { AppModel } from "../../src/model.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { validateObject } from "../kustomize/validate.js";
import { renderReport } from "../../src/report.js";

const container = (o: any) => o.spec.template.spec.containers[0];
let m: AppModel;

beforeAll(async () => {
  requireKubectl();
  m = await analyzeFiles(
    pluginApp(
      "",
      {
        production: [
          'server "w1.parcel.example.org", roles: %w[app worker]',
          'server "w2.parcel.example.org", roles: %w[app worker]',
          'server "web1.parcel.example.org", roles: %w[web app db]',
          'set :rails_env, "production"',
          "set :sidekiq_roles, :worker",
          "set :sidekiq_processes, 3",
          "set :sidekiq_timeout, 90",
          "set :sidekiq_concurrency, 12",
          "set :sidekiq_queue, %w[critical mailers]",
          'set :sidekiq_config, "#{current_path}/config/sidekiq_busy.yml"',
          "",
        ].join("\n"),
        staging: ['server "s1.parcel.example.org", roles: %w[web app db]', 'set :rails_env, "staging"', 'set :sidekiq_env, "demo"', "set :sidekiq_timeout, 5", ""].join("\n"),
      },
      {
        "config/sidekiq.yml": ":concurrency: 4\n:timeout: 20\n:queues:\n  - default\n",
        "config/sidekiq_busy.yml": ":concurrency: 8\n:timeout: 40\n:queues:\n  - default\n  - low\n",
      },
      { sidekiq: "6.5.12", "capistrano-sidekiq": "1.0.3" },
      'require "capistrano/sidekiq"\n',
    ),
    "parcel",
  );
});
afterAll(removeTrees);

describe("capistrano-sidekiq variables per stage", () => {
  it("are read per stage, with their lines, into the model", () => {
    const p = m.sidekiq!.plugin!;
    expect(p["production"]!.stopWait).toEqual({ value: 90, source: { file: "config/deploy/production.rb", line: 7 } });
    expect(p["production"]!.queues!.value).toEqual(["critical", "mailers"]);
    expect(p["production"]!.config!.value).toBe("config/sidekiq_busy.yml");
    expect(p["production"]!.config!.facts.timeout!.value).toBe(40);
    expect(p["staging"]!.env!.value).toBe("demo");
  });

  it("production: the stage's config file and flags, replicas = worker servers × sidekiq_processes, grace from sidekiq_timeout (longer than Sidekiq's own)", () => {
    const { stages } = emitAndBuild(m);
    const d = find(stages["production"]!, "Deployment", "-worker");
    validateObject(d);
    expect(container(d).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq_busy.yml", "-q", "critical", "-q", "mailers", "-c", "12"]);
    expect(d.spec.replicas).toBe(6);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(90));
  });

  it("staging: the default config file with -e from sidekiq_env; a sidekiq_timeout shorter than Sidekiq's own leaves Sidekiq's", () => {
    const { stages } = emitAndBuild(m);
    const d = find(stages["staging"]!, "Deployment", "-worker");
    validateObject(d);
    expect(container(d).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "-e", "demo"]);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(20));
  });
});

describe("the report's Sidekiq section agrees with the overlays (one source: sidekiqOfStage)", () => {
  it("lists each config file with the stages that read it, and each stage's concurrency and queues as its worker runs them", () => {
    const r = renderReport(m, { color: false });
    expect(r).toMatch(/sidekiq config config\/sidekiq_busy\.yml \(stages production\), capistrano-sidekiq's sidekiq_config  config\/deploy\/production\.rb:\d+/);
    expect(r).toMatch(/sidekiq config config\/sidekiq\.yml \(stages staging\)/);
    expect(r).toMatch(/sidekiq on stage production: config\/sidekiq_busy\.yml, concurrency 12, queues critical mailers, timeout 90s/);
    expect(r).toMatch(/sidekiq on stage staging: config\/sidekiq\.yml, concurrency 4, queues default, timeout 20s/);
  });

  it("a default config/sidekiq.yml no stage reads is not listed as if it ran", async () => {
    const app = await analyzeFiles(
      pluginApp(
        'set :sidekiq_config, "config/sidekiq/worker.yml"\n',
        { production: ['server "w1.parcel.example.org", roles: %w[web app db worker]', 'set :rails_env, "production"', ""].join("\n") },
        {
          "config/sidekiq.yml": ":concurrency: 3\n:queues:\n  - leftover_default\n",
          "config/sidekiq/worker.yml": ":concurrency: 9\n:queues:\n  - invoices\n  - [mailers, 2]\n",
        },
        { sidekiq: "6.5.12", "capistrano-sidekiq": "1.0.3" },
        'require "capistrano/sidekiq"\n',
      ),
      "parcel",
    );
    const r = renderReport(app, { color: false });
    expect(r).not.toMatch(/leftover_default/);
    expect(r).not.toMatch(/sidekiq concurrency: 3\b|sidekiq concurrency 3\b/);
    expect(r).toMatch(/queue: "invoices"  config\/sidekiq\/worker\.yml:3/);
    expect(r).toMatch(/sidekiq on stage production: config\/sidekiq\/worker\.yml, concurrency 9, queues invoices mailers,2/);
    const { stages } = emitAndBuild(app);
    const d = find(stages["production"]!, "Deployment", "-worker");
    expect(container(d).args.slice(3, 5)).toEqual(["-C", "config/sidekiq/worker.yml"]);
  });
});

describe("sidekiq_options_per_process (a corpus repo's cron and mailers queues were never worked)", () => {
  it("the same words for every process reach the command line, with their queues", async () => {
    const app = await analyzeFiles(
      pluginApp(
        "",
        {
          production: ['server "w1.parcel.example.org", roles: %w[web app db]', 'set :rails_env, "production"', "set :sidekiq_options_per_process, ['-q default -q cron -q mailers']", ""].join("\n"),
          staging: ['server "s1.parcel.example.org", roles: %w[web app db]', 'set :rails_env, "staging"', "set :sidekiq_processes, 2", "set :sidekiq_options_per_process, ['-q default', '-q cron']", ""].join("\n"),
        },
        { "config/sidekiq.yml": ":concurrency: 4\n:queues:\n  - default\n" },
        { sidekiq: "6.5.12", "capistrano-sidekiq": "1.0.3" },
        'require "capistrano/sidekiq"\n',
      ),
      "parcel",
    );
    expect(app.sidekiq!.plugin!["production"]!.options).toEqual({ value: ["-q", "default", "-q", "cron", "-q", "mailers"], source: { file: "config/deploy/production.rb", line: 3 }, queues: ["default", "cron", "mailers"], concurrency: null });
    // staging's two processes ran different queues: one Deployment each (test/workers/sidekiq-processes.test.ts),
    // and production's one set of words is a Deployment of its own beside them.
    expect(app.sidekiq!.plugin!["staging"]?.options).toBeUndefined();
    expect(app.sidekiq!.plugin!["staging"]!.perProcess!.sets.map((x) => x.words.join(" "))).toEqual(["-q default", "-q cron"]);
    expect(app.problems.some((p) => /sidekiq_options_per_process/.test(p.message))).toBe(false);
    const { stages } = emitAndBuild(app);
    const w = find(stages["production"]!, "Deployment", "-worker-sidekiq-default-cron-mailers");
    validateObject(w);
    const args: string[] = [...(container(w).command ?? []), ...(container(w).args ?? [])];
    expect(args.join(" ")).toMatch(/-q default -q cron -q mailers/);
    expect(w.spec.replicas).toBe(1);
    expect(find(stages["staging"]!, "Deployment", "-worker-sidekiq-cron").spec.replicas).toBe(1);
    expect(find(stages["staging"]!, "Deployment", "-worker-sidekiq-default-cron-mailers").spec.replicas).toBe(0);
  });
});

describe("Capistrano 2: capistrano-sidekiq required by one stage's own file", () => {
  it("only that stage's variables are the plugin's; another stage's file setting sidekiq_concurrency without it ran no plugin", async () => {
    const { memoryRepo } = await import("../../src/repo.js");
    const stageFiles: Record<string, string> = {
      production: "require 'capistrano/sidekiq'\nrole :app, \"w1.parcel.example.org\"\nrole :sidekiq, \"w1.parcel.example.org\"\nset :sidekiq_concurrency, 12\n",
      staging: 'role :app, "s1.parcel.example.org"\nrole :sidekiq, "s1.parcel.example.org"\nset :sidekiq_concurrency, 3\n',
    };
    const m2 = await analyzeFiles(
      memoryRepo({
        Capfile: "load 'deploy' if respond_to?(:namespace)\nload 'config/deploy'\n",
        "config/deploy.rb": 'set :application, "parcel"\nset :stages, %w(production staging)\nrequire \'capistrano/ext/multistage\'\n',
        ...Object.fromEntries(Object.entries(stageFiles).map(([s, t]) => [`config/deploy/${s}.rb`, t])),
        Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "sidekiq"\n',
        "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    rails (4.2.11)\n    sidekiq (4.2.10)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  sidekiq\n",
      }),
      "parcel",
    );
    expect(m2.capistrano!.requires.filter((r) => r.value === "capistrano/sidekiq").map((r) => r.source.file)).toEqual(["config/deploy/production.rb"]);
    expect(Object.keys(m2.sidekiq!.plugin ?? {})).toEqual(["production"]);
    expect(m2.sidekiq!.plugin!["production"]!.concurrency!.value).toBe(12);
  });
});
