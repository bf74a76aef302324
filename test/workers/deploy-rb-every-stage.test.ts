// config/deploy.rb is loaded by every stage, even where a stage is declared in it (Capistrano 2's
// top-level stage, switch tasks): a line at its top level applies to every stage, and only a switch
// task's body to that stage alone (analyzers/capistrano/own-lines.ts). Read where the web server is
// started (analyzers/appserver/started-stages.ts) and where a recipe gem's daemon is started
// (analyzers/workers/uncarried.ts). Capistrano 2 is not installed here (Debian ships 3.x): as in
// test/capistrano/cap2-top-level-stage.test.ts, the expectations follow Capistrano 2.15's own code:
// `cap live deploy` loads the Capfile (and deploy.rb, and what it loads) and runs the task `live`
// first; a plain `cap deploy` runs no switch task.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const lock = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.split(" ")[0]}\n`).join("")}`;
const GEMS = ["capistrano (2.15.9)", "capistrano-recipes0 (1.1.3)", "capistrano-unicorn (0.2.0)", "forever (0.3.2)", "rails (4.2.11)", "unicorn (5.4.1)"];

/** The bakery: a plain `cap deploy` goes to its preview box (the top-level stage), `cap live deploy` to the live pair. */
function bakery(o: { top?: string[]; live?: string[]; files?: Record<string, string>; liveInFile?: boolean }) {
  const live = ["task :live do", '  set :rails_env, "live"', '  role :web, "oven1.bakery.example", "oven2.bakery.example"', '  role :app, "oven1.bakery.example", "oven2.bakery.example"', ...(o.live ?? []).map((l) => `  ${l}`), "end", ""].join("\n");
  return memoryRepo({
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": ['set :application, "bakery"', 'set :deploy_to, "/srv/bakery"', 'server "preview.bakery.example", :web, :app, :db, :primary => true', 'set :rails_env, "preview"', ...(o.top ?? []), o.liveInFile ? 'load "config/deploy/switches"' : live].join("\n") + "\n",
    ...(o.liveInFile ? { "config/deploy/switches.rb": live } : {}),
    "config/unicorn.rb": "worker_processes 3\ntimeout 30\n",
    "script/foreverb-cron": "#!/usr/bin/env ruby\nrequire 'forever'\nForever.run { every(1.day) { puts 'tick' } }\n",
    Gemfile: `source "https://rubygems.org"\n${GEMS.map((g) => `gem "${g.split(" ")[0]}"\n`).join("")}`,
    "Gemfile.lock": lock(GEMS),
    "config/application.rb": "module Bakery; class Application < Rails::Application; end; end\n",
  });
}

beforeAll(async () => {
  await initPrism();
});

describe("the web server started from config/deploy.rb's top level", () => {
  it("every stage starts it, the switch task's stage too (its task in a file deploy.rb loads)", async () => {
    const m = await analyzeFiles(bakery({ top: ['require "capistrano-unicorn"', 'after "deploy:restart", "unicorn:reload"'], liveInFile: true }), "bakery");
    expect(m.stages.map((s) => [s.name, s.source.file])).toEqual([["preview", "config/deploy.rb"], ["live", "config/deploy/switches.rb"]]);
    expect(m.webServer?.kind).toBe("unicorn");
    expect(m.webServer?.notStartedOn).toBeUndefined();
  });
});

describe("a recipe gem's daemon required in config/deploy.rb", () => {
  it("at the top level: started on every stage's deploy, not the top-level stage's alone", async () => {
    const m = await analyzeFiles(bakery({ top: ['require "recipes0/init_d/foreverb"'], live: ["set :skip_foreverb_auto_actions, true"] }), "bakery");
    const u = m.uncarried!.find((x) => x.name === "foreverb")!;
    expect(u.source).toEqual({ file: "config/deploy.rb", line: 5 });
    expect(u.why).toMatch(/^a daemon capistrano-recipes0's recipe starts on each deploy: /);
    expect(u.why).toContain("stage live set :skip_foreverb_auto_actions (its hook off there)");
  });

  it("in the live switch task's body: that stage's deploy alone", async () => {
    const m = await analyzeFiles(bakery({ live: ['require "recipes0/init_d/foreverb"'] }), "bakery");
    expect(m.uncarried!.find((x) => x.name === "foreverb")!.why).toMatch(/^a daemon capistrano-recipes0's recipe starts on each deploy of stage live: /);
  });
});
