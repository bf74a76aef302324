// Two ways the Unicorn config the servers ran is not a file the repo shows as such:
// - the deploy names a config outside the release (`set :unicorn_config_path, "/etc/unicorn.conf"`,
//   a one-click droplet's own config, restarted by a script of the box): the stage's worker count is
//   a gap, the repo's config/unicorn.rb offering its value only as a labelled default ("which the
//   servers do not read"), never "this stage's worker_processes";
// - the servers held config/unicorn.rb in shared/ and the repo keeps config/unicorn.rb.sample (or a
//   config/unicorn.example.rb, config/puma.rb.example): read as the repo's example, its numbers the
//   questions' labelled defaults, never stated facts.
// Judged by real `cap` (the stage's unicorn_config_path, linked_files) and Unicorn's own
// Configurator (unicorn_oracle.rb) reading the repo's files. Apps "lantern" and "tollgate", written here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { appServerFor } from "../../emitters/app-server.js";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { recordingIo } from "../migrate/helpers.js";
import { writeApp } from "../written-files.js";
import { prepareCopy, runCap } from "../capistrano/cap.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
const cleanup: string[] = [];
beforeAll(async () => {
  await initPrism();
});
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

function onDisk(files: Record<string, string>): string {
  const dir = writeApp(files, "r2k-outside-", "app");
  cleanup.push(dirname(dir));
  return dir;
}
const isGap = (f: { value: unknown } | null | undefined) => !!f && typeof f.value === "object" && f.value !== null && "unknown" in f.value;
const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const migrateEnv: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

const CAPFILE = 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n';
const lock = (gems: string[]) => ["GEM", "  remote: https://rubygems.org/", "  specs:", ...gems.map((g) => `    ${g}`), "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", ...gems.map((g) => `  ${g.split(" ")[0]}`), ""].join("\n");
const APP = (name: string) => ({
  "config/application.rb": `module ${name}\n  class Application < Rails::Application\n  end\nend\n`,
  "config.ru": 'run ->(env) { [200, {}, ["ok"]] }\n',
});

// A droplet app: the box's own /etc/unicorn.conf is the config, a script of the box restarts Unicorn.
const LANTERN: Record<string, string> = {
  Capfile: CAPFILE,
  "config/deploy.rb": [
    'set :application, "lantern"', // 1
    'set :repo_url, "git@git.example.test:harbor/lantern.git"', // 2
    'set :deploy_to, "/home/rails/lantern"', // 3
    "# the droplet image keeps its own Unicorn config outside the app", // 4
    'set :unicorn_config_path, "/etc/unicorn.conf"', // 5
    'after "deploy:publishing", "deploy:restart"', // 6
    "namespace :deploy do", // 7
    "  task :restart do", // 8
    "    on roles(:app) do", // 9
    '      execute :sudo, "/usr/local/bin/restart-unicorn"', // 10
    "    end", // 11
    "  end", // 12
    "end", // 13
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'server "lantern.example.test", user: "rails", roles: %w[app web db]\n',
  // a laptop config: what `unicorn -c config/unicorn.rb` runs in development
  "config/unicorn.rb": 'worker_processes 3\nlisten "0.0.0.0:3000"\ntimeout 45\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "5.1.4"\ngem "unicorn"\n',
  "Gemfile.lock": lock(["capistrano (3.10.1)", "rails (5.1.4)", "unicorn (5.3.1)"]),
  ...APP("Lantern"),
};

describe("unicorn_config_path outside the release, no capistrano3-unicorn", () => {
  it("the stage's numbers are gaps; config/unicorn.rb's, as Unicorn reads them, are the labelled defaults", async () => {
    const root = onDisk(LANTERN);
    const app = prepareCopy(root);
    cleanup.push(dirname(app));
    expect((await runCap(app, "production")).variables["unicorn_config_path"]).toBe("/etc/unicorn.conf");
    const [repo] = runRubyFile(join(here, "unicorn_oracle.rb"), [join(root, "config/unicorn.rb")]);
    expect([repo.worker_processes, repo.timeout]).toEqual([3, 45]);

    const m = await analyzeFiles(memoryRepo(LANTERN), "lantern");
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(prod.file).toBe("/etc/unicorn.conf");
    expect(isGap(prod.workers)).toBe(true);
    expect(isGap(prod.timeout)).toBe(true);
    const g = m.gaps.find((x) => x.id === "stage.production.web.workers")!;
    expect(g).toMatchObject({ default: repo.worker_processes, suggestion: true, source: { file: "config/deploy.rb", line: 5 } });
    expect(g.why).toContain("the repo's config/unicorn.rb (`worker_processes 3`, config/unicorn.rb:1), which the servers do not read");
    const t = m.gaps.find((x) => x.id === "stage.production.web.timeout")!;
    expect(t.default).toBe(repo.timeout);
  });

  it("migrate --yes: WEB_CONCURRENCY is the unconfirmed suggestion, never 'this stage's worker_processes'", async () => {
    const dir = onDisk(LANTERN);
    expect(await runMigrate(dir, { yes: true }, recordingIo(), migrateEnv)).toBe(0);
    const env = readFileSync(join(dir, "k8s/overlays/production/config.env"), "utf8");
    expect(env).toMatch(/WEB_CONCURRENCY=3\n/);
    expect(env).not.toMatch(/this stage's worker_processes/);
    expect(env).toMatch(/# [^\n]*the repo's config\/unicorn\.rb[^\n]*which the servers do not read[^\n]*\nWEB_CONCURRENCY=3\n/);
  });

  it("a start line's `-c /etc/unicorn.conf` in a deploy task is the same gap", async () => {
    const files = {
      ...LANTERN,
      "config/deploy.rb": LANTERN["config/deploy.rb"]!.replace('set :unicorn_config_path, "/etc/unicorn.conf"', "# (no variable)").replace('execute :sudo, "/usr/local/bin/restart-unicorn"', 'execute "bundle exec unicorn -c /etc/unicorn.conf -E production -D"'),
    };
    const m = await analyzeFiles(memoryRepo(files), "lantern");
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(isGap(prod.workers)).toBe(true);
    expect(m.gaps.find((x) => x.id === "stage.production.web.workers")).toMatchObject({ default: 3, suggestion: true, source: { file: "config/deploy.rb", line: 10 } });
  });
});

// A toll-road app: config/unicorn.rb lived in shared/ (linked), the repo keeps the sample.
const TOLLGATE: Record<string, string> = {
  Capfile: CAPFILE,
  "config/deploy.rb": [
    'set :application, "tollgate"', // 1
    'set :repo_url, "git@git.example.test:roads/tollgate.git"', // 2
    'set :deploy_to, "/var/www/tollgate"', // 3
    "set :linked_files, %w{config/database.yml config/unicorn.rb}", // 4
    'after "deploy:publishing", "deploy:restart"', // 5
    "namespace :deploy do", // 6
    "  task :restart do", // 7
    "    on roles(:web) do", // 8
    '      execute :sudo, "/etc/init.d/unicorn_tollgate upgrade"', // 9
    "    end", // 10
    "  end", // 11
    "end", // 12
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'server "toll1.example.test", user: "toll", roles: %w[web app db]\n',
  "config/unicorn.rb.sample": ['root = "/var/www/tollgate"', "worker_processes 4", "timeout 25", 'listen "#{root}/shared/tmp/unicorn.sock"', "preload_app true", ""].join("\n"),
  "config/database.yml.sample": "production:\n  adapter: postgresql\n  database: tollgate\n",
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "4.2.11"\ngem "unicorn"\ngem "pg"\n',
  "Gemfile.lock": lock(["capistrano (3.4.0)", "pg (0.21.0)", "rails (4.2.11)", "unicorn (5.1.0)"]),
  ...APP("Tollgate"),
};

describe("config/unicorn.rb.sample beside a linked config/unicorn.rb", () => {
  it("its numbers, as Unicorn reads them, are the labelled defaults of the stage's questions", async () => {
    const root = onDisk(TOLLGATE);
    const app = prepareCopy(root);
    cleanup.push(dirname(app));
    expect((await runCap(app, "production")).variables["linked_files"]).toContain("config/unicorn.rb");
    const [sample] = runRubyFile(join(here, "unicorn_oracle.rb"), [join(root, "config/unicorn.rb.sample")]);
    expect([sample.worker_processes, sample.timeout]).toEqual([4, 25]);

    const m = await analyzeFiles(memoryRepo(TOLLGATE), "tollgate");
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(prod.file).toBe("config/unicorn.rb");
    expect(isGap(prod.workers)).toBe(true);
    const g = m.gaps.find((x) => x.id === "stage.production.web.workers")!;
    expect(g).toMatchObject({ default: sample.worker_processes, suggestion: true });
    expect(g.why).toContain("the repo's example config/unicorn.rb.sample (`worker_processes 4`, config/unicorn.rb.sample:2), an example, not what the servers ran");
    expect(m.gaps.find((x) => x.id === "stage.production.web.timeout")).toMatchObject({ default: sample.timeout, suggestion: true });
    expect(renderReport(m, { color: false })).not.toContain("no Unicorn or Puma config found");
  });

  it("with no linked config, a service of the servers and config/unicorn.example.rb: gaps with the example's numbers as labelled defaults", async () => {
    const files = { ...TOLLGATE, "config/deploy.rb": TOLLGATE["config/deploy.rb"]!.replace("config/database.yml config/unicorn.rb", "config/database.yml"), "config/unicorn.rb.sample": undefined as unknown as string, "config/unicorn.example.rb": TOLLGATE["config/unicorn.rb.sample"]! };
    delete (files as Record<string, string | undefined>)["config/unicorn.rb.sample"];
    const m = await analyzeFiles(memoryRepo(files), "tollgate");
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(isGap(prod.workers)).toBe(true);
    expect(m.gaps.find((x) => x.id === "stage.production.web.workers")).toMatchObject({ default: 4, suggestion: true });
    expect(m.gaps.find((x) => x.id === "stage.production.web.workers")!.why).toContain("the repo's example config/unicorn.example.rb (`worker_processes 4`, config/unicorn.example.rb:2)");
    // the restart of a service only the servers define is said with the example's numbers as the defaults
    expect(m.problems.some((p) => p.file === "config/deploy.rb" && p.line === 9 && /with the numbers of the repo's example config\/unicorn\.example\.rb as labelled defaults/.test(p.message))).toBe(true);
  });

  it("migrate --yes: WEB_CONCURRENCY 4 labelled as the repo's example, not as the stage's", async () => {
    const dir = onDisk(TOLLGATE);
    expect(await runMigrate(dir, { yes: true }, recordingIo(), migrateEnv)).toBe(0);
    const env = readFileSync(join(dir, "k8s/overlays/production/config.env"), "utf8");
    expect(env).toMatch(/# [^\n]*the repo's example config\/unicorn\.rb\.sample[^\n]*\nWEB_CONCURRENCY=4\n/);
  });
});
