// mina-multistage's `stages_dir`: set in config/deploy.rb before `require "mina/multistage"`, it is
// where the gem lists its stages (`Dir["#{stages_dir}/*.rb"]`) and where each stage task loads
// `<stages_dir>/<stage>.rb` from (the gem's lib/mina/multistage.rb; default config/deploy).
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { LIMITS } from "../../src/model/limits.js";

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

  // The checks src/analyze.ts makes of config/deploy/*.rb before reading (a file that cannot be read,
  // more stage files than the limit) hold for the stages_dir the stages are read from.
  const refusedOf = async (files: Record<string, string>, unreadable: string | null) => {
    const repo = memoryRepo({
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "mina-multistage", require: false\n',
      "config/deploy.rb": deployRb("deploy/targets"),
      ...files,
    });
    const refused: { file: string; line: number; message: string }[] = [];
    await analyzeFiles({ paths: repo.paths, read: (p) => (p === unreadable ? { error: "not UTF-8 text" } : repo.read(p)) }, "checkout", [], { unusable: (p) => refused.push(p) });
    return refused;
  };

  it("a stage file there that cannot be read is unusable input, as one in config/deploy is", async () => {
    const refused = await refusedOf(files, "deploy/targets/beta.rb");
    expect(refused).toEqual([{ file: "deploy/targets/beta.rb", line: 1, message: "cannot read: not UTF-8 text" }]);
  });

  it("more stage files there than the limit is unusable input, naming the folder and the count", async () => {
    const many = Object.fromEntries(Array.from({ length: LIMITS.stages + 1 }, (_, i) => [`deploy/targets/s${String(i).padStart(5, "0")}.rb`, ""]));
    const refused = await refusedOf(many, null);
    expect(refused).toEqual([{ file: `deploy/targets/s${String(LIMITS.stages).padStart(5, "0")}.rb`, line: 1, message: `${LIMITS.stages + 1} stage files in mina-multistage's stages_dir deploy/targets/, more than the ${LIMITS.stages} rails2k8s reads: nothing was analyzed or written` }]);
  });
});
