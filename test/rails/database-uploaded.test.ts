// A deploy task that uploads the repo's own config/database.yml to a shared/ file the release links
// as config/database.yml (`upload! "config/database.yml", "#{deploy_to}/shared/database.yml"`, then
// `ln -nfs #{deploy_to}/shared/database.yml #{current_path}/config/database.yml`): the servers
// connected with the repo's file, not a copy placed by hand, and the link's source is
// shared/database.yml, not shared/config/database.yml. Judged by real Capistrano: a dry run with
// the uploads captured (test/appserver/capture_uploads.rb) and the ln line it prints.
import { describe, expect, it, beforeAll } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { memoryRepo } from "../../src/repo.js";
import { analyzeFiles } from "../../src/analyze.js";

const here = dirname(fileURLToPath(import.meta.url));
beforeAll(async () => {
  await initPrism();
});

const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "pg"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (1.4.5)\n    rails (6.1.7)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  pg\n  rails\n",
  "config/database.yml": "production:\n  adapter: postgresql\n  host: localhost\n  database: kettle_live\n  pool: 12\n  password: <%= ENV['KETTLE_DB_PASSWORD'] %>\n",
  "config/deploy/production.rb": 'server "kettle1.example.org", user: "deploy", roles: %w[app web db]\n',
  "config/deploy.rb": [
    'lock "~> 3.17"',
    'set :application, "kettle"',
    'set :repo_url, "git@git.example.org:ops/kettle.git"',
    'set :deploy_to, "/srv/kettle"',
    "namespace :deploy do",
    "  task :push_configs do",
    "    on roles(:app) do",
    '      upload! "config/database.yml", "#{deploy_to}/shared/database.yml"',
    "    end",
    "  end",
    "  task :link_configs do",
    "    on roles(:app) do",
    '      execute "ln -nfs #{deploy_to}/shared/database.yml #{current_path}/config/database.yml"',
    "    end",
    "  end",
    '  after "deploy:published", "deploy:link_configs"',
    "end",
    "",
  ].join("\n"),
};

/** Real `cap production <tasks> --dry-run`: what each upload! wrote, by destination, and the printed commands. */
function capRun(tasks: string[]): { uploads: Map<string, string>; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "r2k-kettle-"));
  for (const [f, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(dir, "app", f)), { recursive: true });
    writeFileSync(join(dir, "app", f), text);
  }
  appendFileSync(join(dir, "app/Capfile"), `\nload ${JSON.stringify(join(here, "../appserver/capture_uploads.rb"))}\n`);
  const store = join(dir, "uploads");
  const r = spawnSync("cap", ["production", ...tasks, "--dry-run"], { cwd: join(dir, "app"), encoding: "utf8", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", R2K_UPLOADS: store } });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  const uploads = new Map<string, string>();
  if (existsSync(store)) for (const f of readdirSync(store)) uploads.set(f.replace(/__/g, "/"), readFileSync(join(store, f), "utf8"));
  return { uploads, out: r.stdout + r.stderr };
}

describe("the repo's database.yml uploaded to the shared/ file the release links", () => {
  it("is the servers' copy, cited from the repo file, at the shared path the ln names", async () => {
    const real = capRun(["deploy:push_configs", "deploy:link_configs"]);
    expect(real.uploads.get("/srv/kettle/shared/database.yml")).toBe(FILES["config/database.yml"]);
    expect(real.out).toMatch(/ln -nfs \/srv\/kettle\/shared\/database\.yml \/srv\/kettle\/current\/config\/database\.yml/);

    const m = await analyzeFiles(memoryRepo(FILES), "kettle");
    const l = m.linked.find((x) => x.path === "config/database.yml");
    expect(l?.shared).toBe("database.yml");
    expect(m.rails.database?.serversCopy).toMatchObject({ fromRepo: [{ stage: "production", file: "config/database.yml" }], shared: "database.yml", uploadedBy: { task: "deploy:push_configs", byHand: true }, writes: [{ file: "config/deploy.rb", line: 8 }] });
    const w = m.problems.find((p) => p.message.startsWith("database.servers-copy"))!;
    expect([w.file, w.line]).toEqual(["config/deploy.rb", 13]);
    expect(w.message).toContain("shared/database.yml");
    expect(w.message).not.toContain("shared/config/database.yml");
    expect(w.message).not.toContain("placed on the servers by hand");
    expect(w.message).toContain("task deploy:push_configs uploads the repo's own config/database.yml there (config/deploy.rb:8; no hook of the deploy runs it");
    expect(w.message).toContain('database "kettle_live" (config/database.yml:4)');
    expect(w.message).toContain('host "localhost" (config/database.yml:3)');
    expect(w.message).toContain("a database on the server itself");
    expect(w.message).not.toMatch(/KETTLE_DB_PASSWORD|password "/);
  });

  it("an upload to shared/config/database.yml is not the link's file when the ln names shared/database.yml", async () => {
    const other = { ...FILES, "config/deploy.rb": FILES["config/deploy.rb"]!.replace('"#{deploy_to}/shared/database.yml"', '"#{shared_path}/config/database.yml"') };
    const m = await analyzeFiles(memoryRepo(other), "kettle");
    const w = m.problems.find((p) => p.message.startsWith("database.servers-copy"))!;
    expect(w.message).toContain("nothing in the repo writes shared/database.yml: it was placed on the servers by hand");
    expect(m.rails.database?.serversCopy?.fromRepo).toBeUndefined();
  });
});
