// resque-pool started by the deploy's own task (`on roles(:queue) do execute "sudo systemctl restart
// resque-pool" end`, no capistrano-resque-pool): the servers that ran it are those of the task's
// roles, whatever they are called, and the replicas follow them. A worker placed by the usual role
// names only says that those names are a fallback, each name once. Files written for this test.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";

const lock = (gems: Record<string, string>) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.5.10\n`;
const gems = { rails: "6.1.7", puma: "6.4.2", resque: "2.6.0", "resque-pool": "0.7.1" };
const files = (task: string) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": `set :application, "ferry"\nset :deploy_to, "/srv/ferry"\n${task}`,
    "config/deploy/production.rb": 'server "a1.ferry.example.org", roles: %w[web app db]\nserver "a2.ferry.example.org", roles: %w[web app]\nserver "q1.ferry.example.org", roles: %w[app queue]\n',
    "config/resque-pool.yml": "production:\n  mail: 2\n",
    Gemfile: `source "https://rubygems.org"\n${Object.keys(gems).map((g) => `gem "${g}"`).join("\n")}\n`,
    "Gemfile.lock": lock(gems),
    "config/puma.rb": "threads 5, 5\n",
  });

describe("the roles of the task that starts a backend", () => {
  it("are where resque-pool ran: one :queue server × the pool's count", async () => {
    const task = `namespace :deploy do\n  desc "Restart resque-pool"\n  task :pool_restart do\n    on roles(:queue) do\n      execute "sudo /bin/systemctl restart resque-pool"\n    end\n  end\n  after :published, :pool_restart\nend\n`;
    const m = await analyzeFiles(files(task), "ferry");
    const w = m.workers!.find((x) => x.backend === "resque" && x.carried)!;
    expect(w.roles).toEqual(["queue"]);
    const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
    expect(spec.stages.map((s) => s.replicas)).toEqual([2]);
    expect(spec.stages[0]!.replicasWhy).toMatch(/servers with a queue role/);
  });

  it("the usual role names, when nothing says where it ran, are a stated fallback, each once", async () => {
    const task = `namespace :deploy do\n  task :pool_restart do\n    execute "sudo /bin/systemctl restart resque-pool"\n  end\n  after :published, :pool_restart\nend\n`;
    const m = await analyzeFiles(files(task), "ferry");
    const w = m.workers!.find((x) => x.backend === "resque" && x.carried)!;
    const why = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!.stages[0]!.replicasWhy;
    expect(why).toMatch(/a fallback/);
    expect(why).not.toMatch(/resque\/resque\//);
  });
});
