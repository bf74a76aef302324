// capistrano3-unicorn starts `unicorn -c <unicorn_config_path>`, whose default is
// config/unicorn/<rails_env>.rb with no fallback (the gem's unicorn.rake). An app holding only
// config/unicorn/staging.rb and config/unicorn.rb (the shape of youhei19880130/v_studio) gives its
// production stage no file of the repo: that start failed, or the servers had their own file. Its
// numbers are gaps, never config/unicorn.rb's. Judged by real `cap` (each stage's path, through a
// stand-in of the plugin's load:defaults in unicorn3-standin/) and Unicorn::Configurator reading
// staging's file. App "kiln", written here.
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";
import { renderReport } from "../../src/report.js";
import { prepareCopy, runCap } from "../capistrano/cap.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));

const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rails"\nrequire "capistrano3/unicorn"\n',
  "config/deploy.rb": [
    'lock "3.9.0"',
    'set :application, "kiln"',
    'set :repo_url, "git@git.example.test:clay/kiln.git"',
    'set :deploy_to, "/var/www/kiln"',
    "namespace :deploy do",
    "  task :restart do",
    '    invoke "unicorn:restart"',
    "  end",
    "  after :publishing, :restart",
    "end",
    "",
  ].join("\n"),
  // rails_env set here: capistrano-rails (its default, production) is not installed for real `cap`
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "kiln1.example.test", user: "deploy", roles: %w[web app db]\n',
  "config/deploy/staging.rb": 'set :rails_env, "staging"\nset :deploy_to, "/home/deploy/staging"\nserver "kiln-stg.example.test", user: "deploy", roles: %w[web app db]\n',
  "config/unicorn.rb": 'worker_processes Integer(ENV["WEB_CONCURRENCY"] || 3)\ntimeout 15\npreload_app true\n',
  "config/unicorn/staging.rb": "worker_processes 2\ntimeout 30\npreload_app true\n",
};

beforeAll(async () => {
  await initPrism();
});

describe("capistrano3-unicorn with no config/unicorn/<rails_env>.rb for a stage", () => {
  it("production's numbers are gaps, named at the Capfile require; staging reads its own file as Unicorn does", async () => {
    const root = mkdtempSync(join(tmpdir(), "r2k-kiln-"));
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    const app = prepareCopy(root);
    const lib = join(here, "unicorn3-standin");
    const real = { production: await runCap(app, "production", lib), staging: await runCap(app, "staging", lib) };
    const rel = (v: unknown, deployTo: string) => String(v).replace(`${deployTo}/current/`, "");
    const prodPath = rel(real.production.variables["unicorn_config_path"], "/var/www/kiln");
    const stagingPath = rel(real.staging.variables["unicorn_config_path"], "/home/deploy/staging");
    expect(prodPath).toBe("config/unicorn/production.rb");
    expect(existsSync(join(root, prodPath))).toBe(false);
    expect(stagingPath).toBe("config/unicorn/staging.rb");

    const m = await analyzeFiles(memoryRepo(FILES), "kiln");
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(prod.file).toBe(prodPath);
    for (const f of [prod.workers, prod.timeout]) expect(f && typeof f.value === "object" && f.value !== null && "unknown" in f.value).toBe(true);
    const said = m.problems.filter((p) => /unicorn\.plugin-config-absent/.test(p.message));
    expect(said).toHaveLength(1);
    expect([said[0]!.file, said[0]!.line]).toEqual(["Capfile", 4]);
    expect(said[0]!.message).toContain("stage production:");
    expect(said[0]!.message).toContain("config/unicorn.rb is not read in its place");
    // The gap says the repo lacks the file, and leaves whether the servers had one to its why (audit s24a A7).
    const gap = m.gaps.find((g) => g.id === "stage.production.web.workers")!;
    expect(gap.why.startsWith(`${prodPath} is not in the repo: `)).toBe(true);
    expect(gap.why).not.toContain("it was on the servers");

    const staging = appServerFor(m, m.stages.find((s) => s.name === "staging")!)!;
    const set = runRubyFile(join(here, "unicorn_oracle.rb"), [{ path: join(root, stagingPath), env: "staging" }])[0];
    expect(staging.file).toBe(stagingPath);
    expect(staging.workers?.value).toBe(set.worker_processes);
    expect(staging.timeout?.value).toBe(set.timeout);
  });

  it("a unicorn_config_path the repo does not hold is a gap too, said at its `set`", async () => {
    const files = { ...FILES, "config/deploy/production.rb": 'set :unicorn_config_path, -> { "#{current_path}/config/unicorn/live.rb" }\n' + FILES["config/deploy/production.rb"] };
    const m = await analyzeFiles(memoryRepo(files), "kiln");
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(prod.file).toBe("config/unicorn/live.rb");
    expect(prod.workers && typeof prod.workers.value === "object" && prod.workers.value !== null && "unknown" in prod.workers.value).toBe(true);
    expect(m.problems.some((p) => p.file === "config/deploy/production.rb" && p.line === 1 && /unicorn_config_path does not name/.test(p.message) && /stage production/.test(p.message))).toBe(true);
  });

  it("a default path linked from shared/ is the servers' copy: gaps said as linked, never config/unicorn.rb's 3 workers", async () => {
    const files = { ...FILES, "config/deploy.rb": FILES["config/deploy.rb"] + 'append :linked_files, "config/unicorn/production.rb"\n' };
    const m = await analyzeFiles(memoryRepo(files), "kiln");
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(prod.file).toBe("config/unicorn/production.rb");
    for (const f of [prod.workers, prod.timeout]) expect(f && typeof f.value === "object" && f.value !== null && "unknown" in f.value).toBe(true);
    const said = m.problems.filter((p) => /unicorn\.plugin-config-linked/.test(p.message));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toMatch(/stage production: .*linked from the servers' shared\/ directory \(linked_files, config\/deploy\.rb:11\).*config\/unicorn\.rb is not read in its place/);
    expect(m.problems.some((p) => /plugin-config-absent/.test(p.message))).toBe(false);
    // staging keeps its own file
    expect(appServerFor(m, m.stages.find((s) => s.name === "staging")!)!.workers?.value).toBe(2);
  });

  it("`#{release_path}/x` with deploy_to from ENV is the repo's x, per stage, read as real Unicorn reads it; no JSON of a value in any message", async () => {
    // deploy_to only from the deploying machine's ENV: release_path is not known, but a path under it
    // is the release's file at that relative path, whatever deploy_to is.
    const files: Record<string, string> = {
      ...FILES,
      "config/deploy.rb": FILES["config/deploy.rb"]!.replace('set :deploy_to, "/var/www/kiln"\n', ""),
      "config/deploy/production.rb": 'set :rails_env, "production"\nset :deploy_to, ENV["KILN_DIR_LIVE"]\nset :unicorn_config_path, "#{release_path}/config/unicorn.live.rb"\nserver "kiln1.example.test", user: "deploy", roles: %w[web app db]\n',
      "config/deploy/staging.rb": 'set :rails_env, "staging"\nset :deploy_to, ENV["KILN_DIR_TRY"]\nset :unicorn_config_path, "#{release_path}/config/unicorn.try.rb"\nserver "kiln-stg.example.test", user: "deploy", roles: %w[web app db]\n',
      "config/unicorn.live.rb": "worker_processes 5\ntimeout 45\npreload_app true\n",
      "config/unicorn.try.rb": "worker_processes 2\ntimeout 20\n",
    };
    const root = mkdtempSync(join(tmpdir(), "r2k-kiln-env-"));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    const m = await analyzeFiles(memoryRepo(files), "kiln");
    for (const [stage, file] of [["production", "config/unicorn.live.rb"], ["staging", "config/unicorn.try.rb"]] as const) {
      const got = appServerFor(m, m.stages.find((s) => s.name === stage)!)!;
      const real = runRubyFile(join(here, "unicorn_oracle.rb"), [{ path: join(root, file), env: stage }])[0];
      expect(got.file).toBe(file);
      expect(got.workers?.value).toBe(real.worker_processes);
      expect(got.timeout?.value).toBe(real.timeout);
    }
    expect(m.problems.some((p) => /not a file of a release/.test(p.message))).toBe(false);
    // A value object never reaches a message as the model's JSON.
    for (const p of m.problems) expect(p.message).not.toMatch(/\{"(unknown|env|interp|cap|sym)"/);
  });

  it("a unicorn_config_path not known statically is said in words, per stage at its own line", async () => {
    const files = { ...FILES, "config/deploy/production.rb": 'set :unicorn_config_path, File.join(ENV["KILN_CONF"], "u.rb")\n' + FILES["config/deploy/production.rb"], "config/deploy/staging.rb": 'set :unicorn_config_path, File.join(ENV["KILN_CONF_TRY"], "u.rb")\n' + FILES["config/deploy/staging.rb"] };
    const m = await analyzeFiles(memoryRepo(files), "kiln");
    for (const p of m.problems) expect(p.message).not.toMatch(/\{"(unknown|env|interp|cap|sym)"/);
    expect(renderReport(m, { color: false })).not.toMatch(/\{"(unknown|env|interp|cap|sym)"/);
    for (const stage of ["production", "staging"])
      expect(m.problems.some((p) => p.file === `config/deploy/${stage}.rb` && p.line === 1 && /unicorn_config_path does not name/.test(p.message) && /<unknown: /.test(p.message))).toBe(true);
  });

  it("a repo that holds config/unicorn/production.rb reads it: no warning", async () => {
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/unicorn/production.rb": "worker_processes 6\ntimeout 60\n" }), "kiln");
    expect(appServerFor(m, m.stages.find((s) => s.name === "production")!)?.workers?.value).toBe(6);
    expect(m.problems.some((p) => /plugin-config-absent/.test(p.message))).toBe(false);
  });
});
