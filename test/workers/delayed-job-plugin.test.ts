// delayed_job as the deploy started it (`bin/delayed_job <args> start`, capistrano3-delayed-job):
// delayed_job_args, _queues, _pools and _workers per stage become one Deployment per pool with its
// real queues (QUEUES for rake jobs:work) and replicas = the role's servers × the pool's count.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { poolsOf } from "../../analyzers/workers/delayed-job-plugin.js";
import type { AppModel, Stage } from "../../src/model.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { validateObject } from "../kustomize/validate.js";
import { pluginApp } from "./app.js";

const container = (o: any) => o.spec.template.spec.containers[0];
const envOf = (o: any) => Object.fromEntries(container(o).env.map((e: any) => [e.name, e.value]));
let m: AppModel;

beforeAll(async () => {
  requireKubectl();
  m = await analyzeFiles(
    pluginApp(
      'set :delayed_job_roles, [:jobs]\nafter "deploy:publishing", "delayed_job:restart"\n',
      {
        production: ['server "j1.parcel.example.org", roles: %w[jobs]', 'server "j2.parcel.example.org", roles: %w[jobs]', 'server "w1.parcel.example.org", roles: %w[web app db]', 'set :rails_env, "production"', 'set :delayed_job_args, "-n 2 --queues=mail,import --sleep-delay 10"', ""].join("\n"),
        staging: ['server "s1.parcel.example.org", roles: %w[web app db jobs]', 'set :rails_env, "staging"', 'set :delayed_job_pools, { "mail" => 2, "*" => 1 }', ""].join("\n"),
      },
      {},
      { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8", "capistrano3-delayed-job": "1.7.6" },
      'require "capistrano/delayed_job"\n',
    ),
    "parcel",
  );
});
afterAll(removeTrees);

describe("delayed_job pools per stage", () => {
  it("one worker per pool, with its queues and the stage's counts", () => {
    const ws = m.workers!.filter((w) => w.backend === "delayed-job");
    expect(ws.map((w) => [w.name, w.env, w.perStage!["production"]!.processes, w.perStage!["staging"]!.processes])).toEqual([
      ["worker-delayed-job-mail-import", { QUEUES: "mail,import", SLEEP_DELAY: "10" }, 2, 0],
      ["worker-delayed-job-mail", { QUEUES: "mail" }, 0, 2],
      ["worker-delayed-job-all", {}, 0, 1],
    ]);
    for (const w of ws) expect(w.args).toEqual(["bundle", "exec", "rake", "jobs:work"]);
  });

  it("Deployments: replicas = jobs servers × count per stage, 0 where the stage has no such pool", () => {
    const { stages } = emitAndBuild(m);
    for (const objs of Object.values(stages)) for (const o of objs) validateObject(o);
    const prod = find(stages["production"]!, "Deployment", "-worker-delayed-job-mail-import");
    expect(prod.spec.replicas).toBe(4);
    expect(envOf(prod)).toMatchObject({ QUEUES: "mail,import", SLEEP_DELAY: "10" });
    expect(find(stages["staging"]!, "Deployment", "-worker-delayed-job-mail-import").spec.replicas).toBe(0);
    expect(find(stages["staging"]!, "Deployment", "-worker-delayed-job-mail").spec.replicas).toBe(2);
    expect(find(stages["staging"]!, "Deployment", "-worker-delayed-job-all").spec.replicas).toBe(1);
    expect(find(stages["production"]!, "Deployment", "-worker-delayed-job-all").spec.replicas).toBe(0);
  });
});

describe("bin/delayed_job arguments", () => {
  const stage = (vars: Record<string, unknown>): Stage =>
    ({ name: "production", source: { file: "config/deploy/production.rb", line: 1 }, servers: [], variables: Object.fromEntries(Object.entries(vars).map(([k, v], i) => [k, { value: v, source: { file: "config/deploy/production.rb", line: i + 2 } }])) }) as Stage;
  const read = (vars: Record<string, unknown>) => {
    const r = poolsOf(stage(vars));
    return "pools" in r ? r.pools.map((p) => [p.queues.join(","), p.count, p.env]) : r.unknown;
  };

  it("pools win over -n; a pool without a count is one process; * is every queue", () => {
    expect(read({ delayed_job_args: "-n 4 --pool=mail:2 --pool=* --pool=import,export:3" })).toEqual([
      ["mail", 2, {}],
      ["", 1, {}],
      ["import,export", 3, {}],
    ]);
  });

  it("capistrano3-delayed-job's variables become the same words; the plugin's default is one worker", () => {
    expect(read({ delayed_job_workers: 3, delayed_job_queues: ["a", "b"] })).toEqual([["a,b", 3, {}]]);
    expect(read({ delayed_job_queues: ["a"] })).toEqual([["a", 1, {}]]);
    expect(read({ delayed_job_args: "--queue=reports --min-priority 5 --prefix reports" })).toEqual([["reports", 1, { MIN_PRIORITY: "5" }]]);
  });

  it("what cannot be carried is said, never guessed", () => {
    expect(read({ delayed_job_args: "--exit-on-complete" })).toMatch(/exit-on-complete/);
    expect(read({ delayed_job_args: "--frobnicate" })).toMatch(/not an option/);
    expect(read({ delayed_job_args: { unknown: "computed" } })).toMatch(/not a string/);
  });
});
