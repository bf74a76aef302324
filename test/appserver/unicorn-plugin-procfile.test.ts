// capistrano3-unicorn's unicorn:start runs `unicorn -c <unicorn_config_path>`, whose default is
// config/unicorn/<rails_env>.rb (the gem's lib/capistrano3/tasks/unicorn.rake, load:defaults). A
// Heroku Procfile (`web: unicorn -c ./config/unicorn.rb`) that nothing in the deploy runs does not
// outrank it: the per-env file is what the servers ran. Judged by Unicorn::Configurator reading the
// file the plugin starts. App "quarry", written here.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));

const HEROKU_RB = "worker_processes 3\ntimeout 25\npreload_app true\n";
const PRODUCTION_RB = "worker_processes 7\ntimeout 180\npreload_app true\n";

function quarry(): Record<string, string> {
  return {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/unicorn"\n',
    "config/deploy.rb": [
      'lock "3.2.1"',
      'set :application, "quarry"',
      'set :repo_url, "git@git.example.test:stone/quarry.git"',
      'set :deploy_to, "/srv/quarry"',
      "namespace :deploy do",
      "  after :publishing, :restart",
      "  task :restart do",
      '    invoke "unicorn:restart"',
      "  end",
      "end",
      "",
    ].join("\n"),
    "config/deploy/production.rb": 'set :rails_env, "production"\nserver "q1.example.test", roles: %w[web app db]\n',
    "config/deploy/trial.rb": 'set :rails_env, "production"\nserver "q-trial.example.test", roles: %w[web app db]\n',
    // Heroku's start, from before the move to EC2: nothing in the deploy runs it
    Procfile: "web: bundle exec unicorn -p $PORT -c ./config/unicorn.rb\n",
    "config/unicorn.rb": HEROKU_RB,
    "config/unicorn/production.rb": PRODUCTION_RB,
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano3-unicorn (0.2.1)\n    rails (4.2.11)\n    unicorn (5.4.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano3-unicorn\n  rails\n  unicorn\n",
  };
}

/** What real Unicorn sets from `text`, the file placed where Capistrano puts it. */
function unicorn(text: string, file: string): any {
  const path = join(mkdtempSync(join(tmpdir(), "r2k-quarry-")), "srv/quarry/current", file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return runRubyFile(join(here, "unicorn_oracle.rb"), [{ path, env: "production" }])[0];
}

beforeAll(async () => {
  await initPrism();
});

describe("capistrano3-unicorn beside a Heroku Procfile nothing in the deploy runs", () => {
  it("each stage runs config/unicorn/<rails_env>.rb, read as Unicorn reads it; the Procfile's config runs nowhere, and that is said", async () => {
    const m = await analyzeFiles(memoryRepo(quarry()), "quarry");
    const real = unicorn(PRODUCTION_RB, "config/unicorn/production.rb");
    for (const name of ["production", "trial"]) {
      const cfg = appServerFor(m, m.stages.find((s) => s.name === name)!)!;
      expect(cfg.file).toBe("config/unicorn/production.rb");
      expect(cfg.workers?.value).toBe(real.worker_processes);
      expect(cfg.timeout?.value).toBe(real.timeout);
    }
    expect(m.appServers.find((a) => a.file === "config/unicorn.rb")?.stages ?? []).toEqual([]);
    const said = m.problems.find((p) => p.file === "Procfile" && p.line === 1 && /capistrano3-unicorn 0\.2\.1/.test(p.message));
    expect(said?.message).toMatch(/config\/unicorn\/production\.rb is read for stages production, trial, not config\/unicorn\.rb/);
  });

  it("a Procfile the deploy does run (foreman start) still names the config", async () => {
    const files = quarry();
    files["config/deploy.rb"] = files["config/deploy.rb"]!.replace('invoke "unicorn:restart"', 'on roles(:app) { execute "cd #{current_path} && foreman start web" }');
    files.Capfile = files.Capfile!.replace('require "capistrano3/unicorn"\n', "");
    const m = await analyzeFiles(memoryRepo(files), "quarry");
    expect(appServerFor(m, m.stages.find((s) => s.name === "production")!)?.file).toBe("config/unicorn.rb");
  });

  it("with no config/unicorn/<rails_env>.rb in the repo, no stage is said to run the Procfile's file, and the missing file is named", async () => {
    const files = quarry();
    delete files["config/unicorn/production.rb"];
    const m = await analyzeFiles(memoryRepo(files), "quarry");
    expect(m.appServers.find((a) => a.file === "config/unicorn.rb")?.stages ?? []).toEqual([]);
    expect(m.problems.some((p) => p.file === "Procfile" && /the repo has no config\/unicorn\/production\.rb/.test(p.message))).toBe(true);
  });
});
