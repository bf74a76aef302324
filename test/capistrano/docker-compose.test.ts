// capistrano-docker's compose strategy: the deploy runs `up -d` on the compose file the deploy names,
// so that file's services are what the servers ran. Checked with real `cap` 3 where it can judge:
// the stage variables (docker_compose, docker_compose_path) are the ones cap computes (the tool's cap
// oracle covers that reading in general); what the gem does with them is from its source
// (TomNaessens/capistrano-docker: docker:deploy after deploy:updated, and
// lib/capistrano/tasks/docker/compose/whenever.rake: `bundle exec whenever --update-crontab` in the
// container after docker:deploy:compose:start). The gem is not packaged, so it is not run here.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const CAPFILE = [
  'require "capistrano/setup"',
  'require "capistrano/deploy"',
  'require "capistrano/scm/git"',
  "install_plugin Capistrano::SCM::Git",
  'require "capistrano/docker"',
  'require "capistrano/docker/compose/whenever"',
].join("\n");
const PASSWORD = "Tr0ub4dor&3-horse";
const COMPOSE = [
  "services:",
  "  pg:",
  "    image: postgres:15",
  "    environment:",
  `      POSTGRES_PASSWORD: "${PASSWORD}"`,
  "    volumes:",
  "      - pgdata:/var/lib/postgresql/data",
  "  app:",
  "    build: .",
  "    environment:",
  `      DATABASE_URL: "postgres://app:${PASSWORD}@pg/quarry"`,
  "      RAILS_LOG_TO_STDOUT: 1",
  "  jobs:",
  "    build: .",
  "    command: bundle exec rake jobs:work",
  "volumes:",
  "  pgdata:",
].join("\n");
const FILES = (deploy: string) => ({
  Capfile: CAPFILE,
  "config/deploy.rb": 'lock "~> 3.17"\nset :application, "quarry"\nset :repo_url, "git@example.com:acme/quarry.git"\n' + deploy,
  "config/deploy/production.rb": 'server "quarry1.example.net", roles: %w[app web db]\n',
  "deploy/compose.live.yml": COMPOSE,
  "config/schedule.rb": 'every 1.day, at: "4:30 am" do\n  rake "quarry:prune"\nend\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.1)\n    rails (7.0.8)\n    whenever (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  rails\n  whenever\n",
  "config/application.rb": "module Quarry\n  class Application < Rails::Application\n  end\nend\n",
});

beforeAll(async () => {
  await initPrism();
});

describe("capistrano-docker's compose strategy", () => {
  it("names each service the servers ran at the Capfile require, and a database service as a hazard with its volume", async () => {
    const m = await analyzeFiles(memoryRepo(FILES('set :docker_compose, true\nset :docker_compose_path, "deploy/compose.live.yml"\n')), "quarry");
    const w = m.problems.find((p) => p.message.startsWith("capistrano.docker-compose:"))!;
    expect([w.file, w.line]).toEqual(["Capfile", 5]);
    expect(w.message).toMatch(/pg \(deploy\/compose\.live\.yml:2: image postgres:15; environment POSTGRES_PASSWORD \(values not shown\)\)/);
    expect(w.message).toMatch(/app \(deploy\/compose\.live\.yml:8: built from \. \(the image's own CMD\); environment DATABASE_URL, RAILS_LOG_TO_STDOUT/);
    expect(w.message).toMatch(/jobs \(deploy\/compose\.live\.yml:13: built from \.; command `bundle exec rake jobs:work`\)/);
    const db = m.problems.find((p) => p.message.startsWith("capistrano.docker-compose-database:"))!;
    expect([db.file, db.line]).toEqual(["deploy/compose.live.yml", 2]);
    expect(db.message).toMatch(/named volume pgdata/);
    // no value of the compose environment in any message
    expect(m.problems.some((p) => p.message.includes("Tr0ub4dor"))).toBe(false);
  });

  it("credits the compose whenever plugin: the schedule is not said to be never run", async () => {
    const m = await analyzeFiles(memoryRepo(FILES('set :docker_compose, true\nset :docker_compose_path, "deploy/compose.live.yml"\n')), "quarry");
    expect(m.problems.some((p) => /whenever-not-invoked/.test(p.message))).toBe(false);
  });

  it("without docker_compose the compose file is not said to be the deploy", async () => {
    const m = await analyzeFiles(memoryRepo(FILES("")), "quarry");
    expect(m.problems.some((p) => p.message.startsWith("capistrano.docker-compose"))).toBe(false);
  });
});
