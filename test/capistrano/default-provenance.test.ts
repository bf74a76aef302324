// A value only a plugin's defaults set is cited to the Capfile line that loaded the plugin, never
// to a comment that names the plugin, and is labelled as that plugin's default (not as if a file
// line set it). A repo without a Capfile is not warned about one.
import { describe, expect, it } from "vitest";
import { analyze } from "./analyze.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const CAPFILE = [
  'require "capistrano/setup"',
  'require "capistrano/deploy"',
  "# Plugins you may want:",
  "#   https://github.com/capistrano/rails",
  '#   require "capistrano/rails"',
  'require "capistrano/scm/git"',
  "install_plugin Capistrano::SCM::Git",
  'require "capistrano/rails/migrations" # migrations',
  "",
].join("\n");

describe("plugin defaults", () => {
  it("cite the require line and say whose default they are", async () => {
    const r = await analyze({
      Capfile: CAPFILE,
      "config/deploy.rb": 'set :application, "ledger"\nset :repo_url, "git@example.com:acme/ledger.git"\n',
      "config/deploy/production.rb": 'server "app1.example.internal", roles: %w[web app db]\n',
      "config/deploy/staging.rb": 'server "app2.example.internal", roles: %w[web app db]\nset :rails_env, "staging"\nset :branch, "develop"\n',
    });
    const env = r.stage("production").variables["rails_env"]!;
    expect(env.source).toEqual({ file: "Capfile", line: 8 });
    expect(env.defaultOf).toBe("capistrano-rails");
    expect(r.stage("production").variables["branch"]!).toMatchObject({ source: { file: "Capfile", line: 1 }, defaultOf: "Capistrano" });
    // set by a file: cited to that line, no default label
    expect(r.stage("staging").variables["rails_env"]).toEqual({ value: "staging", source: { file: "config/deploy/staging.rb", line: 2 } });
    expect(r.stage("staging").variables["branch"]).toEqual({ value: "develop", source: { file: "config/deploy/staging.rb", line: 3 } });
  });

  it("a Mina repo (no Capfile) is not warned about a Capfile", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Gemfile: 'source "https://rubygems.org"\ngem "rails"\n',
        "config/application.rb": "module Lighthouse\n  class Application < Rails::Application\n  end\nend\n",
        "config/deploy.rb": 'require "mina/rails"\nrequire "mina/git"\nset :domain, "lights.example.net"\nset :deploy_to, "/srv/harbour"\n',
      }),
      "checkout",
    );
    expect(m.problems.filter((p) => p.file === "Capfile")).toEqual([]);
  });
});

describe("linked files", () => {
  it("a linked file the checkout lacks is marked server-only; one it holds is not", async () => {
    const r = await analyze({
      Capfile: CAPFILE,
      "config/deploy.rb": 'set :application, "ledger"\nappend :linked_files, "config/environments/production.rb", "config/settings.yml"\n',
      "config/deploy/production.rb": 'server "app1.example.internal", roles: %w[web app db]\n',
      "config/settings.yml": "a: 1\n",
    });
    expect(r.linked.filter((l) => l.kind === "file").map((l) => [l.path, l.serverOnly === true])).toEqual([
      ["config/environments/production.rb", true],
      ["config/settings.yml", false],
    ]);
  });
});
