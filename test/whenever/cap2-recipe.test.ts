// whenever's Capistrano 2 recipe (`require "whenever/capistrano"` in a Capistrano 2 deploy.rb):
// ruby-whenever 1.0's lib/whenever/capistrano/v2/recipes.rb sets its defaults with `_cset`
// (whenever_roles :db, whenever_command "whenever", whenever_environment rails_env) and
// v2/support.rb runs, on each server of whenever_roles,
//   cd <whenever_path> && <whenever_command> <whenever_update_flags> --roles <the server's roles & whenever_roles>
// — only the server's roles that are whenever roles, unlike v3's `--roles=<all its roles>`. Capistrano
// 2 is not installed here, so the oracle is that command's whenever part run by the real `whenever`
// for each server (its roles computed as support.rb's whenever_server_roles does).
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitAndBuild, all } from "../kustomize/built.js";
import { runWhenever } from "./crontab.js";

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, "cap2_schedule.rb");
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "3.2.22"\ngem "whenever"\ngem "capistrano", "~> 2.15"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    rails (3.2.22)\n    whenever (0.9.7)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano (~> 2.15)\n  rails (= 3.2.22)\n  whenever\n",
  "script/rails": "",
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  // the stage files set rails_env; whenever_environment follows it (the recipe's default)
  "config/deploy.rb": 'require "capistrano/ext/multistage"\nset :stages, %w(production staging)\nset :application, "archive"\nset :repository, "git@example.net:archive.git"\nset :deploy_to, "/srv/archive"\nset :whenever_command, "bundle exec whenever"\nrequire "whenever/capistrano"\n',
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "a1.archive.example.net", :app, :web, :db, :primary => true\nserver "a2.archive.example.net", :app, :web\n',
  "config/deploy/staging.rb": 'set :rails_env, "staging"\nset :whenever_roles, [:db, :app]\nserver "s1.archive.example.net", :app, :web, :db, :primary => true\n',
  "config/schedule.rb": readFileSync(FILE, "utf8"),
};
const SERVERS: Record<string, { host: string; roles: string[] }[]> = {
  production: [{ host: "a1", roles: ["app", "web", "db"] }, { host: "a2", roles: ["app", "web"] }],
  staging: [{ host: "s1", roles: ["app", "web", "db"] }],
};
const WHENEVER_ROLES: Record<string, string[]> = { production: ["db"], staging: ["db", "app"] };
const ENV: Record<string, string> = { production: "production", staging: "staging" };
const TASKS = ["archive:compact", "Archive.warm_cache", "archive:reset_demo"];

/** Per stage, the jobs some server's crontab held, by the recipe's command on each whenever server. */
function truth(stage: string): Set<string> {
  const out = new Set<string>();
  for (const s of SERVERS[stage]!) {
    const roles = s.roles.filter((r) => WHENEVER_ROLES[stage]!.includes(r));
    if (!roles.length) continue; // find_servers(:roles => whenever_roles): not one of its servers
    const lines = runWhenever(FILE, { gemfile: true, binRails: false }, `environment=${ENV[stage]}`, {}, ["--roles", roles.join(",")]).lines;
    for (const l of lines) out.add(TASKS.find((t) => l.command.includes(t))!);
  }
  return out;
}

beforeAll(async () => {
  await initPrism();
});

describe("whenever's Capistrano 2 recipe vs its command run by the real whenever", () => {
  it("jobs run on each stage as the recipe's --roles (the server's whenever roles) and environment say", async () => {
    // the fixture exercises each outcome
    expect(truth("production")).toEqual(new Set(["archive:compact"]));
    expect(truth("staging")).toEqual(new Set(TASKS));
    const m = await analyzeFiles(memoryRepo(FILES), "archive");
    const { stages } = emitAndBuild(m, { "cron.time_zone": "Etc/UTC" });
    for (const stage of ["production", "staging"]) {
      const crons = all(stages[stage]!, "CronJob");
      const running = TASKS.filter((t) => crons.some((x) => JSON.stringify(x.spec).includes(t) && (x.spec as { suspend?: boolean }).suspend !== true));
      expect(new Set(running), stage).toEqual(truth(stage));
    }
    // the recipe's defaults, labelled as its own
    const prod = m.stages.find((s) => s.name === "production")!;
    expect(prod.variables["whenever_roles"]?.defaultOf).toMatch(/whenever\/capistrano/);
    expect(prod.variables["whenever_update_flags"]?.value).toBe("--update-crontab archive --set environment=production");
  }, 120_000);
});
