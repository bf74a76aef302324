// Backing services the app reaches on its own machine: on EC2 the service ran on the same box, in a
// pod localhost is the pod. Each address is a hazard with its file:line and the stages whose Rails env
// reads it; the default of an ENV read is named as such; database.yml's is `database.localhost`, said
// first. The Redis addresses are judged by the real client (redis-rb, as Sidekiq and Rails load it):
// where it would connect for each address the analysis flags or leaves alone, and, through a real
// redis-server on a Unix socket, that a socket address is reached on the machine itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo, readRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { envDefaultAddresses } from "../../src/model/env-default-addresses.js";
import type { AppModel, LocalAddress } from "../../src/model.js";

const lock = (gems: Record<string, string>) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(gems).map(([g, v]) => `    ${g} (${v})\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Object.keys(gems).map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.5.10\n`;
const GEMS = { rails: "7.1.3", pg: "1.5.6", puma: "6.4.2", redis: "4.8.1", sidekiq: "6.5.12", resque: "2.6.0", dalli: "3.2.8", sneakers: "2.11.0", global: "3.1.1" };

// One file per shape, written for this test: each line a way real initializers name their clients.
const FILES: Record<string, string> = {
  "config/initializers/redis.rb": [
    "# The page counter's Redis sat on each app server.",
    "if Rails.env.production?",
    '  $counters = Redis.new(host: "127.0.0.1", port: 6380)',
    "else",
    '  $counters = Redis.new(host: "localhost")',
    "end",
    "",
  ].join("\n"),
  "config/initializers/sidekiq.rb": [
    "Sidekiq.configure_server do |config|",
    '  config.redis = { url: ENV.fetch("JOBS_REDIS_URL", "redis://localhost:6379/3") }',
    "end",
    "Sidekiq.configure_client do |config|",
    '  config.redis = { url: ENV.fetch("JOBS_REDIS_URL") { "redis://localhost:6379/3" } }',
    "end",
    "",
  ].join("\n"),
  "config/initializers/resque.rb": ['ENV["QUEUE_REDIS"] ||= "localhost:6379"', 'Resque.redis = ENV["QUEUE_REDIS"]', ""].join("\n"),
  "config/initializers/search.rb": [
    'if ENV["SEARCH_HOST"]',
    '  Searchkick.client = Elasticsearch::Client.new(hosts: [ENV["SEARCH_HOST"]])',
    "else",
    '  Searchkick.client = Elasticsearch::Client.new(hosts: ["localhost:9200"])',
    "end",
    "",
  ].join("\n"),
  "config/initializers/rate_limits.rb": [
    "case Rails.env",
    'when "staging"',
    '  Throttle.store = Redis.new(url: "redis://localhost:6379/5")',
    "when :development, :test",
    '  Throttle.store = Redis.new(url: "redis://localhost:6379/6")',
    "else",
    '  Throttle.store = Redis.new(url: "redis://throttle.internal.example.org:6379/5")',
    "end",
    "",
  ].join("\n"),
  "config/initializers/feature_cache.rb": ["if FeatureFlags.local_cache?", '  FEATURE_STORE = Redis.new(path: "/var/run/redis/features.sock")', "end", ""].join("\n"),
  "config/initializers/rabbit.rb": 'Sneakers.configure(amqp: "amqp://orders:hunter2pass@localhost:5672", workers: 2)\nRedis.new(password: "hunter2pass", host: "localhost").ping\n',
  // Not backends: a CORS origin, a mailer link host, a debugger.
  "config/initializers/web.rb": [
    'Rails.application.config.action_mailer.default_url_options = { host: "localhost:3000" }',
    'Rails.application.config.hosts << "127.0.0.1"',
    'Byebug.start_server "localhost", 8989 if Rails.env.development?',
    "",
  ].join("\n"),
  "config/environments/production.rb": "Rails.application.configure do\n  config.cache_store = :mem_cache_store\nend\n",
  "config/environments/staging.rb": 'Rails.application.configure do\n  config.cache_store = :mem_cache_store, "cache1.internal.example.org:11211"\nend\n',
  "config/database.yml": [
    "default: &default",
    "  adapter: postgresql",
    "  pool: 5",
    "production:",
    "  <<: *default",
    "  database: shelf_production",
    "  host: localhost",
    "staging:",
    "  <<: *default",
    "  database: shelf_staging",
    '  host: <%= ENV.fetch("DB_HOST") { "127.0.0.1" } %>',
    "",
  ].join("\n"),
  "config/cable.yml": "production:\n  adapter: redis\n  channel_prefix: shelf\nstaging:\n  adapter: redis\n  url: redis://cable.internal.example.org:6379/1\n",
  "config/resque.yml": "production: localhost:6379\nstaging: redis.internal.example.org:6379\n",
  // An example copy is not what the servers read.
  "config/sunspot.example.yml": "production:\n  solr:\n    hostname: localhost\n",
  "config/global/search.yml": "default:\n  host: localhost\n  port: 9200\nproduction:\n  host: es.internal.example.org\n",
};

const DEPLOY = `set :application, "shelf"
namespace :counters do
  task :start do
    on roles(:app) do
      execute "redis-server /etc/redis/counters.conf"
    end
  end
end
after "deploy:publishing", "counters:start"
`;

function repo(files: Record<string, string> = FILES) {
  return memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": DEPLOY,
    "config/deploy/production.rb": 'server "app1.shelf.example.org", roles: %w[web app db]\nset :rails_env, "production"\n',
    "config/deploy/staging.rb": 'server "stage1.shelf.example.org", roles: %w[web app db]\nset :rails_env, "staging"\n',
    Gemfile: `source "https://rubygems.org"\n${Object.keys(GEMS).map((g) => `gem "${g}"`).join("\n")}\n`,
    "Gemfile.lock": lock(GEMS),
    "config/application.rb": 'require "rails/all"\nmodule Shelf\n  class Application < Rails::Application\n  end\nend\n',
    ...files,
  });
}

let m: AppModel;
beforeAll(async () => {
  m = await analyzeFiles(repo(), "shelf");
});

const at = (a: { source: { file: string; line: number } }) => `${a.source.file}:${a.source.line}`;
const byLine = (file: string, line: number): LocalAddress[] => (m.localAddresses ?? []).filter((a) => a.source.file === file && a.source.line === line);

describe("addresses on the app's own machine", () => {
  it("finds each one the app reads in a stage, and nothing else", () => {
    expect((m.localAddresses ?? []).map(at).sort()).toEqual(
      [
        "config/cable.yml:2",
        "config/database.yml:11",
        "config/database.yml:7",
        "config/environments/production.rb:2",
        "config/global/search.yml:2",
        "config/initializers/feature_cache.rb:2",
        "config/initializers/rabbit.rb:1",
        "config/initializers/rabbit.rb:2",
        "config/initializers/redis.rb:3",
        "config/initializers/redis.rb:5",
        "config/initializers/resque.rb:1",
        "config/initializers/search.rb:4",
        "config/initializers/sidekiq.rb:2",
        "config/initializers/sidekiq.rb:5",
        "config/resque.yml:1",
        "config/initializers/rate_limits.rb:3",
      ].sort(),
    );
  });

  it("Ruby branches on the Rails env are decided per stage; another condition leaves the stage unsure, named", () => {
    expect(byLine("config/initializers/redis.rb", 3)[0]).toMatchObject({ kind: "redis", address: "127.0.0.1", stages: ["production"] });
    // The else of `if Rails.env.production?` is what staging reads.
    expect(byLine("config/initializers/redis.rb", 5)[0]).toMatchObject({ address: "localhost", stages: ["staging"] });
    expect(byLine("config/initializers/rate_limits.rb", 3)[0]!.stages).toEqual(["staging"]);
    const unsure = byLine("config/initializers/feature_cache.rb", 2)[0]!;
    expect(unsure.stages).toEqual([]);
    expect(unsure.unsure).toEqual({ stages: ["production", "staging"], condition: "FeatureFlags.local_cache?" });
  });

  it("an ENV read's default is named as the default of that variable, in every form", () => {
    expect(byLine("config/initializers/sidekiq.rb", 2)[0]).toMatchObject({ envDefault: "JOBS_REDIS_URL", what: "config.redis= in Sidekiq.configure_server" });
    expect(byLine("config/initializers/sidekiq.rb", 5)[0]!.envDefault).toBe("JOBS_REDIS_URL");
    expect(byLine("config/initializers/resque.rb", 1)[0]!.envDefault).toBe("QUEUE_REDIS");
    expect(byLine("config/initializers/search.rb", 4)[0]).toMatchObject({ kind: "elasticsearch", envDefault: "SEARCH_HOST" });
    expect(byLine("config/database.yml", 11)[0]).toMatchObject({ envDefault: "DB_HOST", stages: ["staging"] });
    expect(byLine("config/database.yml", 7)[0]!.envDefault).toBeUndefined();
  });

  it("a client's localhost default is labelled as the default", () => {
    expect(byLine("config/environments/production.rb", 2)[0]).toMatchObject({ kind: "memcached", stages: ["production"] });
    expect(byLine("config/environments/production.rb", 2)[0]!.defaultOf).toMatch(/mem_cache_store given no address/);
    expect(byLine("config/cable.yml", 2)[0]).toMatchObject({ address: "127.0.0.1:6379", envDefault: "REDIS_URL", stages: ["production"] });
  });

  it("YAML sections count for their stage only; Global's default section for the stage that does not override it", () => {
    expect(byLine("config/resque.yml", 1)[0]).toMatchObject({ kind: "redis", stages: ["production"] });
    expect(byLine("config/global/search.yml", 2)[0]).toMatchObject({ kind: "elasticsearch", what: "Global.search.host", stages: ["staging"] });
  });

  it("hazards: database.localhost first, then services.localhost, each with file:line; credentials never shown", () => {
    const ids = m.hazards.filter((h) => /\.localhost$/.test(h.id));
    expect(ids[0]!.id).toBe("database.localhost");
    // database.yml:11 is DB_HOST's default only: an informational line, not a hazard (below).
    expect(ids.filter((h) => h.id === "database.localhost").map(at).sort()).toEqual(["config/database.yml:7"]);
    const prod = ids.find((h) => at(h) === "config/database.yml:7")!;
    expect(prod.message).toMatch(/database\.yml production host reaches PostgreSQL at localhost \(stage production\)/);
    expect(prod.advice).toMatch(/DATABASE_URL/);
    // The receiver of the statement holds the password: the statement is named by its method only.
    expect(byLine("config/initializers/rabbit.rb", 2)[0]!.what).toBe("ping");
    const rabbit = ids.find((h) => at(h) === "config/initializers/rabbit.rb:1")!;
    expect(rabbit.message).toMatch(/RabbitMQ at amqp:\/\/\[secret\]@localhost:5672/);
    const text = renderReport(m, { color: false });
    expect(text).not.toMatch(/hunter2pass/);
    expect(JSON.stringify(m)).not.toMatch(/hunter2pass/);
  });

  it("an address that is only an ENV read's default is an informational line naming the variable each pod sets, not a hazard", () => {
    const hazardAt = new Set(m.hazards.filter((h) => /\.localhost$/.test(h.id)).map(at));
    const defaults = (m.localAddresses ?? []).filter((a) => a.envDefault);
    expect(defaults.map(at).sort()).toEqual(["config/cable.yml:2", "config/database.yml:11", "config/initializers/resque.rb:1", "config/initializers/search.rb:4", "config/initializers/sidekiq.rb:2", "config/initializers/sidekiq.rb:5"]);
    for (const a of defaults) expect(hazardAt.has(at(a))).toBe(false);
    // A hard-coded one stays a hazard.
    expect(hazardAt.has("config/database.yml:7")).toBe(true);
    expect(hazardAt.has("config/initializers/redis.rb:3")).toBe(true);
    const lines = envDefaultAddresses(m);
    const sidekiq = lines.find((x) => at(x) === "config/initializers/sidekiq.rb:2")!;
    expect(sidekiq.env).toBe("JOBS_REDIS_URL");
    expect(sidekiq.message).toMatch(/reads Redis from ENV\["JOBS_REDIS_URL"\] \(stages production, staging\): set JOBS_REDIS_URL in each stage's pod .*falls back to redis:\/\/localhost:6379\/3/);
    const text = renderReport(m, { color: false });
    expect(text).toMatch(/Backing services read from ENV, with the machine itself as the fallback: 5 variable\(s\)/);
    expect(text).toMatch(/cable\.yml production \(redis adapter, no url\) reads Redis from ENV\["REDIS_URL"\].*config\/cable\.yml:2/);
  });

  it("a Redis the deploy started on the servers is named beside the address, not reported twice", () => {
    expect(m.services?.map((s) => s.kind)).toEqual(["redis"]);
    const h = m.hazards.find((x) => at(x) === "config/initializers/redis.rb:3")!;
    expect(h.message).toMatch(/the deploy started Redis redis-server on the servers \(config\/deploy\.rb:5\)/);
    expect(m.hazards.filter((x) => at(x) === "config/initializers/redis.rb:3")).toHaveLength(1);
  });

  it("the report and MIGRATION.md carry them", () => {
    const text = renderReport(m, { color: false });
    expect(text).toMatch(/database\.localhost: database\.yml production host .*config\/database\.yml:7/);
    const answers = defaultAnswers(m);
    const guide = emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
    expect(guide).toMatch(/database\.yml production host reaches PostgreSQL at localhost/);
    // SEARCH_HOST's default: under the variables to set, not the hazards.
    const toSet = guide.slice(guide.indexOf("## Variables each pod must set"));
    expect(toSet.slice(0, toSet.indexOf("\n## ", 3))).toMatch(/ENV\["SEARCH_HOST"\].*config\/initializers\/search\.rb:4/);
    const hazards = guide.slice(guide.indexOf("## Hazards of the move"), guide.indexOf("## Variables each pod must set"));
    expect(hazards).not.toContain("config/initializers/search.rb:4");
  });

  it("a URL's query and fragment are never shown: a password there is a plain word no shape rule knows", async () => {
    const x = await analyzeFiles(
      repo({ "config/database.yml": "production:\n  adapter: postgresql\n  url: postgresql://localhost:5433/shop?password=DbYmlQueryPw&sslmode=disable#DbYmlFragment\n" }),
      "shelf",
    );
    const a = (x.localAddresses ?? []).find((l) => l.source.file === "config/database.yml")!;
    expect(a.address).toBe("postgresql://localhost:5433/shop?…");
    const answers = defaultAnswers(x);
    const guide = emitMigrationGuide(x, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(x, answers) }))).content;
    const text = renderReport(x, { color: false });
    for (const out of [guide, text, JSON.stringify(x)]) expect(out).not.toMatch(/DbYmlQueryPw|DbYmlFragment/);
    expect(guide).toContain("postgresql://localhost:5433/shop?…");
  });

  it("config/settings.yml is overridden per env by config/settings/<env>.yml (the config gem): a stage whose file sets the key reads that", async () => {
    const x = await analyzeFiles(
      repo({
        "config/settings.yml": "search:\n  host: 127.0.0.1\n  port: 9200\nqueue_url: amqp://localhost:5672\n",
        "config/settings/production.yml": "search:\n  host: search.internal.example.org\n",
        "config/settings/staging.yml": "queue_url: amqp://127.0.0.1:5673\n",
      }),
      "shelf",
    );
    const mine = (x.localAddresses ?? []).filter((a) => /settings/.test(a.source.file));
    expect(mine.map((a) => `${at(a)} ${a.kind} ${a.stages.join(",")}`).sort()).toEqual([
      "config/settings.yml:2 elasticsearch staging",
      "config/settings.yml:4 rabbitmq production",
      "config/settings/staging.yml:1 rabbitmq staging",
    ]);
  });

  it("a `shared:` section (config_for merges it under every env) reaches each stage whose section does not set the key", async () => {
    const x = await analyzeFiles(
      repo({
        "config/search.yml": [
          "shared:",
          "  elasticsearch:",
          "    host: localhost",
          "    port: 9200",
          "  queue_url: amqp://127.0.0.1:5672",
          "production:",
          "  elasticsearch:",
          "    host: search.internal.example.org",
          "staging:",
          "  index_prefix: stg",
          "",
        ].join("\n"),
      }),
      "shelf",
    );
    const mine = (x.localAddresses ?? []).filter((a) => a.source.file === "config/search.yml");
    expect(mine.map((a) => `${at(a)} ${a.kind} ${a.stages.join(",")}`).sort()).toEqual(["config/search.yml:3 elasticsearch staging", "config/search.yml:5 rabbitmq production,staging"]);
  });

  it("an app whose every address names a real host has none", async () => {
    const clean = await analyzeFiles(
      repo({
        "config/database.yml": "production:\n  adapter: postgresql\n  url: <%= ENV['DATABASE_URL'] %>\nstaging:\n  adapter: postgresql\n  host: db.internal.example.org\n",
        "config/initializers/sidekiq.rb": 'Sidekiq.configure_server { |c| c.redis = { url: ENV.fetch("REDIS_URL") } }\n',
      }),
      "shelf",
    );
    expect(clean.localAddresses ?? []).toEqual([]);
    expect(clean.hazards.filter((h) => /\.localhost$/.test(h.id))).toEqual([]);
  });
});

// --- the real client's view --------------------------------------------------------------------
const hasRuby = spawnSync("ruby", ["-e", 'require "redis"'], { encoding: "utf8" }).status === 0;
const hasRedis = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;
const servers: ChildProcess[] = [];
const dirs: string[] = [];
// SIGKILL: a redis-server told to stop tries a last save first, and stays up when its dir is gone.
afterAll(() => {
  for (const s of servers) s.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Where redis-rb connects for each option set, REDIS_URL as given (unset when null). */
function redisRbTargets(options: string[], redisUrl: string | null): string[] {
  const script = 'require "redis"; require "json"; JSON.parse(ARGV[0]).each { |o| c = Redis.new(**JSON.parse(o).transform_keys(&:to_sym)).connection; puts(c[:host] || c[:location]) }';
  const env = { ...process.env };
  delete env["REDIS_URL"];
  if (redisUrl) env["REDIS_URL"] = redisUrl;
  const r = spawnSync("ruby", ["-e", script, JSON.stringify(options)], { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split("\n");
}

describe.runIf(hasRuby)("redis-rb agrees on which Redis addresses are the machine's own", () => {
  it("every Redis address flagged is one redis-rb reaches on localhost, a remote one is not flagged", () => {
    const flagged = (m.localAddresses ?? []).filter((a) => a.kind === "redis" && !a.defaultOf && !/\[secret\]/.test(a.address));
    expect(flagged.length).toBeGreaterThanOrEqual(5);
    const opts = flagged.map((a) => JSON.stringify(/:\/\//.test(a.address) ? { url: a.address } : a.address.startsWith("/") ? { path: a.address } : { host: a.address.split(":")[0] }));
    for (const host of redisRbTargets(opts, null)) expect(host).toMatch(/^(localhost|127\.0\.0\.1|\/.*\.sock)$/);
    // The addresses left alone: redis-rb goes elsewhere.
    const remote = ["redis://throttle.internal.example.org:6379/5", "redis://cable.internal.example.org:6379/1"];
    for (const h of redisRbTargets(remote.map((u) => JSON.stringify({ url: u })), null)) expect(h).not.toMatch(/localhost|127\.0\.0\.1/);
  });

  it("the default named for a Redis given no url is redis-rb's: REDIS_URL when set, else 127.0.0.1:6379", () => {
    const cable = byLine("config/cable.yml", 2)[0]!;
    expect(redisRbTargets(["{}"], null)).toEqual([cable.address.split(":")[0]]);
    expect(redisRbTargets(["{}"], "redis://cache.internal.example.org:6390/2")).toEqual(["cache.internal.example.org"]);
    expect(cable.envDefault).toBe("REDIS_URL");
  });

  it.runIf(hasRedis)("a Unix socket address is served by a redis-server on the machine itself", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-local-"));
    dirs.push(dir);
    const sock = join(dir, "features.sock");
    writeFileSync(join(dir, "redis.conf"), `port 0\nunixsocket ${sock}\ndir ${dir}\nsave ""\nappendonly no\n`);
    const server = spawn("redis-server", [join(dir, "redis.conf")], { stdio: "ignore" });
    servers.push(server);
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    const files = { ...FILES, "config/initializers/feature_cache.rb": `FEATURE_STORE = Redis.new(path: ${JSON.stringify(sock)})\n` };
    const x = await analyzeFiles(repo(files), "shelf");
    const a = x.localAddresses!.find((y) => y.source.file === "config/initializers/feature_cache.rb")!;
    expect(a).toMatchObject({ kind: "redis", address: sock, stages: ["production", "staging"] });
    const ping = spawnSync("ruby", ["-e", 'require "redis"; puts Redis.new(path: ARGV[0]).ping', a.address], { encoding: "utf8" });
    expect(ping.stdout.trim()).toBe("PONG");
  });
});

// --- `shared:` by the app's Rails version, judged by the config_for bodies of each version -----------
const hasRails = spawnSync("ruby", ["-e", 'require "rails"'], { encoding: "utf8" }).status === 0;
const ORACLE = join(import.meta.dirname, "../rails-config/config_for_versions.rb");

// Written for this test: the search host is shared, production tunes the search hash without
// naming a host, staging names its own; the broker sits only in shared.
const INDEXING = [
  "shared:",
  "  search:",
  "    host: localhost",
  "    port: 9200",
  "  broker_url: amqp://127.0.0.1:5672",
  "production:",
  "  search:",
  "    read_timeout: 5",
  "staging:",
  "  search:",
  "    host: search-staging.internal.example.org",
  "  index_prefix: stg",
  "",
].join("\n");

const withRails = (version: string | null) => {
  const { rails: _, ...rest } = GEMS;
  return lock(version === null ? rest : { ...rest, rails: version, railties: version });
};

async function sharedReach(version: string | null) {
  const x = await analyzeFiles(repo({ "config/indexing.yml": INDEXING, "Gemfile.lock": withRails(version) }), "shelf");
  const mine = (x.localAddresses ?? []).filter((a) => a.source.file === "config/indexing.yml");
  const stagesAt = (line: number) => mine.filter((a) => a.source.line === line).flatMap((a) => a.stages).sort();
  return { host: stagesAt(3), broker: stagesAt(5), problems: x.problems.filter((p) => /config\.shared-unknown-rails/.test(p.message)) };
}

describe("a config file's shared: section reaches the stages the app's Rails version's config_for gives it", () => {
  it("before 6.0 shared: is only a name: none; 6.0.0–6.0.3 merge it shallowly; 6.0.4+ deeply", async () => {
    expect(await sharedReach("5.2.8.1")).toEqual({ host: [], broker: [], problems: [] });
    // production's own `search:` replaces shared's whole search hash: only the broker reaches it.
    expect(await sharedReach("6.0.3.7")).toEqual({ host: [], broker: ["production", "staging"], problems: [] });
    expect(await sharedReach("6.0.4")).toEqual({ host: ["production"], broker: ["production", "staging"], problems: [] });
    expect(await sharedReach("7.1.3")).toEqual({ host: ["production"], broker: ["production", "staging"], problems: [] });
  });

  it("an unknown Rails version reads it the current way, with a named warning saying so", async () => {
    const r = await sharedReach(null);
    expect({ host: r.host, broker: r.broker }).toEqual({ host: ["production"], broker: ["production", "staging"] });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ file: "config/indexing.yml", line: 1, severity: "warning" });
    expect(r.problems[0]!.message).toMatch(/an assumption: the app's Rails version is not known/);
  });

  it.runIf(hasRails)("agrees with each version's config_for body run by Ruby (5.2, 6.0.0, 6.0.4) and with the installed Rails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-shared-"));
    dirs.push(dir);
    mkdirSync(join(dir, "config"));
    writeFileSync(join(dir, "config/indexing.yml"), INDEXING);
    const r = spawnSync("ruby", [ORACLE, dir, "indexing", "production,staging"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const read = JSON.parse(r.stdout) as Record<string, Record<string, { search?: { host?: string }; broker_url?: string }>>;
    const rules: [string | null, string][] = [["5.2.8.1", "5.2"], ["6.0.3.7", "6.0.0"], ["6.0.4", "6.0.4"], ["7.1.3", "installed"], [null, "installed"]];
    for (const [version, rule] of rules) {
      const ours = await sharedReach(version);
      const theirs = {
        host: ["production", "staging"].filter((e) => read[e]![rule]!.search?.host === "localhost"),
        broker: ["production", "staging"].filter((e) => read[e]![rule]!.broker_url === "amqp://127.0.0.1:5672"),
      };
      expect({ version, host: ours.host, broker: ours.broker }).toEqual({ version, ...theirs });
    }
  });
});

// --- SMTP only where smtp is, or may be, the delivery method ----------------------------------------
describe("an SMTP address on the machine counts only where smtp may be ActionMailer's delivery method", () => {
  const STAGES = {
    "config/deploy/qa.rb": 'server "qa1.shelf.example.org", roles: %w[web app db]\nset :rails_env, "qa"\n',
  };
  // A Global mailer namespace: smtp by default, a local relay in the default section; staging
  // previews mail in the browser, qa keeps the default, production relays through a real host.
  const MAILER = [
    "default:",
    "  delivery_method: :smtp",
    "  smtp:",
    "    address: localhost",
    "    port: 1025",
    "production:",
    "  smtp:",
    "    address: relay.mail.example.org",
    "staging:",
    "  delivery_method: :letter_opener_web",
    "",
  ].join("\n");
  const GLOBAL_INIT = 'Global.configure do |config|\n  config.backend :filesystem, environment: Rails.env.to_s, path: Rails.root.join("config/global").to_s\nend\n';
  const smtpStages = async (files: Record<string, string>) => {
    const x = await analyzeFiles(repo({ ...STAGES, "config/initializers/global.rb": GLOBAL_INIT, ...files }), "shelf");
    const smtp = (x.localAddresses ?? []).filter((a) => a.kind === "smtp");
    return { byFile: Object.fromEntries(smtp.map((a) => [at(a), [...a.stages, ...(a.unsure?.stages ?? []).map((s) => `${s}?`)].sort()])), hazards: x.hazards.filter((h) => /smtp|SMTP/.test(h.message)).map(at) };
  };

  it("the delivery_method the config holds beside the address decides, where the env's boot files do not assign it", async () => {
    const r = await smtpStages({ "config/global/mailer.yml": MAILER });
    expect(r.byFile).toEqual({ "config/global/mailer.yml:4": ["qa"] });
    expect(r.hazards).toEqual(["config/global/mailer.yml:4"]);
  });

  it("an env file's literal assignment wins (also through require_relative of another env file); a value not known keeps the stage", async () => {
    const r = await smtpStages({
      "config/global/mailer.yml": "default:\n  smtp:\n    address: 127.0.0.1\n    port: 25\n",
      "config/environments/production.rb": "Rails.application.configure do\n  config.action_mailer.delivery_method = :sendmail\nend\n",
      // qa runs production's settings, then picks its method at boot.
      "config/environments/qa.rb": 'require_relative "production"\nRails.application.configure do\n  config.action_mailer.delivery_method = ENV.fetch("MAIL_METHOD", "smtp").to_sym\nend\n',
      "config/environments/staging.rb": 'require_relative "production"\n',
    });
    expect(r.byFile).toEqual({ "config/global/mailer.yml:3": ["qa"] });
  });

  it("an env file requiring itself, or two requiring each other, is read once (as require_relative loads it), not followed forever", async () => {
    const sendmail = "Rails.application.configure do\n  config.action_mailer.delivery_method = :sendmail\nend\n";
    const files = {
      "config/global/mailer.yml": "default:\n  smtp:\n    address: 127.0.0.1\n    port: 25\n",
      // valid Ruby: the inner require_relative returns false, the body runs once
      "config/environments/production.rb": `require_relative "production"\nrequire_relative "staging"\n${sendmail}`,
      "config/environments/staging.rb": 'require_relative "production"\n',
      "config/environments/qa.rb": 'require_relative "qa"\nRails.application.configure do\n  config.action_mailer.delivery_method = :smtp\nend\n',
      "config/database.yml": "production:\n  adapter: postgresql\n  host: localhost\nqa:\n  adapter: postgresql\n  host: localhost\n",
    };
    const r = await smtpStages(files);
    expect(r.byFile).toEqual({ "config/global/mailer.yml:3": ["qa"] });
    const x = await analyzeFiles(repo({ ...STAGES, "config/initializers/global.rb": GLOBAL_INIT, ...files }), "shelf");
    expect(x.problems.map((p) => p.message).join("\n")).not.toMatch(/call stack/);
    expect(x.hazards.some((h) => /database/.test(h.message))).toBe(true);
  });

  it("an initializer that passes the config's own delivery_method on reads it per stage; one under an undecided condition leaves smtp possible", async () => {
    const passOn = "ActionMailer::Base.delivery_method = Global.mailer.delivery_method\nActionMailer::Base.smtp_settings = Global.mailer.smtp.to_h.symbolize_keys\n";
    expect((await smtpStages({ "config/global/mailer.yml": MAILER, "config/initializers/mail.rb": passOn })).byFile).toEqual({ "config/global/mailer.yml:4": ["qa"] });
    const fenced = 'if ENV["PREVIEW_MAIL"]\n  ActionMailer::Base.delivery_method = :letter_opener_web\nend\n';
    const r = await smtpStages({
      "config/global/mailer.yml": "default:\n  smtp:\n    address: localhost\n",
      "config/environments/production.rb": "Rails.application.configure do\n  config.action_mailer.delivery_method = :smtp\nend\n",
      "config/initializers/preview.rb": fenced,
    });
    // Whether PREVIEW_MAIL is set in a pod is not known: smtp stays possible everywhere.
    expect(r.byFile).toEqual({ "config/global/mailer.yml:3": ["production", "qa", "staging"] });
  });

  it("smtp settings written in Ruby follow the env's method too", async () => {
    const r = await smtpStages({
      "config/environments/production.rb": 'Rails.application.configure do\n  config.action_mailer.delivery_method = :sendmail\n  config.action_mailer.smtp_settings = { address: "localhost", port: 25 }\nend\n',
      "config/environments/qa.rb": 'Rails.application.configure do\n  config.action_mailer.smtp_settings = { address: "localhost", port: 25 }\nend\n',
    });
    expect(r.byFile).toEqual({ "config/environments/qa.rb:2": ["qa"] });
  });

  it("the shop fixture's staging previews mail: its Global smtp address on localhost is no hazard", async () => {
    const shop = await analyzeFiles(readRepo(join(import.meta.dirname, "../../fixtures/apps/shop")).repo, "shop");
    expect((shop.localAddresses ?? []).filter((a) => a.kind === "smtp")).toEqual([]);
    expect(shop.hazards.filter((h) => /smtp/i.test(h.message) && /localhost/.test(h.id))).toEqual([]);
  });
});
