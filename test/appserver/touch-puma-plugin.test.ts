// A deploy whose only restart is `touch tmp/restart.txt`, in an app that locks Puma (no passenger)
// and loads Puma's tmp_restart plugin: the touch restarts Puma, so Puma is the web server the deploy
// started, with its own config — not Passenger with its documented defaults. With the passenger gem
// locked the touch stays Passenger's.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

beforeAll(async () => {
  await initPrism();
});

const lock = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  puma\n  rails\n\nBUNDLED WITH\n   2.4.10\n`;
const app = (gems: string[]) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": [
      'set :application, "finch"',
      'set :repo_url, "git@example.org:birds/finch.git"',
      "namespace :deploy do",
      "  task :restart do",
      "    on roles(:app) do",
      "      execute :touch, release_path.join('tmp/restart.txt')",
      "    end",
      "  end",
      "  after :publishing, 'deploy:restart'",
      "end",
      "",
    ].join("\n"),
    "config/deploy/production.rb": 'server "finch-1.example.org", roles: %w[web app db]\n',
    "config/puma.rb": 'threads_count = ENV.fetch("RAILS_MAX_THREADS", 5)\nthreads threads_count, threads_count\nport ENV.fetch("PORT", 3000)\nplugin :tmp_restart\n',
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "capistrano"\n',
    "Gemfile.lock": lock(gems),
  });

describe("touch tmp/restart.txt with Puma's tmp_restart plugin", () => {
  it("Puma locked, no passenger: the touch is Puma's restart", async () => {
    const m = await analyzeFiles(app(["capistrano (3.16.0)", "puma (5.3.2)", "rails (6.1.4)"]), "finch");
    expect(m.webServer?.kind).toBe("puma");
    expect(JSON.stringify(m.webServer)).toMatch(/tmp_restart/);
  });

  it("the passenger gem locked too: the touch stays Passenger's", async () => {
    const m = await analyzeFiles(app(["capistrano (3.16.0)", "passenger (6.0.10)", "puma (5.3.2)", "rails (6.1.4)"]), "finch");
    expect(m.webServer?.kind).toBe("passenger");
  });
});
