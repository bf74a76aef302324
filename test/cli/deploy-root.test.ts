// A repo with its Capistrano deploy at the root and the Rails app in one subfolder (the deploy's
// repo_tree names it): `analyze` reads the deploy from the
// root and the app from its folder, citing each file at its real path. Real `cap` 3.17, run at the
// root as the team ran it, is the oracle for the stages and servers. Where the folder is not
// decided (no repo_tree: the release is then the whole repo), the root is refused (exit 2) naming the folders; migrate does not write for this shape.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { prepareCopy, runCap } from "../capistrano/cap.js";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/rails2k8s.js");
const run = (args: string[]) => spawnSync("node", [BIN, ...args], { encoding: "utf8" });

const CAPFILE = 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n';
const railsApp = (dir: string, module: string) => ({
  [`${dir}/Gemfile`]: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "puma"\ngem "pg"\n',
  [`${dir}/Gemfile.lock`]: "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (1.2.3)\n    puma (5.6.4)\n    rails (6.1.7)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  pg\n  puma\n  rails (~> 6.1)\n",
  [`${dir}/config/application.rb`]: `module ${module}\n  class Application < Rails::Application\n  end\nend\n`,
  [`${dir}/config/puma.rb`]: "workers 3\nthreads 2, 8\n",
  [`${dir}/config/database.yml`]: "production:\n  adapter: postgresql\n  database: orchard\n",
});

const deployRb = (tree: string | null) =>
  ['set :application, "orchard"', 'set :repo_url, "git@git.example.org:acme/orchard.git"', ...(tree === null ? [] : [`set :repo_tree, ${JSON.stringify(tree)}`]), 'set :deploy_to, "/srv/orchard"', 'append :linked_files, "config/database.yml"', ""].join("\n");

const STAGES = {
  "config/deploy/production.rb": 'server "orchard1.example.org", user: "deploy", roles: %w[app web db]\nserver "orchard2.example.org", user: "deploy", roles: %w[app web]\nset :branch, "release"\n',
  "config/deploy/staging.rb": 'server "orchard-staging.example.org", user: "deploy", roles: %w[app web db]\n',
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-deploy-root-"));
  dirs.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

const base = (tree: string | null) => ({ Capfile: CAPFILE, "config/deploy.rb": deployRb(tree), ...STAGES, ...railsApp("web", "Orchard"), "docs/README.md": "# Orchard\n" });

describe("the deploy at the root, the Rails app in a subfolder", () => {
  it("repo_tree names the folder: stages and servers are real cap's at the root, each file cited at its real path", async () => {
    const dir = repo(base("web"));
    const r = run(["analyze", dir, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const m = JSON.parse(r.stdout);
    const copy = prepareCopy(dir);
    dirs.push(dirname(copy));
    for (const stage of ["production", "staging"]) {
      const real = await runCap(copy, stage);
      const ours = m.stages.find((s: any) => s.name === stage);
      expect(ours.servers.map((s: any) => [s.host, s.user, s.roles])).toEqual(real.servers.map((s) => [s.host, s.user, s.roles]));
      for (const k of ["branch", "deploy_to", "repo_tree", "linked_files"]) expect([stage, k, ours.variables[k].value]).toEqual([stage, k, real.variables[k]]);
      expect(ours.source.file).toBe(`config/deploy/${stage}.rb`);
    }
    expect(m.stages.map((s: any) => s.name).sort()).toEqual(["production", "staging"]);
    // The app's facts, cited in its folder; the deploy's at the root.
    expect(m.rails.railsVersion.source.file).toBe("web/Gemfile.lock");
    expect(m.appServers.map((a: any) => [a.kind, a.file, a.workers.value, a.workers.source.file])).toEqual([["puma", "web/config/puma.rb", 3, "web/config/puma.rb"]]);
    expect(m.stages[0].variables["deploy_to"].source).toEqual({ file: "config/deploy.rb", line: 4 });
    expect(m.problems).toContainEqual(expect.objectContaining({ file: "config/deploy.rb", line: 3, message: expect.stringMatching(/^deploy-root\.app-folder: the deploy here releases web\/ \(repo_tree\)/) }));
    // No citation names an app file by its path inside the folder.
    const cited = new Set([...r.stdout.matchAll(/"file": "([^"]+)"/g)].map((x) => x[1]!));
    for (const f of ["Gemfile", "Gemfile.lock", "config/application.rb", "config/puma.rb", "config/database.yml"]) expect(cited.has(f), f).toBe(false);
    expect(cited.has("web/config/database.yml")).toBe(true);
  });

  it("no repo_tree and one folder with a Rails app: refused, as the release is the whole repo and its linked paths are the root's", () => {
    // linked_files "config/database.yml" lands at release/config/database.yml, which the app in web/
    // never reads: reading it as the app's file gave a false database.servers-copy.
    for (const linked of ["config/database.yml", "web/config/database.yml"]) {
      const files: Record<string, string> = { ...base(null), "config/deploy.rb": deployRb(null).replace('"config/database.yml"', JSON.stringify(linked)) };
      const r = run(["analyze", repo(files), "--json"]);
      expect([linked, r.status]).toEqual([linked, 2]);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/the deploy at the root sets no repo_tree, so Capistrano releases the whole repo and the Rails app is in its web\/: the deploy's linked files and copies then name paths from the repo's root, which are not read here yet/);
    }
  });

  it("two folders with a Rails app and no repo_tree, or a repo_tree with no app: refused, naming the folders", () => {
    const two = run(["analyze", repo({ ...base(null), ...railsApp("admin", "Admin") })]);
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/not a Rails app at its root: the deploy at the root sets no repo_tree, and Rails apps are in admin\/, web\/: which one it deploys is not known/);
    // With repo_tree, the one it names is read.
    expect(run(["analyze", repo({ ...base("web"), ...railsApp("admin", "Admin") }), "--json"]).status).toBe(0);
    const elsewhere = run(["analyze", repo(base("docs"))]);
    expect(elsewhere.status).toBe(2);
    expect(elsewhere.stderr).toMatch(/releases "docs" \(repo_tree at config\/deploy\.rb:3\), which holds no Rails app \(no docs\/config\/application\.rb\); a Rails app is in web\//);
  });

  it("a deploy file in both places is refused, as is migrate on this shape (nothing written)", () => {
    const both = run(["analyze", repo({ ...base("web"), "web/config/deploy.rb": deployRb(null) })]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/the deploy at the root and the Rails app in web\/ both have config\/deploy\.rb/);
    const dir = repo(base("web"));
    const m = run(["migrate", dir, "--yes"]);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/the deploy is at the root and the Rails app in web\/ \(repo_tree at config\/deploy\.rb:3\): `rails2k8s analyze` reads this shape; migrate does not write for it yet/);
    expect(spawnSync("ls", ["-A", dir], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).sort()).toEqual(["Capfile", "config", "docs", "web"]);
  });

  it("a root with no deploy keeps the refusal that names the folder", () => {
    const r = run(["analyze", repo({ ...railsApp("web", "Orchard"), "README.md": "# x\n" })]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a Rails app \(no Gemfile, Gemfile\.lock or config\/application\.rb at its root\); a Rails app is in web\/ \(web\/config\/application\.rb\): run rails2k8s on that folder/);
  });
});
