// A database config the deploy renders from a template into shared/ and links over the release:
// the servers connected with that rendering, not the repo's copy. Judged by real `cap <stage>
// <task> --dry-run` (Debian's capistrano 3) capturing what upload! would have written, read back
// with Ruby's YAML. App "orchard" (written here): Mongoid, a repo-level `template` helper, and
// `set :rails_env, :production` (a Symbol, which ERB writes as its name in the section key).
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initPrism();
});

/** Real cap's rendering of each upload of `task` on `stage`, parsed by Psych: destination → document. */
function capRendered(files: Record<string, string>, stage: string, task: string): Map<string, any> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-db-render-"));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, "app", f)), { recursive: true });
    writeFileSync(join(dir, "app", f), text);
  }
  appendFileSync(join(dir, "app/Capfile"), `\nload ${JSON.stringify(join(here, "../appserver/capture_uploads.rb"))}\n`);
  const out = join(dir, "uploads");
  const r = spawnSync("cap", [stage, task, "--dry-run"], { cwd: join(dir, "app"), encoding: "utf8", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", R2K_UPLOADS: out } });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  const docs = new Map<string, any>();
  if (!existsSync(out)) return docs;
  for (const f of readdirSync(out)) {
    const y = spawnSync("ruby", ["-ryaml", "-rjson", "-e", "puts JSON.generate(YAML.safe_load(File.read(ARGV[0])))", join(out, f)], { encoding: "utf8" });
    expect(y.status, y.stderr).toBe(0);
    docs.set(f.replace(/__/g, "/"), JSON.parse(y.stdout));
  }
  return docs;
}

const HELPER = [
  "# renders lib/capistrano/templates/<from> with this binding and uploads it",
  "def template(from, to)",
  '  text = ERB.new(File.read(File.expand_path("../../templates/#{from}", __FILE__))).result(binding)',
  "  upload! StringIO.new(text), to",
  "end",
  "",
].join("\n");

function orchard(): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "erb"\nrequire "stringio"\nDir.glob("lib/capistrano/tasks/*.rb").each { |r| import r }\n',
    "config/deploy.rb": [
      'lock "3.4.0"',
      'set :application, "orchard"',
      'set :repo_url, "git@git.example.test:fruit/orchard.git"',
      'set :deploy_to, "/srv/orchard"',
      "set :linked_files, %w{config/mongoid.yml}",
      'set :mongo_database, "orchard_live"',
      'set :mongo_hosts, %w[mongo-a.internal:27017]',
      "",
    ].join("\n"),
    "config/deploy/production.rb": 'set :rails_env, :production\nserver "orchard1.example.test", user: "deploy", roles: %w{web app db}\n',
    "lib/capistrano/tasks/helpers.rb": HELPER,
    "lib/capistrano/tasks/mongo.rb": 'namespace :mongo do\n  task :config do\n    on roles(:app) do\n      template "mongoid.yml.erb", "#{shared_path}/config/mongoid.yml"\n    end\n  end\nend\n',
    "lib/capistrano/templates/mongoid.yml.erb": [
      "<%= fetch(:rails_env) %>:",
      "  sessions:",
      "    default:",
      "      database: <%= fetch(:mongo_database) %>",
      "      hosts:",
      "<% fetch(:mongo_hosts).each do |h| %>",
      "        - <%= h %>",
      "<% end %>",
      "",
    ].join("\n"),
    // the developer's copy, with another database name
    "config/mongoid.yml": "development:\n  sessions:\n    default:\n      database: orchard_dev\n      hosts:\n        - localhost:27017\nproduction:\n  sessions:\n    default:\n      database: orchard_prod\n      hosts:\n        - localhost:27017\n",
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    mongoid (4.0.2)\n    rails (4.1.16)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mongoid\n  rails\n",
  };
}

describe("a mongoid.yml the deploy renders into shared/ and links", () => {
  it("is said per stage as real cap renders it, cited at the template, with where it differs from the repo's copy", async () => {
    const files = orchard();
    const docs = capRendered(files, "production", "mongo:config");
    const real = docs.get("/srv/orchard/shared/config/mongoid.yml")!;
    const database = real.production.sessions.default.database;
    expect(database).toBe("orchard_live");
    const m = await analyzeFiles(memoryRepo(files), "orchard");
    const w = m.problems.find((p) => p.message.startsWith("database.servers-copy: config/mongoid.yml"))!;
    expect(w.file).toBe("config/deploy.rb");
    expect(w.line).toBe(5);
    expect(w.message).toContain(`stage production: sessions.default.database ${JSON.stringify(database)} (lib/capistrano/templates/mongoid.yml.erb:4)`);
    expect(w.message).toContain(`sessions.default.database is ${JSON.stringify(database)} on the servers (lib/capistrano/templates/mongoid.yml.erb:4) but "orchard_prod" in the repo's copy (config/mongoid.yml:10)`);
    // the hosts come from a loop: not guessed
    expect(w.message).toContain("sessions.default.hosts not known statically");
  });
});

describe("a database.yml rendered by the deploy where the repo keeps only an example", () => {
  it("each stage's rendered database and host are said, as real cap renders them", async () => {
    const files = orchard();
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace("config/mongoid.yml", "config/database.yml").replace('"orchard_live"', '"orchard_#{fetch(:stage)}"');
    delete files["config/mongoid.yml"];
    files["config/database.yml.example"] = "production:\n  adapter: postgresql\n  database: orchard\n";
    files["config/deploy/staging.rb"] = 'set :rails_env, "staging"\nserver "orchard-stg.example.test", user: "deploy", roles: %w{web app db}\n';
    files["lib/capistrano/tasks/mongo.rb"] = 'namespace :pg do\n  task :config do\n    on roles(:app) do\n      template "pg.yml.erb", "#{shared_path}/config/database.yml"\n    end\n  end\nend\n';
    files["lib/capistrano/templates/pg.yml.erb"] = "<%= fetch(:rails_env) %>:\n  adapter: postgresql\n  database: <%= fetch(:mongo_database) %>\n  host: db.internal\n  password: <%= fetch(:pg_password) %>\n";
    files["Gemfile.lock"] = files["Gemfile.lock"]!.replace("    mongoid (4.0.2)\n", "    pg (0.18.4)\n").replace("  mongoid\n", "  pg\n");
    const m = await analyzeFiles(memoryRepo(files), "orchard");
    const w = m.problems.find((p) => p.message.startsWith("database.servers-copy: config/database.yml"))!;
    expect(w.message).toMatch(/the repo has none \(only config\/database\.yml\.example\)/);
    for (const stage of ["production", "staging"]) {
      const real = capRendered(files, stage, "pg:config").get("/srv/orchard/shared/config/database.yml")!;
      const section = real[stage];
      expect(w.message).toContain(`stage ${stage}: adapter "postgresql" (lib/capistrano/templates/pg.yml.erb:2), database ${JSON.stringify(section.database)} (lib/capistrano/templates/pg.yml.erb:3), host ${JSON.stringify(section.host)} (lib/capistrano/templates/pg.yml.erb:4)`);
    }
    // the password key is neither shown nor cited
    expect(w.message).not.toMatch(/password[ ":]+\(|pg\.yml\.erb:5/);
  });
});
