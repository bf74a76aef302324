// capistrano-multiconfig: stages in nested folders (config/deploy/<app>/<stage>.rb), named
// `<app>:<stage>`, each loading config/deploy.rb, then its namespaces' shared files, then its own.
// Debian packages no such gem, so no real `cap` can load it here: these tests check the documented
// rule (the gem's README and lib/capistrano/multiconfig/dsl.rb). The rule was checked by hand
// against real `cap` 3.17 with the gem, and `scripts/corpus.mjs` checks it again on real repos
// whenever R2K_MULTICONFIG_LIB names the gem's lib/ folder.
import { describe, expect, it } from "vitest";
import { analyze } from "./analyze.js";
import { multiconfigStages } from "../../analyzers/capistrano/multiconfig.js";

// Two apps deployed from one repo of deploy configs (the "caphub" layout the gem was written for).
const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/multiconfig"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n',
  "config/deploy.rb": [
    'set :repo_url, "git@git.example.org:acme/platform.git"',
    "set :keep_releases, 4",
    'set :deploy_to, -> { "/srv/#{fetch(:application)}" }',
    "set :stage_seen, -> { fetch(:stage) }",
    "",
  ].join("\n"),
  "config/deploy/storefront.rb": 'set :application, "storefront"\nset :branch, "main"\nset :linked_files, %w[config/database.yml]\n',
  "config/deploy/storefront/production.rb": [
    'set :rails_env, "production"',
    'server "web1.storefront.example.org", user: "deploy", roles: %w[web app db]',
    'server "web2.storefront.example.org", user: "deploy", roles: %w[web app]',
    "",
  ].join("\n"),
  "config/deploy/storefront/staging.rb": 'set :rails_env, "staging"\nset :branch, "develop"\nserver "stage.storefront.example.org", user: "deploy", roles: %w[web app db]\n',
  "config/deploy/backoffice/production.rb": 'set :application, "backoffice"\nset :rails_env, "production"\nserver "ops.example.org", user: "ops", roles: %w[web app db]\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.2)\n    capistrano-multiconfig (3.1.0)\n      capistrano (>= 3.7.0)\n",
};

describe("capistrano-multiconfig stages", () => {
  it("nested stage files are stages named with `:`; a namespace's own file is shared, not a stage", async () => {
    const r = await analyze(FILES);
    expect(r.stages.map((s) => s.name)).toEqual(["backoffice:production", "storefront:production", "storefront:staging"]);
    // storefront.rb is loaded for both storefront stages, and not for backoffice.
    expect(r.v("storefront:production", "application")).toBe("storefront");
    expect(r.v("storefront:staging", "branch")).toBe("develop");
    expect(r.v("storefront:production", "branch")).toBe("main");
    expect(r.v("backoffice:production", "application")).toBe("backoffice");
    expect(r.v("storefront:staging", "linked_files")).toEqual(["config/database.yml"]);
    expect(r.v("backoffice:production", "linked_files") ?? []).toEqual([]);
    expect(r.v("storefront:production", "deploy_to")).toBe("/srv/storefront");
    // The gem sets :stage to the String it was given (capistrano/setup gives a Symbol).
    expect(r.v("storefront:staging", "stage_seen")).toBe("storefront:staging");
    expect(r.stage("storefront:production").servers.map((s) => s.host)).toEqual(["web1.storefront.example.org", "web2.storefront.example.org"]);
    expect(r.stage("storefront:production").source.file).toBe("config/deploy/storefront/production.rb");
  });

  it("without the Capfile require, nested files are not stages and the lockfile's gem is named", async () => {
    const r = await analyze({ ...FILES, Capfile: FILES.Capfile.replace("capistrano/multiconfig", "capistrano/setup") });
    expect(r.stages.map((s) => s.name)).toEqual(["storefront"]);
    expect(r.problems.some((p) => p.file === "Gemfile.lock" && /capistrano-multiconfig/.test(p.message))).toBe(true);
  });

  it("two stages that map to one overlay name are refused, naming both files", async () => {
    const unusable: { file: string; message: string }[] = [];
    const { initPrism } = await import("../../analyzers/ruby/prism.js");
    const { memoryRepo } = await import("../../src/repo.js");
    const { analyzeCapistranoWith } = await import("../../analyzers/capistrano/index.js");
    await initPrism();
    const files = { ...FILES, "config/deploy/storefront-staging.rb": 'server "x.example.org", roles: %w[web]\n' };
    const r = analyzeCapistranoWith({ repo: memoryRepo(files), problem: () => {}, unusable: (p: { file: string; message: string }) => unusable.push(p) } as never, {});
    expect(r.stages.map((s) => s.name)).not.toContain("storefront:staging");
    expect(unusable).toEqual([expect.objectContaining({ file: "config/deploy/storefront/staging.rb", message: expect.stringMatching(/"storefront-staging".*"storefront:staging".*storefront-staging/) })]);
  });

  it("stages_root set in the Capfile moves the root, and <root>.rb replaces config/deploy.rb", async () => {
    const r = await analyze({
      Capfile: 'set :stages_root, "deployment"\nrequire "capistrano/multiconfig"\nrequire "capistrano/deploy"\n',
      "config/deploy.rb": 'set :application, "never-loaded"\n',
      "deployment.rb": 'set :application, "ledger"\n',
      "deployment/eu/production.rb": 'server "eu1.example.org", roles: %w[web app db]\n',
      "deployment/us/production.rb": 'server "us1.example.org", roles: %w[web app db]\n',
    });
    expect(r.stages.map((s) => s.name)).toEqual(["eu:production", "us:production"]);
    expect(r.v("eu:production", "application")).toBe("ledger");
  });

  it("the listing rule: a file is a stage unless another stage lies below its name (any depth)", () => {
    const paths = ["config/deploy/a.rb", "config/deploy/a/b.rb", "config/deploy/a/b/c.rb", "config/deploy/ab.rb", "config/deploy/.hidden/x.rb", "config/deploy/z.rb.orig"];
    expect(multiconfigStages(paths, "config/deploy").map((s) => [s.name, s.chain])).toEqual([
      ["a:b:c", ["config/deploy/a.rb", "config/deploy/a/b.rb", "config/deploy/a/b/c.rb"]],
      ["ab", ["config/deploy/ab.rb"]],
    ]);
  });
});
