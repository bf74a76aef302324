// Gemfile.lock locks Capistrano 3 while the Capfile is Capistrano 2's (`load 'deploy'`, capistrano-ext's
// multistage): the locked Capistrano cannot load these files, so which Capistrano ran is not known.
// Said as the named warning capistrano.locked-version-mismatch at the lockfile's line; the files are
// still read as Capistrano 2. A matching lock says nothing. (Fixture in our own words.)
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

beforeAll(async () => {
  await initPrism();
});

const lock = (cap: string) => `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (${cap})\n    capistrano-ext (1.2.1)\n    rails (4.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  capistrano-ext\n  rails\n`;
const files = (cap: string) => ({
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  "config/deploy.rb": "set :stages, %w(live)\nrequire 'capistrano/ext/multistage'\nset :application, 'pebble'\nset :repository, 'git@example.org:acme/pebble.git'\n",
  "config/deploy/live.rb": "server 'pebble.example.org', :app, :web, :db, :primary => true\n",
  Gemfile: 'source "https://rubygems.org"\n',
  "Gemfile.lock": lock(cap),
});

describe("the locked Capistrano against the files' Capistrano", () => {
  it("capistrano 3.0.0 locked, Capistrano 2 files: the named warning at Gemfile.lock:4, and the stage still read", async () => {
    const m = await analyzeFiles(memoryRepo(files("3.0.0")), "pebble");
    const w = m.problems.filter((p) => p.message.startsWith("capistrano.locked-version-mismatch:"));
    expect(w.map((p) => [p.file, p.line])).toEqual([["Gemfile.lock", 4]]);
    expect(w[0]!.message).toMatch(/capistrano 3\.0\.0.*Capistrano 2.*not known/);
    expect(m.stages.map((s) => s.name)).toEqual(["live"]);
  });

  it("capistrano 2.15.5 locked: nothing said", async () => {
    const m = await analyzeFiles(memoryRepo(files("2.15.5")), "pebble");
    expect(m.problems.filter((p) => p.message.startsWith("capistrano.locked-version-mismatch:"))).toEqual([]);
  });
});

// Capistrano 3 files that use what a later 3.x brought (Capistrano's CHANGELOG.md: the SCM plugin
// system, `require "capistrano/scm/git"` + `install_plugin`, in 3.7.0; `set_if_empty` in 3.3.3) beside
// an older 3.x lock: the locked `cap` cannot load them (no such file, no such method). Said in the
// same named warning, each use at its line. (Fixture in our own words.)
const lock3 = (cap: string) => `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (${cap})\n    rails (5.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  rails\n`;
const files3 = (cap: string) => ({
  Capfile: '# the SCM plugin\nrequire "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n',
  "config/deploy.rb": "set :application, 'pebble'\nset :repo_url, 'git@example.org:acme/pebble.git'\nset_if_empty :keep_releases, 4\n",
  "config/deploy/live.rb": "server 'pebble.example.org', roles: %w[app web db]\n",
  Gemfile: 'source "https://rubygems.org"\n',
  "Gemfile.lock": lock3(cap),
});
const mismatch = (m: { problems: { file: string; line: number; message: string }[] }) => m.problems.filter((p) => p.message.startsWith("capistrano.locked-version-mismatch:"));

describe("the locked Capistrano 3 against features of a later 3.x", () => {
  it("capistrano 3.6.1 locked, a 3.7 Capfile: named at Gemfile.lock:4 with each use and its first version", async () => {
    const w = mismatch(await analyzeFiles(memoryRepo(files3("3.6.1")), "pebble"));
    expect(w.map((p) => [p.file, p.line])).toEqual([["Gemfile.lock", 4]]);
    expect(w[0]!.message).toContain("capistrano 3.6.1");
    expect(w[0]!.message).toContain("at Capfile:4 (from 3.7.0");
    expect(w[0]!.message).toContain("`install_plugin` at Capfile:5 (from 3.7.0");
    expect(w[0]!.message).toContain("cannot load these files");
    expect(w[0]!.message).not.toContain("set_if_empty");
  });

  it("capistrano 3.2.1 locked: set_if_empty (3.3.3) is named too, at its deploy.rb line", async () => {
    const w = mismatch(await analyzeFiles(memoryRepo(files3("3.2.1")), "pebble"));
    expect(w[0]!.message).toContain("`set_if_empty` at config/deploy.rb:3 (from 3.3.3");
  });

  it("capistrano 3.7.0 or later locked: nothing said", async () => {
    for (const v of ["3.7.0", "3.17.2"]) expect(mismatch(await analyzeFiles(memoryRepo(files3(v)), "pebble"))).toEqual([]);
  });
});
