// findHazards: each rule on a hand-built model (other analyzers fill these sections), plus the
// fixtures' Rails facts. Every hazard must say what, what to do, and where.
import { backendById } from "../../analyzers/workers/backends.js";
import { describe, it, expect, beforeAll } from "vitest";
import { readRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeRails } from "../../analyzers/rails.js";
import { findHazards, eolDate, RUBY_EOL, RAILS_EOL } from "../../analyzers/hazards.js";
import { baseModel, baseRails, server, stage } from "./base-model.js";
import type { Hazard, NginxFile, AppServerConfig, Stage, GlobalNamespace } from "../../src/model.js";

const AS_OF = new Date("2026-11-23T00:00:00Z");
const ids = (h: Hazard[]) => h.map((x) => x.id);
const src = (file: string, line: number) => ({ file, line });

beforeAll(async () => {
  await initPrism();
});

function wellFormed(h: Hazard[]) {
  for (const x of h) {
    expect(x.message.length).toBeGreaterThan(10);
    expect(x.advice.length).toBeGreaterThan(10);
    expect(x.source.file).toBeTruthy();
  }
}

describe("hazard rules", () => {
  it("an empty model has none", () => {
    expect(findHazards(baseModel(), AS_OF)).toEqual([]);
  });

  it("data.local-dir: uploads in linked dirs, not logs or caches", () => {
    const h = findHazards(
      baseModel({
        linked: [
          { path: "public/system", kind: "dir", class: "other", stages: ["production"], source: src("config/deploy.rb", 9) },
          { path: "storage", kind: "dir", class: "data", stages: [], source: src("config/deploy.rb", 9) },
          { path: "log", kind: "dir", class: "log", stages: ["production"], source: src("config/deploy.rb", 9) },
          { path: "tmp/cache", kind: "dir", class: "cache", stages: ["production"], source: src("config/deploy.rb", 9) },
        ],
      }),
      AS_OF,
    );
    expect(ids(h)).toEqual(["data.local-dir", "data.local-dir"]);
    expect(h[0].message).toContain("public/system");
    wellFormed(h);
  });

  it("files.server-only: a linked file the checkout lacks, except those with a stand-in", () => {
    const h = findHazards(
      baseModel({
        linked: [
          { path: "config/environments/production.rb", kind: "file", class: "config", stages: ["production"], source: src("config/deploy.rb", 13), serverOnly: true },
          { path: "config/initializers/devise.rb", kind: "file", class: "config", stages: ["production"], source: src("config/deploy.rb", 13) },
          { path: "config/database.yml", kind: "file", class: "config", stages: ["production"], source: src("config/deploy.rb", 13), serverOnly: true },
          { path: "config/master.key", kind: "file", class: "secret", stages: ["production"], source: src("config/deploy.rb", 13), serverOnly: true },
          { path: ".env.production", kind: "file", class: "secret", stages: ["production"], source: src("config/deploy.rb", 13), serverOnly: true },
        ],
      }),
      AS_OF,
    );
    expect(ids(h)).toEqual(["files.server-only", "files.linked-in-repo"]);
    expect(h[0].message).toContain("config/environments/production.rb");
    expect(h[0].message).toContain("Ruby file");
    wellFormed(h);
  });

  it("files.linked-in-repo: linked files the repo holds ran from the servers' copies; one hazard names them all", () => {
    const linked = (path: string, cls: "config" | "secret", stages: string[]) => ({ path, kind: "file" as const, class: cls, stages, source: src("config/deploy.rb", 19) });
    const h = findHazards(
      baseModel({
        linked: [
          linked("config/sidekiq.yml", "config", ["production"]),
          linked("config/storage.yml", "config", ["production", "staging"]),
          // a stand-in, a secret file: their own rules
          linked("config/database.yml", "config", ["production"]),
          linked("config/master.key", "secret", ["production"]),
        ],
      }),
      AS_OF,
    );
    expect(ids(h)).toEqual(["files.linked-in-repo"]);
    expect(h[0].message).toMatch(/^config\/sidekiq\.yml, config\/storage\.yml are linked files \(production, staging\): the servers ran their own copy/);
    expect(h[0].message).not.toContain("database.yml");
    expect(h[0].source).toEqual(src("config/deploy.rb", 19));
    wellFormed(h);
  });

  it("files.server-only: a framework file the repo holds only as an example copy lived on the servers", async () => {
    const { analyzeFiles } = await import("../../src/analyze.js");
    const { memoryRepo } = await import("../../src/repo.js");
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
        "config/deploy.rb": 'set :application, "codex"\nset :linked_files, fetch(:linked_files, []).push("config/environments/production.rb", "config/initializers/mailer.rb", "config/application.yml")\n',
        "config/deploy/production.rb": 'server "a1.example.org", roles: %w[web app db]\n',
        "config/environments/production.dist.rb": "Rails.application.configure do\nend\n",
        "config/application.yml.sample": "SMTP_HOST: smtp.example.org\n",
      }),
      "codex",
      [],
      { callSites: false },
    );
    const linked = (p: string) => m.linked.find((l) => l.path === p)!;
    expect(linked("config/environments/production.rb")).toMatchObject({ serverOnly: true, example: "config/environments/production.dist.rb" });
    expect(linked("config/application.yml")).toMatchObject({ serverOnly: true, example: "config/application.yml.sample" });
    expect(linked("config/initializers/mailer.rb").example).toBeUndefined();
    const h = m.hazards.filter((x) => x.id === "files.server-only");
    expect(h.map((x) => x.source)).toEqual([src("config/deploy.rb", 2), src("config/deploy.rb", 2), src("config/deploy.rb", 2)]);
    const env = h.find((x) => x.message.startsWith("config/environments/production.rb "))!;
    expect(env.message).toMatch(/\(the repo holds only config\/environments\/production\.dist\.rb, an example copy\): the image has no config\/environments\/production\.rb: it lived on the servers/);
    expect(env.advice).toMatch(/^Compare config\/environments\/production\.dist\.rb with the file on a server/);
    expect(h.find((x) => x.message.startsWith("config/application.yml "))!.message).toContain("the image has no config/application.yml: it lived on the servers");
    expect(h.find((x) => x.message.startsWith("config/initializers/mailer.rb "))!.message).toContain("that the repo does not hold");
    wellFormed(h);
  });

  it("files.server-only: not for a file the deploy renders or uploads, nor figaro's application.yml", () => {
    const linked = (path: string) => ({ path, kind: "file" as const, class: "config" as const, stages: ["production"], source: src("config/deploy.rb", 13), serverOnly: true });
    const rails = baseRails();
    rails.gems["figaro"] = "1.2.0" as never;
    const h = findHazards(
      baseModel({
        rails,
        linked: [linked("config/global/aws.yml"), linked("config/unicorn.rb"), linked("config/application.yml"), linked("config/newrelic.yml")],
        global: { dir: "config/global", gemVersion: null, namespaces: [], templates: [{ template: "config/deploy/templates/global/aws.yml.erb", target: "config/global/aws.yml", rendered: {} } as never] },
        capistrano: { major: 3, requires: [], lock: null, hooks: [], tasks: [{ name: "deploy:configs", source: src("config/deploy.rb", 20), templates: [], uploads: [], renders: [{ template: "config/deploy/templates/unicorn.rb.erb", destination: '"#{shared_path}/config/unicorn.rb"', source: src("config/deploy.rb", 21) }] }] } as never,
      }),
      AS_OF,
    );
    expect(h.filter((x) => x.id === "files.server-only").map((x) => x.message.split(" ")[0])).toEqual(["config/newrelic.yml"]);
  });

  it("cron.single-server / cron.many-servers from the job's roles and each stage's servers", () => {
    const job = { schedules: ["0 3 * * *"], type: "rake", task: "orders:expire_unpaid", command: "x", roles: ["db"], source: src("config/schedule.rb", 4) };
    const m = baseModel({
      cron: { file: "config/schedule.rb", settings: {}, jobs: [job, { ...job, task: "logs:rotate", roles: ["app"], source: src("config/schedule.rb", 8) }] },
      stages: [
        stage("production", [server("web1", ["web", "app"], "config/deploy/production.rb", 3), server("web2", ["web", "app"], "config/deploy/production.rb", 4), server("worker1", ["app", "db", "worker"], "config/deploy/production.rb", 5, true)]),
        stage("staging", [server("staging", ["web", "app", "db"], "config/deploy/staging.rb", 3)]),
      ],
    });
    const h = findHazards(m, AS_OF);
    expect(ids(h)).toEqual(["cron.single-server", "cron.single-server", "cron.many-servers"]);
    expect(h[0].message).toContain("production (worker1)");
    expect(h[0].source).toEqual(src("config/schedule.rb", 4));
    expect(h[2].message).toContain("3 servers");
    wellFormed(h);
  });

  it("a job without roles: runs on the stage's whenever_roles servers (default :db)", () => {
    const job = { schedules: ["0 3 * * *"], type: "rake", task: "documents:purge", command: "x", roles: [], source: src("config/schedule.rb", 4) };
    const servers = [server("app1", ["web", "app"], "config/deploy/production.rb", 3), server("app2", ["web", "app"], "config/deploy/production.rb", 4), server("db1", ["db"], "config/deploy/production.rb", 5)];
    const roles = (v: unknown) => ({ whenever_roles: { value: v as never, source: src("config/deploy.rb", 6) } });
    const run = (vars: Stage["variables"]) => findHazards(baseModel({ cron: { file: "config/schedule.rb", settings: {}, jobs: [job] }, stages: [stage("production", servers, vars)] }), AS_OF);
    expect(run({}).map((x) => x.message)).toEqual([expect.stringContaining("one server with role db in production (db1)")]);
    expect(run(roles([{ sym: "db" }])).map((x) => x.id)).toEqual(["cron.single-server"]);
    expect(run(roles([{ sym: "app" }])).map((x) => x.message)).toEqual([expect.stringContaining("every server with role app in production (2 servers)")]);
  });

  it("nginx.sticky-sessions, nginx.assets-from-disk and nginx.uploads-from-disk", () => {
    const file: NginxFile = {
      file: "config/nginx.conf", stage: null, directives: [],
      upstreams: [{ name: "app", source: src("config/nginx.conf", 1), servers: [], sticky: { value: "ip_hash", source: src("config/nginx.conf", 2) } }, { name: "other", source: src("config/nginx.conf", 6), servers: [], sticky: null }],
      servers: [{
        source: src("config/nginx.conf", 10), serverNames: [], listens: [], certificates: [], clientMaxBodySize: null, timeouts: {}, redirectsToHttps: null, root: null, tryFiles: null, proxyHeaders: {}, unportable: [],
        locations: [
          { source: src("config/nginx.conf", 14), modifier: "^~", path: "/assets/", proxyPass: null, assets: true, health: false, websocket: false, directives: [] },
          { source: src("config/nginx.conf", 18), modifier: null, path: "/", proxyPass: "http://app", assets: false, health: false, websocket: false, directives: [] },
          { source: src("config/nginx.conf", 22), modifier: "^~", path: "/system/", proxyPass: null, assets: true, health: false, websocket: false, directives: [{ name: "alias", args: ["/var/www/app/shared/system/"], source: src("config/nginx.conf", 23) }] },
        ],
      }],
    };
    const h = findHazards(baseModel({ nginx: { files: [file] } }), AS_OF);
    expect(ids(h)).toEqual(["nginx.sticky-sessions", "nginx.assets-from-disk", "nginx.uploads-from-disk"]);
    expect(h[0].source).toEqual(src("config/nginx.conf", 2));
    expect(h[1].source).toEqual(src("config/nginx.conf", 14));
    expect(h[2].message).toContain("/var/www/app/shared/system/");
    wellFormed(h);
  });

  it("unicorn.unix-socket only for unix listeners", () => {
    const u: AppServerConfig = {
      kind: "unicorn", file: "config/unicorn.rb", env: null, stages: [], workers: null, threads: null, timeout: null, preloadApp: null, pid: null, stdoutPath: null, stderrPath: null, workingDirectory: null, hooks: [],
      listen: [{ kind: "unix", address: "/var/www/app/shared/tmp/sockets/unicorn.sock", options: { backlog: 64 }, source: src("config/unicorn.rb", 5) }, { kind: "tcp", address: "127.0.0.1:8080", options: {}, source: src("config/unicorn.rb", 6) }],
    };
    const h = findHazards(baseModel({ appServers: [u, { ...u, kind: "puma", file: "config/puma.rb" }] }), AS_OF);
    expect(ids(h)).toEqual(["unicorn.unix-socket"]);
    expect(h[0].source).toEqual(src("config/unicorn.rb", 5));
  });

  it("secrets.in-yaml: literal Global secrets and secrets.yml, not ENV values nor example files", () => {
    const m = baseModel({
      global: {
        dir: "config/global", gemVersion: "3.1.1", templates: [],
        namespaces: [{ name: "payment", files: ["config/global/payment.yml"], values: { production: { api_key: "fake-key", endpoint: "https://pay" }, staging: { api_key: { env: "PAY_KEY", default: null }, endpoint: "x" } }, sources: { api_key: src("config/global/payment.yml", 3) } }],
      },
      rails: baseRails({
        secretKeys: [
          { file: "config/secrets.yml", path: "production.secret_key_base", given: "literal", source: src("config/secrets.yml", 11) },
          { file: "config/secrets.yml", path: "staging.secret_key_base", given: "env", env: "SECRET_KEY_BASE", source: src("config/secrets.yml", 15) },
          { file: "config/database.yml.example", path: "production.password", given: "literal", source: src("config/database.yml.example", 25) },
        ],
      }),
    });
    const h = findHazards(m, AS_OF);
    expect(ids(h)).toEqual(["secrets.in-yaml", "secrets.in-yaml"]);
    expect(h.map((x) => x.source)).toEqual([src("config/secrets.yml", 11), src("config/global/payment.yml", 3)]);
    expect(h[0].message).toContain("production.secret_key_base");
    expect(h[0].message).not.toContain("staging");
    expect(h[1].message).toContain("payment.api_key");
  });

  it("secrets.master-key-committed", () => {
    const h = findHazards(baseModel({ rails: baseRails({ credentials: [{ value: "config/master.key", source: src("config/master.key", 0) }, { value: "config/credentials.yml.enc", source: src("config/credentials.yml.enc", 0) }] }) }), AS_OF);
    expect(ids(h)).toEqual(["secrets.master-key-committed"]);
  });

  it("workers.backend-not-migrated: a job backend with workers of its own other than Sidekiq is said, with its command", () => {
    const gems = {
      delayed_job: { value: "4.1.11", source: src("Gemfile.lock", 40) },
      resque: { value: "2.6.0", source: src("Gemfile.lock", 90) },
      sidekiq: { value: "7.2.0", source: src("Gemfile.lock", 120) },
      sucker_punch: { value: "3.1.0", source: src("Gemfile.lock", 130) },
    };
    const h = findHazards(baseModel({ rails: baseRails({ gems }) }), AS_OF).filter((x) => x.id === "workers.backend-not-migrated");
    expect(h.map((x) => x.source)).toEqual([src("Gemfile.lock", 40), src("Gemfile.lock", 90)]);
    expect(h[1]!.message).toContain("Resque (resque 2.6.0)");
  });

  it("workers.backend-not-migrated reads the one table of backends (analyzers/workers/backends.ts): its standard command, and no word that only Sidekiq is migrated", () => {
    const gems = {
      delayed_job: { value: "4.1.11", source: src("Gemfile.lock", 40) },
      shoryuken: { value: "6.2.1", source: src("Gemfile.lock", 95) },
      "inst-jobs": { value: "3.1.18", source: src("Gemfile.lock", 97) },
    };
    const h = findHazards(baseModel({ rails: baseRails({ gems }) }), AS_OF).filter((x) => x.id === "workers.backend-not-migrated");
    expect(h.map((x) => x.source.line)).toEqual([40, 95, 97]);
    expect(h[0]!.advice).toContain(`\`${backendById("delayed-job")!.standardCommand.join(" ")}\``);
    expect(h[1]!.advice).toContain(`\`${backendById("shoryuken")!.standardCommand.join(" ")}\``);
    expect(h[2]!.message).toContain("inst-jobs (inst-jobs 3.1.18)");
    for (const x of h) expect(`${x.message} ${x.advice}`).not.toMatch(/sidekiq only|only sidekiq/i);
  });

  it("ruby.eol / rails.eol by the date the check runs", () => {
    const rails = baseRails({ rubyVersion: { value: "3.2.2", source: src(".ruby-version", 1) }, railsVersion: { value: "7.2.1", source: src("Gemfile.lock", 90) } });
    expect(ids(findHazards(baseModel({ rails }), new Date("2026-03-01T00:00:00Z")))).toEqual([]);
    expect(ids(findHazards(baseModel({ rails }), new Date("2026-04-02T00:00:00Z")))).toEqual(["ruby.eol"]);
    expect(ids(findHazards(baseModel({ rails }), AS_OF))).toEqual(["ruby.eol", "rails.eol"]);
    expect(eolDate("2.3.8", RUBY_EOL)).toBe("2019-03-31");
    expect(eolDate("1.9.3", RUBY_EOL)).toBe("long ago");
    expect(eolDate("4.2.11.3", RAILS_EOL)).toBe("long ago");
    expect(eolDate("9.0.0", RAILS_EOL)).toBe(null);
    expect(eolDate("3.4.1", RUBY_EOL)).toBe("2028-03-31");
  });

  it("cap.ask from the variables a stage asks for, once per ask site", () => {
    const asked = { name: "branch", default: "main", source: src("config/deploy.rb", 4) };
    const withAsk = (name: string) => ({ ...stage(name, [], { branch: { value: { kind: "question", default: "main" } as never, source: asked.source } }), asked: [asked] });
    const h = findHazards(baseModel({ stages: [withAsk("production"), withAsk("staging")] }), AS_OF);
    expect(ids(h)).toEqual(["cap.ask"]);
    expect(h[0].message).toContain(":branch");
    expect(h[0].source).toEqual(asked.source);
    expect(findHazards(baseModel({ stages: [stage("production", [], {})] }), AS_OF)).toEqual([]);
  });

  it("env.from-servers: ENV read at boot by Global or a committed database.yml, set by no default_env", () => {
    const ns: GlobalNamespace = {
      name: "payment",
      files: ["config/global/payment.yml"],
      values: { production: { endpoint: { env: "PAYMENT_ENDPOINT", default: "https://sandbox.example.com" }, tz: { env: "TZ", default: null } }, development: { debug: { env: "DEV_ONLY", default: null } } },
      sources: { endpoint: src("config/global/payment.yml", 3), tz: src("config/global/payment.yml", 4) },
    };
    const m = baseModel({
      stages: [stage("production", [], { default_env: { value: { tz: "Asia/Tokyo" }, source: src("config/deploy.rb", 7) } })],
      global: { dir: "config/global", gemVersion: "3.1.1", namespaces: [ns], templates: [] },
      rails: baseRails({ database: { file: "config/database.yml", adapters: {}, envReads: [{ env: "DB_HOST", railsEnv: "production", default: "localhost", source: src("config/database.yml", 9) }] } }),
    });
    const h = findHazards(m, AS_OF).filter((x) => x.id === "env.from-servers");
    // TZ is set by default_env (SSHKit upcases the key); DEV_ONLY is read by no deployed env.
    expect(h).toHaveLength(1);
    expect(h[0].message).toContain("PAYMENT_ENDPOINT, DB_HOST");
    expect(h[0].message).not.toMatch(/\bTZ\b|DEV_ONLY/);
    expect(h[0].source).toEqual(src("config/global/payment.yml", 3));
    wellFormed(h);
  });

  it("stage.unknown-template-value and stage.shared-rails-env from Global templates", () => {
    // Capistrano files set rails_env as a String or a Symbol; both name the same env.
    const envVar = (v: string, sym = false) => ({ rails_env: { value: sym ? { sym: v } : v, source: src("config/deploy.rb", 2) } });
    const m = baseModel({
      stages: [stage("demo", [], envVar("production")), stage("production", [], envVar("production", true)), stage("staging", [], envVar("staging"))],
      global: {
        dir: "config/global", gemVersion: "3.1.1", namespaces: [],
        templates: [{
          template: "config/deploy/templates/aws.yml.erb", target: "config/global/aws.yml", source: src("config/deploy/templates/aws.yml.erb", 1),
          rendered: {
            demo: { production: { bucket: "demo-bucket" } },
            production: { production: { bucket: "prod-bucket" } },
            staging: { staging: { bucket: { unknown: "fetch(:s3_bucket) is not set for this stage", source: src("config/deploy/templates/aws.yml.erb", 3) } } },
          },
        }],
      },
    });
    const h = findHazards(m, AS_OF);
    expect(ids(h)).toEqual(["stage.unknown-template-value", "stage.shared-rails-env"]);
    expect(h[0].source).toEqual(src("config/deploy/templates/aws.yml.erb", 3));
    expect(h[1].message).toContain("demo and production");
    wellFormed(h);
  });
});

describe("fixture Rails facts", () => {
  const hazardsOf = (app: string) => findHazards(baseModel({ rails: analyzeRails({ repo: readRepo(`fixtures/apps/${app}`).repo, problem: () => {} }).rails }), AS_OF);
  it("legacy: EOL Ruby and Rails, production secret in secrets.yml", () => {
    const h = hazardsOf("legacy");
    expect(ids(h).sort()).toEqual(["rails.eol", "ruby.eol", "secrets.in-yaml"]);
    const secret = h.find((x) => x.id === "secrets.in-yaml")!;
    expect(secret.source).toEqual(src("config/secrets.yml", 11));
    expect(secret.message).not.toContain("development");
    expect(secret.message).toContain("production.secret_key_base");
  });
  it("shop: Ruby 3.1 and Rails 6.1 are past end of life; ledger's Ruby 3.2 and Rails 7.1 too by late 2026", () => {
    expect(ids(hazardsOf("shop")).sort()).toEqual(["rails.eol", "ruby.eol"]);
    expect(ids(hazardsOf("ledger")).sort()).toEqual(["rails.eol", "ruby.eol"]);
  });
});
