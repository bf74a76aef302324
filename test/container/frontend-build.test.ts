// A deploy that ran a front-end build on the servers (capistrano/gulp and the like) besides
// assets:precompile: the image build does not run it, so it is named where the deploy requires it,
// and a deploy without one gets no such warning.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (4.2.11)\n    sprockets-rails (2.3.3)\n    unicorn (5.4.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  sprockets-rails\n  unicorn\n\nBUNDLED WITH\n   1.17.3\n";
const files = (capfileExtra: string, deployExtra = "") => ({
  "Capfile.rb": `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rails/assets"\n${capfileExtra}`,
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "sprockets-rails"\ngem "unicorn"\n',
  "Gemfile.lock": LOCK,
  "config/deploy.rb": `set :application, "lantern"\n${deployExtra}`,
  "config/deploy/production.rb": 'server "a1.example.org", roles: %w[web app db]\n',
});

const frontend = (m: { problems: { file: string; line: number; message: string }[] }) => m.problems.filter((p) => p.message.startsWith("assets.frontend-build"));

describe("front-end builds the deploy ran", () => {
  it("names a gulp build required in the Capfile (any Capfile name) and a grunt one in deploy.rb, each at its line", async () => {
    const m = await analyzeFiles(memoryRepo(files('# require "capistrano/bower"\nrequire "capistrano/gulp"\n', 'require "capistrano/grunt"\n')), "lantern", [], { callSites: false });
    const found = frontend(m).map((p) => `${p.file}:${p.line}`);
    expect(found).toEqual(["Capfile.rb:5", "config/deploy.rb:2"]);
    expect(frontend(m)[0]!.message).toMatch(/ran gulp .*Dockerfile/);
  });

  it("says nothing for a deploy that only precompiles", async () => {
    const m = await analyzeFiles(memoryRepo(files('require "capistrano/bundler"\n')), "lantern", [], { callSites: false });
    expect(frontend(m)).toEqual([]);
  });
});
