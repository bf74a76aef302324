// A Capistrano 3 deploy with a task that restarts Sidekiq's service inside `on roles(:app)`. Where
// a hook runs that task, the deploy ran Sidekiq on the :app servers; where nothing hooks it (a task
// kept to run by hand), the deploy never ran it, so it places nothing and the usual worker roles
// stand. Judged by real Capistrano: `cap production r2k:ran` invokes deploy:published (the point the
// hook names) with a recording SSHKit backend, and the hosts that got the restart command are where
// the deploy restarted Sidekiq; invoking the task itself shows it would run on the :app servers.
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
const OPS = (hooked: boolean) =>
  [
    "namespace :ops do",
    '  desc "Restart the job processes by hand"',
    "  task :kick_sidekiq do",
    "    on roles(:app) do",
    '      execute :sudo, :systemctl, :restart, "sidekiq-x"',
    "    end",
    "  end",
    "end",
    hooked ? 'after "deploy:published", "ops:kick_sidekiq"' : "",
    "",
  ].join("\n");
const FILES = (hooked: boolean): Record<string, string> => ({
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "pg"\ngem "sidekiq"\n',
  "Gemfile.lock": LOCK,
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
  "config/deploy.rb": 'set :application, "sorrel"\nset :repo_url, "https://git.example.org/sorrel.git"\nset :deploy_to, "/srv/sorrel"\n',
  "lib/capistrano/tasks/ops.rake": OPS(hooked),
  "config/deploy/production.rb": [
    'server "app1.sorrel.example.net", roles: %w[web app db]',
    'server "job1.sorrel.example.net", roles: %w[worker]',
    'server "job2.sorrel.example.net", roles: %w[worker]',
    "",
  ].join("\n"),
  "config/sidekiq.yml": ":concurrency: 5\n:queues:\n  - default\n",
  "config/puma.rb": "threads 5, 5\n",
});

/** Invokes `what` with a backend that records each command with its host. */
const ORACLE = hostRecorder("r2k:ran", "invoke args[:what]", ":what");

const cleanup: string[] = [];
/** Per case, the hosts real cap restarted sidekiq-x on. */
const ran: Record<string, string[]> = {};

function capRan(hooked: boolean, what: string): string[] {
  const { app } = capApp(FILES(hooked), "r2k-sk-unhooked-", ORACLE, cleanup);
  const cmds = capJson<[string, string][]>(app, "production", `r2k:ran[${what}]`, "R2K-RAN");
  return [...new Set(cmds.filter(([, c]) => /systemctl restart sidekiq-x/.test(c)).map(([h]) => h))].sort();
}

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  ran["hooked"] = capRan(true, "deploy:published");
  ran["unhooked"] = capRan(false, "deploy:published");
  ran["by hand"] = capRan(false, "ops:kick_sidekiq");
}, 120_000);

afterAll(() => {
  removeTrees();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe("a Sidekiq restart in a task the deploy may or may not run", () => {
  it("real cap: hooked, the deploy restarts it on the app server; unhooked, the deploy restarts nothing", () => {
    expect(ran["hooked"]).toEqual(["app1.sorrel.example.net"]);
    expect(ran["unhooked"]).toEqual([]);
    expect(ran["by hand"]).toEqual(["app1.sorrel.example.net"]);
  });

  it("unhooked: it places nothing, the usual worker roles stand", async () => {
    const m = await analyzeFiles(memoryRepo(FILES(false)), "sorrel");
    expect(m.sidekiq!.started?.["production"]).toBeUndefined();
    expect(m.sidekiq!.evidence.map((e) => e.value)).toContain("production: job2.sorrel.example.net has the worker role");
    const { stages } = emitAndBuild(m);
    const worker = find(stages["production"]!, "Deployment", "-worker") as { spec: { replicas: number } };
    expect(worker.spec.replicas).toBe(2);
  });

  it("hooked: Sidekiq on roles(:app), as many as real cap restarted", async () => {
    const m = await analyzeFiles(memoryRepo(FILES(true)), "sorrel");
    const st = m.sidekiq!.started!["production"]!;
    expect(st.roles).toEqual(["app"]);
    expect(st.processes).toBe(ran["hooked"]!.length);
    expect(st.why).toMatch(/^the deploy restarts sidekiq-x on roles\(:app\) \(lib\/capistrano\/tasks\/ops\.rake:5\)/);
    const { stages } = emitAndBuild(m);
    const worker = find(stages["production"]!, "Deployment", "-worker") as { spec: { replicas: number } };
    expect(worker.spec.replicas).toBe(ran["hooked"]!.length);
  });
});
