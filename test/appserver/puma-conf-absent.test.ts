// capistrano3-puma before 6 starts `puma -C <puma_conf>`. A stage that sets puma_conf to a path
// inside the release (`"#{release_path}/config/puma/production.rb"`) while the repo holds no such
// file ran no file of the repo: the plugin's puma:check renders its template there only before the
// new release exists, and Puma raises on a missing -C file. That stage's numbers are gaps, named at
// the `set`, never config/puma.rb's. A stage whose path the repo holds reads that file; one whose
// path is linked from shared/ is the servers' copy. Judged by real `cap` (each stage's puma_conf),
// Debian's Puma::Configuration (puma_oracle.rb: the file read, the missing one raising).
// App "spindle", written here.
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { recordingIo } from "../migrate/helpers.js";
import { prepareCopy, runCap } from "../capistrano/cap.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
beforeAll(async () => {
  await initPrism();
});

const lock = (plugin: string) =>
  ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.17.2)", `    capistrano3-puma (${plugin})`, "      capistrano (~> 3.7)", "      puma (>= 4.0)", "    puma (5.6.5)", "    rails (6.1.7)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano3-puma", "  puma", "  rails", ""].join("\n");

const FILES = (plugin = "5.2.0"): Record<string, string> => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\ninstall_plugin Capistrano::Puma\n',
  "config/deploy.rb": 'set :application, "spindle"\nset :repo_url, "git@git.example.test:mill/spindle.git"\nset :deploy_to, "/srv/spindle"\n',
  // the stage names a per-stage file the repo never committed
  "config/deploy/production.rb": 'set :rails_env, "production"\nset :puma_conf, "#{release_path}/config/puma/production.rb"\nserver "spindle1.example.test", user: "deploy", roles: %w[web app db]\n',
  "config/deploy/staging.rb": 'set :rails_env, "staging"\nset :puma_conf, "#{release_path}/config/puma/staging.rb"\nserver "spindle-stg.example.test", user: "deploy", roles: %w[web app db]\n',
  // a laptop config with numbers of its own: never production's
  "config/puma.rb": "workers 7\nthreads 2, 9\nworker_timeout 45\n",
  "config/puma/staging.rb": "workers 2\nthreads 1, 4\n",
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "capistrano3-puma"\n',
  "Gemfile.lock": lock(plugin),
  "config/application.rb": "module Spindle\n  class Application < Rails::Application\n  end\nend\n",
  "config.ru": 'run ->(env) { [200, {}, ["ok"]] }\n',
});

function onDisk(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-spindle-")), "app");
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}
const isGap = (f: { value: unknown } | null | undefined) => !!f && typeof f.value === "object" && f.value !== null && "unknown" in f.value;

describe("capistrano3-puma's puma_conf inside the release, with no such file in the repo", () => {
  it("production's numbers are gaps named at its `set`; staging reads its own file as Puma does", async () => {
    const root = onDisk(FILES());
    const app = prepareCopy(root);
    const real = { production: await runCap(app, "production"), staging: await runCap(app, "staging") };
    const rel = (v: unknown) => String(v).replace("/srv/spindle/current/", "");
    expect(rel(real.production.variables["puma_conf"])).toBe("config/puma/production.rb");
    expect(rel(real.staging.variables["puma_conf"])).toBe("config/puma/staging.rb");
    // Puma itself, started with the missing file, raises; with staging's, reads it
    const [missing, staging0] = runRubyFile(join(here, "puma_oracle.rb"), [
      { path: join(root, "config/puma/production.rb"), env: "production" },
      { path: join(root, "config/puma/staging.rb"), env: "staging" },
    ]);
    expect(existsSync(join(root, "config/puma/production.rb"))).toBe(false);
    expect(missing.error).toMatch(/Errno::ENOENT/);

    const m = await analyzeFiles(memoryRepo(FILES()), "spindle");
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(prod.file).toBe("config/puma/production.rb");
    for (const f of [prod.workers, prod.timeout, prod.preloadApp]) expect(isGap(f)).toBe(true);
    expect(prod.workers?.value).not.toBe(7);
    const said = m.problems.filter((p) => /puma\.plugin-config-absent/.test(p.message));
    expect(said.map((p) => [p.file, p.line])).toEqual([["config/deploy/production.rb", 2]]);
    expect(said[0]!.message).toContain("stage production:");
    expect(said[0]!.message).toContain("the repo has no config/puma/production.rb");
    expect(said[0]!.message).toContain("config/puma.rb is not read in its place");
    // the questions' why names the missing file as missing, never "<file> sets them"
    const g = m.gaps.find((x) => x.id === "stage.production.web.workers")!;
    expect(g).toMatchObject({ placeholder: true, default: 0, source: { file: "config/deploy/production.rb", line: 2 } });
    expect(g.why).toMatch(/the repo has no config\/puma\/production\.rb/);
    expect(g.why).not.toMatch(/sets them/);

    const staging = appServerFor(m, m.stages.find((s) => s.name === "staging")!)!;
    expect(staging.file).toBe("config/puma/staging.rb");
    expect([staging.workers?.value, staging.threads?.value]).toEqual([staging0.workers, staging0.threads]);
    expect(m.problems.some((p) => /plugin-config-absent/.test(p.message) && /staging/.test(p.message))).toBe(false);
  });

  it("migrate --yes: production's config.env carries the labelled placeholder, never config/puma.rb's 7", async () => {
    const dir = onDisk(FILES());
    const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
    const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const prod = readFileSync(join(dir, "k8s/overlays/production/config.env"), "utf8");
    expect(prod).toMatch(/# PLACEHOLDER: [^\n]*stage\.production\.web\.workers[^\n]*\nWEB_CONCURRENCY=0\n/);
    expect(prod).not.toMatch(/WEB_CONCURRENCY=7/);
    expect(readFileSync(join(dir, "k8s/overlays/staging/config.env"), "utf8")).toMatch(/\nWEB_CONCURRENCY=2\n/);
  });

  it("before 5.0 the cold start's rendering is named too; a path the repo holds is read, with no warning", async () => {
    const m4 = await analyzeFiles(memoryRepo(FILES("4.0.0")), "spindle");
    const said = m4.problems.find((p) => /puma\.plugin-config-absent/.test(p.message))!;
    expect(said.message).toMatch(/before 5\.0 its puma:start also renders it when Puma is not running/);
    expect(isGap(appServerFor(m4, m4.stages.find((s) => s.name === "production")!)!.workers)).toBe(true);

    const held = await analyzeFiles(memoryRepo({ ...FILES(), "config/puma/production.rb": "workers 4\nthreads 5, 5\n" }), "spindle");
    expect(appServerFor(held, held.stages.find((s) => s.name === "production")!)!.workers?.value).toBe(4);
    expect(held.problems.some((p) => /plugin-config-absent/.test(p.message))).toBe(false);
  });

  it("a puma_conf path linked from shared/ is the servers' own copy: gaps, said as linked, not config/puma.rb", async () => {
    const files = { ...FILES(), "config/deploy/production.rb": 'set :rails_env, "production"\nappend :linked_files, "config/puma/live.rb"\nset :puma_conf, "#{release_path}/config/puma/live.rb"\nserver "spindle1.example.test", user: "deploy", roles: %w[web app db]\n' };
    const m = await analyzeFiles(memoryRepo(files), "spindle");
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(prod.file).toBe("config/puma/live.rb");
    expect(isGap(prod.workers)).toBe(true);
    expect(m.problems.some((p) => /linked from the servers' shared\/ directory/.test(p.message) && /config\/puma\/live\.rb/.test(p.message))).toBe(true);
  });
});
