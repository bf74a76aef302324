// A Mina deploy.rb whose host is set once, above `case ENV["to"] when "production" ... else ... end`,
// the branches setting deploy_to and rails_env: `mina deploy to=production` takes the `when`, a plain
// `mina deploy` the `else`. The file was read as one stage, "production", with its deploy_to and
// rails_env unknown, while the cron report printed RAILS_ENV=production. Real mina (simulate mode)
// says which branch each run takes.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { railsEnvOf } from "../../src/model.js";

const DEPLOY = [
  'require "mina/rails"',
  'require "mina/git"',
  'set :domain, "box.example.net"',
  'set :repository, "git@example.net:acme/till.git"',
  'case ENV["to"]',
  'when "production"',
  '  set :deploy_to, "/srv/live/till"',
  '  set :rails_env, "production"',
  "else",
  '  set :deploy_to, "/srv/trial/till"',
  '  set :rails_env, "staging"',
  "end",
  "task :environment do",
  "end",
  "",
].join("\n");
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "mina"\n',
  "config/application.rb": "module Till\n  class Application < Rails::Application\n  end\nend\n",
  "config/deploy.rb": DEPLOY,
  "config/environments/staging.rb": "Rails.application.configure do\nend\n",
};

const hasMina = spawnSync("mina", ["--version"], { encoding: "utf8" }).status === 0;

/** What real mina sets for a run: deploy_to and rails_env, printed by a task in simulate mode. */
function minaSays(args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-till-"));
  for (const [p, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  writeFileSync(join(dir, "config/deploy.rb"), DEPLOY + 'task :r2k_show => :environment do\n  queue %[echo "R2K #{deploy_to} #{rails_env}"]\nend\n');
  const r = spawnSync("mina", ["-f", "config/deploy.rb", "-S", "r2k_show", ...args], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
  const m = /R2K (\S+) ([^\s"]+)/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`mina ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  return `${m[1]} ${m[2]}`;
}

describe("Mina: case ENV['to'] with an else branch", () => {
  it("one stage per branch, the else one named by its rails_env; each with its own deploy_to and env", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "till");
    const got = Object.fromEntries(m.stages.map((s) => [s.name, `${String(s.variables["deploy_to"]?.value)} ${railsEnvOf(s)}`]));
    expect(got).toEqual({ production: "/srv/live/till production", staging: "/srv/trial/till staging" });
    if (hasMina) {
      expect(minaSays(["to=production"])).toBe(got.production);
      // a plain `mina deploy` takes the else branch: that is the staging stage
      expect(minaSays([])).toBe(got.staging);
    }
  }, 120_000);
});
