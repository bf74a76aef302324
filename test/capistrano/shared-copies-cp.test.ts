// A deploy task that copies config/database.yml (or another config file) into the release instead
// of linking it: `cp`, `install`, `mv`, `cat x > y`, or SSHKit's `execute :cp, …`. A copy of the
// shared file is, for the app, the servers' file, as a link is; a copy of one of the release's own
// files (database.yml.<stage>) means each stage ran that repo file. Oracles: real coreutils for the
// operand rules (each line runs in a temp release beside a shared/ dir, and the files left in the
// release say where their content came from), real `cap` (3.17, a recording SSHKit backend) for
// what an `execute :cp` line runs on each stage.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { manualLinksIn } from "../../analyzers/capistrano/manual-links.js";
import { memoryRepo } from "../../src/repo.js";
import { analyzeDir, analyzeFiles } from "../../src/analyze.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { prepareCopy } from "./cap.js";

const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

function filesUnder(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel))) {
    const p = rel ? `${rel}/${e}` : e;
    if (statSync(join(dir, p)).isDirectory()) out.push(...filesUnder(dir, p));
    else out.push(p);
  }
  return out.sort();
}

/**
 * Runs `sh` with real sh and coreutils in a release laid out as `files` (each holding `repo:<path>`)
 * beside a shared/ holding `shared` (each `shared:<path>`). Returns, for each release file whose
 * content moved, where it came from: `shared:<p>` or `repo:<p>`.
 */
function realCopies(files: string[], shared: string[], sh: string): Record<string, string> {
  const root = mkdtempSync(join(tmpdir(), "r2k-cp-"));
  try {
    mkdirSync(join(root, "release"), { recursive: true });
    for (const f of files) mkdirSync(dirname(join(root, "release", f)), { recursive: true }), writeFileSync(join(root, "release", f), `repo:${f}`);
    for (const s of shared) mkdirSync(dirname(join(root, "shared", s)), { recursive: true }), writeFileSync(join(root, "shared", s), `shared:${s}`);
    const cmd = sh.replaceAll("#{shared_path}", `${root}/shared`).replaceAll("#{deploy_to}", root).replaceAll("#{release_path}", `${root}/release`);
    const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out: Record<string, string> = {};
    for (const f of filesUnder(join(root, "release"))) {
      const c = readFileSync(join(root, "release", f), "utf8");
      if (c !== `repo:${f}`) out[f] = c;
    }
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** What the analysis says each release path holds: `shared:<p>` for a copy from shared/, `repo:<p>` for one of the release's files. */
function readCopies(files: string[], body: string[]): Record<string, string> {
  const got = manualLinksIn(`do\n${body.map((l) => `  ${l}`).join("\n")}\nend`, 1, memoryRepo(Object.fromEntries(files.map((f) => [f, ""]))));
  const out: Record<string, string> = {};
  for (const l of got) {
    expect(l.via, JSON.stringify(l)).toBeDefined();
    out[l.path] = l.fromRelease !== undefined ? `repo:${l.fromRelease}` : `shared:${l.path}`;
  }
  return out;
}

const FILES = ["config/application.rb", "config/database.yml", "config/database.yml.production", "config/environments/development.rb"];
const SHARED = ["config/database.yml", "config/application.yml", "config/secrets.yml"];
const quoted = (line: string) => /"(.*)"/.exec(line)![1]!;

const CASES: { name: string; body: string[]; sh?: string }[] = [
  { name: "cp into a directory named with /", body: [`run "cp #{deploy_to}/shared/config/database.yml #{release_path}/config/"`] },
  { name: "cp -f onto the full name", body: [`run "cp -f #{shared_path}/config/database.yml #{release_path}/config/database.yml"`] },
  { name: "cp into an existing directory without /", body: [`run "cp #{shared_path}/config/application.yml #{release_path}/config"`] },
  { name: "cp -t DIRECTORY with two sources", body: [`run "cp -t #{release_path}/config #{shared_path}/config/database.yml #{shared_path}/config/secrets.yml"`] },
  { name: "install -m with its argument", body: [`run "install -m 640 #{shared_path}/config/secrets.yml #{release_path}/config/secrets.yml"`] },
  { name: "mv out of shared/", body: [`run "mv #{shared_path}/config/database.yml #{release_path}/config/"`] },
  { name: "cat SRC > DEST", body: [`run "cat #{shared_path}/config/database.yml > #{release_path}/config/database.yml"`] },
  { name: "a local holding the shared dir", body: [`config_dir = "#{shared_path}/config"`, `run "cp #{config_dir}/database.yml #{release_path}/config/database.yml"`], sh: `cp #{shared_path}/config/database.yml #{release_path}/config/database.yml` },
  { name: "one of the release's own files over database.yml", body: [`run "cp #{release_path}/config/database.yml.production #{release_path}/config/database.yml"`] },
  { name: "a commented-out copy copies nothing", body: [`# run "cp #{shared_path}/config/database.yml #{release_path}/config/"`], sh: "true" },
  // cp -n / mv -n leave a destination that exists: over a file the checkout holds, nothing changes.
  { name: "cp -n over a file the checkout holds changes nothing", body: [`execute "cp -n #{shared_path}/config/database.yml #{release_path}/config/database.yml"`] },
  { name: "cp --no-clobber where the checkout has no such file copies it", body: [`run "cp --no-clobber #{shared_path}/config/secrets.yml #{release_path}/config/secrets.yml"`] },
  { name: "mv -n of two files into a directory: only the one the checkout lacks lands", body: [`run "mv -n #{shared_path}/config/database.yml #{shared_path}/config/application.yml #{release_path}/config/"`] },
  { name: "cp -n after rm -f of the checkout's file copies it", body: [`run "rm -f #{release_path}/config/database.yml && cp -n #{shared_path}/config/database.yml #{release_path}/config/database.yml"`] },
  { name: "a copy from the release into shared/ is not a copy into the release", body: [`run "test -f #{shared_path}/config/database.yml || cp #{release_path}/config/database.yml #{shared_path}/config/database.yml"`] },
];

describe("copies made by hand in a task: coreutils' own rules (real cp, install, mv, cat are the oracle)", () => {
  for (const c of CASES)
    it(c.name, () => {
      const expected = realCopies(FILES, SHARED, c.sh ?? quoted(c.body[c.body.length - 1]!));
      expect(readCopies(FILES, c.body)).toEqual(expected);
    });

  it("a glob or a whole tree copied from shared/ is not a list of files: the copy is named as spread", () => {
    const repo = memoryRepo(Object.fromEntries(FILES.map((f) => [f, ""])));
    const got = manualLinksIn(`do\n  run "cp #{shared_path}/config/*.yml #{release_path}/config"\n  run "cp -r -s --force #{shared_path}/config #{release_path}"\nend`, 1, repo);
    expect(got).toEqual([
      { path: "config", kind: "dir", line: 2, via: "cp", spread: "config/*.yml" },
      { path: "config", kind: "dir", line: 3, via: "cp", spread: "config" },
    ]);
  });
});

const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.split(" ")[0]}\n`).join("")}`;

describe("a Capistrano 2 task copying database.yml from shared/ (the whole analysis)", () => {
  const files = {
    Capfile: `load 'deploy'\nload 'config/deploy'\n`,
    "Gemfile.lock": LOCK(["rails (4.2.11)", "pg (0.21.0)"]),
    "config/deploy.rb": [
      `set :application, "ledger"`,
      `set :deploy_to, "/srv/ledger"`,
      `server "db1.example.org", :app, :web, :db, :primary => true`,
      `task :copy_configs do`,
      `  run "cp #{deploy_to}/shared/config/database.yml #{release_path}/config/"`,
      `end`,
      `before "deploy:finalize_update", "copy_configs"`,
    ].join("\n"),
    "config/database.yml": `development:\n  adapter: postgresql\n  database: laptop_dev\nproduction:\n  adapter: postgresql\n  database: laptop_prod\n  pool: 5\n`,
  };

  it("the servers' copy is shared/'s, said as a cp; the repo's copy is not production's; DATABASE_URL per stage", async () => {
    const m = await analyzeFiles(memoryRepo(files), "ledger");
    const l = m.linked.find((x) => x.path === "config/database.yml")!;
    expect([l.kind, l.via, l.source.line]).toEqual(["file", "cp", 5]);
    expect(m.rails.database?.serversCopy).toMatchObject({ linked: { file: "config/deploy.rb", line: 5 }, via: "cp" });
    const w = m.problems.find((p) => p.message.startsWith("database.servers-copy"))!;
    expect(w.message).toContain("copied over the release's from shared/ by `cp`");
    expect(w.message).toContain("placed on the servers by hand");
    expect(m.hazards.find((h) => h.id === "database.servers-copy")!.message).toMatch(/^config\/database\.yml is copied over the release's from shared\/ by `cp`/);
    const k = emitKustomize(m, {} as any);
    expect(k.files.find((f) => f.path === "k8s/overlays/production/secrets.env.example")!.content).toContain("DATABASE_URL=");
  });
});

/** Real cap: the commands a task's `execute` calls ran, per stage (a recording SSHKit backend). */
function capCommands(dir: string, task: string, stages: string[]): Record<string, string[]> {
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
  const out: Record<string, string[]> = {};
  for (const st of stages) {
    const r = spawnSync("cap", [st, "r2k:ran"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-r${join(app, "..", "prelude.rb")} -rjson` } });
    const line = r.stdout.split("\n").find((l) => l.includes("R2K-RAN"));
    expect(line, `cap ${st}: ${r.stderr}`).toBeDefined();
    out[st] = JSON.parse(line!.slice(line!.indexOf("R2K-RAN") + 7));
  }
  return out;
}

function writeApp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-cpapp-"));
  cleanup.push(dir);
  for (const [p, c] of Object.entries(files)) mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), c);
  return dir;
}

describe("Capistrano 3: `execute :cp` in a hooked task (real cap is the oracle)", () => {
  const base = {
    Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n`,
    "Gemfile.lock": LOCK(["rails (5.2.8)", "pg (1.4.5)", "capistrano (3.17.1)"]),
    "config/deploy/production.rb": `server "db1.example.org", user: "deploy", roles: %w[app web db]\nset :rails_env, "production"\n`,
    "config/deploy/staging.rb": `server "stage1.example.org", user: "deploy", roles: %w[app web db]\nset :rails_env, "staging"\n`,
    "config/database.yml": `development:\n  adapter: postgresql\n  database: laptop_dev\n`,
  };
  const deployRb = (line: string) =>
    [`set :application, "ledger"`, `set :repo_url, "git@example.org:ledger.git"`, `set :deploy_to, "/srv/ledger"`, `namespace :deploy do`, `  task :db_config do`, `    on roles(:app) do`, `      ${line}`, `    end`, `  end`, `end`, `before "deploy:symlink:release", "deploy:db_config"`, ``].join("\n");

  it("a copy from shared_path: the servers' shared/config/database.yml, as cap runs it", async () => {
    const dir = writeApp({ ...base, "config/deploy.rb": deployRb(`execute :cp, shared_path.join("config/database.yml"), release_path.join("config/database.yml")`) });
    const ran = capCommands(dir, "deploy:db_config", ["production"]);
    expect(ran["production"]).toEqual(["cp /srv/ledger/shared/config/database.yml /srv/ledger/current/config/database.yml"]);
    const m = await analyzeDir(dir);
    const l = m.linked.find((x) => x.path === "config/database.yml")!;
    expect([l.via, l.source.file, l.source.line, l.stages]).toEqual(["cp", "config/deploy.rb", 7, ["production", "staging"]]);
    expect(m.rails.database?.serversCopy?.via).toBe("cp");
  });

  it("a copy of the release's database.yml.<rails_env>: each stage ran its own repo file, cited with its values", async () => {
    const dir = writeApp({
      ...base,
      "config/deploy.rb": deployRb(`execute :cp, release_path.join("config/database.yml.#{fetch(:rails_env)}"), release_path.join("config/database.yml")`),
      "config/database.yml.production": `production:\n  adapter: postgresql\n  database: ledger_live\n  host: db.internal.example.org\n  pool: 25\n  password: not-shown-anywhere\n`,
      "config/database.yml.staging": `staging:\n  adapter: postgresql\n  database: ledger_stage\n  host: localhost\n`,
    });
    const ran = capCommands(dir, "deploy:db_config", ["production", "staging"]);
    expect(ran).toEqual({
      production: ["cp /srv/ledger/current/config/database.yml.production /srv/ledger/current/config/database.yml"],
      staging: ["cp /srv/ledger/current/config/database.yml.staging /srv/ledger/current/config/database.yml"],
    });
    const m = await analyzeDir(dir);
    const files = Object.fromEntries(Object.entries(ran).map(([st, [cmd]]) => [st, cmd!.split(" ")[1]!.replace("/srv/ledger/current/", "")]));
    expect(Object.fromEntries(m.rails.database!.serversCopy!.fromRepo!.map((x) => [x.stage, x.file]))).toEqual(files);
    const w = m.problems.find((p) => p.message.startsWith("database.servers-copy"))!;
    expect([w.file, w.line]).toEqual(["config/deploy.rb", 7]);
    expect(w.message).toContain(`stage production: config/database.yml.production, adapter "postgresql" (config/database.yml.production:2), database "ledger_live" (config/database.yml.production:3), host "db.internal.example.org" (config/database.yml.production:4)`);
    expect(w.message).toContain(`stage staging: config/database.yml.staging`);
    expect(w.message).toContain("a database on the server itself");
    expect(w.message).not.toContain("not-shown-anywhere");
    expect(m.hazards.find((h) => h.id === "database.servers-copy")!.message).toContain("production: config/database.yml.production, staging: config/database.yml.staging");
    const k = emitKustomize(m, {} as any);
    for (const st of ["production", "staging"]) expect(k.files.find((f) => f.path === `k8s/overlays/${st}/secrets.env.example`)!.content).toContain("DATABASE_URL=");
  });
});
