// A Mongoid app with no ActiveRecord database gets no migration Job, and its MIGRATION.md says so in
// one voice: the release section does not claim bin/k8s-deploy runs a migration Job, and the cut-over
// step does not tell the team to run ActiveRecord's `db:migrate` (MongoDB has no such migrations).
// An app that locks a Mongoid migrations gem keeps the db:migrate instruction. The real CLI entry on a
// Capistrano 3 app ("kiln", written here) whose connection is set in Ruby, with no mongoid.yml.
import { describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { runCli, writeApp, written } from "../written-files.js";

function kiln(extraGems: string[] = []): Record<string, string> {
  const gems = ["mongoid (6.4.8)", "rails (5.2.8)", "unicorn (5.5.1)", ...extraGems].sort();
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": 'lock "3.11.0"\nset :application, "kiln"\nset :repo_url, "git@git.example.test:pots/kiln.git"\nset :deploy_to, "/srv/kiln"\n',
    "config/deploy/production.rb": 'server "kiln1.example.test", user: "deploy", roles: %w{web app db}\n',
    "config/initializers/mongo.rb": 'Mongoid.configure do |config|\n  config.clients.default = { uri: ENV.fetch("KILN_MONGO_URL") }\nend\n',
    ".rails2k8s.yml": "# rails2k8s answers\nweb.server: unicorn\n",
    "Gemfile.lock": `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.replace(/ .*/, "")}\n`).join("")}`,
  };
}

describe("a Mongoid-only app's migration step", () => {
  it("no migration Job, and MIGRATION.md neither says bin/k8s-deploy runs one nor asks for db:migrate", async () => {
    const files = kiln();
    const dir = writeApp(files, "r2k-mongoid-mig-", "kiln");
    try {
      const r = await runCli(["migrate", "--yes", dir]);
      expect(r.code, r.stderr).toBe(0);
      const tree = written(dir, new Set(Object.keys(files)));
      expect(tree["k8s/base/migration-job.yaml"]).toBeUndefined();
      const guide = tree["MIGRATION.md"]!;
      expect(guide).not.toMatch(/runs the migration Job/);
      expect(guide).not.toMatch(/db:migrate/);
      expect(guide).toMatch(/No migration Job was generated, and none is needed: the app's database is MongoDB/);
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  it("with a Mongoid migrations gem locked, db:migrate is still the team's step", async () => {
    const files = kiln(["mongoid_rails_migrations (1.2.0)"]);
    const dir = writeApp(files, "r2k-mongoid-mig-", "kiln");
    try {
      const r = await runCli(["migrate", "--yes", dir]);
      expect(r.code, r.stderr).toBe(0);
      const guide = written(dir, new Set(Object.keys(files)))["MIGRATION.md"]!;
      expect(guide).toMatch(/No migration Job was generated: run `bin\/rails db:migrate` once/);
      expect(guide).not.toMatch(/runs the migration Job/);
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
