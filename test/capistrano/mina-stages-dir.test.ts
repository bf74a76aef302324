// mina-multistage's `stages_dir`: set in config/deploy.rb before `require "mina/multistage"`, it is
// where the gem lists its stages (`Dir["#{stages_dir}/*.rb"]`) and where each stage task loads
// `<stages_dir>/<stage>.rb` from (the gem's lib/mina/multistage.rb; default config/deploy).
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const deployRb = (dir: string | null) =>
  [...(dir === null ? [] : [`set :stages_dir, ${JSON.stringify(dir)}`]), 'require "mina/rails"', 'require "mina/git"', 'require "mina/multistage"', "", 'set :application_name, "tidewater"', 'set :deploy_to, "/srv/tidewater"', ""].join("\n");

const app = (dir: string | null, files: Record<string, string>) =>
  analyzeFiles(
    memoryRepo({
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "mina-multistage", require: false\n',
      "config/application.rb": "module Tidewater\n  class Application < Rails::Application\n  end\nend\n",
      "config/deploy.rb": deployRb(dir),
      ...files,
    }),
    "checkout",
  );

describe("mina-multistage's stages_dir", () => {
  const files = {
    "deploy/targets/production.rb": 'set :domain, "tide1.example.org"\nset :rails_env, "production"\n',
    "deploy/targets/beta.rb": 'set :domain, "beta.tide.example.org"\nset :rails_env, "staging"\nset :branch, "beta"\n',
    // Not a stage there: a recipe file deploy.rb could load.
    "config/deploy/backups.rb": 'task :backups do\n  command "echo backups"\nend\n',
    "deploy/targets/shared/notes.rb": "# nested files are not stages\n",
  };

  it("its *.rb files are the stages, each read after config/deploy.rb from that folder", async () => {
    const m = await app("deploy/targets", files);
    expect(m.capistrano?.tool).toBe("mina");
    expect(m.stages.map((s) => [s.name, s.source.file, s.servers.map((x) => x.host)])).toEqual([
      ["beta", "deploy/targets/beta.rb", ["beta.tide.example.org"]],
      ["production", "deploy/targets/production.rb", ["tide1.example.org"]],
    ]);
    const beta = m.stages.find((s) => s.name === "beta")!;
    expect(beta.variables["branch"]).toMatchObject({ value: "beta", source: { file: "deploy/targets/beta.rb", line: 3 } });
    expect(beta.variables["deploy_to"]).toMatchObject({ value: "/srv/tidewater", source: { file: "config/deploy.rb", line: 7 } });
  });

  it("a ./ prefix and a trailing slash name the same folder", async () => {
    const m = await app("./deploy/targets/", files);
    expect(m.stages.map((s) => s.name)).toEqual(["beta", "production"]);
  });

  it("left at its default, config/deploy is read as before", async () => {
    const m = await app(null, { "config/deploy/production.rb": 'set :domain, "tide1.example.org"\n' });
    expect(m.stages.map((s) => [s.name, s.source.file])).toEqual([["production", "config/deploy/production.rb"]]);
  });

  it("a folder outside the repo is not read: a warning names the line, and config/deploy is read", async () => {
    const m = await app("/etc/mina/stages", { "config/deploy/production.rb": 'set :domain, "tide1.example.org"\n' });
    expect(m.stages.map((s) => s.name)).toEqual(["production"]);
    expect(m.problems).toContainEqual(expect.objectContaining({ file: "config/deploy.rb", line: 1, message: expect.stringMatching(/^mina-multistage's stages_dir is not a known path inside the repo/) }));
  });
});
