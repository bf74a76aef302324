// Task bodies written to make the manual-link reader (analyzers/capistrano/manual-links.ts) slow.
// - A local that doubles itself (`a = "#{a}#{a}"`) grew without bound when every local was
//   remembered and put back: 27 such lines held analyze for minutes.
// - A 150 KB `execute :cp, …` line of spaces made the SSHKit-call pattern backtrack quadratically.
// The CLI runs in a child process with a SIGKILL timer: a hung regex blocks its own process.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spreadHitsDatabase } from "../../analyzers/capistrano/manual-links.js";

const ROOT = join(import.meta.dirname, "..", "..");
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

function appWithTask(task: string): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-mlh-"));
  cleanup.push(dir);
  const files: Record<string, string> = {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "pg"\ngem "capistrano", "~> 3.17"\n',
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.2)\n    pg (1.5.4)\n    rails (7.0.8)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano (~> 3.17)\n  pg\n  rails\n",
    "config/application.rb": 'require_relative "boot"\nrequire "rails"\nmodule Wren\n  class Application < Rails::Application\n  end\nend\n',
    "config/database.yml": "production:\n  adapter: postgresql\n  database: wren_prod\n",
    "config/deploy.rb": 'lock "3.17.2"\nset :application, "wren"\nset :repo_url, "git@example.test:wren.git"\nset :deploy_to, "/srv/wren"\n',
    "config/deploy/production.rb": 'server "wren1.example.test", user: "deploy", roles: %w{web app db}\n',
    "lib/capistrano/tasks/db.rake": task,
  };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

function analyzeJson(dir: string): { out: any; took: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "rails2k8s.js"), "analyze", dir, "--json"], { encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL", maxBuffer: 64 << 20 });
  const took = Date.now() - t0;
  expect(r.signal, `analyze was killed after ${took} ms`).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return { out: JSON.parse(r.stdout), took };
}

function task(body: string[]): string {
  return ["namespace :db_config do", "  task :copy do", "    on roles(:app) do", ...body.map((l) => `      ${l}`), "    end", "  end", "end", 'after "deploy:updating", "db_config:copy"', ""].join("\n");
}

describe("hostile task bodies", () => {
  it("a local doubling itself 27 times does not hang analyze", () => {
    const body = ['a = "x"', ...Array.from({ length: 27 }, () => 'a = "#{a}#{a}"'), 'execute "cp #{a} #{release_path}/config/database.yml"'];
    const { took } = analyzeJson(appWithTask(task(body)));
    expect(took).toBeLessThan(30_000);
  }, 60_000);

  it("a shared path local doubling itself is dropped, not cut, and a short one is still put back", () => {
    const body = ['d = "#{shared_path}/config"', ...Array.from({ length: 27 }, () => 'd = "#{d}#{d}"'), 'execute "cp #{d}/wren.yml #{release_path}/config/wren.yml"', 'c = "#{shared_path}/config"', 'execute "cp #{c}/settings.yml #{release_path}/config/settings.yml"'];
    const { out } = analyzeJson(appWithTask(task(body)));
    const links = JSON.stringify(out.capistrano?.manualLinks ?? out);
    expect(links).toContain("config/settings.yml");
    expect(links).not.toContain("wren.yml");
  }, 60_000);

  it("20,000 shell `if test -f` lines never closed do not hold analyze (each line read against a capped stack of open ifs, not all of them)", () => {
    const ifs = Array.from({ length: 20_000 }, (_, i) => `  if test -f #{shared_path}/config/part${i}.yml; then`);
    const body = ["execute <<-SH", ...ifs, "  ln -nfs #{shared_path}/config/database.yml #{release_path}/config/database.yml", "SH"];
    const { out, took } = analyzeJson(appWithTask(task(body)));
    expect(took).toBeLessThan(20_000);
    expect(JSON.stringify(out.capistrano?.manualLinks ?? out)).toContain("config/database.yml");
  }, 60_000);

  it("a 150 KB execute line of spaces does not hang analyze", () => {
    const body = ['execute :cp, "a", "b"' + " ".repeat(150_000) + "if true"];
    const { took } = analyzeJson(appWithTask(task(body)));
    expect(took).toBeLessThan(30_000);
  }, 60_000);
});

describe("a copied glob with a bracket", () => {
  it("an unclosed [ builds no invalid pattern and may hit config/database.yml", () => {
    expect(() => spreadHitsDatabase("config", "config/[")).not.toThrow();
    expect(spreadHitsDatabase("config", "config/[")).toBe(true);
  });
  it("a shell class may hit; a literal name that differs does not", () => {
    expect(spreadHitsDatabase("config", "config/[d]atabase.yml")).toBe(true);
    expect(spreadHitsDatabase("config", "config/*.yml")).toBe(true);
    expect(spreadHitsDatabase("config", "config/*.y+ml")).toBe(false);
    expect(spreadHitsDatabase("config", "config/settings.y?l")).toBe(false);
  });
});
