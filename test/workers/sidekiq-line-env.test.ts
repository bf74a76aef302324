// RAILS_MAX_THREADS that Sidekiq's own start line gives its process, which Sidekiq ≥ 4.2 takes as its
// concurrency where no -c and no config file sets one (Debian's 6.4.1 lib/sidekiq/cli.rb:254; -c is
// parsed first, the config file is merged under it, the env var only fills a concurrency still nil):
// - an assignment on the line (`RAILS_MAX_THREADS=12 bundle exec sidekiq`, `env …`, `export …;`);
// - a systemd unit's `Environment=`; an `EnvironmentFile=` of the servers may set it, so the count is
//   a placeholder, named at that line;
// - a unit's process never saw Capistrano's default_env (systemd starts it with the unit's own).
// The app (pluginApp's "parcel", hosts under ledger.example.net) and its units are this test's own. The commands
// are booted with Debian's Sidekiq 6.4 against a real Redis, in the pod's environment (its ConfigMap
// under the container's env), which must register the concurrency the analysis states.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { emitAndBuild, find, type Built } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { Procs } from "../container/procs.js";
import { registeredSidekiq, startRedis } from "./real-sidekiq.js";
import { pluginApp } from "./app.js";

const UNIT_FILE = "config/systemd/tally-sidekiq.service";
const unit = (service: string[]) => ["[Unit]", "Description=tally jobs", "", "[Service]", "Type=simple", ...service, "Restart=on-failure", "", "[Install]", "WantedBy=multi-user.target", ""].join("\n");
const RESTART = 'namespace :jobs do\n  task :bounce do\n    on roles(:app) do\n      execute :sudo, :systemctl, :restart, "tally-sidekiq"\n    end\n  end\nend\nafter "deploy:published", "jobs:bounce"\n';
const STAGES = { production: 'server "box1.ledger.example.net", roles: %w[web app db]\nset :deploy_to, "/srv/tally"\n' };
const QUEUES_ONLY = ":queues:\n  - default\n  - mail\n";
const WITH_CONCURRENCY = ":concurrency: 4\n:queues:\n  - default\n";

const analyze = (service: string[], extra: Record<string, string> = {}, deploy = "") =>
  analyzeFiles(pluginApp(`${deploy}${RESTART}`, STAGES, { [UNIT_FILE]: unit(service), ...extra }, { sidekiq: "6.4.1" }, ""), "tally");
const container = (o: any) => o.spec.template.spec.containers[0];
const worker = (b: Built) => find(b.stages["production"]!, "Deployment", "parcel-worker");
const containerEnv = (b: Built): Record<string, string> => Object.fromEntries(container(worker(b)).env.map((e: { name: string; value: string }) => [e.name, e.value]));
const concurrencyLines = (b: Built) => b.result.provenance.filter((x) => /sidekiq concurrency/.test(x.what)).map((x) => x.what);

const cases: Record<string, { service: string[]; extra?: Record<string, string>; deploy?: string }> = {
  lineOnly: { service: ["ExecStart=/bin/bash -lc 'cd /srv/tally/current && RAILS_MAX_THREADS=12 exec bundle exec sidekiq -q default -q mail'"] },
  lineOverYml: { service: ["ExecStart=/bin/bash -lc 'cd /srv/tally/current && RAILS_MAX_THREADS=12 bundle exec sidekiq -C config/sidekiq.yml'"], extra: { "config/sidekiq.yml": WITH_CONCURRENCY } },
  unitEnv: {
    service: ["Environment=RAILS_ENV=production MALLOC_ARENA_MAX=2", 'Environment="RAILS_MAX_THREADS=6"', "WorkingDirectory=/srv/tally/current", "ExecStart=/usr/bin/env bundle exec sidekiq -C config/sidekiq.yml"],
    extra: { "config/sidekiq.yml": QUEUES_ONLY },
    deploy: 'set :default_env, { "RAILS_MAX_THREADS" => "3" }\n',
  },
  flagOverEnv: { service: ["Environment=RAILS_MAX_THREADS=6", "ExecStart=/bin/sh -c 'export RAILS_MAX_THREADS=12; bundle exec sidekiq -c 3 -q default'"] },
};
const models: Record<string, AppModel> = {};
const built: Record<string, Built> = {};

beforeAll(async () => {
  requireKubectl();
  await initPrism();
  for (const [k, c] of Object.entries(cases)) {
    models[k] = await analyze(c.service, c.extra, c.deploy);
    built[k] = emitAndBuild(models[k]!);
  }
}, 240_000);
afterAll(() => removeTrees());

describe("RAILS_MAX_THREADS on Sidekiq's own start line", () => {
  it("the line's assignment, with no -c and no config file: the concurrency, cited at the line, and carried into the pod", () => {
    const b = built["lineOnly"]!;
    expect(container(worker(b)).args).toEqual(["bundle", "exec", "sidekiq", "-c", "12", "-q", "default", "-q", "mail"]);
    expect(containerEnv(b)["RAILS_MAX_THREADS"]).toBe("12");
    expect(concurrencyLines(b)).toEqual([
      `production: sidekiq concurrency 12 → -c 12, RAILS_MAX_THREADS 12 on its start line (${UNIT_FILE}:6), which Sidekiq 6.4 reads where nothing else sets the concurrency: nothing else sets it (no -c on its command line, no config file)`,
    ]);
  });

  it("the config file's concurrency wins over the line's RAILS_MAX_THREADS", () => {
    const b = built["lineOverYml"]!;
    expect(container(worker(b)).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml"]);
    expect(concurrencyLines(b)).toEqual(["sidekiq concurrency"]);
    expect(b.result.provenance.find((x) => x.what === "sidekiq concurrency")?.source).toEqual({ file: "config/sidekiq.yml", line: 1 });
  });

  it("a -c on the line wins over RAILS_MAX_THREADS from the line and from the unit", () => {
    const b = built["flagOverEnv"]!;
    expect(container(worker(b)).args).toEqual(["bundle", "exec", "sidekiq", "-c", "3", "-q", "default"]);
    expect(concurrencyLines(b)).toEqual([]);
  });
});

describe("a systemd unit's environment", () => {
  it("Environment=RAILS_MAX_THREADS 6 is the concurrency, over default_env's 3, which the unit never saw", () => {
    const b = built["unitEnv"]!;
    // Pinned with -c: the pod's ConfigMap may hold Puma's RAILS_MAX_THREADS.
    expect(container(worker(b)).args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "-c", "6"]);
    const env = containerEnv(b);
    expect([env["RAILS_MAX_THREADS"], env["MALLOC_ARENA_MAX"], env["RAILS_ENV"]]).toEqual(["6", "2", undefined]);
    expect(concurrencyLines(b)).toEqual([
      `production: sidekiq concurrency 6 → -c 6, RAILS_MAX_THREADS 6 on its unit's Environment= (${UNIT_FILE}:7), which Sidekiq 6.4 reads where nothing else sets the concurrency: nothing else sets it (no -c on its command line, no concurrency in config/sidekiq.yml)`,
    ]);
    const w = models["unitEnv"]!.workers!.find((x) => x.backend === "sidekiq")!;
    expect(w.commandNote).toMatch(/its unit's Environment= sets MALLOC_ARENA_MAX, RAILS_MAX_THREADS, carried into the pod's environment/);
    expect(w.commandNote).toMatch(/left out its unit's Environment= RAILS_ENV/);
  });

  it("no RAILS_MAX_THREADS in the unit: Sidekiq's default, and default_env's value is said not to reach it", async () => {
    const b = emitAndBuild(await analyze(["ExecStart=/usr/bin/env bundle exec sidekiq -q default"], {}, 'set :default_env, { "RAILS_MAX_THREADS" => "3" }\n'));
    expect(container(worker(b)).args).toEqual(["bundle", "exec", "sidekiq", "-c", "10", "-q", "default"]);
    expect(concurrencyLines(b)[0]).toMatch(
      new RegExp(`^production: sidekiq concurrency 10 → -c 10, Sidekiq 6\\.4's default: nothing sets it .*; Capistrano's default_env sets RAILS_MAX_THREADS \\(config/deploy\\.rb:3\\), but ${UNIT_FILE.replace(/\./g, "\\.")} is a systemd unit: systemd starts it with the unit's own environment, and Capistrano's default_env never reaches it`),
    );
  });

  it("an EnvironmentFile= of the servers: the concurrency is a placeholder, named at that line", async () => {
    const b = emitAndBuild(await analyze(["Environment=RAILS_MAX_THREADS=6", "EnvironmentFile=-/etc/tally/jobs.env", "ExecStart=/usr/bin/env bundle exec sidekiq -q default"]));
    expect(concurrencyLines(b)[0]).toMatch(/^production: sidekiq concurrency 10 → -c 10, Sidekiq 6\.4's default: not known: EnvironmentFile=-\/etc\/tally\/jobs\.env \(config\/systemd\/tally-sidekiq\.service:7\) \(a file of the servers, read over the unit's Environment=, which sets RAILS_MAX_THREADS 6\) may set it, so this is a placeholder/);
    const note = b.result.notes.find((n) => /concurrency is not known/.test(n.message));
    expect(note?.source).toEqual({ file: UNIT_FILE, line: 7 });
  });

  it("an EnvironmentFile= and no Environment=: the file is named as the unit's only environment, never as read over an Environment= the unit lacks (audit s24a A9)", async () => {
    const m = await analyze(["EnvironmentFile=/etc/tally/jobs.env", "ExecStart=/usr/bin/env bundle exec sidekiq -q default"]);
    const b = emitAndBuild(m);
    const line = concurrencyLines(b)[0]!;
    expect(line).toMatch(/^production: sidekiq concurrency 10 → -c 10, Sidekiq 6\.4's default: not known: EnvironmentFile=\/etc\/tally\/jobs\.env \(config\/systemd\/tally-sidekiq\.service:6\) \(a file of the servers\) may set it/);
    expect(line).not.toContain("Environment=,");
    const w = m.workers!.find((x) => x.backend === "sidekiq")!;
    expect(w.commandNote).toContain("a file of the servers the repo does not hold: what it set is not carried");
    expect(w.commandNote).not.toContain("override Environment=");
  });
});

// A unit template the deploy renders: its ExecStart runs the servers' rbenv at a path the deploy
// fills in, and its EnvironmentFile= is the release's .env.
describe("a unit template with the servers' rbenv and an EnvironmentFile= in the release", () => {
  const TEMPLATE = "config/systemd/sidekiq.service.erb";
  const service = ["Environment=RAILS_ENV=<%= fetch(:rails_env) %>", "EnvironmentFile=<%= current_path %>/.env", "WorkingDirectory=<%= current_path %>", "ExecStart=/home/<%= fetch(:user) %>/.rbenv/bin/rbenv exec bundle exec sidekiq -e <%= fetch(:rails_env) %>"];
  const run = (extra: Record<string, string>) =>
    analyzeFiles(pluginApp(RESTART.replace("tally-sidekiq", "sidekiq"), STAGES, { [TEMPLATE]: unit(service), ...extra }, { sidekiq: "6.4.1" }, ""), "tally");

  it("the repo holds no .env: the line is read, and the concurrency is a placeholder named at EnvironmentFile=", async () => {
    const m = await run({});
    expect(m.problems.filter((p) => p.file === TEMPLATE && /is not read/.test(p.message))).toEqual([]);
    const b = emitAndBuild(m);
    expect(container(worker(b)).args).toEqual(["bundle", "exec", "sidekiq", "-c", "10"]);
    expect(b.result.notes.find((n) => /concurrency is not known/.test(n.message))?.source).toEqual({ file: TEMPLATE, line: 7 });
    expect(m.workers!.find((w) => w.backend === "sidekiq")!.commandNote).toMatch(/left out `\/home\/ERB_VALUE\/\.rbenv\/bin\/rbenv exec` \(the servers' Ruby/);
  });

  it("the repo holds the release's .env: its RAILS_MAX_THREADS is the concurrency, carried into the pod", async () => {
    const b = emitAndBuild(await run({ ".env": "# jobs\nRAILS_MAX_THREADS=8\n" }));
    expect(container(worker(b)).args).toEqual(["bundle", "exec", "sidekiq", "-c", "8"]);
    expect(containerEnv(b)["RAILS_MAX_THREADS"]).toBe("8");
    expect(concurrencyLines(b)[0]).toMatch(/^production: sidekiq concurrency 8 → -c 8, RAILS_MAX_THREADS 8 on its unit's EnvironmentFile= \.env \(\.env:2\)/);
  });
});

describe("the Deployments' commands in the pod's environment, started with Debian's Sidekiq 6.4 against a real Redis", () => {
  const procs = new Procs();
  const T = mkdtempSync(join(tmpdir(), "r2k-sklineenv-"));
  afterAll(async () => {
    await procs.stopAll();
    rmSync(T, { recursive: true, force: true });
  });

  it.each([
    ["lineOnly", 12],
    ["lineOverYml", 4],
    ["unitEnv", 6],
    ["flagOverEnv", 3],
  ])("%s registers concurrency %i", async (k, want) => {
    const dir = join(T, k);
    mkdirSync(join(dir, "config"), { recursive: true });
    for (const [f, text] of Object.entries(cases[k]!.extra ?? {})) writeFileSync(join(dir, f), text);
    writeFileSync(join(dir, "jobs.rb"), 'require "sidekiq"\n');
    const redis = await startRedis(procs, dir);
    const b = built[k]!;
    const c = container(worker(b));
    // The pod's environment: its ConfigMap, then the container's own env over it.
    const cm = b.stages["production"]!.find((o) => o.kind === "ConfigMap" && o.metadata.name === c.envFrom[0].configMapRef.name) as any;
    const env = { ...(cm?.data ?? {}), ...containerEnv(b) };
    const { child, info } = await registeredSidekiq(procs, redis, k, [...c.args.slice(3), "-r", "./jobs.rb"], { cwd: dir, env, log: join(dir, "sidekiq.log") });
    expect(info, `sidekiq ${c.args.slice(3).join(" ")} never registered`).not.toBeNull();
    expect(info!.concurrency).toBe(want);
    child.kill("SIGTERM");
    await Procs.exited(child, 20_000);
  }, 90_000);
});
