// The Puma config the deploy's own task names (`puma -C config/puma.rb`) is the one read, not the
// one a Heroku Procfile nothing in the deploy runs names (`-C config/heroku_puma.rb`). Its
// `unless %w[test development].include?(ENV["RAILS_ENV"])` block is decided per stage from the
// stage's rails_env (checked against real Puma's DSL), and a worker count that counts the host's
// CPUs (`Concurrent.processor_count`, `Etc.nprocessors`, a read of /proc/cpuinfo) is unknown with the
// named warning appserver.machine-dependent, never this machine's number.
// (Fixture in our own words, after a multi-stage Capistrano 3 API repo of the corpus.)
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";
import { appServerGaps } from "../../src/gaps/appserver.js";
import { isUnknown } from "../../src/model.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initPrism();
});

const LOCK = `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.0)\n    puma (5.6.4)\n    rails (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  puma\n  rails\n\nBUNDLED WITH\n   2.4.22\n`;

const PUMA = [
  "unless %w[test development].include?(ENV['RAILS_ENV'])",
  "  workers 3",
  "  threads 2, 8",
  "  preload_app!",
  "end",
].join("\n") + "\n";

const DEPLOY = [
  "set :application, 'orchard'",
  "set :repo_url, 'git@example.org:acme/orchard.git'",
  "set :deploy_to, '/srv/orchard'",
  "namespace :app do",
  "  task :start do",
  "    on roles(:app) do",
  "      within current_path do",
  "        execute :bundle, :exec, :\"puma -C config/puma.rb -e #{fetch(:stage)}\"",
  "      end",
  "    end",
  "  end",
  "end",
  "after 'deploy:finished', 'app:start'",
].join("\n") + "\n";

const files = (puma = PUMA): Record<string, string> => ({
  Capfile: "require 'capistrano/setup'\nrequire 'capistrano/deploy'\n",
  "config/deploy.rb": DEPLOY,
  "config/deploy/production.rb": "server 'api1.example.org', roles: %w{app web db}\nset :rails_env, 'production'\n",
  "config/deploy/trial.rb": "server 'trial1.example.org', roles: %w{app web db}\nset :rails_env, 'development'\n",
  Procfile: "web: bundle exec puma -C config/heroku_puma.rb\n",
  "config/heroku_puma.rb": "threads 5, 5\nport ENV.fetch('PORT') { 3000 }\n",
  "config/puma.rb": puma,
  Gemfile: 'source "https://rubygems.org"\n',
  "Gemfile.lock": LOCK,
});

describe("the Puma config the deploy's task names", () => {
  it("config/puma.rb is read for every stage, not the Heroku Procfile's config/heroku_puma.rb", async () => {
    const m = await analyzeFiles(memoryRepo(files()), "orchard");
    for (const st of m.stages) expect(appServerFor(m, st)?.file).toBe("config/puma.rb");
    expect(m.appServers.find((a) => a.file === "config/heroku_puma.rb")?.stages ?? []).toEqual([]);
  });

  it("the unless-include? block is decided per stage, as real Puma reads the file with each RAILS_ENV", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-named-puma-"));
    mkdirSync(join(dir, "config"));
    writeFileSync(join(dir, "config/puma.rb"), PUMA);
    const oracle = runRubyFile(join(here, "puma_oracle.rb"), [{ path: join(dir, "config/puma.rb"), env: "production" }, { path: join(dir, "config/puma.rb"), env: "development" }]);
    const m = await analyzeFiles(memoryRepo(files()), "orchard");
    const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    const trial = appServerFor(m, m.stages.find((s) => s.name === "trial")!)!;
    expect(oracle[0]).toMatchObject({ workers: 3, threads: [2, 8] });
    expect([prod.workers?.value, prod.threads?.value]).toEqual([oracle[0].workers, oracle[0].threads]);
    expect(oracle[1].workers ?? null).toBe(null);
    expect(trial.workers?.value ?? null).toBe(null);
  });

  for (const [name, line] of [
    ["Concurrent.processor_count", "  workers Concurrent.processor_count || 2"],
    ["Etc.nprocessors", "  workers Etc.nprocessors * 2"],
    ["/proc/cpuinfo", "  cpus = `grep -c processor /proc/cpuinfo`.to_i\n  workers 2 * cpus"],
  ] as const) {
    it(`a worker count from ${name} is unknown, named appserver.machine-dependent at its line, and asked`, async () => {
      const puma = PUMA.replace("  workers 3", line);
      const m = await analyzeFiles(memoryRepo(files(puma)), "orchard");
      const prod = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
      expect(isUnknown(prod.workers!.value)).toBe(true);
      const at = puma.split("\n").findIndex((l) => /^\s*workers/.test(l)) + 1;
      const said = m.problems.filter((p) => p.message.startsWith("appserver.machine-dependent:"));
      expect(said.map((p) => [p.file, p.line])).toEqual([["config/puma.rb", at]]);
      expect(said[0]!.message).toMatch(/CPUs|host/);
      expect(appServerGaps(m).map((g) => g.id)).toContain("stage.production.web.workers");
    });
  }
});
