// Sidekiq's own default concurrency, by the version the lockfile holds, where nothing sets one: 25
// threads up to 5.1 ("5.2.0: Decrease default concurrency from 25 to 10 [#3892]", Sidekiq's
// changelog, Debian's /usr/share/doc/ruby-sidekiq/changelog.gz), 10 from 5.2 through 6.x (Debian's
// 6.4.1 here: DEFAULTS concurrency 10), 5 from 7.0 (docs/7.0-Upgrade.md). The app is this test's own
// (pluginApp's "parcel"): capistrano-sidekiq started Sidekiq 3.4 with one queue and no config file,
// so the servers ran 25 threads; the Deployment must run 25 and MIGRATION.md's provenance must say
// whose default it is. The command is booted with Debian's Sidekiq against a real Redis, which must
// register concurrency 25. A config file's concurrency still wins over any default.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { defaultWorkerResources } from "../../emitters/kustomize/rules/resources.js";
import { sidekiqDefaultConcurrency } from "../../emitters/kustomize/rules/sidekiq.js";
import { emitAndBuild, find, type Built } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { Procs } from "../container/procs.js";
import { registeredSidekiq, startRedis } from "./real-sidekiq.js";
import { pluginApp } from "./app.js";

const STAGES = {
  production: 'server "jobs1.parcel.example.org", roles: %w[web app db]\nset :rails_env, "production"\nset :sidekiq_queue, "ingest"\n',
};
const container = (o: any) => o.spec.template.spec.containers[0];
const app = (sidekiq: string | null, extra: Record<string, string> = {}, deploy = "") =>
  analyzeFiles(pluginApp(deploy, STAGES, { Procfile: "web: bundle exec puma -C config/puma.rb\n", ...extra }, sidekiq ? { sidekiq, "capistrano-sidekiq": "0.5.4" } : { "capistrano-sidekiq": "0.5.4" }, 'require "capistrano/sidekiq"\n'), "parcel");

let m: AppModel;
let built: Built;
beforeAll(async () => {
  requireKubectl();
  await initPrism();
  m = await app("3.4.2");
  built = emitAndBuild(m);
}, 120_000);
afterAll(() => removeTrees());

describe("Sidekiq's default concurrency by its locked version", () => {
  it("follows the changelog: 25 before 5.2.0, 10 from 5.2 to 6.x, 5 from 7", async () => {
    const at = async (v: string) => sidekiqDefaultConcurrency(await app(v));
    expect((await at("3.4.2")).value).toBe(25);
    expect((await at("5.1.3")).value).toBe(25);
    expect((await at("5.2.0")).value).toBe(10);
    expect((await at("6.5.12")).value).toBe(10);
    expect((await at("7.0.2")).value).toBe(5);
    expect((await at("5.1.3")).of).toBe("Sidekiq 5.1's default");
  });

  it("Sidekiq 3.4 with nothing setting it: the Deployment runs 25 threads, sized for 25", () => {
    const d = find(built.stages["production"]!, "Deployment", "parcel-worker");
    expect(container(d).args).toEqual(["bundle", "exec", "sidekiq", "-c", "25", "-q", "ingest"]);
    expect(container(d).resources).toEqual(defaultWorkerResources(25));
  });

  it("MIGRATION.md's provenance labels the -c as Sidekiq 3.4's default, at the lockfile's sidekiq line", () => {
    const p = built.result.provenance.filter((x) => /sidekiq concurrency/.test(x.what));
    expect(p.map((x) => x.what)).toEqual(["production: sidekiq concurrency 25 → -c 25, Sidekiq 3.4's default: nothing sets it (no -c on its command line, no config file)"]);
    expect(p[0]!.source).toEqual(m.rails.gems["sidekiq"]!.source);
  });

  it("no locked sidekiq version: the default used is named as one whose version is not known", async () => {
    const a = await app(null);
    const b = emitAndBuild(a);
    const p = b.result.provenance.find((x) => /sidekiq concurrency/.test(x.what));
    expect(p?.what).toMatch(/^production: sidekiq concurrency 10 → -c 10, Sidekiq 5\.2–6\.x's default \(Gemfile\.lock locks no sidekiq version/);
  });

  it("a Sidekiq config the deploy renders from a repo template, which no start line read passes: the default is said beside it", async () => {
    const task = [
      "namespace :deploy do",
      "  task :upload_sidekiq do",
      "    on roles(:app) do",
      '      tpl = ERB.new File.read("config/deploy/templates/sidekiq.yml.erb")',
      '      upload! StringIO.new(tpl.result(binding)), File.join(shared_path, "sidekiq.yml")',
      "    end",
      "  end",
      "end",
      "",
    ].join("\n");
    const a = await app("3.4.2", { "config/deploy/templates/sidekiq.yml.erb": ":concurrency: 6\n" }, task);
    const b = emitAndBuild(a);
    const note = b.result.notes.find((n) => /Sidekiq threads/.test(n.message));
    expect(note?.message).toBe(
      "production: the worker runs 25 Sidekiq threads, Sidekiq 3.4's default, but the deploy's deploy:upload_sidekiq renders config/deploy/templates/sidekiq.yml.erb onto the servers, and no start line the analysis read passes that file: if the servers' Sidekiq read it (-C), it ran that file's concurrency; set the worker's -c to it",
    );
    expect(note?.source.file).toBe("config/deploy.rb");
  });

  it("a config file's concurrency wins over the default, and no default is cited", async () => {
    const a = await app("3.4.2", { "config/sidekiq.yml": ":concurrency: 4\n:queues:\n  - ingest\n" });
    const b = emitAndBuild(a);
    const d = find(b.stages["production"]!, "Deployment", "parcel-worker");
    expect(container(d).resources).toEqual(defaultWorkerResources(4));
    expect(b.result.provenance.filter((x) => /default/.test(x.what) && /concurrency/.test(x.what))).toEqual([]);
  });
});

describe("the Deployment's command, started with Debian's Sidekiq against a real Redis", () => {
  const procs = new Procs();
  const T = mkdtempSync(join(tmpdir(), "r2k-skdefault-"));
  afterAll(async () => {
    await procs.stopAll();
    rmSync(T, { recursive: true, force: true });
  });

  it("registers concurrency 25 and the stage's queue", async () => {
    writeFileSync(join(T, "jobs.rb"), 'require "sidekiq"\n');
    const redis = await startRedis(procs, T);
    const args: string[] = container(find(built.stages["production"]!, "Deployment", "parcel-worker")).args;
    const { child, info } = await registeredSidekiq(procs, redis, "sidekiq", [...args.slice(3), "-r", "./jobs.rb"], { cwd: T, env: { RAILS_ENV: "production" }, log: join(T, "sidekiq.log") });
    expect(info, `sidekiq ${args.slice(3).join(" ")} never registered`).not.toBeNull();
    expect({ queues: info!.queues, concurrency: info!.concurrency }).toEqual({ queues: ["ingest"], concurrency: 25 });
    child.kill("SIGTERM");
    await Procs.exited(child, 20_000);
  }, 90_000);
});
