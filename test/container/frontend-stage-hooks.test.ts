// A front-end build step hooked in one stage's own file (staging.rb's `before "deploy:updated",
// "client:build"`): `cap production deploy` never loads staging.rb, so production's deploy never
// ran it, and the image (whose assets are built as production's deploy built them) must not run it
// either; the step is named for the stage that ran it. Judged by real cap 3.17 per stage: which
// host ran npm when deploy:updated (and its hooks) ran.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { removeStepRuns, stepRan } from "../capistrano/step-ran.js";

beforeAll(async () => {
  await initPrism();
});
afterAll(() => removeStepRuns());

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (6.1.7)\n    sprockets-rails (3.4.2)\n    puma (6.4.2)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  sprockets-rails\n  puma\n\nBUNDLED WITH\n   2.4.22\n";
const APP = (hookIn: "staging" | "production"): Record<string, string> => {
  const hook = 'before "deploy:updated", "client:build"\n';
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "sprockets-rails"\ngem "puma"\n',
    "Gemfile.lock": LOCK,
    "package.json": '{ "name": "loom", "private": true, "scripts": { "build:preview": "echo preview" } }\n',
    "config/deploy.rb": 'set :application, "loom"\nset :repo_url, "git@example.com:loom.git"\nset :deploy_to, "/srv/loom"\n',
    "config/deploy/production.rb": `server "web1.loom.example.org", roles: %w[web app db]\n${hookIn === "production" ? hook : ""}`,
    "config/deploy/staging.rb": `server "stg1.loom.example.org", roles: %w[web app db]\nset :rails_env, "staging"\n${hookIn === "staging" ? hook : ""}`,
    "lib/capistrano/tasks/client.rake": ["namespace :client do", "  task :build do", "    on roles(:web) do", "      within release_path do", '        execute :npm, "run", "build:preview"', "      end", "    end", "  end", "end", ""].join("\n"),
  };
};

const npmHosts = (ran: [string, string][]) => ran.filter(([, c]) => /npm run build:preview/.test(c)).map(([h]) => h);

describe("a front-end step hooked in one stage's file", () => {
  it("hooked in staging.rb: real cap runs it on staging only; the image (production's build) does not, and it is named", async () => {
    expect(npmHosts(stepRan(APP("staging"), "staging", "deploy:updated"))).toEqual(["stg1.loom.example.org"]);
    expect(npmHosts(stepRan(APP("staging"), "production", "deploy:updated"))).toEqual([]);
    const m = await analyzeFiles(memoryRepo(APP("staging")), "loom");
    expect(m.rails.assets.frontend?.steps.map((s) => s.argv.join(" ")) ?? []).toEqual([]);
    expect(m.problems.map((p) => [p.file, p.line, p.message.split(":")[0]])).toContainEqual(["lib/capistrano/tasks/client.rake", 5, "assets.frontend-build-other-stages"]);
  });

  it("hooked in production.rb: real cap runs it on production; the image carries it", async () => {
    expect(npmHosts(stepRan(APP("production"), "production", "deploy:updated"))).toEqual(["web1.loom.example.org"]);
    const m = await analyzeFiles(memoryRepo(APP("production")), "loom");
    expect(m.rails.assets.frontend!.steps.map((s) => [s.argv.join(" "), s.uncarried])).toEqual([["npm run build:preview", undefined]]);
  });
});
