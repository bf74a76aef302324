// capistrano-sidekiq's sidekiq_options_per_process (0.5–1.x): process i of a server got entry i after
// the plugin's own flags, for i < sidekiq_processes. An app written for this test (the workers tests'
// "parcel" with a deploy of its own, hosts under tally.example.net): production
// runs 3 processes per server on 2 servers, two of them with the payments queues, one with reports
// (its own -c and -t), and a fourth entry no process ever got; staging sets no per-process options.
// One Deployment per distinct set, replicas = its processes × the stage's Sidekiq servers, built by
// kubectl kustomize; then the split Deployments' command lines are started with Debian's Sidekiq 6.4
// against a real Redis, which must register exactly the queues and concurrency given.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { makeReleasePlan } from "../../emitters/release/plan.js";
import { workerGracePeriod } from "../../emitters/kustomize/rules/shutdown.js";
import { renderReport } from "../../src/report.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { emitAndBuild, find, type Built } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { validateObject } from "../kustomize/validate.js";
import { Procs } from "../container/procs.js";
import { registeredSidekiq, startRedis } from "./real-sidekiq.js";
import { pluginApp } from "./app.js";

const SIDEKIQ_YML = ":concurrency: 6\n:timeout: 30\n:queues:\n  - [payments, 4]\n  - reports\n  - archive\n  - default\n";
const PRODUCTION = [
  'server "jobs1.tally.example.net", roles: %w[app db web]',
  'server "jobs2.tally.example.net", roles: %w[app]',
  'set :rails_env, "production"',
  "set :sidekiq_processes, 3",
  'set :sidekiq_options_per_process, ["--queue payments --queue payments_retry", "-q reports -c 4 -t 60", "--queue payments --queue payments_retry", "-q archive"]',
  "",
].join("\n");
const STAGING = ['server "stage1.tally.example.net", roles: %w[app db web]', 'set :rails_env, "staging"', "set :sidekiq_processes, 2", ""].join("\n");

const container = (o: any) => o.spec.template.spec.containers[0];
const tallyApp = (stages: Record<string, string>, deploy = "", extra: Record<string, string> = {}) =>
  pluginApp(deploy, stages, { "config/sidekiq.yml": SIDEKIQ_YML, ...extra }, { sidekiq: "6.4.1", "capistrano-sidekiq": "1.0.3" }, 'require "capistrano/sidekiq"\n');

let m: AppModel;
let built: Built;

beforeAll(async () => {
  requireKubectl();
  m = await analyzeFiles(tallyApp({ production: PRODUCTION, staging: STAGING }), "parcel");
  built = emitAndBuild(m);
});
afterAll(removeTrees);

describe("the model: each started process's words, grouped", () => {
  it("production's processes 0 and 2 share a set, process 1 has its own, entry 3 was never started", () => {
    const p = m.sidekiq!.plugin!["production"]!;
    expect(p.options).toBeUndefined();
    expect(p.perProcess!.processes).toBe(3);
    expect(p.perProcess!.sets.map((s) => [s.words.join(" "), s.processes, s.queues, s.concurrency, s.timeout])).toEqual([
      ["--queue payments --queue payments_retry", 2, ["payments", "payments_retry"], null, null],
      ["-q reports -c 4 -t 60", 1, ["reports"], 4, 60],
    ]);
    expect(p.unusedOptions).toEqual({ value: ["-q archive"], source: { file: "config/deploy/production.rb", line: 5 }, processes: 3 });
    expect(m.sidekiq!.plugin!["staging"]?.perProcess).toBeUndefined();
  });

  it("one Sidekiq worker per set, named after its queues; the processes without words keep the worker Sidekiq always had", () => {
    const ws = m.workers!.filter((w) => w.backend === "sidekiq");
    expect(ws.map((w) => w.name)).toEqual(["worker", "worker-sidekiq-payments-payments-retry", "worker-sidekiq-reports"]);
    expect(ws.map((w) => Object.entries(w.perStage!).map(([s, c]) => `${s}:${c.processes}`).join(" "))).toEqual(["production:0 staging:2", "production:2 staging:0", "production:1 staging:0"]);
    expect(ws[1]!.queues).toEqual(["payments", "payments_retry"]);
  });
});

describe("the overlays, built by kubectl kustomize", () => {
  it("production: each set's Deployment runs the config file plus its own words; replicas = its processes × 2 servers", () => {
    const pay = find(built.stages["production"]!, "Deployment", "-worker-sidekiq-payments-payments-retry");
    const rep = find(built.stages["production"]!, "Deployment", "-worker-sidekiq-reports");
    const plain = find(built.stages["production"]!, "Deployment", "parcel-worker");
    for (const d of [pay, rep, plain]) validateObject(d);
    expect(container(pay).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "--queue", "payments", "--queue", "payments_retry"]);
    expect(container(rep).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "-q", "reports", "-c", "4", "-t", "60"]);
    expect([pay.spec.replicas, rep.spec.replicas, plain.spec.replicas]).toEqual([4, 2, 0]);
    // -t 60 on the reports processes' line wins over the config's 30: their drain, their grace period.
    expect(rep.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(60));
    expect(pay.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(30));
    // Each keeps a selector of its own: no pod is counted by two Deployments.
    const components = [pay, rep, plain].map((d) => d.spec.selector.matchLabels["app.kubernetes.io/component"]);
    expect(new Set(components).size).toBe(3);
  });

  it("staging, without per-process options: one Deployment with all its processes, the split ones at 0", () => {
    const plain = find(built.stages["staging"]!, "Deployment", "parcel-worker");
    expect(container(plain).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml"]);
    expect(plain.spec.replicas).toBe(2);
    expect(find(built.stages["staging"]!, "Deployment", "-worker-sidekiq-payments-payments-retry").spec.replicas).toBe(0);
    expect(find(built.stages["staging"]!, "Deployment", "-worker-sidekiq-reports").spec.replicas).toBe(0);
  });

  it("the release waits for every Sidekiq Deployment", () => {
    expect(makeReleasePlan(m, defaultAnswers(m, {})).deployments).toEqual(["deployment/parcel-web", "deployment/parcel-worker", "deployment/parcel-worker-sidekiq-payments-payments-retry", "deployment/parcel-worker-sidekiq-reports"]);
  });
});

describe("MIGRATION.md and the report", () => {
  it("name each Sidekiq Deployment with its words, and the entry no process got as not started", () => {
    const answers = defaultAnswers(m, {});
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(md).toMatch(/`deployment\/parcel-worker-sidekiq-payments-payments-retry`: Sidekiq, `sidekiq` with its config and `--queue payments --queue payments_retry`/);
    expect(md).toMatch(/`deployment\/parcel-worker-sidekiq-reports`: Sidekiq, `sidekiq` with its config and `-q reports -c 4 -t 60`.*processes per server: production 1, staging 0/);
    expect(md).toMatch(/`deployment\/parcel-worker`: Sidekiq, `sidekiq` with its config, the processes that got no sidekiq_options_per_process words/);
    expect(md).toMatch(/Not started: stage production: Sidekiq with `-q archive` \(sidekiq_options_per_process entry 4, `config\/deploy\/production\.rb:5`\)/);
    const r = renderReport(m, { color: false });
    expect(r).toMatch(/not started: stage production: sidekiq_options_per_process entry "-q archive"/);
    expect(r).toMatch(/Sidekiq worker worker-sidekiq-reports: the stage's sidekiq command \+ -q reports -c 4 -t 60; processes per server: production 1, staging 0/);
  });
});

describe("the edges of capistrano-sidekiq's indexing", () => {
  it("a list shorter than sidekiq_processes: the processes past its end get no words and run the plain command", async () => {
    const app = await analyzeFiles(tallyApp({ production: ['server "jobs1.tally.example.net", roles: %w[app db web]', "set :sidekiq_processes, 3", 'set :sidekiq_options_per_process, ["-q payments"]', ""].join("\n") }), "parcel");
    const ws = app.workers!.filter((w) => w.backend === "sidekiq");
    expect(ws.map((w) => [w.name, w.perStage!["production"]!.processes])).toEqual([["worker", 2], ["worker-sidekiq-payments", 1]]);
    expect(app.sidekiq!.plugin!["production"]!.unusedOptions).toBeUndefined();
  });

  it("<role>_processes, which the gem counts over sidekiq_processes on that role's servers, indexes the entries there (test/workers/sidekiq-per-role-options.test.ts judges it with cap)", async () => {
    const app = await analyzeFiles(tallyApp({ production: ['server "jobs1.tally.example.net", roles: %w[app db web]', "set :app_processes, 2", 'set :sidekiq_options_per_process, ["-q payments", "-q reports"]', ""].join("\n") }), "parcel");
    const ws = app.workers!.filter((w) => w.backend === "sidekiq");
    expect(ws.map((w) => [w.name, w.perStage!["production"]!.processes])).toEqual([["worker-sidekiq-payments", 1], ["worker-sidekiq-reports", 1]]);
    expect(app.problems.some((p) => /app_processes of stage production|counted per role/.test(p.message))).toBe(false);
  });

  it("the same words for every started process, the rest of the list unused: one worker as before, the rest named", async () => {
    const app = await analyzeFiles(tallyApp({ production: ['server "jobs1.tally.example.net", roles: %w[app db web]', 'set :sidekiq_options_per_process, ["-q payments -q reports", "-q archive"]', ""].join("\n") }), "parcel");
    expect(app.workers!.filter((w) => w.backend === "sidekiq").map((w) => w.name)).toEqual(["worker"]);
    expect(app.sidekiq!.plugin!["production"]!.options!.value).toEqual(["-q", "payments", "-q", "reports"]);
    expect(app.sidekiq!.plugin!["production"]!.unusedOptions!.value).toEqual(["-q archive"]);
  });
});

describe("no Sidekiq config file: the stage's command is flags, and each set's words follow them as written", () => {
  it("queue weights and -t are kept on the set's command line, not rebuilt from the queue names", async () => {
    const app = await analyzeFiles(
      pluginApp("", { production: ['server "jobs1.tally.example.net", roles: %w[app db web]', "set :sidekiq_processes, 2", 'set :sidekiq_options_per_process, ["-q payments,3 -q default -t 40", "-q reports"]', ""].join("\n") }, {}, { sidekiq: "6.4.1", "capistrano-sidekiq": "1.0.3" }, 'require "capistrano/sidekiq"\n'),
      "parcel",
    );
    const { stages } = emitAndBuild(app);
    const pay = find(stages["production"]!, "Deployment", "-worker-sidekiq-payments-default");
    validateObject(pay);
    expect(container(pay).args).toEqual(["bundle", "exec", "sidekiq", "-c", "10", "-q", "payments,3", "-q", "default", "-t", "40"]);
    expect(pay.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(40));
    expect(container(find(stages["production"]!, "Deployment", "-worker-sidekiq-reports")).args).toEqual(["bundle", "exec", "sidekiq", "-c", "10", "-q", "reports"]);
  });
});

describe("versions of capistrano-sidekiq that put no per-process words on a start line", () => {
  it("3.x (systemd, every process alike): the variable is said to be unused, and one worker runs every process", async () => {
    const app = await analyzeFiles(
      pluginApp("", { production: PRODUCTION }, { "config/sidekiq.yml": SIDEKIQ_YML }, { sidekiq: "7.2.4", "capistrano-sidekiq": "3.0.0" }, 'require "capistrano/sidekiq"\ninstall_plugin Capistrano::Sidekiq\ninstall_plugin Capistrano::Sidekiq::Systemd\n'),
      "parcel",
    );
    expect(app.sidekiq!.plugin?.["production"]?.perProcess).toBeUndefined();
    expect(app.sidekiq!.plugin?.["production"]?.unusedOptions).toBeUndefined();
    expect(app.workers!.filter((w) => w.backend === "sidekiq").map((w) => w.name)).toEqual(["worker"]);
    expect(app.problems.some((p) => p.file === "config/deploy/production.rb" && p.line === 5 && /capistrano-sidekiq\.not-read-v3: stage production sets sidekiq_options_per_process, which is not read by capistrano-sidekiq 3\.x/.test(p.message))).toBe(true);
  });

  it("2.x with its monit integration installed: the monit template's per-process words split the worker", async () => {
    const app = await analyzeFiles(
      pluginApp("", { production: PRODUCTION }, { "config/sidekiq.yml": SIDEKIQ_YML }, { sidekiq: "6.4.1", "capistrano-sidekiq": "2.0.0" }, 'require "capistrano/sidekiq"\ninstall_plugin Capistrano::Sidekiq\ninstall_plugin Capistrano::Sidekiq::Monit\n'),
      "parcel",
    );
    expect(app.workers!.filter((w) => w.backend === "sidekiq").map((w) => w.name)).toEqual(["worker-sidekiq-payments-payments-retry", "worker-sidekiq-reports"]);
  });
});

describe("what else reached the start line", () => {
  it("sidekiq_options follows each process's own words (so the last -c is its); -d, -L and -P are left out of the pod's command, with a warning", async () => {
    const app = await analyzeFiles(
      tallyApp({
        production: ['server "jobs1.tally.example.net", roles: %w[app db web]', "set :sidekiq_processes, 2", 'set :sidekiq_options_per_process, ["-q payments -c 9 -L log/pay.log", "-q reports -d"]', 'set :sidekiq_options, "-c 3 -P tmp/pids/sk.pid"', ""].join("\n"),
      }),
      "parcel",
    );
    const sets = app.sidekiq!.plugin!["production"]!.perProcess!.sets;
    expect(sets.map((x) => [x.words.join(" "), x.concurrency])).toEqual([
      ["-q payments -c 9 -c 3", 3],
      ["-q reports -c 3", 3],
    ]);
    const warn = app.problems.find((p) => p.file === "config/deploy/production.rb" && /left out of the pod's command/.test(p.message))!;
    expect(warn.message).toMatch(/`-L log\/pay\.log`, `-P tmp\/pids\/sk\.pid`, `-d`/);
    expect(app.workers!.filter((w) => w.backend === "sidekiq").map((w) => w.name)).toEqual(["worker-sidekiq-payments", "worker-sidekiq-reports"]);
  });

  it("sidekiq_options alone: every process's words, on the one worker", async () => {
    const app = await analyzeFiles(tallyApp({ production: ['server "jobs1.tally.example.net", roles: %w[app db web]', 'set :sidekiq_options, "-q payments -q reports"', ""].join("\n") }), "parcel");
    expect(app.sidekiq!.plugin!["production"]!.options).toMatchObject({ value: ["-q", "payments", "-q", "reports"], queues: ["payments", "reports"], source: { file: "config/deploy/production.rb", line: 2 } });
    expect(app.workers!.filter((w) => w.backend === "sidekiq").map((w) => w.name)).toEqual(["worker"]);
  });
});

describe("a generic init job restarted by the deploy's own sidekiq task", () => {
  const restart = (body: string) => `namespace :sidekiq do\n  task :restart do\n    on roles(:app) do\n      ${body}\n    end\n  end\nend\nnamespace :ops do\n  task :bounce do\n    on roles(:app) do\n      execute :sudo, :systemctl, :restart, :queue_runner\n    end\n  end\nend\n`;

  it("upstart's `initctl restart workers` inside sidekiq:restart is named as an upstart job beside the Sidekiq workers carried; a unit in another namespace keeps the plain message", async () => {
    const app = await analyzeFiles(tallyApp({ production: PRODUCTION }, restart("execute :sudo, :initctl, :restart, :workers")), "parcel");
    const u = app.uncarried!.find((x) => x.name === "workers")!;
    expect(u.source).toEqual({ file: "config/deploy.rb", line: 6 });
    expect(u.why).toMatch(/^an upstart job named `workers` that the deploy's own task `sidekiq:restart` \(config\/deploy\.rb:4\) restarts/);
    expect(u.why).toMatch(/carried \(workers `worker-sidekiq-payments-payments-retry`, `worker-sidekiq-reports`\)/);
    expect(u.why).toMatch(/Sidekiq's own upstart example, examples\/upstart\/workers\.conf, is a job of this name/);
    expect(u.why).not.toMatch(/unit file/);
    const other = app.uncarried!.find((x) => x.name === "queue_runner")!;
    expect(other.why).toMatch(/^a service the deploy restarts; its unit file is on the servers/);
  });

  it("systemctl in the same task: a systemd unit", async () => {
    const app = await analyzeFiles(tallyApp({ production: STAGING }, restart("execute :sudo, :systemctl, :restart, :workers")), "parcel");
    expect(app.uncarried!.find((x) => x.name === "workers")!.why).toMatch(/^a systemd unit named `workers` that the deploy's own task `sidekiq:restart`.*carried \(worker `worker`\)/);
  });
});

describe("the split command lines, started with Debian's Sidekiq 6.4 against a real Redis", () => {
  const procs = new Procs();
  const T = mkdtempSync(join(tmpdir(), "r2k-sqsplit-"));
  afterAll(async () => {
    await procs.stopAll();
    rmSync(T, { recursive: true, force: true });
  });

  it("each Deployment's sidekiq registers exactly its queues and concurrency", async () => {
    mkdirSync(join(T, "config"));
    writeFileSync(join(T, "config/sidekiq.yml"), SIDEKIQ_YML);
    writeFileSync(join(T, "jobs.rb"), 'require "sidekiq"\n');
    const redis = await startRedis(procs, T);
    const expected: Record<string, { queues: string[]; concurrency: number }> = {
      "-worker-sidekiq-payments-payments-retry": { queues: ["payments", "payments_retry"], concurrency: 6 },
      "-worker-sidekiq-reports": { queues: ["reports"], concurrency: 4 },
    };
    for (const [suffix, want] of Object.entries(expected)) {
      const args: string[] = container(find(built.stages["production"]!, "Deployment", suffix)).args;
      expect(args.slice(0, 3)).toEqual(["bundle", "exec", "sidekiq"]);
      // No bundle here: Debian's sidekiq runs the words after `bundle exec sidekiq`; -r loads no Rails app.
      const { child, info } = await registeredSidekiq(procs, redis, suffix, [...args.slice(3), "-r", "./jobs.rb"], { cwd: T, log: join(T, `${suffix}.log`) });
      expect(info, `sidekiq ${args.slice(3).join(" ")} never registered`).not.toBeNull();
      expect({ queues: info!.queues, concurrency: info!.concurrency }).toEqual(want);
      child.kill("SIGTERM");
      await Procs.exited(child, 20_000);
    }
  }, 90_000);
});
