// A servers' database config whose `database:` value is itself a secret (a URL carrying its password,
// a value shaped like a key id): the redaction hides it, and every output says it is not shown —
// the overlay's DATABASE_URL comment, MIGRATION.md, `analyze` and `analyze --json` — while the rest
// (host, user, the template's lines) is still said. migrate runs through (it crashed on the hidden
// value: "value.replace is not a function", audit s23 F1), writes no password into any file, prints
// none, and the overlays build with the real `kubectl kustomize`. The real CLI entry (main), on a
// Capistrano 3 app ("kiln", written here) whose template the deploy renders into shared/ and links.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { main } from "../../src/cli.js";
import { written } from "../written-files.js";

const URL_PASSWORD = "Sup3rSecretPw";
const KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const DB_PASSWORD = "s3cr3t-never-shown";
const TEMPLATE = "lib/capistrano/templates/database.yml.erb";

function kiln(): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "erb"\nrequire "stringio"\nDir.glob("lib/capistrano/tasks/*.rb").each { |r| import r }\n',
    "config/deploy.rb": 'lock "3.4.0"\nset :application, "kiln"\nset :repo_url, "git@git.example.test:pottery/kiln.git"\nset :deploy_to, "/srv/kiln"\nset :linked_files, %w{config/database.yml}\n',
    // production's database is a URL with the password in it; staging's is a value shaped like an AWS key id
    "config/deploy/production.rb": `set :rails_env, "production"\nset :pg_database, "postgres://kiln:${URL_PASSWORD}@pg.kiln.internal/kiln"\nset :pg_password, "${DB_PASSWORD}"\nserver "kiln1.example.test", user: "deploy", roles: %w{web app db}\n`,
    "config/deploy/staging.rb": `set :rails_env, "staging"\nset :pg_database, "${KEY_ID}"\nserver "kiln-stg.example.test", user: "deploy", roles: %w{web app db}\n`,
    "lib/capistrano/tasks/helpers.rb": 'def template(from, to)\n  text = ERB.new(File.read(File.expand_path("../../templates/#{from}", __FILE__))).result(binding)\n  upload! StringIO.new(text), to\nend\n',
    "lib/capistrano/tasks/pg.rb": 'namespace :pg do\n  task :config do\n    on roles(:app) do\n      template "database.yml.erb", "#{shared_path}/config/database.yml"\n    end\n  end\nend\nafter "deploy:check", "pg:config"\n',
    [TEMPLATE]: "<%= fetch(:rails_env) %>:\n  adapter: postgresql\n  database: <%= fetch(:pg_database) %>\n  host: pg.kiln.internal\n  username: kiln_app\n  password: <%= fetch(:pg_password) %>\n",
    "config/database.yml": "development:\n  adapter: postgresql\n  database: kiln_dev\n",
    // the web server is asked when no start line names it: answered, so that --yes runs
    ".rails2k8s.yml": "# rails2k8s answers\nweb.server: unicorn\n",
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (1.1.4)\n    rails (5.2.8)\n    unicorn (5.5.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  pg\n  rails\n  unicorn\n",
  };
}

function writeApp(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-db-secret-")), "kiln");
  for (const [f, text] of Object.entries(files)) mkdirSync(dirname(join(dir, f)), { recursive: true }), writeFileSync(join(dir, f), text);
  return dir;
}


async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), color: false });
  return { code, out, err };
}

const SECRETS = [URL_PASSWORD, KEY_ID, DB_PASSWORD];

describe("a servers' database value that is itself a secret", () => {
  it("migrate runs through, says it as not shown over DATABASE_URL and in MIGRATION.md, writes and prints no password, and the overlays build", async () => {
    const files = kiln();
    const dir = writeApp(files);
    try {
      const r = await run(["migrate", "--yes", dir]);
      expect(r.code, r.err + r.out).toBe(0);
      expect(r.err + r.out).not.toContain("internal error");
      const tree = written(dir, new Set(Object.keys(files)));
      expect(Object.keys(tree)).toContain("MIGRATION.md");
      for (const [path, text] of Object.entries(tree)) for (const s of SECRETS) expect(text.includes(s), `${path} holds ${s}`).toBe(false);
      for (const s of SECRETS) expect(r.out + r.err).not.toContain(s);
      // over DATABASE_URL: the secret part not shown, the rest said with the template's lines
      const prod = tree["k8s/overlays/production/secrets.env.example"]!;
      expect(prod).toContain(`# Stage production: config/database.yml, section "production": the servers used database not shown (a secret value) on host "pg.kiln.internal" as user "kiln_app" (from ${TEMPLATE}:3, 4, 5).`);
      expect(tree["k8s/overlays/staging/secrets.env.example"]).toContain(`# Stage staging: config/database.yml, section "staging": the servers used database not shown (a secret value) on host "pg.kiln.internal"`);
      expect(tree["MIGRATION.md"]).toContain("stage production: `config/database.yml`, section `production`: the servers used database not shown (a secret value) on host `pg.kiln.internal` as user `kiln_app`");
      expect(tree["MIGRATION.md"]).toContain("stage staging: `config/database.yml`, section `staging`: the servers used database not shown (a secret value)");
      for (const st of ["production", "staging"]) {
        const k = spawnSync("kubectl", ["kustomize", join(dir, "k8s/overlays", st)], { encoding: "utf8" });
        expect(k.status, k.stderr).toBe(0);
      }
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  it("analyze and analyze --json hold no password and do not show the value", async () => {
    const dir = writeApp(kiln());
    try {
      const text = await run(["analyze", dir]);
      const json = await run(["analyze", "--json", dir]);
      expect(text.code, text.err).toBe(0);
      expect(json.code, json.err).toBe(0);
      for (const s of SECRETS) expect(text.out + text.err + json.out + json.err).not.toContain(s);
      const dbs = JSON.parse(json.out).rails.serversDatabases;
      expect(dbs.map((d: any) => [d.stage, d.database.source, d.host.value])).toEqual([
        ["production", { file: TEMPLATE, line: 3 }, "pg.kiln.internal"],
        ["staging", { file: TEMPLATE, line: 3 }, "pg.kiln.internal"],
      ]);
      for (const d of dbs) expect(d.database.value).toEqual({ unknown: "secret value (not shown)" });
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
