// A Capistrano 3 deploy whose only restart is its own task touching Passenger's restart file, next
// to a Heroku Procfile (`web: unicorn -p $PORT ...`) that nothing in the deploy runs. The Procfile
// is not what the servers ran: the deploy's restart names Passenger, and that wins, with both lines
// shown and the Procfile said to be outranked. A deploy that runs the Procfile (foreman) keeps it.
// (Fixture in our own words, after a corpus repo with capistrano-resque and a Heroku Procfile.)
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g} (1.0.0)\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.4.22\n`;

const DEPLOY = [
  "set :application, 'ledger'",
  "set :repo_url, 'git@example.org:acme/ledger.git'",
  "set :deploy_to, '/srv/ledger'",
  "",
  "namespace :deploy do",
  "  task :bounce do",
  "    on roles(:web) do",
  "      within release_path do",
  "        execute :touch, 'tmp/restart.txt'",
  "      end",
  "    end",
  "  end",
  "  after :finishing, 'deploy:bounce'",
  "end",
].join("\n") + "\n";
const TOUCH_LINE = 9;

const files = (extra: Record<string, string> = {}): Record<string, string> => ({
  Capfile: "require 'capistrano/setup'\nrequire 'capistrano/deploy'\n",
  "config/deploy.rb": DEPLOY,
  "config/deploy/production.rb": "server 'ledger1.example.org', roles: %w{app web db}\n",
  Procfile: "web: bundle exec unicorn -p $PORT -c ./config/unicorn.rb\nworker: bundle exec rake jobs:work\n",
  "config/unicorn.rb": "worker_processes Integer(ENV['WEB_CONCURRENCY'] || 3)\ntimeout 15\n",
  Gemfile: 'source "https://rubygems.org"\n',
  "Gemfile.lock": LOCK(["capistrano", "rails", "unicorn"]),
  ...extra,
});

describe("Passenger's restart file against a Procfile the deploy never runs", () => {
  it("the deploy's own touch of tmp/restart.txt wins: Passenger, cited at the touch; the Procfile is outranked and said so", async () => {
    expect(DEPLOY.split("\n")[TOUCH_LINE - 1]).toMatch(/restart\.txt/);
    const m = await analyzeFiles(memoryRepo(files()), "ledger");
    expect(m.webServer?.kind).toBe("passenger");
    const ev = m.webServer!.evidence;
    expect(ev[0]).toMatchObject({ source: { file: "config/deploy.rb", line: TOUCH_LINE } });
    const procfile = ev.find((e) => e.source.file === "Procfile")!;
    expect(procfile.value).toMatch(/^unicorn: Procfile web: .*not run by the deploy.*outranked by config\/deploy\.rb:9/);
    const said = m.problems.find((p) => /more than one web server/.test(p.message))!.message;
    expect(said).toMatch(/passenger is read as the one started \(the deploy's commands: config\/deploy\.rb:9\)/);
    expect(said).toMatch(/the Procfile's web line \(Procfile:1, .*\) is not what the deploy starts/);
  });

  it("a deploy that runs the Procfile with foreman keeps the Procfile's Unicorn, and the touch drops out", async () => {
    const deploy = DEPLOY.replace("  after :finishing", "  task :procs do\n    on roles(:app) do\n      execute :sudo, 'foreman export upstart /etc/init -a ledger'\n    end\n  end\n  after :finishing");
    const m = await analyzeFiles(memoryRepo(files({ "config/deploy.rb": deploy })), "ledger");
    expect(m.webServer?.kind).toBe("unicorn");
  });

  it("with no deploy restart at all (a Heroku-style app) the Procfile is still the start", async () => {
    const deploy = DEPLOY.replace(/namespace :deploy do[\s\S]*$/, "");
    const m = await analyzeFiles(memoryRepo(files({ "config/deploy.rb": deploy })), "ledger");
    expect(m.webServer?.kind).toBe("unicorn");
  });
});
