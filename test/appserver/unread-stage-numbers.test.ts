// A stage that sets the app server's numbers as Capistrano variables (`set :unicorn_workers, 4`) for a
// template no file of the repo holds (a recipe gem's own) while a leftover config/unicorn.rb says
// another number: the outputs carry the file's, so the stage's value is said, with both lines, never
// dropped without a word. Real cap gives each stage's value, real Unicorn the file's.
// (An app written for this test, after a Capistrano 2 recipe-gem shape seen in the corpus.)
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { runRubyFile } from "./ruby.js";

beforeAll(async () => {
  await initPrism();
});

const here = dirname(fileURLToPath(import.meta.url));
const lock = ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.17.2)", "    rails (7.1.3)", "    unicorn (6.1.0)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano", "  rails", "  unicorn", ""].join("\n");

const app = (): Record<string, string> => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\ntask :say_workers do\n  puts "workers=#{fetch(:unicorn_workers).inspect}"\nend\n',
  "config/deploy.rb": 'set :application, "kiosk"\nset :repo_url, "git@git.example.org:acct/kiosk.git"\nset :deploy_to, "/srv/kiosk"\n',
  "config/deploy/production.rb": 'server "web1.kiosk.example.org", roles: %w[web app db]\nset :rails_env, "production"\nset :unicorn_workers, 6\n',
  "config/deploy/demo.rb": 'server "demo.kiosk.example.org", roles: %w[web app db]\nset :rails_env, "production"\nset :unicorn_workers, 3\n',
  "config/deploy/qa.rb": 'server "qa.kiosk.example.org", roles: %w[web app db]\nset :rails_env, "production"\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "capistrano"\n',
  "Gemfile.lock": lock,
  "config/unicorn.rb": "worker_processes 3\ntimeout 30\n",
});

function onDisk(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-stage-numbers-")), "app");
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

describe("stage variables naming the app server's numbers", () => {
  it("real cap and real Unicorn disagree for production only", () => {
    const dir = onDisk(app());
    const said = (stage: string) => {
      const r = spawnSync("cap", [stage, "say_workers"], { cwd: dir, encoding: "utf8", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
      expect(r.status, r.stderr).toBe(0);
      return /workers=(\S+)/.exec(r.stdout)?.[1];
    };
    expect([said("production"), said("demo"), said("qa")]).toEqual(["6", "3", "nil"]);
    const [real] = runRubyFile(join(here, "unicorn_oracle.rb"), [join(dir, "config/unicorn.rb")]);
    expect(real.worker_processes).toBe(3);
  });

  it("is said for the stage whose value the config read does not hold, citing both lines", async () => {
    const m = await analyzeFiles(memoryRepo(app()), "kiosk");
    const w = m.problems.filter((p) => /stage\.unread-server-number/.test(p.message));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ file: "config/deploy/production.rb", line: 3, severity: "warning" });
    expect(w[0]!.message).toMatch(/stage production sets :unicorn_workers to 6.*config\/unicorn\.rb, says workers 3 \(config\/unicorn\.rb:1\)/);
    // The config the outputs follow is unchanged: the warning names a doubt, it decides nothing.
    expect(m.appServers.find((a) => a.file === "config/unicorn.rb")?.workers?.value).toBe(3);
  });

  it("says nothing when no repo file sets the variable or a rendered template read it", async () => {
    const quiet = { ...app(), "config/deploy/production.rb": 'server "web1.kiosk.example.org", roles: %w[web app db]\nset :rails_env, "production"\nset :unicorn_workers, 3\n' };
    const m = await analyzeFiles(memoryRepo(quiet), "kiosk");
    expect(m.problems.filter((p) => /stage\.unread-server-number/.test(p.message))).toEqual([]);
  });

  it("capistrano3-puma 6+ renders no config: the stage's :puma_threads is said to have had no effect", async () => {
    const pumaLock = ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.19.2)", "    capistrano3-puma (6.0.0)", "      capistrano (~> 3.7)", "      puma (>= 5.1)", "    puma (6.6.1)", "    rails (7.1.3)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano3-puma", "  puma", "  rails", ""].join("\n");
    const files = {
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\ninstall_plugin Capistrano::Puma\ninstall_plugin Capistrano::Puma::Systemd\n',
      "config/deploy.rb": 'set :application, "kiosk"\nset :repo_url, "git@git.example.org:acct/kiosk.git"\nset :deploy_to, "/srv/kiosk"\nset :puma_threads, [4, 16]\n',
      "config/deploy/production.rb": 'server "web1.kiosk.example.org", roles: %w[web app db]\n',
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "capistrano3-puma"\n',
      "Gemfile.lock": pumaLock,
      "config/puma.rb": 'threads 2, 5\nport ENV.fetch("PORT") { 3000 }\n',
    };
    const m = await analyzeFiles(memoryRepo(files), "kiosk");
    const w = m.problems.filter((p) => /stage\.unread-server-number/.test(p.message));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ file: "config/deploy.rb", line: 4 });
    expect(w[0]!.message).toMatch(/sets :puma_threads to 4, 16, but the server was started on config\/puma\.rb without a config rendered from it .*had no effect on the servers; .*says threads 2, 5/);
  });

  it("a config reading its threads and workers from ENV is said to state them, with their defaults", async () => {
    const pumaLock = ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.19.2)", "    capistrano3-puma (6.0.0)", "      capistrano (~> 3.7)", "      puma (>= 5.1)", "    puma (6.6.1)", "    rails (7.1.3)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano3-puma", "  puma", "  rails", ""].join("\n");
    const files = {
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\ninstall_plugin Capistrano::Puma\ninstall_plugin Capistrano::Puma::Systemd\n',
      "config/deploy.rb": 'set :application, "kiosk"\nset :repo_url, "git@git.example.org:acct/kiosk.git"\nset :deploy_to, "/srv/kiosk"\nset :puma_threads, [4, 16]\nset :puma_workers, 0\n',
      "config/deploy/production.rb": 'server "web1.kiosk.example.org", roles: %w[web app db]\n',
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "capistrano3-puma"\n',
      "Gemfile.lock": pumaLock,
      "config/puma.rb": 'per_worker = ENV.fetch("APP_THREADS", 6)\nthreads per_worker, per_worker\nworkers ENV.fetch("APP_WORKERS", 2)\n',
    };
    // real Puma, with neither variable set, takes the defaults the warning names
    const dir = join(mkdtempSync(join(tmpdir(), "r2k-stage-numbers-")), "puma.rb");
    writeFileSync(dir, files["config/puma.rb"]);
    const [real] = runRubyFile(join(here, "puma_oracle.rb"), [{ path: dir, env: "production" }]);
    expect([real.threads, real.workers]).toEqual([[6, 6], 2]);
    const m = await analyzeFiles(memoryRepo(files), "kiosk");
    const w = m.problems.filter((p) => /stage\.unread-server-number/.test(p.message));
    expect(w.map((p) => p.line).sort()).toEqual([4, 5]);
    const threads = w.find((p) => p.line === 4)!.message;
    expect(threads).not.toMatch(/states no threads/);
    expect(threads).toContain('says threads ENV["APP_THREADS"] (default 6), ENV["APP_THREADS"] (default 6), read from ENV on the servers (config/puma.rb:2)');
    expect(w.find((p) => p.line === 5)!.message).toContain('says workers ENV["APP_WORKERS"] (default 2), read from ENV on the servers (config/puma.rb:3)');
  });
});
