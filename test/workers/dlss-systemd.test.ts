// dlss-capistrano's <backend>_systemd plugins (workers/dlss-systemd.ts): with `<backend>_systemd_use_hooks`
// set, `<backend>_systemd:start` runs after deploy:published and starts the servers' unit on
// `<backend>_systemd_role` (:app by the gem's load:defaults). Each becomes the worker's placement, with the
// plugin as evidence and the off-repo unit named; Sidekiq's unit is a glob (a floor); Racecar, which no
// backend here models, is named with its counts.
// Judged by real cap 3.17 with a recording backend: which hosts got which `systemctl start`. The gem is
// not installed here, so cap loads a stand-in `dlss/capistrano` made from DLSS_SYSTEMD (the units,
// start lines and default role we read from the gem's v6.1.1 tasks), in the gem's shape (defaults,
// a before-deploy:starting task that adds the hooks when use_hooks is set, start on the role): what is
// judged is the repo's use of it (roles, use_hooks per stage). With R2K_DLSS_LIB set to the lib/ of the
// real gem (`git archive v6.1.1 lib` of sul-dlss/dlss-capistrano) cap imports the gem's own four
// *_systemd.rake files instead (the same four cases pass with them).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { capApp, capJson } from "../capistrano/cap-record.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { ORACLE, STAND_IN } from "./dlss-stand-in.js";

const REAL_GEM = process.env.R2K_DLSS_LIB || null;
const LOCK = (dlss: string) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.2)\n    dlss-capistrano (${dlss})\n    pg (1.5.6)\n    puma (6.4.2)\n    racecar (2.10.0)\n    rails (7.1.3)\n    sidekiq (7.2.4)\n    sneakers (2.12.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  dlss-capistrano\n  pg\n  puma\n  racecar\n  rails\n  sidekiq\n  sneakers\n\nBUNDLED WITH\n   2.5.10\n`;
const FILES = (dlss = "6.1.1"): Record<string, string> => ({
  Gemfile: 'source "https://rubygems.org"\n%w[rails puma pg sidekiq sneakers racecar capistrano dlss-capistrano].each { |g| gem g }\n',
  "Gemfile.lock": LOCK(dlss),
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "dlss/capistrano"\n',
  "config/deploy.rb": [
    'set :application, "wren"',
    'set :repo_url, "https://git.example.org/wren.git"',
    'set :deploy_to, "/srv/wren"',
    "",
    "# the queue consumers and job units are the servers' own systemd units",
    "set :sneakers_systemd_role, :consumers",
    "set :sneakers_systemd_use_hooks, true",
    "set :sidekiq_systemd_role, :jobs",
    "set :sidekiq_systemd_use_hooks, true",
    "set :racecar_systemd_use_hooks, true",
    "",
  ].join("\n"),
  "config/deploy/production.rb": [
    'server "web1.wren.example.net", roles: %w[web app db]',
    'server "jobs1.wren.example.net", roles: %w[app jobs consumers]',
    'server "jobs2.wren.example.net", roles: %w[app jobs]',
    "",
  ].join("\n"),
  "config/deploy/staging.rb": ['server "all1.wren-staging.example.net", roles: %w[web app db jobs consumers]', "set :sneakers_systemd_use_hooks, false", ""].join("\n"),
  "config/sidekiq.yml": ":concurrency: 5\n:queues:\n  - default\n",
  "config/puma.rb": "threads 5, 5\n",
});

const cleanup: string[] = [];
/** Per stage, real cap's [host, command] pairs. */
const ran: Record<string, [string, string][]> = {};

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  // The real gem's other tasks need gems not installed here (capistrano-one_time_key's otk:generate):
  // only its four *_systemd.rake files are imported, as its own dlss/capistrano.rb imports them.
  const dlss = REAL_GEM ? `Dir.glob(${JSON.stringify(join(REAL_GEM, "dlss/capistrano/tasks"))} + "/*_systemd.rake").each { |r| import r }\n` : STAND_IN;
  const { app, lib } = capApp(FILES(), "r2k-dlss-", ORACLE, cleanup, "ran.rake", { "dlss/capistrano.rb": dlss });
  for (const stage of ["production", "staging"]) ran[stage] = capJson(app, stage, "r2k:published", "R2K-RAN", { lib });
}, 120_000);

afterAll(() => {
  removeTrees();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const hostsOf = (stage: string, re: RegExp) => [...new Set(ran[stage]!.filter(([, c]) => re.test(c)).map(([h]) => h))].sort();

describe("dlss-capistrano's <backend>_systemd plugins place the workers", () => {
  it("real cap: which servers each plugin started its unit on", () => {
    expect(hostsOf("production", /systemctl start sidekiq-\* --all/)).toEqual(["jobs1.wren.example.net", "jobs2.wren.example.net"]);
    expect(hostsOf("production", /systemctl start sneakers/)).toEqual(["jobs1.wren.example.net"]);
    expect(hostsOf("production", /systemctl start racecar/)).toEqual(["jobs1.wren.example.net", "jobs2.wren.example.net", "web1.wren.example.net"]);
    expect(hostsOf("staging", /systemctl start sidekiq-\*/)).toEqual(["all1.wren-staging.example.net"]);
    expect(hostsOf("staging", /systemctl start sneakers/)).toEqual([]);
    expect(hostsOf("production", /solid_queue/)).toEqual([]);
  });

  it("Sidekiq: the plugin's role, as many servers as real cap started it on, a floor, with the glob warning", async () => {
    const m = await analyzeFiles(memoryRepo(FILES()), "wren");
    for (const stage of ["production", "staging"]) {
      const st = m.sidekiq!.started![stage]!;
      expect(st.roles).toEqual(["jobs"]);
      expect(st.processes).toBe(hostsOf(stage, /systemctl start sidekiq-\*/).length);
      expect(st.why).toContain("sidekiq-* is a glob: how many units per server is on the servers; this is a floor");
    }
    expect(m.sidekiq!.evidence.map((e) => e.value)).toContain(`require "dlss/capistrano": dlss-capistrano 6.1.1's sidekiq_systemd plugin starts the sidekiq-* unit on role :jobs`);
    const glob = m.problems.filter((p) => p.message.startsWith("sidekiq.unit-glob"));
    expect(glob.map((p) => [p.file, p.line])).toEqual([["config/deploy.rb", 9]]);
    const { stages } = emitAndBuild(m);
    for (const stage of ["production", "staging"]) {
      const worker = find(stages[stage]!, "Deployment", "-worker") as { spec: { replicas: number } };
      expect(worker.spec.replicas).toBe(hostsOf(stage, /systemctl start sidekiq-\*/).length);
    }
  });

  it("Sneakers: from the plugin (its role, its use_hooks per stage), the unit named as the servers'", async () => {
    const m = await analyzeFiles(memoryRepo(FILES()), "wren");
    const w = m.workers.find((x) => x.backend === "sneakers")!;
    expect(w.carried).toBe(true);
    expect(w.roles).toEqual(["consumers"]);
    expect(w.evidence.map((e) => e.value)).toContain(`require "dlss/capistrano": dlss-capistrano 6.1.1's sneakers_systemd plugin starts the sneakers unit on role :consumers`);
    expect(w.perStage!["staging"]!.processes).toBe(0);
    const unit = m.problems.find((p) => p.message.startsWith("sneakers: dlss-capistrano's sneakers_systemd:start"));
    expect([unit?.file, unit?.line]).toEqual(["config/deploy.rb", 7]);
    expect(unit!.message).toContain("on the servers, not in the gem or the repo");
    const { stages } = emitAndBuild(m);
    for (const stage of ["production", "staging"]) {
      const d = find(stages[stage]!, "Deployment", "-worker-sneakers") as { spec: { replicas: number } };
      expect(d.spec.replicas).toBe(hostsOf(stage, /systemctl start sneakers/).length);
    }
  });

  it("Racecar: no backend models it, so it is named with where the plugin started it", async () => {
    const m = await analyzeFiles(memoryRepo(FILES()), "wren");
    const r = m.problems.find((p) => p.message.startsWith("racecar_systemd: dlss-capistrano's racecar_systemd:start"));
    expect([r?.file, r?.line]).toEqual(["config/deploy.rb", 10]);
    expect(r!.message).toContain(`production ran it on ${hostsOf("production", /systemctl start racecar/).length} server(s)`);
    expect(r!.message).toContain("role :app");
  });

  it("a stage whose dlss hooks are off but whose deploy restarts Sidekiq by the repo's own task ran it there (not 0)", async () => {
    const f = FILES();
    f["config/deploy/staging.rb"] = 'server "all1.wren-staging.example.net", roles: %w[web app db jobs]\nset :sidekiq_systemd_use_hooks, false\n';
    f["Capfile"] += 'Dir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n';
    f["lib/capistrano/tasks/jobs.rake"] = 'namespace :jobs do\n  task :bounce do\n    on roles(:jobs) do\n      execute :sudo, :systemctl, :restart, "sidekiq"\n    end\n  end\nend\nafter "deploy:published", "jobs:bounce"\n';
    const m = await analyzeFiles(memoryRepo(f), "wren");
    const st = m.sidekiq!.started!["staging"]!;
    expect(st.processes).toBe(1);
    expect(st.why).toMatch(/^the deploy restarts sidekiq on roles\(:jobs\) \(lib\/capistrano\/tasks\/jobs\.rake:4\).*dlss-capistrano's hooks do not start it there/);
    const { stages } = emitAndBuild(m);
    expect((find(stages["staging"]!, "Deployment", "-worker") as { spec: { replicas: number } }).spec.replicas).toBe(1);
    expect((find(stages["production"]!, "Deployment", "-worker") as { spec: { replicas: number } }).spec.replicas).toBe(2);
  });

  it("a locked dlss-capistrano older than the plugin has none of it", async () => {
    const m = await analyzeFiles(memoryRepo(FILES("3.5.0")), "wren");
    expect(m.sidekiq!.started).toBeUndefined();
    expect(m.problems.find((p) => /dlss-capistrano's/.test(p.message))).toBeUndefined();
  });
});
