// capistrano-sidekiq 3.x starts `sidekiq -e <sidekiq_env> [--config config/<entry>]` through one
// systemd unit per sidekiq_config_files entry, and reads none of the pre-3.x start-line variables
// (sidekiq_queue, sidekiq_concurrency, sidekiq_config, sidekiq_timeout, sidekiq_options,
// sidekiq_options_per_process, `<role>_processes`). A deploy written for 2.x and upgraded to 3.x
// still sets them. The worker must not run with them, and each one is a named warning at its line.
//
// The fixture is a deploy of this test's own ("ledger", hosts under ledger.example.org) that sets
// all of them. When R2K_CAP_SIDEKIQ_LIB3 points at the lib/ of a real 3.x gem (`git archive v3.0.0
// lib` of seuros/capistrano-sidekiq), real Capistrano loads that gem and renders its own unit for
// every entry on every server of `roles(fetch(:sidekiq_roles))`: these units are the oracle for the
// process count and for the flags the pods may run. Without the variable the oracle part is skipped,
// because the gem is not installed here, and the analysis part still runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { prepareCopy } from "../capistrano/cap.js";

const GEM3 = process.env.R2K_CAP_SIDEKIQ_LIB3 || null;

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano-sidekiq (3.0.0)\n    rails (7.1.3)\n    sidekiq (7.2.4)\n    puma (6.4.2)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano-sidekiq\n  rails\n  sidekiq\n  puma\n\nBUNDLED WITH\n   2.5.10\n";
const PRODUCTION = [
  'server "web1.ledger.example.org", roles: %w[app web db]',
  'server "jobs1.ledger.example.org", roles: %w[app worker]',
  'server "jobs2.ledger.example.org", roles: %w[worker], sidekiq_config_files: ["bulk.yml"]',
  'set :rails_env, "production"',
  'set :sidekiq_queue, %w[mailers invoices]',
  "set :sidekiq_concurrency, 9",
  "set :sidekiq_timeout, 45",
  'set :sidekiq_options_per_process, ["-q mailers", "-q invoices"]',
  "set :worker_processes, 3",
  'set :sidekiq_options, "-v"',
  "",
].join("\n");
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "sidekiq"\ngem "capistrano-sidekiq"\n',
  "Gemfile.lock": LOCK,
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/sidekiq"\ninstall_plugin Capistrano::Sidekiq\ninstall_plugin Capistrano::Sidekiq::Systemd\n',
  "config/deploy.rb": 'set :application, "ledger"\nset :repo_url, "git@git.example.org:ops/ledger.git"\nset :deploy_to, "/srv/ledger"\n',
  "config/deploy/production.rb": PRODUCTION,
  "config/puma.rb": "threads 5, 5\n",
  "config/sidekiq.yml": ":concurrency: 5\n:timeout: 20\n:queues:\n  - default\n",
};

// Asks the gem's own Systemd plugin for the unit text of each config file of each server.
const ORACLE = `
task "r2k:units" do
  require "sshkit/backends/printer"
  SSHKit.config.backend = SSHKit::Backend::Printer
  SSHKit.config.output = SSHKit::Formatter::BlackHole.new(StringIO.new)
  # the instance install_plugin made: systemd.rake defines its helpers on it (eval_rakefile)
  plugin = ObjectSpace.each_object(Capistrano::Sidekiq::Systemd).find { |p| p.respond_to?(:config_files) }
  units = {}
  on roles(fetch(:sidekiq_roles)) do |role|
    units[role.hostname] = (role.properties.fetch(:sidekiq_config_files) || fetch(:sidekiq_config_files)).map do |f|
      [plugin.send(:sidekiq_service_unit_name, f), plugin.compiled_template(f)[/^ExecStart=.*$/]]
    end.uniq { |name, _| name }
  end
  puts "R2K-UNITS" + JSON.generate(units)
end
`;

const CAP_LINE = (name: string) => PRODUCTION.split("\n").findIndex((l) => l.startsWith(`set :${name},`)) + 1;
const container = (o: any) => o.spec.template.spec.containers[0];

let m: AppModel;
const cleanup: string[] = [];
let units: Record<string, [string, string][]> | null = null;

beforeAll(async () => {
  await initPrism();
  m = await analyzeFiles(memoryRepo(FILES), "ledger");
  if (!GEM3) return;
  const dir = mkdtempSync(join(tmpdir(), "r2k-sk3-"));
  cleanup.push(dir);
  for (const [p, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  writeFileSync(join(app, "..", "units.rake"), ORACLE);
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "units.rake"))}\n`);
  const r = spawnSync("cap", ["production", "r2k:units"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-I${GEM3} -r${join(app, "..", "prelude.rb")} -rjson -rstringio -rerb` } });
  const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-UNITS"));
  if (!line) throw new Error(`cap production r2k:units failed: ${r.stderr}`);
  units = JSON.parse(line.slice("R2K-UNITS".length));
}, 120_000);

afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe("capistrano-sidekiq 3.x: the pre-3.x variables are named as not read, and not applied", () => {
  it("each variable a 3.x deploy still sets is a named warning at its line", () => {
    for (const name of ["sidekiq_queue", "sidekiq_concurrency", "sidekiq_timeout", "sidekiq_options_per_process", "worker_processes", "sidekiq_options"]) {
      const w = m.problems.find((p) => p.file === "config/deploy/production.rb" && p.line === CAP_LINE(name) && p.message.includes(`sets ${name}, which is not read by capistrano-sidekiq 3.x (locked 3.0.0)`));
      expect(w, name).toBeDefined();
      expect(w!.message).toMatch(/^capistrano-sidekiq\.not-read-v3: /);
    }
  });

  it("the worker runs what the unit ran: no --queue, --concurrency or per-process split, and the grace period is not sidekiq_timeout's", () => {
    // jobs2's own bulk.yml is a unit of its own (sidekiq-config-files.ts); the repo has no config/bulk.yml, so it is not carried
    const sk = m.workers!.filter((w) => w.backend === "sidekiq");
    expect(sk.map((w) => [w.name, w.carried])).toEqual([["worker", true], ["worker-sidekiq-bulk", false]]);
    expect(m.sidekiq!.plugin?.["production"]?.queues).toBeUndefined();
    expect(m.sidekiq!.plugin?.["production"]?.concurrency).toBeUndefined();
    expect(m.sidekiq!.plugin?.["production"]?.stopWait).toBeUndefined();
    expect(m.sidekiq!.plugin?.["production"]?.options).toBeUndefined();
    const { stages } = emitAndBuild(m);
    const args: string[] = container(find(stages["production"]!, "Deployment", "-worker")).args;
    expect(args.join(" ")).not.toMatch(/mailers|invoices|-c 9|--concurrency 9|-v\b/);
    // jobs1: sidekiq.yml; jobs2: its own bulk.yml; web1 has no worker role (3.x's default role)
    expect(m.sidekiq!.started!["production"]!.processes).toBe(2);
  });

  it.skipIf(!GEM3)("the real gem's units (R2K_CAP_SIDEKIQ_LIB3) agree: their count is the replicas, and their ExecStart has none of the old flags", () => {
    const all = Object.values(units!).flat();
    expect(all.length).toBe(m.sidekiq!.started!["production"]!.processes);
    expect(Object.keys(units!).sort()).toEqual(["jobs1.ledger.example.org", "jobs2.ledger.example.org"]);
    for (const [, exec] of all) {
      expect(exec).toMatch(/exec sidekiq -e production/);
      expect(exec).not.toMatch(/mailers|invoices|concurrency|-c 9|-v\b|-t 45/);
    }
  });
});
