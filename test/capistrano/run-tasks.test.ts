// Which tasks a deploy runs, for the rule that a link in a task the deploy never runs is not the
// servers' file (analyzers/capistrano/run-tasks.ts). A doubt counts the task: taking the repo's own
// database.yml for production's is the worse error.
// Oracle: real `cap production deploy --dry-run` (Debian's capistrano 3.17), recording each Rake task
// it runs, as shared-copies-conditions.test.ts does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { blankStrings } from "../../analyzers/capistrano/run-tasks.js";
import { memoryRepo } from "../../src/repo.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";

const cleanup: string[] = [];
beforeAll(async () => {
  await initPrism();
});
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.split(" ")[0]}\n`).join("")}`;

function writeApp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-runtasks-"));
  cleanup.push(dir);
  for (const [p, c] of Object.entries(files)) mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), c);
  return dir;
}

/** Real cap: the Rake tasks `cap production deploy --dry-run` runs (each task recorded as Rake executes it). */
function tasksDeployRuns(files: Record<string, string>): string[] {
  const app = writeApp(files);
  const rec = mkdtempSync(join(tmpdir(), "r2k-runtasks-seen-"));
  cleanup.push(rec);
  writeFileSync(join(rec, "seen.rb"), 'task "r2k:seen" do\n  Rake::Task.tasks.each { |t| n = t.name; t.actions.unshift(proc { File.open(ENV.fetch("R2K_SEEN"), "a") { |f| f.puts n }; exit!(0) if n == "deploy:finished" }) }\n  invoke "deploy"\nend\n');
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(rec, "seen.rb"))}\n`);
  const seen = join(rec, "seen.txt");
  const r = spawnSync("cap", ["production", "r2k:seen", "--dry-run"], { cwd: app, encoding: "utf8", timeout: 120000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: rec, LANG: "C.UTF-8", R2K_SEEN: seen } });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  return readFileSync(seen, "utf8").split("\n").filter(Boolean);
}

const cap3 = (rake: string) => ({
  Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n`,
  "Gemfile.lock": LOCK(["rails (5.2.8)", "pg (1.4.5)", "capistrano (3.17.1)"]),
  "config/deploy/production.rb": `server "quill1.example.org", user: "deploy", roles: %w[app web db]\n`,
  "config/database.yml": `production:\n  adapter: postgresql\n  database: quill_laptop\n  host: localhost\n`,
  "config/deploy.rb": `set :application, "quill"\nset :repo_url, "git@example.org:quill.git"\nset :deploy_to, "/srv/quill"\n`,
  "lib/capistrano/tasks/links.rake": rake,
});
const ln = (f: string) => `      execute "ln -nfs #{shared_path}/config/${f} #{release_path}/config/${f}"`;
const linkTask = (name: string, f: string) => [`  task :${name} do`, `    on roles(:app) do`, ln(f), `    end`, `  end`];

describe("Capistrano 3: a task run as a Rake prerequisite or by an interpolated invoke is run", () => {
  const rake = [
    `namespace :db do`,
    ...linkTask("link", "database.yml"),
    `  task :configure => :link`,
    `end`,
    `namespace :mail do`,
    ...linkTask("link", "mail.yml"),
    `  task setup: %w[link]`,
    `end`,
    `namespace :search do`,
    ...linkTask("link_index", "search.yml"),
    `  task :configure do`,
    `    %w[index].each { |t| invoke "search:link_#{t}" }`,
    `  end`,
    `end`,
    `namespace :ops do`,
    ...linkTask("scratch", "scratch.yml"),
    `end`,
    `after "deploy:updating", "db:configure"`,
    `after "deploy:updating", "mail:setup"`,
    `after "deploy:updating", "search:configure"`,
    ``,
  ].join("\n");
  it("real cap runs the prerequisites and the interpolated invoke; the analysis reads their links (the servers' database.yml), not the unrun one", async () => {
    const files = cap3(rake);
    const ran = tasksDeployRuns(files);
    expect(ran).toEqual(expect.arrayContaining(["db:link", "mail:link", "search:link_index"]));
    expect(ran).not.toContain("ops:scratch");
    const m = await analyzeDir(writeApp(files));
    const paths = m.linked.map((l) => l.path);
    expect(paths).toEqual(expect.arrayContaining(["config/database.yml", "config/mail.yml", "config/search.yml"]));
    expect(paths).not.toContain("config/scratch.yml");
    expect(m.rails.database?.serversCopy).toBeDefined();
    expect(m.problems.filter((p) => p.message.startsWith("capistrano.link-unhooked")).map((p) => p.message)).toEqual([expect.stringContaining("task ops:scratch")]);
  });
  it("an invoke whose name is computed (not a literal) may run any task: every link counts", async () => {
    const m = await analyzeDir(writeApp(cap3([`namespace :db do`, ...linkTask("link", "database.yml"), `  task :configure do`, `    invoke fetch(:db_link_task)`, `  end`, `end`, `after "deploy:updating", "db:configure"`, ``].join("\n"))));
    expect(m.linked.map((l) => l.path)).toContain("config/database.yml");
    expect(m.problems.filter((p) => p.message.startsWith("capistrano.link-unhooked"))).toEqual([]);
  });
});

describe("words that are no invoke of a task", () => {
  it("a task named invoke, invoke_command, a receiver's .invoke and a comment do not make every task run", async () => {
    const rake = [
      `namespace :ops do`,
      ...linkTask("scratch", "database.yml"),
      `end`,
      `task :invoke, [:command] => "deploy:set_current_revision" do |_task, args|`,
      `  on roles(:app) do`,
      `    invoke_command "echo #{args[:command]}"`,
      `  end`,
      `end`,
      `# invoke fetch(:anything) by hand`,
      ``,
    ].join("\n");
    const m = await analyzeDir(writeApp(cap3(rake)));
    expect(m.linked.map((l) => l.path)).not.toContain("config/database.yml");
    expect(m.problems.filter((p) => p.message.startsWith("capistrano.link-unhooked")).map((p) => p.message)).toEqual([expect.stringContaining("task ops:scratch")]);
  });
});

describe("a task run by a conditional hook", () => {
  it("real cap runs it (the variable unset); the link counts, with its condition said", async () => {
    const files = cap3([`namespace :db do`, ...linkTask("link", "database.yml"), `end`, `after "deploy:updating", "db:link" unless ENV["QUILL_SKIP_LINK"]`, ``].join("\n"));
    expect(tasksDeployRuns(files)).toContain("db:link");
    const m = await analyzeDir(writeApp(files));
    const db = m.linked.find((l) => l.path === "config/database.yml");
    expect(db).toBeDefined();
    expect(db!.condition).toContain("only on deploys where the condition on lib/capistrano/tasks/links.rake:8 held");
    expect(m.rails.database?.serversCopy).toBeDefined();
  });
});

describe("linear in the task files", () => {
  it("blankStrings: a 200,000-character run of an unclosed \\\" is blanked in one pass", () => {
    const line = `set :note, '${'"\\'.repeat(100000)}'`;
    const t0 = Date.now();
    const b = blankStrings(line);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(b.length).toBe(line.length);
    expect(blankStrings(`run "ln -s a b" # link_db`)).toBe(`run "${" ".repeat(9)}"${" ".repeat(10)}`);
  });
  it("Capistrano 2: 60 tasks and one 40 KB hostile line are read in seconds, calls still counted", async () => {
    const tasks = Array.from({ length: 60 }, (_, i) => `  task :t${i}, :roles => :app do\n    run "ln -nfs #{shared_path}/config/f${i}.yml #{release_path}/config/f${i}.yml"\n  end`);
    const deploy = `set :application, "big"\nset :repository, "git@example.org:big.git"\nserver "b1.example.org", :app, :web, :db, :primary => true\nnamespace :deploy do\n${tasks.join("\n")}\n  task :finalize_update do\n    t7\n  end\nend\nset :note, '${'"\\'.repeat(20000)}'\n`;
    const t0 = Date.now();
    const m = await analyzeFiles(memoryRepo({ Capfile: "load 'deploy'\nload 'config/deploy'\n", "Gemfile.lock": LOCK(["rails (2.3.18)", "mysql (2.8.1)"]), "config/deploy.rb": deploy }), "big");
    expect(Date.now() - t0).toBeLessThan(20000);
    const paths = m.linked.map((l) => l.path);
    expect(paths).toContain("config/f7.yml");
    expect(paths).not.toContain("config/f8.yml");
  }, 120000);
});

describe("Capistrano 2's anonymous hook block", () => {
  it("`after \"deploy:update_code\" do run \"ln …\" end` runs around that task: its link is the servers' database.yml", async () => {
    const deploy = [
      'set :application, "almanac"',
      'set :repository, "git@example.org:almanac.git"',
      'server "a1.example.org", :app, :web, :db, :primary => true',
      'after "deploy:update_code" do',
      '  run "ln -nfs #{shared_path}/config/database.yml #{release_path}/config/database.yml"',
      "end",
      "",
    ].join("\n");
    const m = await analyzeFiles(
      memoryRepo({ Capfile: "load 'deploy'\nload 'config/deploy'\n", "Gemfile.lock": LOCK(["rails (2.3.18)", "mysql (2.8.1)"]), "config/database.yml": "production:\n  adapter: mysql\n  database: almanac_laptop\n", "config/deploy.rb": deploy }),
      "almanac",
    );
    expect(m.linked.map((l) => l.path)).toContain("config/database.yml");
    expect(m.rails.database?.serversCopy).toBeDefined();
    expect(m.capistrano?.hooks.map((h) => [h.kind, h.target, h.task])).toContainEqual(["after", "deploy:update_code", "after block (config/deploy.rb:4)"]);
  });
});
