// An app on Mongoid has no DATABASE_URL: its config/mongoid.yml decides which MongoDB each stage
// reaches. The ENV names its ERB reads for the stage's Rails environment become that overlay's secret
// placeholders (left empty, a default never prefilled), said in secrets.env.example and MIGRATION.md
// as to fill in, never guessed; a host or database written in the file is said with file:line and its
// password cut; a mongoid.yml only the servers had is named as the gap. Mongoid 5+ reads `clients`,
// 3/4 `sessions` (mongoid lib/mongoid/config.rb load_configuration). The real CLI entry (main) on a
// Capistrano 3 app ("tannery", written here); the overlays build with the real `kubectl kustomize`;
// the file's values per section are the ones real Ruby (ERB, then Psych) gives.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { expectHeldNowhere as expectNoSecret, runCli, writeApp, written } from "../written-files.js";

const ARCHIVE_PW = "Hid3sAndTann1n";
// a default whose shape says nothing: only its key (`password:`) and name (`_PW`) say it is secret
const LEDGER_PW = "curing vat";

const MONGOID_7 = [
  "development:",
  "  clients:",
  "    default:",
  "      database: tannery_dev",
  "      hosts:",
  "        - localhost:27017",
  "staging:",
  "  clients:",
  "    default:",
  "      database: <%= ENV.fetch('TANNERY_MONGO_DATABASE', 'tannery_staging') %>",
  "      hosts:",
  "        - <%= ENV['TANNERY_MONGO_HOST'] %>:27017",
  "production:",
  "  clients:",
  "    default:",
  "      uri: <%= ENV['TANNERY_MONGO_URI'] %>",
  "    archive:",
  "      database: tannery_archive",
  "      hosts:",
  `        - hideman:${ARCHIVE_PW}@mongo-arch.tannery.internal:27017`,
  "    ledger:",
  "      database: tannery_ledger",
  "      hosts:",
  "        - ledger.tannery.internal:27017",
  "      options:",
  `        password: <%= ENV.fetch('TANNERY_LEDGER_PW', '${LEDGER_PW}') %>`,
  "",
].join("\n");

function tannery(opts: { mongoid?: string | null; lock?: string; linked?: boolean } = {}): Record<string, string> {
  const files: Record<string, string> = {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": `lock "3.11.0"\nset :application, "tannery"\nset :repo_url, "git@git.example.test:leather/tannery.git"\nset :deploy_to, "/srv/tannery"\n${opts.linked ? "set :linked_files, %w{config/mongoid.yml}\n" : ""}`,
    "config/deploy/production.rb": 'set :rails_env, "production"\nserver "tan1.example.test", user: "deploy", roles: %w{web app db}\n',
    "config/deploy/staging.rb": 'set :rails_env, "staging"\nserver "tan-stg.example.test", user: "deploy", roles: %w{web app db}\n',
    ".rails2k8s.yml": "# rails2k8s answers\nweb.server: unicorn\n",
    "Gemfile.lock": `GEM\n  remote: https://rubygems.org/\n  specs:\n    mongoid (${opts.lock ?? "7.0.5"})\n    rails (5.2.8)\n    unicorn (5.5.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mongoid\n  rails\n  unicorn\n`,
  };
  if (opts.mongoid !== null) files["config/mongoid.yml"] = opts.mongoid ?? MONGOID_7;
  if (opts.linked && opts.mongoid === null) files[".gitignore"] = "/config/mongoid.yml\n";
  return files;
}

/** What real Ruby gives for `path` under each ENV name set to a marker of its own name. */
function rubyReads(text: string, env: string[]): unknown {
  const script = 'require "erb"; require "yaml"; require "json"; y = YAML.load(ERB.new(STDIN.read).result); puts JSON.generate(y)';
  const marks = Object.fromEntries(env.map((e) => [e, `<${e}>`]));
  const r = spawnSync("ruby", ["-e", script], { input: text, encoding: "utf8", env: { ...process.env, ...marks } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("config/mongoid.yml: which MongoDB each stage reaches", () => {
  it("the fixture's sections are what real Ruby reads: the ENV names land where the analysis says", () => {
    const y = rubyReads(MONGOID_7, ["TANNERY_MONGO_URI", "TANNERY_MONGO_DATABASE", "TANNERY_MONGO_HOST"]) as any;
    expect(y.production.clients.default.uri).toBe("<TANNERY_MONGO_URI>");
    expect(y.staging.clients.default).toEqual({ database: "<TANNERY_MONGO_DATABASE>", hosts: ["<TANNERY_MONGO_HOST>:27017"] });
    expect(y.production.clients.archive.hosts[0]).toContain("@mongo-arch.tannery.internal:27017");
  });

  it("each overlay gets its stage's ENV names as empty secret placeholders, said as never guessed; the written host is cited without its password", async () => {
    const files = tannery();
    const dir = writeApp(files, "r2k-mongoid-", "tannery");
    try {
      const r = await runCli(["migrate", "--yes", dir]);
      expect(r.code, r.err + r.out).toBe(0);
      const tree = written(dir, new Set(Object.keys(files)));
      const a = await runCli(["analyze", dir]);
      const j = await runCli(["analyze", "--json", dir]);
      expectNoSecret(tree, r.out + r.err + a.out + a.err + j.out + j.err, [ARCHIVE_PW, LEDGER_PW]);
      const prod = tree["k8s/overlays/production/secrets.env.example"]!;
      const stg = tree["k8s/overlays/staging/secrets.env.example"]!;
      expect(prod).toMatch(/^# TANNERY_MONGO_URI=$/m);
      expect(prod).not.toContain("TANNERY_MONGO_HOST");
      expect(stg).toMatch(/^# TANNERY_MONGO_DATABASE=$/m);
      expect(stg).toMatch(/^# TANNERY_MONGO_HOST=$/m);
      expect(stg).not.toContain("TANNERY_MONGO_URI");
      // the default is said, never prefilled: a filled line would look decided
      expect(tree["k8s/overlays/staging/secrets.env"]).toMatch(/^# TANNERY_MONGO_DATABASE=$/m);
      expect(stg).toContain('the app falls back to "tannery_staging", which may not be what the servers had');
      expect(stg).toContain('hosts read from ENV "TANNERY_MONGO_HOST" (config/mongoid.yml:12)');
      for (const st of ["production", "staging"]) expect(tree[`k8s/overlays/${st}/config.env`]).not.toContain("TANNERY_MONGO");
      // the client written in the file, its password cut, at its line
      expect(prod).toContain('client "clients.archive": database "tannery_archive" written in the file (config/mongoid.yml:18), hosts "hideman@mongo-arch.tannery.internal:27017" (password not shown) written in the file (config/mongoid.yml:19)');
      const guide = tree["MIGRATION.md"]!;
      expect(guide).toContain("stage production: `config/mongoid.yml`, section `production`: client `clients.default`: uri read from ENV `TANNERY_MONGO_URI` (`config/mongoid.yml:16`)");
      expect(guide).toContain("(`TANNERY_MONGO_DATABASE`, `TANNERY_MONGO_HOST` in `k8s/overlays/staging/secrets.env`: to fill in from that stage's servers, never guessed)");
      expect(a.out).toMatch(/database\.mongoid: stage production \(Rails env production\): .*mongoid 7\.0\.5/);
      for (const st of ["production", "staging"]) {
        const k = spawnSync("kubectl", ["kustomize", join(dir, "k8s/overlays", st)], { encoding: "utf8" });
        expect(k.status, k.stderr).toBe(0);
      }
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  it("Mongoid 3/4 reads `sessions`: its ENV names are the placeholders, and a `clients` key it ignores is not", async () => {
    const text = ["production:", "  sessions:", "    default:", "      database: tannery", "      hosts:", "        - <%= ENV['TANNERY_MOPED_HOST'] %>", "  clients:", "    default:", "      uri: <%= ENV['TANNERY_NEVER_READ'] %>", ""].join("\n");
    const files = tannery({ mongoid: text, lock: "4.0.2" });
    const dir = writeApp(files, "r2k-mongoid-", "tannery");
    try {
      const r = await runCli(["migrate", "--yes", dir]);
      expect(r.code, r.err + r.out).toBe(0);
      const tree = written(dir, new Set(Object.keys(files)));
      const prod = tree["k8s/overlays/production/secrets.env.example"]!;
      expect(prod).toMatch(/^# TANNERY_MOPED_HOST=$/m);
      expect(prod).not.toContain("TANNERY_NEVER_READ");
      expect(prod).toContain('client "sessions.default": hosts read from ENV "TANNERY_MOPED_HOST" (config/mongoid.yml:6), database "tannery" written in the file (config/mongoid.yml:4)');
      // staging runs an environment the file has no section for: named, not passed over
      const a = await runCli(["analyze", dir]);
      expect(a.out).toContain("database.mongoid: stage staging (Rails env staging): Mongoid finds no client to connect with: config/mongoid.yml has no staging section");
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  it("Mongoid 2 reads the section's own keys: its uri's ENV name is the placeholder, its written host cited", async () => {
    const text = ["production:", "  uri: <%= ENV['TANNERY_MONGOHQ_URL'] %>", "staging:", "  host: mongo-stg.tannery.internal", "  database: tannery_staging", ""].join("\n");
    const files = tannery({ mongoid: text, lock: "2.4.12" });
    const dir = writeApp(files, "r2k-mongoid-", "tannery");
    try {
      const r = await runCli(["migrate", "--yes", dir]);
      expect(r.code, r.err + r.out).toBe(0);
      const tree = written(dir, new Set(Object.keys(files)));
      expect(tree["k8s/overlays/production/secrets.env.example"]).toMatch(/^# TANNERY_MONGOHQ_URL=$/m);
      expect(tree["MIGRATION.md"]).toContain("stage staging: `config/mongoid.yml`, section `staging`: database `tannery_staging` written in the file (`config/mongoid.yml:5`), host `mongo-stg.tannery.internal` written in the file (`config/mongoid.yml:4`)");
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  it("a mongoid.yml only the servers had (linked, git-ignored) is the gap: which MongoDB each stage used is not known", async () => {
    const files = tannery({ mongoid: null, linked: true });
    const dir = writeApp(files, "r2k-mongoid-", "tannery");
    try {
      const a = await runCli(["analyze", dir]);
      expect(a.code, a.err).toBe(0);
      expect(a.out).toContain("database.mongoid-servers-only: config/mongoid.yml is a linked file (stages production, staging) that the repo does not hold and nothing in the repo writes: which MongoDB (hosts, database, user) each stage's servers connected to is written only in their shared/config/mongoid.yml");
      expect(a.out).not.toContain("files.server-only: config/mongoid.yml");
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
