// Files the servers took from shared/ rather than from the checkout: a database.yml the deploy
// renders from a template and links, Figaro's application.yml linked in by hand, and a Capistrano 2
// recipe gem (simple-rails-deploy) that sets deploy_to and links its own list of paths. Capistrano 2
// cannot be installed here: its behaviour and the gem's defaults are cited from their sources.
import { describe, it, expect } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";

const CAPFILE2 = `load 'deploy'\nload 'config/deploy'\n`;
const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.split(" ")[0]}\n`).join("")}`;

describe("database.yml rendered by the deploy into shared/ and linked over the repo's copy", () => {
  const files = {
    Capfile: CAPFILE2,
    "Gemfile.lock": LOCK(["rails (4.2.11)", "pg (0.21.0)"]),
    "config/deploy.rb": [
      `set :application, "ledger"`,
      `set :rails_env, "production"`,
      `server "db1.example.org", :app, :web, :db, :primary => true`,
      `load "config/recipes/pg"`,
    ].join("\n"),
    "config/recipes/pg.rb": [
      `set_default(:pg_name) { "#{application}_#{rails_env}" }`,
      `set_default(:pg_secret) { Capistrano::CLI.password_prompt "Password: " }`,
      `namespace :pg do`,
      `  task :config, roles: :app do`,
      `    template "pg.yml.erb", "#{shared_path}/config/database.yml"`,
      `  end`,
      `  after "deploy:setup", "pg:config"`,
      `  task :link, roles: :app do`,
      `    run "ln -nfs #{shared_path}/config/database.yml #{release_path}/config/database.yml"`,
      `  end`,
      `  after "deploy:finalize_update", "pg:link"`,
      `end`,
    ].join("\n"),
    "config/recipes/templates/pg.yml.erb": `<%= rails_env %>:\n  adapter: postgresql\n  database: <%= pg_name %>\n  pool: 40\n  password: <%= pg_secret %>\n  host: localhost\n`,
    "config/database.yml": `development:\n  adapter: postgresql\n  database: laptop_dev\nproduction:\n  adapter: postgresql\n  database: laptop_prod\n  pool: 5\n`,
  };

  it("says the servers' copy is the template's rendering (per stage, cited) and never the repo's; DATABASE_URL per stage", async () => {
    const m = await analyzeFiles(memoryRepo(files), "ledger");
    expect(m.rails.database?.serversCopy?.templates).toEqual(["config/recipes/templates/pg.yml.erb"]);
    const w = m.problems.find((p) => p.message.startsWith("database.servers-copy"))!;
    expect(w.file).toBe("config/recipes/pg.rb");
    expect(w.message).toContain(`database "ledger_production" (config/recipes/templates/pg.yml.erb:3)`);
    expect(w.message).toContain(`pool 40 (config/recipes/templates/pg.yml.erb:4)`);
    expect(w.message).toContain("a database on the server itself");
    expect(w.message).not.toMatch(/password/);
    expect(m.hazards.map((h) => h.id)).toContain("database.servers-copy");
    // The repo's copy is not cited as what production connected with.
    expect(m.hazards.filter((h) => h.source.file === "config/database.yml")).toEqual([]);
    const k = emitKustomize(m, {} as any);
    const example = k.files.find((f) => f.path === "k8s/overlays/production/secrets.env.example")!;
    expect(example.content).toContain("DATABASE_URL=");
  });

  it("a linked database.yml that nothing in the repo writes: placed by hand, what it names is unknown", async () => {
    const m = await analyzeFiles(memoryRepo({ ...files, "config/recipes/pg.rb": `namespace :pg do\n  task :link do\n    run "ln -nfs #{shared_path}/config/database.yml #{release_path}/config/"\n  end\nend\nafter "deploy:finalize_update", "pg:link"\n` }), "ledger");
    const w = m.problems.find((p) => p.message.startsWith("database.servers-copy"))!;
    expect(w.message).toContain("placed on the servers by hand");
    expect(m.rails.database?.serversCopy?.writes).toEqual([]);
  });
});

describe("Figaro's application.yml linked from shared/ by hand", () => {
  it("is a linked file whose keys Figaro loaded: the ENV hazard names it, and migrate says to copy its keys", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: CAPFILE2,
        "Gemfile.lock": LOCK(["rails (4.2.11)", "figaro (1.1.1)"]),
        "config/deploy.rb": `set :application, "atlas"\nserver "w1.example.org", :app, :web, :db, :primary => true\nnamespace :deploy do\n  task :links do\n    run "ln -nfs #{shared_path}/config/application.yml #{release_path}/config/"\n  end\nend\nafter "deploy:update_code", "deploy:links"\n`,
        "config/application.rb": `module Atlas\n  class Application < Rails::Application\n    config.x.mail_host = ENV["mail_host"]\n  end\nend\n`,
        "config/application.sample.yml": "mail_host: mail.example.org\n",
      }),
      "atlas",
    );
    const l = m.linked.find((x) => x.path === "config/application.yml")!;
    expect([l.kind, l.serverOnly, l.example]).toEqual(["file", true, "config/application.sample.yml"]);
    expect(m.linked.some((x) => x.path === "config")).toBe(false);
    const h = m.hazards.find((x) => x.id === "env.from-servers")!;
    expect(h.message).toContain("mail_host");
    expect(h.message).toContain("Figaro loads config/application.yml");
    const k = emitKustomize(m, {} as any);
    expect(k.notes.some((n) => /config\/application\.yml lived only on the servers .* Figaro loads its keys into ENV/.test(n.message))).toBe(true);
  });
});

describe("simple-rails-deploy (Capistrano 2 recipe gem)", () => {
  const files = {
    Capfile: CAPFILE2,
    "config/deploy.rb": [
      `require 'simple-rails-deploy/common'`,
      `load 'deploy/unicorn'`,
      `set :application, "quill"`,
      `server "q1.example.org", :app, :web, :db, :primary => true`,
      `set :normal_symlinks, %w{config/database.yml tmp config/environments/production.rb}`,
    ].join("\n"),
    "config/environments/development.rb": "Rails.application.configure do\nend\n",
  };

  it("deploy_to is the gem's default, labelled so; normal_symlinks are linked; the missing production.rb is named", async () => {
    const m = await analyzeFiles(memoryRepo(files), "quill");
    const st = m.stages[0]!;
    expect(st.variables["deploy_to"]!.value).toBe("/home/quill/app/");
    expect(st.variables["deploy_to"]!.defaultOf).toBe("simple-rails-deploy");
    expect(m.linked.map((l) => [l.path, l.kind, l.source.line])).toEqual(
      expect.arrayContaining([
        ["config/database.yml", "file", 5],
        ["tmp", "dir", 5],
        ["config/environments/production.rb", "file", 5],
      ]),
    );
    expect(m.problems.some((p) => p.line === 1 && p.message.startsWith("capistrano.recipe-gem: simple-rails-deploy") && /deploy\/unicorn/.test(p.message))).toBe(true);
    expect(m.hazards.some((h) => h.id === "files.server-only" && h.message.startsWith("config/environments/production.rb"))).toBe(true);
  });
});
