// The Rails environment a deploy ran, when a task body sets it and a hook runs that task: the value of
// every step after the hook, whatever the stage file or a default said. And Capistrano 2's own default
// when nothing sets it: "production", never the stage's name.
// Oracles: real `cap` (Debian's Capistrano 3) for the Capistrano 3 shape; Capistrano 2 is not
// installable here, so its expectations are read from its source (capistrano/capistrano, branch
// legacy-v2 / tag v2.15.4: lib/capistrano/recipes/deploy.rb:33 `_cset :rails_env, "production"`, run
// by the Capfile's `load 'deploy'` before config/deploy.rb; a `set` in a task body runs when the task
// runs, and `before 'x', 'y'` runs y before x on every deploy that runs x).
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { analyze, CAPFILE3 } from "./analyze.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";

const CAPFILE2 = "load 'deploy'\nload 'deploy/assets'\nload 'config/deploy'\n";

/** An app "tern" (written here) whose deploy.rb pins the environment in a task run before assets are compiled. */
const tern2 = (staging: string): Record<string, string> => ({
  Capfile: CAPFILE2,
  "config/deploy.rb": [
    "require 'capistrano/ext/multistage'",
    "set :stages, %w(production staging)",
    "set :application, 'tern'",
    "set :repository, 'git@git.example.test:birds/tern.git'",
    "",
    "# both stages deploy the production environment for now",
    "task :pin_environment do",
    "  set :rails_env, 'production'",
    "end",
    "before 'deploy:assets:precompile', 'pin_environment'",
  ].join("\n") + "\n",
  "config/deploy/production.rb": "server 'tern1.example.test', :web, :app, :db, :primary => true\n",
  "config/deploy/staging.rb": staging,
});

describe("Capistrano 2: rails_env set in a task a hook runs", () => {
  it("is every stage's rails_env, cited at the set line, with the task and hook named", async () => {
    const r = await analyze(tern2("set :rails_env, 'staging'\nserver 'tern-stg.example.test', :web, :app, :db, :primary => true\n"));
    for (const st of ["production", "staging"]) {
      expect(r.stage(st).variables["rails_env"]).toEqual({ value: "production", source: { file: "config/deploy.rb", line: 8 } });
      expect(r.stage(st).hookedSets).toEqual([{ variable: "rails_env", task: "pin_environment", set: { file: "config/deploy.rb", line: 8 }, hook: { kind: "before", target: "deploy:assets:precompile", task: "pin_environment", source: { file: "config/deploy.rb", line: 10 } } }]);
    }
    const w = r.problems.filter((p) => /capistrano\.task-set:/.test(p.message));
    expect(w.map((p) => `${p.file}:${p.line}`)).toEqual(["config/deploy.rb:8"]);
    expect(w[0]!.message).toContain("`before deploy:assets:precompile` (config/deploy.rb:10)");
  });

  it("a task no hook runs sets nothing: the stage file's value stands", async () => {
    const files = tern2("set :rails_env, 'staging'\nserver 'tern-stg.example.test', :web, :app, :db, :primary => true\n");
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace("before 'deploy:assets:precompile', 'pin_environment'", "");
    const r = await analyze(files);
    expect(r.v("staging", "rails_env")).toBe("staging");
    expect(r.stage("staging").hookedSets).toBeUndefined();
  });

  it("with no hook and no stage value, Capistrano 2's own default production, labelled, not the stage's name", async () => {
    const files = tern2("server 'tern-stg.example.test', :web, :app, :db, :primary => true\n");
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace("before 'deploy:assets:precompile', 'pin_environment'", "");
    const r = await analyze(files);
    expect(r.stage("staging").variables["rails_env"]).toEqual({ value: "production", source: { file: "Capfile", line: 1 }, defaultOf: "Capistrano 2" });
  });
});

describe("Capistrano 3: the same shape, judged by real cap", () => {
  // A stand-in for capistrano-rails' deploy:assets:precompile (not installed here) that prints the
  // rails_env it would compile with; the hook and the task body are the repo's own.
  const files: Record<string, string> = {
    Capfile: CAPFILE3 + "namespace :deploy do\n  namespace :assets do\n    task :precompile do\n      puts \"R2K-ENV #{fetch(:rails_env)}\"\n    end\n  end\nend\nimport 'lib/capistrano/tasks/env.rake'\n",
    "config/deploy.rb": "lock '~> 3.17'\nset :application, 'tern'\nset :repo_url, 'git@git.example.test:birds/tern.git'\n",
    "lib/capistrano/tasks/env.rake": "task :pin_environment do\n  set :rails_env, 'production'\nend\nbefore 'deploy:assets:precompile', 'pin_environment'\n",
    "config/deploy/staging.rb": "set :rails_env, 'staging'\nserver 'tern-stg.example.test', roles: %w[web app db]\n",
  };

  it("cap compiles staging with production, and so does the analysis", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-hooked-env-"));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const run = spawnSync("cap", ["staging", "deploy:assets:precompile"], { cwd: dir, encoding: "utf8", input: "", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("R2K-ENV production");
    const r = await analyze(files);
    expect(r.stage("staging").variables["rails_env"]).toEqual({ value: "production", source: { file: "lib/capistrano/tasks/env.rake", line: 2 } });
  });
});

describe("the environment an overlay runs, said and checked against the app", () => {
  const app = (staging: string, hooked: boolean): Record<string, string> => {
    const f = tern2(staging);
    if (!hooked) f["config/deploy.rb"] = f["config/deploy.rb"]!.replace("before 'deploy:assets:precompile', 'pin_environment'", "");
    return {
      ...f,
      "config/environments/development.rb": "Tern::Application.configure do\nend\n",
      "config/environments/production.rb": "Tern::Application.configure do\n  config.cache_classes = true\nend\n",
      "config/database.yml": "development:\n  adapter: sqlite3\n  database: db/dev.sqlite3\nproduction:\n  adapter: postgresql\n  database: tern\n",
      "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (0.17.1)\n    rails (3.2.22)\n    passenger (4.0.60)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  pg\n  rails\n  passenger\n",
    };
  };

  it("a stage whose rails_env the app does not define is hazard stage.rails-env-missing, at the line that sets it", async () => {
    const m = await analyzeFiles(memoryRepo(app("set :rails_env, 'staging'\nserver 'tern-stg.example.test', :web, :app, :db, :primary => true\n", false)), "tern");
    const h = m.hazards.filter((x) => x.id === "stage.rails-env-missing");
    expect(h.map((x) => `${x.source.file}:${x.source.line}`)).toEqual(["config/deploy/staging.rb:1"]);
    expect(h[0]!.message).toBe("stage staging runs RAILS_ENV=staging (the stage's rails_env (config/deploy/staging.rb:1)), but the app has no config/environments/staging.rb (the app defines development, production) and no staging section in config/database.yml (it has development, production)");
  });

  it("with the hook, every overlay runs production, and config.env's provenance names the task and the hook", async () => {
    const m = await analyzeFiles(memoryRepo(app("set :rails_env, 'staging'\nserver 'tern-stg.example.test', :web, :app, :db, :primary => true\n", true)), "tern");
    expect(m.hazards.filter((x) => x.id === "stage.rails-env-missing")).toEqual([]);
    // an example database file is not what the servers read: it raises no doubt
    const ex = app("set :rails_env, 'production'\nserver 'tern-stg.example.test', :web, :app, :db, :primary => true\n", false);
    ex["config/database.yml.example"] = ex["config/database.yml"]!.replace("production:", "live:");
    delete ex["config/database.yml"];
    expect((await analyzeFiles(memoryRepo(ex), "tern")).hazards.filter((x) => x.id === "stage.rails-env-missing")).toEqual([]);
    const k = emitKustomize(m, {} as any);
    expect(k.files.find((f) => f.path === "k8s/overlays/staging/config.env")!.content).toMatch(/^RAILS_ENV=production$/m);
    const row = k.provenance.find((p) => p.output === "k8s/overlays/staging/config.env" && p.what.startsWith("RAILS_ENV="));
    expect(row).toEqual({ output: "k8s/overlays/staging/config.env", what: "RAILS_ENV=production: set by task pin_environment, which the hook `before deploy:assets:precompile` (config/deploy.rb:10) runs on every deploy, over what the stage file says", source: { file: "config/deploy.rb", line: 8 } });
  });
});

describe("which hooked sets make the stage's rails_env: only those run before the app starts (real cap 3 decides)", () => {
  // An app "plover" (written here): a namespaced task hooked with short names before deploy:starting
  // pins production; a top-level task hooked after deploy:finished switches to development once the
  // app already runs. A probe before deploy:publishing prints what the app is started with.
  const files: Record<string, string> = {
    Capfile: CAPFILE3 + "import 'lib/capistrano/tasks/env.rake'\n",
    "config/deploy.rb": "lock '~> 3.17'\nset :application, 'plover'\nset :repo_url, 'git@git.example.test:shore/plover.git'\nset :deploy_to, '/srv/plover'\n",
    "lib/capistrano/tasks/env.rake": [
      "namespace :deploy do",
      "  task :pin_live do",
      "    set :rails_env, 'production'",
      "  end",
      "  before :starting, :pin_live",
      "  before :publishing, :show_env",
      "  task :show_env do",
      "    puts \"R2K-ENV-AT-START #{fetch(:rails_env)}\"",
      "  end",
      "end",
      "task :dev_after do",
      "  set :rails_env, 'development'",
      "end",
      "after 'deploy:finished', 'dev_after'",
      "",
    ].join("\n"),
    "config/deploy/staging.rb": "set :rails_env, 'staging'\nserver 'plover-stg.example.test', roles: %w[web app db]\n",
  };

  it("cap starts staging with production; the analysis agrees, and names the late set", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-hooked-late-"));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const run = spawnSync("cap", ["staging", "deploy", "--dry-run"], { cwd: dir, encoding: "utf8", input: "", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    expect(run.stdout + run.stderr).toContain("R2K-ENV-AT-START production");
    const r = await analyze(files);
    expect(r.stage("staging").variables["rails_env"]).toEqual({ value: "production", source: { file: "lib/capistrano/tasks/env.rake", line: 3 } });
    expect(r.stage("staging").hookedSets?.map((h) => `${h.hook.kind} ${h.hook.target} ${h.task}`)).toEqual(["before deploy:starting deploy:pin_live"]);
    const late = r.problems.filter((p) => /capistrano\.task-set-late:/.test(p.message));
    expect(late.map((p) => `${p.file}:${p.line}`)).toEqual(["lib/capistrano/tasks/env.rake:12"]);
    expect(late[0]!.message).toContain("`after deploy:finished` (lib/capistrano/tasks/env.rake:14)");
  });

  it("a set hooked only after the app started (or on rollback) leaves the stage's own value", async () => {
    const only = { ...files, "lib/capistrano/tasks/env.rake": "task :dev_after do\n  set :rails_env, 'development'\nend\nafter 'deploy', 'dev_after'\ntask :rb_env do\n  set :rails_env, 'development'\nend\nbefore 'deploy:rollback', 'rb_env'\n" };
    const r = await analyze(only);
    expect(r.v("staging", "rails_env")).toBe("staging");
    expect(r.stage("staging").hookedSets).toBeUndefined();
    expect(r.problems.filter((p) => /capistrano\.task-set-late:/.test(p.message)).map((p) => p.line)).toEqual([2, 6]);
  });
});

describe("two hooked sets before the start with different values: not picked", () => {
  it("the stage's own rails_env stands and the conflict is hazard stage.rails-env-hooked-conflict, both lines named", async () => {
    const f = tern2("set :rails_env, 'staging'\nserver 'tern-stg.example.test', :web, :app, :db, :primary => true\n");
    f["config/deploy.rb"] += "task :dev_env do\n  set :rails_env, 'development'\nend\nbefore 'deploy:update_code', 'dev_env'\n";
    const m = await analyzeFiles(memoryRepo(f), "tern");
    const st = m.stages.find((s) => s.name === "staging")!;
    expect(st.variables["rails_env"]!.value).toBe("staging");
    expect(st.hookedSets).toBeUndefined();
    const h = m.hazards.filter((x) => x.id === "stage.rails-env-hooked-conflict" && x.message.startsWith("stage staging:"));
    expect(h).toHaveLength(1);
    expect(h[0]!.message).toContain("task pin_environment (config/deploy.rb:8");
    expect(h[0]!.message).toContain("task dev_env (config/deploy.rb:12");
    expect(h[0]!.message).toContain("RAILS_ENV=staging");
  });
});

describe("rails_env from ENV with a fallback: the fallback, labelled, and a doubt", () => {
  it("runs the fallback, cites the set, and names ENV['PLOVER_ENV']", async () => {
    const f = tern2("set :rails_env, ENV['PLOVER_ENV'] || 'staging'\nserver 'tern-stg.example.test', :web, :app, :db, :primary => true\n");
    f["config/deploy.rb"] = f["config/deploy.rb"]!.replace("before 'deploy:assets:precompile', 'pin_environment'", "");
    f["config/deploy/production.rb"] = "set :rails_env, ENV['PLOVER_ENV'] || 'staging'\n" + f["config/deploy/production.rb"];
    const m = await analyzeFiles(memoryRepo(f), "tern");
    const h = m.hazards.filter((x) => x.id === "stage.rails-env-from-env");
    expect(h.map((x) => `${x.source.file}:${x.source.line}`).sort()).toEqual(["config/deploy/production.rb:1", "config/deploy/staging.rb:1"]);
    expect(h[0]!.message).toContain("ENV['PLOVER_ENV']");
    const k = emitKustomize(m, {} as any);
    expect(k.files.find((x) => x.path === "k8s/overlays/production/config.env")!.content).toMatch(/^RAILS_ENV=staging$/m);
    const row = k.provenance.find((p) => p.output === "k8s/overlays/production/config.env" && p.what.startsWith("RAILS_ENV="))!;
    expect(row.what).not.toContain("no file sets");
    expect(row.what).toContain("ENV['PLOVER_ENV']");
    expect(row.source).toEqual({ file: "config/deploy/production.rb", line: 1 });
  });
});

describe("Capistrano 2's default production does not hide what the deploy exported (audit s24b B3)", () => {
  it("default_environment RAILS_ENV=staging is the overlay's env, cited; the default is a doubt", async () => {
    const f = tern2("set :default_environment, { 'RAILS_ENV' => 'staging' }\nserver 'tern-stg.example.test', :web, :app, :db, :primary => true\n");
    f["config/deploy.rb"] = f["config/deploy.rb"]!.replace("before 'deploy:assets:precompile', 'pin_environment'", "");
    const m = await analyzeFiles(memoryRepo(f), "tern");
    const st = m.stages.find((s) => s.name === "staging")!;
    expect(st.variables["rails_env"]).toMatchObject({ value: "production", defaultOf: "Capistrano 2" });
    const k = emitKustomize(m, {} as any);
    expect(k.files.find((x) => x.path === "k8s/overlays/staging/config.env")!.content).toMatch(/^RAILS_ENV=staging$/m);
    const row = k.provenance.find((p) => p.output === "k8s/overlays/staging/config.env" && p.what.startsWith("RAILS_ENV="))!;
    expect(row.source).toEqual({ file: "config/deploy/staging.rb", line: 1 });
    expect(row.what).toContain("default_environment RAILS_ENV");
    const h = m.hazards.filter((x) => x.id === "stage.rails-env-cap2-default");
    expect(h.map((x) => `${x.source.file}:${x.source.line}`)).toEqual(["config/deploy/staging.rb:1"]);
    // production's own name is the default: no doubt there
    expect(k.files.find((x) => x.path === "k8s/overlays/production/config.env")!.content).toMatch(/^RAILS_ENV=production$/m);
  });
});
