// Datastores the deploy starts on the servers become services the cluster must provide, each with
// its config's deciding settings and their file:line. The Redis settings are judged by a real
// redis-server started with the fixture config (on a Unix socket of a temp dir, no TCP port), whose
// `CONFIG GET` says what Redis made of the file.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { defaultAnswers } from "../kustomize/answers.js";
import type { AppModel } from "../../src/model.js";

// A cache Redis whose file sets maxmemory twice (the last line wins) and evicts; a job-queue Redis
// that names no policy (Redis's default: noeviction) and sizes memory in decimal gigabytes.
const CACHE_CONF = `# page and fragment cache
port 6390
maxmemory 64mb
# raised after the spring traffic
maxmemory 96MB
maxmemory-policy volatile-lru
appendonly no
save ""
`;
const JOBS_CONF = `port 6391
maxmemory 1g
appendonly yes
save 300 10
save 60 5000
`;

const DEPLOY = `set :application, "ledgerly"
set :linked_files, %w[config/database.yml config/redis-jobs.conf]

SSHKit.config.command_map[:page_cache] = "sudo service ledgerly-redis-cache"

namespace :page_cache do
  task :start do
    on roles(:app) do
      execute :page_cache, :start
    end
  end
end

namespace :queue_store do
  task :boot do
    on roles(:worker) do
      execute "redis-server #{shared_path}/config/redis-jobs.conf --daemonize yes"
    end
  end
end

namespace :sessions do
  task :start do
    on roles(:app) do
      execute :sudo, :systemctl, :restart, "memcached"
      execute "memcached -d -m 256 -p 11212"
    end
  end
end

after "deploy:publishing", "page_cache:start"
after "deploy:publishing", "queue_store:boot"
`;

function repo(): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": DEPLOY,
    "config/deploy/production.rb": 'server "app1.ledgerly.example.org", roles: %w[web app db worker]\n',
    "ledgerly-redis-cache/redis.conf": CACHE_CONF,
    "config/redis-jobs.conf": JOBS_CONF,
    // Not started by the deploy: never listed.
    "config/redis-dev.conf": "maxmemory 10mb\n",
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\n',
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    puma (6.4.2)\n    rails (7.1.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  puma\n  rails\n\nBUNDLED WITH\n   2.4.22\n",
    "config/puma.rb": "threads 5, 5\n",
  };
}

const guide = (m: AppModel) => {
  const answers = defaultAnswers(m, {});
  return emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
};

const servers: ChildProcess[] = [];
const dirs: string[] = [];
/** SIGTERM, then wait: on TERM Redis may save its dump into the temp dir, which must be gone first. */
const stopped = (s: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (s.exitCode !== null || s.signalCode !== null) return resolve();
    s.once("exit", () => resolve());
    s.kill("SIGTERM");
  });
afterAll(async () => {
  await Promise.all(servers.map(stopped));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** What a real redis-server made of a config: CONFIG GET over a Unix socket. */
async function redisSays(conf: string, keys: string[]): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-redis-"));
  dirs.push(dir);
  writeFileSync(join(dir, "redis.conf"), conf);
  const sock = join(dir, "r.sock");
  // The file's own settings stand; only where it listens and writes is moved into the temp dir.
  const server = spawn("redis-server", [join(dir, "redis.conf"), "--port", "0", "--unixsocket", sock, "--dir", dir, "--daemonize", "no"], { stdio: "ignore" });
  servers.push(server);
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  const out: Record<string, string> = {};
  for (const k of keys) {
    const r = spawnSync("redis-cli", ["-s", sock, "--raw", "CONFIG", "GET", k], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    out[k] = r.stdout.trim().split("\n")[1] ?? "";
  }
  await stopped(server);
  return out;
}

describe("backing services the deploy starts", () => {
  it("names each datastore the deploy starts, its config and the settings a real redis-server reads from it", async () => {
    const m = await analyzeFiles(memoryRepo(repo()), "ledgerly");
    const services = m.services ?? [];
    // One entry per service: memcached restarted, then started by hand with its size, is one.
    expect(services.map((s) => `${s.kind} ${s.name} ${s.source.file}:${s.source.line}`)).toEqual(["redis ledgerly-redis-cache config/deploy.rb:9", "redis redis-server config/deploy.rb:17", "memcached memcached config/deploy.rb:25"]);
    const cache = services.find((s) => s.name === "ledgerly-redis-cache")!;
    const jobs = services.find((s) => s.kind === "redis" && s.name === "redis-server")!;
    expect(cache.via).toEqual({ file: "config/deploy.rb", line: 4 });
    expect(cache.config?.file).toBe("ledgerly-redis-cache/redis.conf");
    expect(jobs.config?.file).toBe("config/redis-jobs.conf");
    expect(jobs.config?.linked?.file).toBe("config/deploy.rb");
    for (const [svc, conf] of [[cache, CACHE_CONF], [jobs, JOBS_CONF]] as const) {
      const real = await redisSays(conf, ["maxmemory", "maxmemory-policy", "appendonly"]);
      expect(svc.settings["maxmemory-bytes"]!.value).toBe(real["maxmemory"]);
      expect(svc.settings["maxmemory-policy"]!.value).toBe(real["maxmemory-policy"]);
      expect(svc.settings["appendonly"]!.value).toBe(real["appendonly"]);
    }
    expect(cache.settings["maxmemory"]).toEqual({ value: "96MB", source: { file: "ledgerly-redis-cache/redis.conf", line: 5 } });
    expect(jobs.settings["maxmemory-policy"]!.defaultOf).toBe("Redis");
    expect(services.some((s) => s.config?.file === "config/redis-dev.conf")).toBe(false);
    expect(services.find((s) => s.kind === "memcached")?.settings["memory"]).toEqual({ value: "256m", source: { file: "config/deploy.rb", line: 26 } });

    const report = renderReport(m, { color: false });
    expect(report).toMatch(/Redis ledgerly-redis-cache: sudo service ledgerly-redis-cache start \(command_map config\/deploy\.rb:4\)  config\/deploy\.rb:9/);
    expect(report).toMatch(/maxmemory-policy volatile-lru \(ledgerly-redis-cache\/redis\.conf:6\)/);
    expect(report).toMatch(/maxmemory-policy noeviction \(Redis's default\)/);
    expect(report).toMatch(/needs a cache: it evicts keys/);
    expect(report).toMatch(/needs a store that keeps every key/);

    const md = guide(m);
    expect(md).toMatch(/## Backing services the cluster must provide/);
    expect(md).toMatch(/Redis ledgerly-redis-cache: started by `sudo service ledgerly-redis-cache start` \(`config\/deploy\.rb:9`, command from `config\/deploy\.rb:4`\); config `ledgerly-redis-cache\/redis\.conf`/);
    expect(md).toMatch(/maxmemory 1g \(config\/redis-jobs\.conf:2\) = 1000000000 bytes/);
    expect(md).toMatch(/was a linked file/);
  });

  it("a deploy that starts no datastore lists none", async () => {
    const files = repo();
    files["config/deploy.rb"] = 'set :application, "ledgerly"\n';
    const m = await analyzeFiles(memoryRepo(files), "ledgerly");
    expect(m.services).toBeUndefined();
    expect(renderReport(m, { color: false })).not.toMatch(/Backing services/);
  });

  it("a password given as a flag on the deploy line is cut before the report, --json and MIGRATION.md", async () => {
    const files = repo();
    const pw = "Zq8vLr2nXw5pKt7mYc3b";
    files["config/deploy.rb"] = `set :application, "ledgerly"\nnamespace :redis do\n  task :start do\n    on roles(:app) do\n      execute "redis-server config/redis-jobs.conf --requirepass ${pw} --masterauth ${pw}"\n    end\n  end\nend\nafter "deploy:published", "redis:start"\n`;
    const m = await analyzeFiles(memoryRepo(files), "ledgerly");
    const redis = m.services?.find((s) => s.kind === "redis");
    expect(redis?.command).toBe("execute redis-server config/redis-jobs.conf --requirepass [secret] --masterauth [secret]");
    expect(JSON.stringify(m)).not.toContain(pw);
    expect(renderReport(m, { color: false })).not.toContain(pw);
    expect(guide(m)).not.toContain(pw);
  });
});
