// capistrano-sidekiq 0.5.3–1.x indexes sidekiq_options_per_process by each server's pid files:
// for each of the server's roles of sidekiq_roles, `<role>_processes` (else sidekiq_processes) files
// numbered from 0, and process idx of that list gets entry idx. A server with one of the roles runs
// `<role>_processes` processes, process i with entry i. A server with two of the roles reuses pid
// files, and which entries ran there depends on timing: that stays a warning.
//
// The app is this test's own ("quay", hosts under quay.example.org): production's sidekiq_roles is
// [:worker], worker_processes 3 over sidekiq_processes 1, and three per-process entries. Judged by
// real Capistrano evaluating the stage: on `roles(fetch(:sidekiq_roles))` the oracle runs the
// plugin's own start (`start_sidekiq` for each pid file with its index) under SSHKit's Printer and
// collects the command lines. By default the plugin is a test-only stand-in written from a reading
// of v1.0.3's sidekiq.rake (load:defaults, pid_files, start_sidekiq); with R2K_CAP_SIDEKIQ_LIB set
// to the lib/ of the real gem (`git archive v1.0.3 lib`) the gem's own code answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { validateObject } from "../kustomize/validate.js";
import { prepareCopy } from "../capistrano/cap.js";

const REAL_GEM = process.env.R2K_CAP_SIDEKIQ_LIB || null;

const STAND_IN = `namespace :load do
  task :defaults do
    set :sidekiq_pid, -> { File.join(shared_path, "tmp", "pids", "sidekiq.pid") }
    set :sidekiq_env, -> { fetch(:rack_env, fetch(:rails_env, fetch(:stage))) }
    set :sidekiq_roles, fetch(:sidekiq_role, :app)
    set :sidekiq_processes, 1
    set :sidekiq_options_per_process, nil
  end
end
namespace :sidekiq do
  def pid_files
    Array(fetch(:sidekiq_roles)).select { |r| host.roles.include?(r) }.flat_map do |r|
      Array.new(fetch(:"#{r}_processes") || fetch(:sidekiq_processes)) { |i| fetch(:sidekiq_pid).sub(/\\.pid$/, "-#{i}.pid") }
    end
  end
  def each_process_with_index
    pid_files.each_with_index { |f, i| yield f, i }
  end
  def start_sidekiq(pid_file, idx = 0)
    words = ["--index #{idx}", "--pidfile #{pid_file}", "--environment #{fetch(:sidekiq_env)}"]
    words << Array(fetch(:sidekiq_options_per_process))[idx]
    execute :sidekiq, (words.compact + ["--daemon"]).join(" ")
  end
end
`;

const ORACLE = `
task "r2k:starts" do
  require "sshkit/backends/printer"
  SSHKit.config.backend = SSHKit::Backend::Printer
  SSHKit.config.output = SSHKit::Formatter::BlackHole.new(StringIO.new)
  $r2k = Hash.new { |h, k| h[k] = [] }
  SSHKit::Backend::Printer.class_eval do
    def execute_command(cmd)
      $r2k[host.hostname] << cmd.to_command if cmd.to_command.include?("sidekiq")
    end
  end
  on roles(fetch(:sidekiq_roles)) do
    each_process_with_index { |pid_file, idx| start_sidekiq(pid_file, idx) }
  end
  puts "R2K-STARTS" + JSON.generate($r2k)
end
`;

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano-sidekiq (1.0.3)\n    rails (7.1.3)\n    sidekiq (6.4.1)\n    puma (6.4.2)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano-sidekiq\n  rails\n  sidekiq\n  puma\n\nBUNDLED WITH\n   2.5.10\n";
const PRODUCTION = [
  'server "web1.quay.example.org", roles: %w[app web db]',
  'server "jobs1.quay.example.org", roles: %w[worker]',
  'server "jobs2.quay.example.org", roles: %w[worker]',
  'set :rails_env, "production"',
  "set :sidekiq_roles, [:worker]",
  "set :worker_processes, 3",
  'set :sidekiq_options_per_process, ["--queue billing", "--queue billing", "--queue exports"]',
  "",
].join("\n");
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "sidekiq"\ngem "capistrano-sidekiq"\n',
  "Gemfile.lock": LOCK,
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/sidekiq"\n',
  "config/deploy.rb": 'set :application, "quay"\nset :repo_url, "git@git.example.org:ops/quay.git"\nset :deploy_to, "/srv/quay"\n',
  "config/deploy/production.rb": PRODUCTION,
  "config/puma.rb": "threads 5, 5\n",
  "config/sidekiq.yml": ":concurrency: 4\n:queues:\n  - default\n",
};

const container = (o: any) => o.spec.template.spec.containers[0];
const cleanup: string[] = [];
let starts: Record<string, string[]> = {};
let m: AppModel;

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  m = await analyzeFiles(memoryRepo(FILES), "quay");
  const dir = mkdtempSync(join(tmpdir(), "r2k-sqrole-"));
  cleanup.push(dir);
  for (const [p, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  let lib = REAL_GEM ?? "";
  if (!REAL_GEM) {
    lib = mkdtempSync(join(tmpdir(), "r2k-sqrole-lib-"));
    cleanup.push(lib);
    mkdirSync(join(lib, "capistrano"));
    writeFileSync(join(lib, "capistrano", "sidekiq.rb"), `load File.expand_path("sidekiq.rake", __dir__)\n`);
    writeFileSync(join(lib, "capistrano", "sidekiq.rake"), STAND_IN);
  }
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  writeFileSync(join(app, "..", "starts.rake"), ORACLE);
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "starts.rake"))}\n`);
  const r = spawnSync("cap", ["production", "r2k:starts"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-I${lib} -r${join(app, "..", "prelude.rb")} -rjson -rstringio` } });
  const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-STARTS"));
  if (!line) throw new Error(`cap production r2k:starts failed: ${r.stderr}`);
  starts = JSON.parse(line.slice("R2K-STARTS".length));
}, 120_000);

afterAll(() => {
  removeTrees();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

/** The per-process words of each start line: its words before `--daemon`, without the plugin's own index, pid, env and log flags. */
const wordsOf = (line: string): string =>
  (/sidekiq (.*?) ?--daemon/.exec(line)?.[1] ?? "")
    .replace(/--(index|pidfile|environment|logfile) \S+ ?/g, "")
    .trim();

describe("capistrano-sidekiq 1.x: sidekiq_options_per_process indexed by <role>_processes on one-role servers, against `cap production`", () => {
  it("the oracle: each worker server starts 3 processes, entries 0, 1, 2", () => {
    expect(Object.keys(starts).sort()).toEqual(["jobs1.quay.example.org", "jobs2.quay.example.org"]);
    for (const lines of Object.values(starts)) expect(lines.map(wordsOf)).toEqual(["--queue billing", "--queue billing", "--queue exports"]);
  });

  it("one Deployment per set of words, replicas = the oracle's processes with those words; no warning for the count", () => {
    const want = new Map<string, number>();
    for (const lines of Object.values(starts)) for (const w of lines.map(wordsOf)) want.set(w, (want.get(w) ?? 0) + 1);
    const { stages } = emitAndBuild(m);
    const bill = find(stages["production"]!, "Deployment", "-worker-sidekiq-billing");
    const exp = find(stages["production"]!, "Deployment", "-worker-sidekiq-exports");
    for (const d of [bill, exp]) validateObject(d);
    expect(bill.spec.replicas).toBe(want.get("--queue billing"));
    expect(exp.spec.replicas).toBe(want.get("--queue exports"));
    expect(container(exp).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "--queue", "exports"]);
    expect(m.sidekiq!.plugin!["production"]!.unusedOptions).toBeUndefined();
    expect(m.problems.filter((p) => /_processes of stage production|counted per role/.test(p.message))).toEqual([]);
    expect(m.sidekiq!.evidence.some((e) => /production: capistrano-sidekiq counts worker_processes 3 processes per server/.test(e.value) && e.source.line === 6)).toBe(true);
  });

  it("a server with two of the roles: its pid files overlap, so the per-process options stay a warning", async () => {
    const two = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy/production.rb": PRODUCTION.replace("set :sidekiq_roles, [:worker]", "set :sidekiq_roles, [:app, :worker]").replace('roles: %w[worker]', 'roles: %w[app worker]') }), "quay");
    expect(two.problems.some((p) => p.file === "config/deploy/production.rb" && p.line === 6 && /server jobs1\.quay\.example\.org has the roles app, worker, whose pid files overlap/.test(p.message))).toBe(true);
  });
});
