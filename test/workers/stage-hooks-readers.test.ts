// The worker readers that take a start from the deploy's own tasks see each stage's own hooks: a
// start hooked only in config/deploy/production.rb never ran on staging's servers, so staging's
// overlay gets none of that worker, with why in MIGRATION.md. Covered here:
// - capistrano-sidekiq with `set :sidekiq_default_hooks, false` and a restart hooked in one stage's file;
// - a repo task that restarts the backend through monit (monitored-restarts.ts) or runs its command;
// - a per-stage Sidekiq unit whose restart is hooked in one stage's file (sidekiq-line.ts);
// - a task that links shared/config/database.yml, hooked in one stage's file (run-tasks.ts per stage);
// - a task that uploads the servers' linked sidekiq.yml, hooked in one stage's file (sidekiq-linked.ts).
// Judged by real cap 3.17 per stage with a recording backend (cap-ran.ts); capistrano-sidekiq is not
// installed here, so its tasks are a stand-in in the shape of its 1.x sidekiq.rake.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { capRan, hostsOf, removeCapRuns } from "./cap-ran.js";

const lock = (gems: string[]) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.split(" ")[0]}\n`).join("")}\nBUNDLED WITH\n   2.5.10\n`;
const gemfile = (gems: string[]) => `source "https://rubygems.org"\n${gems.map((g) => `gem "${g.split(" ")[0]}"\n`).join("")}`;
const BASE = ["capistrano (3.17.2)", "pg (1.5.6)", "puma (6.4.2)", "rails (7.1.3)"];

/** The app "wren": two stages; production has two job servers, staging one box with every role. */
function wren(gems: string[], o: { capfile?: string; deploy?: string[]; production?: string[]; staging?: string[]; files?: Record<string, string> }): Record<string, string> {
  const all = [...BASE, ...gems];
  return {
    Gemfile: gemfile(all),
    "Gemfile.lock": lock(all),
    Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\n${o.capfile ?? ""}`,
    "config/deploy.rb": ['set :application, "wren"', 'set :repo_url, "https://git.example.org/wren.git"', 'set :deploy_to, "/srv/wren"', ...(o.deploy ?? []), ""].join("\n"),
    "config/deploy/production.rb": ['server "web1.wren.example.net", roles: %w[web app db]', 'server "q1.wren.example.net", roles: %w[app worker]', 'server "q2.wren.example.net", roles: %w[app worker]', ...(o.production ?? []), ""].join("\n"),
    "config/deploy/staging.rb": ['server "box.wren-staging.example.net", roles: %w[web app db worker]', ...(o.staging ?? []), ""].join("\n"),
    "config/puma.rb": "threads 5, 5\n",
    ...(o.files ?? {}),
  };
}

/** capistrano-sidekiq 1.x in its shape: its default hooks are added at deploy time when sidekiq_default_hooks holds. */
const SIDEKIQ_PLUGIN = `namespace :load do
  task :defaults do
    set :sidekiq_default_hooks, true
    set :sidekiq_roles, fetch(:sidekiq_role, :app)
  end
end
namespace :deploy do
  before :starting, :check_sidekiq_hooks do
    invoke "sidekiq:add_default_hooks" if fetch(:sidekiq_default_hooks)
  end
end
namespace :sidekiq do
  task :add_default_hooks do
    after "deploy:published", "sidekiq:start"
  end
  task :start do
    on roles(fetch(:sidekiq_roles)) do
      execute :sidekiq_stand_in, "start"
    end
  end
  task :restart do
    on roles(fetch(:sidekiq_roles)) do
      execute :sidekiq_stand_in, "restart"
    end
  end
end
`;
const SK_GEMS = ["capistrano-sidekiq (1.0.3)", "sidekiq (6.4.1)"];
const SK_FILES = { "config/sidekiq.yml": ":concurrency: 5\n:queues:\n  - default\n" };
const skApp = (deploy: string[], production: string[]) => wren(SK_GEMS, { capfile: 'require "capistrano/sidekiq"\n', deploy, production, files: SK_FILES });
const SK = {
  // default hooks off in every stage; the restart hooked in production.rb only
  off: skApp(["set :sidekiq_default_hooks, false"], ['after "deploy:published", "sidekiq:restart"']),
  // default hooks off in production only: staging's deploy still starts it by the plugin's own hook
  offInProduction: skApp([], ["set :sidekiq_default_hooks, false", 'after "deploy:published", "sidekiq:restart"']),
  // default hooks off in every stage, and no hook of its tasks anywhere: no deploy started it
  noHook: skApp(["set :sidekiq_default_hooks, false"], []),
  // the restart hooked in deploy.rb: every stage
  hookedEverywhere: skApp(["set :sidekiq_default_hooks, false", 'after "deploy:published", "sidekiq:restart"'], []),
};

// A repo task restarts Resque through monit (the check lives on the servers), hooked in production.rb only.
const task = (name: string, line: string) => ["namespace :workers do", `  task :${name} do`, "    on roles(:worker) do", `      execute "${line}"`, "    end", "  end", "end"];
const MONIT = wren(["resque (2.6.0)"], { deploy: task("bounce", "sudo monit restart resque_worker_wren"), production: ['after "deploy:published", "workers:bounce"'] });
// A repo task runs Sidekiq itself, hooked in production.rb only.
const SK_LINE = wren(["sidekiq (6.4.1)"], { deploy: task("boot", "cd #{current_path} && bundle exec sidekiq -d -e production -C config/sidekiq.yml"), production: ['after "deploy:published", "workers:boot"'], files: SK_FILES });

// One unit of the repo for production's Sidekiq; the task restarting it is hooked in production.rb only.
const UNIT = "[Unit]\nDescription=jobs\n[Service]\nExecStart=/bin/bash -lc 'cd /srv/wren/current && bundle exec sidekiq -C config/sidekiq.yml'\n[Install]\nWantedBy=multi-user.target\n";
const SK_UNIT = wren(["sidekiq (6.4.1)"], {
  deploy: ["namespace :jobs do", "  task :bounce do", "    on roles(:worker) do", '      execute :sudo, :systemctl, :restart, "sidekiq-production"', "    end", "  end", "end"],
  production: ['after "deploy:published", "jobs:bounce"'],
  files: { ...SK_FILES, "config/systemd/sidekiq-production.service": UNIT },
});

// Staging's file evaluates a file of hooks the analysis does not follow: real cap restarts the unit there too.
const SK_UNIT_EVAL = {
  ...SK_UNIT,
  "config/deploy/staging.rb": `${SK_UNIT["config/deploy/staging.rb"]}instance_eval(File.read(File.expand_path("../../jobs_hooks.rb", __FILE__)))\n`,
  "config/jobs_hooks.rb": 'after "deploy:published", "jobs:bounce"\n',
};

// A task restarts the servers' own Resque unit (its unit file is not in the repo), hooked in production.rb;
// staging's file evaluates a file of hooks the analysis does not follow, which hooks it there too.
const resqueUnit = (staging: string[], files: Record<string, string> = {}) =>
  wren(["resque (2.6.0)"], {
    deploy: ["namespace :jobs do", "  task :bounce_resque do", "    on roles(:worker) do", '      execute :sudo, :systemctl, :restart, "resque-wren"', "    end", "  end", "end"],
    production: ['after "deploy:published", "jobs:bounce_resque"'],
    staging,
    files,
  });
const RESQUE_UNIT_EVAL = resqueUnit(['instance_eval(File.read(File.expand_path("../../resque_hooks.rb", __FILE__)))'], { "config/resque_hooks.rb": 'after "deploy:published", "jobs:bounce_resque"\n' });
const RESQUE_UNIT = resqueUnit([]);

// A task links the servers' database.yml into the release, hooked in production.rb only.
const LINK = wren([], {
  deploy: ["namespace :config do", "  task :link_db do", "    on roles(:app) do", '      execute :ln, "-nfs", "#{shared_path}/config/database.yml", "#{release_path}/config/database.yml"', "    end", "  end", "end"],
  production: ['before "deploy:published", "config:link_db"'],
});

// sidekiq.yml is linked on every stage; the task uploading the servers' copy is hooked in production.rb only.
const UPLOAD = wren(["sidekiq (6.4.1)"], {
  deploy: [
    "set :linked_files, %w[config/sidekiq.yml]",
    "namespace :uploads do",
    "  task :sidekiq_config do",
    "    on roles(:worker) do",
    '      upload! "config/deploy/files/#{fetch(:stage)}/sidekiq.yml", "#{shared_path}/config/sidekiq.yml"',
    "    end",
    "  end",
    "end",
  ],
  production: ['before "deploy:published", "uploads:sidekiq_config"'],
  files: { ...SK_FILES, "config/deploy/files/production/sidekiq.yml": ":concurrency: 9\n" },
});

const replicas = (objs: unknown[], suffix: string) => (find(objs as never, "Deployment", suffix) as { spec: { replicas: number } }).spec.replicas;
const guide = (m: AppModel) => {
  const answers = defaultAnswers(m, {});
  return emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
};

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  for (const [k, files] of Object.entries(SK)) capRan(`sk-${k}`, files, ["production", "staging"], { "capistrano/sidekiq.rb": SIDEKIQ_PLUGIN });
  capRan("monit", MONIT, ["production", "staging"]);
  capRan("sk-line", SK_LINE, ["production", "staging"]);
  capRan("sk-unit", SK_UNIT, ["production", "staging"]);
  capRan("sk-unit-eval", SK_UNIT_EVAL, ["production", "staging"]);
  capRan("link", LINK, ["production", "staging"]);
  capRan("resque-unit-eval", RESQUE_UNIT_EVAL, ["production", "staging"]);
  capRan("upload", UPLOAD, ["production", "staging"]);
}, 300_000);

afterAll(() => {
  removeTrees();
  removeCapRuns();
});

describe("capistrano-sidekiq with sidekiq_default_hooks false", () => {
  const SK_RAN = /sidekiq_stand_in (start|restart)/;

  it("a restart hooked in production.rb only: staging's deploy started no Sidekiq, so its overlay runs none, said in MIGRATION.md", async () => {
    expect(hostsOf("sk-off", "production", SK_RAN)).toEqual(["q1.wren.example.net", "q2.wren.example.net", "web1.wren.example.net"]);
    expect(hostsOf("sk-off", "staging", SK_RAN)).toEqual([]);
    const m = await analyzeFiles(memoryRepo(SK.off), "wren");
    const w = m.workers.find((x) => x.backend === "sidekiq" && x.carried)!;
    expect(w.offStages?.["staging"]?.why).toBe(`require "capistrano/sidekiq" adds none of its own hooks there (set :sidekiq_default_hooks, false at config/deploy.rb:4), and stage staging's deploy runs no hook of Sidekiq's tasks: after "deploy:published", "sidekiq:restart" is only in the deploy of stage production (config/deploy/production.rb:4)`);
    expect(w.offStages?.["production"]).toBeUndefined();
    const { stages } = emitAndBuild(m);
    for (const stage of ["production", "staging"]) expect(replicas(stages[stage]!, "-worker")).toBe(hostsOf("sk-off", stage, SK_RAN).length);
    const row = guide(m).split("\n").find((l) => l.startsWith("- `deployment/") && l.includes(w.name))!;
    expect(row).toContain("none on staging (require \"capistrano/sidekiq\" adds none of its own hooks there");
  });

  it("no hook of its tasks anywhere: no stage's deploy started it; the worker stays (the app has it), labelled, and the line is named", async () => {
    for (const stage of ["production", "staging"]) expect(hostsOf("sk-noHook", stage, SK_RAN)).toEqual([]);
    const m = await analyzeFiles(memoryRepo(SK.noHook), "wren");
    const w = m.workers.find((x) => x.backend === "sidekiq" && x.carried)!;
    expect(w.offStages).toBeUndefined();
    expect(Object.keys(w.notStartedByDeploy ?? {})).toEqual(["production", "staging"]);
    expect(w.notStartedByDeploy!["staging"]!.source).toEqual({ file: "config/deploy.rb", line: 4 });
    const p = m.problems.filter((x) => x.message.startsWith("workers.not-started-by-deploy:"));
    expect(p.map((x) => [x.file, x.line])).toEqual([["config/deploy.rb", 4]]);
    expect(p[0]!.message).toContain('require "capistrano/sidekiq" adds none of its own hooks on stages production, staging (set :sidekiq_default_hooks, false at config/deploy.rb:4)');
    const { stages } = emitAndBuild(m);
    // the servers the plugin's own tasks run on (sidekiq_roles :app): what `cap <stage> sidekiq:start` started
    expect(replicas(stages["production"]!, "-worker")).toBe(3);
    expect(replicas(stages["staging"]!, "-worker")).toBe(1);
    const row = guide(m).split("\n").find((l) => l.startsWith("- `deployment/") && l.includes(w.name))!;
    expect(row).toContain("kept, though the old deploy did not start it, on production (");
  });

  it.each([
    ["set false in production.rb only: staging's deploy keeps the plugin's own hook", "offInProduction"],
    ["the restart hooked in deploy.rb: every stage's deploy runs it", "hookedEverywhere"],
  ])("%s", async (_, k) => {
    expect(hostsOf(`sk-${k}`, "staging", SK_RAN)).toEqual(["box.wren-staging.example.net"]);
    const m = await analyzeFiles(memoryRepo(SK[k as keyof typeof SK]), "wren");
    expect(m.workers.find((x) => x.backend === "sidekiq" && x.carried)!.offStages).toBeUndefined();
    const { stages } = emitAndBuild(m);
    for (const stage of ["production", "staging"]) expect(replicas(stages[stage]!, "-worker")).toBe(hostsOf(`sk-${k}`, stage, SK_RAN).length);
  });
});

describe("a repo task that starts the backend, hooked in production.rb only", () => {
  it("through monit: production's worker servers restarted it, staging's none; staging's overlay runs no Resque", async () => {
    expect(hostsOf("monit", "production", /monit restart resque_worker_wren/)).toEqual(["q1.wren.example.net", "q2.wren.example.net"]);
    expect(hostsOf("monit", "staging", /monit restart/)).toEqual([]);
    const m = await analyzeFiles(memoryRepo(MONIT), "wren");
    const w = m.workers.find((x) => x.backend === "resque" && x.carried)!;
    expect(w.offStages?.["staging"]?.why).toBe(`stage staging's deploy runs no hook of the task that starts Resque (workers:bounce): after "deploy:published", "workers:bounce" is only in the deploy of stage production (config/deploy/production.rb:4)`);
    expect(m.problems.find((p) => p.file === "config/deploy.rb" && p.line === 7)!.message).toContain("(hooked at config/deploy/production.rb:4, in the deploy of stage production only)");
    const { stages } = emitAndBuild(m);
    expect(replicas(stages["production"]!, "-worker-resque")).toBeGreaterThan(0);
    expect(replicas(stages["staging"]!, "-worker-resque")).toBe(0);
    expect(guide(m)).toContain("none on staging (stage staging's deploy runs no hook of the task that starts Resque (workers:bounce)");
  });

  it("a sidekiq line: staging's overlay runs no Sidekiq", async () => {
    expect(hostsOf("sk-line", "production", /bundle exec sidekiq/)).toEqual(["q1.wren.example.net", "q2.wren.example.net"]);
    expect(hostsOf("sk-line", "staging", /sidekiq/)).toEqual([]);
    const m = await analyzeFiles(memoryRepo(SK_LINE), "wren");
    const w = m.workers.find((x) => x.backend === "sidekiq" && x.carried)!;
    expect(Object.keys(w.offStages ?? {})).toEqual(["staging"]);
    const { stages } = emitAndBuild(m);
    expect(replicas(stages["production"]!, "-worker")).toBeGreaterThan(0);
    expect(replicas(stages["staging"]!, "-worker")).toBe(0);
  });
});

describe("production's own Sidekiq unit, restarted by a hook in production.rb only (sidekiq-line.ts)", () => {
  it("staging's deploy never restarted it: staging runs none from it", async () => {
    expect(hostsOf("sk-unit", "production", /systemctl restart sidekiq-production/)).toEqual(["q1.wren.example.net", "q2.wren.example.net"]);
    expect(hostsOf("sk-unit", "staging", /systemctl/)).toEqual([]);
    const m = await analyzeFiles(memoryRepo(SK_UNIT), "wren");
    const w = m.workers.find((x) => x.backend === "sidekiq" && x.carried)!;
    expect(w.perStage?.["staging"]?.processes).toBe(0);
    const { stages } = emitAndBuild(m);
    expect(replicas(stages["staging"]!, "-worker")).toBe(0);
  });
});

describe("production's own Sidekiq unit, where staging's run evaluates code not followed", () => {
  it("staging's deploy may restart it (real cap does): staging keeps it", async () => {
    expect(hostsOf("sk-unit-eval", "staging", /systemctl restart sidekiq-production/)).toEqual(["box.wren-staging.example.net"]);
    const m = await analyzeFiles(memoryRepo(SK_UNIT_EVAL), "wren");
    expect(m.stages.find((s) => s.name === "staging")!.unfollowedLoad?.call).toBe("instance_eval");
    const w = m.workers.find((x) => x.backend === "sidekiq" && x.carried)!;
    expect(w.perStage?.["staging"]?.processes).toBe(1);
  });
});

describe("a restart of the servers' own unit hooked in production.rb only (offStagesOf)", () => {
  it("staging's run evaluates code not followed, which hooks it (real cap restarts it there): staging is not declared off, and the doubt is named", async () => {
    expect(hostsOf("resque-unit-eval", "staging", /systemctl restart resque-wren/)).toEqual(["box.wren-staging.example.net"]);
    const m = await analyzeFiles(memoryRepo(RESQUE_UNIT_EVAL), "wren");
    const w = m.workers.find((x) => x.backend === "resque" && x.carried)!;
    expect(w.offStages?.["staging"]).toBeUndefined();
    const doubt = m.problems.find((p) => p.message.startsWith("workers.stage-hook-doubt: stage staging keeps"))!;
    expect([doubt.file, doubt.line]).toEqual(["config/deploy/staging.rb", 2]);
    expect(doubt.message).toContain("calls `instance_eval` on code not followed statically");
    const { stages } = emitAndBuild(m);
    expect(replicas(stages["staging"]!, "-worker-resque")).toBeGreaterThan(0);
  });

  it("without that call staging's deploy never restarted it: staging runs none", async () => {
    const m = await analyzeFiles(memoryRepo(RESQUE_UNIT), "wren");
    const w = m.workers.find((x) => x.backend === "resque" && x.carried)!;
    expect(Object.keys(w.offStages ?? {})).toEqual(["staging"]);
  });
});

describe("a link task hooked in production.rb only (run-tasks.ts per stage)", () => {
  it("links the servers' database.yml on production only", async () => {
    expect(hostsOf("link", "production", /ln -nfs .*database\.yml/)).toEqual(["q1.wren.example.net", "q2.wren.example.net", "web1.wren.example.net"]);
    expect(hostsOf("link", "staging", /ln /)).toEqual([]);
    const m = await analyzeFiles(memoryRepo(LINK), "wren");
    expect(m.linked.filter((l) => l.path === "config/database.yml").map((l) => l.stages)).toEqual([["production"]]);
  });
});

describe("an upload of the linked sidekiq.yml hooked in production.rb only (sidekiq-linked.ts)", () => {
  it("the warning says which stage's deploy uploads the servers' copy", async () => {
    expect(hostsOf("upload", "production", /files\/production\/sidekiq\.yml/)).toEqual(["q1.wren.example.net", "q2.wren.example.net"]);
    expect(hostsOf("upload", "staging", /sidekiq\.yml/)).toEqual([]);
    const m = await analyzeFiles(memoryRepo(UPLOAD), "wren");
    const p = m.problems.find((x) => x.message.startsWith("sidekiq.config-linked:"))!;
    expect(p.message).toContain("(stages production, staging)");
    expect(p.message).toContain("the deploy uploads the servers' copy (config/deploy.rb:8 from config/deploy/files/#{fetch(:stage)}/sidekiq.yml, on stage production only)");
  });
});
