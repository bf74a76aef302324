// A Mina deploy that runs mina_sidekiq's tasks started Sidekiq on its server: the deploy's lines are
// cited as the worker's evidence (a commented-out invoke is not). The app is written for this test.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    puma (6.4.2)\n    sidekiq (7.2.4)\n    mina (1.2.4)\n    mina-sidekiq (1.0.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  puma\n  sidekiq\n  mina\n  mina-sidekiq\n\nBUNDLED WITH\n   2.5.10\n";

const DEPLOY = `require "mina/rails"
require "mina/git"
require "mina_sidekiq/tasks"

set :application_name, "tally"
set :domain, "tally.example.org"
set :deploy_to, "/srv/tally"
set :repository, "git@git.example.org:ops/tally.git"

task :deploy do
  deploy do
    invoke :"git:clone"
    invoke :'sidekiq:quiet'
    invoke :"deploy:link_shared_paths"
    on :launch do
      invoke :'sidekiq:restart'
      # invoke :'sidekiq:stop'
    end
  end
end
`;

describe("mina_sidekiq tasks", () => {
  it("cites the require and each invoke of a sidekiq task in the Mina deploy", async () => {
    const m = await analyzeFiles(
      memoryRepo({ "config/deploy.rb": DEPLOY, Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "sidekiq"\ngem "mina"\ngem "mina-sidekiq"\n', "Gemfile.lock": LOCK, "config/sidekiq.yml": ":concurrency: 4\n" }),
      "tally",
    );
    expect(m.capistrano?.tool).toBe("mina");
    const ev = m.sidekiq!.evidence.filter((e) => e.source.file === "config/deploy.rb");
    expect(ev.map((e) => [e.value, e.source.line])).toEqual([
      ['require "mina_sidekiq/tasks" (mina_sidekiq\'s sidekiq:* tasks)', 3],
      ["Mina runs sidekiq:quiet: invoke :'sidekiq:quiet'", 13],
      ["Mina runs sidekiq:restart: invoke :'sidekiq:restart'", 16],
    ]);
    expect(m.workers!.find((w) => w.backend === "sidekiq")!.evidence).toEqual(m.sidekiq!.evidence);
  });
});
