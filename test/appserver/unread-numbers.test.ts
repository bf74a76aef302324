// The deploy started Unicorn or Puma with numbers the repo does not hold (a config only the servers
// have, a count computed at boot): each stage's workers, threads and timeout become a question whose
// default is the server's own default, labelled a placeholder everywhere it lands (config.env, the
// container config, MIGRATION.md), and an answer replaces it in every output that follows the
// number. Puma's `workers 0` written in a file is single mode, never one worker a pod.
// (Apps written for this test, after shapes seen in the corpus.)
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { APP_SERVER_DEFAULTS } from "../../emitters/app-server.js";
import { recordingIo } from "../migrate/helpers.js";

beforeAll(async () => {
  await initPrism();
});

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };

const pumaLock = ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.19.2)", "    capistrano3-puma (6.0.0)", "      capistrano (~> 3.7)", "      puma (>= 5.1)", "    puma (6.6.1)", "    rails (7.1.3)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano3-puma", "  puma", "  rails", ""].join("\n");
const unicornLock = ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.19.2)", "    capistrano3-unicorn (0.2.1)", "      capistrano (~> 3.1, >= 3.1.0)", "    rails (7.1.3)", "    unicorn (6.1.0)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano3-unicorn", "  rails", "  unicorn", ""].join("\n");

/** A Puma app whose own systemd unit loads its config from shared/, a file only the servers hold. */
const pumaApp = (extra: Record<string, string> = {}): Record<string, string> => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\ninstall_plugin Capistrano::Puma\n',
  "config/deploy.rb": 'set :application, "ledger"\nset :repo_url, "git@git.example.org:acct/ledger.git"\nset :deploy_to, "/srv/ledger"\nappend :linked_files, "puma.rb"\n',
  "config/deploy/production.rb": 'server "app1.ledger.example.org", roles: %w[web app db]\nserver "app2.ledger.example.org", roles: %w[web app]\n',
  "config/deploy/staging.rb": 'server "stage.ledger.example.org", roles: %w[web app db]\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "capistrano3-puma"\n',
  "Gemfile.lock": pumaLock,
  "config/systemd/ledger_puma.service": "[Service]\nWorkingDirectory=/srv/ledger/current\nExecStart=/usr/local/bin/bundle exec puma -C /srv/ledger/shared/puma.rb\n",
  ...extra,
});

/** A Unicorn app whose worker count is computed on the server at boot. */
const unicornApp = (): Record<string, string> => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/unicorn"\n',
  "config/deploy.rb": 'set :application, "depot"\nset :repo_url, "git@git.example.org:acct/depot.git"\nset :deploy_to, "/srv/depot"\n',
  "config/deploy/production.rb": 'server "web1.depot.example.org", roles: %w[web app db]\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "capistrano3-unicorn"\n',
  "Gemfile.lock": unicornLock,
  "config/unicorn/production.rb": 'worker_processes Etc.nprocessors * 2\ntimeout 45\nlisten "/srv/depot/shared/tmp/sockets/unicorn.sock"\n',
});

function onDisk(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-unread-numbers-")), "app");
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}
const read = (dir: string, p: string) => readFileSync(join(dir, p), "utf8");

describe("web numbers only the servers hold", () => {
  it("the defaults offered are the servers' own (Unicorn::Configurator, Puma::Configuration of the installed gems)", () => {
    const r = spawnSync("ruby", ["-e", 'require "unicorn"; require "puma"; require "puma/configuration"; c = Puma::Configuration.new({}, {}); c.load; o = c.options; d = Unicorn::Configurator::DEFAULTS; puts [d[:worker_processes], d[:timeout], o[:workers], o[:min_threads], o[:max_threads], o[:worker_timeout]].join(" ")'], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" } });
    expect(r.status, r.stderr).toBe(0);
    const d = APP_SERVER_DEFAULTS;
    expect(r.stdout.trim()).toBe([d.unicorn.workers, d.unicorn.timeout, d.puma.workers, ...d.puma.threads, d.puma.timeout].join(" "));
  });

  it("a Puma config in shared/: one question per stage and number, placeholders with Puma's defaults", async () => {
    const m = await analyzeFiles(memoryRepo(pumaApp()), "ledger");
    const g = Object.fromEntries(m.gaps.filter((x) => /\.web\./.test(x.id)).map((x) => [x.id, x]));
    expect(Object.keys(g).sort()).toEqual(["production", "staging"].flatMap((s) => ["threads", "timeout", "workers"].map((k) => `stage.${s}.web.${k}`)));
    expect(g["stage.production.web.workers"]).toMatchObject({ default: 0, placeholder: true, format: "count", min: 0, source: { file: "config/systemd/ledger_puma.service", line: 3 } });
    expect(g["stage.production.web.threads"]).toMatchObject({ default: [0, 5], placeholder: true, format: "thread-range" });
    expect(g["stage.staging.web.timeout"]).toMatchObject({ default: 60, placeholder: true, format: "seconds" });
    expect(g["stage.production.web.workers"]!.why).toMatch(/\/srv\/ledger\/shared\/puma\.rb is not in the repo: .*Puma's own default.*a placeholder/);
    expect(g["stage.production.web.threads"]!.why).not.toContain("sets them");
    expect(g["stage.production.web.timeout"]!.why).toMatch(/^\/srv\/ledger\/shared\/puma\.rb is not in the repo/);
    // The resources are sized for that placeholder count: a placeholder too.
    expect(m.gaps.find((x) => x.id === "resources.web")).toMatchObject({ placeholder: true });
  });

  it("--yes: the placeholders are written labelled, said on the terminal and listed in MIGRATION.md; no number is passed off as known", async () => {
    const dir = onDisk(pumaApp());
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env)).toBe(0);
    expect(io.stdout()).toMatch(/stage\.production\.web\.workers = 0 {2}\(default, a placeholder: answer it before the cut-over/);
    const cfg = read(dir, "k8s/overlays/production/config.env");
    expect(cfg).toMatch(/# PLACEHOLDER: Puma's default, [^\n]*answer stage\.production\.web\.workers[^\n]*\nWEB_CONCURRENCY=0\n/);
    expect(cfg).toMatch(/# PLACEHOLDER: [^\n]*stage\.production\.web\.threads[^\n]*\nRAILS_MIN_THREADS=0\nRAILS_MAX_THREADS=5\n/);
    const puma = read(dir, "config/puma/kubernetes.rb");
    expect(puma).toMatch(/# PLACEHOLDERS: workers, threads, worker_timeout below are Puma's defaults/);
    // An unknown worker_timeout is not written as if known: Puma's own default applies.
    expect(puma).not.toMatch(/^worker_timeout/m);
    const guide = read(dir, "MIGRATION.md");
    expect(guide).toMatch(/Fill in the web server's numbers of stage production\*\*: the config that held them is not in the repo \(`config\/systemd\/ledger_puma\.service:3`\)/);
    expect(guide).toMatch(/Fill in the web server's numbers of stage staging/);
  });

  it("answered: every output follows the stage's own numbers, and nothing is called a placeholder", async () => {
    const dir = onDisk({
      ...pumaApp(),
      ".rails2k8s.yml":
        "# rails2k8s answers\nstage.production.web.workers: 6\nstage.production.web.threads: [4, 4]\nstage.production.web.timeout: 45\nstage.staging.web.workers: 1\nstage.staging.web.threads: [2, 3]\nstage.staging.web.timeout: 30\nresources.web: {requests: {cpu: 2000m, memory: 1200Mi}, limits: {cpu: 2000m, memory: 1450Mi}}\n",
    });
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const prod = read(dir, "k8s/overlays/production/config.env");
    // 6 workers a server spread over 2 pods of 3; production's threads are the image's defaults.
    expect(prod).toMatch(/\nWEB_CONCURRENCY=3\n/);
    expect(prod).not.toMatch(/RAILS_MAX_THREADS=/);
    expect(prod).not.toMatch(/PLACEHOLDER/);
    const staging = read(dir, "k8s/overlays/staging/config.env");
    expect(staging).toMatch(/\nWEB_CONCURRENCY=1\n/);
    expect(staging).toMatch(/\nRAILS_MIN_THREADS=2\nRAILS_MAX_THREADS=3\n/);
    const puma = read(dir, "config/puma/kubernetes.rb");
    expect(puma).toMatch(/workers Integer\(ENV\.fetch\("WEB_CONCURRENCY", "6"\)\)/);
    expect(puma).toMatch(/\nworker_timeout 45\n/);
    expect(puma).toMatch(/"RAILS_MAX_THREADS", "4"/);
    expect(puma).not.toMatch(/PLACEHOLDER/);
    // Grace = preStop sleep 5 + timeout + 5; HPA minimum = 2 web servers × 2 pods each.
    const prodPatch = read(dir, "k8s/overlays/production/patches.yaml");
    expect(prodPatch).toMatch(/terminationGracePeriodSeconds: 55\n/);
    expect(prodPatch).toMatch(/minReplicas: 4\n/);
    expect(read(dir, "k8s/overlays/staging/patches.yaml")).toMatch(/terminationGracePeriodSeconds: 40\n/);
    expect(read(dir, "MIGRATION.md")).not.toMatch(/Fill in the web server's numbers/);
  });

  it("an answer outside its grammar stops --yes with exit 2 (no negative worker count, no inverted thread range)", async () => {
    for (const bad of ["stage.production.web.workers: -1", "stage.production.web.threads: [8, 2]", "stage.production.web.timeout: 0"]) {
      const dir = onDisk({ ...pumaApp(), ".rails2k8s.yml": `# rails2k8s answers\n${bad}\n` });
      const io = recordingIo();
      expect(await runMigrate(dir, { yes: true }, io, env)).toBe(2);
      expect(io.stderr()).toContain(bad.split(":")[0]!);
    }
  });

  it("Unicorn with worker_processes computed at boot: the question starts at 1, the known timeout stays the file's", async () => {
    const m = await analyzeFiles(memoryRepo(unicornApp()), "depot");
    expect(m.gaps.find((x) => x.id === "stage.production.web.workers")).toMatchObject({ default: 1, min: 1, placeholder: true, source: { file: "config/unicorn/production.rb", line: 1 } });
    expect(m.gaps.some((x) => x.id === "stage.production.web.timeout")).toBe(false);
    const dir = onDisk(unicornApp());
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const cfg = read(dir, "k8s/overlays/production/config.env");
    expect(cfg).toMatch(/# PLACEHOLDER: Unicorn's default, [^\n]*stage\.production\.web\.workers[^\n]*\nWEB_CONCURRENCY=1\n/);
    expect(cfg).toMatch(/\nUNICORN_TIMEOUT=45\n/);
    expect(read(dir, "config/unicorn/kubernetes.rb")).toMatch(/# PLACEHOLDERS: worker_processes below is Unicorn's default/);
  });

  it("Puma `workers 0` written in the file is single mode: WEB_CONCURRENCY=0, not one worker", async () => {
    const dir = onDisk(pumaApp({ "config/systemd/ledger_puma.service": "[Service]\nExecStart=/usr/local/bin/bundle exec puma -C /srv/ledger/current/config/puma.rb\n", "config/puma.rb": "workers 0\nthreads 3, 3\n" }));
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const cfg = read(dir, "k8s/overlays/production/config.env");
    expect(cfg).toMatch(/\nWEB_CONCURRENCY=0\n/);
    expect(cfg).not.toMatch(/PLACEHOLDER/);
  });
});

/** Unicorn per Rails env: production's file sets 3 workers, staging's sets none; a `qa` stage file declares nothing. */
const perEnvUnicornApp = (): Record<string, string> => ({
  ...unicornApp(),
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "web1.depot.example.org", roles: %w[web app db]\n',
  "config/deploy/staging.rb": 'set :rails_env, "staging"\nserver "stage.depot.example.org", roles: %w[web app db]\n',
  "config/deploy/qa.rb": "# nothing here yet\n",
  "config/unicorn/production.rb": 'worker_processes 3\ntimeout 90\nlisten "/srv/depot/shared/tmp/sockets/unicorn.sock"\n',
  "config/unicorn/staging.rb": 'listen "/srv/depot/shared/tmp/sockets/unicorn.sock"\n',
});

describe("each stage's web numbers are its own", () => {
  it("a stage whose config sets no workers, and a stage no config serves, get Unicorn's defaults, labelled, never production's", async () => {
    const dir = onDisk(perEnvUnicornApp());
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const prod = read(dir, "k8s/overlays/production/config.env");
    expect(prod).toMatch(/\nWEB_CONCURRENCY=3\nUNICORN_TIMEOUT=90\n/);
    const staging = read(dir, "k8s/overlays/staging/config.env");
    expect(staging).toMatch(/# Unicorn's default: config\/unicorn\/staging\.rb sets no worker_processes[^\n]*\nWEB_CONCURRENCY=1\n/);
    expect(staging).toMatch(/# Unicorn's default: config\/unicorn\/staging\.rb sets no timeout\nUNICORN_TIMEOUT=60\n/);
    expect(read(dir, "k8s/overlays/staging/patches.yaml")).toMatch(/terminationGracePeriodSeconds: 70\n/);
    // A stage that declares no server may or may not get an overlay; if it does, its numbers are no other stage's.
    if (existsSync(join(dir, "k8s/overlays/qa"))) {
      const qa = read(dir, "k8s/overlays/qa/config.env");
      expect(qa).toMatch(/# Unicorn's default: no Unicorn config of the repo serves stage qa[^\n]*\nWEB_CONCURRENCY=1\n/);
      expect(qa).not.toMatch(/=90\n|=3\n/);
    }
  });
});

describe("a placeholder is confirmed by an answer, never by --yes", () => {
  it("--yes saves the placeholders commented out, and a second --yes run writes nothing", async () => {
    const dir = onDisk(pumaApp());
    expect(await runMigrate(dir, { yes: true }, recordingIo(), env)).toBe(0);
    const saved = read(dir, ".rails2k8s.yml");
    expect(saved).toMatch(/# A placeholder, not confirmed: uncomment the line below[^\n]*\n# stage\.production\.web\.workers: 0\n/);
    expect(saved).toMatch(/\n# resources\.web:/);
    expect(saved).not.toMatch(/^stage\.[a-z]+\.web\./m);
    expect(saved).not.toMatch(/^resources\.web:/m);
    const before = new Map(["MIGRATION.md", ".rails2k8s.yml", "k8s/overlays/production/config.env", "config/puma/kubernetes.rb"].map((p) => [p, read(dir, p)]));
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env)).toBe(0);
    for (const [p, c] of before) expect(read(dir, p), p).toBe(c);
    expect(io.stdout()).toMatch(/stage\.production\.web\.workers = 0 {2}\(default, a placeholder/);
    expect(read(dir, "MIGRATION.md")).toMatch(/Fill in the web server's numbers of stage production/);
  });

  it("an uncommented answer equal to the default is confirmed: no label, no step, kept uncommented", async () => {
    const d = APP_SERVER_DEFAULTS.puma;
    const dir = onDisk({
      ...pumaApp(),
      ".rails2k8s.yml": `# rails2k8s answers\nstage.production.web.workers: ${d.workers}\nstage.production.web.threads: [${d.threads.join(", ")}]\nstage.production.web.timeout: ${d.timeout}\n`,
    });
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env)).toBe(0);
    expect(io.stdout()).toMatch(/stage\.production\.web\.workers = 0 {2}\(saved in [^\n]*\.rails2k8s\.yml\)\n/);
    const prod = read(dir, "k8s/overlays/production/config.env");
    expect(prod).toMatch(/\nWEB_CONCURRENCY=0\n/);
    expect(prod).not.toMatch(/PLACEHOLDER/);
    // Staging was not answered: it stays a placeholder, in its overlay and in the guide.
    expect(read(dir, "k8s/overlays/staging/config.env")).toMatch(/# PLACEHOLDER: [^\n]*stage\.staging\.web\.workers/);
    const guide = read(dir, "MIGRATION.md");
    expect(guide).not.toMatch(/Fill in the web server's numbers of stage production/);
    expect(guide).toMatch(/Fill in the web server's numbers of stage staging/);
    expect(guide).not.toMatch(/`stage\.production\.web\.workers` \| [^\n]*placeholder, to answer/);
    expect(guide).toMatch(/`stage\.staging\.web\.workers` \| [^\n]*placeholder, to answer/);
    const saved = read(dir, ".rails2k8s.yml");
    expect(saved).toMatch(/^stage\.production\.web\.workers: 0$/m);
    expect(saved).toMatch(/^# stage\.staging\.web\.workers: 0$/m);
  });
});
