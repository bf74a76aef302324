// Sidekiq started by a monit file of the repo, not by capistrano-sidekiq: the start program's own
// options are what the servers' Sidekiq ran with, over its config file, as Sidekiq's CLI takes them.
// The app ("parcel", hosts under quarry.example.org) and its monit template are this test's own: two
// checks, one with `-C` naming a config file other than config/sidekiq.yml, weighted queues, `-c`
// and `-t` (and the servers' daemon flags), the other with only `-q reports -c 2`, each wrapped in
// a shell with a `cd` into the release as monit needs. Each becomes a Deployment; its command is
// booted with Debian's Sidekiq 6.4 against a real Redis, which must register the line's queues and
// concurrency (and the `-C` file's tag, to show that file was the one read).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { workerGracePeriod } from "../../emitters/kustomize/rules/shutdown.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { renderReport } from "../../src/report.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { emitAndBuild, find, type Built } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { Procs } from "../container/procs.js";
import { registeredSidekiq, startRedis } from "./real-sidekiq.js";
import { pluginApp } from "./app.js";

const SIDEKIQ_YML = ":concurrency: 5\n:timeout: 12\n:queues:\n  - default\n  - low\n";
const BULK_YML = ":concurrency: 3\n:timeout: 9\n:tag: bulk-from-file\n:queues:\n  - low\n";
const MONIT = [
  "check process sidekiq_bulk with pidfile <%= shared_path %>/tmp/pids/sidekiq_bulk.pid",
  `  start program = "/bin/sh -c 'cd <%= current_path %> && RAILS_ENV=<%= fetch(:rails_env) %> bundle exec sidekiq -e <%= fetch(:rails_env) %> -C <%= current_path %>/config/sidekiq_bulk.yml -q default,3 -q mailers -c 7 -t 40 -d -P tmp/pids/sidekiq_bulk.pid -L log/sidekiq_bulk.log'" with timeout 90 seconds`,
  '  stop program = "/bin/sh -c \'kill -TERM `cat <%= shared_path %>/tmp/pids/sidekiq_bulk.pid`\'"',
  "check process sidekiq_reports with pidfile <%= shared_path %>/tmp/pids/sidekiq_reports.pid",
  `  start program = "/bin/bash -lc 'cd <%= current_path %> && bundle exec sidekiq -q reports -c 2 -P tmp/pids/sidekiq_reports.pid'"`,
  "",
].join("\n");
const STAGES = {
  production: 'server "web1.quarry.example.org", roles: %w[web app db]\nserver "q1.quarry.example.org", roles: %w[worker]\nserver "q2.quarry.example.org", roles: %w[worker]\nset :rails_env, "production"\n',
};
const EXTRA = { "config/sidekiq.yml": SIDEKIQ_YML, "config/sidekiq_bulk.yml": BULK_YML, "config/deploy/templates/sidekiq.monitrc.erb": MONIT };

const container = (o: any) => o.spec.template.spec.containers[0];
let m: AppModel;
let built: Built;

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  m = await analyzeFiles(pluginApp("", STAGES, EXTRA, { sidekiq: "6.4.1" }, ""), "parcel");
  built = emitAndBuild(m);
}, 120_000);

afterAll(() => removeTrees());

describe("Sidekiq's own start lines in a monit file", () => {
  it("one worker per line's options: the first keeps `worker`, with the line's -C file; the other is named for its queue", () => {
    const ws = m.workers!.filter((w) => w.backend === "sidekiq");
    expect(ws.map((w) => [w.name, w.sidekiqOptions?.words, w.sidekiqOptions?.config?.file])).toEqual([
      ["worker", ["-q", "default,3", "-q", "mailers", "-c", "7", "-t", "40"], "config/sidekiq_bulk.yml"],
      ["worker-sidekiq-reports", ["-q", "reports", "-c", "2"], undefined],
    ]);
    expect(ws[0]!.stopTimeout).toEqual({ seconds: 40, source: { file: "config/deploy/templates/sidekiq.monitrc.erb", line: 2 } });
    expect(ws[0]!.commandNote).toMatch(/left out `-d`, `-P tmp\/pids\/sidekiq_bulk\.pid`, `-L log\/sidekiq_bulk\.log`/);
    expect(ws[0]!.commandNote).toMatch(/its `-e` is the stage's Rails env/);
  });

  it("the built overlay: each Deployment runs its line's options after its config file, drains by its -t, one pod per worker server", () => {
    const prod = built.stages["production"]!;
    const bulk = find(prod, "Deployment", "parcel-worker");
    const reports = find(prod, "Deployment", "-worker-sidekiq-reports");
    expect(container(bulk).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq_bulk.yml", "-q", "default,3", "-q", "mailers", "-c", "7", "-t", "40"]);
    expect(container(reports).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "-q", "reports", "-c", "2"]);
    expect(bulk.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(40));
    expect(reports.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(12));
    expect([bulk.spec.replicas, reports.spec.replicas]).toEqual([2, 2]);
  });

  it("MIGRATION.md and the report say the options are the start line's, not capistrano-sidekiq's", () => {
    const answers = defaultAnswers(m, {});
    const md = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(md).toMatch(/`deployment\/parcel-worker`: Sidekiq, `sidekiq` with `config\/sidekiq_bulk\.yml` \(the start line's `-C`\) and `-q default,3 -q mailers -c 7 -t 40`, the options of its own start line .*\(from Sidekiq's own start line, its options over its config file, `config\/deploy\/templates\/sidekiq\.monitrc\.erb:2`\)/);
    expect(md).not.toMatch(/sidekiq_options_per_process/);
    const r = renderReport(m, { color: false });
    expect(r).toMatch(/Sidekiq worker worker-sidekiq-reports: its start line: sidekiq -q reports -c 2; processes per server: production 1 +config\/deploy\/templates\/sidekiq\.monitrc\.erb:5/);
  });

  it("a line naming a config file the repo does not hold: said at the line, and Sidekiq runs as before", async () => {
    const app = await analyzeFiles(pluginApp("", STAGES, { "config/sidekiq.yml": SIDEKIQ_YML, "config/deploy/templates/sidekiq.monitrc.erb": MONIT }, { sidekiq: "6.4.1" }, ""), "parcel");
    const p = app.problems.find((x) => x.file === "config/deploy/templates/sidekiq.monitrc.erb" && x.line === 2 && x.message.startsWith("Sidekiq: the start line"));
    expect(p?.message).toMatch(/its config file config\/sidekiq_bulk\.yml .* is not in the repo/);
  });
});

describe("the Deployments' commands, started with Debian's Sidekiq 6.4 against a real Redis", () => {
  const procs = new Procs();
  const T = mkdtempSync(join(tmpdir(), "r2k-skline-run-"));
  afterAll(async () => {
    await procs.stopAll();
    rmSync(T, { recursive: true, force: true });
  });

  it("each registers its line's queues and concurrency; the -C file's tag shows which file was read", async () => {
    mkdirSync(join(T, "config"));
    writeFileSync(join(T, "config/sidekiq.yml"), SIDEKIQ_YML);
    writeFileSync(join(T, "config/sidekiq_bulk.yml"), BULK_YML);
    writeFileSync(join(T, "jobs.rb"), 'require "sidekiq"\n');
    const redis = await startRedis(procs, T);
    const expected: Record<string, { queues: string[]; concurrency: number; tag: string }> = {
      "parcel-worker": { queues: ["default", "mailers"], concurrency: 7, tag: "bulk-from-file" },
      "-worker-sidekiq-reports": { queues: ["reports"], concurrency: 2, tag: "" },
    };
    for (const [suffix, want] of Object.entries(expected)) {
      const args: string[] = container(find(built.stages["production"]!, "Deployment", suffix)).args;
      expect(args.slice(0, 3)).toEqual(["bundle", "exec", "sidekiq"]);
      const { child, info } = await registeredSidekiq(procs, redis, suffix, [...args.slice(3), "-r", "./jobs.rb"], { cwd: T, env: { RAILS_ENV: "production" }, log: join(T, `${suffix.replace(/^-/, "")}.log`) });
      expect(info, `sidekiq ${args.slice(3).join(" ")} never registered`).not.toBeNull();
      expect({ queues: info!.queues, concurrency: info!.concurrency, tag: info!.tag === "bulk-from-file" ? info!.tag : "" }).toEqual(want);
      child.kill("SIGTERM");
      await Procs.exited(child, 20_000);
    }
  }, 90_000);
});

// One systemd unit per stage (each installed only on its stage's servers): each counts on its own
// stage, tied by its `-e`, its file name or its `cd` into the stage's deploy_to; never summed into
// every stage (audit s22 B1: 2 processes per server on both stages where each ran one).
describe("per-stage systemd units of Sidekiq", () => {
  const UNIT_STAGES = {
    production: 'server "web1.quarry.example.org", roles: %w[web app db]\nset :deploy_to, "/srv/parcel-production"\n',
    staging: 'server "stage1.quarry.example.org", roles: %w[web app db]\nset :deploy_to, "/srv/parcel-staging"\nset :rails_env, "staging"\n',
  };
  const unit = (cmd: string) => `[Unit]\nDescription=sidekiq\n[Service]\nExecStart=/bin/bash -lc '${cmd}'\nRestart=always\n[Install]\nWantedBy=multi-user.target\n`;
  const restart = (names: string[]) => `namespace :sidekiq do\n  task :restart do\n    on roles(:app) do\n      execute :sudo, :systemctl, :restart, ${names.map((n) => JSON.stringify(n)).join(", ")}\n    end\n  end\nend\nafter "deploy:published", "sidekiq:restart"\n`;
  const analyzeUnits = (units: Record<string, string>) =>
    analyzeFiles(pluginApp(restart(Object.keys(units).map((n) => n.replace(/\.service$/, ""))), UNIT_STAGES, { "config/sidekiq.yml": SIDEKIQ_YML, ...Object.fromEntries(Object.entries(units).map(([n, c]) => [`config/systemd/${n}`, unit(c)])) }, { sidekiq: "6.4.1" }, ""), "parcel");
  const counts = (app: AppModel) => app.workers.filter((w) => w.backend === "sidekiq").map((w) => [w.name, Object.fromEntries(Object.entries(w.perStage ?? {}).map(([s, v]) => [s, v.processes]))]);

  it.each([
    ["the file name, -e and cd all name the stage", { "sidekiq-production.service": "cd /srv/parcel-production/current && bundle exec sidekiq -C config/sidekiq.yml -e production", "sidekiq-staging.service": "cd /srv/parcel-staging/current && bundle exec sidekiq -C config/sidekiq.yml -e staging" }],
    ["only -e names it", { "sidekiq-blue.service": "bundle exec sidekiq -e production", "sidekiq-green.service": "bundle exec sidekiq -e staging" }],
    ["only the cd into deploy_to names it", { "sidekiq-a.service": "cd /srv/parcel-production/current && bundle exec sidekiq", "sidekiq-b.service": "cd /srv/parcel-staging/current && bundle exec sidekiq" }],
  ])("%s: one process per server on each stage, from its own unit", async (_, units) => {
    const app = await analyzeUnits(units);
    expect(counts(app)).toEqual([["worker", { production: 1, staging: 1 }]]);
    const w = app.workers.find((x) => x.name === "worker")!;
    expect(w.perStage!["staging"]!.source?.file).toBe(`config/systemd/${Object.keys(units)[1]}`);
  });

  it("a unit tied to no stage beside one that is: said as possible per-stage copies, not summed", async () => {
    const app = await analyzeUnits({ "sidekiq-one.service": "bundle exec sidekiq -e production", "sidekiq-two.service": "bundle exec sidekiq -e qa" });
    expect(counts(app)).toEqual([["worker", {}]]);
    expect(app.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^Sidekiq: 2 service files start it .* which may be copies per stage/));
  });
});
