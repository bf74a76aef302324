// capistrano3-puma 6 and later render no puma.rb: the gem's systemd unit runs `puma -e <puma_env>`
// in current/ with no -C, so Puma loads config/puma/<env>.rb, else config/puma.rb, and each stage's
// numbers are that file's. Before 6 the stage's config is the plugin's rendered template (its
// variables and defaults). Judged by Puma's own command line (Debian's puma) started with `-e`.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeAppServers } from "../../analyzers/appserver.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem, RValue, Stage } from "../../src/model.js";
import { isUnknown } from "../../analyzers/ruby/evaluate.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
beforeAll(async () => {
  await initPrism();
});

const lock = (version: string) =>
  ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.19.2)", `    capistrano3-puma (${version})`, "      capistrano (~> 3.7)", "      puma (>= 5.1)", "    puma (6.6.1)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano3-puma", "  puma", ""].join("\n");

const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\ninstall_plugin Capistrano::Puma\ninstall_plugin Capistrano::Puma::Systemd\n',
  "config.ru": "run ->(env) { [200, {}, [\"ok\"]] }\n",
  "config/puma/production.rb": ["# the busy boxes", "workers 3", "threads 2, 12", "preload_app!", ""].join("\n"),
  "config/puma/staging.rb": ["workers 1", "threads 1, 4", ""].join("\n"),
  // the environments with no file of their own; RACK_ENV is not set while Puma loads it
  "config/puma.rb": ['threads 5, 5', 'workers(ENV["RACK_ENV"] == "sandbox" ? 4 : 2)', ""].join("\n"),
};

const stage = (name: string, vars: Record<string, RValue>): Stage => ({
  name,
  source: { file: `config/deploy/${name}.rb`, line: 1 },
  variables: Object.fromEntries(Object.entries({ deploy_to: "/srv/atlas", ...vars }).map(([k, v], i) => [k, { value: v, source: { file: `config/deploy/${name}.rb`, line: i + 2 } }])),
  servers: [],
});

// stage → its variables, and the -e its unit passes (puma_env's default chain: rack_env, rails_env, rake_env, stage)
const STAGES: { name: string; vars: Record<string, RValue>; env: string }[] = [
  { name: "production", vars: { rails_env: { sym: "production" } }, env: "production" },
  { name: "staging", vars: { rails_env: "staging" }, env: "staging" },
  { name: "qa", vars: { rails_env: "production", rack_env: "staging" }, env: "staging" },
  { name: "sandbox", vars: { rails_env: "sandbox" }, env: "sandbox" },
  { name: "preview", vars: {}, env: "preview" },
];

function analyze(files: Record<string, string>) {
  const problems: Problem[] = [];
  const servers = analyzeAppServers({ repo: memoryRepo(files), problem: (p) => problems.push(p) }, STAGES.map((s) => stage(s.name, s.vars)));
  return { servers, problems };
}

describe("capistrano3-puma 6+: the stage's Puma config is the file `puma -e <puma_env>` loads", () => {
  it("agrees with Puma started as the gem's unit starts it, on the file and its numbers", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-puma-e-"));
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const real = runRubyFile(join(here, "puma_env_oracle.rb"), STAGES.map((s) => ({ dir, env: s.env })));
    const { servers, problems } = analyze({ ...FILES, "Gemfile.lock": lock("7.1.0") });
    STAGES.forEach((s, i) => {
      const r = real[i];
      expect(r.error, s.name).toBeUndefined();
      const ours = servers.filter((c) => c.kind === "puma" && c.stages.includes(s.name));
      expect(ours.length, s.name).toBe(1);
      const cfg = ours[0]!;
      expect([s.name, cfg.file]).toEqual([s.name, r.file]);
      expect([s.name, cfg.threads?.value]).toEqual([s.name, r.threads]);
      // Puma sets RACK_ENV only after loading the config: a branch on it is not decided
      expect(r.rack_env_seen).toBeNull();
      if (cfg.file === "config/puma.rb") expect(isUnknown(cfg.workers?.value as RValue)).toBe(true);
      else expect([s.name, cfg.workers?.value]).toEqual([s.name, r.workers]);
      // the values cite the file Puma loaded, and why it loaded it cites the gem's lock line
      expect(cfg.threads?.source.file).toBe(r.file);
      expect(cfg.startedBy?.source).toEqual({ file: "Gemfile.lock", line: 5 });
      expect(cfg.startedBy?.value).toContain(`puma -e <puma_env>`);
    });
    // no config invented on the server, no plugin default cited
    expect(servers.some((c) => /shared\/puma\.rb$/.test(c.file))).toBe(false);
    expect(servers.some((c) => c.workers?.defaultOf === "capistrano3-puma")).toBe(false);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
  });

  it("puma_conf is said to be unused, and a stage with no file to load is said, not filled in", () => {
    const files = { ...FILES, "Gemfile.lock": lock("6.2.0") };
    delete (files as Record<string, string>)["config/puma.rb"];
    const problems: Problem[] = [];
    const st = [stage("production", { rails_env: "production", puma_conf: "/srv/atlas/shared/puma.rb" }), stage("sandbox", { rails_env: "sandbox" })];
    const servers = analyzeAppServers({ repo: memoryRepo(files), problem: (p) => problems.push(p) }, st);
    expect(servers.find((c) => c.stages.includes("production"))?.file).toBe("config/puma/production.rb");
    expect(problems.some((p) => /puma_conf is not used by capistrano3-puma 6\.2\.0/.test(p.message))).toBe(true);
    expect(servers.some((c) => c.stages.includes("sandbox"))).toBe(false);
    expect(problems.some((p) => /puma -e sandbox`, and the repo has neither config\/puma\/sandbox\.rb nor config\/puma\.rb/.test(p.message))).toBe(true);
  });

  it("a repo copy of the unit that passes -C is not modelled as the gem's unit", () => {
    const unit = "[Service]\nExecStart=/usr/local/bin/bundle exec puma -C <%= fetch(:puma_conf) %>\n";
    const { servers, problems } = analyze({ ...FILES, "Gemfile.lock": lock("6.1.0"), "config/deploy/templates/puma.service.erb": unit });
    expect(servers.some((c) => c.stages.includes("production"))).toBe(false);
    expect(problems.some((p) => p.file === "config/deploy/templates/puma.service.erb" && /not modelled/.test(p.message))).toBe(true);
  });

  it("a Procfile's web line naming -C does not outrank the gem's unit; an old puma.rb template is said unused", () => {
    const problems: Problem[] = [];
    const files = { ...FILES, "Gemfile.lock": lock("7.1.0"), "lib/capistrano/templates/puma.rb.erb": "workers <%= puma_workers %>\n" };
    const procfile = [{ name: "web", command: "bundle exec puma -C config/puma.rb", source: { file: "Procfile", line: 1 } }];
    const servers = analyzeAppServers({ repo: memoryRepo(files), problem: (p) => problems.push(p) }, [stage("production", { rails_env: "production" })], procfile);
    const prod = servers.filter((c) => c.stages.includes("production"));
    expect(prod.map((c) => [c.file, c.workers?.value])).toEqual([["config/puma/production.rb", 3]]);
    expect(problems.some((p) => p.file === "lib/capistrano/templates/puma.rb.erb" && /renders no puma\.rb/.test(p.message))).toBe(true);
  });

  it("before 6 (and with no lockfile) the stage's config is still the plugin's rendered puma.rb", () => {
    for (const extra of [{ "Gemfile.lock": lock("5.2.0") }, {}]) {
      const { servers } = analyze({ ...FILES, ...extra });
      const prod = servers.find((c) => c.stages.includes("production"))!;
      expect(prod.file).toBe("/srv/atlas/shared/puma.rb");
      expect(prod.workers).toMatchObject({ value: 0, defaultOf: "capistrano3-puma" });
      expect(prod.startedBy).toBeUndefined();
    }
  });
});
