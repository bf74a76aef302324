// Audit B6: whenever writes the environment it was given (`--set environment=<whenever_environment>`)
// into each crontab line, and a deploy may give it another one than the stage's rails_env. The
// CronJob of each stage must run what that stage's crontab ran — judged by the real `whenever -f
// --set environment=X` (the line's RAILS_ENV) against the real `kubectl kustomize` of the overlay
// (the container's RAILS_ENV, else the stage's ConfigMap) — and the difference is named at the deploy
// line; an environment not known keeps the CronJob suspended on that stage, never the overlay's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { kustomizeBuild, removeTrees, writeTree, type K8sObject } from "../kustomize/kubectl.js";
import { parseCrontab, runWhenever } from "./crontab.js";
import { sentWheneverCommands } from "./cap-whenever.js";

const FILE = join(import.meta.dirname, "crontab_env_schedule.rb");
const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    unicorn (6.1.0)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  unicorn\n  whenever\n\nBUNDLED WITH\n   2.4.22\n";

beforeAll(async () => {
  await initPrism();
});
afterAll(() => removeTrees());

const BRANCHED = join(import.meta.dirname, "crontab_env_branch_schedule.rb");

async function migrated(deploy: string, schedule = FILE) {
  const repo = memoryRepo({
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "whenever"\n',
    "Gemfile.lock": LOCK,
    "bin/rails": "",
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
    "config/deploy.rb": deploy,
    "config/deploy/production.rb": 'server "p1.ledger.example.org", roles: %w[app db]\n',
    "config/deploy/staging.rb": 'server "s1.ledger.example.org", roles: %w[app db]\nset :rails_env, "staging"\n',
    "config/schedule.rb": readFileSync(schedule, "utf8"),
  });
  const model = await analyzeFiles(repo, "ledger");
  const out = emitKustomize(model, {});
  const root = writeTree(out.files);
  const built = (stage: string) => kustomizeBuild(root, `k8s/overlays/${stage}`);
  return { model, out, built };
}

/** The RAILS_ENV each CronJob's pod runs with, and whether it is suspended. */
function cronEnvs(objects: K8sObject[]) {
  const cm = objects.find((o) => o.kind === "ConfigMap" && o.data?.RAILS_ENV !== undefined)!;
  return objects
    .filter((o) => o.kind === "CronJob")
    .map((o) => {
      const c = o.spec.jobTemplate.spec.template.spec.containers[0];
      const env = (c.env ?? []).find((e: { name: string }) => e.name === "RAILS_ENV")?.value ?? cm.data.RAILS_ENV;
      return { env, suspend: o.spec.suspend === true, task: /rake (\S+)/.exec(c.args[2])?.[1] };
    });
}

/** The RAILS_ENV of each line the real whenever writes when given `environment`. */
const crontabEnvs = (environment: string) => runWhenever(FILE, { gemfile: true, binRails: true }, `environment=${environment}`).lines.map((l) => /RAILS_ENV=(\w+)/.exec(l.command)?.[1] ?? /runner -e (\w+)/.exec(l.command)?.[1]);

const DEPLOY = 'set :application, "ledger"\nset :deploy_to, "/srv/ledger"\n';

describe("the crontab's environment vs the overlay's RAILS_ENV", () => {
  it("jobs under `if @environment == …` are the ones whenever wrote with the crontab's environment, not the overlay's (audit A1/A2)", async () => {
    const { model, built } = await migrated(`${DEPLOY}set :whenever_environment, "production"\n`, BRANCHED);
    // What staging's crontab held: whenever given production.
    const lines = runWhenever(BRANCHED, { gemfile: true, binRails: true }, "environment=production").lines;
    const wrote = lines.map((l) => /rake (\S+)/.exec(l.command)![1]).sort();
    expect(wrote).toEqual(["ledger:close_books", "ledger:settle"]);
    for (const stage of ["production", "staging"]) {
      const running = cronEnvs(built(stage)).filter((j) => !j.suspend);
      expect(running.map((j) => j.task).sort(), stage).toEqual(wrote);
      expect(running.every((j) => j.env === "production"), stage).toBe(true);
    }
    const named = model.problems.filter((p) => p.message.startsWith("cron.crontab-environment"));
    expect(named.length).toBe(1);
    expect(named[0]!.message).toMatch(/stage staging: .*environment production/);
    expect(named[0]!.message).toContain("config/schedule.rb:9");
  });

  it("a whenever_environment every stage shares: staging's CronJobs run what its crontab ran, and that is named", async () => {
    const { model, built } = await migrated(`${DEPLOY}set :whenever_environment, "production"\n`);
    const crontab = crontabEnvs("production");
    expect(crontab).toEqual(["production", "production"]);
    for (const stage of ["production", "staging"]) {
      const jobs = cronEnvs(built(stage));
      expect(jobs.length).toBe(2);
      expect(jobs.map((j) => j.env), stage).toEqual(crontab);
      expect(jobs.every((j) => !j.suspend)).toBe(true);
    }
    const named = model.problems.filter((p) => p.message.startsWith("cron.crontab-environment"));
    expect(named.map((p) => `${p.file}:${p.line}`)).toEqual(["config/deploy.rb:3"]);
    expect(named[0]!.message).toMatch(/stage staging: .*environment production .*RAILS_ENV=staging \(config\/deploy\/staging\.rb:2\)/);
  });

  it("the plugin's default (each stage's rails_env): nothing differs, nothing is said", async () => {
    const { model, built } = await migrated(DEPLOY);
    expect(cronEnvs(built("staging")).map((j) => j.env)).toEqual(crontabEnvs("staging"));
    expect(cronEnvs(built("production")).map((j) => j.env)).toEqual(crontabEnvs("production"));
    expect(model.problems.filter((p) => p.message.startsWith("cron.crontab-environment"))).toEqual([]);
  });

  it("a whenever_environment not known statically: a gap on every stage, suspended, never the overlay's", async () => {
    const { model, built } = await migrated(`${DEPLOY}set :whenever_environment, ENV["LEDGER_CRON_ENV"]\n`);
    for (const stage of ["production", "staging"]) expect(cronEnvs(built(stage)).map((j) => j.suspend), stage).toEqual([true, true]);
    const named = model.problems.filter((p) => p.message.startsWith("cron.crontab-environment"));
    expect(named.map((p) => `${p.file}:${p.line}`)).toEqual(["config/deploy.rb:3", "config/deploy.rb:3"]);
    expect(named[0]!.message).toContain("an environment not known statically");
  });
});

describe("a repo's own whenever:update_crontab", () => {
  it("passes its own --set: the plugin's whenever_environment is not claimed for the crontab", async () => {
    const { model } = await migrated(`${DEPLOY}set :whenever_environment, ENV["LEDGER_CRON_ENV"]\nnamespace :whenever do\n  task :update_crontab do\n    on roles(:db) do\n      within release_path do\n        execute :bundle, :exec, :whenever, "--update-crontab ledger --set environment=#{fetch(:rails_env)}"\n      end\n    end\n  end\nend\n`);
    expect(model.problems.filter((p) => p.message.startsWith("cron.crontab-environment"))).toEqual([]);
  });
});

// A String whenever_command under whenever's Capistrano 3 task is sent as written (command-string.ts):
// whenever_environment's `--set environment=` is dropped with the task's other flags, and whenever
// reads no RAILS_ENV of its process: the crontab holds whenever's own default, production (or the
// schedule's own `set :environment`). Judged by real cap (the command it sends) run by bash against
// the real whenever, whose installed crontab a `crontab` shim keeps.
describe("a String whenever_command with no --set environment", () => {
  const cleanup: string[] = [];
  afterAll(() => {
    for (const d of cleanup) rmSync(d, { recursive: true, force: true });
  });
  const files = (command: string, schedule = readFileSync(FILE, "utf8")) => ({
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "whenever"\n',
    "Gemfile.lock": LOCK,
    "bin/rails": "",
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "whenever/capistrano"\n',
    "config/deploy.rb": `${DEPLOY}set :whenever_command, ${JSON.stringify(command)}\n`,
    "config/deploy/production.rb": 'server "p1.ledger.example.org", roles: %w[app db]\n',
    "config/deploy/staging.rb": 'server "s1.ledger.example.org", roles: %w[app db]\nset :rails_env, "staging"\n',
    "config/schedule.rb": schedule,
  });
  /** The RAILS_ENV of each line the command cap sent for the stage installed, run by bash in a release holding the schedule. */
  function installedEnvs(app: Record<string, string>, stage: string): (string | undefined)[] | null {
    const sent = sentWheneverCommands(app, [stage], cleanup, "r2k-wh-env-")[stage]!;
    const root = mkdtempSync(join(tmpdir(), "r2k-wh-env-run-"));
    cleanup.push(root);
    const shims = join(root, "bin");
    for (const d of [join(root, "config"), join(root, "bin-rails", "bin"), shims]) mkdirSync(d, { recursive: true });
    writeFileSync(join(root, "config/schedule.rb"), app["config/schedule.rb"]!);
    writeFileSync(join(root, "Gemfile"), app.Gemfile!);
    mkdirSync(join(root, "bin"), { recursive: true });
    writeFileSync(join(root, "bin/rails"), "");
    writeFileSync(join(shims, "bundle"), '#!/bin/sh\n[ "$1" = exec ] && shift\nexec "$@"\n');
    writeFileSync(join(shims, "crontab"), '#!/bin/sh\nfor a in "$@"; do [ "$a" = "-l" ] && exit 1; done\ncat > "$HOME/installed.crontab"\n');
    for (const f of ["bundle", "crontab"]) chmodSync(join(shims, f), 0o755);
    // the String runs in the login shell's directory: the release, here
    spawnSync("bash", ["-c", sent], { cwd: root, encoding: "utf8", env: { PATH: `${shims}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: root, LANG: "C.UTF-8", RAILS_ENV: stage === "staging" ? "staging" : "production" } });
    const out = join(root, "installed.crontab");
    if (!existsSync(out)) return null;
    return parseCrontab(readFileSync(out, "utf8")).lines.map((l) => /RAILS_ENV=(\w+)/.exec(l.command)?.[1] ?? /runner -e (\w+)/.exec(l.command)?.[1]);
  }

  it("installing: the crontab holds whenever's default production on every stage; staging's CronJobs run it, named at the line", async () => {
    const app = files("bundle exec whenever --update-crontab ledger");
    // RAILS_ENV=staging in the deploying shell changes nothing: whenever reads no RAILS_ENV
    expect(installedEnvs(app, "staging")).toEqual(["production", "production"]);
    expect(installedEnvs(app, "production")).toEqual(["production", "production"]);
    const model = await analyzeFiles(memoryRepo(app), "ledger");
    const root = writeTree(emitKustomize(model, {}).files);
    for (const stage of ["production", "staging"]) {
      const jobs = cronEnvs(kustomizeBuild(root, `k8s/overlays/${stage}`));
      expect(jobs.map((j) => [j.env, j.suspend]), stage).toEqual([["production", false], ["production", false]]);
    }
    const named = model.problems.filter((p) => p.message.startsWith("cron.crontab-environment"));
    expect(named.map((p) => `${p.file}:${p.line}`)).toEqual(["config/deploy.rb:3"]);
    expect(named[0]!.message).toMatch(/stage staging: .*environment production \(its whenever run was given no --set environment \(config\/deploy\.rb:3\), so whenever wrote its own default, production/);
  });

  it("installing, with the schedule's own `set :environment`: that is the crontab's", async () => {
    const app = files("bundle exec whenever --update-crontab ledger", `set :environment, "reporting"\n${readFileSync(FILE, "utf8")}`);
    expect(installedEnvs(app, "staging")).toEqual(["reporting", "reporting"]);
    const model = await analyzeFiles(memoryRepo(app), "ledger");
    const root = writeTree(emitKustomize(model, {}).files);
    expect(cronEnvs(kustomizeBuild(root, "k8s/overlays/staging")).map((j) => [j.env, j.suspend])).toEqual([["reporting", false], ["reporting", false]]);
    expect(model.problems.find((p) => p.message.startsWith("cron.crontab-environment: stage staging"))!.message).toContain("the schedule's own `set :environment` (config/schedule.rb:1)");
  });

  it("installing nothing: no claim about the crontab's environment; each stage's reading stands", async () => {
    const app = files("bundle exec whenever");
    expect(installedEnvs(app, "staging")).toBeNull();
    const model = await analyzeFiles(memoryRepo(app), "ledger");
    const root = writeTree(emitKustomize(model, {}).files);
    for (const stage of ["production", "staging"]) expect(cronEnvs(kustomizeBuild(root, `k8s/overlays/${stage}`)).map((j) => [j.env, j.suspend]), stage).toEqual([[stage, false], [stage, false]]);
    expect(model.problems.filter((p) => p.message.startsWith("cron.crontab-environment"))).toEqual([]);
  });
});
