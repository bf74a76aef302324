// mina-multistage's own list of stages (lib/mina/multistage.rb, endoze/mina-multistage): set in
// config/deploy.rb before `require "mina/multistage"`. Up to 1.0.0 `set :stages, [...]` names the
// stage tasks; from 1.0.1 `set :all_stages` does, and `stages` only names the files
// `mina multistage:init` creates. A listed stage without its file fails when run (its task loads
// the file); a stage file not listed is no task. The deploy files are written for this test.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const lock = (version: string | null) =>
  version === null ? {} : { "Gemfile.lock": `GEM\n  remote: https://rubygems.org/\n  specs:\n    mina (1.2.4)\n    mina-multistage (${version})\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mina\n  mina-multistage\n` };

const app = (listing: string, version: string | null) =>
  analyzeFiles(
    memoryRepo({
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "mina"\ngem "mina-multistage", require: false\n',
      ...lock(version),
      "config/application.rb": "module Heron\n  class Application < Rails::Application\n  end\nend\n",
      "config/deploy.rb": [listing, 'require "mina/rails"', 'require "mina/git"', 'require "mina/multistage"', "", 'set :deploy_to, "/srv/heron"', ""].join("\n"),
      "config/deploy/production.rb": 'set :domain, "heron1.example.org"\n',
      "config/deploy/staging.rb": 'set :domain, "heron-stg.example.org"\nset :rails_env, "staging"\n',
      // An old target nobody listed any more.
      "config/deploy/demo.rb": 'set :domain, "heron-demo.example.org"\n',
    }),
    "heron",
  );
const said = (m: Awaited<ReturnType<typeof app>>) => m.problems.map((p) => `${p.file}:${p.line} ${p.message}`);

describe("mina-multistage's set :stages / set :all_stages", () => {
  it("up to 1.0.0, `set :stages` is the stages: a file not listed is none, a listed stage without its file is said and dropped", async () => {
    const m = await app("set :stages, %w[production staging qa]", "1.0.0");
    expect(m.stages.map((s) => [s.name, s.servers.map((x) => x.host)])).toEqual([
      ["production", ["heron1.example.org"]],
      ["staging", ["heron-stg.example.org"]],
    ]);
    expect(said(m)).toContainEqual(expect.stringMatching(/^config\/deploy\.rb:1 stage qa is listed here but config\/deploy\/qa\.rb does not exist: `mina qa` fails/));
    expect(said(m)).toContainEqual(expect.stringMatching(/^config\/deploy\/demo\.rb:1 not a stage: mina-multistage makes tasks only of the stages listed at config\/deploy\.rb:1/));
  });

  it("from 1.0.1, `set :stages` names only what multistage:init creates: every file is a stage, and that is said", async () => {
    const m = await app("set :stages, %w[production staging]", "1.0.4");
    expect(m.stages.map((s) => s.name)).toEqual(["demo", "production", "staging"]);
    expect(said(m)).toContainEqual(expect.stringMatching(/^config\/deploy\.rb:1 mina-multistage 1\.0\.4: `set :stages` names only the stage files `mina multistage:init` creates/));
  });

  it("from 1.0.1, `set :all_stages` is the stages", async () => {
    const m = await app("set :all_stages, %w[staging]", "1.0.3");
    expect(m.stages.map((s) => s.name)).toEqual(["staging"]);
  });

  it("without a lock the newest gem is assumed, and said; a list set after the require is not the gem's", async () => {
    const m = await app("set :stages, %w[production]", null);
    expect(m.stages.map((s) => s.name)).toEqual(["demo", "production", "staging"]);
    expect(said(m)).toContainEqual(expect.stringMatching(/not in Gemfile\.lock: read as the newest/));
    const late = await analyzeFiles(
      memoryRepo({
        ...lock("1.0.0"),
        "config/deploy.rb": 'require "mina/rails"\nrequire "mina/multistage"\nset :stages, %w[production]\n',
        "config/deploy/production.rb": 'set :domain, "heron1.example.org"\n',
        "config/deploy/staging.rb": 'set :domain, "heron-stg.example.org"\n',
      }),
      "heron",
    );
    expect(late.stages.map((s) => s.name)).toEqual(["production", "staging"]);
  });
});
