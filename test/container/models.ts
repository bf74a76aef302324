// AppModels built by hand for the container emitter's tests, independent of the analyzers. They
// follow the three fixture apps' shapes (fixtures/README.md) and add the cases those lack: a
// :deploy group, a path gem, a private gem server, old nokogiri, image processing.
import { MODEL_VERSION, type AppModel, type AppServerConfig, type Fact, type RValue, type Source, type Stage } from "../../src/model.js";
import { nginxFile } from "./nginx-text.js";

const at = (file: string, line: number): Source => ({ file, line });
export const fact = <T>(value: T, file: string, line: number): Fact<T> => ({ value, source: at(file, line) });

function lockGems(list: Record<string, string>): Record<string, Fact<string>> {
  return Object.fromEntries(Object.entries(list).map(([g, v], i) => [g, fact(v, "Gemfile.lock", 10 + i)]));
}

function stage(name: string, railsEnv?: string): Stage {
  const variables: Record<string, Fact<RValue>> = railsEnv ? { rails_env: fact(railsEnv, `config/deploy/${name}.rb`, 2) } : {};
  return { name, source: at(`config/deploy/${name}.rb`, 1), variables, servers: [] };
}

function unicorn(file: string, over: Partial<AppServerConfig> = {}): AppServerConfig {
  return {
    kind: "unicorn", file, env: null, stages: [], workers: null, threads: null, listen: [], timeout: null, preloadApp: null,
    pid: null, stdoutPath: null, stderrPath: null, workingDirectory: null, hooks: [], ...over,
  };
}

function base(name: string): AppModel {
  return {
    version: MODEL_VERSION,
    name: fact(name, "config/deploy.rb", 1),
    rails: {
      rubyVersion: null, railsVersion: null, bundlerVersion: null, gems: {}, gemGroups: {}, privateSources: [], database: null,
      assets: { pipeline: [], needsNode: fact(false, "Gemfile.lock", 1), packageManager: null },
      appModule: null, timeZone: null, healthPaths: [],
    },
    capistrano: null, stages: [], appServers: [], nginx: { files: [] }, global: null, sidekiq: null, cron: null, procfile: [],
    linked: [], secrets: [], gaps: [], hazards: [], problems: [],
  };
}

export const SHOP_NGINX = `
upstream unicorn {
  server unix:/var/www/shop/shared/tmp/sockets/unicorn.sock fail_timeout=0;
}

server {
  listen 80;
  server_name shop.example.com www.shop.example.com;
  return 301 https://$host$request_uri;
}

server {
  listen 443 ssl http2;
  server_name shop.example.com www.shop.example.com;
  ssl_certificate /etc/ssl/shop.crt;
  ssl_certificate_key /etc/ssl/shop.key;
  ssl_protocols TLSv1.2 TLSv1.3;
  root /var/www/shop/current/public;
  access_log /var/www/shop/shared/log/nginx.access.log;
  error_log /var/www/shop/shared/log/nginx.error.log;
  client_max_body_size 20M;
  try_files $uri/index.html $uri @unicorn;

  if ($http_x_forwarded_proto = "http") {
    return 301 https://$host$request_uri;
  }

  location ^~ /assets/ {
    gzip_static on;
    expires max;
    add_header Cache-Control public;
  }

  location = /up {
    access_log off;
    proxy_pass http://unicorn;
  }

  location @unicorn {
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header Host $http_host;
    proxy_redirect off;
    proxy_pass http://unicorn;
  }

  location /system/ {
    alias /var/www/shop/shared/public/system/;
  }

  location ~ "^/legacy/[0-9]{4}/" {
    rewrite ^/legacy/(.*)$ /archive/$1 permanent;
  }

  error_page 500 502 503 504 /500.html;
}
`;

/** Unicorn behind nginx (templates per stage), MySQL, sprockets with ExecJS, a :deploy group. */
export function shopModel(): AppModel {
  const m = base("shop");
  m.rails.rubyVersion = fact("3.1.4", ".ruby-version", 1);
  m.rails.railsVersion = fact("6.1.7.6", "Gemfile.lock", 100);
  m.rails.bundlerVersion = fact("2.4.22", "Gemfile.lock", 300);
  m.rails.gems = lockGems({
    rails: "6.1.7.6", mysql2: "0.5.5", unicorn: "6.1.0", bootsnap: "1.17.0", nokogiri: "1.15.5", ffi: "1.16.3", execjs: "2.9.1",
    uglifier: "4.2.0", "sass-rails": "6.0.0", capistrano: "3.18.0", "capistrano-rails": "1.6.3", "capistrano3-unicorn": "0.2.1",
    sshkit: "1.21.5", byebug: "11.1.3", rspec: "3.12.0", "mini_magick": "4.12.0",
  });
  m.rails.gemGroups = {
    rails: ["default"], mysql2: ["default"], unicorn: ["default"], bootsnap: ["default"], uglifier: ["default"], "sass-rails": ["default"],
    mini_magick: ["default"], capistrano: ["deploy"], "capistrano-rails": ["deploy"], "capistrano3-unicorn": ["deploy"],
    byebug: ["development", "test"], rspec: ["test"],
  };
  m.rails.database = { adapters: { production: fact("mysql2", "config/database.yml.example", 3) }, file: "config/database.yml.example" };
  m.rails.assets = { pipeline: [fact("sprockets", "Gemfile.lock", 120)], needsNode: fact(true, "Gemfile.lock", 130), packageManager: null };
  m.rails.healthPaths = [fact("/up", "config/routes.rb", 2)];
  m.stages = [stage("production"), stage("staging")];
  m.appServers = [
    unicorn("config/unicorn/production.rb", {
      env: "production",
      stages: ["production"],
      workers: fact(4, "config/unicorn/production.rb", 3),
      timeout: fact(30, "config/unicorn/production.rb", 4),
      preloadApp: fact(true, "config/unicorn/production.rb", 5),
      listen: [{ kind: "unix", address: "/var/www/shop/shared/tmp/sockets/unicorn.sock", options: { backlog: 64 }, source: at("config/unicorn/production.rb", 6) }],
      pid: fact("/var/www/shop/shared/tmp/pids/unicorn.pid", "config/unicorn/production.rb", 7),
      stderrPath: fact("/var/www/shop/shared/log/unicorn.stderr.log", "config/unicorn/production.rb", 8),
      stdoutPath: fact("/var/www/shop/shared/log/unicorn.stdout.log", "config/unicorn/production.rb", 9),
      workingDirectory: fact("/var/www/shop/current", "config/unicorn/production.rb", 10),
      hooks: [fact("before_exec", "config/unicorn/production.rb", 12), fact("before_fork", "config/unicorn/production.rb", 16), fact("after_fork", "config/unicorn/production.rb", 28)],
    }),
    unicorn("config/unicorn/staging.rb", { env: "staging", stages: ["staging"], workers: fact(2, "config/unicorn/staging.rb", 3) }),
  ];
  m.nginx.files = [
    nginxFile(SHOP_NGINX.replace(/shop\.example\.com www\.shop\.example\.com/g, "staging.shop.example.com"), "config/deploy/templates/nginx.conf.erb", "staging"),
    nginxFile(SHOP_NGINX, "config/deploy/templates/nginx.conf.erb", "production"),
  ];
  m.linked = [
    { path: "public/system", kind: "dir", class: "data", stages: ["production", "staging"], source: at("config/deploy.rb", 12) },
    { path: "config/master.key", kind: "file", class: "secret", stages: ["production"], source: at("config/deploy.rb", 11) },
  ];
  return m;
}

export const LEGACY_NGINX = `
user www-data;
worker_processes 4;
pid /run/nginx.pid;

events { worker_connections 768; }

http {
  include mime.types;
  sendfile on;
  gzip on;
  gzip_types text/css application/javascript;
  log_format timed '$remote_addr "$request" $status $request_time';
  access_log /var/log/nginx/access.log timed;

  upstream legacy_app {
    ip_hash;
    server unix:/home/deploy/legacy/shared/sockets/unicorn.sock fail_timeout=0;
  }

  server {
    listen 80 default_server;
    server_name legacy.example.com;
    root /home/deploy/legacy/current/public;
    passenger_enabled off;

    location / {
      try_files $uri @app;
    }

    location @app {
      include proxy_params;
      proxy_pass http://legacy_app;
    }

    location = /ping {
      return 200 "pong";
    }
  }
}
`;

/** Rails 4.2 on Ruby 2.3, Bundler 1.x, Capistrano 2 gems in development, old nokogiri, paperclip. */
export function legacyModel(): AppModel {
  const m = base("legacy");
  m.rails.rubyVersion = fact("ruby-2.3.8", ".ruby-version", 1);
  m.rails.railsVersion = fact("4.2.11.3", "Gemfile.lock", 80);
  m.rails.bundlerVersion = fact("1.17.3", "Gemfile.lock", 200);
  m.rails.gems = lockGems({
    rails: "4.2.11.3", mysql2: "0.4.10", unicorn: "5.5.4", nokogiri: "1.10.9", paperclip: "6.1.0", ffi: "1.12.2",
    capistrano: "2.15.9", "capistrano-ext": "1.2.1", "rvm-capistrano": "1.5.6", execjs: "2.7.0", uglifier: "4.1.20", therubyracer: "0.12.3",
  });
  m.rails.gemGroups = {
    rails: ["default"], mysql2: ["default"], unicorn: ["default"], paperclip: ["default"], uglifier: ["default"], therubyracer: ["default"],
    capistrano: ["development"], "capistrano-ext": ["development"], "rvm-capistrano": ["development"],
  };
  m.rails.database = { adapters: { production: fact("mysql2", "config/database.yml.example", 19) }, file: "config/database.yml.example" };
  m.rails.assets = { pipeline: [fact("sprockets", "Gemfile.lock", 150)], needsNode: fact(false, "Gemfile.lock", 150), packageManager: null };
  m.stages = [stage("production"), stage("staging"), stage("qa")];
  m.appServers = [
    unicorn("config/unicorn.rb", {
      workers: fact({ env: "UNICORN_WORKERS", default: 3 }, "config/unicorn.rb", 2),
      timeout: fact(45, "config/unicorn.rb", 3),
      preloadApp: fact(false, "config/unicorn.rb", 4),
      listen: [{ kind: "tcp", address: "127.0.0.1:8080", options: {}, source: at("config/unicorn.rb", 5) }],
      hooks: [fact("after_fork", "config/unicorn.rb", 10)],
    }),
  ];
  m.nginx.files = [nginxFile(LEGACY_NGINX, "config/nginx.conf")];
  return m;
}

/** Puma, PostgreSQL, jsbundling with yarn, Rails 7.1, private gems (git over SSH, a gem server, a path gem). */
export function ledgerModel(): AppModel {
  const m = base("ledger");
  m.rails.rubyVersion = fact("3.2.2", ".ruby-version", 1);
  m.rails.railsVersion = fact("7.1.3.4", "Gemfile.lock", 178);
  m.rails.bundlerVersion = fact("2.5.11", "Gemfile.lock", 259);
  m.rails.gems = lockGems({
    rails: "7.1.3.4", pg: "1.5.6", puma: "6.4.2", psych: "5.1.2", bootsnap: "1.18.3", nokogiri: "1.16.6", "image_processing": "1.12.2",
    "ruby-vips": "2.2.1", "jsbundling-rails": "1.3.0", capistrano: "3.19.1", "capistrano3-puma": "6.0.0", ledger_core: "0.4.0", ledger_reports: "1.0.0",
  });
  m.rails.gemGroups = {
    rails: ["default"], pg: ["default"], puma: ["default"], "image_processing": ["default"], "jsbundling-rails": ["default"], ledger_core: ["default"],
    ledger_reports: ["default"], capistrano: ["development"], "capistrano3-puma": ["development"],
  };
  m.rails.privateSources = [
    fact("git@github.com:example/ledger_core.git", "Gemfile", 15),
    fact("https://gems.example-corp.com", "Gemfile", 17),
    fact("vendor/engines/ledger_reports", "Gemfile", 20),
  ];
  m.rails.database = { adapters: { production: fact("postgresql", "config/database.yml", 2) }, file: "config/database.yml" };
  m.rails.assets = {
    pipeline: [fact("sprockets", "Gemfile.lock", 215), fact("jsbundling", "Gemfile.lock", 130)],
    needsNode: fact(true, "Gemfile.lock", 130),
    packageManager: fact("yarn", "yarn.lock", 1),
  };
  m.stages = [stage("production"), stage("staging"), stage("demo", "production")];
  m.appServers = [
    {
      kind: "puma", file: "config/puma.rb", env: null, stages: [],
      workers: fact({ env: "WEB_CONCURRENCY", default: 2 }, "config/puma.rb", 7),
      threads: fact([{ env: "RAILS_MIN_THREADS", default: 5 }, { env: "RAILS_MAX_THREADS", default: 5 }], "config/puma.rb", 4),
      listen: [{ kind: "tcp", address: { env: "PORT", default: 3000 }, options: {}, source: at("config/puma.rb", 9) }],
      timeout: fact(30, "config/puma.rb", 14), preloadApp: fact(true, "config/puma.rb", 18), pid: fact({ env: "PIDFILE", default: null }, "config/puma.rb", 16),
      stdoutPath: null, stderrPath: null, workingDirectory: null, hooks: [fact("on_worker_boot", "config/puma.rb", 20)],
    },
  ];
  return m;
}
