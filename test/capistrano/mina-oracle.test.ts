// What `analyze --json` says of a Mina deploy against real Mina (Debian's 0.3.7), run as each stage is
// deployed: `mina <stage> deploy` for mina-multistage's config/deploy/<stage>.rb (and a stages_dir
// with its own list), `mina deploy` for a deploy with one target. For every stage: the stage names,
// the server (Mina's `domain`, with its `user`), and deploy_to, branch, rails_env, stage, user.
// mina-multistage is not packaged by Debian: a stand-in written from its documentation is loaded
// instead (test/capistrano/mina.ts; R2K_MINA_MULTISTAGE_LIB=<gem>/lib runs the real gem).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { prepareMinaCopy, runMina, type MinaCopy } from "./mina.js";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/rails2k8s.js");
const KEYS = ["deploy_to", "branch", "rails_env", "stage", "user", "domain"];

const lock = (...gems: string[]) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join("")}    puma (4.3.12)\n    rails (5.2.8)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${gems.map((g) => `  ${g.split(" ")[0]}\n`).join("")}  puma\n  rails\n`;

const railsApp = (name: string) => ({
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "mina", require: false\ngem "mina-multistage", require: false\n',
  "config/application.rb": `module ${name}\n  class Application < Rails::Application\n  end\nend\n`,
  "config/puma.rb": "workers 2\nthreads 1, 5\n",
});

const DEPLOY_TASK = ["task :deploy => :environment do", "  deploy do", "    invoke :'git:clone'", "    invoke :'deploy:link_shared_paths'", "  end", "end", ""];

// Each app: its files, and how each stage is deployed (the words before `deploy`).
const APPS: Record<string, { files: Record<string, string>; runs: Record<string, string[]> | "stage files" }> = {
  // One target, no stage files: `mina deploy`.
  lantern: {
    files: {
      ...railsApp("Lantern"),
      "Gemfile.lock": lock("mina (0.3.7)"),
      "config/deploy.rb": [
        "require 'mina/bundler'",
        "require 'mina/rails'",
        "require 'mina/git'",
        "",
        "set :domain, 'lantern.example.net'",
        "set :user, 'keeper'",
        "set :app_dir, 'lantern'",
        "set :deploy_to, -> { \"/home/#{user}/apps/#{app_dir}\" }",
        "set :repository, 'git@git.example.net:lighthouse/lantern.git'",
        "set_default :branch, 'trunk'",
        "",
        ...DEPLOY_TASK,
      ].join("\n"),
    },
    runs: { production: [] },
  },
  // mina-multistage, required first (before mina/rails), stage files in config/deploy/.
  tidewater: {
    files: {
      ...railsApp("Tidewater"),
      "Gemfile.lock": lock("mina (0.3.7)", "mina-multistage (1.0.2)\n      mina (>= 0.2.1)"),
      "config/deploy.rb": [
        "require 'mina/multistage'",
        "require 'mina/bundler'",
        "require 'mina/rails'",
        "require 'mina/git'",
        "",
        "set :application, 'tidewater'",
        "set :user, 'deploy'",
        "set :home, -> { \"/home/#{user}\" }",
        "set :deploy_to, -> { \"#{home}/#{application}-#{stage}\" }",
        "set :rails_env, -> { stage }",
        // Read at load, before any stage task ran: Mina 0.3 answers an unset name with nil.
        "set :log_tag, \"tidewater-#{stage}\"",
        "set :branch, 'main'",
        "set :shared_paths, ['config/database.yml', 'log']",
        "",
        ...DEPLOY_TASK,
      ].join("\n"),
      "config/deploy/production.rb": "set :domain, 'tidewater.example.org'\nset :branch, 'release'\n",
      // set_default after mina/rails and mina/git have set them: no effect.
      "config/deploy/staging.rb": "set :domain, 'staging.tidewater.example.org'\nset :user, 'stager'\nset_default :branch, 'develop'\nset_default :rails_env, 'qa'\n",
      "config/deploy/demo.rb": "set :domain, '10.20.0.7'\nset :rails_env, 'staging'\nset :application, 'tidewater-demo'\n",
    },
    runs: "stage files",
  },
  // stages_dir elsewhere, and 1.0.1's own list of stages (the file not listed is no stage).
  harbour: {
    files: {
      ...railsApp("Harbour"),
      "Gemfile.lock": lock("mina (0.3.7)", "mina-multistage (1.0.4)\n      mina (>= 0.2.1)"),
      "config/deploy.rb": [
        "set :stages_dir, 'deploy/targets'",
        "set :all_stages, %w[production beta]",
        "require 'mina/rails'",
        "require 'mina/git'",
        "require 'mina/multistage'",
        "",
        "set :application, 'harbour'",
        "set :deploy_to, -> { \"/srv/#{application}/#{rails_env}\" }",
        "",
        ...DEPLOY_TASK,
      ].join("\n"),
      "deploy/targets/production.rb": "set :domain, 'harbour.example.com'\nset :user, 'harbour'\n",
      "deploy/targets/beta.rb": "set :domain, 'beta.harbour.example.com'\nset :user, 'harbour'\nset :rails_env, 'staging'\nset :branch, 'beta'\n",
      "deploy/targets/scratch.rb": "set :domain, 'scratch.harbour.example.com'\n",
    },
    runs: "stage files",
  },
};

const dirs: string[] = [];
const copies = new Map<string, MinaCopy>();
const models = new Map<string, any>();
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

beforeAll(() => {
  for (const [name, { files }] of Object.entries(APPS)) {
    const dir = mkdtempSync(join(tmpdir(), `r2k-mina-app-${name}-`));
    dirs.push(dir);
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const copy = prepareMinaCopy(dir);
    dirs.push(dirname(copy.app));
    copies.set(name, copy);
    const r = spawnSync("node", [BIN, "analyze", dir, "--json"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`analyze ${name} exited ${r.status}: ${r.stderr}`);
    models.set(name, JSON.parse(r.stdout));
  }
});

/** The stages real Mina has: the multistage tasks (its list), or the one target. */
function realStages(name: string): Record<string, string[]> {
  const runs = APPS[name]!.runs;
  if (runs !== "stage files") return runs;
  const plain = runMina(copies.get(name)!, []);
  const list = (plain["all_stages"] ?? plain["stages"]) as string[];
  return Object.fromEntries(list.map((s) => [s, [s]]));
}

describe("analyze --json of a Mina deploy = real mina 0.3.7", () => {
  for (const name of Object.keys(APPS)) {
    it(`${name}: the same stages`, () => {
      expect(models.get(name).capistrano.tool).toBe("mina");
      expect(models.get(name).stages.map((s: any) => s.name).sort()).toEqual(Object.keys(realStages(name)).sort());
    });

    it(`${name}: each stage's server, deploy_to, branch, rails_env, stage and user`, () => {
      for (const [stage, words] of Object.entries(realStages(name))) {
        const real = runMina(copies.get(name)!, words);
        const ours = models.get(name).stages.find((s: any) => s.name === stage);
        expect(ours, `stage ${stage}`).toBeDefined();
        const mine = Object.fromEntries(KEYS.map((k) => [k, ours.variables[k]?.value ?? null]));
        const theirs = Object.fromEntries(KEYS.map((k) => [k, real[k] ?? null]));
        expect([stage, mine]).toEqual([stage, theirs]);
        expect(ours.servers.map((s: any) => [s.host, s.user])).toEqual([[real["domain"], real["user"] ?? null]]);
      }
    });
  }

  it("tidewater: the stage is set only when its task runs, after config/deploy.rb: a read at load is not the stage's name", () => {
    const real = runMina(copies.get("tidewater")!, ["production"]);
    expect(real["log_tag"]).toBe("tidewater-");
    const ours = models.get("tidewater").stages.find((s: any) => s.name === "production").variables["log_tag"].value;
    expect(JSON.stringify(ours)).not.toContain("production");
  });

  it("the stand-in runs the default stage when no stage is named, as the gem does", () => {
    const plain = runMina(copies.get("tidewater")!, []);
    expect([plain["stage"], plain["domain"]]).toEqual(["staging", "staging.tidewater.example.org"]);
  });
});
