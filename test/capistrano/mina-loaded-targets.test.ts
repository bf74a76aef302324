// A Mina deploy whose targets live in a folder of its own choosing: the environment task takes the
// target from a command-line variable (`mina deploy to=staging` sets ENV["to"]) and requires a file
// whose path it builds from that value and `__dir__`. The stages are the values for which that
// file exists; Mina fails for any other. Oracle: Debian's mina (0.3.7), run on the same tree with
// the variable given, printing the domain and rails_env it computed.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyze } from "./analyze.js";

const DUMP = `
task :r2k_dump => :environment do
  require "json"
  puts "R2K-JSON" + JSON.generate({ domain: (settings.domain rescue nil), rails_env: (settings.rails_env rescue nil).to_s })
end
`;

function mina(files: Record<string, string>, args: string[]): [string | null, string] | null {
  const dir = mkdtempSync(join(tmpdir(), "r2k-mina-load-"));
  try {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), p === "config/deploy.rb" ? text + DUMP : text);
    }
    const r = spawnSync("mina", ["-f", join(dir, "config/deploy.rb"), "r2k_dump", ...args], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    const line = r.stdout.split("\n").find((l) => l.startsWith("R2K-JSON"));
    if (r.status !== 0 || !line) return null;
    const v = JSON.parse(line.slice(8));
    return [v.domain, v.rails_env];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Each box's settings sit in config/boxes/<name>_box/settings.rb (a folder no plugin knows).
const DEPLOY = [
  "require 'mina/rails'",
  "require 'mina/git'",
  "set :application_name, 'tidepool'",
  "set :deploy_to, '/srv/tidepool'",
  "",
  "task :environment do",
  "  set :rails_env, ENV['to'].to_sym unless ENV['to'].nil?",
  "  require File.join(__dir__, 'boxes', \"#{rails_env}_box\", 'settings.rb')",
  "end",
  "",
].join("\n");
const BOXES = {
  "config/boxes/staging_box/settings.rb": "set :domain, 'shore.tidepool.example.org'\nset :rails_env, 'staging'\n",
  "config/boxes/production_box/settings.rb": "set :domain, '192.0.2.40'\n",
  // Not a target: its folder does not follow the pattern the require builds.
  "config/boxes/README.rb": "# notes\n",
};

describe("Mina: targets named by the file deploy.rb loads from a command-line variable", () => {
  it("one stage per value whose file exists, each with the host and rails_env Mina computes", async () => {
    const files = { "config/deploy.rb": DEPLOY, ...BOXES, "Gemfile.lock": "GEM\n  specs:\n    mina (0.3.7)\n" };
    const r = await analyze(files);
    expect(r.capistrano?.tool).toBe("mina");
    const got = r.stages.map((s) => [s.name, s.servers.map((x) => x.host), s.variables["rails_env"]?.value]);
    expect(got).toEqual([
      // `ENV['to'].to_sym`: the Symbol :production, as Mina holds it (its file sets no rails_env)
      ["production", ["192.0.2.40"], { sym: "production" }],
      ["staging", ["shore.tidepool.example.org"], "staging"],
    ]);
    // Cited to the file the value loads, and said with the require that builds its path.
    expect(r.stage("staging").source).toEqual({ file: "config/boxes/staging_box/settings.rb", line: 1 });
    expect(r.problems.map((p) => `${p.file}:${p.line} ${p.message}`)).toContain(
      'config/boxes/staging_box/settings.rb:1 Mina target to=staging: `mina deploy to=staging` loads this file (config/deploy.rb:8 builds its path from ENV["to"]); read as stage staging',
    );
    // The probe's marker never reaches a message.
    expect(r.problems.some((p) => /R2KENV/.test(p.message))).toBe(false);
    expect(mina(files, ["to=staging"])).toEqual(["shore.tidepool.example.org", "staging"]);
    expect(mina(files, ["to=production"])).toEqual(["192.0.2.40", "production"]);
    // Given no target, mina/rails' default rails_env loads the production box.
    expect(mina(files, [])).toEqual(["192.0.2.40", "production"]);
    // A value with no file: Mina fails, so it is no stage.
    expect(mina(files, ["to=review"])).toBeNull();
  });

  it("a folder computed from something the analysis cannot match names its loads as unknown, with no stage invented", async () => {
    const deploy = DEPLOY.replace("'boxes', \"#{rails_env}_box\"", "'hosts', \"#{rails_env}\"");
    const r = await analyze({ "config/deploy.rb": deploy, ...BOXES, "Gemfile.lock": "GEM\n  specs:\n    mina (0.3.7)\n" });
    expect(r.stages).toEqual([]);
    expect(r.problems.map((p) => `${p.file}:${p.line} ${p.message}`)).toContain(
      "config/deploy.rb:8 mina.target-file-unknown: this load builds its path from ENV[\"to\"] (config/hosts/<to>/settings.rb) and no repo file matches: the targets `mina deploy to=…` selects are not known",
    );
  });

  it("recipe files found with Dir[File.expand_path(\"../mina/recipes\", __FILE__) + \"/*.rb\"] are loaded, as Mina loads them", async () => {
    const deploy = [
      "require 'mina/rails'",
      "Dir[File.expand_path('../mina/recipes', __FILE__) + '/*.rb'].each { |file| require file }",
      "set :deploy_to, '/srv/tidepool'",
      "task :environment do",
      "  set :domain, 'shore.tidepool.example.org'",
      "end",
      "",
    ].join("\n");
    const files = {
      "config/deploy.rb": deploy,
      "config/mina/recipes/keep.rb": "set :keep_releases, 9\n",
      "config/mina/recipes/names.rb": "set :application_name, 'tidepool-web'\n",
      "Gemfile.lock": "GEM\n  specs:\n    mina (0.3.7)\n",
    };
    const r = await analyze(files);
    expect(r.stages.map((s) => s.name)).toEqual(["production"]);
    expect(r.v("production", "keep_releases")).toBe(9);
    expect(r.stage("production").variables["keep_releases"]!.source).toEqual({ file: "config/mina/recipes/keep.rb", line: 1 });
    expect(r.v("production", "application_name")).toBe("tidepool-web");
    expect(r.problems.filter((p) => /not known statically/.test(p.message))).toEqual([]);
    // Mina itself: the recipes' values are the ones it holds.
    const dir = mkdtempSync(join(tmpdir(), "r2k-mina-recipes-"));
    try {
      for (const [p, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, p)), { recursive: true });
        writeFileSync(join(dir, p), p === "config/deploy.rb" ? text + 'task :r2k_keep do\n  puts "R2K=#{keep_releases}/#{application_name}"\nend\n' : text);
      }
      const out = spawnSync("mina", ["-f", join(dir, "config/deploy.rb"), "r2k_keep"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
      expect(out.stdout).toContain("R2K=9/tidepool-web");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
