// Capistrano 2 recipe gems that start Unicorn on every deploy: capistrano-recipes0's
// `recipes0/init_d/unicorn` (its init script runs `unicorn -E <rails_env> -D -c current/config/unicorn.rb`)
// and capi's `capi/unicorn` (`unicorn_rails -c .../config/unicorn.rb -E <rails_env> -D`). Their
// require is the evidence of Unicorn, cited at its line. With recipes0, each stage's rails_env is
// the RACK_ENV Unicorn evaluates config/unicorn.rb with: a stage deploying `rails_env "development"`
// gets the config's development branch, as real `unicorn -E development` reads it.
// (Fixtures in our own words, after two Capistrano 2 multistage repos of the corpus.)
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initPrism();
});

const UNICORN = [
  "env = ENV['RACK_ENV'] || 'production'",
  "if env == 'production'",
  "  worker_processes 9",
  "elsif env == 'development'",
  "  worker_processes 2",
  "end",
  "timeout 45",
].join("\n") + "\n";

const deploy = (recipe: string) =>
  [
    "set :stages, %w(live trial)",
    "set :default_stage, 'trial'",
    "require 'capistrano/ext/multistage'",
    "set :application, 'quill'",
    "set :repository, 'git@example.org:acme/quill.git'",
    "set :deploy_to, '/home/quill/app'",
    `require '${recipe}'`,
  ].join("\n") + "\n";

const files = (recipe: string): Record<string, string> => ({
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  "config/deploy.rb": deploy(recipe),
  "config/deploy/live.rb": "server 'quill.example.org', :app, :web, :db, :primary => true\nset :rails_env, 'production'\n",
  "config/deploy/trial.rb": "server 'trial.example.org', :app, :web, :db, :primary => true\nset :rails_env, 'development'\n",
  "config/unicorn.rb": UNICORN,
  "config.ru": "run ->(env) { [200, {}, []] }\n",
  Gemfile: 'source "https://rubygems.org"\n',
});

/** The real `unicorn -E env -c <config>`, stopped right after the config is evaluated. */
function realUnicorn(env: string): { worker_processes: number; rack_env_seen: string | null } {
  const dir = mkdtempSync(join(tmpdir(), "r2k-recipes0-"));
  mkdirSync(join(dir, "config"));
  writeFileSync(join(dir, "config/unicorn.rb"), UNICORN);
  writeFileSync(join(dir, "config.ru"), 'run ->(env) { [200, {}, ["ok"]] }\n');
  const out = join(dir, "seen.json");
  const r = spawnSync("unicorn", ["-E", env, "-c", join(here, "unicorn_e_oracle.rb"), "config.ru"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, R2K_CONFIG: join(dir, "config/unicorn.rb"), R2K_OUT: out } });
  if (r.status !== 0) throw new Error(`unicorn failed: ${r.stderr}`);
  return JSON.parse(readFileSync(out, "utf8"));
}

describe("Capistrano 2 Unicorn recipe gems", () => {
  for (const [recipe, line] of [["recipes0/init_d/unicorn", 7], ["capi/unicorn", 7]] as const) {
    it(`require '${recipe}' is the evidence: Unicorn, cited at config/deploy.rb:${line}`, async () => {
      const m = await analyzeFiles(memoryRepo(files(recipe)), "quill");
      expect(m.webServer?.kind).toBe("unicorn");
      expect(m.webServer!.evidence[0]).toMatchObject({ source: { file: "config/deploy.rb", line } });
      expect(m.webServer!.evidence[0]!.value).toMatch(/unicorn/);
    });
  }

  it("recipes0 starts `unicorn -E <rails_env>`: each stage's config branch is the one real Unicorn takes for that RACK_ENV", async () => {
    const m = await analyzeFiles(memoryRepo(files("recipes0/init_d/unicorn")), "quill");
    for (const [stage, env] of [["live", "production"], ["trial", "development"]] as const) {
      const real = realUnicorn(env);
      expect(real.rack_env_seen).toBe(env);
      const cfg = appServerFor(m, m.stages.find((s) => s.name === stage)!)!;
      expect([stage, cfg.workers?.value]).toEqual([stage, real.worker_processes]);
    }
  });
});
