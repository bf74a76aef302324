// Mina targets named inside config/deploy.rb (no mina-multistage files): a task per target, a
// branch on a command-line variable (`mina deploy to=staging` sets ENV["to"]), or the host set in
// the environment task. Oracle: Debian's mina (0.3.7), run as the deploy would be invoked for each
// stage (`mina staging <task>`, `mina <task> to=prod`, `mina <task>`) with a task that prints the
// domain and rails_env it computed, after `environment` as `deploy` runs it.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyze } from "./analyze.js";

const DUMP = `
task :r2k_dump => :environment do
  require "json"
  puts "R2K-JSON" + JSON.generate({ domain: (settings.domain rescue nil), rails_env: (settings.rails_env rescue nil) })
end
`;

/** What Mina computes for one invocation: [domain, rails_env], or null when it fails. */
function mina(deploy: string, args: string[]): [string | null, string | null] | null {
  const dir = mkdtempSync(join(tmpdir(), "r2k-mina-"));
  try {
    writeFileSync(join(dir, "deploy.rb"), deploy + DUMP);
    const before = args.filter((a) => !a.includes("="));
    const vars = args.filter((a) => a.includes("="));
    const r = spawnSync("mina", ["-f", join(dir, "deploy.rb"), ...before, "r2k_dump", ...vars], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-JSON"));
    if (r.status !== 0 || !line) return null;
    const v = JSON.parse(line.slice(8));
    return [v.domain, v.rails_env];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each stage of ours against Mina run as that stage's deploy is invoked. */
function judged(deploy: string, r: Awaited<ReturnType<typeof analyze>>, invocations: Record<string, string[]>) {
  expect(r.stages.map((s) => s.name).sort()).toEqual(Object.keys(invocations).sort());
  for (const s of r.stages) {
    const real = mina(deploy, invocations[s.name]!);
    expect(real, `mina ${invocations[s.name]!.join(" ")}`).not.toBeNull();
    expect([s.name, s.servers.map((x) => x.host), s.variables["rails_env"]?.value ?? "production"]).toEqual([s.name, [real![0]], real![1] ?? "production"]);
  }
}

const HEAD = "require 'mina/rails'\nrequire 'mina/git'\nset :application_name, 'almanac'\nset :deploy_to, '/home/deploy/almanac'\nset :user, 'deploy'\n";
const DEPLOY_TASK = "task :deploy => :environment do\n  deploy do\n    invoke :'git:clone'\n  end\nend\n";
const hosts = (r: Awaited<ReturnType<typeof analyze>>) => r.stages.map((s) => [s.name, s.servers.map((x) => x.host), s.variables["rails_env"]?.value ?? null]);

describe("Mina targets in config/deploy.rb = mina 0.3.7", () => {
  it("a task per target: one stage each, with its own domain and rails_env", async () => {
    const deploy =
      HEAD +
      "task :environment do\n  set :term_color, true\nend\n" +
      "task :staging do\n  set :domain, 'staging.almanac.example.net'\n  set :rails_env, 'staging'\nend\n" +
      "task :production do\n  set :domain, 'almanac.example.net'\n  set :rails_env, 'production'\nend\n" +
      DEPLOY_TASK;
    const r = await analyze({ "config/deploy.rb": deploy });
    expect(r.capistrano?.tool).toBe("mina");
    expect(hosts(r)).toEqual([
      ["staging", ["staging.almanac.example.net"], "staging"],
      ["production", ["almanac.example.net"], "production"],
    ]);
    expect(r.stage("staging").source).toEqual({ file: "config/deploy.rb", line: 9 });
    judged(deploy, r, { staging: ["staging"], production: ["production"] });
  });

  it("case ENV['to']: one stage per `when` value; the else branch is the run given no target", async () => {
    const deploy =
      HEAD +
      "case ENV['to']\nwhen 'production', 'prod'\n  set :domain, 'almanac.example.net'\n  set :rails_env, 'production'\nelse\n  set :domain, 'beta.almanac.example.net'\n  set :rails_env, 'staging'\nend\n" +
      DEPLOY_TASK;
    const r = await analyze({ "config/deploy.rb": deploy });
    expect(hosts(r)).toEqual([
      ["production", ["almanac.example.net"], "production"],
      ["prod", ["almanac.example.net"], "production"],
      ["staging", ["beta.almanac.example.net"], "staging"],
    ]);
    judged(deploy, r, { production: ["to=production"], prod: ["to=prod"], staging: [] });
  });

  it("if ENV['on'] == 'staging' inside task :environment", async () => {
    const deploy = HEAD + "task :environment do\n  if ENV['on'] == 'staging'\n    set :domain, '10.0.4.12'\n  else\n    set :domain, '10.0.4.10'\n  end\nend\n" + DEPLOY_TASK;
    const r = await analyze({ "config/deploy.rb": deploy });
    // Given no `on=`, the deploy goes to the else branch's host: named by Mina's default rails_env
    // (mina/rails sets it to production; that default is now read, as the oracle prints it).
    expect(hosts(r)).toEqual([
      ["staging", ["10.0.4.12"], "production"],
      ["production", ["10.0.4.10"], "production"],
    ]);
    judged(deploy, r, { staging: ["on=staging"], production: [] });
  });

  it("a domain set only in the environment task is the one stage's host", async () => {
    const deploy = HEAD + "task :environment do\n  set :domain, 'box.almanac.example.net'\nend\n" + DEPLOY_TASK;
    const r = await analyze({ "config/deploy.rb": deploy });
    expect(hosts(r)).toEqual([["production", ["box.almanac.example.net"], "production"]]);
    judged(deploy, r, { production: [] });
  });

  it("a target whose domain is not known is no stage (Mina itself fails there)", async () => {
    const deploy = HEAD + "set :domain, 'default.almanac.example.net'\ntask :production do\n  set :domain, ENV.fetch('PROD_HOST')\nend\ntask :production_eu do\n  set :domain, 'eu.almanac.example.net'\nend\n" + DEPLOY_TASK;
    const r = await analyze({ "config/deploy.rb": deploy });
    expect(hosts(r)).toEqual([
      ["production_eu", ["eu.almanac.example.net"], "production"],
      ["production", ["default.almanac.example.net"], "production"],
    ]);
    expect(mina(deploy, ["production"])).toBeNull();
    judged(deploy, r, { production_eu: ["production_eu"], production: [] });
  });
});
