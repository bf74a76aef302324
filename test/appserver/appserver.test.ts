// The app server analyzer on the fixtures and on small repos: which files, which stages run them
// (unicorn_config_path / puma_conf / capistrano3-unicorn's default), ENV references kept with their
// defaults, Puma's DSL, and bad input reported instead of thrown.
import { describe, it, expect, beforeAll } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeAppServers } from "../../analyzers/appserver.js";
import { memoryRepo, readRepo } from "../../src/repo.js";
import type { Problem, RepoFiles, RValue, Stage } from "../../src/model.js";

beforeAll(async () => {
  await initPrism();
});

const src = { file: "config/deploy.rb", line: 1 };
const stage = (name: string, vars: Record<string, RValue>): Stage => ({
  name,
  source: { file: `config/deploy/${name}.rb`, line: 1 },
  variables: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { value: v, source: src }])),
  servers: [],
});
const run = (repo: RepoFiles, stages: Stage[] = []) => {
  const problems: Problem[] = [];
  return { servers: analyzeAppServers({ repo, problem: (p) => problems.push(p) }, stages), problems };
};

describe("shop (Unicorn per environment, capistrano3-unicorn)", () => {
  const stages = [
    stage("production", { deploy_to: "/var/www/shop", unicorn_config_path: "/var/www/shop/current/config/unicorn/production.rb" }),
    stage("staging", { deploy_to: "/var/www/shop", rails_env: "staging", unicorn_config_path: "/var/www/shop/current/config/unicorn/staging.rb" }),
  ];
  it("one config per file, the stage that runs it, production's facts", () => {
    const { servers, problems } = run(readRepo("fixtures/apps/shop").repo, stages);
    expect(problems).toEqual([]);
    expect(servers.map((s) => [s.file, s.env, s.stages])).toEqual([
      ["config/unicorn/development.rb", "development", []],
      ["config/unicorn/production.rb", "production", ["production"]],
      ["config/unicorn/staging.rb", "staging", ["staging"]],
    ]);
    const prod = servers[1];
    expect(prod.workers).toEqual({ value: { env: "WEB_CONCURRENCY", default: 4 }, source: { file: "config/unicorn/production.rb", line: 8 } });
    expect(prod.timeout?.value).toBe(30);
    expect(prod.preloadApp?.value).toBe(true);
    expect(prod.listen).toEqual([{ kind: "unix", address: "/var/www/shop/shared/tmp/sockets/unicorn.sock", options: { backlog: 64 }, source: { file: "config/unicorn/production.rb", line: 11 } }]);
    expect(prod.workingDirectory?.value).toBe("/var/www/shop/current");
    expect(prod.pid?.value).toBe("/var/www/shop/shared/tmp/pids/unicorn.pid");
    expect(prod.hooks.map((h) => h.value)).toEqual(["before_exec", "before_fork", "after_fork"]);
  });

  it("without a deploy_to, __FILE__-relative paths stay Unknown (never guessed)", () => {
    const { servers } = run(readRepo("fixtures/apps/shop").repo, []);
    const wd = servers.find((s) => s.env === "production")!.workingDirectory!.value as any;
    expect(wd.unknown).toMatch(/__FILE__/);
  });

  it("capistrano3-unicorn's default path applies when the Capfile requires it and no variable is set", () => {
    const repo = memoryRepo({ Capfile: 'require "capistrano3/unicorn"\n', "config/unicorn/production.rb": "worker_processes 2\n" });
    const { servers } = run(repo, [stage("production", { deploy_to: "/srv/a" }), stage("qa", { rails_env: "production" })]);
    expect(servers.map((s) => s.stages)).toEqual([["production", "qa"]]);
  });
});

describe("legacy (one Unicorn file for every stage)", () => {
  it("TCP listen, default timeout 60 from the file's first line", () => {
    const { servers, problems } = run(readRepo("fixtures/apps/legacy").repo, [stage("production", { deploy_to: "/u/apps/legacy" })]);
    expect(problems).toEqual([]);
    expect(servers).toHaveLength(1);
    const u = servers[0];
    expect([u.file, u.env, u.kind]).toEqual(["config/unicorn.rb", null, "unicorn"]);
    expect(u.workers?.value).toBe(3);
    expect(u.timeout).toEqual({ value: 60, source: { file: "config/unicorn.rb", line: 0 }, defaultOf: "Unicorn" });
    expect(u.listen.map((l) => [l.kind, l.address, l.options])).toEqual([["tcp", 8080, { tcp_nopush: true, backlog: 1024 }]]);
  });
});

describe("ledger (Puma)", () => {
  it("workers, threads, port from ENV with defaults; worker_timeout, preload_app!, pidfile, hooks", () => {
    const { servers, problems } = run(readRepo("fixtures/apps/ledger").repo, [stage("production", { deploy_to: "/srv/ledger", puma_conf: "/srv/ledger/current/config/puma.rb" })]);
    // ledger locks capistrano3-puma 6.0.0, whose unit runs `puma -e production` and never reads
    // puma_conf: Puma loads config/puma.rb by its own rule, and the stale variable is said
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^stage production: puma_conf is not used by capistrano3-puma 6\.0\.0/)]);
    expect(servers).toHaveLength(1);
    const p = servers[0];
    expect([p.kind, p.file, p.env, p.stages]).toEqual(["puma", "config/puma.rb", null, ["production"]]);
    expect(p.workers?.value).toEqual({ env: "WEB_CONCURRENCY", default: 2 });
    expect(p.threads?.value).toEqual([{ env: "RAILS_MIN_THREADS", default: { env: "RAILS_MAX_THREADS", default: 5 } }, { env: "RAILS_MAX_THREADS", default: 5 }]);
    expect(p.listen.map((l) => [l.kind, l.address])).toEqual([["tcp", { env: "PORT", default: 3000 }]]);
    expect(p.timeout?.value).toBe(30);
    expect(p.preloadApp?.value).toBe(true);
    expect(p.pid?.value).toEqual({ env: "PIDFILE", default: "tmp/pids/server.pid" });
    expect(p.hooks.map((h) => h.value)).toEqual(["on_worker_boot", "before_fork"]);
  });

  it("bind URLs: unix with query options, ssl, interpolated tcp", () => {
    const repo = memoryRepo({
      "config/puma/production.rb": ['bind "unix:///srv/app/shared/tmp/sockets/puma.sock?backlog=1024"', "bind \"ssl://0.0.0.0:9443?key=/k.pem&cert=/c.pem\"", 'bind "tcp://0.0.0.0:#{ENV.fetch("PORT", 3000)}"', "stdout_redirect '/l/out.log', '/l/err.log', true", "threads 1, 8"].join("\n"),
    });
    const { servers } = run(repo);
    const p = servers[0];
    expect(p.env).toBe("production");
    expect(p.listen.map((l) => [l.kind, l.address, l.options])).toEqual([
      ["unix", "/srv/app/shared/tmp/sockets/puma.sock", { backlog: 1024 }],
      ["tcp", "0.0.0.0:9443", { key: "/k.pem", cert: "/c.pem", ssl: true }],
      ["tcp", { interp: ["0.0.0.0:", { env: "PORT", default: 3000 }] }, {}],
    ]);
    expect([p.stdoutPath?.value, p.stderrPath?.value, p.threads?.value]).toEqual(["/l/out.log", "/l/err.log", [1, 8]]);
  });
});

describe("bad and unusual input", () => {
  it("a stage pointing outside the release is a warning; syntax errors are reported; nothing throws", () => {
    const repo = memoryRepo({ "config/unicorn.rb": "worker_processes 2\nlisten 'x' do\n", "config/puma.rb": "workers `nproc`.to_i\n" });
    const { servers, problems } = run(repo, [stage("production", { deploy_to: "/srv/a", puma_conf: "/srv/a/shared/puma.rb" })]);
    // The servers' own config outside the release is a config of its own whose numbers are asked
    // (analyzers/appserver/outside-config.ts), never the repo's config/puma.rb read as the stage's.
    expect(servers.map((s) => s.file)).toEqual(["config/puma.rb", "config/unicorn.rb", "/srv/a/shared/puma.rb"]);
    expect((servers[0].workers?.value as any).unknown).toBeDefined();
    expect((servers[2].workers?.value as any).unknown).toBeDefined();
    expect(problems.map((p) => p.message).join("\n")).toMatch(/puma_conf does not name[\s\S]*syntax error/);
  });

  it("a value set under a condition not known statically is Unknown, not one branch", () => {
    const repo = memoryRepo({ "config/unicorn.rb": 'if ENV["RAILS_ENV"] == "production"\n  worker_processes 8\nelse\n  worker_processes 1\nend\n' });
    const u = run(repo).servers[0];
    expect((u.workers?.value as any).unknown).toMatch(/set under `if ENV/);
  });
});

describe("ENV reads cast with to_i", () => {
  it("`ENV[\"X\"].to_i || 1` is 0 when X is unset, as Ruby reads it: the `|| 1` never applies", async () => {
    const { execFileSync } = await import("node:child_process");
    const ruby = execFileSync("ruby", ["-e", 'ENV.delete("R2K_UNSET_PROCS"); p(ENV["R2K_UNSET_PROCS"].to_i || 1); p(ENV["R2K_UNSET_PROCS"] || 1); p(ENV["R2K_UNSET_PROCS"].to_s || "x")'], { encoding: "utf8" }).trim().split("\n");
    expect(ruby).toEqual(["0", "1", '""']);
    const { servers } = run(
      memoryRepo({ "config/unicorn.rb": 'worker_processes ENV["R2K_UNSET_PROCS"].to_i || 1\ntimeout ENV["R2K_UNSET_PROCS"] || 1\n' }),
      [stage("production", { deploy_to: "/srv/app" })],
    );
    expect(servers[0]!.workers?.value).toEqual({ env: "R2K_UNSET_PROCS", default: 0 });
    expect(servers[0]!.timeout?.value).toEqual({ env: "R2K_UNSET_PROCS", default: 1 });
  });
});
