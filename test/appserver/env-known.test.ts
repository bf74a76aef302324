// Which Rails environment a Unicorn config is evaluated with, and only that: a config read per
// environment gives its ENV reads to each environment; without an environment the deploy states
// (a plain `foreman start`, a Capistrano 2 stage with no rails_env whose RAILS_ENV came from a file
// on the servers) a branch on RAILS_ENV stays unknown, never its `||` default or the stage's name.
// Judged by Unicorn::Configurator run with each RAILS_ENV. Fixture: fixtures/appserver/darkroom.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { bootEnvReads, isUnknown, type AppModel } from "../../src/model.js";
import { appServerFor } from "../../emitters/app-server.js";
import { lineRailsEnv } from "../../analyzers/appserver/named-configs.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
const APP = join(here, "../../fixtures/appserver/darkroom");
const FILES = ["Capfile", "config/deploy.rb", "config/deploy/production.rb", "config/deploy/staging.rb", "Procfile", "config/unicorn.rb", "config/heroku_unicorn.rb", "Gemfile", "Gemfile.lock"];
const darkroom = (): Record<string, string> => Object.fromEntries(FILES.map((f) => [f, readFileSync(join(APP, f), "utf8")]));

/** What real Unicorn sets from `text` for each RAILS_ENV. */
function unicorn(text: string, envs: string[]): any[] {
  const path = join(mkdtempSync(join(tmpdir(), "r2k-env-known-")), "unicorn.rb");
  writeFileSync(path, text);
  return runRubyFile(join(here, "unicorn_oracle.rb"), envs.map((env) => ({ path, env })));
}

beforeAll(async () => {
  await initPrism();
});

describe("a config read per environment", () => {
  it("gives its ENV reads to every environment it is read for, not the last one", async () => {
    const files = darkroom();
    files["config/unicorn.rb"] += 'stderr_path ENV.fetch("UNICORN_LOG", "log/unicorn.log")\n';
    const m = await analyzeFiles(memoryRepo(files), "darkroom");
    // still read per stage (the branches differ)...
    expect(new Set(m.appServers.filter((a) => a.file === "config/unicorn.rb").map((a) => a.env))).toEqual(new Set(["production", "staging"]));
    // ...and Unicorn evaluates the line whichever the environment
    const real = unicorn(files["config/unicorn.rb"]!, ["production", "staging"]);
    for (const [i, env] of ["production", "staging"].entries()) {
      expect(real[i].stderr_path).toBe("log/unicorn.log");
      expect(bootEnvReads(m, new Set([env]), false).map((r) => r.env)).toContain("UNICORN_LOG");
    }
  });
});

describe("no environment known, no branch taken", () => {
  it("a plain `foreman start`: the APP_ENV alias's || default does not decide", async () => {
    const files = darkroom();
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace("foreman start app_server", "foreman start");
    const m = await analyzeFiles(memoryRepo(files), "darkroom");
    const cfg = m.appServers.find((a) => a.file === "config/unicorn.rb")!;
    expect(cfg.env).toBeNull();
    const real = unicorn(files["config/unicorn.rb"]!, ["production", "staging", "development"]);
    // the servers' answer depends on the environment, which nothing here tells
    expect(new Set(real.map((r) => r.worker_processes)).size).toBeGreaterThan(1);
    expect(new Set(real.map((r) => r.timeout)).size).toBeGreaterThan(1);
    expect(isUnknown(cfg.workers!.value)).toBe(true);
    expect(isUnknown(cfg.timeout!.value)).toBe(true);
    expect(cfg.listen.every((l) => l.kind === "unknown")).toBe(true);
  });

  // Capistrano 2 stages that set no rails_env: the servers' RAILS_ENV came from a file of theirs.
  const CONFIG = 'RAILS_ENV = ENV["RAILS_ENV"]\nworker_processes (RAILS_ENV == "production" or RAILS_ENV == "staging" ? 8 : 2)\ntimeout 45\n';
  const app = (procfileWeb: string): Record<string, string> => ({
    Capfile: "load 'deploy'\n",
    "config/deploy.rb": 'require "capistrano/ext/multistage"\nset :stages, %w(cssmw production staging)\nset :application, "mw"\nset :deploy_to, "/srv/mw"\n\nnamespace :web do\n  task :start do\n    run "cd #{current_path} && bundle exec foreman start web_daemon"\n  end\nend\n',
    "config/deploy/cssmw.rb": 'server "a.example.net", :web, :app\n',
    "config/deploy/production.rb": 'server "b.example.net", :web, :app\n',
    "config/deploy/staging.rb": 'server "c.example.net", :web, :app\n',
    Procfile: `web: bundle exec unicorn_rails -p $PORT -c ./config/unicorn_heroku.rb\nweb_daemon: ${procfileWeb}\n`,
    "config/unicorn.rb": CONFIG,
    "config/unicorn_heroku.rb": "worker_processes 3\n",
  });

  it("a stage name is not its RAILS_ENV", async () => {
    const m = await analyzeFiles(memoryRepo(app("bundle exec unicorn_rails -c ./config/unicorn.rb -D")), "mw");
    const real = unicorn(CONFIG, ["staging", "cssmw"]);
    expect(real.map((r) => r.worker_processes)).toEqual([8, 2]);
    for (const name of ["cssmw", "production", "staging"]) {
      const cfg = appServerFor(m, m.stages.find((s) => s.name === name)!)!;
      expect(cfg.file).toBe("config/unicorn.rb");
      expect(cfg.env).toBeNull();
      expect(isUnknown(cfg.workers!.value)).toBe(true);
      expect(JSON.stringify(cfg.workers!.value)).not.toMatch(/refuses/);
      expect(cfg.timeout?.value).toBe(45);
    }
  });

  it("a RAILS_ENV the start line gives is known", async () => {
    const m = await analyzeFiles(memoryRepo(app("RAILS_ENV=staging bundle exec unicorn_rails -c ./config/unicorn.rb -D")), "mw");
    const real = unicorn(CONFIG, ["staging"]);
    for (const name of ["cssmw", "production", "staging"]) expect(appServerFor(m, m.stages.find((s) => s.name === name)!)!.workers?.value).toBe(real[0].worker_processes);
  });

  it("reads RAILS_ENV from a start line as the shell and unicorn_rails set it", () => {
    expect(lineRailsEnv("RAILS_ENV=production bundle exec unicorn -c config/unicorn.rb")).toBe("production");
    expect(lineRailsEnv('run "cd #{current_path} && RAILS_ENV=qa bundle exec puma -C config/puma.rb"')).toBe("qa");
    expect(lineRailsEnv("bundle exec unicorn_rails -c config/unicorn.rb -E staging -D")).toBe("staging");
    // plain unicorn's -E sets RACK_ENV only
    expect(lineRailsEnv("bundle exec unicorn -c config/unicorn.rb -E production -D")).toBeNull();
    expect(lineRailsEnv("bundle exec unicorn_rails -c config/unicorn.rb -D")).toBeNull();
  });
});

describe("a server config whose gem is not locked", () => {
  it("is said to be unused, and its ENV reads are no boot reads", async () => {
    const files = darkroom();
    files["config/puma.rb"] = 'threads ENV.fetch("RAILS_MAX_THREADS") { 5 }, ENV.fetch("RAILS_MAX_THREADS") { 5 }\nport ENV.fetch("PORT") { 3000 }\n';
    const m = await analyzeFiles(memoryRepo(files), "darkroom");
    expect(m.problems.map((p) => `${p.file}:${p.line} ${p.message}`)).toContain("config/puma.rb:1 config/puma.rb is not used: puma is not in Gemfile.lock, so the servers could not have run it; its settings and ENV reads are not carried");
    const names = (m.bootEnv ?? []).map((r) => r.env);
    expect(names).not.toContain("PORT");
    expect(names).not.toContain("RAILS_MAX_THREADS");
    // the locked server's config is still read
    expect(names).toContain("RAILS_ENV");
    expect(m.problems.some((p) => p.file === "config/unicorn.rb" && /not used/.test(p.message))).toBe(false);
  });
});

describe("a plugin's rails_env default is a stated environment", () => {
  it("capistrano-rails' `set :rails_env, fetch(:stage)` decides the branch per stage", async () => {
    const CONFIG = 'worker_processes(ENV["RAILS_ENV"] == "production" ? 6 : 2)\n';
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rails"\n',
        "config/deploy.rb": 'set :application, "kiln"\nset :repo_url, "git@example.net:kiln.git"\nset :deploy_to, "/srv/kiln"\nset :unicorn_config_path, "config/unicorn.rb"\n',
        "config/deploy/production.rb": 'server "a.example.net", roles: %w[web app]\n',
        "config/deploy/qa.rb": 'server "b.example.net", roles: %w[web app]\n',
        "config/unicorn.rb": CONFIG,
      }),
      "kiln",
    );
    const real = unicorn(CONFIG, ["production", "qa"]);
    for (const [i, name] of ["production", "qa"].entries()) {
      const st = m.stages.find((s) => s.name === name)!;
      expect(st.variables["rails_env"]?.defaultOf).toBeTruthy();
      expect(appServerFor(m, st)!.workers?.value).toBe(real[i].worker_processes);
    }
  });
});
