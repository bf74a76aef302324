// A secret given to a worker as an argument is two words: `--password` and its value, neither a
// secret alone. The redaction judged a worker's command word by word, and the analysis carried the
// words into the worker's Deployment (a tracked file): a short password (too short to be cut out of
// other text as a known value) reached `analyze --json`, the Deployment and migrate's terminal diff.
// The words are now judged joined, as the line they were (init-scripts.ts reads a daemon's so): the
// secret is cut where shown, and the worker is named as not carried, with how to carry it.
import { beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { cutArgv } from "../../src/model/secret-shapes.js";
import { redactModel } from "../../src/redact.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { baseModel } from "../hazards/base-model.js";
import { expectHeldNowhere, migrateWritten, runCli, writeApp } from "../written-files.js";

beforeAll(async () => {
  await initPrism();
});

// Six characters: below what is cut out of other text as a known value (redact.ts scrubbable).
const PW = "Hide9x";

describe("cutArgv: the words judged as one line", () => {
  it.each([
    [["bin/delayed_job", "run", "--password", PW], ["bin/delayed_job", "run", "--password", "[secret]"]],
    [["sidekiq", "--redis-password", PW, "-q", "mail"], ["sidekiq", "--redis-password", "[secret]", "-q", "mail"]],
    [["redis-cli", "-h", "cache1", "-a", PW, "ping"], ["redis-cli", "-h", "cache1", "-a", "[secret]", "ping"]],
    [["curl", "-H", "Authorization:", "Bearer", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9x"], ["curl", "-H", "Authorization:", "Bearer", "[secret]"]],
    [["worker", "--url", "redis://:pw9Hide@cache1:6379/0"], ["worker", "--url", "redis://:[secret]@cache1:6379/0"]],
  ])("%j", (words, shown) => {
    expect(cutArgv(words, "[secret]")?.words).toEqual(shown);
  });

  it("leaves a command with no secret alone", () => {
    expect(cutArgv(["bundle", "exec", "sidekiq", "-q", "default", "-c", "5"], "[secret]")).toBeNull();
  });
});

describe("the report's model: a worker's command", () => {
  it("is cut where a secret spans two of its words", () => {
    const m = baseModel({});
    const shown = JSON.stringify(redactModel({ ...m, workers: [{ ...({} as never), name: "worker", args: ["bin/delayed_job", "run", "--password", PW], sidekiqOptions: { words: ["--redis-password", PW], queues: [], concurrency: null, timeout: null } }] } as never));
    expect(shown).not.toContain(PW);
    expect(shown).toContain('"--password","[secret]"');
  });
});

const base = (gems: string[], procfile: string): Record<string, string> => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'lock "3.11.0"\nset :application, "tannery"\nset :repo_url, "git@git.example.test:leather/tannery.git"\nset :deploy_to, "/srv/tannery"\n',
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "tan1.example.test", user: "deploy", roles: %w{web app db}\n',
  ".rails2k8s.yml": "# rails2k8s answers\nweb.server: unicorn\n",
  "Gemfile.lock": `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.split(" ")[0]}\n`).join("")}`,
  "config/database.yml": "production:\n  adapter: mysql2\n  database: tannery\n  host: db1.tannery.internal\n",
  Procfile: procfile,
});

describe("a Procfile worker whose password is a word of its own", () => {
  it.each([
    ["delayed_job", base(["delayed_job (4.1.9)", "delayed_job_active_record (4.1.7)", "mysql2 (0.5.3)", "rails (5.2.8)", "unicorn (5.5.1)"], `web: bundle exec unicorn\nworker: bin/delayed_job run --queues=mail --password ${PW}\n`)],
    ["sidekiq", base(["mysql2 (0.5.3)", "rails (5.2.8)", "sidekiq (6.5.1)", "unicorn (5.5.1)"], `web: bundle exec unicorn\nworker: bundle exec sidekiq -q default --redis-password ${PW}\n`)],
  ])("%s: not in analyze (text, --json), migrate's terminal or any file it wrote; the worker is named as not carried", async (_, files) => {
    const dir = writeApp(files, "r2k-argv-secret-", "tannery");
    try {
      const a = await runCli(["analyze", dir]);
      const j = await runCli(["analyze", "--json", dir]);
      const { r, tree } = await migrateWritten(dir, files);
      expectHeldNowhere(tree, a.out + a.err + j.out + j.err + r.out + r.err, [PW]);
      expect(a.out + a.err).toMatch(/not carried: its command holds a secret \(`[^`]*--(?:redis-)?password \[secret\][^`]*`\)/);
      expect(tree["MIGRATION.md"]).toContain("its command holds a secret");
      expect(Object.keys(tree).filter((p) => /worker.*-deployment\.yaml$/.test(p))).toEqual([]);
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
