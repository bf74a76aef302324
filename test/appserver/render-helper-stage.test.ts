// The repo's own render helper (`def template(from, to, with_env = false)`), followed from its own
// text: `from = "#{from}.#{stage}" if with_env` makes `template "unicorn.rb", to, true` read
// templates/unicorn.rb.<stage>.erb, a file per stage. Capistrano 2 is not installable here, so the
// oracle runs the helper itself in real Ruby, with Capistrano 2's `stage` and `put` stood in, and
// reads the upload with Unicorn::Configurator. A helper that looks its template up another way is
// named, never guessed. App "tannery", written here.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";
import { runRubyFile } from "./ruby.js";
import { APP_SERVER_DEFAULTS } from "../../emitters/app-server.js";
import { analyzeDir } from "../../src/analyze.js";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { recordingIo } from "../migrate/helpers.js";

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initPrism();
});

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

const HELPER = [
  "def template(from, to, with_env = false)",
  '  from = "#{from}.#{stage}" if with_env',
  '  text = File.read(File.expand_path("../templates/#{from}.erb", __FILE__))',
  "  put ERB.new(text).result(binding), to",
  "end",
  "",
].join("\n");

function tannery(): Record<string, string> {
  return {
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": [
      "require 'capistrano/ext/multistage'",
      "load 'config/recipes/helpers'",
      "load 'config/recipes/unicorn'",
      "set :stages, %w(production staging)",
      "set :application, 'tannery'",
      'set :deploy_to, "/srv/tannery"',
      "",
    ].join("\n"),
    "config/deploy/production.rb": "server 'tan1.example.test', :web, :app, :db, primary: true\n",
    "config/deploy/staging.rb": "server 'tan-stg.example.test', :web, :app, :db, primary: true\n",
    "config/recipes/helpers.rb": HELPER,
    "config/recipes/unicorn.rb": [
      "namespace :unicorn do",
      "  task :setup, roles: :app do",
      '    template "unicorn.rb", "#{shared_path}/config/unicorn.rb", true',
      "  end",
      "  after 'deploy:setup', 'unicorn:setup'",
      "  task :symlink, roles: :app do",
      '    run "ln -nfs #{shared_path}/config/unicorn.rb #{release_path}/config/unicorn.rb"',
      "  end",
      "  after 'deploy:finalize_update', 'unicorn:symlink'",
      "  task :restart, roles: :app do",
      '    run "cd #{current_path} && bundle exec unicorn -c #{current_path}/config/unicorn.rb -E production -D"',
      "  end",
      "  after 'deploy:restart', 'unicorn:restart'",
      "end",
      "",
    ].join("\n"),
    "config/recipes/templates/unicorn.rb.production.erb": 'worker_processes 6\ntimeout 45\nlisten "/tmp/unicorn.<%= application %>.<%= stage %>.sock"\n',
    "config/recipes/templates/unicorn.rb.staging.erb": 'worker_processes 2\ntimeout 20\nlisten "/tmp/unicorn.<%= application %>.<%= stage %>.sock"\n',
    // the repo's own file, replaced on the servers by the link to shared/
    "config/unicorn.rb": "",
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.5)\n    unicorn (4.8.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  unicorn\n",
  };
}

/** Runs the repo's helper in Ruby as Capistrano 2 would on `stage`, and what Unicorn reads from its upload. */
function helperOracle(files: Record<string, string>, stage: string): any {
  const dir = mkdtempSync(join(tmpdir(), "r2k-tannery-"));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  const out = join(dir, "upload.rb");
  const script = [
    'require "erb"',
    `def stage = ${JSON.stringify(stage)}.to_sym`,
    'def application = "tannery"',
    `def put(text, to) = File.write(${JSON.stringify(out)}, text)`,
    'load "config/recipes/helpers.rb"',
    'template "unicorn.rb", "/srv/tannery/shared/config/unicorn.rb", true',
  ].join("\n");
  const r = spawnSync("ruby", ["-e", script], { cwd: dir, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  expect(readFileSync(out, "utf8")).toContain(`unicorn.tannery.${stage}.sock`);
  return runRubyFile(join(here, "unicorn_oracle.rb"), [{ path: out, env: "production" }])[0];
}

describe("a repo helper that renders a per-stage template", () => {
  it("each stage reads its own templates/unicorn.rb.<stage>.erb, as the helper does, and Unicorn reads the upload", async () => {
    const files = tannery();
    const m = await analyzeFiles(memoryRepo(files), "tannery");
    for (const name of ["production", "staging"]) {
      const real = helperOracle(files, name);
      const cfg = appServerFor(m, m.stages.find((s) => s.name === name)!)!;
      expect(cfg.file).toBe(`config/recipes/templates/unicorn.rb.${name}.erb`);
      expect(cfg.workers?.value).toBe(real.worker_processes);
      expect(cfg.timeout?.value).toBe(real.timeout);
      expect(cfg.listen.map((l) => l.address)).toEqual(real.listeners.map((l: any) => l.address));
      expect(cfg.renderedBy?.source).toEqual({ file: "config/recipes/unicorn.rb", line: 3 });
    }
  });

  it("a helper that looks its template up through another method is named at the call, and nothing is read for it", async () => {
    const files = tannery();
    files["config/recipes/helpers.rb"] = [
      "def template(from, to, with_env = false)",
      "  put ERB.new(File.read(template_source(from))).result(binding), to",
      "end",
      "def template_source(name)",
      '  Dir["config/recipes/**/#{name}*.erb"].first',
      "end",
      "",
    ].join("\n");
    const m = await analyzeFiles(memoryRepo(files), "tannery");
    const said = m.problems.find((p) => p.message.startsWith("render-helper.not-followed"));
    expect(said).toMatchObject({ file: "config/recipes/unicorn.rb", line: 3 });
    expect(said!.message).toContain("config/recipes/helpers.rb:1");
    expect(m.appServers.some((a) => a.file.startsWith("config/recipes/templates/"))).toBe(false);
  });
  it("a stage with no template of its own (the helper raised there): named at the call, and config/unicorn.rb is not read as that stage's", async () => {
    const files = tannery();
    delete files["config/recipes/templates/unicorn.rb.staging.erb"];
    files["config/unicorn.rb"] = "worker_processes 4\ntimeout 60\n";
    const m = await analyzeFiles(memoryRepo(files), "tannery");
    expect(appServerFor(m, m.stages.find((s) => s.name === "production")!)!.workers?.value).toBe(6);
    expect(m.appServers.find((a) => a.file === "config/unicorn.rb")?.stages ?? []).not.toContain("staging");
    const said = m.problems.find((p) => p.message.startsWith("stage staging: this per-stage render reads config/recipes/templates/unicorn.rb.staging.erb, which is not in the repo"));
    expect(said).toMatchObject({ file: "config/recipes/unicorn.rb", line: 3 });
    // What the emitters follow for staging: a config whose numbers are not known, never config/unicorn.rb's 4 and 60.
    const staging = appServerFor(m, m.stages.find((s) => s.name === "staging")!)!;
    expect(staging.file).toBe("config/recipes/templates/unicorn.rb.staging.erb");
    expect(staging.workers?.value).toMatchObject({ unknown: expect.stringContaining("the other stages ran config/recipes/templates/unicorn.rb.production.erb (stage production)") });
    const gap = m.gaps.find((g) => g.id === "stage.staging.web.workers");
    expect(gap).toMatchObject({ default: APP_SERVER_DEFAULTS.unicorn.workers, placeholder: true, source: { file: "config/recipes/unicorn.rb", line: 3 } });
    expect(m.gaps.find((g) => g.id === "stage.staging.web.timeout")).toMatchObject({ default: APP_SERVER_DEFAULTS.unicorn.timeout, placeholder: true });
    expect(m.gaps.some((g) => g.id.startsWith("stage.production.web."))).toBe(false);
  });

  it("migrate --yes: staging's overlay carries Unicorn's labelled defaults, MIGRATION.md names the missing template and production's, and a replay changes nothing", async () => {
    const files = tannery();
    delete files["config/recipes/templates/unicorn.rb.staging.erb"];
    files["config/unicorn.rb"] = "worker_processes 4\ntimeout 60\n";
    const dir = join(mkdtempSync(join(tmpdir(), "r2k-tannery-")), "app");
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const read = (p: string) => readFileSync(join(dir, p), "utf8");
    const staging = read("k8s/overlays/staging/config.env");
    expect(staging).toMatch(/# PLACEHOLDER: Unicorn's default, [^\n]*stage\.staging\.web\.workers[^\n]*\nWEB_CONCURRENCY=1\n/);
    expect(staging).not.toMatch(/WEB_CONCURRENCY=4/);
    expect(read("k8s/overlays/production/config.env")).toMatch(/\nWEB_CONCURRENCY=[1-9]/);
    expect(read("k8s/overlays/production/config.env")).not.toMatch(/PLACEHOLDER/);
    const guide = read("MIGRATION.md");
    expect(guide).toMatch(/Fill in the web server's numbers of stage staging\*\*: the config that held them is not in the repo \(`config\/recipes\/unicorn\.rb:3`\)/);
    expect(guide).toMatch(/stage staging's per-stage render \(`?config\/recipes\/unicorn\.rb:3`?\) reads `?config\/recipes\/templates\/unicorn\.rb\.staging\.erb`?, which the repo does not hold/);
    expect(guide).toMatch(/the other stages ran `?config\/recipes\/templates\/unicorn\.rb\.production\.erb`? \(stage production\)/);
    expect(guide).not.toMatch(/Fill in the web server's numbers of stage production/);
    const before = new Map(["MIGRATION.md", ".rails2k8s.yml", "k8s/overlays/staging/config.env", "k8s/overlays/production/config.env"].map((p) => [p, read(p)]));
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    for (const [p, c] of before) expect(read(p), p).toBe(c);
  });
});
