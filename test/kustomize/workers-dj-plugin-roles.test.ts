// capistrano3-delayed-job starts `delayed_job_workers` processes on each server of its own role,
// `delayed_job_roles` (:app by the gem's load:defaults), whatever role names the deploy uses
// elsewhere: replicas = that stage's servers with the role × delayed_job_workers. Fixture "parcel"
// (test/workers/app.ts), written for these tests.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "../workers/app.js";
import { emitAndBuild, find } from "./built.js";
import { requireKubectl } from "./kubectl.js";

beforeAll(async () => {
  await initPrism();
  requireKubectl();
});

const STAGES = {
  production: 'server "a1.parcel.example.org", roles: %w[app web db]\nserver "a2.parcel.example.org", roles: %w[app web]\nserver "db.parcel.example.org", roles: %w[db]\n',
  staging: 'server "s1.parcel.example.org", roles: %w[app web db]\n',
};

describe("capistrano3-delayed-job's own role", () => {
  it("replicas = servers with :app (the plugin's default delayed_job_roles) × delayed_job_workers", async () => {
    const repo = pluginApp('set :delayed_job_workers, 2\nafter "deploy:published", "delayed_job:restart"\n', STAGES, { "bin/delayed_job": "#!/usr/bin/env ruby\n" }, { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8", "capistrano3-delayed-job": "1.7.6" }, 'require "capistrano/delayed-job"\n');
    const m = await analyzeFiles(repo, "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.roles).toEqual(["app"]);
    expect(w.rolesGuessed).toBeUndefined();
    expect(w.evidence.some((e) => /on role app \(capistrano3-delayed-job's default delayed_job_roles\)/.test(e.value))).toBe(true);
    const { stages } = emitAndBuild(m);
    expect(find(stages["production"]!, "Deployment", "worker-delayed-job").spec.replicas).toBe(4);
    expect(find(stages["staging"]!, "Deployment", "worker-delayed-job").spec.replicas).toBe(2);
  });

  it("a delayed_job_roles the deploy sets is the role", async () => {
    const repo = pluginApp('set :delayed_job_workers, 3\nset :delayed_job_roles, [:db]\n', STAGES, { "bin/delayed_job": "#!/usr/bin/env ruby\n" }, { delayed_job: "4.1.11", "capistrano3-delayed-job": "1.7.6" }, 'require "capistrano/delayed-job"\n');
    const m = await analyzeFiles(repo, "parcel");
    expect(m.workers!.find((x) => x.backend === "delayed-job")!.roles).toEqual(["db"]);
    const { stages } = emitAndBuild(m);
    expect(find(stages["production"]!, "Deployment", "worker-delayed-job").spec.replicas).toBe(6);
    expect(find(stages["staging"]!, "Deployment", "worker-delayed-job").spec.replicas).toBe(3);
  });
});
