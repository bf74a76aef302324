// capistrano3-nginx_unicorn 0.0.6 renders unicorn.rb.erb on every deploy (unicorn:setup after
// deploy:check) with the stage's variables and starts Unicorn with it: its numbers are the stage's
// (analyzers/appserver/nginx-unicorn-cap3.ts). Where the app defines its own `template`, that helper
// replaces the gem's and decides which file is rendered. Judged by real `cap <stage> unicorn:setup
// --dry-run` (Capistrano 3.17, uploads captured) with a stand-in of the gem's tasks
// (nginx-unicorn3-standin/, the gem is not packaged), and Unicorn::Configurator reading the upload.
// App "kiln", written here.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { APP_SERVER_DEFAULTS, appServerFor } from "../../emitters/app-server.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initPrism();
});

const LOCK = ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.17.2)", "    capistrano3-nginx_unicorn (0.0.6)", "      capistrano (>= 3.0.0)", "    rails (6.1.7)", "    unicorn (6.1.0)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano", "  capistrano3-nginx_unicorn", "  rails", "  unicorn", ""].join("\n");

function kiln(): Record<string, string> {
  return {
    Capfile: ["require 'capistrano/setup'", "require 'capistrano/deploy'", "require 'capistrano3/nginx_unicorn'", "Dir.glob('lib/capistrano/tasks/*.rake').each { |r| import r }", ""].join("\n"),
    "config/deploy.rb": ["set :application, 'kiln'", "set :repo_url, 'git@git.example.test:acct/kiln.git'", "set :deploy_to, '/srv/kiln'", "set :unicorn_workers, 2", "set :unicorn_timeout, 45", ""].join("\n"),
    "config/deploy/production.rb": "server 'kiln1.example.test', roles: %w[web app db]\nset :unicorn_workers, 6\n",
    "config/deploy/staging.rb": "server 'kiln-stg.example.test', roles: %w[web app db]\n",
    "lib/capistrano/tasks/render.rake": ["def template(from, to)", '  path = File.expand_path("../../templates/#{from}", __FILE__)', "  upload! StringIO.new(ERB.new(File.read(path)).result(binding)), to", "end", ""].join("\n"),
    "lib/capistrano/templates/unicorn.rb.erb": ['working_directory "<%= current_path %>"', 'listen "/tmp/unicorn.<%= fetch(:application) %>.sock"', "worker_processes <%= fetch(:unicorn_workers) %>", "timeout <%= fetch(:unicorn_timeout) %>", "preload_app true", ""].join("\n"),
    "config/unicorn.rb": "worker_processes 3\ntimeout 90\n",
    Gemfile: "source 'https://rubygems.org'\ngem 'rails'\ngem 'unicorn'\ngem 'capistrano'\ngem 'capistrano3-nginx_unicorn'\n",
    "Gemfile.lock": LOCK,
  };
}

/** Real `cap <stage> unicorn:setup --dry-run` with the stand-in gem: the upload to shared/config/unicorn.rb, read by Unicorn. */
function capOracle(files: Record<string, string>, stage: string): any {
  const dir = mkdtempSync(join(tmpdir(), "r2k-kiln-"));
  const app = join(dir, "app");
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(app, f)), { recursive: true });
    writeFileSync(join(app, f), text);
  }
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(here, "capture_uploads.rb"))}\n`);
  const out = join(dir, "uploads");
  const r = spawnSync("cap", [stage, "unicorn:setup", "--dry-run"], { cwd: app, encoding: "utf8", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", R2K_UPLOADS: out, RUBYLIB: join(here, "nginx-unicorn3-standin") } });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  const uploads = existsSync(out) ? readdirSync(out) : [];
  expect(uploads).toEqual(["__srv__kiln__shared__config__unicorn.rb"]);
  const conf = join(out, uploads[0]!);
  return { text: readFileSync(conf, "utf8"), read: runRubyFile(join(here, "unicorn_oracle.rb"), [{ path: conf, env: "production" }])[0] };
}

describe("capistrano3-nginx_unicorn's unicorn:setup", () => {
  it("the app's own `template` replaces the gem's: its template is rendered with each stage's variables, as real cap renders it", async () => {
    const files = kiln();
    const m = await analyzeFiles(memoryRepo(files), "kiln");
    for (const name of ["production", "staging"]) {
      const real = capOracle(files, name).read;
      const cfg = appServerFor(m, m.stages.find((s) => s.name === name)!)!;
      expect(cfg.file).toBe("lib/capistrano/templates/unicorn.rb.erb");
      expect(cfg.workers?.value).toBe(real.worker_processes);
      expect(cfg.timeout?.value).toBe(real.timeout);
      expect(cfg.listen.map((l) => l.address)).toEqual(real.listeners.map((l: any) => l.address));
      expect(cfg.renderedBy?.value).toContain("lib/capistrano/tasks/render.rake:1");
    }
    expect(appServerFor(m, m.stages.find((s) => s.name === "production")!)!.workers).toMatchObject({ value: 6, source: { file: "config/deploy/production.rb", line: 2 } });
    expect(appServerFor(m, m.stages.find((s) => s.name === "staging")!)!.workers).toMatchObject({ value: 2, source: { file: "config/deploy.rb", line: 4 } });
    // config/unicorn.rb is not what the servers ran, and it says so.
    expect(m.problems.some((p) => p.file === "config/unicorn.rb" && p.message.includes("capistrano3-nginx_unicorn"))).toBe(true);
  });

  it("no helper and no copy under templates_path: the gem's own template, unicorn_workers' default 4 labelled as the gem's", async () => {
    const files = kiln();
    delete files["lib/capistrano/tasks/render.rake"];
    delete files["lib/capistrano/templates/unicorn.rb.erb"];
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace("set :unicorn_workers, 2\n", "");
    const m = await analyzeFiles(memoryRepo(files), "kiln");
    for (const name of ["production", "staging"]) {
      const real = capOracle(files, name).read;
      const cfg = appServerFor(m, m.stages.find((s) => s.name === name)!)!;
      expect(cfg.workers?.value).toBe(real.worker_processes);
      expect(cfg.timeout?.value).toBe(real.timeout);
      expect(cfg.preloadApp?.value).toBe(real.preload_app);
    }
    expect(appServerFor(m, m.stages.find((s) => s.name === "staging")!)!.workers).toMatchObject({ value: 4, defaultOf: "capistrano3-nginx_unicorn" });
    expect(appServerFor(m, m.stages.find((s) => s.name === "production")!)!.timeout).toMatchObject({ value: 30, defaultOf: "capistrano3-nginx_unicorn" });
  });

  it("a copy under templates_path (config/deploy/templates/unicorn.rb.erb) is the one rendered when the app has no helper", async () => {
    const files = kiln();
    delete files["lib/capistrano/tasks/render.rake"];
    files["config/deploy/templates/unicorn.rb.erb"] = files["lib/capistrano/templates/unicorn.rb.erb"]!.replace("preload_app true", "preload_app false");
    delete files["lib/capistrano/templates/unicorn.rb.erb"];
    const m = await analyzeFiles(memoryRepo(files), "kiln");
    const real = capOracle(files, "staging").read;
    const cfg = appServerFor(m, m.stages.find((s) => s.name === "staging")!)!;
    expect(cfg.file).toBe("config/deploy/templates/unicorn.rb.erb");
    expect([cfg.workers?.value, cfg.timeout?.value, cfg.preloadApp?.value]).toEqual([real.worker_processes, real.timeout, real.preload_app]);
  });

  it("the app's helper names a template the repo lacks (cap raised): the numbers are asked, never the gem's or config/unicorn.rb's", async () => {
    const files = kiln();
    delete files["lib/capistrano/templates/unicorn.rb.erb"];
    const m = await analyzeFiles(memoryRepo(files), "kiln");
    const cfg = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(cfg.workers?.value).toMatchObject({ unknown: expect.stringContaining("lib/capistrano/templates/unicorn.rb.erb, which the repo does not hold") });
    expect(m.gaps.find((g) => g.id === "stage.production.web.workers")).toMatchObject({ default: APP_SERVER_DEFAULTS.unicorn.workers, placeholder: true });
  });
});
