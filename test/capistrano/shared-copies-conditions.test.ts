// When a copy or a link from shared/ is what the servers ran, and when only maybe:
// - `ln` in a task the deploy never runs is no part of the deploy, as copies are not (capistrano.link-unhooked);
//   a task Capistrano's own flow runs (a redefined or extended flow task) or one another task invokes is run.
//   Oracle: real `cap production deploy --dry-run` (Debian's capistrano 3.17), recording each Rake task it runs.
// - `cp -u` lands only when shared/'s file is newer than the release's: real coreutils cp 9.1 on files
//   with set times (the release's file has the deployed commit's time, as a git archive checkout has).
// - a copy guarded by `test -f SRC &&` / `[ -f SRC ] &&` / `if test -f SRC; then` ran only where the
//   servers held SRC: real sh and coreutils with and without that file. So does one in the then branch
//   of such an `if` over several lines (a heredoc, a string, nested): real `bash -n` and bash runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { manualLinksIn } from "../../analyzers/capistrano/manual-links.js";
import { memoryRepo } from "../../src/repo.js";
import { analyzeDir } from "../../src/analyze.js";

const cleanup: string[] = [];
beforeAll(async () => {
  await initPrism();
});
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.split(" ")[0]}\n`).join("")}`;

function writeApp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-cond-"));
  cleanup.push(dir);
  for (const [p, c] of Object.entries(files)) mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), c);
  return dir;
}

/** Real cap: the Rake tasks `cap production deploy --dry-run` runs (each task recorded as Rake executes it). */
function tasksDeployRuns(files: Record<string, string>): string[] {
  const app = writeApp(files);
  const rec = mkdtempSync(join(tmpdir(), "r2k-cond-seen-"));
  cleanup.push(rec);
  // Once the stage has loaded deploy.rb, every task records its name as its first action; then the
  // deploy runs, and stops where it finishes (every release step has run by then).
  writeFileSync(join(rec, "seen.rb"), 'task "r2k:seen" do\n  Rake::Task.tasks.each { |t| n = t.name; t.actions.unshift(proc { File.open(ENV.fetch("R2K_SEEN"), "a") { |f| f.puts n }; exit!(0) if n == "deploy:finished" }) }\n  invoke "deploy"\nend\n');
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(rec, "seen.rb"))}\n`);
  const seen = join(rec, "seen.txt");
  const r = spawnSync("cap", ["production", "r2k:seen", "--dry-run"], { cwd: app, encoding: "utf8", timeout: 120000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: rec, LANG: "C.UTF-8", R2K_SEEN: seen } });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  return readFileSync(seen, "utf8").split("\n").filter(Boolean);
}

describe("ln in a task: counted only where the deploy runs the task", () => {
  const files = {
    Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n`,
    "Gemfile.lock": LOCK(["rails (5.2.8)", "pg (1.4.5)", "capistrano (3.17.1)"]),
    "config/deploy/production.rb": `server "ink1.example.org", user: "deploy", roles: %w[app web db]\n`,
    "config/database.yml": `production:\n  adapter: postgresql\n  database: inkwell_laptop\n`,
    "config/deploy.rb": [
      `set :application, "inkwell"`,
      `set :repo_url, "git@example.org:inkwell.git"`,
      `set :deploy_to, "/srv/inkwell"`,
      `namespace :ops do`,
      `  desc "by hand: point a release at the scratch database"`,
      `  task :scratch_db do`,
      `    on roles(:app) do`,
      `      execute "ln -nfs #{shared_path}/config/database.yml #{release_path}/config/database.yml"`,
      `    end`,
      `  end`,
      `  task :secrets do`,
      `    on roles(:app) do`,
      `      execute "ln -nfs #{shared_path}/config/secrets.yml #{release_path}/config/secrets.yml"`,
      `    end`,
      `  end`,
      `end`,
      `namespace :deploy do`,
      `  task :updated do`,
      `    on roles(:app) do`,
      `      execute "ln -nfs #{shared_path}/config/storage.yml #{release_path}/config/storage.yml"`,
      `    end`,
      `    invoke "ops:secrets"`,
      `  end`,
      `end`,
      ``,
    ].join("\n"),
  };

  it("real cap runs the flow task and the task it invokes, never the one no hook runs; the analysis reads the links the same way", async () => {
    const ran = tasksDeployRuns(files);
    const dir = writeApp(files);
    expect(ran).toContain("deploy:updated");
    expect(ran).toContain("ops:secrets");
    expect(ran).not.toContain("ops:scratch_db");
    const m = await analyzeDir(dir);
    const paths = m.linked.map((l) => l.path);
    expect(paths).toContain("config/storage.yml");
    expect(paths).toContain("config/secrets.yml");
    expect(paths).not.toContain("config/database.yml");
    // so the repo's database.yml is not said to be replaced on the servers, and the unrun link is named at its line
    expect(m.rails.database?.serversCopy).toBeUndefined();
    const w = m.problems.find((p) => p.message.startsWith("capistrano.link-unhooked"))!;
    expect([w.file, w.line]).toEqual(["config/deploy.rb", 8]);
    expect(w.message).toContain("task ops:scratch_db");
  });
});

/** Real cp 9.1: runs `cmd` in a release beside shared/, with the given files and times; what the release's database.yml holds after. */
function realCp(cmd: string, opts: { releaseFile: boolean; sharedFile: boolean; releaseTime?: number; sharedTime?: number }): string | null {
  const root = mkdtempSync(join(tmpdir(), "r2k-cpu-"));
  try {
    mkdirSync(join(root, "release/config"), { recursive: true });
    mkdirSync(join(root, "shared/config"), { recursive: true });
    const rel = join(root, "release/config/database.yml");
    const sh = join(root, "shared/config/database.yml");
    if (opts.releaseFile) writeFileSync(rel, "repo"), opts.releaseTime && utimesSync(rel, opts.releaseTime, opts.releaseTime);
    if (opts.sharedFile) writeFileSync(sh, "shared"), opts.sharedTime && utimesSync(sh, opts.sharedTime, opts.sharedTime);
    const r = spawnSync("bash", ["-c", cmd.replaceAll("#{shared_path}", `${root}/shared`).replaceAll("#{release_path}", `${root}/release`)], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    try {
      return readFileSync(rel, "utf8");
    } catch {
      return null;
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const COMMIT = Date.UTC(2024, 0, 10) / 1000;
const EARLIER = Date.UTC(2023, 5, 1) / 1000;
const LATER = Date.UTC(2024, 0, 11) / 1000;

describe("cp -u from shared/ over the release's database.yml", () => {
  const line = "cp -u #{shared_path}/config/database.yml #{release_path}/config/database.yml";
  it("lands only when shared/'s file is newer than the checkout's: read as the servers' copy, the doubt named", () => {
    // real cp: a shared file written after the deployed commit lands; one written before it, or at the same second, does not
    expect(realCp(line, { releaseFile: true, sharedFile: true, releaseTime: COMMIT, sharedTime: LATER })).toBe("shared");
    expect(realCp(line, { releaseFile: true, sharedFile: true, releaseTime: COMMIT, sharedTime: EARLIER })).toBe("repo");
    expect(realCp(line, { releaseFile: true, sharedFile: true, releaseTime: COMMIT, sharedTime: COMMIT })).toBe("repo");
    const committed = manualLinksIn(`run "${line}"`, 5, memoryRepo({ "config/database.yml": "x" }));
    expect(committed).toHaveLength(1);
    expect(committed[0]!.condition).toMatch(/^only if that file was newer than the release's config\/database\.yml \(cp -u\)/);
  });
  it("always lands where the checkout has no such file (real cp: a missing destination is copied)", () => {
    expect(realCp(line, { releaseFile: false, sharedFile: true, sharedTime: EARLIER })).toBe("shared");
    const l = manualLinksIn(`run "${line}"`, 5, memoryRepo({ "config/database.yml.example": "x" }));
    expect(l).toHaveLength(1);
    expect(l[0]!.condition).toBeUndefined();
  });
});

describe("a copy guarded by a test of its source", () => {
  const forms = [
    "test -f #{shared_path}/config/database.yml && cp #{shared_path}/config/database.yml #{release_path}/config/database.yml",
    "[ -f #{shared_path}/config/database.yml ] && cp #{shared_path}/config/database.yml #{release_path}/config/database.yml",
    "if test -f #{shared_path}/config/database.yml; then cp #{shared_path}/config/database.yml #{release_path}/config/database.yml; fi",
    "if [ -f '#{shared_path}/config/database.yml' ]; then cp #{shared_path}/config/database.yml #{release_path}/config/; fi",
  ];
  it.each(forms)("%s: real sh copies only where shared/ holds the file; read as a copy conditional on it", (cmd) => {
    expect(realCp(`${cmd}; true`, { releaseFile: true, sharedFile: true })).toBe("shared");
    expect(realCp(`${cmd}; true`, { releaseFile: true, sharedFile: false })).toBe("repo");
    const l = manualLinksIn(`run "${cmd}"`, 9, memoryRepo({ "config/database.yml": "x" }));
    expect(l.map((x) => [x.path, x.via])).toEqual([["config/database.yml", "cp"]]);
    expect(l[0]!.condition).toContain("only where the servers held #{shared_path}/config/database.yml (the copy is guarded by a test of it on line 9)");
  });
});

describe("a copy guarded by a test over several lines (an if … then … fi in a heredoc or a string)", () => {
  const DB = "#{shared_path}/config/database.yml";
  const TO = "#{release_path}/config/database.yml";
  // Each shell text as bash reads it, and the task body that hands it to the servers.
  // [case, shell, task body, the line of the if that tests the file (the task body starts on line 20)]
  const guarded: [string, string, (sh: string) => string, number][] = [
    ["then on the if's line, in a heredoc", `if test -f ${DB}; then\n  echo "taking the servers' database.yml"\n  cp ${DB} ${TO}\nfi`, (sh) => `execute <<-SH\n${sh}\nSH`, 21],
    ["then on its own line, in a string over lines", `if [ -f ${DB} ]\nthen\n  cp ${DB} ${TO}\nfi`, (sh) => `run "${sh}"`, 20],
    ["nested in another if", `if [ -d #{shared_path}/config ]; then\n  if [ -e '${DB}' ]; then\n    cp ${DB} ${TO}\n  fi\nfi`, (sh) => `execute <<~SH\n${sh}\nSH`, 22],
  ];
  it.each(guarded)("%s: real bash copies only where shared/ holds the file; read as a copy conditional on it", (_, sh, wrap, ifLine) => {
    expect(realBash(sh, "-n")).toBe(true);
    expect(realCp(sh, { releaseFile: true, sharedFile: true })).toBe("shared");
    expect(realCp(sh, { releaseFile: true, sharedFile: false })).toBe("repo");
    const l = manualLinksIn(wrap(sh), 20, memoryRepo({ "config/database.yml": "x" }));
    expect(l.map((x) => [x.path, x.via])).toEqual([["config/database.yml", "cp"]]);
    expect(l[0]!.condition).toBe(`only where the servers held ${DB} (the copy is guarded by a test of it on line ${ifLine})`);
  });

  // Past the block (after its fi, or in its else), the test no longer decides whether the copy runs.
  const unguarded: [string, string][] = [
    ["after the fi", `if test -f ${DB}; then\n  echo "found"\nfi\ncp ${DB} ${TO}`],
    ["in the else", `if test -f ${DB}; then\n  echo "kept"\nelse\n  cp #{shared_path}/config/database.yml.default ${TO}\nfi`],
    ["after a negated test's fi", `if [ ! -f ${DB} ]; then\n  echo "none"\nfi\ncp ${DB} ${TO}`],
  ];
  it.each(unguarded)("%s: real bash runs the copy whatever the test said; read with no condition", (_, sh) => {
    expect(realBash(sh, "-n")).toBe(true);
    const l = manualLinksIn(`execute <<-SH\n${sh}\nSH`, 1, memoryRepo({ "config/database.yml": "x" }));
    expect(l).toHaveLength(1);
    expect(l[0]!.condition).toBeUndefined();
  });
  it("real bash: the copy after the fi runs where shared/ holds the file and fails (no copy) where it does not; the else's copy runs only without it", () => {
    expect(realCp(`${unguarded[0]![1]}\ntrue`, { releaseFile: true, sharedFile: true })).toBe("shared");
    const root = mkdtempSync(join(tmpdir(), "r2k-else-"));
    try {
      mkdirSync(join(root, "release/config"), { recursive: true });
      mkdirSync(join(root, "shared/config"), { recursive: true });
      writeFileSync(join(root, "release/config/database.yml"), "repo");
      writeFileSync(join(root, "shared/config/database.yml.default"), "default");
      const sh = unguarded[1]![1].replaceAll("#{shared_path}", `${root}/shared`).replaceAll("#{release_path}", `${root}/release`);
      expect(spawnSync("bash", ["-c", sh]).status).toBe(0);
      expect(readFileSync(join(root, "release/config/database.yml"), "utf8")).toBe("default");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/** Real bash on a shell text (its paths made real under a temp dir): with `-n`, only whether it parses. */
function realBash(sh: string, flag: "-n"): boolean {
  return spawnSync("bash", [flag, "-c", sh.replaceAll("#{shared_path}", "/tmp/s").replaceAll("#{release_path}", "/tmp/r")], { encoding: "utf8" }).status === 0;
}

describe("Capistrano 2's by-name callbacks", () => {
  it("a task named after_<task> is run around that task (Capistrano 2.0-2.5's find_hook): its link counts, unhooked or not", async () => {
    const { analyzeFiles } = await import("../../src/analyze.js");
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: "load 'deploy'\nload 'config/deploy'\n",
        "Gemfile.lock": LOCK(["rails (2.3.18)", "mysql (2.8.1)"]),
        "config/database.yml": "production:\n  adapter: mysql\n  database: tally_laptop\n",
        "config/deploy.rb": 'set :application, "tally"\nset :repository, "git@example.org:tally.git"\nserver "t1.example.org", :app, :web, :db, :primary => true\ntask :after_symlink do\n  run "ln -nsf #{shared_path}/config/database.yml #{current_path}/config/database.yml"\nend\ntask :scratch do\n  run "ln -nsf #{shared_path}/config/scratch.yml #{current_path}/config/scratch.yml"\nend\n',
      }),
      "tally",
    );
    // (besides Capistrano 2's own shared_children)
    expect(m.linked.map((l) => l.path)).toContain("config/database.yml");
    expect(m.linked.map((l) => l.path)).not.toContain("config/scratch.yml");
    expect(m.rails.database?.serversCopy).toBeDefined();
    expect(m.problems.filter((p) => p.message.startsWith("capistrano.link-unhooked")).map((p) => p.line)).toEqual([8]);
  });
});

describe("Capistrano 2's tasks are methods", () => {
  it("a task another task calls by its name (a plain method call, a namespace call, find_and_execute_task) runs: its link counts; one nothing calls does not", async () => {
    const { analyzeFiles } = await import("../../src/analyze.js");
    const deploy = [
      'set :application, "ledger"',
      'set :repository, "git@example.org:ledger.git"',
      'server "l1.example.org", :app, :web, :db, :primary => true',
      "namespace :deploy do",
      "  task :link_db, :roles => :app do",
      '    run "ln -nsf #{shared_path}/config/database.yml #{release_path}/config/database.yml"',
      "  end",
      "  task :link_mail do",
      '    run "ln -nsf #{shared_path}/config/mail.yml #{release_path}/config/mail.yml"',
      "  end",
      "  task :link_search do",
      '    run "ln -nsf #{shared_path}/config/search.yml #{release_path}/config/search.yml"',
      "  end",
      "  task :link_scratch do",
      '    run "ln -nsf #{shared_path}/config/scratch.yml #{release_path}/config/scratch.yml"',
      "  end",
      "  task :finalize_update, :except => { :no_release => true } do",
      "    link_db # the servers' database.yml",
      "    deploy.link_mail",
      '    find_and_execute_task("deploy:link_search")',
      "  end",
      "end",
      "",
    ].join("\n");
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: "load 'deploy'\nload 'config/deploy'\n",
        "Gemfile.lock": LOCK(["rails (2.3.18)", "mysql (2.8.1)"]),
        "config/database.yml": "production:\n  adapter: mysql\n  database: ledger_laptop\n",
        "config/deploy.rb": deploy,
      }),
      "ledger",
    );
    const paths = m.linked.map((l) => l.path);
    expect(paths).toEqual(expect.arrayContaining(["config/database.yml", "config/mail.yml", "config/search.yml"]));
    expect(paths).not.toContain("config/scratch.yml");
    expect(m.rails.database?.serversCopy).toBeDefined();
    expect(m.problems.filter((p) => p.message.startsWith("capistrano.link-unhooked")).map((p) => p.line)).toEqual([15]);
  });
});
