// A Capistrano 2 recipe gem that starts the app's own daemon on each deploy (capistrano-recipes0's
// `recipes0/init_d/foreverb`: after deploy:restart, /etc/init.d/foreverb-<application> restart, which
// runs `bundle exec ./script/foreverb-cron restart`) is no job backend: no Deployment runs the daemon,
// so it is named as not carried at the require line, for the stage whose file requires it. The app
// is written for this test; what the recipe runs is read from the gem's source (not packaged).
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const lock = `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    capistrano-recipes0 (1.1.3)\n    forever (0.3.2)\n    rails (4.2.11)\n    unicorn (5.4.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  capistrano-recipes0\n  forever\n  rails\n  unicorn\n`;

function app(production: string) {
  return memoryRepo({
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": `set :application, "kettle"\nset :stages, %w(production staging)\nrequire 'capistrano/ext/multistage'\nset :deploy_to, "/srv/kettle"\n`,
    "config/deploy/production.rb": production,
    "config/deploy/staging.rb": 'server "s1.kettle.example.org", :app, :web, :db, :primary => true\n',
    "script/foreverb-cron": "#!/usr/bin/env ruby\nrequire 'forever'\nForever.run { every(1.day) { puts 'tick' } }\n",
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "forever"\ngem "capistrano-recipes0"\n',
    "Gemfile.lock": lock,
    "config/application.rb": "module Kettle; class Application < Rails::Application; end; end\n",
  });
}

describe("a recipe gem's daemon", () => {
  it("foreverb is named as not carried at the stage file's require", async () => {
    const m = await analyzeFiles(app('server "p1.kettle.example.org", :app, :web, :db, :primary => true\nrequire "recipes0/init_d/foreverb"\n'), "kettle");
    const u = m.uncarried!.find((x) => x.name === "foreverb")!;
    expect(u.source).toEqual({ file: "config/deploy/production.rb", line: 2 });
    expect(u.devOnly).toBeUndefined();
    expect(u.why).toMatch(/^a daemon capistrano-recipes0's recipe starts on each deploy of stage production: .*foreverb-cron.*, the repo's script\/foreverb-cron; not a job backend/);
  });

  it("a stage that turns its hook off is said", async () => {
    const m = await analyzeFiles(app('server "p1.kettle.example.org", :app, :web, :db, :primary => true\nset :skip_foreverb_auto_actions, true\nrequire "recipes0/init_d/foreverb"\n'), "kettle");
    expect(m.uncarried!.find((x) => x.name === "foreverb")!.why).toMatch(/stage production set :skip_foreverb_auto_actions \(its hook off there\)/);
  });
});
