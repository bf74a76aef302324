// Sidekiq started by the Procfile the deploy runs, not by capistrano-sidekiq: the line's own options
// are what the servers' Sidekiq ran with. The app (pluginApp's "parcel", hosts under tally.example.net) is this
// test's own: its deploy exports Procfile.servers with foreman (a hooked task, its command one Ruby
// string continued over lines), whose jobs line runs
// Sidekiq through the servers' rvm with `-c 3` and three `-q`, and no config file. Without the line,
// Sidekiq works `default` only. The Deployment's command is booted with Debian's Sidekiq 6.4 against a
// real Redis, which must register the line's three queues and concurrency 3.
// Also: a root Procfile no deploy line runs does not override a monit start of the deploy, and one
// with weighted queues and `-t` decides where the deploy starts Sidekiq nowhere else.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { defaultWorkerResources } from "../../emitters/kustomize/rules/resources.js";
import { workerGracePeriod } from "../../emitters/kustomize/rules/shutdown.js";
import { emitAndBuild, find, type Built } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { Procs } from "../container/procs.js";
import { registeredSidekiq, startRedis } from "./real-sidekiq.js";
import { pluginApp } from "./app.js";

const EXPORT_TASK = [
  "namespace :procs do",
  "  task :export do",
  "    on roles(:app) do",
  // One Ruby string over three lines (adjacent literals): the -f is on a later line than `foreman`.
  '      execute "cd #{current_path} && sudo bundle exec foreman export systemd /etc/systemd/system " \\',
  '        "-a ledger -u deploy " \\',
  '        "-f Procfile.servers -l #{shared_path}/log"',
  "    end",
  "  end",
  "end",
  'after "deploy:published", "procs:export"',
  "",
].join("\n");
const PROCFILE_SERVERS = "web: bundle exec puma -C config/puma.rb\njobs: ~/.rvm/bin/rvm default do bundle exec sidekiq -e production -c 3 -q default -q mailers -q searchkick\n";
const STAGES = { production: 'server "app1.tally.example.net", roles: %w[web app db]\nset :rails_env, "production"\n' };

const container = (o: any) => o.spec.template.spec.containers[0];
let m: AppModel;
let built: Built;

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  m = await analyzeFiles(pluginApp(EXPORT_TASK, STAGES, { "Procfile.servers": PROCFILE_SERVERS }, { sidekiq: "6.4.1" }, ""), "ledger");
  built = emitAndBuild(m);
}, 120_000);

afterAll(() => removeTrees());

describe("Sidekiq's line in the Procfile the deploy's foreman exports", () => {
  it("decides the worker's options: its queues and -c, the rvm switch and -e left out and said", () => {
    const ws = m.workers!.filter((w) => w.backend === "sidekiq");
    expect(ws.map((w) => [w.name, w.sidekiqOptions?.words])).toEqual([["worker", ["-c", "3", "-q", "default", "-q", "mailers", "-q", "searchkick"]]]);
    expect(ws[0]!.queues).toEqual(["default", "mailers", "searchkick"]);
    expect(ws[0]!.commandSource).toEqual({ file: "Procfile.servers", line: 2 });
    expect(ws[0]!.commandNote).toMatch(/`~\/\.rvm\/bin\/rvm default do` left out/);
    expect(ws[0]!.commandNote).toMatch(/left out `-e production`/);
    expect(ws[0]!.evidence.some((e) => /the deploy runs `foreman export systemd .*-f Procfile\.servers/.test(e.value))).toBe(true);
  });

  it("the built overlay runs the line's options, not Sidekiq's defaults", () => {
    const d = find(built.stages["production"]!, "Deployment", "parcel-worker");
    expect(container(d).args).toEqual(["bundle", "exec", "sidekiq", "-c", "3", "-q", "default", "-q", "mailers", "-q", "searchkick"]);
    // Memory is sized by the concurrency that ran (the line's 3), not Sidekiq 6's default 10.
    expect(container(d).resources).toEqual(defaultWorkerResources(3));
  });
});

describe("a root Procfile", () => {
  const MONIT = 'check process sidekiq with pidfile /srv/ledger/shared/tmp/pids/sidekiq.pid\n  start program = "/bin/sh -c \'cd /srv/ledger/current && bundle exec sidekiq -q urgent -c 4 -d -P tmp/pids/sidekiq.pid\'"\n';
  const PROCFILE = "web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq -q critical,2 -q default -c 8 -t 30\n";

  it("no deploy line runs it and a monit file of the deploy starts Sidekiq: the monit line decides, the Procfile line is said", async () => {
    const a = await analyzeFiles(pluginApp("", STAGES, { Procfile: PROCFILE, "config/monit/sidekiq.monitrc": MONIT }, { sidekiq: "6.4.1" }, ""), "ledger");
    const ws = a.workers!.filter((w) => w.backend === "sidekiq");
    expect(ws.map((w) => w.sidekiqOptions?.words)).toEqual([["-q", "urgent", "-c", "4"]]);
    expect(a.problems.find((p) => p.file === "Procfile" && p.line === 2)?.message).toMatch(/no deploy line runs this Procfile .* a service file of the repo starts Sidekiq/);
  });

  it("nothing else starts Sidekiq: its weighted queues, -c and -t decide; -t is the grace period", async () => {
    const a = await analyzeFiles(pluginApp("", STAGES, { Procfile: PROCFILE }, { sidekiq: "6.4.1" }, ""), "ledger");
    const { stages } = emitAndBuild(a);
    const d = find(stages["production"]!, "Deployment", "parcel-worker");
    expect(container(d).args).toEqual(["bundle", "exec", "sidekiq", "-q", "critical,2", "-q", "default", "-c", "8", "-t", "30"]);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(30));
  });
});

describe("the exported line's Deployment, started with Debian's Sidekiq 6.4 against a real Redis", () => {
  const procs = new Procs();
  const T = mkdtempSync(join(tmpdir(), "r2k-skproc-run-"));
  afterAll(async () => {
    await procs.stopAll();
    rmSync(T, { recursive: true, force: true });
  });

  it("registers the line's three queues and concurrency 3", async () => {
    writeFileSync(join(T, "jobs.rb"), 'require "sidekiq"\n');
    const redis = await startRedis(procs, T);
    const args: string[] = container(find(built.stages["production"]!, "Deployment", "parcel-worker")).args;
    expect(args.slice(0, 3)).toEqual(["bundle", "exec", "sidekiq"]);
    const { child, info } = await registeredSidekiq(procs, redis, "sidekiq", [...args.slice(3), "-r", "./jobs.rb"], { cwd: T, env: { RAILS_ENV: "production" }, log: join(T, "sidekiq.log") });
    expect(info, `sidekiq ${args.slice(3).join(" ")} never registered`).not.toBeNull();
    expect({ queues: info!.queues, concurrency: info!.concurrency }).toEqual({ queues: ["default", "mailers", "searchkick"], concurrency: 3 });
    child.kill("SIGTERM");
    await Procs.exited(child, 20_000);
  }, 90_000);
});
