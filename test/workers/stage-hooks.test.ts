// Hooks and tasks written in one stage's own file (config/deploy/<stage>.rb) exist in that stage's
// deploy only: `cap staging deploy` never loads production.rb. A worker that only such a hook starts
// ran on that stage's servers alone, so the other overlays get none of it (HookDef.stages,
// WorkerFacts.offStages, analyzers/workers/stage-hooks.ts). dlss-capistrano's role, set in one stage's
// file, places that stage's units on its own role.
// Judged by real cap 3.17 per stage with a recording backend: which host got which command when
// deploy:published (and the hooks after it) ran. Plugins not installed here are stand-ins in their
// shape (capistrano-resque's resque:restart on :resque_worker; dlss-stand-in.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { STAND_IN } from "./dlss-stand-in.js";
import { capRan, hostsOf, removeCapRuns } from "./cap-ran.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { defaultAnswers } from "../kustomize/answers.js";

const lock = (gems: string[]) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.split(" ")[0]}\n`).join("")}\nBUNDLED WITH\n   2.5.10\n`;
const gemfile = (gems: string[]) => `source "https://rubygems.org"\n${gems.map((g) => `gem "${g.split(" ")[0]}"\n`).join("")}`;
const BASE = ["capistrano (3.17.2)", "pg (1.5.6)", "puma (6.4.2)", "rails (7.1.3)"];

/** capistrano-resque is not installed here: its restart, in its shape (on :resque_worker). */
const RESQUE_STAND_IN = `namespace :resque do
  task :restart do
    on roles(:resque_worker) do
      execute :rake, "resque:restart-stand-in"
    end
  end
end
`;

const replicas = (objs: unknown[], suffix: string) => (find(objs as never, "Deployment", suffix) as { spec: { replicas: number } }).spec.replicas;

// capistrano-resque, restarted by a hook in production.rb only; staging has a resque_worker server too.
const RESQUE_GEMS = [...BASE, "capistrano-resque (0.2.3)", "resque (2.6.0)"];
const RESQUE: Record<string, string> = {
  Gemfile: gemfile(RESQUE_GEMS),
  "Gemfile.lock": lock(RESQUE_GEMS),
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano-resque"\n',
  "config/deploy.rb": ['set :application, "plover"', 'set :repo_url, "https://git.example.org/plover.git"', 'set :deploy_to, "/srv/plover"', 'set :workers, { "mail,default" => 2 }', ""].join("\n"),
  "config/deploy/production.rb": [
    'server "web1.plover.example.net", roles: %w[web app db]',
    'server "q1.plover.example.net", roles: %w[app resque_worker]',
    'server "q2.plover.example.net", roles: %w[app resque_worker]',
    "",
    'after "deploy:published", "resque:restart"',
    "",
  ].join("\n"),
  "config/deploy/staging.rb": ['server "box1.plover-staging.example.net", roles: %w[web app db resque_worker]', ""].join("\n"),
  "config/puma.rb": "threads 5, 5\n",
};

// The repo's own Sidekiq restart, defined in deploy.rb, hooked in production.rb only; a task defined
// in production.rb alone.
const SIDEKIQ_GEMS = [...BASE, "sidekiq (7.2.4)"];
const SIDEKIQ: Record<string, string> = {
  Gemfile: gemfile(SIDEKIQ_GEMS),
  "Gemfile.lock": lock(SIDEKIQ_GEMS),
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": [
    'set :application, "tern"',
    'set :repo_url, "https://git.example.org/tern.git"',
    'set :deploy_to, "/srv/tern"',
    "",
    "namespace :jobs do",
    "  task :bounce do",
    "    on roles(:jobs) do",
    '      execute :sudo, :systemctl, :restart, "tern-sidekiq"',
    "    end",
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/deploy/production.rb": [
    'server "web1.tern.example.net", roles: %w[web app db]',
    'server "jobs1.tern.example.net", roles: %w[app jobs]',
    'server "jobs2.tern.example.net", roles: %w[app jobs]',
    "",
    'after "deploy:published", "jobs:bounce"',
    "",
    "namespace :deploy do",
    "  task :warm_cache do",
    "    on roles(:web) do",
    '      execute :curl, "-s", "http://localhost/"',
    "    end",
    "  end",
    "end",
    'after "deploy:published", "deploy:warm_cache"',
    "",
  ].join("\n"),
  "config/deploy/staging.rb": ['server "box1.tern-staging.example.net", roles: %w[web app db jobs]', ""].join("\n"),
  "config/sidekiq.yml": ":concurrency: 5\n:queues:\n  - default\n",
  "config/puma.rb": "threads 5, 5\n",
};

// dlss-capistrano's sneakers plugin: deploy.rb's role, and staging.rb's own.
const DLSS_GEMS = [...BASE, "dlss-capistrano (6.1.1)", "sneakers (2.12.0)"];
const DLSS: Record<string, string> = {
  Gemfile: gemfile(DLSS_GEMS),
  "Gemfile.lock": lock(DLSS_GEMS),
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "dlss/capistrano"\n',
  "config/deploy.rb": ['set :application, "auk"', 'set :repo_url, "https://git.example.org/auk.git"', 'set :deploy_to, "/srv/auk"', "set :sneakers_systemd_role, :consumers", "set :sneakers_systemd_use_hooks, true", ""].join("\n"),
  "config/deploy/production.rb": ['server "web1.auk.example.net", roles: %w[web app db]', 'server "c1.auk.example.net", roles: %w[app consumers]', ""].join("\n"),
  "config/deploy/staging.rb": ['server "s1.auk-staging.example.net", roles: %w[web app db]', 'server "s2.auk-staging.example.net", roles: %w[app]', "set :sneakers_systemd_role, :app", ""].join("\n"),
  "config/puma.rb": "threads 5, 5\n",
};

// A1: production.rb evaluates the text of staging.rb, whose hook restarts Resque: real cap runs the
// restart in both stages. The evaluated code is not followed here, so production is never said to run no hook.
const EVALED = (how: string): Record<string, string> => ({
  ...RESQUE,
  "config/deploy/production.rb": [how, 'server "web1.plover.example.net", roles: %w[web app db]', 'server "q1.plover.example.net", roles: %w[app resque_worker]', ""].join("\n"),
  "config/deploy/staging.rb": ['server "box1.plover-staging.example.net", roles: %w[web app db resque_worker]', "", 'after "deploy:published", "resque:restart"', ""].join("\n"),
});
const EVAL_FORMS: Record<string, string> = {
  instance_eval: 'instance_eval(File.read(File.expand_path("../staging.rb", __FILE__)))',
  eval: 'eval File.read("config/deploy/staging.rb")',
};

// A2: a task of every stage's deploy runs Resque's restart by name; production.rb also hooks the restart itself.
const THROUGH = (body: string): Record<string, string> => ({
  ...RESQUE,
  Capfile: `${RESQUE["Capfile"]}Dir.glob("lib/capistrano/tasks/*.rake").each { |f| import f }\n`,
  "lib/capistrano/tasks/queues.rake": body,
});
const THROUGH_FORMS: Record<string, string> = {
  invoke: ["namespace :queues do", "  task :cycle do", '    invoke "resque:restart"', "  end", "end", 'after "deploy:published", "queues:cycle"', ""].join("\n"),
  prerequisite: ["namespace :queues do", '  task :cycle => "resque:restart"', "end", 'after "deploy:published", "queues:cycle"', ""].join("\n"),
};

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  capRan("resque", RESQUE, ["production", "staging"], { "capistrano-resque.rb": RESQUE_STAND_IN });
  capRan("sidekiq", SIDEKIQ, ["production", "staging"]);
  capRan("dlss", DLSS, ["production", "staging"], { "dlss/capistrano.rb": STAND_IN });
  for (const [k, how] of Object.entries(EVAL_FORMS)) capRan(`eval-${k}`, EVALED(how), ["production", "staging"], { "capistrano-resque.rb": RESQUE_STAND_IN });
  for (const [k, body] of Object.entries(THROUGH_FORMS)) capRan(`through-${k}`, THROUGH(body), ["production", "staging"], { "capistrano-resque.rb": RESQUE_STAND_IN });
}, 300_000);

afterAll(() => {
  removeTrees();
  removeCapRuns();
});

describe("a hook in one stage's file runs in that stage's deploy only", () => {
  it("real cap: production's deploy restarts Resque on its resque_worker servers, staging's on none", () => {
    expect(hostsOf("resque", "production", /resque:restart-stand-in/)).toEqual(["q1.plover.example.net", "q2.plover.example.net"]);
    expect(hostsOf("resque", "staging", /resque:restart-stand-in/)).toEqual([]);
  });

  it("the hook carries its stage; a hook of deploy.rb none", async () => {
    const m = await analyzeFiles(memoryRepo(SIDEKIQ), "tern");
    expect(m.capistrano!.hooks.filter((h) => h.task === "jobs:bounce")).toEqual([{ kind: "after", target: "deploy:published", task: "jobs:bounce", source: { file: "config/deploy/production.rb", line: 5 }, stages: ["production"] }]);
    expect(m.capistrano!.tasks.find((t) => t.name === "jobs:bounce")!.stages).toBeUndefined();
    // A task defined in production.rb exists in production only.
    expect(m.capistrano!.tasks.find((t) => t.name === "deploy:warm_cache")!.stages).toEqual(["production"]);
  });

  it("capistrano-resque: the workers run on production's servers as real cap restarted them, none on staging", async () => {
    const m = await analyzeFiles(memoryRepo(RESQUE), "plover");
    const w = m.workers.find((x) => x.backend === "resque" && x.carried)!;
    expect(w.offStages?.["staging"]?.why).toBe(`stage staging's deploy runs no hook of Resque's tasks: after "deploy:published", "resque:restart" is only in the deploy of stage production (config/deploy/production.rb:5)`);
    expect(w.offStages?.["production"]).toBeUndefined();
    const { stages } = emitAndBuild(m);
    // :workers { "mail,default" => 2 } on each server the restart reached.
    expect(replicas(stages["production"]!, w.name)).toBe(2 * hostsOf("resque", "production", /resque:restart-stand-in/).length);
    expect(replicas(stages["staging"]!, w.name)).toBe(hostsOf("resque", "staging", /resque:restart-stand-in/).length);
    // MIGRATION.md counts production's processes and says staging ran none, with why.
    const answers = defaultAnswers(m, {});
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    const row = md.split("\n").find((l) => l.startsWith("- `deployment/") && l.includes(w.name))!;
    expect(row).toContain("processes per server: production 2, each one pod");
    expect(row).toContain("none on staging (stage staging's deploy runs no hook of Resque's tasks");
  });

  it("a conditional hook in one stage's file keeps its doubt there, and is none elsewhere", async () => {
    const f = { ...RESQUE, "config/deploy/production.rb": RESQUE["config/deploy/production.rb"]!.replace('"resque:restart"', '"resque:restart" if ENV["WITH_QUEUES"]') };
    const m = await analyzeFiles(memoryRepo(f), "plover");
    expect(m.capistrano!.conditionalHooks?.map((h) => h.stages)).toEqual([["production"]]);
    const w = m.workers.find((x) => x.backend === "resque" && x.carried)!;
    expect(Object.keys(w.offStages ?? {})).toEqual(["staging"]);
    const { stages } = emitAndBuild(m);
    expect(replicas(stages["production"]!, w.name)).toBe(4);
    expect(replicas(stages["staging"]!, w.name)).toBe(0);
  });

  it("the repo's own Sidekiq restart, hooked in production.rb: production's jobs servers, none on staging", async () => {
    expect(hostsOf("sidekiq", "production", /systemctl restart tern-sidekiq/)).toEqual(["jobs1.tern.example.net", "jobs2.tern.example.net"]);
    expect(hostsOf("sidekiq", "staging", /systemctl restart tern-sidekiq/)).toEqual([]);
    // The task defined in production.rb ran in production's deploy only.
    expect(hostsOf("sidekiq", "production", /curl/)).toEqual(["web1.tern.example.net"]);
    expect(hostsOf("sidekiq", "staging", /curl/)).toEqual([]);
    const m = await analyzeFiles(memoryRepo(SIDEKIQ), "tern");
    expect(m.sidekiq!.started!["production"]!.processes).toBe(2);
    expect(m.sidekiq!.started!["staging"]!.processes).toBe(0);
    expect(m.sidekiq!.started!["staging"]!.why).toContain("the hook after deploy:published is only in the deploy of stage production (config/deploy/production.rb:5)");
    const { stages } = emitAndBuild(m);
    for (const stage of ["production", "staging"]) expect(replicas(stages[stage]!, "-worker")).toBe(hostsOf("sidekiq", stage, /systemctl restart tern-sidekiq/).length);
  });
});

describe("a stage is never said to run no hook of a backend when its reading may be incomplete", () => {
  for (const [k, how] of Object.entries(EVAL_FORMS))
    it(`production.rb runs staging.rb's text by ${k}: real cap restarts Resque in both stages; production keeps its workers, the doubt named`, async () => {
      expect(hostsOf(`eval-${k}`, "production", /resque:restart-stand-in/).length).toBeGreaterThan(0);
      expect(hostsOf(`eval-${k}`, "staging", /resque:restart-stand-in/)).toEqual(["box1.plover-staging.example.net"]);
      const m = await analyzeFiles(memoryRepo(EVALED(how)), "plover");
      expect(m.stages.find((s) => s.name === "production")!.unfollowedLoad).toEqual({ call: k, source: { file: "config/deploy/production.rb", line: 1 } });
      const w = m.workers.find((x) => x.backend === "resque" && x.carried)!;
      expect(w.offStages).toBeUndefined();
      expect(m.problems.some((p) => p.file === "config/deploy/production.rb" && p.line === 1 && p.message.startsWith("workers.stage-hook-doubt: Resque runs on stage production") && p.message.includes(`\`${k}\``))).toBe(true);
      const { stages } = emitAndBuild(m);
      expect(replicas(stages["production"]!, w.name)).toBeGreaterThan(0);
      expect(replicas(stages["staging"]!, w.name)).toBe(2);
    });

  for (const [k, body] of Object.entries(THROUGH_FORMS))
    it(`a task hooked in every stage runs resque:restart by ${k}: real cap restarts Resque on staging; staging keeps its workers, the doubt named`, async () => {
      expect(hostsOf(`through-${k}`, "staging", /resque:restart-stand-in/)).toEqual(["box1.plover-staging.example.net"]);
      const m = await analyzeFiles(memoryRepo(THROUGH(body)), "plover");
      const w = m.workers.find((x) => x.backend === "resque" && x.carried)!;
      expect(w.offStages).toBeUndefined();
      expect(m.problems.some((p) => p.file === "lib/capistrano/tasks/queues.rake" && p.message.startsWith("workers.stage-hook-doubt: Resque runs on stage staging") && p.message.includes("runs resque:restart"))).toBe(true);
      const { stages } = emitAndBuild(m);
      for (const stage of ["production", "staging"]) expect(replicas(stages[stage]!, w.name)).toBe(2 * hostsOf(`through-${k}`, stage, /resque:restart-stand-in/).length);
    });
});

describe("dlss-capistrano: a stage's own <backend>_systemd_role places its units", () => {
  it("real cap: production starts sneakers on its consumers server, staging on its two app servers", () => {
    expect(hostsOf("dlss", "production", /systemctl start sneakers/)).toEqual(["c1.auk.example.net"]);
    expect(hostsOf("dlss", "staging", /systemctl start sneakers/)).toEqual(["s1.auk-staging.example.net", "s2.auk-staging.example.net"]);
  });

  it("each overlay's replicas are its own role's servers", async () => {
    const m = await analyzeFiles(memoryRepo(DLSS), "auk");
    const w = m.workers.find((x) => x.backend === "sneakers")!;
    expect(w.perStage!["staging"]!.roles).toEqual(["app"]);
    expect(w.evidence.map((e) => e.value)).toContain(`require "dlss/capistrano": dlss-capistrano 6.1.1's sneakers_systemd plugin starts the sneakers unit on roles by stage: :consumers (production); :app (staging)`);
    const { stages } = emitAndBuild(m);
    for (const stage of ["production", "staging"]) expect(replicas(stages[stage]!, "-worker-sneakers")).toBe(hostsOf("dlss", stage, /systemctl start sneakers/).length);
  });
});
