// A Puma config path built from deploy_to by a plain `set` in config/deploy.rb, and a stage file that
// sets its own deploy_to afterwards: Capistrano computes the plain value when deploy.rb loads, before
// the stage file, so that stage starts Puma with a file under the OTHER deploy_to. Real `cap` (3.17;
// every 3.x loads deploy.rb before the stage file) is the judge of the values; the tool must agree,
// and say which deploy_to the path was built from, with its file:line.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { prepareCopy, runCap } from "../capistrano/cap.js";

beforeAll(async () => {
  await initPrism();
});

const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\n',
  "config/deploy.rb": [
    'set :application, "ledger"',
    'set :repo_url, "git@git.example.org:acme/ledger.git"',
    'set :deploy_to, "/apps/ledger"',
    'set :puma_conf, "#{deploy_to}/current/config/puma.rb"',
    'set :lazy_conf, -> { "#{fetch(:deploy_to)}/current/config/puma.rb" }',
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "web1.ledger.example.org", user: "deploy", roles: %w[web app db]\n',
  "config/deploy/staging.rb": 'set :rails_env, "staging"\nset :deploy_to, "/apps/ledger-next"\nserver "next.ledger.example.org", user: "deploy", roles: %w[web app db]\n',
  "config/puma.rb": "workers 3\nthreads 2, 8\n",
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.2.1)\n    capistrano3-puma (1.2.1)\n      capistrano (~> 3.0)\n    puma (3.12.6)\n    rails (4.2.11)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano (= 3.2.1)\n  capistrano3-puma\n  puma\n  rails\n",
};

describe("a config path captured from deploy.rb's deploy_to", () => {
  it("agrees with real cap on each stage's puma_conf, and says which deploy_to the staging path was built from", async () => {
    const root = mkdtempSync(join(tmpdir(), "r2k-captured-"));
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    const app = prepareCopy(root);
    const real = { production: await runCap(app, "production"), staging: await runCap(app, "staging") };
    expect(real.staging.variables["puma_conf"]).toBe("/apps/ledger/current/config/puma.rb");
    expect(real.staging.variables["deploy_to"]).toBe("/apps/ledger-next");
    expect(real.staging.variables["lazy_conf"]).toBe("/apps/ledger-next/current/config/puma.rb");

    const m = await analyzeFiles(memoryRepo(FILES), "ledger");
    for (const name of ["production", "staging"] as const) {
      const st = m.stages.find((s) => s.name === name)!;
      for (const k of ["puma_conf", "deploy_to", "lazy_conf"]) expect([name, k, st.variables[k]?.value]).toEqual([name, k, real[name].variables[k]]);
    }
    // production runs the repo's config/puma.rb (its release's copy)
    expect(m.appServers.find((a) => a.file === "config/puma.rb")?.stages).toEqual(["production"]);
    // staging: the path is explained at the `set`, naming the deploy_to it was built from and the later one
    const said = m.problems.filter((p) => p.file === "config/deploy.rb" && p.line === 4 && /stage staging/.test(p.message));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain('built from deploy_to "/apps/ledger" (config/deploy.rb:3)');
    expect(said[0]!.message).toContain('config/deploy/staging.rb:2 sets deploy_to "/apps/ledger-next"');
    expect(said[0]!.message).toContain("capistrano3-puma 1.2.1 renders its template to that path only when no file is there");
    // nothing of the kind for production, whose deploy_to is the one the path was built from
    expect(m.problems.some((p) => /stage production: puma_conf/.test(p.message))).toBe(false);
  });

  it("a lambda follows the stage's deploy_to: no such warning", async () => {
    const files = { ...FILES, "config/deploy.rb": FILES["config/deploy.rb"]!.replace('set :puma_conf, "#{deploy_to}/current/config/puma.rb"', 'set :puma_conf, -> { "#{fetch(:deploy_to)}/current/config/puma.rb" }') };
    const m = await analyzeFiles(memoryRepo(files), "ledger");
    expect(m.problems.some((p) => /was built from deploy_to/.test(p.message))).toBe(false);
    expect(m.appServers.find((a) => a.file === "config/puma.rb")?.stages).toEqual(["production", "staging"]);
  });
});
