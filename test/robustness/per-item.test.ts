// One throwing item costs that item alone (analyzers/per-item.ts). The seam is the repo itself: a
// RepoFiles whose read of one file throws, as an analyzer bug on that file would, while its
// siblings read normally. Before the per-item guard the section guard in src/analyze.ts made each
// such throw a null section: both nginx files, both app server configs, both workers, all of Global.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { RepoFiles } from "../../src/model.js";

const FILES: Record<string, string> = {
  "Gemfile": 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "sidekiq"\ngem "global"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    global (0.3.2)\n    rails (6.1.7)\n    sidekiq (6.5.1)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  global\n  rails\n  sidekiq\n  unicorn\n",
  "Capfile": 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'set :application, "orchard"\nset :deploy_to, "/srv/orchard"\nafter "deploy:publishing", "sidekiq:restart"\nnamespace :sidekiq do\n  task :restart do\n    on roles(:worker) do\n      execute :sudo, :systemctl, :restart, "sidekiq-mail", "sidekiq-report"\n    end\n  end\nend\n',
  "config/deploy/production.rb": 'server "app1.example.org", roles: %w[web app db worker]\n',
  "config/application.rb": 'module Orchard\n  class Application < Rails::Application\n  end\nend\n',
  "config/nginx/apples.conf": "server {\n  listen 80;\n  server_name apples.example.org;\n  client_max_body_size 8m;\n  root /srv/orchard/current/public;\n}\n",
  "config/nginx/pears.conf": "server {\n  listen 80;\n  server_name pears.example.org;\n  root /srv/orchard/current/public;\n}\n",
  "config/unicorn/production.rb": "worker_processes 3\ntimeout 25\n",
  "config/unicorn/staging.rb": "worker_processes 1\ntimeout 40\n",
  "config/systemd/sidekiq-mail.service": "[Service]\nExecStart=/usr/local/bin/bundle exec sidekiq -e production -q mail\n",
  "config/systemd/sidekiq-report.service": "[Service]\nExecStart=/usr/local/bin/bundle exec sidekiq -e production -q reports\n",
  "config/global/billing.yml": "default:\n  currency: EUR\n",
  "config/global/mailer.yml": "default:\n  sender: shop@example.org\n",
};

/** The repo, except that reading `broken` throws. */
function throwingOn(broken: string): RepoFiles {
  const repo = memoryRepo(FILES);
  return {
    paths: repo.paths,
    read: (p) => {
      if (p === broken) throw new Error(`simulated fault reading ${p}`);
      return repo.read(p);
    },
  };
}

const unread = (problems: { file: string; message: string }[], file: string) => problems.filter((p) => p.file === file && p.message.startsWith("analyze.item-unread:"));
/** The section guards of src/analyze.ts each item belongs to. */
const SECTIONS = ["nginx config", "app server config", "job workers", "Global config"];
const internal = (problems: { file: string; message: string }[]) => problems.filter((p) => SECTIONS.includes(p.file) && p.message.startsWith("internal error"));

describe("a throw while reading one item costs that item alone", () => {
  it("nginx: the other file's server block survives", async () => {
    const m = await analyzeFiles(throwingOn("config/nginx/pears.conf"), "orchard");
    expect(m.nginx?.files.map((f) => f.file)).toEqual(["config/nginx/apples.conf"]);
    expect(unread(m.problems, "config/nginx/pears.conf").length).toBeGreaterThan(0);
  });

  it("Unicorn: the other config's numbers survive", async () => {
    const m = await analyzeFiles(throwingOn("config/unicorn/staging.rb"), "orchard");
    expect((m.appServers ?? []).map((a) => a.file)).toContain("config/unicorn/production.rb");
    expect((m.appServers ?? []).map((a) => a.file)).not.toContain("config/unicorn/staging.rb");
    expect(unread(m.problems, "config/unicorn/staging.rb").length).toBeGreaterThan(0);
  });

  it("workers: the section survives, the unit file is named", async () => {
    const m = await analyzeFiles(throwingOn("config/systemd/sidekiq-report.service"), "orchard");
    // This small repo carries no unit-file worker either way; what is checked is that the workers
    // section is not lost and the warning names the file.
    expect(m.problems.filter((p) => p.file === "job workers")).toEqual([]);
    expect(unread(m.problems, "config/systemd/sidekiq-report.service").length).toBeGreaterThan(0);
  });

  it("Global: the other file's values survive", async () => {
    const m = await analyzeFiles(throwingOn("config/global/mailer.yml"), "orchard");
    expect(JSON.stringify(m.global)).toContain("currency");
    expect(unread(m.problems, "config/global/mailer.yml").length).toBeGreaterThan(0);
  });

  it("Apache: the other config's vhost survives, the thrown file is named", async () => {
    const files = {
      ...FILES,
      "config/apache/apples.conf": "<VirtualHost *:80>\n  ServerName apples.example.org\n  DocumentRoot /srv/orchard/current/public\n  PassengerEnabled on\n</VirtualHost>\n",
      "config/apache/pears.conf": "<VirtualHost *:80>\n  ServerName pears.example.org\n  DocumentRoot /srv/orchard/current/public\n  PassengerEnabled on\n</VirtualHost>\n",
    };
    const whole = await analyzeFiles(memoryRepo(files), "orchard");
    // Both are read when nothing throws: the test's files are Apache configs to the reader.
    expect(whole.apache?.files.map((f) => f.file).sort()).toEqual(["config/apache/apples.conf", "config/apache/pears.conf"]);
    const repo = memoryRepo(files);
    const m = await analyzeFiles({ paths: repo.paths, read: (f) => { if (f === "config/apache/pears.conf") throw new Error("simulated fault"); return repo.read(f); } }, "orchard");
    expect(m.apache?.files.map((f) => f.file)).toEqual(["config/apache/apples.conf"]);
    expect(unread(m.problems, "config/apache/pears.conf").length).toBeGreaterThan(0);
    expect(m.problems.filter((p) => p.file === "Apache config")).toEqual([]);
  });

  it("no section is lost as an internal error", async () => {
    for (const f of ["config/unicorn/staging.rb", "config/global/mailer.yml"]) {
      const m = await analyzeFiles(throwingOn(f), "orchard");
      expect(internal(m.problems), f).toEqual([]);
    }
  });
});
