// Mina before 1.0 answers a bare name with its setting (`"/home/#{user}"`, `"#{stage_name}"` inside
// `set :x, -> { }`), as Capistrano 2 does, and `set_default` sets a name nothing has set. A real
// Mina 0.3 repo's deploy_to and rails_env were both unknown. Oracle: Debian's mina (0.3.7), run as
// each stage's deploy is invoked, with a task that prints the settings.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

beforeAll(async () => {
  await initPrism();
});

const KEYS = ["domain", "deploy_to", "rails_env", "puma_workers", "branch"];
const DUMP = `
task :r2k_dump => :environment do
  require "json"
  puts "R2K-JSON" + JSON.generate(${JSON.stringify(KEYS)}.to_h { |k| [k, (settings.send(k) rescue nil)] })
end
`;

function mina(deploy: string, stage: string): Record<string, unknown> | null {
  const dir = mkdtempSync(join(tmpdir(), "r2k-mina-bare-"));
  try {
    writeFileSync(join(dir, "deploy.rb"), deploy + DUMP);
    const r = spawnSync("mina", ["-f", join(dir, "deploy.rb"), stage, "r2k_dump"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-JSON"));
    return r.status === 0 && line ? JSON.parse(line.slice(8)) : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DEPLOY = [
  "require 'mina/bundler'",
  "require 'mina/rails'",
  "require 'mina/git'",
  "",
  "set :user, 'deploy'",
  "set :user_path, -> { \"/home/#{user}\" }",
  "set :deploy_to, -> { \"#{user_path}/#{app_dir}\" }",
  "set :rails_env, -> { \"#{stage_name}\" }",
  "set_default :puma_workers, '2'",
  "set_default :branch, 'main'",
  "",
  "task :staging do",
  "  set :domain, 'stg.tidewater.example.net'",
  "  set :stage_name, 'staging'",
  "  set :app_dir, 'tidewater-staging'",
  "end",
  "",
  "task :production do",
  "  set :domain, 'tidewater.example.net'",
  "  set :stage_name, 'production'",
  "  set :app_dir, 'tidewater'",
  "  set :puma_workers, '4'",
  "end",
  "",
  "task :environment do",
  "end",
  "",
].join("\n");
const LOCK = (v: string) => `GEM\n  remote: https://rubygems.org/\n  specs:\n    mina (${v})\n    puma (3.4.0)\n    rails (4.2.6)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mina\n  puma\n  rails\n`;

describe("Mina 0.3: bare names and set_default", () => {
  it("each stage's settings are Mina's own", async () => {
    const m = await analyzeFiles(memoryRepo({ "config/deploy.rb": DEPLOY, "Gemfile.lock": LOCK("0.3.8") }), "tidewater");
    expect(m.capistrano?.tool).toBe("mina");
    expect(m.stages.map((s) => s.name).sort()).toEqual(["production", "staging"]);
    for (const s of m.stages) {
      const real = mina(DEPLOY, s.name);
      expect(real, `mina ${s.name}`).not.toBeNull();
      const ours = Object.fromEntries(KEYS.map((k) => [k, s.variables[k]?.value ?? null]));
      expect([s.name, ours]).toEqual([s.name, real]);
    }
  });

  it("Mina 1.x reads settings only through fetch: a bare name stays unknown there", async () => {
    const m = await analyzeFiles(memoryRepo({ "config/deploy.rb": DEPLOY, "Gemfile.lock": LOCK("1.2.4") }), "tidewater");
    const prod = m.stages.find((s) => s.name === "production")!;
    expect(typeof prod.variables["deploy_to"]?.value).toBe("object");
  });
});
