// The repo keeps its own systemd unit for Puma next to capistrano3-puma 6+ (whose unit runs
// `puma -e <puma_env>` with no -C, loading config/puma.rb): when the repo's unit starts
// `puma -C <path>`, the two disagree and which one the servers ran is not in the repo: said with both
// lines. A -C path only the servers hold (a linked file in shared/) leaves Puma's settings unknown,
// never config/puma.rb's. (Fixture in our own words, after a real repo of the corpus.)
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";
import { isUnknown } from "../../analyzers/ruby/evaluate.js";

beforeAll(async () => {
  await initPrism();
});

const lock = ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.19.2)", "    capistrano3-puma (6.0.0)", "      capistrano (~> 3.7)", "      puma (>= 5.1)", "    puma (6.6.1)", "    rails (7.1.3)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano3-puma", "  puma", "  rails", ""].join("\n");

const unit = (configPath: string) => ["[Unit]", "Description=atlas puma", "", "[Service]", "WorkingDirectory=/srv/atlas/current", `ExecStart=/usr/local/bin/bundle exec puma -C ${configPath}`, "Restart=always", ""].join("\n");

const repo = (configPath: string, extra: Record<string, string> = {}) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\ninstall_plugin Capistrano::Puma\ninstall_plugin Capistrano::Puma::Systemd\n',
    "config/deploy.rb": 'set :application, "atlas"\nset :repo_url, "git@git.example.org:ops/atlas.git"\nset :deploy_to, "/srv/atlas"\nappend :linked_files, "puma.rb", "config/master.key"\n',
    "config/deploy/production.rb": 'server "box1.atlas.example.org", roles: %w[web app db]\nset :puma_service_unit_name, :atlas_puma\n',
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "capistrano3-puma"\n',
    "Gemfile.lock": lock,
    "config/puma.rb": "workers 2\nthreads 5, 5\n",
    "config/systemd/atlas_puma.service": unit(configPath),
    ...extra,
  });

describe("the repo's own Puma unit against capistrano3-puma's", () => {
  it("-C a linked file in shared/: both lines named, the settings unknown, config/puma.rb not used in its place", async () => {
    const m = await analyzeFiles(repo("/srv/atlas/shared/puma.rb"), "atlas");
    const w = m.problems.find((p) => /the repo's own Puma unit/.test(p.message));
    expect(w).toMatchObject({ file: "config/systemd/atlas_puma.service", line: 6, severity: "warning" });
    expect(w!.message).toMatch(/Capfile:3, Gemfile\.lock:\d+\).*puma -e <puma_env>.*loading config\/puma\.rb/);
    expect(w!.message).toMatch(/\/srv\/atlas\/shared\/puma\.rb, a file only the servers hold \(in shared\/, linked into each release as puma\.rb by linked_files/);
    const cfg = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(cfg.file).toBe("/srv/atlas/shared/puma.rb");
    expect(isUnknown(cfg.workers!.value)).toBe(true);
    expect(cfg.workers!.source).toEqual({ file: "config/systemd/atlas_puma.service", line: 6 });
  });

  it("-C a file of the repo: the disagreement is said, and that file is read", async () => {
    const m = await analyzeFiles(repo("/srv/atlas/current/config/puma/server.rb", { "config/puma/server.rb": "workers 6\nthreads 2, 8\n" }), "atlas");
    expect(m.problems.find((p) => /the repo's own Puma unit/.test(p.message))?.message).toMatch(/its config is config\/puma\/server\.rb, which is read/);
    const cfg = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(cfg.file).toBe("config/puma/server.rb");
    expect(cfg.workers!.value).toBe(6);
  });

  it("a unit that starts Puma as the plugin does (-e, no -C) raises nothing", async () => {
    const m = await analyzeFiles(repo("x", { "config/systemd/atlas_puma.service": unit("x").replace("-C x", "-e production") }), "atlas");
    expect(m.problems.filter((p) => /the repo's own Puma unit/.test(p.message))).toEqual([]);
    expect(appServerFor(m, m.stages.find((s) => s.name === "production")!)!.file).toBe("config/puma.rb");
  });
});
