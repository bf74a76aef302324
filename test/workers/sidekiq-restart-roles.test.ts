// A Capistrano 3 deploy without capistrano-sidekiq that restarts Sidekiq's service itself, inside
// `on roles(:reports)`, while the `worker` role belongs to another job runner. Sidekiq ran where that
// task ran it, not on the worker servers. Judged by real Capistrano: the repo's own sidekiq:restart
// is invoked under `cap <stage>` with a recording SSHKit backend, and the hosts that got the restart
// command are the servers that ran Sidekiq. Where the unit's file is not in the repo, what it ran
// is on the servers: said at the restart line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { capApp, capJson, hostRecorder } from "../capistrano/cap-record.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (1.5.6)\n    puma (6.4.2)\n    rails (7.1.3)\n    sidekiq (7.2.4)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  pg\n  puma\n  rails\n  sidekiq\n\nBUNDLED WITH\n   2.5.10\n";
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "pg"\ngem "sidekiq"\n',
  "Gemfile.lock": LOCK,
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
  "config/deploy.rb": [
    'set :application, "ledger"',
    'set :repo_url, "https://git.example.org/ledger.git"',
    'set :deploy_to, "/srv/ledger"',
    "",
  ].join("\n"),
  "lib/capistrano/tasks/jobs.rake": [
    "namespace :sidekiq do",
    "  task :restart do",
    "    on roles(:reports) do",
    '      execute :sudo, :systemctl, :restart, "sidekiq-ledger"',
    "    end",
    "  end",
    "end",
    "namespace :ingest do",
    "  task :restart do",
    "    on roles(:worker) do",
    "      execute :sudo, :service, :ledger_ingest, :restart",
    "    end",
    "  end",
    "end",
    'after "deploy:published", "sidekiq:restart"',
    'after "deploy:published", "ingest:restart"',
    "",
  ].join("\n"),
  "config/deploy/production.rb": [
    'server "web1.ledger.example.net", roles: %w[web app db worker]',
    'server "web2.ledger.example.net", roles: %w[web app worker]',
    'server "rep1.ledger.example.net", roles: %w[worker reports]',
    'server "rep2.ledger.example.net", roles: %w[reports]',
    'server "rep3.ledger.example.net", roles: %w[reports]',
    "",
  ].join("\n"),
  "config/deploy/staging.rb": ['server "s1.ledger.example.net", roles: %w[web app db worker]', 'server "s2.ledger.example.net", roles: %w[reports]', ""].join("\n"),
  "config/sidekiq.yml": ":concurrency: 5\n:queues:\n  - default\n",
  "config/puma.rb": "threads 5, 5\n",
};

/** Invokes the repo's sidekiq:restart with a backend that records each command with its host. */
const ORACLE = hostRecorder("r2k:ran", 'invoke "sidekiq:restart"');

const cleanup: string[] = [];
const ran: Record<string, string[]> = {};

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  const { app } = capApp(FILES, "r2k-sk-restart-", ORACLE, cleanup);
  for (const st of ["production", "staging"]) {
    const cmds = capJson<[string, string][]>(app, st, "r2k:ran", "R2K-RAN");
    ran[st] = [...new Set(cmds.filter(([, c]) => /systemctl restart sidekiq-ledger/.test(c)).map(([h]) => h))];
  }
}, 120_000);

afterAll(() => {
  removeTrees();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe("Sidekiq restarted by the deploy's own task, on roles(:reports)", () => {
  it("real cap runs the restart on the reports servers only", () => {
    expect(ran["production"]!.sort()).toEqual(["rep1.ledger.example.net", "rep2.ledger.example.net", "rep3.ledger.example.net"]);
    expect(ran["staging"]).toEqual(["s2.ledger.example.net"]);
  });

  it("replicas per stage are the servers the restart ran on, and say so", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "ledger");
    const { stages } = emitAndBuild(m);
    for (const st of ["production", "staging"]) {
      const worker = find(stages[st]!, "Deployment", "-worker") as { spec: { replicas: number } };
      expect(worker.spec.replicas, st).toBe(ran[st]!.length);
    }
    expect(m.sidekiq!.started!["production"]!.roles).toEqual(["reports"]);
    expect(m.sidekiq!.started!["production"]!.why).toMatch(/^the deploy restarts sidekiq-ledger on roles\(:reports\) \(lib\/capistrano\/tasks\/jobs\.rake:4\): 3 server\(s\) of stage production, one process each/);
    expect(m.sidekiq!.evidence.map((e) => e.value)).toContain("production: rep2.ledger.example.net has the reports role");
    expect(m.sidekiq!.evidence.map((e) => e.value).some((v) => /has the worker role/.test(v))).toBe(false);
  });

  it("the unit's file is not in the repo: a warning at the restart line says the command is Sidekiq's own, not the unit's", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "ledger");
    const w = m.problems.filter((p) => /^Sidekiq: the deploy restarts the unit `sidekiq-ledger`/.test(p.message));
    expect(w.map((p) => `${p.file}:${p.line}`)).toEqual(["lib/capistrano/tasks/jobs.rake:4"]);
    expect(w[0]!.message).toMatch(/on roles\(:reports\), whose ExecStart \(or init script\) is on the servers, not in the repo/);
  });

  it("with the unit kept in the repo, the roles still come from the restart, and nothing says it is missing", async () => {
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/systemd/sidekiq-ledger.service": "[Service]\nExecStart=/usr/local/bin/bundle exec sidekiq -C config/sidekiq.yml\n" }), "ledger");
    expect(m.sidekiq!.started!["production"]!.processes).toBe(3);
    expect(m.problems.some((p) => /restarts the unit `sidekiq-ledger`/.test(p.message))).toBe(false);
  });
});
