// Job backends other than Sidekiq, from the fixture apps helpdesk (delayed_job, capistrano3-delayed-job,
// Procfile `worker: bundle exec rails jobs:work`) and courier (Resque + resque-scheduler, Procfile,
// monit): each gets a worker Deployment with its command, drain signal, grace and replicas per
// stage, built by kubectl kustomize; MIGRATION.md names each; a backend without its gem is not
// carried and keeps its hazard.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { analyzeDir } from "../../src/analyze.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { HEARTBEAT_ENV, heartbeatProbeCommand } from "../../emitters/kustomize/rules.js";
import type { AppModel } from "../../src/model.js";
import { requireKubectl, removeTrees } from "./kubectl.js";
import { emitAndBuild, find } from "./built.js";
import { defaultAnswers } from "./answers.js";

const ROOT = join(import.meta.dirname, "../../fixtures/apps");
let helpdesk: AppModel;
let courier: AppModel;

beforeAll(async () => {
  requireKubectl();
  helpdesk = await analyzeDir(join(ROOT, "helpdesk"));
  courier = await analyzeDir(join(ROOT, "courier"));
});
afterAll(removeTrees);

const container = (o: any) => o.spec.template.spec.containers[0];

describe("delayed_job (helpdesk)", () => {
  it("is found from the lockfile, Capfile, hook and Procfile; runs the Procfile's command", () => {
    const w = helpdesk.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.carried).toBe(true);
    expect(w.args).toEqual(["bundle", "exec", "rails", "jobs:work"]);
    expect(w.commandFrom).toBe("procfile");
    expect(w.commandSource).toEqual({ file: "Procfile", line: 2 });
    expect(w.evidence.map((e) => e.value).join("\n")).toMatch(/Gemfile\.lock[\s\S]*capistrano\/delayed_job[\s\S]*delayed_job:restart[\s\S]*jobs:work/);
    expect(helpdesk.hazards.filter((h) => h.id === "workers.backend-not-migrated")).toEqual([]);
  });

  it("gets a Deployment: TERM from the preStop, grace above its drain, replicas = worker servers × delayed_job_workers", () => {
    const { stages } = emitAndBuild(helpdesk);
    const prod = find(stages["production"]!, "Deployment", "-worker-delayed-job");
    const c = container(prod);
    expect(c.args).toEqual(["bundle", "exec", "rails", "jobs:work"]);
    expect(c.lifecycle.preStop.exec.command.join(" ")).toMatch(/kill -TERM "\$pid"/);
    expect(c.livenessProbe.exec.command).toEqual(heartbeatProbeCommand());
    expect(c.env).toContainEqual(expect.objectContaining({ name: HEARTBEAT_ENV }));
    expect(prod.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(60);
    expect(prod.spec.replicas).toBe(2); // jobs1 has the worker role, delayed_job_workers 2
    expect(prod.spec.selector.matchLabels["app.kubernetes.io/component"]).toBe("worker-delayed-job");
    expect(find(stages["staging"]!, "Deployment", "-worker-delayed-job").spec.replicas).toBe(2);
    expect(() => find(stages["production"]!, "Deployment", "-worker")).toThrow(); // no Sidekiq here
  });

  it("MIGRATION.md names the worker and says to stop the old ones only once the cluster runs it", () => {
    const answers = defaultAnswers(helpdesk, {});
    const md = emitMigrationGuide(helpdesk, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(helpdesk, answers) }))).content;
    expect(md).toContain("## Workers");
    expect(md).toMatch(/`deployment\/helpdesk-worker-delayed-job`: delayed_job, `bundle exec rails jobs:work` \(from the Procfile, `Procfile:2`\)/);
    expect(md).toMatch(/stop their delayed_job workers only once the cluster runs its own \(`helpdesk-worker-delayed-job`\)/);
    expect(md).not.toMatch(/\*\*Not carried\*\*/);
  });
});

describe("Resque and resque-scheduler (courier)", () => {
  it("two Deployments: the worker drains on QUIT with its queues, the scheduler on TERM", () => {
    const { stages } = emitAndBuild(courier);
    const work = container(find(stages["production"]!, "Deployment", "-worker-resque"));
    expect(work.args).toEqual(["bundle", "exec", "rake", "environment", "resque:work"]);
    expect(work.env).toContainEqual({ name: "QUEUE", value: "mail,default" });
    expect(work.lifecycle.preStop.exec.command.join(" ")).toMatch(/kill -QUIT "\$pid"/);
    const sched = find(stages["production"]!, "Deployment", "-worker-resque-scheduler");
    expect(container(sched).lifecycle.preStop.exec.command.join(" ")).toMatch(/kill -TERM "\$pid"/);
    expect(find(stages["production"]!, "Deployment", "-worker-resque").spec.replicas).toBe(2); // two resque_worker servers
    expect(sched.spec.replicas).toBe(1);
    expect(courier.workers!.find((w) => w.backend === "resque")!.evidence.some((e) => e.source.file === "config/monit/resque.monitrc")).toBe(true);
  });
});

describe("a scheduler runs exactly one pod", () => {
  it("resque-scheduler: one replica on every stage however many servers had its role, Recreate, no PDB; the worker stays sized by its servers", () => {
    const m: AppModel = structuredClone(courier);
    // Every production server runs the scheduler too: sized like a worker it would be several.
    for (const st of m.stages) for (const sv of st.servers) if (!sv.roles.includes("resque_scheduler")) sv.roles.push("resque_scheduler");
    const { stages, result } = emitAndBuild(m);
    for (const [stage, objs] of Object.entries(stages)) {
      const sched = find(objs, "Deployment", "-worker-resque-scheduler");
      expect(sched.spec.replicas, stage).toBe(1);
      expect(sched.spec.strategy).toEqual({ type: "Recreate" });
      expect(objs.filter((o: any) => o.kind === "PodDisruptionBudget" && o.spec.selector.matchLabels["app.kubernetes.io/component"] === sched.spec.selector.matchLabels["app.kubernetes.io/component"])).toEqual([]);
      expect(objs.filter((o: any) => o.kind === "HorizontalPodAutoscaler" && o.spec.scaleTargetRef.name === sched.metadata.name)).toEqual([]);
      expect(find(objs, "Deployment", "-worker-resque").spec.strategy.type).toBe("RollingUpdate");
    }
    expect(find(stages["production"]!, "Deployment", "-worker-resque").spec.replicas).toBe(2);
    expect(result.provenance.some((p) => /resque-scheduler replicas 1 \(one, always: a scheduler/.test(p.what))).toBe(true);
    const answers = defaultAnswers(m, {});
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(md).toMatch(/resque-scheduler[^\n]*exactly one pod on every stage, replaced with Recreate/);
  });
});

describe("a backend that cannot be carried", () => {
  it("keeps the hazard and is named as not carried", async () => {
    const repo = memoryRepo({
      "Capfile": 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/delayed_job"\n',
      "config/deploy.rb": 'set :application, "tickets"\n',
      "config/deploy/production.rb": 'server "a.example.net", roles: %w[web app worker]\n',
      "Gemfile": 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\n',
      // Locked without delayed_job: the plugin is there, the gem is not, so it cannot be carried.
      "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (6.1.7)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n",
    });
    const m = await analyzeFiles(repo, "tickets");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.carried).toBe(false);
    expect(m.hazards.map((h) => h.id)).toContain("workers.backend-not-migrated");
    const answers = defaultAnswers(m, {});
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(md).toMatch(/\*\*Not carried\*\*: delayed_job/);
    expect(md).toMatch(/keep their delayed_job workers running: the cluster has none for it/);
  });
});
