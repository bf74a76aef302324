// `touch tmp/restart.txt` is in Mina's and Capistrano 2's stock launch/restart tasks whatever server
// ran: weak Passenger evidence. A deploy line that starts Puma or Unicorn outranks it; alone it still
// says Passenger. (Fixtures in our own words, after a Mina + Puma repo of the corpus.)
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g} (1.0.0)\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.4.22\n`;

const minaDeploy = (launch: string[]) =>
  [
    "require 'mina/rails'",
    "require 'mina/git'",
    "require_relative 'deploy_parts/puma'",
    "set :domain, 'kiln.example.org'",
    "set :deploy_to, '/srv/kiln'",
    "set :puma_socket, -> { \"#{deploy_to}/shared/puma/sockets/puma.sock\" }",
    "task :deploy do",
    "  deploy do",
    "    invoke :'git:clone'",
    "    to :launch do",
    ...launch.map((l) => `      ${l}`),
    "    end",
    "  end",
    "end",
  ].join("\n") + "\n";

const model = (deploy: string, gems: string[]) =>
  analyzeFiles(memoryRepo({ "config/deploy.rb": deploy, Gemfile: 'source "https://rubygems.org"\n', "Gemfile.lock": LOCK(gems), "config/puma.rb": "threads 2, 2\n" }), "kiln");

describe("restart.txt is weak Passenger evidence", () => {
  it("Mina's launch touches restart.txt and starts pumactl: Puma, cited at the start line, no disagreement", async () => {
    const m = await model(minaDeploy(['queue! "touch #{deploy_to}/current/tmp/restart.txt"', "queue! \"cd #{deploy_to}/current && bundle exec pumactl -S #{deploy_to}/shared/puma/state restart\""]), ["mina", "puma", "rails"]);
    expect(m.webServer?.kind).toBe("puma");
    expect(m.webServer?.evidence.map((e) => [e.value, e.source.line])).toEqual([[expect.stringMatching(/^puma: deploy task: queue! .*pumactl .*restart/), 12]]);
    expect(m.problems.filter((p) => /more than one web server/.test(p.message))).toEqual([]);
  });

  it("with nothing else starting a server, the touch still says Passenger", async () => {
    const deploy = minaDeploy(['queue! "touch #{deploy_to}/current/tmp/restart.txt"']).replace(/^.*puma.*\n/gm, "");
    const m = await model(deploy, ["mina", "rails"]);
    expect(m.webServer?.kind).toBe("passenger");
    expect(m.webServer?.evidence.map((e) => e.source.line)).toEqual([9]);
  });

  it("the evidence is the touch, not the description of the task that runs it", async () => {
    const deploy = ["set :application, 'kiln'", "role :web, 'kiln.example.org'", "namespace :app_reload do", '  desc "ask passenger to reload the app"', "  task :restart, :roles => :web do", "    run \"touch #{File.join(current_path, 'tmp', 'restart.txt')}\"", "  end", "end", 'after "deploy", "app_reload:restart"', ""].join("\n");
    const m = await analyzeFiles(memoryRepo({ "config/deploy.rb": deploy, Capfile: "load 'deploy'\nload 'config/deploy'\n", Gemfile: 'source "https://rubygems.org"\n', "Gemfile.lock": LOCK(["capistrano", "rails"]) }), "kiln");
    expect(m.webServer?.kind).toBe("passenger");
    expect(m.webServer?.evidence.map((e) => [e.value, e.source.line])).toEqual([[expect.stringMatching(/^passenger: deploy task: run "touch .*restart\.txt/), 6]]);
  });
});
