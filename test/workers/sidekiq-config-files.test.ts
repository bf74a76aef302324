// capistrano-sidekiq 3.x installs one systemd unit per sidekiq_config_files entry on each server of
// sidekiq_roles (the server's own list over the stage's), and each unit runs `sidekiq -e <env>
// --config config/<entry>` (no --config for sidekiq.yml). Each entry is then a Sidekiq of its own:
// its file's queues, concurrency and timeout (with the stage's env section), on the servers that ran it.
//
// The app is this test's own ("harbor", hosts under harbor.example.com): production runs sidekiq.yml
// and mailers.yml on two worker servers and only mailers.yml on a third; qa runs both on one server;
// staging's one server lists only sidekiq.yml. mailers.yml has a production section.
//
// Judged by real Capistrano evaluating each stage (`cap <stage>`): on `roles(fetch(:sidekiq_roles))`
// it asks the plugin for each server's units and their ExecStart. By default the plugin is a
// test-only stand-in written from a reading of the gem (v3.0.0 sidekiq.rb set_defaults and
// sidekiq_config, systemd.rake config_files and sidekiq_service_unit_name); with
// R2K_CAP_SIDEKIQ_LIB3 set to the lib/ of the real gem (`git archive v3.0.0 lib`) the gem's own code
// answers. The overlays are built by kubectl kustomize, and the mailers Deployment's command is run
// with Debian's Sidekiq 6.4 against a real Redis, which must register the file's production queues.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { makeReleasePlan } from "../../emitters/release/plan.js";
import { workerGracePeriod } from "../../emitters/kustomize/rules/shutdown.js";
import { workerResourcesDefault } from "../../emitters/kustomize/plan.js";
import { renderReport } from "../../src/report.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { emitAndBuild, find, type Built } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { validateObject } from "../kustomize/validate.js";
import { prepareCopy } from "../capistrano/cap.js";
import { Procs } from "../container/procs.js";
import { registeredSidekiq, startRedis } from "./real-sidekiq.js";

const REAL_GEM = process.env.R2K_CAP_SIDEKIQ_LIB3 || null;

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano-sidekiq (3.0.0)\n    rails (7.1.3)\n    sidekiq (6.4.1)\n    puma (6.4.2)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano-sidekiq\n  rails\n  sidekiq\n  puma\n\nBUNDLED WITH\n   2.5.10\n";
const SIDEKIQ_YML = ":concurrency: 5\n:timeout: 20\n:queues:\n  - default\n  - reports\n";
const MAILERS_YML = ":concurrency: 3\n:timeout: 40\n:queues:\n  - mailers\nproduction:\n  :concurrency: 8\n  :queues:\n    - [mailers, 2]\n    - digests\n";
const PRODUCTION = [
  'server "web1.harbor.example.com", roles: %w[app web db]',
  'server "q1.harbor.example.com", roles: %w[worker]',
  'server "q2.harbor.example.com", roles: %w[worker]',
  'server "q3.harbor.example.com", roles: %w[worker], sidekiq_config_files: ["mailers.yml"]',
  'set :rails_env, "production"',
  "",
].join("\n");
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "sidekiq"\ngem "capistrano-sidekiq"\n',
  "Gemfile.lock": LOCK,
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/sidekiq"\ninstall_plugin Capistrano::Sidekiq\ninstall_plugin Capistrano::Sidekiq::Systemd\n',
  "config/deploy.rb": 'set :application, "harbor"\nset :repo_url, "git@git.example.com:ops/harbor.git"\nset :deploy_to, "/srv/harbor"\nset :sidekiq_config_files, %w[sidekiq.yml mailers.yml]\n',
  "config/deploy/production.rb": PRODUCTION,
  "config/deploy/qa.rb": 'server "qa1.harbor.example.com", roles: %w[app web db worker]\nset :rails_env, "qa"\n',
  "config/deploy/staging.rb": 'server "stage1.harbor.example.com", roles: %w[app web db worker], sidekiq_config_files: ["sidekiq.yml"]\nset :rails_env, "staging"\n',
  "config/puma.rb": "threads 5, 5\n",
  "config/sidekiq.yml": SIDEKIQ_YML,
  "config/mailers.yml": MAILERS_YML,
};

// The stand-in: what the 3.x plugin does for these questions, as read from the gem (not its code).
const STAND_IN = `require "capistrano/plugin"
module Capistrano
  class Sidekiq < Capistrano::Plugin
    def set_defaults
      set_if_empty :sidekiq_env, -> { fetch(:rack_env, fetch(:rails_env, fetch(:stage))) }
      set_if_empty :sidekiq_roles, fetch(:sidekiq_role, :worker)
      set_if_empty :sidekiq_config_files, ["sidekiq.yml"]
    end
  end
  class Sidekiq::Systemd < Capistrano::Plugin
    def set_defaults
      set_if_empty :sidekiq_service_unit_name, -> { "#{fetch(:application)}_sidekiq_#{fetch(:stage)}" }
    end
    def config_files(role) = role.properties.fetch(:sidekiq_config_files) || fetch(:sidekiq_config_files)
    def sidekiq_service_unit_name(file)
      base = fetch(:sidekiq_service_unit_name)
      file == "sidekiq.yml" ? base : [base, file.split(".")[0...-1].join(".")].join(".")
    end
    def compiled_template(file)
      flag = file == "sidekiq.yml" ? "" : "--config config/#{file}"
      "ExecStart=bundle exec sidekiq -e #{fetch(:sidekiq_env)} #{flag}"
    end
  end
end
`;

// Asks the plugin instance install_plugin made for each server's units and their ExecStart.
const ORACLE = `
task "r2k:units" do
  require "sshkit/backends/printer"
  SSHKit.config.backend = SSHKit::Backend::Printer
  SSHKit.config.output = SSHKit::Formatter::BlackHole.new(StringIO.new)
  plugin = ObjectSpace.each_object(Capistrano::Sidekiq::Systemd).find { |p| p.respond_to?(:config_files, true) }
  units = {}
  on roles(fetch(:sidekiq_roles)) do |role|
    units[role.hostname] = plugin.send(:config_files, role).map do |f|
      [plugin.send(:sidekiq_service_unit_name, f), plugin.send(:compiled_template, f)[/^ExecStart=.*$/]]
    end.to_h.to_a
  end
  puts "R2K-UNITS" + JSON.generate(units)
end
`;

const container = (o: any) => o.spec.template.spec.containers[0];
const cleanup: string[] = [];
/** stage → host → [unit, ExecStart] */
const oracle: Record<string, Record<string, [string, string][]>> = {};
let m: AppModel;
let built: Built;

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  m = await analyzeFiles(memoryRepo(FILES), "harbor");
  built = emitAndBuild(m);
  const dir = mkdtempSync(join(tmpdir(), "r2k-sqcf-"));
  cleanup.push(dir);
  for (const [p, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  let lib = REAL_GEM ?? "";
  if (!REAL_GEM) {
    lib = mkdtempSync(join(tmpdir(), "r2k-sqcf-lib-"));
    cleanup.push(lib);
    mkdirSync(join(lib, "capistrano"));
    writeFileSync(join(lib, "capistrano", "sidekiq.rb"), STAND_IN);
  }
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  writeFileSync(join(app, "..", "units.rake"), ORACLE);
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "units.rake"))}\n`);
  for (const st of ["production", "qa", "staging"]) {
    const r = spawnSync("cap", [st, "r2k:units"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-I${lib} -r${join(app, "..", "prelude.rb")} -rjson -rstringio -rerb` } });
    const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-UNITS"));
    if (!line) throw new Error(`cap ${st} r2k:units failed: ${r.stderr}`);
    oracle[st] = JSON.parse(line.slice("R2K-UNITS".length));
  }
}, 180_000);

afterAll(() => {
  removeTrees();
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

/** Per stage, the servers running each unit, and the --config file of each unit, from the oracle. */
function oracleUnits(stage: string): Record<string, { servers: number; config: string | null }> {
  const out: Record<string, { servers: number; config: string | null }> = {};
  for (const units of Object.values(oracle[stage]!))
    for (const [unit, exec] of units) {
      const suffix = unit.replace(/^harbor_sidekiq_[a-z]+/, "");
      const o = (out[suffix] ??= { servers: 0, config: /--config (\S+)/.exec(exec)?.[1] ?? null });
      o.servers++;
    }
  return out;
}

describe("capistrano-sidekiq 3.x's sidekiq_config_files: one Deployment per entry, against `cap <stage>`", () => {
  it("the oracle: production's units on q1, q2 (both) and q3 (mailers only); staging runs no mailers unit", () => {
    expect(oracleUnits("production")).toEqual({ "": { servers: 2, config: null }, ".mailers": { servers: 3, config: "config/mailers.yml" } });
    expect(oracleUnits("qa")).toEqual({ "": { servers: 1, config: null }, ".mailers": { servers: 1, config: "config/mailers.yml" } });
    expect(oracleUnits("staging")).toEqual({ "": { servers: 1, config: null } });
  });

  it("one worker per entry: the plain unit keeps `worker`, mailers.yml is worker-sidekiq-mailers", () => {
    const ws = m.workers!.filter((w) => w.backend === "sidekiq");
    expect(ws.map((w) => [w.name, w.sidekiqConfig?.entry, w.carried])).toEqual([
      ["worker", "sidekiq.yml", true],
      ["worker-sidekiq-mailers", "mailers.yml", true],
    ]);
    expect(ws[1]!.stopTimeout).toEqual({ seconds: 40, source: { file: "config/mailers.yml", line: 2 } });
  });

  it("replicas per stage = the servers running the unit (the oracle's), each Deployment on its own file", () => {
    const unitOf: Record<string, string> = { "": "harbor-worker", ".mailers": "-worker-sidekiq-mailers" };
    for (const st of ["production", "qa", "staging"]) {
      const want = oracleUnits(st);
      for (const [suffix, name] of Object.entries(unitOf)) {
        const d = find(built.stages[st]!, "Deployment", name);
        validateObject(d);
        expect(d.spec.replicas, `${st} ${name}`).toBe(want[suffix]?.servers ?? 0);
        // the unit's --config is the file the pod reads; the plain unit's Sidekiq finds config/sidekiq.yml itself
        expect(container(d).args, `${st} ${name}`).toEqual(["bundle", "exec", "sidekiq", "-C", suffix ? want[suffix]?.config ?? "config/mailers.yml" : "config/sidekiq.yml"]);
      }
    }
    // each its own selector, and its own drain: mailers.yml's 40 s, sidekiq.yml's 20 s
    const mail = find(built.stages["production"]!, "Deployment", "-worker-sidekiq-mailers");
    const plain = find(built.stages["production"]!, "Deployment", "harbor-worker");
    expect(mail.spec.selector.matchLabels["app.kubernetes.io/component"]).not.toBe(plain.spec.selector.matchLabels["app.kubernetes.io/component"]);
    expect(mail.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(40));
    expect(plain.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(20));
  });

  it("the worker size follows the largest concurrency any unit ran (mailers.yml's production 8)", () => {
    const without = { ...m, sidekiq: { ...m.sidekiq!, configFiles: undefined } };
    expect(workerResourcesDefault(m)).not.toEqual(workerResourcesDefault(without));
  });

  it("the release waits for both, and MIGRATION.md and the report name each with its file, unit and servers", () => {
    expect(makeReleasePlan(m, defaultAnswers(m, {})).deployments).toEqual(["deployment/harbor-web", "deployment/harbor-worker", "deployment/harbor-worker-sidekiq-mailers"]);
    const answers = defaultAnswers(m, {});
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(md).toMatch(/`deployment\/harbor-worker-sidekiq-mailers`: Sidekiq, `sidekiq` with `config\/mailers\.yml`, as capistrano-sidekiq 3\.x's unit `<sidekiq_service_unit_name>\.mailers` for sidekiq_config_files entry `mailers\.yml` ran it.*servers running the unit: production 3, qa 1, staging 0/);
    expect(md).toMatch(/`deployment\/harbor-worker`: Sidekiq, `sidekiq` with `config\/sidekiq\.yml`, as capistrano-sidekiq 3\.x's unit `<sidekiq_service_unit_name>` for sidekiq_config_files entry `sidekiq\.yml` ran it.*servers running the unit: production 2, qa 1, staging 1/);
    const r = renderReport(m, { color: false });
    expect(r).toMatch(/Sidekiq worker worker-sidekiq-mailers: capistrano-sidekiq 3\.x unit for sidekiq_config_files entry mailers\.yml: sidekiq -C config\/mailers\.yml; servers per stage: production 3, qa 1, staging 0/);
    expect(r).toMatch(/sidekiq in production: concurrency 8/);
  });
});

describe("entries the analysis cannot carry, and a deploy that runs only the plain unit", () => {
  it("an entry whose file the repo does not hold: a named warning, and the worker is listed as not carried", async () => {
    const app = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy/production.rb": PRODUCTION.replace('["mailers.yml"]', '["bulk.yml"]') }), "harbor");
    const w = app.workers!.find((x) => x.sidekiqConfig?.entry === "bulk.yml")!;
    expect(w.carried).toBe(false);
    expect(w.why).toMatch(/runs `sidekiq --config config\/bulk\.yml`, and the repo has no config\/bulk\.yml/);
    expect(app.problems.some((p) => p.file === "config/deploy/production.rb" && p.line === 4 && /^capistrano-sidekiq\.config-file-missing: /.test(p.message))).toBe(true);
    const answers = defaultAnswers(app, {});
    const md = emitMigrationGuide(app, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(app, answers) }))).content;
    expect(md).toMatch(/\*\*Not carried\*\*: Sidekiq: capistrano-sidekiq 3\.x's unit for sidekiq_config_files entry bulk\.yml/);
  });

  it("every server on the default list: one worker, as before, without a unit entry", async () => {
    const app = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy.rb": FILES["config/deploy.rb"]!.replace("set :sidekiq_config_files, %w[sidekiq.yml mailers.yml]\n", ""), "config/deploy/production.rb": PRODUCTION.replace(', sidekiq_config_files: ["mailers.yml"]', "") }), "harbor");
    const ws = app.workers!.filter((x) => x.backend === "sidekiq");
    expect(ws.map((x) => [x.name, x.sidekiqConfig])).toEqual([["worker", undefined]]);
    expect(app.sidekiq!.started!["production"]!.processes).toBe(3);
  });
});

describe("the mailers Deployment's command, started with Debian's Sidekiq 6.4 against a real Redis", () => {
  const procs = new Procs();
  const T = mkdtempSync(join(tmpdir(), "r2k-sqcf-run-"));
  afterAll(async () => {
    await procs.stopAll();
    rmSync(T, { recursive: true, force: true });
  });

  it("production (RAILS_ENV from its ConfigMap): mailers.yml's production queues and concurrency; the plain worker: sidekiq.yml's", async () => {
    mkdirSync(join(T, "config"));
    writeFileSync(join(T, "config/sidekiq.yml"), SIDEKIQ_YML);
    writeFileSync(join(T, "config/mailers.yml"), MAILERS_YML);
    writeFileSync(join(T, "jobs.rb"), 'require "sidekiq"\n');
    const redis = await startRedis(procs, T);
    const expected: Record<string, { queues: string[]; concurrency: number }> = {
      "-worker-sidekiq-mailers": { queues: ["mailers", "digests"], concurrency: 8 },
      "harbor-worker": { queues: ["default", "reports"], concurrency: 5 },
    };
    for (const [suffix, want] of Object.entries(expected)) {
      const args: string[] = container(find(built.stages["production"]!, "Deployment", suffix)).args;
      expect(args.slice(0, 3)).toEqual(["bundle", "exec", "sidekiq"]);
      const { child, info } = await registeredSidekiq(procs, redis, suffix, [...args.slice(3), "-r", "./jobs.rb"], { cwd: T, env: { RAILS_ENV: "production" }, log: join(T, `${suffix}.log`) });
      expect(info, `sidekiq ${args.slice(3).join(" ")} never registered`).not.toBeNull();
      expect({ queues: info!.queues, concurrency: info!.concurrency }).toEqual(want);
      child.kill("SIGTERM");
      await Procs.exited(child, 20_000);
    }
  }, 90_000);
});
