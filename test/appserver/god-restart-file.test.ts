// A god watch that restarts its worker when tmp/restart.txt is touched (god's :restart_file_touched
// condition, `c.restart_file = …`) says nothing about the web server: it is never cited as
// Passenger's evidence (mconf-web cited such a line as "passenger: service definition"). App written here.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const files: Record<string, string> = {
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  "config/deploy.rb": [
    "set :application, 'heron'",
    "set :repository, 'git@git.example.test:birds/heron.git'",
    "server 'heron1.example.test', :web, :app, :db, :primary => true",
    "namespace :deploy do",
    "  task :restart, :roles => :app do",
    "    run \"touch #{File.join(current_path, 'tmp', 'restart.txt')}\"",
    "  end",
    "end",
  ].join("\n") + "\n",
  "config/god/mailer.god": [
    "ROOT = '/srv/heron/current'",
    "God.watch do |w|",
    "  w.name = 'heron-mailer'",
    "  w.start = \"cd #{ROOT} && bundle exec rake mail:loop\"",
    "  w.restart_if do |restart|",
    "    restart.condition(:restart_file_touched) do |c|",
    "      c.restart_file = File.join(ROOT, 'tmp', 'restart.txt')",
    "    end",
    "  end",
    "end",
  ].join("\n") + "\n",
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    god (0.13.7)\n    passenger (4.0.60)\n    rails (3.2.22)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  god\n  passenger\n  rails\n",
};

describe("god's restart_file condition", () => {
  it("is no evidence of the web server; the deploy's own touch is", async () => {
    const m = await analyzeFiles(memoryRepo(files), "heron");
    expect(m.webServer?.kind).toBe("passenger");
    const cited = (m.webServer?.evidence ?? []).map((e) => e.source.file);
    expect(cited).not.toContain("config/god/mailer.god");
    expect(cited).toContain("config/deploy.rb");
  });
});
