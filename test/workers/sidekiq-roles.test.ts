// capistrano-sidekiq starts Sidekiq on the servers of its own role (before 1.0 `sidekiq_role`, from
// 1.0 `sidekiq_roles`, default :app; 1.x reads a deploy file's `sidekiq_role` only at load:defaults,
// before deploy.rb runs, so not at all), and from 0.5.3 to 1.x numbers a server's processes per role
// it has (`<role>_processes`, else `sidekiq_processes`), one pid file each, counting from 0 for each
// role: a server's processes are its distinct pid files. The replicas are that count over the stage.
// Judged by real Capistrano (`cap <stage>`): on the servers of `roles(fetch(:sidekiq_roles))` it asks
// the plugin's own `pid_files` on each host. By default the plugin is a test-only stand-in written
// from a reading of the gem (1.0.3's load:defaults and pid_files); with R2K_CAP_SIDEKIQ_LIB set to
// the lib/ of the real gem (`git archive v1.0.3 lib` of seuros/capistrano-sidekiq) the gem's own
// code answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { prepareCopy, runCap } from "../capistrano/cap.js";

const REAL_GEM = process.env.R2K_CAP_SIDEKIQ_LIB || null;

const STAND_IN = `namespace :load do
  task :defaults do
    set :sidekiq_pid, -> { File.join(shared_path, "tmp", "pids", "sidekiq.pid") }
    set :sidekiq_roles, fetch(:sidekiq_role, :app)
    set :sidekiq_processes, 1
  end
end
namespace :sidekiq do
  def pid_files
    Array(fetch(:sidekiq_roles)).dup.select { |r| host.roles.include?(r) }.flat_map do |r|
      Array.new(fetch(:"#{r}_processes") || fetch(:sidekiq_processes)) { |i| fetch(:sidekiq_pid).gsub(/\\.pid$/, "-#{i}.pid") }
    end
  end
end
`;

const ORACLE = `
task "r2k:sidekiq" do
  require "sshkit/backends/printer"
  SSHKit.config.backend = SSHKit::Backend::Printer
  SSHKit.config.output = StringIO.new
  counts = {}
  on roles(fetch(:sidekiq_roles)) do |h|
    counts[h.hostname] = pid_files.uniq.size
  end
  puts "R2K-SK" + JSON.generate(counts)
end
`;

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano-sidekiq (1.0.3)\n    rails (7.1.3)\n    sidekiq (6.4.0)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano-sidekiq\n  rails\n  sidekiq\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n";
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "sidekiq"\ngem "capistrano-sidekiq"\n',
  "Gemfile.lock": LOCK,
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/sidekiq"\n',
  "config/deploy.rb": 'set :application, "parcel"\nset :repo_url, "git@example.net:parcel.git"\nset :deploy_to, "/srv/parcel"\n',
  // two roles on one server, each with its own count: its pid files 0-1 (app) and 0-2 (worker) are 3
  "config/deploy/production.rb": [
    'server "mix1.parcel.example.net", roles: %w[app web worker]',
    'server "jobs1.parcel.example.net", roles: %w[worker]',
    'server "db1.parcel.example.net", roles: %w[db]',
    "set :sidekiq_roles, [:app, :worker]",
    "set :sidekiq_processes, 2",
    "set :worker_processes, 3",
    "",
  ].join("\n"),
  // sidekiq_role in a stage file: read at load:defaults, before this file, so the app servers run it
  "config/deploy/staging.rb": ['server "stage1.parcel.example.net", roles: %w[app web db]', 'server "q1.parcel.example.net", roles: %w[worker]', 'server "q2.parcel.example.net", roles: %w[worker]', "set :sidekiq_role, :worker", 'set :rails_env, "staging"', ""].join("\n"),
  "config/sidekiq.yml": ":concurrency: 5\n:queues:\n  - default\n",
};

const cleanup: string[] = [];
const oracle: Record<string, Record<string, number>> = {};

beforeAll(async () => {
  await initPrism();
  const dir = mkdtempSync(join(tmpdir(), "r2k-sk-roles-"));
  cleanup.push(dir);
  for (const [p, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  let lib = REAL_GEM ?? "";
  if (!REAL_GEM) {
    lib = mkdtempSync(join(tmpdir(), "r2k-sk-lib-"));
    cleanup.push(lib);
    mkdirSync(join(lib, "capistrano"));
    writeFileSync(join(lib, "capistrano", "sidekiq.rb"), STAND_IN);
  }
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  writeFileSync(join(app, "..", "sk.rake"), ORACLE);
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "sk.rake"))}\n`);
  for (const st of ["production", "staging"]) {
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync("cap", [st, "r2k:sidekiq"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-I${lib} -r${join(app, "..", "prelude.rb")} -rjson -rstringio` } });
    const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-SK"));
    if (!line) throw new Error(`cap ${st} r2k:sidekiq failed: ${r.stderr}`);
    oracle[st] = JSON.parse(line.slice(6));
  }
  // the plain dump agrees on the servers (Capistrano's own view, no stand-in involved)
  expect((await runCap(app, "production", lib)).servers).toHaveLength(3);
}, 120_000);

afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe("capistrano-sidekiq's roles and per-role processes vs `cap <stage>`", () => {
  it("the oracle counts what the gem starts", () => {
    expect(oracle["production"]).toEqual({ "mix1.parcel.example.net": 3, "jobs1.parcel.example.net": 3 });
    expect(oracle["staging"]).toEqual({ "stage1.parcel.example.net": 1 });
  });

  it("replicas = the processes the gem started on its role's servers, per stage", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "parcel");
    const { stages } = emitAndBuild(m);
    for (const st of ["production", "staging"]) {
      const want = Object.values(oracle[st]!).reduce((a, b) => a + b, 0);
      const worker = find(stages[st]!, "Deployment", "-worker") as { spec: { replicas: number } };
      expect(worker.spec.replicas, st).toBe(want);
    }
    expect(m.sidekiq!.started!["production"]!.why).toMatch(/capistrano-sidekiq 1\.0\.3: 2 server\(s\) of stage production with its roles app, worker \(sidekiq_roles\), processes per role \(worker_processes, else sidekiq_processes 2\); roles of one server share pid files/);
    expect(m.problems.some((p) => p.file === "config/deploy/staging.rb" && /capistrano-sidekiq\.role-not-read: stage staging sets sidekiq_role, which capistrano-sidekiq 1\.0\.3 does not read/.test(p.message))).toBe(true);
  });

  it("before 1.0 the gem runs on sidekiq_role, with each server's processes per role", async () => {
    const m = await analyzeFiles(memoryRepo({ ...FILES, "Gemfile.lock": LOCK.replace("capistrano-sidekiq (1.0.3)", "capistrano-sidekiq (0.20.0)") }), "parcel");
    // staging: its sidekiq_role :worker is read, two worker servers × 1; production: sidekiq_roles is not read, app only (mix1: app 2 + worker... only app) = 2
    expect(m.sidekiq!.started!["staging"]!.processes).toBe(2);
    expect(m.sidekiq!.started!["production"]!.processes).toBe(2);
  });

  it("2.x: sidekiq_processes on every server of its roles; <role>_processes is not read", async () => {
    const m = await analyzeFiles(memoryRepo({ ...FILES, "Gemfile.lock": LOCK.replace("capistrano-sidekiq (1.0.3)", "capistrano-sidekiq (2.3.0)") }), "parcel");
    expect(m.sidekiq!.started!["production"]!.processes).toBe(4);
  });
});

// capistrano-sidekiq 3.x (seuros/capistrano-sidekiq v3.0.0–v3.2.0, lib/capistrano/sidekiq.rb and
// tasks/systemd.rake): no sidekiq_processes; on each server of `roles(fetch(:sidekiq_roles))`
// (default `fetch(:sidekiq_role, :worker)` at load:defaults) one systemd unit per entry of
// `config_files(role)`: the server's own `sidekiq_config_files` property, else the variable, default
// ['sidekiq.yml']. The gem's own code run under real Capistrano is the oracle when R2K_CAP_SIDEKIQ_LIB
// points at a 3.x lib; by default the count is the reading written out here.
describe("capistrano-sidekiq 3.x: one process per sidekiq_config_files entry", () => {
  const V3 = (stage: string): Record<string, string> => ({ ...FILES, "Gemfile.lock": LOCK.replace("capistrano-sidekiq (1.0.3)", "capistrano-sidekiq (3.0.0)"), "config/deploy/production.rb": stage });

  it("a leftover sidekiq_processes is not read (named warning); two app servers run one process each", async () => {
    const m = await analyzeFiles(memoryRepo(V3(['server "a1.parcel.example.net", roles: %w[app web]', 'server "a2.parcel.example.net", roles: %w[app]', "set :sidekiq_roles, :app", "set :sidekiq_processes, 4", ""].join("\n"))), "parcel");
    expect(m.sidekiq!.started!["production"]!.processes).toBe(2);
    expect(m.problems.some((p) => p.file === "config/deploy/production.rb" && p.line === 4 && /capistrano-sidekiq\.processes-not-read: stage production sets sidekiq_processes, which capistrano-sidekiq 3\.0\.0 does not read/.test(p.message))).toBe(true);
    const { stages } = emitAndBuild(m);
    expect((find(stages["production"]!, "Deployment", "-worker") as { spec: { replicas: number } }).spec.replicas).toBe(2);
  });

  it("default role :worker; a server's own sidekiq_config_files over the variable; one unit per distinct name", async () => {
    const m = await analyzeFiles(
      memoryRepo(V3(['server "a1.parcel.example.net", roles: %w[app web]', 'server "w1.parcel.example.net", roles: %w[worker]', 'server "w2.parcel.example.net", roles: %w[worker], sidekiq_config_files: ["low.yml"]', 'set :sidekiq_config_files, ["sidekiq.yml", "mailers.yml", "mailers.yaml"]', ""].join("\n"))),
      "parcel",
    );
    // w1: sidekiq + mailers (mailers.yml and .yaml name one unit) = 2; w2: low = 1; a1 has no worker role
    expect(m.sidekiq!.started!["production"]!.processes).toBe(3);
    expect(m.sidekiq!.started!["production"]!.servers).toBe(2);
  });
});

describe("an implausible process count", () => {
  it("sidekiq_processes 20_000_000: answered at once with a named warning, the count asked, no pid file per process", async () => {
    const t0 = process.hrtime.bigint();
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy/production.rb": 'server "mix1.parcel.example.net", roles: %w[app worker]\nset :sidekiq_roles, [:app, :worker]\nset :sidekiq_processes, 20_000_000\n' }), "parcel");
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(10_000);
    expect(m.sidekiq!.started?.["production"]).toBeUndefined();
    expect(m.problems.some((p) => /capistrano-sidekiq\.process-count-implausible: sidekiq_processes of stage production is 20000000/.test(p.message))).toBe(true);
  });
});
