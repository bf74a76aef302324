// An nginx site that only one stage's deploy installs: a link hooked in staging.rb alone (Capistrano
// 3), or a render task written in staging.rb alone (Capistrano 2 multistage). Production's servers
// never got that site, so its hosts must not reach production's edge (a staging host routed, or put
// on production's certificate). Capistrano 3 is judged by real `cap <stage> deploy:published
// --dry-run` (the hooks of deploy:published print their commands). Capistrano 2 is not installable
// here (Debian ships Capistrano 3 only): capistrano-ext's multistage.rb loads config/deploy/<stage>.rb
// of the stage named on the command line only (its `task(name) { … load "config/deploy/#{name}" }`),
// so a task and hook written there exist in that stage's deploy alone.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";

beforeAll(async () => {
  await initPrism();
});
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const SITE = (host: string) =>
  ["upstream wren { server unix:/tmp/wren.sock fail_timeout=0; }", "server {", "  listen 80;", `  server_name ${host};`, "  location / { proxy_pass http://wren; }", "}", ""].join("\n");

// Capistrano 3: deploy.rb defines the link; staging.rb alone hooks it.
const CAP3: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n',
  "config/deploy.rb": [
    'set :application, "wren"',
    'set :repo_url, "https://git.example.org/wren.git"',
    "namespace :site do",
    "  task :enable do",
    "    on roles(:web) do",
    '      execute "ln -nfs #{current_path}/config/nginx.conf /etc/nginx/sites-enabled/wren"',
    "    end",
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "web1.wren.example.org", roles: %w[web app db]\n',
  "config/deploy/staging.rb": 'set :rails_env, "staging"\nserver "stg1.wren.example.org", roles: %w[web app db]\nafter "deploy:published", "site:enable"\n',
  "config/nginx.conf": SITE("preview.wren.example.org"),
};

/** What real `cap <stage> deploy:published --dry-run` runs. */
function realCap(f: Record<string, string>, stage: string): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-stage-site-"));
  cleanup.push(dir);
  for (const [p, t] of Object.entries(f)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  const r = spawnSync("cap", [stage, "deploy:published", "--dry-run"], { cwd: dir, input: "", encoding: "utf8", env: { PATH: process.env["PATH"]!, HOME: dir, LANG: "C.UTF-8" } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

// Capistrano 2 multistage: staging.rb alone defines and hooks the task rendering the site.
const CAP2: Record<string, string> = {
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  "config/deploy.rb": [
    "set :stages, %w(production staging)",
    "set :default_stage, 'staging'",
    "require 'capistrano/ext/multistage'",
    "set :application, 'wren'",
    "set :repository, 'git@example.com:acme/wren.git'",
    "set :deploy_to, '/srv/wren'",
    "def template(from, to)",
    '  put ERB.new(File.read("config/deploy/templates/#{from}")).result(binding), to',
    "end",
    "",
  ].join("\n"),
  "config/deploy/production.rb": "set :rails_env, 'production'\nset :site_host, 'wren.example.org'\nrole :web, 'web1.internal'\nrole :app, 'web1.internal'\nrole :db, 'web1.internal', :primary => true\n",
  "config/deploy/staging.rb": [
    "set :rails_env, 'staging'",
    "set :site_host, 'preview.wren.example.org'",
    "role :web, 'stg1.internal'",
    "role :app, 'stg1.internal'",
    "role :db, 'stg1.internal', :primary => true",
    "namespace :site do",
    "  task :render do",
    '    template "nginx_site.erb", "/etc/nginx/sites-enabled/#{application}"',
    "  end",
    "end",
    'after "deploy:create_symlink", "site:render"',
    "",
  ].join("\n"),
  "config/deploy/templates/nginx_site.erb": SITE("<%= site_host %>"),
};

const stageOf = (m: Awaited<ReturnType<typeof analyzeFiles>>, name: string) => m.stages.find((s) => s.name === name)!;

describe("an nginx site only one stage's deploy installs is that stage's alone", () => {
  it("Capistrano 3: staging.rb hooks the link; real cap links it on staging only, and production takes none of its hosts", async () => {
    expect(realCap(CAP3, "staging")).toMatch(/ln -nfs \S+\/config\/nginx\.conf \/etc\/nginx\/sites-enabled\/wren/);
    expect(realCap(CAP3, "production")).not.toMatch(/ln -nfs/);
    const m = await analyzeFiles(memoryRepo(CAP3), "wren");
    expect(m.nginx.files.find((f) => f.file === "config/nginx.conf")!.linkedFor).toEqual({ stages: ["staging"], source: { file: "config/deploy.rb", line: 6 } });
    expect(stageHosts(m, stageOf(m, "staging")).map((h) => h.host)).toEqual(["preview.wren.example.org"]);
    expect(stageHosts(m, stageOf(m, "production"))).toEqual([]);
  });

  it("Capistrano 2 multistage: the render task written in staging.rb is no part of production's deploy", async () => {
    const m = await analyzeFiles(memoryRepo(CAP2), "wren");
    expect(m.capistrano!.tasks.find((t) => t.name === "site:render")!.stages).toEqual(["staging"]);
    expect(stageHosts(m, stageOf(m, "staging")).map((h) => h.host)).toEqual(["preview.wren.example.org"]);
    // production's own site_host would render wren.example.org: its servers never got this file
    expect(stageHosts(m, stageOf(m, "production")).map((h) => h.host)).not.toContain("wren.example.org");
    expect(m.nginx.files.filter((f) => f.file === "config/deploy/templates/nginx_site.erb").map((f) => f.stage)).toEqual(["staging"]);
    expect(m.problems.map((p) => p.message)).toContainEqual(expect.stringContaining("nginx.other-stages: config/deploy/templates/nginx_site.erb is rendered by the deploy of stage staging only: not read as the nginx config of stage production (task site:render is only in the deploy of stage staging (config/deploy/staging.rb:7)"));
  });
});
