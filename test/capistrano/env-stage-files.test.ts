// Capistrano 2 without stages whose config/deploy.rb reads its servers and settings from a file it
// names by ENV (`cap deploy TARGET=<name>` loads config/deploy/<name>.yml). Computed by hand, as in
// cap2.test.ts (no Capistrano 2 here): Ruby's File.expand_path("../deploy/x.yml", __FILE__) resolves
// against the file's own path, so from config/deploy.rb it is config/deploy/x.yml.
import { describe, it, expect } from "vitest";
import { analyze } from "./analyze.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { envStageFiles } from "../../analyzers/capistrano/env-stage-files.js";

const CAPFILE2 = `load 'deploy'\nload 'config/deploy'\n`;
const DEPLOY_RB = [
  `require "yaml"`,
  `# cap deploy TARGET=<name>`,
  `settings = YAML.load_file(File.expand_path("../deploy/" + ENV["TARGET"] + ".yml", __FILE__))`,
  `set :application, "ledger"`,
  `set :user, settings["login"]`,
  `set :branch, settings["branch"] || "main"`,
  `server settings["host"], :web, :app, :db, :primary => true`,
].join("\n");

describe("stages kept in files named by ENV", () => {
  it("is not one stage \"production\": the pattern is named, the repo's file of that shape is an example, the stages are asked", async () => {
    const r = await analyze({ Capfile: CAPFILE2, "config/deploy.rb": DEPLOY_RB, "config/deploy/sample.yml": "host: 10.0.0.9\nlogin: me\n" });
    expect(r.stages).toEqual([]);
    expect(r.capistrano!.envStageFiles).toEqual({ env: "TARGET", pattern: "config/deploy/<TARGET>.yml", source: { file: "config/deploy.rb", line: 3 }, examples: ["config/deploy/sample.yml"] });
    expect(r.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^capistrano\.env-stage-files: config\/deploy\.rb loads its settings from config\/deploy\/<TARGET>\.yml.*only config\/deploy\/sample\.yml, an example of that shape/));
    expect(r.problems.map((p) => p.message).filter((m) => /read as one stage, production/.test(m))).toEqual([]);
  });

  it("the stages.none question names the files and the example, with no default", async () => {
    await initPrism();
    const model = await analyzeFiles(memoryRepo({ Capfile: CAPFILE2, "config/deploy.rb": DEPLOY_RB, "config/deploy/sample.yml": "host: 10.0.0.9\n" }), "ledger", [], { callSites: false });
    const g = model.gaps.find((x) => x.id === "stages.none")!;
    expect(g.default).toBeNull();
    expect(g.source).toEqual({ file: "config/deploy.rb", line: 3 });
    expect(g.question).toContain("`cap deploy TARGET=<name>` loads (config/deploy/<TARGET>.yml)");
    expect(g.why).toContain("config/deploy/sample.yml, an example of that shape, not a stage");
  });

  it("path shapes: interpolation from the root, __dir__, and a path it cannot resolve", () => {
    const paths = ["config/targets/a.yml", "config/servers-b.json"];
    expect(envStageFiles("config/deploy.rb", `conf = YAML.load(File.read("config/targets/#{ENV['WHERE']}.yml"))`, paths)).toMatchObject({ env: "WHERE", pattern: "config/targets/<WHERE>.yml", examples: ["config/targets/a.yml"] });
    expect(envStageFiles("config/deploy.rb", `c = JSON.parse(File.read(File.join(__dir__, "servers-" + ENV.fetch("WHERE") + ".json")))`, paths)).toMatchObject({ pattern: "config/servers-<WHERE>.json", examples: ["config/servers-b.json"] });
    expect(envStageFiles("config/deploy.rb", `c = YAML.load_file(base + ENV["WHERE"])`, paths)).toMatchObject({ env: "WHERE", pattern: null, examples: [] });
    expect(envStageFiles("config/deploy.rb", `# c = YAML.load_file("x/" + ENV["WHERE"] + ".yml")`, paths)).toBeNull();
  });

  it("deploy.rb that names its own server keeps reading as that one stage", async () => {
    const r = await analyze({ Capfile: CAPFILE2, "config/deploy.rb": `keys = YAML.load_file("config/keys/" + ENV["WHO"] + ".yml")\nserver "ledger.example.org", :app, :web, :db, :primary => true\n` });
    expect(r.stages.map((s) => s.name)).toEqual(["production"]);
    expect(r.capistrano!.envStageFiles).toBeUndefined();
  });
});
