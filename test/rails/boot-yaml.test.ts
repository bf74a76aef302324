// YAML files the app's boot code loads (config/application.rb, initializers) are read for secrets
// like database.yml: a `pass`/`token` key written in one is named under rails.secretKeys, and its
// value reaches no printed line and no written file. The load paths are checked against Ruby itself:
// each expression, evaluated with Rails.root set, names the file the analysis names.
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { analyzeDir } from "../../src/analyze.js";
import { bootYamlPath } from "../../analyzers/rails/boot-yaml.js";
import { expectHeldNowhere, migrateWritten, runCli, writeApp } from "../written-files.js";

const RABBIT_PW = "burrow-7Qx2-carrot";
const SEARCH_TOKEN = "tk_lantern_90aa81";
const LOADS = ['"#{Rails.root}/config/queue.yml"', 'Rails.root.join("config", "lookup.yml")', 'File.join(Rails.root, "config/queue.yml")'];

const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'lock "~> 3.17"\nset :application, "lantern"\nset :repo_url, "git@git.example.org:ops/lantern.git"\n',
  "config/deploy/production.rb": 'server "lantern1.example.org", user: "deploy", roles: %w[app web db]\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "pg"\ngem "puma"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (1.4.5)\n    puma (6.4.2)\n    rails (6.1.7)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  pg\n  puma\n  rails\n",
  "config/database.yml": 'production:\n  adapter: postgresql\n  url: <%= ENV["DATABASE_URL"] %>\n',
  "config/application.rb": [
    'require_relative "boot"',
    "module Lantern",
    "  class Application < Rails::Application",
    `    QUEUE = YAML.load_file ${LOADS[0]}`,
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/initializers/lookup.rb": `LOOKUP = YAML.load(ERB.new(File.read(${LOADS[1]})).result)[Rails.env]\n`,
  "config/queue.yml": `production:\n  vhost: /lantern\n  user: lantern\n  pass: ${RABBIT_PW}\n`,
  "config/lookup.yml": `production:\n  index: lantern\n  api_token: ${SEARCH_TOKEN}\n`,
  // Not loaded by boot code: not read.
  "config/unused.yml": "production:\n  password: left-alone\n",
};

describe("YAML loaded at boot", () => {
  it("Ruby names the same file for each load expression", () => {
    const ruby = `module Rails; def self.root; Pathname.new("/app"); end; end; RAILS_ROOT="/app"; require "pathname"; ${LOADS.map((e) => `puts((${e}).to_s)`).join("; ")}`;
    const r = spawnSync("ruby", ["-rpathname", "-e", ruby], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(LOADS.map((e) => `/app/${bootYamlPath(e)}`));
  });

  it("their secret keys are named, their values held nowhere", async () => {
    const dir = writeApp(FILES, "r2k-bootyaml-", "lantern");
    try {
      const m = await analyzeDir(dir);
      const keys = (m.rails.secretKeys ?? []).map((k: { file: string; path: string; given: string; source: { line: number } }) => `${k.file}:${k.path}:${k.given}:${k.source.line}`);
      expect(keys).toContain("config/queue.yml:production.pass:literal:4");
      expect(keys).toContain("config/lookup.yml:production.api_token:literal:3");
      expect(keys.some((k: string) => k.startsWith("config/unused.yml"))).toBe(false);
      const text = await runCli(["analyze", dir]);
      expect(text.out).toContain("config/queue.yml:production.pass");
      const { r, tree } = await migrateWritten(dir, FILES);
      expectHeldNowhere({ ...tree, "(analyze --json)": JSON.stringify(m) }, text.out + text.err + r.out + r.err, [RABBIT_PW, SEARCH_TOKEN]);
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
