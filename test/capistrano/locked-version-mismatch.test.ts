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
