// `case ENV["RAILS_ENV"]` in a Unicorn or Puma config is decided per stage with the Rails env the
// deploy states for it, as `case @environment` is in whenever: `when a, b`, `when *list`, an
// Array `when` (compared whole), `else`. A stage whose env the deploy does not state, and a case
// on anything else, keep every branch, each value marked with the case it sits under.
// Judged by the real `unicorn` booted as capistrano3-unicorn 0.2.1 starts it (RAILS_ENV from the
// stage, `-E deployment`), Unicorn's own Configurator, and Puma's own command line.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { isUnknown, type AppModel } from "../../src/model.js";
import { appServerFor } from "../../emitters/app-server.js";
import { runRubyFile } from "./ruby.js";
import { filesOf } from "../fixture-files.js";

const here = dirname(fileURLToPath(import.meta.url));
const APP = join(here, "../../fixtures/appserver/loom");

/** What Unicorn::Configurator sets from `text` under each RAILS_ENV. */
function unicorn(text: string, envs: string[]): any[] {
  const path = join(mkdtempSync(join(tmpdir(), "r2k-env-case-")), "unicorn.rb");
  writeFileSync(path, text);
  return runRubyFile(join(here, "unicorn_oracle.rb"), envs.map((env) => ({ path, env })));
}

/** The real `unicorn -E deployment -c <config>` with RAILS_ENV=env, as capistrano3-unicorn 0.2.1 runs it, stopped right after the config is evaluated. */
function bootUnicorn(config: string, env: string): { worker_processes: number; timeout: number; preload_app: boolean; rack_env_seen: string } {
  const dir = mkdtempSync(join(tmpdir(), "r2k-env-case-boot-"));
  copyFileSync(join(APP, "config.ru"), join(dir, "config.ru"));
  writeFileSync(join(dir, "unicorn.rb"), config);
  const r = spawnSync("unicorn", ["-E", "deployment", "-c", join(here, "unicorn_e_oracle.rb"), "config.ru"], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, RAILS_ENV: env, R2K_CONFIG: join(dir, "unicorn.rb"), R2K_OUT: join(dir, "seen.json") },
  });
  if (r.status !== 0) throw new Error(`unicorn failed: ${r.stderr}`);
  return JSON.parse(readFileSync(join(dir, "seen.json"), "utf8"));
}

const stage = (m: AppModel, name: string) => appServerFor(m, m.stages.find((s) => s.name === name)!)!;

beforeAll(async () => {
  await initPrism();
});

describe("a Unicorn config that cases on RAILS_ENV", () => {
  const STATED: [string, string][] = [
    ["production", "production"],
    ["staging", "staging"],
    ["qa", "qa"],
    ["perf", "perf"],
    ["demo", "demo"],
  ];

  it("reads each stage's branch as the real unicorn boots it under that stage's rails_env", async () => {
    const files = filesOf(APP);
    const m = await analyzeFiles(memoryRepo(files), "loom");
    const real = STATED.map(([, env]) => bootUnicorn(files["config/unicorn.rb"]!, env));
    // the fixture's branches do differ, so a reading that ignores the env cannot pass
    expect(new Set(real.map((r) => r.worker_processes))).toEqual(new Set([8, 3, 12, 1]));
    for (const [i, [name]] of STATED.entries()) {
      const cfg = stage(m, name);
      expect(cfg.file, name).toBe("config/unicorn.rb");
      expect(cfg.workers?.value, name).toBe(real[i].worker_processes);
      expect(cfg.timeout?.value, name).toBe(real[i].timeout);
      expect(cfg.preloadApp?.value, name).toBe(real[i].preload_app);
    }
    // the number comes from the branch's own line
    expect(stage(m, "staging").workers?.source).toEqual({ file: "config/unicorn.rb", line: 8 });
    expect(stage(m, "production").workers?.source).toEqual({ file: "config/unicorn.rb", line: 6 });
  });

  it("a stage whose RAILS_ENV the deploy does not state keeps every branch, marked", async () => {
    const m = await analyzeFiles(memoryRepo(filesOf(APP)), "loom");
    const cfg = stage(m, "sandbox");
    expect(isUnknown(cfg.workers!.value)).toBe(true);
    expect(JSON.stringify(cfg.workers!.value)).toMatch(/set under `case ENV\[\\"RAILS_ENV\\"\]`/);
  });

  // The same branches written the other ways real configs write them.
  const SUBJECTS: [string, string][] = [
    ['ENV.fetch("RAILS_ENV", "development")', ""],
    ['ENV.fetch("RAILS_ENV") { "development" }', ""],
    ["rails_env", 'rails_env = ENV["RAILS_ENV"] || "development"\n'],
    ["RAILS_ENV_NAME", 'RAILS_ENV_NAME = ENV.fetch("RAILS_ENV")\n'],
    ["ENV['RAILS_ENV'].to_sym", ""],
  ];
  for (const [subject, before] of SUBJECTS) {
    it(`case ${subject}`, async () => {
      const files = filesOf(APP);
      const sym = subject.endsWith(".to_sym");
      const text = `${before}case ${subject}\nwhen ${sym ? ":production" : '"production"'} then worker_processes 6\nwhen ${sym ? ":staging, :qa" : '"staging", "qa"'} then worker_processes 2\nelse worker_processes 1\nend\n`;
      files["config/unicorn.rb"] = text;
      const m = await analyzeFiles(memoryRepo(files), "loom");
      const real = unicorn(text, STATED.map(([, env]) => env));
      for (const [i, [name]] of STATED.entries()) expect(stage(m, name).workers?.value, `${name}: ${JSON.stringify(stage(m, name).workers?.value)}`).toBe(real[i].worker_processes);
    });
  }

  it("a case used as a value: `worker_processes(case ENV[\"RAILS_ENV\"] ... end)`", async () => {
    const files = filesOf(APP);
    const text = 'worker_processes(case ENV["RAILS_ENV"]\n                 when "production" then 5\n                 when *%w[staging qa] then 2\n                 else 1\n                 end)\n';
    files["config/unicorn.rb"] = text;
    const m = await analyzeFiles(memoryRepo(files), "loom");
    const real = unicorn(text, STATED.map(([, env]) => env));
    for (const [i, [name]] of STATED.entries()) expect(stage(m, name).workers?.value, name).toBe(real[i].worker_processes);
    expect(isUnknown(stage(m, "sandbox").workers!.value)).toBe(true);
  });

  it("a case on something else than the environment walks every branch, marked", async () => {
    const files = filesOf(APP);
    files["config/unicorn.rb"] = 'case ENV["BOX_ROLE"]\nwhen "big" then worker_processes 16\nelse worker_processes 2\nend\n';
    const m = await analyzeFiles(memoryRepo(files), "loom");
    for (const [name] of STATED) {
      const v = stage(m, name).workers!.value;
      expect(isUnknown(v)).toBe(true);
      expect(JSON.stringify(v)).toMatch(/BOX_ROLE/);
    }
  });

  it("case ENV['RACK_ENV']: capistrano3-unicorn 0.2.1's `-E deployment` decides it, whatever the stage", async () => {
    const files = filesOf(APP);
    const text = 'case ENV[\'RACK_ENV\']\nwhen "production" then worker_processes 6\nwhen "deployment" then worker_processes 4\nelse worker_processes 1\nend\n';
    files["config/unicorn.rb"] = text;
    const m = await analyzeFiles(memoryRepo(files), "loom");
    for (const [name, env] of STATED) {
      const real = bootUnicorn(text, env);
      expect(real.rack_env_seen).toBe("deployment");
      expect(stage(m, name).workers?.value, name).toBe(real.worker_processes);
    }
  });

  it("case ENV['RACK_ENV'] started with no -E: not known, every branch marked", async () => {
    const files = filesOf(APP);
    files["config/unicorn.rb"] = 'case ENV[\'RACK_ENV\']\nwhen "production" then worker_processes 6\nelse worker_processes 1\nend\n';
    files["config/deploy.rb"] += 'set :unicorn_rack_env, -> { ENV["APP_RACK_ENV"] }\n';
    const m = await analyzeFiles(memoryRepo(files), "loom");
    expect(isUnknown(stage(m, "production").workers!.value)).toBe(true);
  });
});

describe("a Puma config that cases on the environment", () => {
  // capistrano3-puma 5 starts Puma `with rack_env: puma_env` (puma_env defaults to rails_env), inside
  // the release, with -C the config the deploy names.
  const app = (config: string): Record<string, string> => ({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\ninstall_plugin Capistrano::Puma\n',
    "config/deploy.rb": 'set :application, "spindle"\nset :repo_url, "git@git.example.org:weavers/spindle.git"\nset :deploy_to, "/srv/spindle"\nset :puma_conf, -> { "#{current_path}/config/puma.rb" }\n',
    "config/deploy/production.rb": 'set :rails_env, "production"\nserver "p1.spindle.example.org", roles: %w[web app db]\n',
    "config/deploy/staging.rb": 'set :rails_env, "staging"\nserver "s1.spindle.example.org", roles: %w[web app db]\n',
    "config/deploy/review.rb": 'set :rails_env, "review"\nserver "r1.spindle.example.org", roles: %w[web app db]\n',
    "config.ru": 'run ->(env) { [200, {}, ["spun"]] }\n',
    "config/puma.rb": config,
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.3)\n    capistrano3-puma (5.2.0)\n    puma (5.6.5)\n    rails (6.1.7.6)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano3-puma\n  puma\n  rails\n",
  });
  const STAGES = ["production", "staging", "review"];

  /** Puma's own command line in the app, `-C config/puma.rb`, with RAILS_ENV and RACK_ENV as the plugin sets them. */
  function realPuma(files: Record<string, string>): any[] {
    const dir = mkdtempSync(join(tmpdir(), "r2k-env-case-puma-"));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    return runRubyFile(join(here, "puma_env_oracle.rb"), STAGES.map((env) => ({ dir, args: ["-C", "config/puma.rb"], rack_env: env, environ: { RAILS_ENV: env } })));
  }

  const CONFIGS = [
    'rails_env = ENV.fetch("RAILS_ENV") { "development" }\ncase rails_env\nwhen "production"\n  workers 4\n  threads 2, 8\nwhen "staging" then workers 1\nelse\n  workers 0\nend\n',
    'case ENV["RACK_ENV"]\nwhen "production", "staging" then threads 4, 16\nelse threads 1, 1\nend\nworkers(ENV["RAILS_ENV"] == "production" ? 3 : 1)\n',
  ];
  for (const [n, config] of CONFIGS.entries()) {
    it(`config ${n + 1}: ${config.split("\n")[0]}`, async () => {
      const files = app(config);
      const m = await analyzeFiles(memoryRepo(files), "spindle");
      const real = realPuma(files);
      expect(new Set(real.map((r) => JSON.stringify([r.workers, r.threads]))).size).toBeGreaterThan(1);
      for (const [i, name] of STAGES.entries()) {
        const cfg = stage(m, name);
        expect(cfg.file, name).toBe("config/puma.rb");
        expect(cfg.workers?.value ?? 0, name).toBe(real[i].workers);
        if (cfg.threads) expect(cfg.threads.value, name).toEqual(real[i].threads);
        else expect(real[i].threads, name).toEqual([0, 5]);
      }
    });
  }
});
