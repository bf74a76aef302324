// A password written into a host or URL value with no scheme (`host: admin:pw@db1.internal`, a
// `url:` of `user:pw@host:5432/db` without `postgres://`, a mongoid `hosts:` entry
// `user:pw@mongo1:27017`) is a password all the same: no output may hold it. Every file migrate
// writes and everything analyze, analyze --json and migrate print is searched for each password;
// where the servers' database is said (the overlays' secrets.env comments, MIGRATION.md, the
// report), the host is said without its password and with the words "password not shown". The
// overlays build with the real `kubectl kustomize`; the templates' YAML is the one real Ruby (Psych)
// reads (the fixture's values are checked to be what Psych gives). The real CLI entry (main), on a
// Capistrano 3 app ("quern", written here) whose templates the deploy renders into shared/ and links.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../../src/cli.js";
import { written } from "../written-files.js";

const HOST_PW = "Millst0ne-host";
const URL_PW = "Gr1stUrlPw";
const MONGO_PW = "Ch4ffMongo";
const CACHE_PW = "Br4nCachePw";
const DB_TEMPLATE = "lib/capistrano/templates/database.yml.erb";
const MONGO_TEMPLATE = "lib/capistrano/templates/mongoid.yml.erb";

function quern(): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "erb"\nrequire "stringio"\nDir.glob("lib/capistrano/tasks/*.rb").each { |r| import r }\n',
    "config/deploy.rb": [
      'lock "3.4.0"',
      'set :application, "quern"',
      'set :repo_url, "git@git.example.test:mill/quern.git"',
      'set :deploy_to, "/srv/quern"',
      "set :linked_files, %w{config/database.yml config/mongoid.yml}",
      "",
    ].join("\n"),
    // the cache's address, with its password, in a stage variable
    "config/deploy/production.rb": `set :rails_env, "production"\nset :cache_server, ":${CACHE_PW}@cache1.quern.internal:6379"\nserver "quern1.example.test", user: "deploy", roles: %w{web app db}\n`,
    "config/deploy/staging.rb": 'set :rails_env, "staging"\nserver "quern-stg.example.test", user: "deploy", roles: %w{web app db}\n',
    "lib/capistrano/tasks/helpers.rb": 'def template(from, to)\n  text = ERB.new(File.read(File.expand_path("../../templates/#{from}", __FILE__))).result(binding)\n  upload! StringIO.new(text), to\nend\n',
    "lib/capistrano/tasks/db.rb": 'namespace :db do\n  task :config do\n    on roles(:app) do\n      template "database.yml.erb", "#{shared_path}/config/database.yml"\n      template "mongoid.yml.erb", "#{shared_path}/config/mongoid.yml"\n    end\n  end\nend\nafter "deploy:check", "db:config"\n',
    // production names its host with the password in it; staging a URL with no scheme
    [DB_TEMPLATE]: ["production:", "  adapter: postgresql", "  database: quern", `  host: admin:${HOST_PW}@db1.quern.internal`, "  username: quern_app", "staging:", "  adapter: postgresql", `  url: quern:${URL_PW}@pg-stg.quern.internal:5432/quern_stg`, ""].join("\n"),
    [MONGO_TEMPLATE]: ["<%= fetch(:rails_env) %>:", "  clients:", "    default:", "      database: quern_docs", "      hosts:", `        - miller:${MONGO_PW}@mongo1.quern.internal:27017`, ""].join("\n"),
    "config/database.yml": "development:\n  adapter: postgresql\n  database: quern_dev\n",
    "config/mongoid.yml": "development:\n  clients:\n    default:\n      database: quern_dev\n      hosts:\n        - localhost:27017\n",
    ".rails2k8s.yml": "# rails2k8s answers\nweb.server: unicorn\n",
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    mongoid (7.0.5)\n    pg (1.1.4)\n    rails (5.2.8)\n    unicorn (5.5.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mongoid\n  pg\n  rails\n  unicorn\n",
  };
}

function writeApp(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-db-userinfo-")), "quern");
  for (const [f, text] of Object.entries(files)) mkdirSync(dirname(join(dir, f)), { recursive: true }), writeFileSync(join(dir, f), text);
  return dir;
}


async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), color: false });
  return { code, out, err };
}

const PASSWORDS = [HOST_PW, URL_PW, MONGO_PW, CACHE_PW];

describe("a password in a host or URL value with no scheme", () => {
  it("the fixture's values are what Psych reads: the password is inside the host and URL strings", () => {
    const files = quern();
    const y = spawnSync("ruby", ["-ryaml", "-rjson", "-e", "puts JSON.generate(YAML.safe_load(STDIN.read))"], { input: files[DB_TEMPLATE], encoding: "utf8" });
    expect(y.status, y.stderr).toBe(0);
    const v = JSON.parse(y.stdout);
    expect(v.production.host).toBe(`admin:${HOST_PW}@db1.quern.internal`);
    expect(v.staging.url).toBe(`quern:${URL_PW}@pg-stg.quern.internal:5432/quern_stg`);
  });

  it("migrate writes and prints none, says each host without its password, and the overlays build", async () => {
    const files = quern();
    const dir = writeApp(files);
    try {
      const r = await run(["migrate", "--yes", dir]);
      expect(r.code, r.err + r.out).toBe(0);
      expect(r.err + r.out).not.toContain("internal error");
      const tree = written(dir, new Set(Object.keys(files)));
      expect(Object.keys(tree)).toContain("MIGRATION.md");
      for (const [path, text] of Object.entries(tree)) for (const s of PASSWORDS) expect(text.includes(s), `${path} holds ${s}`).toBe(false);
      for (const s of PASSWORDS) expect(r.out + r.err).not.toContain(s);
      const prod = tree["k8s/overlays/production/secrets.env.example"]!;
      expect(prod).toContain(`# Stage production: config/database.yml, section "production": the servers used database "quern" on host "admin@db1.quern.internal" (password not shown) as user "quern_app" (from ${DB_TEMPLATE}:3, 4, 5).`);
      const stg = tree["k8s/overlays/staging/secrets.env.example"]!;
      expect(stg).toMatch(/# Stage staging: config\/database\.yml, section "staging": .*password not shown/);
      expect(tree["MIGRATION.md"]).toContain("on host `admin@db1.quern.internal` (password not shown)");
      expect(tree["MIGRATION.md"]).toContain("mongo1.quern.internal:27017");
      for (const st of ["production", "staging"]) {
        const k = spawnSync("kubectl", ["kustomize", join(dir, "k8s/overlays", st)], { encoding: "utf8" });
        expect(k.status, k.stderr).toBe(0);
        for (const s of PASSWORDS) expect(k.stdout).not.toContain(s);
      }
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  it("analyze and analyze --json hold no password", async () => {
    const dir = writeApp(quern());
    try {
      const text = await run(["analyze", dir]);
      const json = await run(["analyze", "--json", dir]);
      expect(text.code, text.err).toBe(0);
      expect(json.code, json.err).toBe(0);
      for (const s of PASSWORDS) expect(text.out + text.err + json.out + json.err, s).not.toContain(s);
      expect(text.out).toContain("db1.quern.internal");
      expect(text.out).toContain("mongo1.quern.internal");
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
