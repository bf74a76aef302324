// A deploy that keeps its Capistrano settings in Global's YAML: `Global.configure` in a file the
// deploy loads sets the environment (from the stage) and a config directory, then `set :settings,
// Global.configuration`, `fetch(:settings)["host"]["name"]`, `Global.deploy.host.name`. cap reads
// those on the deploying machine from the repo's files, so each stage's servers and variables are
// what the gem loads for that stage's environment, cited at their YAML line. A value the analysis
// cannot know (ERB over ENV) stays a gap whose message names the Global key.
// Judged by real `cap` with Global's API over the reference backend of test/global (global-gem/).
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyze, CAPFILE3 } from "./analyze.js";
import { prepareCopy, runCap, type CapView } from "./cap.js";

const GEM = join(dirname(fileURLToPath(import.meta.url)), "global-gem");

// A marine-survey app; one YAML holds every stage's host, user and branch.
const DEPLOY_YML = [
  "default:", //                                          1
  "  app_name: tidepool", //                              2
  "  git:", //                                            3
  "    url: https://git.example.org/marine/tidepool.git", // 4
  "    branch: main", //                                  5
  "  host:", //                                           6
  "    user: tide", //                                    7
  "    port: 22", //                                      8
  "    roles: [web, app, db]", //                         9
  "  keep: 4", //                                         10
  "production:", //                                       11
  "  host:", //                                           12
  "    name: pool1.tidepool.example.net", //              13
  "    port: 2222", //                                    14
  "  git:", //                                            15
  "    branch: stable", //                                16
  "staging:", //                                          17
  "  host:", //                                           18
  "    name: shallows.tidepool.example.net", //           19
  "    user: tide-staging", //                            20
  "sandbox:", //                                          21
  "  host:", //                                           22
  '    name: <%= ENV["SANDBOX_HOST"] %>', //              23
  "",
].join("\n");

const SERVER_BY_HASH = 'server fetch(:settings)["host"]["name"], user: fetch(:settings)["host"]["user"], port: fetch(:settings)["host"]["port"], roles: fetch(:settings)["host"]["roles"]\n';

const FILES: Record<string, string> = {
  Capfile: CAPFILE3,
  "config/deploy.rb": [
    "lock '~> 3.17'",
    'load "lib/deploy/settings.rb"',
    'set :repo_url, fetch(:settings)["git"]["url"]',
    'set :branch, fetch(:settings)["git"]["branch"]',
    'set :keep_releases, fetch(:settings)["keep"]',
    'set :log_level, fetch(:settings)["verbosity"] if fetch(:settings)["verbosity"]',
    "",
  ].join("\n"),
  "lib/deploy/settings.rb": [
    'require "global"',
    "",
    "Global.configure do |config|",
    "  config.environment = fetch(:stage).to_s",
    '  config.config_directory = File.expand_path("config/global/deploy").to_s',
    "end",
    "",
    "set :settings, Global.configuration",
    'set :application, fetch(:settings)["app_name"]',
    "",
  ].join("\n"),
  "config/deploy/production.rb": SERVER_BY_HASH,
  // method access, as Global::Configuration allows
  "config/deploy/staging.rb": "server Global.configuration.host.name, user: Global.configuration.host.user, roles: %w[web app db]\n",
  "config/deploy/sandbox.rb": SERVER_BY_HASH,
  "config/global/deploy.yml": DEPLOY_YML,
};

// The same settings read through the app's own Global directory, namespace first (`Global.deploy`).
const NAMESPACED: Record<string, string> = {
  ...FILES,
  "lib/deploy/settings.rb": [
    'require "global"',
    "Global.configure do |config|",
    "  config.environment = fetch(:stage)",
    '  config.config_directory = "config/global"',
    "end",
    "set :settings, Global.deploy",
    'set :application, Global.deploy["app_name"]',
    "",
  ].join("\n"),
  "config/deploy/staging.rb": "server Global.deploy.host.name, user: Global.deploy.host.user, roles: %w[web app db]\n",
};

function onDisk(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-capglobal-"));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return prepareCopy(dir);
}

for (const [shape, files] of [["Global.configuration from config/global/deploy", FILES], ["Global.deploy from config/global", NAMESPACED]] as const) {
  describe(`Capistrano settings from Global's YAML: ${shape}`, () => {
    const cap: Record<string, CapView> = {};
    let r: Awaited<ReturnType<typeof analyze>>;
    beforeAll(async () => {
      const app = onDisk(files);
      for (const s of ["production", "staging"]) cap[s] = await runCap(app, s, GEM);
      r = await analyze(files);
    }, 120_000);

    for (const stage of ["production", "staging"]) {
      it(`${stage}: the servers and variables are cap's`, () => {
        const theirs = cap[stage]!;
        const ours = r.stage(stage);
        expect(ours.servers.map((s) => ({ host: s.host, user: s.user, port: s.port, roles: s.roles }))).toEqual(theirs.servers.map((s) => ({ host: s.host, user: s.user, port: s.port, roles: s.roles })));
        for (const k of ["application", "repo_url", "branch", "keep_releases"]) expect([k, r.v(stage, k)]).toEqual([k, theirs.variables[k]]);
      });
    }

    it("each value cites the YAML line it came from", () => {
      const yml = "config/global/deploy.yml";
      expect(r.stage("production").variables["application"]!.source).toEqual({ file: yml, line: 2 });
      expect(r.stage("production").variables["branch"]!.source).toEqual({ file: yml, line: 16 });
      expect(r.stage("staging").variables["branch"]!.source).toEqual({ file: yml, line: 5 });
      expect(r.stage("production").servers[0]!.source).toEqual({ file: yml, line: 13 });
      expect(r.stage("staging").servers[0]!.source).toEqual({ file: yml, line: 19 });
    });

    it("a host the analysis cannot know stays a gap, and the message names the Global key", () => {
      const sandbox = r.stage("sandbox");
      expect(sandbox.servers).toEqual([]);
      const unread = (sandbox.unread ?? []).find((u) => u.what === "servers");
      expect(unread?.message).toMatch(/Global key (deploy\.)?host\.name \(config\/global\/deploy\.yml:23\) is not known statically/);
    });
  });
}

describe("Global reads the deploy did not configure", () => {
  it("no environment set: the read is unknown and says the deploy sets none", async () => {
    const r = await analyze({ ...FILES, "lib/deploy/settings.rb": 'require "global"\nset :settings, Global.configuration\n' });
    const unread = (r.stage("production").unread ?? []).find((u) => u.what === "servers");
    expect(unread?.message).toMatch(/Global\.configuration is read by the deploy, but the deploy sets no Global environment/);
  });
});
