// A copy from shared/ counts as the servers' file only in a task the deploy runs (a hooked task), as
// deploy-task-lines.ts reads task lines: a task no hook runs ("by hand only") is no part of the
// deploy. Such a copy is named (capistrano.copy-unhooked), not taken as what the servers ran.
// Links (`ln`) are still read from every task body (unchanged here).
import { describe, expect, it } from "vitest";
import { memoryRepo } from "../../src/repo.js";
import { analyzeFiles } from "../../src/analyze.js";

const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.split(" ")[0]}\n`).join("")}`;

const files = (hook: string) => ({
  Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\n`,
  "Gemfile.lock": LOCK(["rails (6.1.7)", "pg (1.4.5)", "capistrano (3.17.1)"]),
  "config/deploy/production.rb": `server "quill1.example.org", user: "deploy", roles: %w[app web db]\n`,
  "config/database.yml": `production:\n  adapter: postgresql\n  database: quill_prod\n`,
  "config/deploy.rb": [
    `set :application, "quill"`,
    `set :repo_url, "git@example.org:quill.git"`,
    `set :deploy_to, "/srv/quill"`,
    `namespace :ops do`,
    `  desc "By hand only: try a scratch database config on the live release"`,
    `  task :scratch_db do`,
    `    on roles(:app) do`,
    `      execute :cp, "#{shared_path}/scratch/database.yml", release_path.join("config/database.yml")`,
    `    end`,
    `  end`,
    `end`,
    hook,
    ``,
  ].join("\n"),
});

describe("a copy from shared/ in a task", () => {
  it("no hook runs the task: not the servers' copy, and named", async () => {
    const m = await analyzeFiles(memoryRepo(files("")), "quill");
    expect(m.linked.find((x) => x.path === "config/database.yml")).toBeUndefined();
    expect(m.problems.find((p) => p.message.startsWith("database.servers-copy"))).toBeUndefined();
    const w = m.problems.find((p) => p.message.startsWith("capistrano.copy-unhooked"));
    expect(w?.message).toContain("task ops:scratch_db");
    expect([w?.file, w?.line]).toEqual(["config/deploy.rb", 8]);
  });

  it("a hook runs the task: the servers' shared/config/database.yml", async () => {
    const m = await analyzeFiles(memoryRepo(files(`after "deploy:updating", "ops:scratch_db"`)), "quill");
    const l = m.linked.find((x) => x.path === "config/database.yml");
    expect([l?.via, l?.source.line]).toEqual(["cp", 8]);
    expect(m.problems.find((p) => p.message.startsWith("database.servers-copy"))).toBeDefined();
    expect(m.problems.find((p) => p.message.startsWith("capistrano.copy-unhooked"))).toBeUndefined();
  });
});
