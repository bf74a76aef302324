// Which config the deploy's servers actually read, and what it said for each stage: files named by
// the start commands (`unicorn -c`, `puma -C`), capistrano3-puma's generated config from the
// stage's variables, and branches on the Rails environment decided per stage — judged where they
// can be by the servers' own config readers (Unicorn::Configurator, Puma::Configuration).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeAppServers } from "../../analyzers/appserver.js";
import { appServerFor } from "../../emitters/app-server.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppServerConfig, Problem, ProcfileEntry, RepoFiles, RValue, Stage } from "../../src/model.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initPrism();
});

const stage = (name: string, vars: Record<string, RValue>): Stage => ({
  name,
  source: { file: `config/deploy/${name}.rb`, line: 1 },
  variables: Object.fromEntries(Object.entries(vars).map(([k, v], i) => [k, { value: v, source: { file: `config/deploy/${name}.rb`, line: i + 2 } }])),
  servers: [],
});
const run = (repo: RepoFiles, stages: Stage[] = [], procfile: ProcfileEntry[] = []) => {
  const problems: Problem[] = [];
  return { servers: analyzeAppServers({ repo, problem: (p) => problems.push(p) }, stages, procfile), problems };
};
const model = (servers: AppServerConfig[], kind: "unicorn" | "puma") => ({
  appServers: servers,
  rails: { gems: {} } as any,
  webServer: { kind, evidence: [] },
});

describe("config paths the start commands name", () => {
  it("a Capistrano task's `unicorn -c` in a stage file is that stage's config; deploy.rb's is every stage's", () => {
    const repo = memoryRepo({
      "config/deploy.rb": 'namespace :web do\n  task :restart do\n    on roles(:app) do\n      execute "cd #{current_path} && bundle exec unicorn -c config/server/unicorn_main.rb -E deployment -D"\n    end\n  end\nend\n',
      "config/deploy/canary.rb": 'server "c1", roles: %w[app]\ntask :start_web do\n  on roles(:app) { execute "bundle exec unicorn -c #{current_path}/config/server/unicorn_canary.rb -D" }\nend\n',
      "config/server/unicorn_main.rb": "worker_processes 6\n",
      "config/server/unicorn_canary.rb": "worker_processes 1\n",
    });
    const stages = [stage("production", {}), stage("canary", {})];
    const { servers, problems } = run(repo, stages);
    expect(problems).toEqual([]);
    const m = model(servers, "unicorn");
    expect(appServerFor(m, stages[0]!)?.file).toBe("config/server/unicorn_main.rb");
    expect(appServerFor(m, stages[0]!)?.workers?.value).toBe(6);
    expect(appServerFor(m, stages[1]!)?.file).toBe("config/server/unicorn_canary.rb");
    expect(appServerFor(m, stages[1]!)?.workers?.value).toBe(1);
  });

  it("a stage's unicorn_config_path wins over a command; the Procfile's `puma -C` is read without Capistrano", () => {
    const repo = memoryRepo({
      "config/deploy.rb": 'task(:up) { on(roles(:app)) { execute "unicorn -c config/server/unicorn_main.rb -D" } }\n',
      "config/server/unicorn_main.rb": "worker_processes 6\n",
      "config/unicorn/special.rb": "worker_processes 9\n",
    });
    const stages = [stage("production", { unicorn_config_path: "config/unicorn/special.rb" })];
    const m = model(run(repo, stages).servers, "unicorn");
    expect(appServerFor(m, stages[0]!)?.workers?.value).toBe(9);

    const procRepo = memoryRepo({ "Procfile": "web: bundle exec puma --config config/boxes/puma_web.rb\n", "config/boxes/puma_web.rb": "workers 3\nthreads 2, 6\n" });
    const procfile = [{ name: "web", command: "bundle exec puma --config config/boxes/puma_web.rb", source: { file: "Procfile", line: 1 } }];
    const { servers } = run(procRepo, [], procfile);
    expect(servers.map((s) => [s.file, s.workers?.value, s.threads?.value])).toEqual([["config/boxes/puma_web.rb", 3, [2, 6]]]);
  });

  it("a systemd unit's ExecStart path under <deploy_to>/current is the repo file", () => {
    const repo = memoryRepo({
      "ops/systemd/app-web.service": "[Service]\nWorkingDirectory=/srv/app/current\nExecStart=/usr/local/bin/bundle exec puma -C /srv/app/current/config/puma/web_only.rb\n",
      "config/puma/web_only.rb": "workers 5\n",
    });
    const stages = [stage("production", { deploy_to: "/srv/app" })];
    const m = model(run(repo, stages).servers, "puma");
    expect(appServerFor(m, stages[0]!)?.file).toBe("config/puma/web_only.rb");
    expect(appServerFor(m, stages[0]!)?.workers?.value).toBe(5);
  });

  it("an init script's `--config-file`; Procfile.dev's web line is a laptop's, not the servers'", () => {
    const repo = memoryRepo({
      "script/init.d/box-web": '#!/bin/sh\nstart() {\n  su - deploy -c "cd /srv/box/current && bundle exec unicorn_rails --config-file config/box_unicorn.rb -D"\n}\n',
      "config/box_unicorn.rb": "worker_processes 2\n",
      "config/dev_puma.rb": "workers 0\n",
    });
    const procfile = [{ name: "web", command: "bundle exec puma -C config/dev_puma.rb", source: { file: "Procfile.dev", line: 1 } }];
    const { servers, problems } = run(repo, [], procfile);
    expect(problems).toEqual([]);
    expect(servers.map((s) => [s.file, s.workers?.value])).toEqual([["config/box_unicorn.rb", 2]]);
  });

  it("a named file the repo does not have is a warning at the line that names it", () => {
    const repo = memoryRepo({ "config/deploy.rb": 'set :x, 1\nafter :publishing, :web do\n  execute "bundle exec unicorn -c config/unicorn_gone.rb -D"\nend\n' });
    const { problems } = run(repo, [stage("production", {})]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: "config/deploy.rb", line: 3, severity: "warning" });
    expect(problems[0]!.message).toContain("config/unicorn_gone.rb");
  });
});

describe("capistrano3-puma: the config its template renders", () => {
  const capfile = 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\ninstall_plugin Capistrano::Puma\n';

  it("the stage's puma_* variables, and the plugin's defaults labelled as defaults", () => {
    const repo = memoryRepo({ Capfile: capfile, "config/puma.rb": "workers 12\n" });
    const busy = stage("production", { deploy_to: "/home/deploy/kiosk", puma_threads: [4, 16], puma_workers: 3, puma_worker_timeout: 45, puma_preload_app: true, puma_bind: ["tcp://0.0.0.0:9292"] });
    const quiet = stage("staging", { deploy_to: "/home/deploy/kiosk-staging" });
    const { servers, problems } = run(repo, [busy, quiet]);
    expect(problems).toEqual([]);
    const m = model(servers, "puma");
    const p = appServerFor(m, busy)!;
    // config/puma.rb says 12, but Puma runs with -C <shared>/puma.rb, which the plugin wrote
    expect(p.workers).toEqual({ value: 3, source: { file: "config/deploy/production.rb", line: 4 } });
    expect(p.threads?.value).toEqual([4, 16]);
    expect(p.timeout?.value).toBe(45);
    expect(p.preloadApp?.value).toBe(true);
    expect(p.listen.map((l) => [l.kind, l.address])).toEqual([["tcp", "0.0.0.0:9292"]]);
    const s = appServerFor(m, quiet)!;
    expect(s.workers).toEqual({ value: 0, source: { file: "config/deploy/staging.rb", line: 0 }, defaultOf: "capistrano3-puma" });
    expect(s.threads).toMatchObject({ value: [0, 16], defaultOf: "capistrano3-puma" });
    expect(s.preloadApp).toMatchObject({ value: false, defaultOf: "capistrano3-puma" });
    expect(s.timeout).toBeNull();
    expect(s.listen.map((l) => [l.kind, l.address])).toEqual([["unix", "/home/deploy/kiosk-staging/shared/tmp/sockets/puma.sock"]]);
    // the image (production's config) follows the plugin's, not the unused config/puma.rb
    expect(appServerFor(m, null)?.workers?.value).toBe(3);
  });

  it("a repo template (config/deploy/templates/puma.rb.erb) is rendered with the stage's variables", () => {
    const template = [
      "#!/usr/bin/env puma",
      "directory '<%= current_path %>'",
      "threads <%= fetch(:puma_threads).join(',') %>",
      "<%= puma_bind %>",
      "workers <%= puma_workers %>",
      "worker_timeout <%= fetch(:puma_worker_timeout, 75) %>",
      "",
    ].join("\n");
    const repo = memoryRepo({ Capfile: capfile, "config/deploy/templates/puma.rb.erb": template });
    const st = stage("production", { deploy_to: "/opt/shelf", puma_threads: [2, 10], puma_workers: 4 });
    const { servers, problems } = run(repo, [st]);
    expect(problems).toEqual([]);
    const p = appServerFor(model(servers, "puma"), st)!;
    expect(p.file).toBe("config/deploy/templates/puma.rb.erb");
    expect(p.threads).toEqual({ value: [2, 10], source: { file: "config/deploy/templates/puma.rb.erb", line: 3 } });
    expect(p.workers).toEqual({ value: 4, source: { file: "config/deploy/templates/puma.rb.erb", line: 5 } });
    expect(p.timeout?.value).toBe(75);
    expect(p.workingDirectory?.value).toBe("/opt/shelf/current");
    expect(p.listen.map((l) => [l.kind, l.address, l.source.line])).toEqual([["unix", "/opt/shelf/shared/tmp/sockets/puma.sock", 4]]);
  });

  it("puma_conf naming a repo file is that file; without the plugin nothing is generated", () => {
    const repo = memoryRepo({ Capfile: capfile, "config/puma/live.rb": "workers 7\n" });
    const st = stage("production", { deploy_to: "/srv/k", puma_conf: "/srv/k/current/config/puma/live.rb" });
    expect(appServerFor(model(run(repo, [st]).servers, "puma"), st)?.workers?.value).toBe(7);
    const bare = memoryRepo({ Capfile: 'require "capistrano/setup"\n', "config/puma.rb": "workers 2\n" });
    const { servers } = run(bare, [stage("production", {})]);
    expect(servers.map((s) => s.file)).toEqual(["config/puma.rb"]);
  });
});

describe("branches on the Rails environment, per stage (unit)", () => {
  it("a shared file read differently per environment becomes one config per env", () => {
    const repo = memoryRepo({
      "config/puma.rb": 'env = ENV.fetch("RAILS_ENV") { "development" }\nthreads 1, 5\nif env == "production"\n  workers 4\nelse\n  workers 1\nend\n',
    });
    const prod = stage("production", { rails_env: "production" });
    const stag = stage("staging", { rails_env: "staging" });
    const { servers } = run(repo, [prod, stag]);
    expect(servers.map((s) => [s.file, s.env, s.workers?.value])).toEqual([
      ["config/puma.rb", "production", 4],
      ["config/puma.rb", "staging", 1],
    ]);
    const m = model(servers, "puma");
    expect(appServerFor(m, stag)?.workers?.value).toBe(1);
    expect(appServerFor(m, null)?.workers?.value).toBe(4);
  });

  it("a file every environment reads alike stays one config for all; without stages the branch stays unknown", () => {
    const repo = memoryRepo({ "config/unicorn.rb": 'worker_processes 3\ntimeout 30 if ENV["RAILS_ENV"] != "development"\n' });
    const { servers } = run(repo, [stage("production", { rails_env: "production" }), stage("staging", { rails_env: "staging" })]);
    expect(servers.map((s) => [s.env, s.timeout?.value])).toEqual([[null, 30]]);
    const none = run(repo, []).servers;
    expect(none[0]!.timeout?.value).toMatchObject({ unknown: expect.any(String) });
  });

  it("RACK_ENV in a Puma config no capistrano3-puma starts stays unknown", () => {
    const { servers } = run(memoryRepo({ "config/puma.rb": 'workers 2 if ENV["RACK_ENV"] == "production"\n' }), [stage("production", {})]);
    expect(servers[0]!.workers?.value).toMatchObject({ unknown: expect.any(String) });
  });

  it("a per-env file is read for its own env; RACK_ENV stays unknown in a Unicorn config", () => {
    const repo = memoryRepo({
      "config/unicorn/staging.rb": 'worker_processes(ENV["RAILS_ENV"] == "staging" ? 2 : 8)\npreload_app true if ENV["RACK_ENV"] == "staging"\n',
    });
    const { servers } = run(repo, [stage("staging", {})]);
    expect(servers[0]!.workers?.value).toBe(2);
    expect(servers[0]!.preloadApp?.value).toMatchObject({ unknown: expect.any(String) });
  });
});

describe("branches on the Rails environment, judged by the servers' own readers", () => {
  const UNICORN = `rails_env = ENV["RAILS_ENV"] || "production"
worker_processes(rails_env == "production" ? 10 : 2)
if rails_env == "production"
  timeout 45
  listen "/var/run/box/unicorn.sock", backlog: 2048
else
  listen 8080
end
preload_app true unless %w[development test].include?(rails_env)
`;
  const PUMA = `app_env = ENV.fetch("RAILS_ENV") { "development" }
threads 4, 12
workers 6 if app_env == "production"
worker_timeout 90 unless app_env == "development"
if ENV["RACK_ENV"] == "staging"
  bind "tcp://0.0.0.0:9000"
else
  bind "unix:///var/run/box/puma.sock"
end
preload_app! if %w[production staging].include?(app_env)
`;
  const ENVS = ["production", "staging"];
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "r2k-railsenv-"));
    for (const [name, text] of [["unicorn.rb", UNICORN], ["puma.rb", PUMA]]) {
      mkdirSync(join(root, "config"), { recursive: true });
      writeFileSync(join(root, "config", name!), text!);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const stages = [stage("production", { rails_env: "production" }), stage("staging", { rails_env: "staging" })];

  it("Unicorn::Configurator agrees for each stage", () => {
    const oracle = runRubyFile(join(here, "unicorn_oracle.rb"), ENVS.map((env) => ({ path: join(root, "config/unicorn.rb"), env })));
    const servers = run(memoryRepo({ "config/unicorn.rb": UNICORN }), stages).servers;
    ENVS.forEach((env, i) => {
      const o = oracle[i];
      expect(o.error).toBeUndefined();
      const a = servers.find((s) => s.env === env)!;
      expect(a.workers?.value).toBe(o.worker_processes);
      expect(a.timeout?.value).toBe(o.timeout);
      expect(a.preloadApp?.value ?? null).toBe(o.preload_app);
      expect(a.listen.map((l) => [l.address, l.options])).toEqual(o.listeners.map((x: any) => [typeof x.address === "string" && /^0\.0\.0\.0:/.test(x.address) ? Number(x.address.split(":")[1]) : x.address, x.options]));
    });
  });

  it("Puma::Configuration agrees for each stage", () => {
    const oracle = runRubyFile(join(here, "puma_oracle.rb"), ENVS.map((env) => ({ path: join(root, "config/puma.rb"), env })));
    // capistrano3-puma starts it (so RACK_ENV is set) with the repo's file as puma_conf
    const viaPlugin = [stage("production", { rails_env: "production", puma_conf: "config/puma.rb" }), stage("staging", { rails_env: "staging", puma_conf: "config/puma.rb" })];
    const servers = run(memoryRepo({ Capfile: 'require "capistrano/puma"\n', "config/puma.rb": PUMA }), viaPlugin).servers;
    expect(servers.map((s) => [s.env, s.stages])).toEqual([["production", ["production"]], ["staging", ["staging"]]]);
    ENVS.forEach((env, i) => {
      const o = oracle[i];
      expect(o.error).toBeUndefined();
      const a = servers.find((s) => s.env === env)!;
      expect(a.workers?.value ?? null).toBe(o.workers);
      expect(a.threads?.value).toEqual(o.threads);
      expect(a.timeout?.value ?? null).toBe(o.worker_timeout);
      expect(a.preloadApp?.value ?? null).toBe(o.preload_app);
      expect(a.listen.map((l) => `${l.kind === "unix" ? "unix" : "tcp"}://${l.address}`)).toEqual(o.binds);
    });
  });
});
