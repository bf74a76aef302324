// Several servers of one stage, each the primary :db server, over a database.yml that reaches the
// database on the server itself: each server migrated its own database, so they are separate sites,
// said first among the hazards with each server's line, never summed silently as one app's servers.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

beforeAll(async () => {
  await initPrism();
});

const repo = (stage: string) =>
  memoryRepo({
    Capfile: 'load "deploy"\n',
    "config/deploy.rb": 'require "capistrano/ext/multistage"\nset :application, "guilds"\nset :stages, ["production"]\n',
    "config/deploy/production.rb": stage,
    "config/database.yml": "production:\n  adapter: mysql2\n  database: guild_db\n  username: guild\n",
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    mysql2 (0.3.14)\n    rails (4.0.0)\n\nDEPENDENCIES\n  mysql2\n  rails\n",
  });

describe("separate sites in one stage", () => {
  it("three primary :db servers over a local database: stage.separate-sites, first, naming each server", async () => {
    const m = await analyzeFiles(repo('%w[north.example.org south.example.org east.example.org].each do |h|\n  role :web, h\n  role :app, h\n  role :db, h, primary: true\nend\nset :deploy_to, "/var/www/guilds"\n'), "guilds");
    expect(m.hazards[0]?.id).toBe("stage.separate-sites");
    for (const h of ["north.example.org", "south.example.org", "east.example.org"]) expect(m.hazards[0]!.message).toMatch(new RegExp(`${h.replace(/\./g, "\\.")} \\(config/deploy/production\\.rb:\\d+\\)`));
  });

  it("one primary :db server among three web servers: one app, no such hazard", async () => {
    const m = await analyzeFiles(repo('role :web, "north.example.org", "south.example.org", "east.example.org"\nrole :app, "north.example.org", "south.example.org", "east.example.org"\nrole :db, "north.example.org", primary: true\n'), "guilds");
    expect(m.hazards.map((h) => h.id)).not.toContain("stage.separate-sites");
  });
});
