// Mina targets named inside config/deploy.rb (no mina-multistage files): a task per target, a
// branch on a command-line variable (`mina deploy to=staging` sets ENV["to"]), or the host set in
// the environment task. No oracle: Mina is not packaged here; these follow Mina's documented
// behaviour (tasks named before `deploy` run first, `deploy` runs `environment`, NAME=value
// arguments land in ENV).
import { describe, expect, it } from "vitest";
import { analyze } from "./analyze.js";

const HEAD = "require 'mina/rails'\nrequire 'mina/git'\nset :application_name, 'almanac'\nset :deploy_to, '/home/deploy/almanac'\nset :user, 'deploy'\n";
const DEPLOY_TASK = "task :deploy => :environment do\n  deploy do\n    invoke :'git:clone'\n  end\nend\n";
const hosts = (r: Awaited<ReturnType<typeof analyze>>) => r.stages.map((s) => [s.name, s.servers.map((x) => x.host), s.variables["rails_env"]?.value ?? null]);

describe("Mina targets in config/deploy.rb", () => {
  it("a task per target: one stage each, with its own domain and rails_env", async () => {
    const r = await analyze({
      "config/deploy.rb":
        HEAD +
        "task :environment do\n  invoke :'rbenv:load'\nend\n" +
        "task :staging do\n  set :domain, 'staging.almanac.example.net'\n  set :rails_env, 'staging'\nend\n" +
        "task :production do\n  set :domain, 'almanac.example.net'\n  set :rails_env, 'production'\nend\n" +
        DEPLOY_TASK,
    });
    expect(r.capistrano?.tool).toBe("mina");
    expect(hosts(r)).toEqual([
      ["staging", ["staging.almanac.example.net"], "staging"],
      ["production", ["almanac.example.net"], "production"],
    ]);
    expect(r.stage("staging").source).toEqual({ file: "config/deploy.rb", line: 9 });
  });

  it("case ENV['to']: one stage per `when` value; the else branch is the run given no target", async () => {
    const r = await analyze({
      "config/deploy.rb":
        HEAD +
        "case ENV['to']\nwhen 'production', 'prod'\n  set :domain, 'almanac.example.net'\n  set :rails_env, 'production'\nelse\n  set :domain, 'beta.almanac.example.net'\n  set :rails_env, 'staging'\nend\n" +
        DEPLOY_TASK,
    });
    expect(hosts(r)).toEqual([
      ["production", ["almanac.example.net"], "production"],
      ["prod", ["almanac.example.net"], "production"],
      ["staging", ["beta.almanac.example.net"], "staging"],
    ]);
  });

  it("if ENV['on'] == 'staging' inside task :environment", async () => {
    const r = await analyze({
      "config/deploy.rb":
        HEAD +
        "task :environment do\n  if ENV['on'] == 'staging'\n    set :domain, '10.0.4.12'\n  else\n    set :domain, '10.0.4.10'\n  end\nend\n" +
        DEPLOY_TASK,
    });
    // Given no `on=`, the deploy goes to the else branch's host: named by Mina's default rails_env.
    expect(hosts(r)).toEqual([
      ["staging", ["10.0.4.12"], null],
      ["production", ["10.0.4.10"], null],
    ]);
  });

  it("a domain set only in the environment task is the one stage's host", async () => {
    const r = await analyze({ "config/deploy.rb": HEAD + "task :environment do\n  set :domain, 'box.almanac.example.net'\nend\n" + DEPLOY_TASK });
    expect(hosts(r)).toEqual([["production", ["box.almanac.example.net"], null]]);
  });

  it("a target whose domain is not known is no stage, and a plain run that clashes by name is said", async () => {
    const r = await analyze({
      "config/deploy.rb": HEAD + "set :domain, 'default.almanac.example.net'\ntask :production do\n  set :domain, ENV.fetch('PROD_HOST')\nend\ntask :production_eu do\n  set :domain, 'eu.almanac.example.net'\nend\n" + DEPLOY_TASK,
    });
    expect(hosts(r)).toEqual([
      ["production_eu", ["eu.almanac.example.net"], null],
      ["production", ["default.almanac.example.net"], null],
    ]);
  });
});
