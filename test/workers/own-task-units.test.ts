// A task of the repo that starts several systemd units of one backend (`ledger-delayed_job.1`, `.2`, `.3`)
// in `on roles(:jobs)` blocks: each unit is a process every server of that role ran, so the worker
// runs on that role with one pod per unit per server. The hook may sit under a condition of the
// deploying shell (a first-deploy switch): the units were there all the same. Real `cap` (3.17, a
// recording SSHKit backend) says which host got which `systemctl start`, with the switch set; the
// analysis must place the same units on the same hosts. The app ("ledger") is this test's own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import { memoryRepo } from "../../src/repo.js";
import { prepareCopy } from "../capistrano/cap.js";

beforeAll(async () => {
  await initPrism();
});
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const LOCK = `GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    puma (6.4.2)\n    pg (1.5.6)\n    delayed_job (4.1.11)\n    delayed_job_active_record (4.1.8)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  puma\n  pg\n  delayed_job_active_record\n\nBUNDLED WITH\n   2.5.10\n`;

/** The restart task: three units, each in its own `on roles(:jobs)` block; `guard` wraps the hook. */
const TASKS = (guard: "none" | "env" | "unhooked", name = (n: number) => `ledger-delayed_job.${n}`) => [
  `set :initctl, ENV.fetch("LEDGER_SYSTEMCTL") { "/usr/bin/systemctl" }`,
  `namespace :jobs do`,
  `  task :bounce do`,
  ...[1, 2, 3].flatMap((n) => [`    on roles(:jobs) do`, `      execute :sudo, "#{fetch(:initctl)} stop ${name(n)}.service || true"`, `    end`, `    on roles(:jobs) do`, `      execute :sudo, "#{fetch(:initctl)} start ${name(n)}.service"`, `    end`]),
  `  end`,
  `end`,
  guard === "env" ? `if ENV["LEDGER_FIRST_DEPLOY"] == "yes"\n  after "deploy:published", "jobs:bounce"\nend` : guard === "none" ? `after "deploy:published", "jobs:bounce"` : ``,
  ``,
].join("\n");

const files = (guard: "none" | "env" | "unhooked", extra: Record<string, string> = {}, tasks = TASKS(guard)): Record<string, string> => ({
  Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n`,
  Gemfile: `source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "pg"\ngem "delayed_job_active_record"\n`,
  "Gemfile.lock": LOCK,
  "config/puma.rb": "threads 5, 5\n",
  "config/deploy.rb": `set :application, "ledger"\nset :repo_url, "git@git.example.org:ops/ledger.git"\n${tasks}`,
  "config/deploy/production.rb": [
    `server "w1.ledger.example.org", user: "deploy", roles: %w[web app db]`,
    `server "j1.ledger.example.org", user: "deploy", roles: %w[app jobs]`,
    `server "j2.ledger.example.org", user: "deploy", roles: %w[app jobs]`,
    ``,
  ].join("\n"),
  ...extra,
});

/** Real cap: per host, the units `systemctl start` was run for when deploy:published's hooks ran. */
function capStarts(fs: Record<string, string>, env: Record<string, string>): Record<string, string[]> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-units-"));
  cleanup.push(dir);
  for (const [p, c] of Object.entries(fs)) mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), c);
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  writeFileSync(
    join(app, "..", "ran.rake"),
    [
      'require "sshkit"',
      "class R2kRecorder < SSHKit::Backend::Printer",
      "  CMDS = Hash.new { |h, k| h[k] = [] }",
      "  def execute(*args)",
      '    line = args.reject { |a| a.is_a?(Hash) }.map(&:to_s).join(" ")',
      // Every unit of the line: systemctl starts each one it is given.
      '    CMDS[host.hostname].concat($1.split) if line =~ /systemctl (?:re)?start ([^;&|]+)/',
      "  end",
      "end",
      'task "r2k:ran" do',
      "  SSHKit.config.backend = R2kRecorder",
      '  Rake::Task["deploy:published"].invoke',
      '  puts "R2K-RAN" + JSON.generate(R2kRecorder::CMDS)',
      "end",
      "",
    ].join("\n"),
  );
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "ran.rake"))}\n`);
  const r = spawnSync("cap", ["production", "r2k:ran"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-r${join(app, "..", "prelude.rb")} -rjson`, ...env } });
  const line = r.stdout.split("\n").find((l) => l.includes("R2K-RAN"));
  expect(line, r.stderr).toBeDefined();
  return JSON.parse(line!.slice(line!.indexOf("R2K-RAN") + 7));
}

const dj = (m: Awaited<ReturnType<typeof analyzeFiles>>) => m.workers!.find((w) => w.backend === "delayed-job")!;
const replicas = (m: Awaited<ReturnType<typeof analyzeFiles>>) => workerSpecs(makePlan(m, {})).find((s) => s.facts === dj(m))!.stages.map((s) => s.replicas);
const offRepo = (m: { problems: { file: string; line: number; message: string }[] }) => m.problems.filter((p) => /starts the unit `ledger-delayed_job\.\d`.*its ExecStart is on the servers/.test(p.message));

describe("several units of a backend that a task of the repo starts", () => {
  it("hooked: the task's role, three pods per server of it, as real cap starts three units on each jobs host", async () => {
    const fs = files("none");
    const ran = capStarts(fs, {});
    expect(ran).toEqual({ "j1.ledger.example.org": ["ledger-delayed_job.1.service", "ledger-delayed_job.2.service", "ledger-delayed_job.3.service"], "j2.ledger.example.org": ["ledger-delayed_job.1.service", "ledger-delayed_job.2.service", "ledger-delayed_job.3.service"] });
    const m = await analyzeFiles(memoryRepo(fs), "ledger");
    const w = dj(m);
    expect(w).toMatchObject({ carried: true, roles: ["jobs"], args: ["bundle", "exec", "rake", "jobs:work"], processesPerServer: { value: 3, source: { file: "config/deploy.rb", line: 10 } } });
    expect(w.rolesGuessed).toBeUndefined();
    // What real cap ran: per host of the role, the units; the pods: hosts × units.
    const perHost = Object.values(ran).map((u) => u.length);
    expect(replicas(m)).toEqual([perHost.reduce((a, b) => a + b, 0)]);
    expect(offRepo(m).map((p) => p.line)).toEqual([10, 16, 22]);
  });

  it("hooked only under an ENV condition: the same units and role, the condition said; real cap starts them with the switch set", async () => {
    const fs = files("env");
    expect(capStarts(fs, {})).toEqual({});
    expect(capStarts(fs, { LEDGER_FIRST_DEPLOY: "yes" })["j1.ledger.example.org"]).toHaveLength(3);
    const m = await analyzeFiles(memoryRepo(fs), "ledger");
    const w = dj(m);
    expect(w).toMatchObject({ roles: ["jobs"], processesPerServer: { value: 3 } });
    expect(replicas(m)).toEqual([6]);
    expect(w.evidence.some((e) => /under a condition of the deploying shell \(config\/deploy\.rb:26\)/.test(e.value))).toBe(true);
  });

  it("no hook runs the task: it places nothing (the usual roles, said as guessed)", async () => {
    const m = await analyzeFiles(memoryRepo(files("unhooked")), "ledger");
    expect(dj(m).rolesGuessed).toBe(true);
    expect(dj(m).processesPerServer).toBeUndefined();
    expect(offRepo(m)).toEqual([]);
  });

  it("a Procfile no deploy line runs does not outrank the task's units", async () => {
    const m = await analyzeFiles(memoryRepo(files("none", { Procfile: "web: bundle exec puma\nworker: bundle exec rake jobs:work QUEUE=mail\n" })), "ledger");
    const w = dj(m);
    expect(w).toMatchObject({ roles: ["jobs"], processesPerServer: { value: 3 } });
    expect(w.commandNote).toContain("Procfile:2 is in a Procfile no deploy line runs");
  });

  it("a unit name computed in the task (a loop's local): the count is a named warning, not a guess", async () => {
    const loop = [
      `set :initctl, "/usr/bin/systemctl"`,
      `namespace :jobs do`,
      `  task :bounce do`,
      `    on roles(:jobs) do`,
      `      (1..3).each { |n| execute :sudo, "#{fetch(:initctl)} start ledger-delayed_job.#{n}.service" }`,
      `    end`,
      `  end`,
      `end`,
      `after "deploy:published", "jobs:bounce"`,
      ``,
    ].join("\n");
    const fs = files("none", {}, loop);
    expect(capStarts(fs, {})["j1.ledger.example.org"]).toHaveLength(3);
    const m = await analyzeFiles(memoryRepo(fs), "ledger");
    expect(dj(m).processesPerServer).toBeUndefined();
    expect(m.problems.some((p) => /a name computed in the task/.test(p.message) && p.line === 7)).toBe(true);
  });

  // `systemctl restart a b c` starts every unit it is given: three units on one line are three processes per server.
  it("three units on one systemctl line: three per server, as real cap runs them on each jobs host", async () => {
    const oneLine = [
      `namespace :jobs do`,
      `  task :bounce do`,
      `    on roles(:jobs) do`,
      `      execute :sudo, "systemctl restart ledger-delayed_job.1 ledger-delayed_job.2 ledger-delayed_job.3"`,
      `    end`,
      `  end`,
      `end`,
      `after "deploy:published", "jobs:bounce"`,
      ``,
    ].join("\n");
    const fs = files("none", {}, oneLine);
    const ran = capStarts(fs, {});
    expect(ran).toEqual({ "j1.ledger.example.org": ["ledger-delayed_job.1", "ledger-delayed_job.2", "ledger-delayed_job.3"], "j2.ledger.example.org": ["ledger-delayed_job.1", "ledger-delayed_job.2", "ledger-delayed_job.3"] });
    const m = await analyzeFiles(memoryRepo(fs), "ledger");
    expect(dj(m)).toMatchObject({ carried: true, roles: ["jobs"], processesPerServer: { value: 3, source: { file: "config/deploy.rb", line: 6 } } });
    expect(replicas(m)).toEqual([Object.values(ran).reduce((a, u) => a + u.length, 0)]);
    expect(offRepo(m).map((p) => p.message.match(/`(ledger-delayed_job\.\d)`/)![1])).toEqual(["ledger-delayed_job.1", "ledger-delayed_job.2", "ledger-delayed_job.3"]);
  }, 120_000);
});
