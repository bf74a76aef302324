// AppModels built by hand for the kustomize emitter's tests, independent of the analyzers:
// `shopModel` — Unicorn + nginx templates per stage + sidekiq + whenever, 2 stages, AWS;
// `ledgerModel` — Puma + one plain nginx file with SSL and an https redirect, 3 stages, no AWS.
// Secret values are obviously fake.
import { MODEL_VERSION, type AppModel, type Fact, type NginxServer, type Server, type Source, type Stage, type RValue } from "../../src/model.js";

const at = (file: string, line: number): Source => ({ file, line });
const fact = <T>(value: T, file: string, line: number): Fact<T> => ({ value, source: at(file, line) });

function server(host: string, roles: string[], file: string, line: number, primary = false): Server {
  return { host, user: "deploy", port: null, roles, primary, properties: {}, source: at(file, line) };
}

function stage(name: string, vars: Record<string, RValue>, servers: Server[]): Stage {
  const file = `config/deploy/${name}.rb`;
  const variables: Record<string, Fact<RValue>> = {};
  Object.entries(vars).forEach(([k, v], i) => (variables[k] = fact(v, file, i + 1)));
  return { name, source: at(file, 1), variables, servers };
}

export function emptyModel(name: string): AppModel {
  return {
    version: MODEL_VERSION,
    name: fact(name, "config/deploy.rb", 1),
    rails: {
      rubyVersion: fact("3.1.4", ".ruby-version", 1),
      railsVersion: fact("6.1.7", "Gemfile.lock", 10),
      bundlerVersion: null,
      gems: {},
      gemGroups: {},
      privateSources: [],
      database: null,
      assets: { pipeline: [], needsNode: fact(false, "Gemfile.lock", 1), packageManager: null },
      appModule: null,
      timeZone: null,
      healthPaths: [],
    },
    capistrano: { major: 3, requires: [], lock: null, tasks: [], hooks: [] },
    stages: [],
    appServers: [],
    nginx: { files: [] },
    global: null,
    sidekiq: null,
    cron: null,
    procfile: [],
    linked: [],
    secrets: [],
    gaps: [],
    hazards: [],
    problems: [],
  };
}

function nginxServer(file: string, line: number, o: Partial<NginxServer> & { names: string[]; ssl?: boolean; port?: number }): NginxServer {
  return {
    source: at(file, line),
    serverNames: o.names.map((n) => fact(n, file, line + 1)),
    listens: [fact({ port: o.port ?? (o.ssl ? 443 : 80), ssl: !!o.ssl, http2: false, default: false, address: "" }, file, line + 2)],
    certificates: o.certificates ?? [],
    clientMaxBodySize: o.clientMaxBodySize ?? null,
    timeouts: o.timeouts ?? {},
    redirectsToHttps: o.redirectsToHttps ?? null,
    root: null,
    tryFiles: null,
    locations: o.locations ?? [],
    proxyHeaders: {},
    unportable: o.unportable ?? [],
  };
}

export const SHOP_SECRET_VALUES = ["fake-prod-payment-key-123", "fake-staging-payment-key-456", "fake-prod-bucket-secret-789"];

/** Unicorn + nginx (rendered per stage) + sidekiq + whenever; stages production (2 web, 1 worker) and staging (1 server). */
export function shopModel(): AppModel {
  const m = emptyModel("shop");
  const lock = "Gemfile.lock";
  m.rails.gems = {
    rails: fact("6.1.7", lock, 20),
    unicorn: fact("6.1.0", lock, 30),
    sidekiq: fact("6.5.8", lock, 31),
    mysql2: fact("0.5.5", lock, 32),
    "aws-sdk-s3": fact("1.140.0", lock, 33),
  };
  m.rails.database = { adapters: { production: fact("mysql2", "config/database.yml.example", 3) }, file: "config/database.yml.example" };
  m.rails.timeZone = fact("Eastern Time (US & Canada)", "config/application.rb", 12);
  m.rails.healthPaths = [fact("/health", "config/routes.rb", 2)];
  m.capistrano!.requires = [fact("capistrano/rails", "Capfile", 5), fact("capistrano/sidekiq", "Capfile", 7)];
  m.stages = [
    stage(
      "production",
      {
        application: "shop",
        rails_env: "production",
        server_name: "shop.example.com www.shop.example.com",
        s3_bucket: "shop-prod-assets",
        s3_secret: "fake-prod-bucket-secret-789",
        payment_endpoint: "https://payments.example.net/v2",
        default_env: { TZ: "America/New_York", PAYMENT_API_KEY: "fake-prod-payment-key-123", FEATURE_FLAGS: "checkout_v2" },
      },
      [
        server("web1.shop.example.com", ["web", "app"], "config/deploy/production.rb", 20),
        server("web2.shop.example.com", ["web", "app"], "config/deploy/production.rb", 21),
        server("worker1.shop.example.com", ["app", "db", "worker"], "config/deploy/production.rb", 22, true),
      ],
    ),
    stage(
      "staging",
      {
        application: "shop",
        rails_env: "staging",
        server_name: "staging.shop.example.com",
        s3_bucket: "shop-staging-assets",
        payment_endpoint: "https://sandbox.payments.example.net/v2",
        default_env: { PAYMENT_API_KEY: "fake-staging-payment-key-456" },
      },
      [server("staging.shop.example.com", ["web", "app", "db", "worker"], "config/deploy/staging.rb", 10, true)],
    ),
  ];
  m.appServers = [
    {
      kind: "unicorn",
      file: "config/unicorn/production.rb",
      env: "production",
      stages: ["production"],
      workers: fact(4, "config/unicorn/production.rb", 3),
      threads: null,
      listen: [],
      timeout: fact(30, "config/unicorn/production.rb", 5),
      preloadApp: fact(true, "config/unicorn/production.rb", 6),
      pid: null,
      stdoutPath: null,
      stderrPath: null,
      workingDirectory: null,
      hooks: [],
    },
    {
      kind: "unicorn",
      file: "config/unicorn/staging.rb",
      env: "staging",
      stages: ["staging"],
      workers: fact(2, "config/unicorn/staging.rb", 3),
      threads: null,
      listen: [],
      // Unicorn's default, sourced at the file's first line.
      timeout: fact(60, "config/unicorn/staging.rb", 1),
      preloadApp: null,
      pid: null,
      stdoutPath: null,
      stderrPath: null,
      workingDirectory: null,
      hooks: [],
    },
  ];
  const tpl = "config/deploy/templates/nginx.conf.erb";
  const cable = {
    source: at(tpl, 40),
    modifier: null,
    path: "/cable",
    proxyPass: "http://shop_app",
    assets: false,
    health: false,
    websocket: true,
    directives: [],
  };
  const assets = { source: at(tpl, 30), modifier: "^~", path: "/assets/", proxyPass: null, assets: true, health: false, websocket: false, directives: [] };
  m.nginx.files = [
    {
      file: tpl,
      stage: "production",
      directives: [],
      upstreams: [{ name: "shop_app", source: at(tpl, 1), servers: [], sticky: null }],
      servers: [
        nginxServer(tpl, 10, {
          names: ["shop.example.com", "www.shop.example.com"],
          clientMaxBodySize: fact("25m", tpl, 14),
          timeouts: { proxy_read_timeout: fact("120s", tpl, 15), proxy_send_timeout: fact("120s", tpl, 16) },
          locations: [assets, cable],
        }),
      ],
    },
    {
      file: tpl,
      stage: "staging",
      directives: [],
      upstreams: [{ name: "shop_app", source: at(tpl, 1), servers: [], sticky: null }],
      servers: [
        nginxServer(tpl, 10, {
          names: ["staging.shop.example.com"],
          clientMaxBodySize: fact("25m", tpl, 14),
          timeouts: { proxy_read_timeout: fact("120s", tpl, 15) },
          locations: [assets, cable],
          unportable: [fact('auth_basic "Staging"', tpl, 20)],
        }),
      ],
    },
  ];
  m.global = {
    dir: "config/global",
    gemVersion: "3.1.0",
    // As the Global analyzer gives it: the template's output per stage is the namespace's value for
    // that stage's Rails env (sections merged), and the namespace holds the same per env.
    namespaces: [
      {
        name: "aws",
        files: ["config/global/aws.yml"],
        values: {
          production: { bucket: "shop-prod-assets", secret_access_key: "fake-prod-bucket-secret-789", payments: "https://payments.example.net/v2" },
          staging: { bucket: "shop-staging-assets", payments: "https://sandbox.payments.example.net/v2" },
        },
        sources: { bucket: at("config/deploy/templates/global/aws.yml.erb", 3), secret_access_key: at("config/deploy/templates/global/aws.yml.erb", 4), payments: at("config/deploy/templates/global/aws.yml.erb", 5) },
      },
    ],
    templates: [
      {
        template: "config/deploy/templates/global/aws.yml.erb",
        target: "config/global/aws.yml",
        rendered: {
          production: { bucket: "shop-prod-assets", secret_access_key: "fake-prod-bucket-secret-789", payments: "https://payments.example.net/v2" },
          staging: { bucket: "shop-staging-assets", payments: "https://sandbox.payments.example.net/v2" },
        },
        source: at("config/deploy.rb", 40),
      },
    ],
  };
  m.sidekiq = {
    file: "config/sidekiq.yml",
    concurrency: fact(10, "config/sidekiq.yml", 2),
    timeout: fact(40, "config/sidekiq.yml", 3),
    queues: [fact(["critical", 2], "config/sidekiq.yml", 5), fact(["default", 1], "config/sidekiq.yml", 6)],
    envOverrides: { production: { concurrency: 20 } },
    evidence: [fact("capistrano/sidekiq", "Capfile", 7)],
  };
  const sched = "config/schedule.rb";
  m.cron = {
    file: sched,
    settings: {},
    jobs: [
      {
        schedules: ["0 3 * * *"],
        type: "rake",
        task: "reports:daily",
        command: "/bin/bash -l -c 'cd /var/www/shop/releases/20240101120000 && RAILS_ENV=production bundle exec rake reports:daily --silent >> log/cron.log 2>&1'",
        roles: ["db"],
        source: at(sched, 5),
      },
      {
        schedules: ["0,15,30,45 * * * *"],
        type: "runner",
        task: "Order.expire_stale!",
        command: "/bin/bash -l -c 'cd /var/www/shop/releases/20240101120000 && bundle exec bin/rails runner -e production '\\''Order.expire_stale!'\\'' >> log/cron.log 2>&1'",
        roles: ["db"],
        source: at(sched, 9),
      },
      {
        schedules: ["30 4 * * 1", "0 18 * * 1"],
        type: "command",
        task: "bin/rotate-exports",
        command: "/bin/bash -l -c 'bin/rotate-exports >> /var/log/shop/rotate.log 2>&1'",
        roles: ["db"],
        source: at(sched, 13),
      },
      {
        schedules: ["@reboot"],
        type: "command",
        task: "bin/warm-cache",
        command: "/bin/bash -l -c 'bin/warm-cache'",
        roles: ["db"],
        source: at(sched, 17),
      },
      {
        schedules: ["0 1 * * 0"],
        type: "rake",
        task: "search:reindex",
        command: "/bin/bash -l -c 'cd /var/www/shop/current && RAILS_ENV=production bundle exec rake search:reindex --silent'",
        roles: ["search"],
        source: at(sched, 21),
      },
    ],
  };
  m.linked = [
    { path: "public/system", kind: "dir", class: "data", stages: ["production", "staging"], source: at("config/deploy.rb", 12) },
    { path: "log", kind: "dir", class: "log", stages: ["production", "staging"], source: at("config/deploy.rb", 12) },
  ];
  m.secrets = [
    { name: "DATABASE_PASSWORD", kind: "env", reason: "name", source: at("config/database.yml.example", 8) },
    { name: "aws.secret_access_key", kind: "global", reason: "name", source: at("config/deploy/templates/global/aws.yml.erb", 4) },
  ];
  return m;
}

/** Puma + plain nginx file with SSL, redirect, body size, timeouts and ip_hash; stages production, staging, demo. */
export function ledgerModel(): AppModel {
  const m = emptyModel("ledger");
  const lock = "Gemfile.lock";
  m.rails.railsVersion = fact("7.1.3", lock, 10);
  m.rails.gems = { rails: fact("7.1.3", lock, 20), puma: fact("6.4.2", lock, 21), pg: fact("1.5.4", lock, 22) };
  m.rails.database = { adapters: { production: fact("postgresql", "config/database.yml", 3) }, file: "config/database.yml" };
  m.rails.healthPaths = [fact("/up", "config/routes.rb", 3)];
  m.stages = [
    stage("demo", { application: "ledger", rails_env: "production" }, [server("demo.ledger.internal", ["web", "app", "db"], "config/deploy/demo.rb", 5, true)]),
    stage("production", { application: "ledger", rails_env: "production" }, [
      server("10.0.1.10", ["app"], "config/deploy/production.rb", 5),
      server("10.0.1.11", ["app"], "config/deploy/production.rb", 6),
      server("10.0.1.12", ["app"], "config/deploy/production.rb", 7),
      server("10.0.1.20", ["db"], "config/deploy/production.rb", 8, true),
    ]),
    stage("staging", { application: "ledger", rails_env: "staging" }, [server("10.1.1.10", ["app", "db"], "config/deploy/staging.rb", 5, true)]),
  ];
  m.appServers = [
    {
      kind: "puma",
      file: "config/puma.rb",
      env: null,
      stages: [],
      workers: fact({ env: "WEB_CONCURRENCY", default: 3 }, "config/puma.rb", 4),
      threads: fact([5, 5], "config/puma.rb", 2),
      listen: [],
      timeout: null,
      preloadApp: null,
      pid: null,
      stdoutPath: null,
      stderrPath: null,
      workingDirectory: null,
      hooks: [],
    },
  ];
  const f = "config/nginx/ledger.conf";
  m.nginx.files = [
    {
      file: f,
      stage: null,
      directives: [],
      upstreams: [{ name: "ledger", source: at(f, 1), servers: [], sticky: fact("ip_hash", f, 2) }],
      servers: [
        nginxServer(f, 10, { names: ["ledger.example.com"], redirectsToHttps: fact(true, f, 13) }),
        nginxServer(f, 20, {
          names: ["ledger.example.com", "~^(?<tenant>.+)\\.ledger\\.example\\.com$"],
          ssl: true,
          certificates: [fact("/etc/ssl/ledger.crt", f, 24)],
          clientMaxBodySize: fact("50m", f, 26),
          timeouts: {
            proxy_read_timeout: fact("300", f, 27),
            proxy_send_timeout: fact("5m", f, 28),
            proxy_connect_timeout: fact("10s", f, 29),
          },
          unportable: [fact("rewrite ^/old/(.*)$ /new/$1 permanent", f, 31)],
        }),
      ],
    },
  ];
  m.secrets = [
    { name: "LEDGER_DATABASE_PASSWORD", kind: "env", reason: "name", source: at("config/database.yml", 9) },
    { name: "STRIPE_SECRET_KEY", kind: "env", reason: "name", source: at("config/initializers/stripe.rb", 1) },
  ];
  return m;
}
