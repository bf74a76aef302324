// Links a Capistrano 2 task makes by hand (`run "ln -nfs #{shared_path}/x #{release_path}/y"`). The
// oracle is real GNU `ln`: each command runs in a temp dir laid out as the checkout (the release)
// beside a shared/ dir, and the symlinks it leaves are the links the analysis must name.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readdirSync, lstatSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { manualLinksIn } from "../../analyzers/capistrano/manual-links.js";
import { memoryRepo } from "../../src/repo.js";
import { analyze } from "./analyze.js";

/** The symlinks under `dir`, relative, sorted. */
function symlinksUnder(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel))) {
    const p = rel ? `${rel}/${e}` : e;
    if (lstatSync(join(dir, p)).isSymbolicLink()) out.push(p);
    else if (lstatSync(join(dir, p)).isDirectory()) out.push(...symlinksUnder(dir, p));
  }
  return out.sort();
}

/** Runs `line` (a task body line, Ruby interpolations and all) with real sh and ln in a release laid out as `files`. */
function realLinks(files: string[], shared: string[], line: string): string[] {
  const root = mkdtempSync(join(tmpdir(), "r2k-ln-"));
  try {
    for (const f of files) mkdirSync(dirname(join(root, "release", f)), { recursive: true }), writeFileSync(join(root, "release", f), "");
    mkdirSync(join(root, "release"), { recursive: true });
    for (const s of shared) {
      if (s.endsWith("/")) mkdirSync(join(root, "shared", s), { recursive: true });
      else mkdirSync(dirname(join(root, "shared", s)), { recursive: true }), writeFileSync(join(root, "shared", s), "");
    }
    const cmd = /"(.*)"/.exec(line)![1]!.replaceAll("#{shared_path}", `${root}/shared`).replaceAll("#{release_path}", `${root}/release`);
    const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    return symlinksUnder(join(root, "release"));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const CASES: { name: string; files: string[]; shared: string[]; line: string }[] = [
  { name: "a target ending in / (a directory the checkout holds)", files: ["config/app.rb"], shared: ["config/settings.yml"], line: `run "ln -nfs #{shared_path}/config/settings.yml #{release_path}/config/"` },
  { name: "a target that is an existing directory, no /", files: ["config/environments/development.rb"], shared: ["config/production.rb"], line: `run "ln -nfs #{shared_path}/config/production.rb #{release_path}/config/environments"` },
  { name: "a full link name", files: ["config/app.rb"], shared: ["config/database.yml"], line: `run "ln -nfs #{shared_path}/config/database.yml #{release_path}/config/database.yml"` },
  { name: "a directory name the checkout lacks", files: ["public/robots.txt"], shared: ["uploads/"], line: `run "ln -nfs #{shared_path}/uploads #{release_path}/public/uploads"` },
  { name: "an existing directory removed first", files: ["tmp/.keep"], shared: ["tmp/"], line: `run "rm -rf #{release_path}/tmp && ln -nfs #{shared_path}/tmp #{release_path}/tmp"` },
  { name: "an existing directory not removed: the link goes inside", files: ["tmp/.keep"], shared: ["tmp/"], line: `run "ln -nfs #{shared_path}/tmp #{release_path}/tmp"` },
  { name: "several sources into one directory", files: ["config/app.rb"], shared: ["config/a.yml", "config/b.yml"], line: `run "ln -s #{shared_path}/config/a.yml #{shared_path}/config/b.yml #{release_path}/config"` },
  { name: "-t DIRECTORY", files: ["config/initializers/x.rb"], shared: ["config/mail.rb"], line: `run "ln -sf -t #{release_path}/config/initializers #{shared_path}/config/mail.rb"` },
  { name: "-T: never a directory", files: ["config/app.rb"], shared: ["config/local/"], line: `run "ln -sfT #{shared_path}/config/local #{release_path}/config/local"` },
];

describe("links made by hand in a task: ln's own rules (real ln is the oracle)", () => {
  for (const c of CASES)
    it(c.name, () => {
      const expected = realLinks(c.files, c.shared, c.line);
      const got = manualLinksIn(`do\n  ${c.line}\nend`, 1, memoryRepo(Object.fromEntries(c.files.map((f) => [f, ""]))));
      expect(got.map((l) => l.path).sort()).toEqual(expected);
    });

  it("kinds: a file linked into a directory is a file; a commented-out ln links nothing", () => {
    const repo = memoryRepo({ "config/app.rb": "", "config/environments/development.rb": "" });
    const text = `do\n  # run "ln -nfs #{shared_path}/config/secrets.yml #{release_path}/config/"\n  run "ln -nfs #{shared_path}/config/application.yml #{release_path}/config/"\n  run "ln -nfs #{shared_path}/config/production.rb #{release_path}/config/environments/"\nend`;
    expect(manualLinksIn(text, 10, repo)).toEqual([
      { path: "config/application.yml", kind: "file", line: 12 },
      // from shared/config/production.rb: the shared file it names is not shared/<path>
      { path: "config/environments/production.rb", kind: "file", line: 13, shared: "config/production.rb" },
    ]);
  });
});

describe("a Capistrano 2 task linking shared files into config/ (the whole analysis)", () => {
  const files = {
    Capfile: `load 'deploy'\nload 'config/deploy'\n`,
    "config/deploy.rb": [
      `set :application, "depot"`,
      `server "app1.example.org", :app, :web, :db, :primary => true`,
      `namespace :deploy do`,
      `  task :link_shared do`,
      `    run "ln -nfs #{shared_path}/config/application.yml #{release_path}/config/"`,
      `    run "ln -nfs #{shared_path}/config/database.yml #{release_path}/config/"`,
      `    run "ln -nfs #{shared_path}/config/production.rb #{release_path}/config/environments/"`,
      `    run "ln -nfs #{shared_path}/tmp #{release_path}/tmp"`,
      `  end`,
      `end`,
      `after "deploy:update_code", "deploy:link_shared"`,
    ].join("\n"),
    "config/application.rb": "module Depot; class Application; end; end\n",
    "config/application.sample.yml": "api_key: \nmail_host: mail.example.org\n",
    "config/environments/production.rb": "Rails.application.configure do\nend\n",
    "tmp/.keep": "",
  };

  it("the linked files are the files, not config/ and config/environments/", async () => {
    const r = await analyze(files);
    expect(r.linked.filter((l) => l.source.file === "config/deploy.rb").map((l) => [l.path, l.kind, l.source.line]).sort()).toEqual([
      ["config/application.yml", "file", 5],
      ["config/database.yml", "file", 6],
      ["config/environments/production.rb", "file", 7],
      ["tmp/tmp", "dir", 8],
    ]);
    expect(r.problems.map((p) => `${p.line}: ${p.message.split(":")[0]}`)).toContain("8: capistrano.link-into-dir");
  });
});
