// Links and copies a deploy task makes inside a Ruby loop (`%w(database queue).each do |f| run "ln
// -nfs #{shared_path}/#{f}.yml #{release_path}/config/" end`): one link per element, with the block
// variable bound. Oracles: for Capistrano 2, Ruby itself runs the task (cap2_run_oracle.rb records
// its `run` commands) and real sh + ln run them in a release beside shared/, the symlinks left being
// the links; for Capistrano 3, real `cap` with a recording SSHKit backend. A list not known
// statically is named (file:line), never dropped, and a database.yml it may link is "not certain".
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeDir } from "../../src/analyze.js";
import { runRubyFile } from "../appserver/ruby.js";
import { prepareCopy } from "./cap.js";

const here = dirname(fileURLToPath(import.meta.url));
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

function writeApp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-loopapp-"));
  cleanup.push(dir);
  for (const [p, c] of Object.entries(files)) mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), c);
  return dir;
}

/** The symlinks under `dir` as release path → shared path. */
function symlinksUnder(dir: string, shared: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(dir, rel))) {
    const p = rel ? `${rel}/${e}` : e;
    const st = lstatSync(join(dir, p));
    if (st.isSymbolicLink()) out[p] = readlinkSync(join(dir, p)).replace(`${shared}/`, "");
    else if (st.isDirectory()) Object.assign(out, symlinksUnder(dir, shared, p));
  }
  return out;
}

/**
 * Capistrano 2: the task run by Ruby (its `run` commands), then each command run by real sh in a
 * release holding the repo's files beside an empty shared/: the links it left.
 */
function cap2Links(dir: string, repoFiles: string[], task: string): Record<string, string> {
  const ran: string[] = runRubyFile(join(here, "cap2_run_oracle.rb"), { root: dir, files: ["config/deploy.rb"], task, release: "20260101000000" }).run;
  const root = mkdtempSync(join(tmpdir(), "r2k-loopln-"));
  cleanup.push(root);
  const release = join(root, "releases/20260101000000");
  for (const f of repoFiles) mkdirSync(dirname(join(release, f)), { recursive: true }), writeFileSync(join(release, f), "");
  mkdirSync(join(root, "shared"), { recursive: true });
  for (const cmd of ran) {
    const r = spawnSync("sh", ["-c", cmd.replaceAll("/srv/tally", root)], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
  }
  return symlinksUnder(release, join(root, "shared"));
}

/** Real cap 3: the commands a task's `execute` calls ran on a stage (a recording SSHKit backend). */
function capCommands(dir: string, task: string, stage: string): string[] {
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  writeFileSync(
    join(app, "..", "ran.rake"),
    [
      'require "sshkit"',
      "class R2kRecorder < SSHKit::Backend::Printer",
      "  CMDS = []",
      "  def execute(*args)",
      '    CMDS << args.reject { |a| a.is_a?(Hash) }.map(&:to_s).join(" ")',
      "  end",
      "end",
      'task "r2k:ran" do',
      "  SSHKit.config.backend = R2kRecorder",
      `  Rake::Task[${JSON.stringify(task)}].invoke`,
      '  puts "R2K-RAN" + JSON.generate(R2kRecorder::CMDS)',
      "end",
      "",
    ].join("\n"),
  );
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "ran.rake"))}\n`);
  const r = spawnSync("cap", [stage, "r2k:ran"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-r${join(app, "..", "prelude.rb")} -rjson` } });
  const line = r.stdout.split("\n").find((l) => l.includes("R2K-RAN"));
  expect(line, `cap ${stage}: ${r.stderr}`).toBeDefined();
  return JSON.parse(line!.slice(line!.indexOf("R2K-RAN") + 7));
}

const CAP2 = {
  Capfile: `load 'deploy'\nload 'config/deploy'\n`,
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (5.2.8)\n    mysql2 (0.5.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  mysql2\n",
  "config/application.rb": "module Tally; class Application; end; end\n",
  // a developer's copy: not what the servers connected with
  "config/database.yml": "production:\n  adapter: mysql2\n  database: tally_laptop\n  socket: /tmp/mysql.sock\n",
  "config/queue.yml": "production:\n  vhost: tally\n",
};
const REPO_FILES = Object.keys(CAP2).filter((p) => p !== "Capfile");

/** A Capistrano 2 deploy.rb whose hooked task holds `body` (each line indented into the task). */
const cap2Deploy = (before: string[], body: string[]) =>
  [
    `set :application, "tally"`,
    `set :repository, "git@example.net:tally.git"`,
    `set :deploy_to, "/srv/tally"`,
    `server "app1.tally.example.net", :app, :web, :db, :primary => true`,
    ...before,
    `namespace :deploy do`,
    `  task :link_configs, :roles => :app do`,
    ...body.map((l) => `    ${l}`),
    `  end`,
    `end`,
    `after "deploy:update_code", "deploy:link_configs"`,
    ``,
  ].join("\n");

/** The analysis's links written in deploy.rb, as release path → shared path. */
async function analysedLinks(dir: string) {
  const m = await analyzeDir(dir);
  const links = m.linked.filter((l) => l.source.file === "config/deploy.rb");
  return { m, links, map: Object.fromEntries(links.map((l) => [l.path, l.shared ?? l.path])) };
}

describe("Capistrano 2: links made in a loop (Ruby runs the task, real ln makes the links)", () => {
  it("a literal %W list interpolated into the shared name, linked into config/: one link per element", async () => {
    const dir = writeApp({ ...CAP2, "config/deploy.rb": cap2Deploy([], [`%W(queue database mailer).each do |name|`, `  run "ln -nfs #{shared_path}/#{name}.yml #{release_path}/config/"`, `end`]) });
    const real = cap2Links(dir, REPO_FILES, "deploy:link_configs");
    expect(real).toEqual({ "config/queue.yml": "queue.yml", "config/database.yml": "database.yml", "config/mailer.yml": "mailer.yml" });
    const { m, links, map } = await analysedLinks(dir);
    expect(map).toEqual(real);
    expect(links.map((l) => l.source.line)).toEqual([8, 8, 8]);
    // the repo's database.yml is not what production used; the file only the servers held is named
    expect(m.rails.database?.serversCopy?.linked).toEqual({ file: "config/deploy.rb", line: 8 });
    expect(links.find((l) => l.path === "config/mailer.yml")!.serverOnly).toBe(true);
    expect(links.find((l) => l.path === "config/queue.yml")!.serverOnly).toBeUndefined();
    expect(m.hazards.some((h) => h.id === "files.server-only" && h.message.includes("config/mailer.yml"))).toBe(true);
    expect(m.problems.some((p) => p.message.includes("#{name}"))).toBe(false);
  });

  it("a list in a variable (fetch and Cap 2's bare name), File.join and +, for…in and each_with_index", async () => {
    const body = [
      `fetch(:config_files).each { |f| run "ln -nsf #{File.join(shared_path, "config/" + f)} #{release_path}/config/#{f}" }`,
      `for f in extra_files`,
      `  run "ln -nsf #{shared_path}/config/#{f} #{release_path}/config/#{f}"`,
      `end`,
      `%w(sockets sessions).each_with_index do |d, i|`,
      `  run "mkdir -p #{release_path}/tmp && ln -nfs #{shared_path}/tmp/#{d} #{release_path}/tmp/#{d}"`,
      `end`,
    ];
    const dir = writeApp({ ...CAP2, "config/deploy.rb": cap2Deploy([`set :config_files, %w(database.yml secrets.yml)`, `set :extra_files, ["queue.yml"]`], body) });
    const real = cap2Links(dir, REPO_FILES, "deploy:link_configs");
    expect(real).toEqual({ "config/database.yml": "config/database.yml", "config/secrets.yml": "config/secrets.yml", "config/queue.yml": "config/queue.yml", "tmp/sockets": "tmp/sockets", "tmp/sessions": "tmp/sessions" });
    const { m, links, map } = await analysedLinks(dir);
    expect(map).toEqual(real);
    expect(links.map((l) => [l.path, l.source.line])).toEqual([
      ["config/database.yml", 9],
      ["config/secrets.yml", 9],
      ["config/queue.yml", 11],
      ["tmp/sockets", 14],
      ["tmp/sessions", 14],
    ]);
    expect(m.rails.database?.serversCopy?.linked).toEqual({ file: "config/deploy.rb", line: 9 });
    expect(m.hazards.some((h) => h.id === "files.server-only" && h.message.includes("config/secrets.yml"))).toBe(true);
  });

  it("a deploy with no stage read (no servers in the repo): its hooked links are still every deploy's", async () => {
    const deploy = cap2Deploy([], [`%W(queue database mailer).each do |name|`, `  run "ln -nfs #{shared_path}/#{name}.yml #{release_path}/config/"`, `end`]).replace(/^server .*\n/m, "");
    const dir = writeApp({ ...CAP2, "config/deploy.rb": deploy });
    const real = cap2Links(dir, REPO_FILES, "deploy:link_configs");
    const { m, links, map } = await analysedLinks(dir);
    expect(m.stages).toEqual([]);
    expect(map).toEqual(real);
    expect(links.map((l) => [l.source.line, l.stages])).toEqual([[7, []], [7, []], [7, []]]);
    expect(m.rails.database?.serversCopy?.linked).toEqual({ file: "config/deploy.rb", line: 7 });
    expect(m.hazards.some((h) => h.id === "files.server-only" && h.message.includes("config/mailer.yml is a linked file (all stages)"))).toBe(true);
  });

  it("a list not known statically: named with its line, and database.yml among its links is not certain", async () => {
    const dir = writeApp({ ...CAP2, "config/deploy.rb": cap2Deploy([], [`ENV.fetch("LINKED", "").split(",").each do |name|`, `  run "ln -nfs #{shared_path}/#{name}.yml #{release_path}/config/"`, `end`]) });
    const { m, links } = await analysedLinks(dir);
    expect(links.filter((l) => l.path.includes("#{"))).toEqual([]);
    const w = m.problems.find((p) => p.message.startsWith("capistrano.loop-links-not-read"))!;
    expect([w.file, w.line]).toEqual(["config/deploy.rb", 7]);
    expect(w.message).toContain('ENV.fetch("LINKED", "").split(",")');
    expect(w.message).toContain("shared/#{name}.yml → config/#{name}.yml (line 8)");
    expect(w.message).toContain("config/database.yml may be among them");
    const db = links.find((l) => l.path === "config/database.yml")!;
    expect(db.condition).toContain("not known statically");
    const said = m.problems.find((p) => p.message.startsWith("database.servers-copy"))!;
    expect(said.message).toContain("which is not certain");
  });

  it("a list past the cap: the elements cut are named", async () => {
    const names = Array.from({ length: 105 }, (_, i) => `f${i}`);
    const dir = writeApp({ ...CAP2, "config/deploy.rb": cap2Deploy([], [`%w(${names.join(" ")}).each do |name|`, `  run "ln -nfs #{shared_path}/#{name}.yml #{release_path}/config/"`, `end`]) });
    const { m, links } = await analysedLinks(dir);
    expect(links).toHaveLength(100);
    const w = m.problems.find((p) => p.message.startsWith("capistrano.loop-cut"))!;
    expect([w.file, w.line]).toEqual(["config/deploy.rb", 7]);
    expect(w.message).toContain('5 more ("f100", "f101", "f102", "f103", "f104")');
  });
});

describe("Capistrano 3: `execute :ln` in a loop inside `on roles` (real cap is the oracle)", () => {
  it("each element's link, with the list a stage file sets after the task is defined", async () => {
    const files = {
      Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n`,
      "Gemfile.lock": CAP2["Gemfile.lock"],
      "config/application.rb": CAP2["config/application.rb"],
      "config/database.yml.example": "production:\n  adapter: mysql2\n  database: tally\n",
      "config/deploy.rb": [
        `set :application, "tally"`,
        `set :repo_url, "git@example.net:tally.git"`,
        `set :deploy_to, "/srv/tally"`,
        `set :shared_configs, %w(database.yml)`,
        `namespace :deploy do`,
        `  task :link_configs do`,
        `    on roles(:app) do`,
        `      fetch(:shared_configs).each do |f|`,
        `        execute :ln, "-nfs", "#{shared_path}/config/#{f}", "#{release_path}/config/#{f}"`,
        `      end`,
        `    end`,
        `  end`,
        `end`,
        `before "deploy:symlink:release", "deploy:link_configs"`,
        ``,
      ].join("\n"),
      "config/deploy/production.rb": `server "app1.tally.example.net", user: "deploy", roles: %w[app web db]\nset :shared_configs, %w(database.yml broker.yml)\n`,
    };
    const dir = writeApp(files);
    expect(capCommands(dir, "deploy:link_configs", "production")).toEqual([
      "ln -nfs /srv/tally/shared/config/database.yml /srv/tally/current/config/database.yml",
      "ln -nfs /srv/tally/shared/config/broker.yml /srv/tally/current/config/broker.yml",
    ]);
    const { m, links } = await analysedLinks(dir);
    expect(links.map((l) => [l.path, l.source.line, l.stages])).toEqual([
      ["config/database.yml", 9, ["production"]],
      ["config/broker.yml", 9, ["production"]],
    ]);
    // the repo holds only the example: named as such, the servers' copy is what ran
    expect(links[0]!.example).toBe("config/database.yml.example");
    expect(links[1]!.serverOnly).toBe(true);
  });
});
