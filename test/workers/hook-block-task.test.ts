// Capistrano 3's hook with a block (`after :restart, :bounce_job_units do … end` inside
// `namespace :deploy`) defines the task deploy:bounce_job_units and runs it after deploy:restart
// (dsl/task_enhancements.rb: define_task in the hook's namespace, then Rake's lookup from the hooked
// task's scope). Every reader that follows hooks reads it under that one name: the Sidekiq restart
// inside it places the worker, and a copy from shared/ inside another such block is the servers' file.
// The restart names a unit glob, `sidekiq-*`: systemctl restarts every unit of that pattern the server
// has, so the units are the servers' and their count per server is not known: a floor, said so.
// Judged by real cap with a recording backend: which hosts got which command, and that the task
// exists under the namespaced name.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { capApp, capJson, hostRecorder } from "../capistrano/cap-record.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.2)\n    pg (1.5.6)\n    puma (6.4.2)\n    rails (7.1.3)\n    sidekiq (7.2.4)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  pg\n  puma\n  rails\n  sidekiq\n\nBUNDLED WITH\n   2.5.10\n";
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "pg"\ngem "sidekiq"\ngem "capistrano"\n',
  "Gemfile.lock": LOCK,
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": [
    'set :application, "heron"',
    'set :repo_url, "https://git.example.org/heron.git"',
    'set :deploy_to, "/srv/heron"',
    "",
    "namespace :deploy do",
    "  before :publishing, :place_db_config do",
    "    on roles(:app) do",
    '      execute :cp, "#{shared_path}/settings/database.yml", release_path.join("config/database.yml")',
    "    end",
    "  end",
    "",
    "  after :restart, :bounce_job_units do",
    "    on roles(:jobs) do",
    '      sudo :systemctl, "restart", "sidekiq-*", raise_on_non_zero_exit: false',
    "    end",
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/deploy/production.rb": [
    'server "web1.heron.example.net", roles: %w[web app db]',
    'server "jobs1.heron.example.net", roles: %w[app jobs]',
    'server "jobs2.heron.example.net", roles: %w[app jobs]',
    "",
  ].join("\n"),
  "config/database.yml": "production:\n  adapter: postgresql\n  database: heron_production\n",
  "config/sidekiq.yml": ":concurrency: 5\n:queues:\n  - default\n",
  "config/puma.rb": "threads 5, 5\n",
};

/** Invokes `what` with a backend that records each command with its host. */
const ORACLE = hostRecorder("r2k:ran", "invoke args[:what]", ":what");

const cleanup: string[] = [];
let app = "";
/** Real cap: each invoked task's [host, command] pairs. */
const ran: Record<string, [string, string][]> = {};

const capRan = (what: string): [string, string][] => capJson(app, "production", `r2k:ran[${what}]`, "R2K-RAN");

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  app = capApp(FILES, "r2k-hook-block-", ORACLE, cleanup).app;
  for (const t of ["deploy:restart", "deploy:publishing", "deploy:bounce_job_units"]) ran[t] = capRan(t);
}, 120_000);

afterAll(() => {
  removeTrees();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const hostsOf = (cmds: [string, string][], re: RegExp) => [...new Set(cmds.filter(([, c]) => re.test(c)).map(([h]) => h))].sort();

describe("a hook written with a block defines <namespace>:<name>, hooked on <namespace>:<target>", () => {
  it("real cap: deploy:restart runs the glob restart on the :jobs servers; the task is deploy:bounce_job_units; deploy:publishing runs the copy", () => {
    expect(hostsOf(ran["deploy:restart"]!, /systemctl restart sidekiq-\*/)).toEqual(["jobs1.heron.example.net", "jobs2.heron.example.net"]);
    expect(hostsOf(ran["deploy:bounce_job_units"]!, /systemctl restart sidekiq-\*/)).toEqual(["jobs1.heron.example.net", "jobs2.heron.example.net"]);
    expect(hostsOf(ran["deploy:publishing"]!, /\bcp .*settings\/database\.yml/)).toHaveLength(3);
  });

  it("the hooks carry the names Rake runs", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "heron");
    expect(m.capistrano!.hooks).toEqual([
      { kind: "before", target: "deploy:publishing", task: "deploy:place_db_config", source: { file: "config/deploy.rb", line: 6 } },
      { kind: "after", target: "deploy:restart", task: "deploy:bounce_job_units", source: { file: "config/deploy.rb", line: 12 } },
    ]);
  });

  it("the glob restart places Sidekiq on roles(:jobs), as many servers as real cap restarted, labelled a floor, with the glob warning", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "heron");
    const st = m.sidekiq!.started!["production"]!;
    expect(st.roles).toEqual(["jobs"]);
    expect(st.processes).toBe(hostsOf(ran["deploy:restart"]!, /systemctl restart sidekiq-\*/).length);
    expect(st.why).toMatch(/^the deploy restarts sidekiq-\* on roles\(:jobs\) \(config\/deploy\.rb:14\): 2 server\(s\) of stage production, at least one process each \(sidekiq-\* is a glob: how many units per server is on the servers; this is a floor\)$/);
    // Never a unit called `sidekiq-`.
    expect(JSON.stringify(m)).not.toMatch(/sidekiq-[^*\w]/);
    const glob = m.problems.filter((p) => p.message.startsWith("sidekiq.unit-glob"));
    expect(glob.map((p) => [p.file, p.line])).toEqual([["config/deploy.rb", 14]]);
    expect(glob[0]!.message).toContain("a glob: how many units per server is on the servers");
    const { stages } = emitAndBuild(m);
    const worker = find(stages["production"]!, "Deployment", "-worker") as { spec: { replicas: number } };
    expect(worker.spec.replicas).toBe(2);
  });

  it("the copy in the other block is the deploy's: the servers' database.yml, not an unhooked copy", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "heron");
    expect(m.problems.find((p) => p.message.startsWith("capistrano.copy-unhooked"))).toBeUndefined();
    const l = m.linked.find((x) => x.path === "config/database.yml");
    expect([l?.via, l?.source.line]).toEqual(["cp", 8]);
    expect(m.problems.find((p) => p.message.startsWith("database.servers-copy"))).toBeDefined();
  });
});
