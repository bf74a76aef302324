// Capistrano variables set to Symbols (`set :sidekiq_roles, :jobs`, `set :rails_env, :production`,
// `set :branch, :trunk`) count as their names: `roles(:jobs)` selects the servers with that role,
// and a Symbol interpolated into a command (`RAILS_ENV=...`, `git ls-remote ... <branch>`) is its
// name. (Not `application`: Capistrano 3 validates it with String#gsub, so a Symbol aborts `cap`.)
// Judged by real `cap` (its roles and fetch values) on the same files.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { CAPFILE3 } from "./analyze.js";
import { prepareCopy, runCap, type CapView } from "./cap.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { railsEnvOf } from "../../emitters/kustomize/rules/stage.js";
import { sidekiqRoles, workerReplicas } from "../../emitters/kustomize/rules/sidekiq.js";
import { stageBranch } from "../../emitters/release/rules.js";

// A ledger app whose job servers are named by a role of their own, every value a Symbol.
const FILES: Record<string, string> = {
  Capfile: CAPFILE3 + 'require "capistrano/sidekiq"\ninstall_plugin Capistrano::Sidekiq\n',
  "config/deploy.rb": ["lock '~> 3.17'", 'set :application, "ledger"', 'set :repo_url, "https://git.example.org/acme/ledger.git"', "set :branch, :trunk", "set :sidekiq_roles, :jobs", ""].join("\n"),
  "config/deploy/live.rb": [
    "set :rails_env, :production",
    'server "front1.ledger.example.org", roles: %w[web app db]',
    'server "queue1.ledger.example.org", roles: [:jobs]',
    'server "queue2.ledger.example.org", roles: %i[jobs app]',
    "",
  ].join("\n"),
  "config/deploy/rehearsal.rb": [
    "set :rails_env, :staging",
    "set :sidekiq_roles, [:app, :jobs]",
    "set :branch, :release",
    'server "rehearsal1.ledger.example.org", roles: %w[web app db]',
    'server "rehearsal2.ledger.example.org", roles: %i[jobs]',
    'server "rehearsal3.ledger.example.org", roles: %i[db]',
    "",
  ].join("\n"),
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "sidekiq"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.0.8)\n    sidekiq (6.5.12)\n    capistrano (3.17.3)\n    capistrano-sidekiq (2.3.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  capistrano-sidekiq\n  rails\n  sidekiq\n",
};

let model: AppModel;
const cap: Record<string, CapView> = {};
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "r2k-capsym-"));
  for (const [p, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const app = prepareCopy(dir);
  for (const s of ["live", "rehearsal"]) cap[s] = await runCap(app, s);
  model = await analyzeFiles(memoryRepo(FILES), "ledger-app");
}, 120_000);

// Capistrano's roles(*names): each name to_sym, so a Symbol and a String name the same role.
const names = (v: unknown): string[] => [v].flat().map((x) => (typeof x === "object" && x !== null && "sym" in x ? String((x as { sym: string }).sym) : String(x)));

describe("Symbol values of Capistrano variables", () => {
  for (const name of ["live", "rehearsal"]) {
    it(`${name}: the sidekiq servers are the ones roles(fetch(:sidekiq_roles)) selects`, () => {
      const view = cap[name]!;
      const roles = names(view.variables["sidekiq_roles"]);
      const theirs = view.servers.filter((s) => s.roles.some((r) => roles.includes(r))).map((s) => s.host).sort();
      const stage = model.stages.find((s) => s.name === name)!;
      const ours = stage.servers.filter((s) => s.roles.some((r) => sidekiqRoles(stage).includes(r))).map((s) => s.host).sort();
      expect(ours).toEqual(theirs);
      expect(workerReplicas(stage)).toBe(theirs.length);
    });

    it(`${name}: rails_env and branch are the Symbols' names, as fetch(...).to_s gives them`, () => {
      const view = cap[name]!;
      const stage = model.stages.find((s) => s.name === name)!;
      expect(railsEnvOf(stage)).toBe(names(view.variables["rails_env"])[0]);
      expect(stageBranch(stage, {}).branch).toBe(names(view.variables["branch"])[0]);
    });
  }
});
