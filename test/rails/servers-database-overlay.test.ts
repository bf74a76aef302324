// What each stage's servers' database config named (a template the deploy renders into shared/ and
// links) is carried into that stage's overlay, beside DATABASE_URL in secrets.env and its example, and
// into MIGRATION.md: database, host and user with their template lines, never the password, each value
// through the target file's encoder. Oracles: real `cap <stage> <task> --dry-run` (Debian's capistrano
// 3, upload! captured) read back with Psych; real Ruby ERB for a Capistrano 2 recipe's template
// (Capistrano 2 is not installable); `kubectl kustomize` on the emitted overlays. App "kiln" (written here).
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { mdCode } from "../../emitters/encode/markdown.js";

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initPrism();
});

/** Real cap's rendering of the upload to `dest` on `stage`, parsed by Psych. */
function capRendered(files: Record<string, string>, stage: string, task: string, dest: string): any {
  const dir = mkdtempSync(join(tmpdir(), "r2k-db-overlay-"));
  try {
    for (const [f, text] of Object.entries(files)) mkdirSync(dirname(join(dir, "app", f)), { recursive: true }), writeFileSync(join(dir, "app", f), text);
    appendFileSync(join(dir, "app/Capfile"), `\nload ${JSON.stringify(join(here, "../appserver/capture_uploads.rb"))}\n`);
    const out = join(dir, "uploads");
    const r = spawnSync("cap", [stage, task, "--dry-run"], { cwd: join(dir, "app"), encoding: "utf8", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", R2K_UPLOADS: out } });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const f = join(out, dest.replace(/\//g, "__"));
    expect(existsSync(f), readdirSync(out).join(",")).toBe(true);
    const y = spawnSync("ruby", ["-ryaml", "-rjson", "-e", "puts JSON.generate(YAML.safe_load(File.read(ARGV[0])))", f], { encoding: "utf8" });
    expect(y.status, y.stderr).toBe(0);
    return JSON.parse(y.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function kiln(): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "erb"\nrequire "stringio"\nDir.glob("lib/capistrano/tasks/*.rb").each { |r| import r }\n',
    "config/deploy.rb": [
      'lock "3.4.0"',
      'set :application, "kiln"',
      'set :repo_url, "git@git.example.test:pottery/kiln.git"',
      'set :deploy_to, "/srv/kiln"',
      "set :linked_files, %w{config/database.yml}",
      'set :pg_name, -> { "kiln_#{fetch(:stage)}" }',
      "",
    ].join("\n"),
    "config/deploy/production.rb": 'set :rails_env, "production"\nset :pg_host, "pg-main.kiln.internal"\nset :pg_user, "kiln_app"\nserver "kiln1.example.test", user: "deploy", roles: %w{web app db}\n',
    // staging's user comes from the deploying machine's environment: not known statically
    "config/deploy/staging.rb": 'set :rails_env, "staging"\nset :pg_host, "pg-stg.kiln.internal"\nset :pg_user, ENV["KILN_PG_USER"]\nserver "kiln-stg.example.test", user: "deploy", roles: %w{web app db}\n',
    "lib/capistrano/tasks/helpers.rb": 'def template(from, to)\n  text = ERB.new(File.read(File.expand_path("../../templates/#{from}", __FILE__))).result(binding)\n  upload! StringIO.new(text), to\nend\n',
    "lib/capistrano/tasks/pg.rb": 'namespace :pg do\n  task :config do\n    on roles(:app) do\n      template "database.yml.erb", "#{shared_path}/config/database.yml"\n    end\n  end\nend\n',
    "lib/capistrano/templates/database.yml.erb": [
      "<%= fetch(:rails_env) %>:",
      "  adapter: postgresql",
      "  database: <%= fetch(:pg_name) %>",
      "  host: <%= fetch(:pg_host) %>",
      "  username: <%= fetch(:pg_user) %>",
      "  password: <%= fetch(:pg_password) %>",
      "",
    ].join("\n"),
    // the developer's copy: another database on the laptop
    "config/database.yml": "development:\n  adapter: postgresql\n  database: kiln_dev\nproduction:\n  adapter: postgresql\n  database: kiln\n",
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (1.1.4)\n    rails (5.2.8)\n    unicorn (5.5.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  pg\n  rails\n  unicorn\n",
  };
}

const TEMPLATE = "lib/capistrano/templates/database.yml.erb";
/** The line over DATABASE_URL in an env file, for one stage. */
const overDatabaseUrl = (content: string, stage: string) => content.split("\n").find((l) => l.startsWith(`# Stage ${stage}: config/database.yml`)) ?? "";

describe("the servers' rendered database.yml, carried into each overlay", () => {
  it("secrets.env and its example say, over DATABASE_URL, the database, host and user real cap renders for that stage, cited at the template; never the password", async () => {
    const files = kiln();
    files["config/deploy/production.rb"] += 'set :pg_password, "s3cr3t-never-shown"\n';
    const m = await analyzeFiles(memoryRepo(files), "kiln");
    const k = emitKustomize(m, {} as any);
    const prod = capRendered(files, "production", "pg:config", "/srv/kiln/shared/config/database.yml").production;
    const stg = capRendered(files, "staging", "pg:config", "/srv/kiln/shared/config/database.yml").staging;
    expect(prod.database).toBe("kiln_production");
    expect(stg.username ?? null).toBe(null); // real cap, KILN_PG_USER unset here: whatever the deploying machine had
    for (const name of ["secrets.env", "secrets.env.example"]) {
      const p = k.files.find((f) => f.path === `k8s/overlays/production/${name}`)!.content;
      const line = overDatabaseUrl(p, "production");
      expect(line).toBe(`# Stage production: config/database.yml, section "production": the servers used database ${JSON.stringify(prod.database)} on host ${JSON.stringify(prod.host)} as user ${JSON.stringify(prod.username)} (from ${TEMPLATE}:3, 4, 5). Fill DATABASE_URL with that database (the password from a server's shared/config/database.yml).`);
      // the comment sits right over the DATABASE_URL line
      const lines = p.split("\n");
      expect(lines[lines.indexOf(line) + 1]).toBe("# DATABASE_URL=");
      const s = k.files.find((f) => f.path === `k8s/overlays/staging/${name}`)!.content;
      // staging's user is the deploying machine's: named unknown, not guessed
      expect(overDatabaseUrl(s, "staging")).toContain(`database ${JSON.stringify(stg.database)} on host ${JSON.stringify(stg.host)} as user unknown (not known statically) (from ${TEMPLATE}:3, 4, 5)`);
      expect(p + s).not.toContain("s3cr3t");
      expect(p + s).not.toMatch(/database\.yml\.erb:6/);
    }
    const guide = emitMigrationGuide(m, {} as any, [{ name: "kustomize", result: k }]).content;
    expect(guide).toContain(`stage production: ${mdCode("config/database.yml")}, section ${mdCode("production")}: the servers used database ${mdCode(prod.database)} on host ${mdCode(prod.host)} as user ${mdCode(prod.username)}`);
    expect(guide).not.toContain("s3cr3t");
    // the overlays still build
    const dir = mkdtempSync(join(tmpdir(), "r2k-db-overlay-k-"));
    try {
      for (const f of k.files) mkdirSync(dirname(join(dir, f.path)), { recursive: true }), writeFileSync(join(dir, f.path), f.content);
      for (const st of ["production", "staging"]) {
        const r = spawnSync("kubectl", ["kustomize", join(dir, "k8s/overlays", st)], { encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A Capistrano 2 multistage app whose recipe renders `<%= stage %>:` as the section key (app "loom"). */
function loom(stageFile: string): Record<string, string> {
  return {
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": "require 'capistrano/ext/multistage'\nload 'config/recipes/db'\nset :stages, %w(production staging)\nset :application, 'loom'\nset :repository, 'git@git.example.test:weave/loom.git'\nset :deploy_to, '/home/loom/app'\nset :db_host, 'db.loom.internal'\n",
    "config/recipes/db.rb": "set_default(:db_name) { \"#{application}_#{stage}\" }\nnamespace :db do\n  task :setup, roles: :app do\n    template 'db.yml', \"#{shared_path}/config/database.yml\"\n  end\n  after 'deploy:setup', 'db:setup'\n  task :symlink, roles: :app do\n    run \"ln -nfs #{shared_path}/config/database.yml #{release_path}/config/database.yml\"\n  end\n  after 'deploy:finalize_update', 'db:symlink'\nend\n",
    "config/recipes/templates/db.yml.erb": "<%= stage %>:\n  adapter: postgresql\n  database: <%= db_name %>\n  username: <%= application %>\n  host: <%= db_host %>\n",
    "config/deploy/production.rb": "server 'loom1.example.test', :web, :app, :db, primary: true\n",
    "config/deploy/staging.rb": stageFile,
    "config/database.yml": "development:\n  adapter: sqlite3\n  database: db/development.sqlite3\n",
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (0.17.1)\n    rails (3.2.22)\n    unicorn (4.8.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  pg\n  rails\n  unicorn\n",
  };
}

/** Real Ruby ERB of the template with the stage's values (Capistrano 2 runs it with the configuration as binding), parsed by Psych. */
function rubyRendered(template: string, vars: Record<string, string>): any {
  const script = "require 'erb'; require 'yaml'; require 'json'; v = JSON.parse(ARGV[1]); b = binding; v.each { |k, x| b.local_variable_set(k.to_sym, x) }; puts JSON.generate(YAML.safe_load(ERB.new(ARGV[0]).result(b)))";
  const r = spawnSync("ruby", ["-e", script, template, JSON.stringify(vars)], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("a Capistrano 2 stage that renders its own section while its rails_env is Capistrano 2's default", () => {
  it("is hazard database.section-env on that stage, at the section's line: the servers may have read the production section", async () => {
    const files = loom("server 'loom-stg.example.test', :web, :app, :db, primary: true\n");
    const real = rubyRendered(files["config/recipes/templates/db.yml.erb"]!, { stage: "staging", application: "loom", db_name: "loom_staging", db_host: "db.loom.internal" });
    expect(Object.keys(real)).toEqual(["staging"]); // no production section on staging's servers
    const m = await analyzeFiles(memoryRepo(files), "loom");
    // Capistrano 2's default (lib/capistrano/recipes/deploy.rb `_cset :rails_env, "production"`) is kept,
    // labelled; with nothing else saying which env the app ran, the stage's name stands in and the
    // default is the doubt (audit s24b B3).
    expect(m.stages.find((s) => s.name === "staging")!.variables["rails_env"]).toMatchObject({ value: "production", defaultOf: "Capistrano 2" });
    expect(m.hazards.filter((x) => x.id === "stage.rails-env-cap2-default").map((x) => x.message.split(" from ")[0])).toEqual(["stage staging runs RAILS_ENV=staging"]);
    const h = m.hazards.filter((x) => x.id === "database.section-env");
    expect(h.map((x) => `${x.source.file}:${x.source.line}`)).toEqual(["config/recipes/templates/db.yml.erb:1"]);
    expect(h[0]!.message).toContain(`stage staging: the servers' config/database.yml is shown from its staging section (database ${JSON.stringify(real.staging.database)} on host ${JSON.stringify(real.staging.host)} as user ${JSON.stringify(real.staging.username)}`);
    expect(h[0]!.message).toContain("renders no production section");
    // the overlay's DATABASE_URL comment says so too: the staging section is what the file certainly
    // renders, not what "the servers used"; the production section is the hazard (audit s23 F15)
    const k = emitKustomize(m, {} as any);
    const line = overDatabaseUrl(k.files.find((f) => f.path === "k8s/overlays/staging/secrets.env.example")!.content, "staging");
    expect(line).toContain(`# Stage staging: config/database.yml: the servers' copy certainly renders section "staging", with database ${JSON.stringify(real.staging.database)} on host ${JSON.stringify(real.staging.host)} as user ${JSON.stringify(real.staging.username)} (from config/recipes/templates/db.yml.erb:3, 5, 4); which section their Rails read is not certain (hazard database.section-env): stage staging sets no rails_env, and Capistrano 2's is "production"`);
    expect(line).toContain(`it renders no "production" section, so a Rails running "production" there would not have booted with it. Fill DATABASE_URL with the database of the section a server's RAILS_ENV names`);
    expect(line).not.toContain("the servers used");
  });

  it("with a production section in the file too: neither section is said to be the one the servers used, both are shown, the production one as the hazard", async () => {
    const files = loom("server 'loom-stg.example.test', :web, :app, :db, primary: true\n");
    // a template with a fixed section per environment, rendered per stage
    files["config/recipes/templates/db.yml.erb"] = "production:\n  adapter: postgresql\n  database: <%= application %>_main\n  host: <%= db_host %>\nstaging:\n  adapter: postgresql\n  database: <%= db_name %>\n  host: <%= db_host %>\n";
    const real = rubyRendered(files["config/recipes/templates/db.yml.erb"]!, { stage: "staging", application: "loom", db_name: "loom_staging", db_host: "db.loom.internal" });
    expect(Object.keys(real)).toEqual(["production", "staging"]);
    const m = await analyzeFiles(memoryRepo(files), "loom");
    expect(m.hazards.filter((x) => x.id === "database.section-env").map((x) => `${x.source.file}:${x.source.line}`)).toEqual(["config/recipes/templates/db.yml.erb:5"]);
    const k = emitKustomize(m, {} as any);
    const line = overDatabaseUrl(k.files.find((f) => f.path === "k8s/overlays/staging/secrets.env.example")!.content, "staging");
    expect(line).toContain(`the servers' copy certainly renders section "staging", with database ${JSON.stringify(real.staging.database)} on host ${JSON.stringify(real.staging.host)} as user not set`);
    expect(line).toContain(`which section their Rails read is not certain (hazard database.section-env)`);
    expect(line).toContain(`if they ran "production", they read its "production" section: database ${JSON.stringify(real.production.database)} on host ${JSON.stringify(real.production.host)} as user not set`);
    expect(line).toContain("Fill DATABASE_URL with the database of the section a server's RAILS_ENV names");
    expect(line).not.toContain("the servers used");
    const guide = emitMigrationGuide(m, {} as any, [{ name: "kustomize", result: k }]).content;
    expect(guide).toContain(`stage staging: ${mdCode("config/database.yml")}: the servers' copy certainly renders section ${mdCode("staging")}, with database ${mdCode(real.staging.database)}`);
    expect(guide).toContain(`if they ran ${mdCode("production")}, they read its ${mdCode("production")} section: database ${mdCode(real.production.database)}`);
    // production's own stage is Capistrano 2's default: said as used, no hazard
    expect(overDatabaseUrl(k.files.find((f) => f.path === "k8s/overlays/production/secrets.env.example")!.content, "production")).toContain(`config/database.yml, section "production": the servers used database "loom_main"`);
  });

  it("is no hazard once the stage sets its rails_env", async () => {
    const m = await analyzeFiles(memoryRepo(loom("set :rails_env, 'staging'\nserver 'loom-stg.example.test', :web, :app, :db, primary: true\n")), "loom");
    expect(m.hazards.filter((x) => x.id === "database.section-env")).toEqual([]);
  });
});
