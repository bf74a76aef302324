// A worker server holding both a generic role and one named for a backend (`%w[app worker
// sneakers]`), on an app whose Active Job adapter is Sidekiq: the worker role is Sidekiq's, the
// sneakers role is Sneakers' own. The first matching role in the server's list was taken, the
// generic one, so Sneakers was "started by nothing" and its RabbitMQ consumers were dropped.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const LOCK = `GEM
  remote: https://rubygems.org/
  specs:
    pg (1.5.6)
    puma (6.4.2)
    rails (7.1.3)
    sidekiq (7.2.4)
    sneakers (2.12.0)

PLATFORMS
  ruby

DEPENDENCIES
  pg
  puma
  rails
  sidekiq
  sneakers

BUNDLED WITH
   2.5.10
`;

const files = (roles: string) => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'set :application, "ferry"\nset :repo_url, "https://git.example.org/ferry.git"\n',
  "config/deploy/production.rb": `server "web.ferry.example.org", roles: %w[web app db]\nserver "jobs.ferry.example.org", roles: %w[${roles}]\nserver "jobs2.ferry.example.org", roles: %w[app worker]\n`,
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "pg"\ngem "sidekiq"\ngem "sneakers"\n',
  "Gemfile.lock": LOCK,
  "config/puma.rb": "threads 5, 5\n",
  "config/environments/production.rb": "Rails.application.configure do\n  config.active_job.queue_adapter = :sidekiq\nend\n",
});

describe("a role named for the backend outranks a generic role on the same server", () => {
  for (const roles of ["app worker sneakers", "sneakers app worker"])
    it(`%w[${roles}]: Sneakers runs there`, async () => {
      const m = await analyzeFiles(memoryRepo(files(roles)), "ferry");
      const w = m.workers.find((x) => x.backend === "sneakers")!;
      expect(w.notStarted).toBeUndefined();
      // placed on the servers with its own role only, not on every generic worker server
      expect(w.roles).toEqual(["sneakers"]);
      expect(w.evidence.map((e) => e.value)).toContain("production: jobs.ferry.example.org has the sneakers role");
    });
});
