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
import { HEARTBEAT_ENV, heartbeatProbeCommand } from "../../emitters/kustomize/rules/health.js";
import { workerGracePeriod } from "../../emitters/kustomize/rules/shutdown.js";
import type { AppModel } from "../../src/model.js";
import { requireKubectl, removeTrees } from "./kubectl.js";
import { emitAndBuild, find } from "./built.js";
import { validateObject } from "./validate.js";
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

  it("no server with a worker role: one server's worth, delayed_job_workers of them, said as a default", () => {
    // The plugin's own role is :app; servers listing only web/app/db hold none of the worker role names.
    const m: AppModel = structuredClone(helpdesk);
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    for (const st of m.stages) for (const sv of st.servers) sv.roles = sv.roles.filter((r) => !w.roles.includes(r));
    const { stages, result } = emitAndBuild(m);
    expect(find(stages["production"]!, "Deployment", "-worker-delayed-job").spec.replicas).toBe(2);
    expect(result.provenance.some((p) => /worker-delayed-job replicas 2 \(default: no server of stage production has a [^)]*role, so one server × delayed_job_workers 2\)/.test(p.what))).toBe(true);
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
  it("capistrano-resque's :workers: one Deployment per entry, QUIT from the preStop, replicas = count × resque_worker servers per stage", () => {
    const { stages } = emitAndBuild(courier);
    const prod = stages["production"]!;
    const staging = stages["staging"]!;
    for (const objs of [prod, staging]) for (const o of objs) validateObject(o);
    const mail = find(prod, "Deployment", "-worker-resque-mail");
    const work = container(mail);
    // environment from :resque_environment_task; INTERVAL and VERBOSE are the plugin's defaults.
    expect(work.args).toEqual(["bundle", "exec", "rake", "environment", "resque:work"]);
    expect(work.env).toContainEqual({ name: "QUEUE", value: "mail" });
    expect(work.env).toContainEqual({ name: "INTERVAL", value: "5" });
    expect(work.env.map((e: any) => e.name)).not.toContain("BACKGROUND");
    expect(work.lifecycle.preStop.exec.command.join(" ")).toMatch(/kill -QUIT "\$pid"/);
    expect(mail.spec.replicas).toBe(4); // "mail" => 2 on each of the two resque_worker servers
    expect(find(prod, "Deployment", "-worker-resque-all").spec.replicas).toBe(2); // "*" => 1
    expect(container(find(prod, "Deployment", "-worker-resque-all")).env).toContainEqual({ name: "QUEUE", value: "*" });
    expect(find(prod, "Deployment", "-worker-resque-import-export").spec.replicas).toBe(0); // only staging's hash has it
    // Staging's own hash: one box.
    expect(find(staging, "Deployment", "-worker-resque-mail").spec.replicas).toBe(1);
    expect(find(staging, "Deployment", "-worker-resque-import-export").spec.replicas).toBe(2);
    expect(container(find(staging, "Deployment", "-worker-resque-import-export")).env).toContainEqual({ name: "QUEUE", value: "import,export" });
    expect(find(staging, "Deployment", "-worker-resque-all").spec.replicas).toBe(0);
    const sched = find(prod, "Deployment", "-worker-resque-scheduler");
    expect(container(sched).lifecycle.preStop.exec.command.join(" ")).toMatch(/kill -TERM "\$pid"/);
    expect(sched.spec.replicas).toBe(1);
    // The Procfile's and monit's resque:work lines stay evidence; they did not decide the command.
    const w = courier.workers!.find((x) => x.name === "worker-resque-mail")!;
    expect(w.commandFrom).toBe("capistrano");
    expect(w.commandNote).toMatch(/Procfile:2/);
    expect(w.evidence.some((e) => e.source.file === "config/monit/resque.monitrc")).toBe(true);
  });

  it("MIGRATION.md names each Resque worker with its processes per server and the replica rule", () => {
    const answers = defaultAnswers(courier, {});
    const md = emitMigrationGuide(courier, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(courier, answers) }))).content;
    for (const n of ["worker-resque-mail", "worker-resque-all", "worker-resque-import-export", "worker-resque-scheduler"]) expect(md).toContain(`\`deployment/courier-${n}\``);
    expect(md).toMatch(/courier-worker-resque-all`: Resque, `QUEUE=\* INTERVAL=5 VERBOSE=1 bundle exec rake environment resque:work` \(from the Capistrano plugin's settings/);
    expect(md).toMatch(/processes per server: production 1, staging 0 \(not in stage staging's :workers\), each one pod/);
    expect(md).toMatch(/stop their resque-scheduler, Resque workers only once/);
    expect(md).not.toMatch(/\*\*Not carried\*\*/);
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
      expect(find(objs, "Deployment", "-worker-resque-mail").spec.strategy.type).toBe("RollingUpdate");
    }
    expect(find(stages["production"]!, "Deployment", "-worker-resque-all").spec.replicas).toBe(2);
    expect(result.provenance.some((p) => /resque-scheduler replicas 1 \(one, always: a scheduler/.test(p.what))).toBe(true);
    const answers = defaultAnswers(m, {});
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(md).toMatch(/resque-scheduler[^\n]*exactly one pod on every stage, replaced with Recreate/);
  });
});

describe("a scheduler the stage did not start", () => {
  it("resque-scheduler: 0 replicas on a stage whose servers lack its role, with the reason; 1 where a server has it", () => {
    const m: AppModel = structuredClone(courier);
    const staging = m.stages.find((s) => s.name === "staging")!;
    for (const sv of staging.servers) sv.roles = sv.roles.filter((r) => r !== "resque_scheduler");
    const { stages, result } = emitAndBuild(m);
    expect(find(stages["staging"]!, "Deployment", "-worker-resque-scheduler").spec.replicas).toBe(0);
    expect(find(stages["production"]!, "Deployment", "-worker-resque-scheduler").spec.replicas).toBe(1);
    expect(result.provenance.some((p) => /resque-scheduler replicas 0 \(none: no server of stage staging has a resque_scheduler\b/.test(p.what))).toBe(true);
  });
});

describe("a scheduler whose roles the deploy never named", () => {
  // The servers ran the Procfile's scheduler under monit, on servers with only web/app/db roles: no
  // stage places it by role, so no stage's servers lacking its role mean it did not run there.
  it("resque-scheduler from the Procfile: one replica on every stage when no server of any stage has a scheduler or worker role", () => {
    const m: AppModel = structuredClone(courier);
    const sched = m.workers!.find((w) => w.backend === "resque-scheduler")!;
    expect(sched.commandFrom).toBe("procfile");
    expect(sched.rolesGuessed).toBe(true);
    for (const st of m.stages) for (const sv of st.servers) sv.roles = sv.roles.filter((r) => !sched.roles.includes(r));
    const { stages, result } = emitAndBuild(m);
    for (const name of Object.keys(stages)) expect(find(stages[name]!, "Deployment", "-worker-resque-scheduler").spec.replicas).toBe(1);
    expect(result.provenance.some((p) => /resque-scheduler replicas 0/.test(p.what))).toBe(false);
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

/** A small Capistrano + Puma app in memory, two stages, with the given extra files and lockfile gems. */
function jobsApp(gems: Record<string, string>, extra: Record<string, string>, deploy = "") {
  const all = { rails: "7.2.1", puma: "6.4.2", pg: "1.5.6", ...gems };
  return memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/puma"\n',
    "config/deploy.rb": `set :application, "dispatch"\nset :repo_url, "git@git.example.org:ops/dispatch.git"\n${deploy}`,
    "config/deploy/production.rb": 'server "p1.dispatch.example.org", roles: %w[web app db worker]\nset :rails_env, "production"\n',
    "config/deploy/staging.rb": 'server "s1.dispatch.example.org", roles: %w[web app db worker]\nset :rails_env, "staging"\n',
    Gemfile: `source "https://rubygems.org"\n${Object.keys(all).map((g) => `gem "${g}"`).join("\n")}\n`,
    "Gemfile.lock": `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(all).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(all).map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.5.10\n`,
    "config/puma.rb": "threads 5, 5\n",
    ...extra,
  });
}

const guide = (m: AppModel) => {
  const answers = defaultAnswers(m, {});
  return emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
};

describe("GoodJob and Solid Queue where the web server ran them", () => {
  it("GoodJob :async in every stage: no worker Deployment; MIGRATION.md says the web pods carry its jobs, not 'Not carried'", async () => {
    const m = await analyzeFiles(jobsApp({ good_job: "3.29.4" }, { "config/initializers/good_job.rb": "Rails.application.configure do\n  config.good_job.execution_mode = :async\nend\n" }), "dispatch");
    const { stages } = emitAndBuild(m);
    for (const objs of Object.values(stages)) {
      for (const o of objs) validateObject(o);
      expect(objs.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name)).toEqual(["dispatch-web"]);
    }
    const md = guide(m);
    expect(md).toMatch(/- GoodJob: no Deployment, it ran inside the web server \(production: `config.good_job.execution_mode = :async`: jobs run in threads of the web server process; staging: .*`config\/initializers\/good_job.rb:2`\)\. The web pods now run its jobs too: their grace period bounds/);
    expect(md).not.toMatch(/\*\*Not carried\*\*/);
    expect(md).not.toMatch(/keep their GoodJob workers running/);
  });

  it("GoodJob :async in production only: the worker Deployment runs 0 replicas there, 1 on staging (GoodJob's default :external)", async () => {
    const m = await analyzeFiles(jobsApp({ good_job: "3.29.4" }, { "config/environments/production.rb": "Rails.application.configure do\n  config.good_job.execution_mode = :async_server\nend\n" }), "dispatch");
    const { stages } = emitAndBuild(m);
    for (const objs of Object.values(stages)) for (const o of objs) validateObject(o);
    expect(find(stages["production"]!, "Deployment", "-worker-good-job").spec.replicas).toBe(0);
    expect(find(stages["staging"]!, "Deployment", "-worker-good-job").spec.replicas).toBe(1);
    expect(guide(m)).toMatch(/processes per server: production 0 \(`config.good_job.execution_mode = :async_server`: jobs run in threads of the web server process\), staging 1, each one pod/);
  });
});

describe("drain timeouts from the command line reach the grace period through workerGracePeriod", () => {
  it("sidekiq -t 40 in the Procfile: the container runs with -t 40 and its grace period is workerGracePeriod(40)", async () => {
    const m = await analyzeFiles(
      jobsApp({ sidekiq: "7.2.4" }, { "config/sidekiq.yml": ":concurrency: 5\n:timeout: 25\n:queues:\n  - default\n", Procfile: "web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq -C config/sidekiq.yml -t 40\n" }),
      "dispatch",
    );
    const { stages } = emitAndBuild(m);
    const d = find(stages["production"]!, "Deployment", "-worker");
    validateObject(d);
    expect(container(d).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "-t", "40"]);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(40));
  });

  it("good_job --shutdown-timeout 45 in a Procfile line: grace workerGracePeriod(45)", async () => {
    const m = await analyzeFiles(jobsApp({ good_job: "3.29.4" }, { Procfile: "web: bundle exec puma -C config/puma.rb\njobs: bundle exec good_job start --shutdown-timeout 45\n" }), "dispatch");
    const { stages } = emitAndBuild(m);
    const d = find(stages["production"]!, "Deployment", "-worker-good-job");
    validateObject(d);
    expect(container(d).args).toEqual(["bundle", "exec", "good_job", "start", "--shutdown-timeout", "45"]);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(45));
    expect(guide(m)).toMatch(/`deployment\/dispatch-worker-good-job`: GoodJob, .*45s to drain, then/);
  });
});
