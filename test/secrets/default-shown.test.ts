// One rule for "may this value be shown" (src/model/secret-env.ts secretEnvEntry). Two places asked it
// apart: the boot reads (config.env's commented lines, the report) asked the variable's name and the
// value's shape; the Mongoid comment of secrets.env.example also asked the key the value fills and
// whether it holds an `@`; a worker's line asked name, shape and user-info. A default only the
// Mongoid rule hid (a user-info no shape rule sees) was written into a committed config.env and printed by
// `analyze --json`. Every one of them now asks the union.
import { beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { envValueShown, secretEnvEntry } from "../../src/model/secret-env.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { expectHeldNowhere, migrateWritten, runCli, writeApp } from "../written-files.js";

beforeAll(async () => {
  await initPrism();
});

describe("secretEnvEntry: the union of the name, the key, the shape and a user-info", () => {
  it.each([
    // [name, value, key, secret, which part says so]
    ["MAILGUN_KEY", "k3yv4lue", null, true], // the variable's name
    ["TANNERY_MONGO_AUTH_X", "plain", "options.password", true], // the key it fills
    ["LEDGER_OPTS", "plain", "options.api_key", true],
    ["NOTIFY", "https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX", null, true], // its shape
    ["DB_LOGIN", "tanner: Bark h1de@db1.tannery.internal", null, true], // a user-info no shape rule sees
    ["MONGO_HOSTS", "ops:p@ss word@mongo1", "hosts", true],
    ["CONTACT", "contact:ops@example.com", null, true], // a user-info the shape rule spares as a label
    ["MAILER_FROM", "ops@tannery.example", null, false], // an `@` alone holds no password: a mail address,
    ["QUEUE", "@mail", null, false], // a Resque queue list,
    // An ssh address reads like a bare password with an @ in it (`p@ssw0rd`): held, the safe side of the doubt.
    ["DEPLOY_HOST", "deploy@web1", null, true],
    ["QUEUE", "@mail,@billing", null, false], // Resque dynamic queues: a sigil, not a user-info
    ["MONGO_DATABASE", "tannery_staging", "database", false],
    ["WEB_CONCURRENCY", "3", null, false],
  ] as const)("%s=%s (key %s): secret %s", (name, value, key, secret) => {
    expect(secretEnvEntry(name, value, key)).toBe(secret);
    expect(envValueShown(name, value, key)).toBe(!secret);
  });

  it("shows a number or a flag, never an object it cannot judge as text", () => {
    expect(envValueShown("POOL", 5)).toBe(true);
    expect(envValueShown("CACHE", true)).toBe(true);
    expect(envValueShown("X", { env: "Y" })).toBe(false);
  });
});

// A user-info whose password starts with a space: the shape rules spare it as prose (`note: see ops:x`).
const DEFAULT = "tanner: Bark h1de@db1.tannery.internal";

function tannery(): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
    "config/deploy.rb": 'lock "3.11.0"\nset :application, "tannery"\nset :repo_url, "git@git.example.test:leather/tannery.git"\nset :deploy_to, "/srv/tannery"\n',
    "config/deploy/production.rb": 'set :rails_env, "production"\nserver "tan1.example.test", user: "deploy", roles: %w{web app db}\n',
    ".rails2k8s.yml": "# rails2k8s answers\nweb.server: unicorn\n",
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    mysql2 (0.5.3)\n    rails (5.2.8)\n    unicorn (5.5.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mysql2\n  rails\n  unicorn\n",
    // Neither the variable's name nor the key says secret, and no shape rule sees it: only its `@`.
    "config/database.yml": `production:\n  adapter: mysql2\n  database: tannery\n  host: db1.tannery.internal\n  username: <%= ENV.fetch("TANNERY_DB_LOGIN", "${DEFAULT}") %>\n`,
  };
}

describe("a boot read's default that holds a user-info no shape rule sees", () => {
  it("goes to the git-ignored secrets.env, never to config.env, the report or the terminal", async () => {
    const files = tannery();
    const dir = writeApp(files, "r2k-default-shown-", "tannery");
    try {
      const { r, tree } = await migrateWritten(dir, files);
      const a = await runCli(["analyze", dir]);
      const j = await runCli(["analyze", "--json", dir]);
      const tracked = Object.fromEntries(Object.entries(tree).filter(([p]) => !p.endsWith("/secrets.env")));
      expectHeldNowhere(tracked, r.out + r.err + a.out + a.err + j.out + j.err, [DEFAULT, "Bark h1de"]);
      // Prefilled where the pod reads it, listed (without a value) where the team fills it in.
      expect(tree["k8s/overlays/production/secrets.env"]).toContain(`TANNERY_DB_LOGIN=${DEFAULT}`);
      expect(tree["k8s/overlays/production/secrets.env.example"]).toMatch(/^# TANNERY_DB_LOGIN=$/m);
      expect(tree["k8s/overlays/production/config.env"]).not.toContain("TANNERY_DB_LOGIN");
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
