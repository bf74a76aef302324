// Rails facts: the three fixture apps (the facts fixtures/README.md agrees on) and the general
// cases real Gemfiles, routes, database.yml and Procfiles bring.
import { describe, it, expect, beforeAll } from "vitest";
import { readRepo, memoryRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeRails, normalizeRubyVersion } from "../../analyzers/rails.js";
import type { Problem } from "../../src/model.js";

beforeAll(async () => {
  await initPrism();
});

const fixture = (app: string) => {
  const problems: Problem[] = [];
  const r = analyzeRails({ repo: readRepo(`fixtures/apps/${app}`).repo, problem: (p) => problems.push(p) });
  return { ...r, problems };
};
const mem = (files: Record<string, string>) => {
  const problems: Problem[] = [];
  const r = analyzeRails({ repo: memoryRepo(files), problem: (p) => problems.push(p) });
  return { ...r, problems };
};
const LOCK = (specs: string) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${specs}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n\nBUNDLED WITH\n   2.4.10\n`;

describe("fixture apps", () => {
  it("shop: Rails 6.1, Ruby 3.1.4, mysql2, sprockets, sidekiq, Eastern time, /health", () => {
    const { rails, procfile, problems } = fixture("shop");
    expect(problems).toEqual([]);
    expect(rails.rubyVersion).toEqual({ value: "3.1.4", source: { file: ".ruby-version", line: 1 } });
    expect(rails.railsVersion?.value).toMatch(/^6\.1\.7\./);
    expect(rails.bundlerVersion?.value).toBe("2.4.22");
    expect(rails.gems["sidekiq"].value).toMatch(/^6\./);
    expect(rails.gems["global"].value).toMatch(/^3\./);
    expect(rails.gems["nokogiri"].value).toBe("1.15.5"); // platform suffix dropped
    for (const g of ["capistrano", "capistrano-rails", "capistrano-rbenv", "capistrano-bundler", "capistrano3-unicorn", "capistrano-sidekiq"]) expect(rails.gemGroups[g]).toEqual(["development"]);
    expect(rails.gemGroups["rails"]).toEqual(["default"]);
    expect(rails.gemGroups["byebug"]).toEqual(["development", "test"]);
    expect(rails.gemGroups["minitest-reporters"]).toEqual(["test"]);
    expect(rails.privateSources).toEqual([]);
    expect(rails.database?.file).toBe("config/database.yml.example");
    expect(rails.database?.adapters["production"]).toEqual({ value: "mysql2", source: { file: "config/database.yml.example", line: 3 } });
    expect(rails.assets.pipeline.map((p) => p.value)).toEqual(["sprockets"]);
    expect(rails.assets.needsNode.value).toBe(true); // uglifier runs through ExecJS
    expect(rails.assets.packageManager).toBe(null);
    expect(rails.appModule?.value).toBe("Shop");
    expect(rails.timeZone).toEqual({ value: "Eastern Time (US & Canada)", source: { file: "config/application.rb", line: 21 } });
    expect(rails.healthPaths).toEqual([{ value: "/health", source: { file: "config/routes.rb", line: 3 } }]);
    expect(procfile.map((p) => p.name)).toEqual(["web", "worker"]);
    expect(rails.secretKeys?.some((k) => k.env === "DB_PASSWORD" && k.given === "env")).toBe(true);
  });

  it("legacy: Rails 4.2, Ruby 2.3.8 from ruby-2.3.8, global 1.x, literal secret_key_base", () => {
    const { rails, procfile, problems } = fixture("legacy");
    expect(problems).toEqual([]);
    expect(rails.rubyVersion?.value).toBe("2.3.8");
    expect(rails.railsVersion?.value).toBe("4.2.11.3");
    expect(rails.bundlerVersion?.value).toBe("1.17.3");
    expect(rails.gems["global"].value).toMatch(/^1\./);
    expect(rails.gems["capistrano"].value).toMatch(/^2\.15/);
    expect(rails.gemGroups["capistrano-ext"]).toEqual(["development"]);
    expect(Object.keys(rails.database!.adapters).sort()).toEqual(["development", "production", "qa", "staging", "test"]);
    expect(rails.appModule?.value).toBe("Legacy");
    expect(rails.healthPaths.map((h) => h.value)).toEqual(["/ping"]);
    expect(procfile).toEqual([]);
    const prod = rails.secretKeys?.find((k) => k.file === "config/secrets.yml" && k.path === "production.secret_key_base");
    expect(prod).toEqual({ file: "config/secrets.yml", path: "production.secret_key_base", given: "literal", source: { file: "config/secrets.yml", line: 11 } });
    expect(JSON.stringify(rails)).not.toContain("FAKE-legacy-production-secret");
  });

  it("ledger: Rails 7.1, Ruby 3.2, pg, jsbundling + yarn, /up, a private git gem", () => {
    const { rails, procfile, problems } = fixture("ledger");
    expect(problems).toEqual([]);
    expect(rails.rubyVersion?.value).toMatch(/^3\.2\./);
    expect(rails.railsVersion?.value).toMatch(/^7\.1\./);
    expect(rails.database?.adapters["production"].value).toBe("postgresql");
    expect(rails.assets.pipeline.map((p) => p.value)).toContain("jsbundling");
    expect(rails.assets.needsNode.value).toBe(true);
    expect(rails.assets.packageManager?.value).toBe("yarn");
    expect(rails.healthPaths.map((h) => h.value)).toEqual(["/up"]);
    expect(rails.privateSources).toEqual([{ value: "git@github.com:example/ledger_core.git", source: { file: "Gemfile", line: 15 } }]);
    expect(rails.gems["ledger_core"].value).toBe("0.4.2");
    expect(rails.gems["capistrano3-puma"]).toBeDefined();
    expect(procfile.map((p) => `${p.source.file}:${p.name}`)).toEqual(["Procfile.dev:web", "Procfile.dev:js", "Procfile.dev:css"]);
    expect(rails.secretKeys?.map((k) => k.env)).toContain("DATABASE_URL");
  });
});

describe("Ruby version", () => {
  it("normalizes the forms .ruby-version takes", () => {
    expect(normalizeRubyVersion("ruby-2.3.8\n")).toBe("2.3.8");
    expect(normalizeRubyVersion("3.1.4@shop\n")).toBe("3.1.4");
    expect(normalizeRubyVersion("2.6.10-p210")).toBe("2.6.10");
    expect(normalizeRubyVersion("# comment\n3.3.0-preview1")).toBe("3.3.0-preview1");
    expect(normalizeRubyVersion("system")).toBe(null);
    // A version with anything after it is not taken apart: it is not a version at all.
    expect(normalizeRubyVersion("3.1.4;touch /tmp/x;#")).toBe(null);
    expect(normalizeRubyVersion("3.1.4 $(id)")).toBe(null);
  });
  it("uses `ruby file:` and then the lockfile, and reports disagreement", () => {
    const r = mem({ Gemfile: 'ruby file: ".tool-versions-ruby"\ngem "rails"\n', ".tool-versions-ruby": "3.2.3\n", "Gemfile.lock": LOCK("    rails (7.1.3)\n") + "\nRUBY VERSION\n   ruby 3.2.2p53\n" });
    expect(r.rails.rubyVersion?.value).toBe("3.2.3");
    expect(r.problems.some((p) => /3\.2\.2/.test(p.message))).toBe(true);
  });
  it("takes an exact `ruby` line but not a requirement", () => {
    expect(mem({ Gemfile: 'ruby "3.3.1"\n' }).rails.rubyVersion).toEqual({ value: "3.3.1", source: { file: "Gemfile", line: 1 } });
    expect(mem({ Gemfile: 'ruby "~> 3.3"\n' }).rails.rubyVersion).toBe(null);
  });
  it("falls back to railties when rails is not in the lockfile", () => {
    expect(mem({ "Gemfile.lock": LOCK("    railties (7.0.8)\n") }).rails.railsVersion?.value).toBe("7.0.8");
  });
});

describe("Gemfile groups and sources", () => {
  const gemfile = `source "https://rubygems.org"
source "https://gems.example.com" do
  gem "internal_auth"
end
source "https://deploy:not-a-real-token@gems.private.example"
gem "rails"
gem "rspec-rails", group: [:development, :test]
gem "letter_opener", groups: %i[development]
gem "engine", path: "vendor/engines/engine"
gem "forked", github: "example/forked", branch: "main"
git "https://github.com/example/tools.git" do
  gem "tool_a"
end
platforms :mri do
  group :test do
    gem "simplecov", require: false
  end
end
if ENV["PROFILE"]
  gem "stackprof"
end
gemspec
eval_gemfile "Gemfile.local"
`;
  it("reads groups from blocks and options", () => {
    const { rails } = mem({ Gemfile: gemfile });
    expect(rails.gemGroups["rails"]).toEqual(["default"]);
    expect(rails.gemGroups["rspec-rails"]).toEqual(["development", "test"]);
    expect(rails.gemGroups["letter_opener"]).toEqual(["development"]);
    expect(rails.gemGroups["simplecov"]).toEqual(["test"]);
    expect(rails.gemGroups["stackprof"]).toEqual(["default"]);
  });
  it("lists private sources, with credentials removed", () => {
    const { rails } = mem({ Gemfile: gemfile });
    expect(rails.privateSources.map((s) => s.value)).toEqual([
      "https://gems.example.com",
      "https://REDACTED@gems.private.example",
      "vendor/engines/engine",
      "https://github.com/example/forked.git",
      "https://github.com/example/tools.git",
      ".",
    ]);
    expect(JSON.stringify(rails)).not.toContain("not-a-real-token");
  });
  it("adds sources only the lockfile shows (PATH, extra GEM remotes)", () => {
    const lock = "PATH\n  remote: engines/billing\n  specs:\n    billing (0.1.0)\n\nGEM\n  remote: https://rubygems.org/\n  remote: https://gems.corp.example/\n  specs:\n    rake (13.0.6)\n\nDEPENDENCIES\n  billing!\n  rake\n";
    const { rails } = mem({ "Gemfile.lock": lock });
    expect(rails.privateSources).toEqual([
      { value: "engines/billing", source: { file: "Gemfile.lock", line: 1 } },
      { value: "https://gems.corp.example/", source: { file: "Gemfile.lock", line: 6 } },
    ]);
  });
});

describe("database.yml", () => {
  it("takes the adapter from a url scheme, from ENV as Unknown, and from a multi-db primary", () => {
    const { rails } = mem({
      "config/database.yml": `production:\n  primary:\n    adapter: trilogy\n  cache:\n    adapter: sqlite3\nstaging:\n  url: postgres://app@db/app\ndemo:\n  url: <%= ENV["DATABASE_URL"] %>\n`,
    });
    const a = rails.database!.adapters;
    expect(a["production"]).toEqual({ value: "trilogy", source: { file: "config/database.yml", line: 3 } });
    expect(a["staging"].value).toBe("postgresql");
    expect((a["demo"].value as any).unknown).toMatch(/DATABASE_URL/);
  });
  it("lists the ENV reads of each environment's section, merged defaults included, with their lines", () => {
    const { rails } = mem({
      "config/database.yml": `default: &default\n  adapter: postgresql\n  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>\n  host: <%= ENV.fetch("DB_HOST", "localhost") %>\nproduction:\n  <<: *default\n  database: <%= ENV["DB_NAME"] %>\n`,
    });
    expect(rails.database!.envReads).toEqual([
      { env: "RAILS_MAX_THREADS", railsEnv: "default", default: 5, source: { file: "config/database.yml", line: 3 } },
      { env: "DB_HOST", railsEnv: "default", default: "localhost", source: { file: "config/database.yml", line: 4 } },
      { env: "RAILS_MAX_THREADS", railsEnv: "production", default: 5, source: { file: "config/database.yml", line: 3 } },
      { env: "DB_HOST", railsEnv: "production", default: "localhost", source: { file: "config/database.yml", line: 4 } },
      { env: "DB_NAME", railsEnv: "production", default: null, source: { file: "config/database.yml", line: 7 } },
    ]);
  });
  it("prefers the real file over the example", () => {
    const { rails } = mem({ "config/database.yml": "production:\n  adapter: postgresql\n", "config/database.yml.example": "production:\n  adapter: mysql2\n" });
    expect(rails.database).toEqual({ file: "config/database.yml", sections: ["production"], adapters: { production: { value: "postgresql", source: { file: "config/database.yml", line: 2 } } } });
  });
  it("reports broken YAML and goes on", () => {
    const { rails, problems } = mem({ "config/database.yml": "production:\n  adapter: [mysql2\n", "config/application.rb": "module Foo\n  class Application < Rails::Application\n  end\nend\n" });
    expect(problems.some((p) => p.file === "config/database.yml" && p.severity === "error")).toBe(true);
    expect(rails.appModule?.value).toBe("Foo");
  });
});

describe("assets", () => {
  it("importmap apps need no Node; propshaft is reported", () => {
    const { rails } = mem({ "Gemfile.lock": LOCK("    importmap-rails (2.0.1)\n    propshaft (0.8.0)\n    rails (7.1.3)\n") });
    expect(rails.assets.pipeline.map((p) => p.value)).toEqual(["propshaft", "importmap"]);
    expect(rails.assets.needsNode.value).toBe(false);
  });
  it("an embedded JS runtime covers uglifier; package managers follow the lockfile", () => {
    expect(mem({ "Gemfile.lock": LOCK("    mini_racer (0.8.0)\n    sprockets-rails (3.4.2)\n    uglifier (4.2.0)\n") }).rails.assets.needsNode.value).toBe(false);
    const pnpm = mem({ "Gemfile.lock": LOCK("    shakapacker (7.2.0)\n"), "package.json": "{}", "pnpm-lock.yaml": "lockfileVersion: '6.0'\n" }).rails.assets;
    expect(pnpm.pipeline.map((p) => p.value)).toEqual(["webpacker"]);
    expect(pnpm.packageManager?.value).toBe("pnpm");
    expect(mem({ "package.json": '{\n  "packageManager": "bun@1.1.0"\n}' }).rails.assets.packageManager).toEqual({ value: "bun", source: { file: "package.json", line: 2 } });
    expect(mem({ "Gemfile.lock": LOCK("    cssbundling-rails (1.4.0)\n"), "package.json": "{}", "bun.lockb": "x" }).rails.assets).toMatchObject({ needsNode: { value: true }, packageManager: { value: "bun" } });
  });
  it("no gems at all: pipeline none", () => {
    expect(mem({ Gemfile: "" }).rails.assets.pipeline.map((p) => p.value)).toEqual(["none"]);
  });
});

describe("application.rb and routes", () => {
  it("reads `class Foo::Application` and a time zone set in an initializer", () => {
    const { rails } = mem({
      "config/application.rb": "class MyApp::Application < Rails::Application\nend\n",
      "config/initializers/time.rb": 'Rails.application.config.time_zone = "Berlin"\n',
    });
    expect(rails.appModule?.value).toBe("MyApp");
    expect(rails.timeZone).toEqual({ value: "Berlin", source: { file: "config/initializers/time.rb", line: 1 } });
  });
  it("finds health routes in scopes, mounts and gems, and not other routes", () => {
    const routes = `Rails.application.routes.draw do
  scope "internal" do
    get "healthz", to: "probes#live"
  end
  namespace :api do
    get :status, to: "status#show"
    get "orders", to: "orders#index"
  end
  match "/lb" => "heartbeat#index", via: :get
  mount OkComputer::Engine, at: "/ok"
  get "/about", to: "pages#about"
end
`;
    const { rails } = mem({ "config/routes.rb": routes, "Gemfile.lock": LOCK("    health_check (3.1.0)\n") });
    expect(rails.healthPaths.map((h) => h.value)).toEqual(["/internal/healthz", "/api/status", "/lb", "/ok", "/health_check"]);
  });
});

describe("Procfile", () => {
  it("reads entries, skips comments, reports junk", () => {
    const { procfile, problems } = mem({ Procfile: "# processes\nweb: bundle exec puma -C config/puma.rb\nrelease: bin/rails db:migrate\njunk line\n" });
    expect(procfile).toEqual([
      { name: "web", command: "bundle exec puma -C config/puma.rb", source: { file: "Procfile", line: 2 } },
      { name: "release", command: "bin/rails db:migrate", source: { file: "Procfile", line: 3 } },
    ]);
    expect(problems).toEqual([{ file: "Procfile", line: 4, message: expect.any(String), severity: "warning" }]);
  });
});

describe("bad input", () => {
  it("never throws on garbage and unreadable files", () => {
    const repo = memoryRepo({ Gemfile: "gem 'x', group: \n)(", "Gemfile.lock": "\u0000\u0001junk\n  specs:\n   ???", "config/routes.rb": "get(", "config/database.yml": "- just\n- a list\n", "Procfile": "" });
    const unreadable = { paths: [...repo.paths, "config/secrets.yml"], read: (p: string) => (p === "config/secrets.yml" ? { error: "binary file" } : repo.read(p)) };
    const problems: Problem[] = [];
    expect(() => analyzeRails({ repo: unreadable, problem: (p) => problems.push(p) })).not.toThrow();
    expect(problems.length).toBeGreaterThan(2);
  });

  it("without a lockfile, a Gemfile that pins Rails to a series names the version; a loose one does not", () => {
    const v = (req: string) => mem({ Gemfile: `source "https://rubygems.org"\ngem "rails", ${req}\n` }).rails.railsVersion;
    expect(v(`"~> 5.2.3"`)).toEqual({ value: "5.2.3", source: { file: "Gemfile", line: 2 } });
    expect(v(`"4.2.11.3"`)?.value).toBe("4.2.11.3");
    expect(v(`"= 6.1.7"`)?.value).toBe("6.1.7");
    expect(v(`"~> 5.2"`)).toBeNull();
    expect(v(`">= 5"`)).toBeNull();
    // the lockfile, when there is one, decides
    expect(mem({ Gemfile: `gem "rails", "~> 5.2.3"\n`, "Gemfile.lock": LOCK("    rails (5.2.8.1)\n") }).rails.railsVersion?.value).toBe("5.2.8.1");
  });
});

describe("which Procfiles are read", () => {
  const CI_BUILD = "build:\n  languages:\n    - ruby\n  packages:\n    - libreoffice\n";
  it("Procfile and Procfile.<word>; not a name foreman is never pointed at (Procfile.0, a backup), unless the deploy's foreman names it", () => {
    const files = {
      Capfile: 'require "capistrano/setup"\n',
      "config/deploy.rb": 'set :application, "quay"\n',
      Procfile: "web: bundle exec puma -C config/puma.rb\n",
      "Procfile.dev": "web: bin/rails server -p 3000\n",
      "Procfile.0": CI_BUILD,
      "Procfile.bak": "web: bundle exec thin start\n",
      "Procfile.2": "jobs: bundle exec rake jobs:work\n",
    };
    const a = mem(files);
    expect(a.procfile.map((p) => `${p.source.file}:${p.name}`).sort()).toEqual(["Procfile.dev:web", "Procfile:web"]);
    expect(a.problems.filter((p) => p.file.startsWith("Procfile"))).toEqual([]);
    const b = mem({ ...files, "config/deploy.rb": 'set :application, "quay"\ntask(:jobs) { on(roles(:app)) { execute "cd #{release_path} && foreman start -f Procfile.2 jobs" } }\n' });
    expect(b.procfile.map((p) => `${p.source.file}:${p.name}`).sort()).toEqual(["Procfile.2:jobs", "Procfile.dev:web", "Procfile:web"]);
  });
});
