// Computed ERB values in Global files (issue 12): ActiveSupport durations and byte sizes and
// arithmetic on literals are evaluated, each checked against real Ruby + ActiveSupport; any other
// tag (Rails.env, Rails.root.join, Time.now...) is carried as written into config_for, which Rails
// renders as Global did — proven by real Rails on the emitted files. Never an empty variable.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { emitRailsConfig, planConfig } from "../../emitters/rails-config/index.js";
import { railsEnvOf, type AppModel, type Problem, type RailsFacts } from "../../src/model.js";
import { analyzeGlobal } from "../../analyzers/global/index.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { writeApp } from "../rails-config/harness.js";

const EVALUATED: Record<string, string> = {
  expiration_timeout: "1.month",
  session_ttl: "30.minutes",
  max_upload: "5.megabytes",
  grace: "1.day + 2.hours",
  weekly: "2 * 1.week",
  per_day: "60 * 60 * 24",
  yearly: "1.year",
  sprint: "3.fortnights",
  big: "1.gigabyte",
  three_days: "(1 + 2).days",
  almost: "10.kilobytes - 1",
  one_second: "1.second",
  huge: "3.terabytes",
};
const CARRIED: Record<string, string> = {
  env_name: "Rails.env",
  cache_dir: 'Rails.root.join("tmp", "cache")',
  half: "1.5.hours",
  recent: "Time.now.year >= 2020",
  later: "1.month.from_now.year > 2000",
  beyond_js: "2.exabytes",
};

const JWT = [
  "default:",
  ...Object.entries({ ...EVALUATED, ...CARRIED }).map(([k, e]) => `  ${k}: <%= ${e} %>`),
  '  label: "<%= Rails.env %>-jwt"',
  "production:",
  "  issuer: shop",
  "staging:",
  "  issuer: shop-staging",
  "",
].join("\n");

const APP: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 6.1"\ngem "global"\n',
  "config/application.rb": "module Shop\n  class Application < Rails::Application\n  end\nend\n",
  "config/deploy.rb": 'set :application, "shop"\nset :repo_url, "git@example.com:shop.git"\n',
  "config/deploy/production.rb": 'server "web1.example.com", user: "deploy", roles: %w[web app]\n',
  "config/deploy/staging.rb": 'server "staging.example.com", user: "deploy", roles: %w[web app]\nset :rails_env, "staging"\n',
  "config/global/jwt.yml": JWT,
  // Plain top-level keys: the gem reads none of them (issue 12).
  "config/global/legacy.yml": "api_host: legacy.example.com\nretries: 3\n",
};

let model: AppModel;
let root: string;
beforeAll(async () => {
  model = await analyzeFiles(memoryRepo(APP), "shop");
  root = mkdtempSync(join(tmpdir(), "r2k-computed-"));
  for (const [p, c] of Object.entries(APP)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), c);
  }
}, 60_000);

describe("computed ERB values in Global", () => {
  it("durations, byte sizes and arithmetic on literals equal what Ruby + ActiveSupport print", () => {
    const jwt = model.global!.namespaces.find((n) => n.name === "jwt")!;
    const ours = jwt.values["production"] as Record<string, unknown>;
    const script = 'require "active_support/all"; require "json"; exprs = JSON.parse(STDIN.read); puts JSON.generate(exprs.transform_values { |e| YAML.safe_load(ERB.new("v: <%= #{e} %>").result)["v"] })';
    const ruby = JSON.parse(execFileSync("ruby", ["-ryaml", "-rerb", "-e", script], { input: JSON.stringify(EVALUATED), encoding: "utf8" })) as Record<string, unknown>;
    for (const k of Object.keys(EVALUATED)) expect({ k, v: ours[k] }).toEqual({ k, v: ruby[k] });
    expect(ours.expiration_timeout).toBe(2629746);
    expect(ours.session_ttl).toBe(1800);
    expect(ours.max_upload).toBe(5242880);
  });

  it("everything else is carried as its ERB tag: no variable, no empty value", () => {
    const plan = planConfig(model, {});
    expect(plan.env.filter((e) => e.path.startsWith("jwt."))).toEqual([]);
    expect(plan.unknowns).toEqual([]);
    const file = emitRailsConfig(model, {}).files.find((f) => f.path === "config/custom/jwt.yml")!.content;
    expect(file).toContain("env_name: <%= Rails.env %>");
    expect(file).toContain('cache_dir: <%= Rails.root.join("tmp", "cache") %>');
    expect(file).toContain("half: <%= 1.5.hours %>");
    expect(file).toContain("expiration_timeout: 2629746");
    expect(file).toMatch(/label: <%= "#\{\(Rails\.env\)\}-jwt"\.to_json %>/);
  });

  it("a plain-key file is a hazard (keys never read by Global), and not listed as holding values", async () => {
    const legacy = model.global!.namespaces.find((n) => n.name === "legacy")!;
    expect(Object.values(legacy.values).every((v) => JSON.stringify(v) === "{}")).toBe(true);
    expect(model.global!.plainFiles).toEqual([{ file: "config/global/legacy.yml", line: 1, keys: ["api_host", "retries"] }]);
    const h = model.hazards.find((x) => x.id === "global.plain-keys")!;
    expect(h.message).toMatch(/config\/global\/legacy\.yml: keys never read by Global \(api_host, retries\)/);
    expect(h.source).toEqual({ file: "config/global/legacy.yml", line: 1 });
    const { renderReport } = await import("../../src/report.js");
    const report = renderReport(model, { color: false });
    expect(report).toMatch(/^ {4}legacy  config\/global\/legacy\.yml  no values: its keys are never read by Global/m);
    expect(report).toMatch(/^ {4}jwt  config\/global\/jwt\.yml  envs: /m);
    // jwt has sections: not a plain file.
    expect(model.global!.plainFiles!.map((f) => f.file)).not.toContain("config/global/jwt.yml");
  });

  for (const stageName of ["production", "staging"])
    it(`${stageName}: real Rails reads the emitted config_for files as the gem's rules read the Global file`, () => {
      const stage = model.stages.find((s) => s.name === stageName)!;
      const files = emitRailsConfig(model, {}).files;
      const dir = writeApp(files);
      const input = join(dir, "verify-input.json");
      writeFileSync(input, JSON.stringify({ app_dir: dir, fixture_root: root, global_dir: "config/global", rails_env: railsEnvOf(stage), vars: {}, templates: [] }));
      const r = spawnSync("ruby", [resolve("test/rails-config/fixture_verify.rb"), input], { encoding: "utf8", cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: "C.UTF-8", RAILS_ENV: railsEnvOf(stage) } });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { namespaces: string[]; diffs: string[]; task: { status: number; output: string } };
      expect(out.namespaces).toEqual(["jwt", "legacy"]);
      expect(out.diffs).toEqual([]);
      expect(out.task.status, out.task.output).toBe(0);
    }, 60_000);
});

describe("ActiveSupport's month and year by the app's activesupport version", () => {
  const DURATIONS = { month: "1.month", months: "2.months", year: "1.year", years: "5.years", week: "1.week", sum: "1.month + 1.day" };
  const file = `default:\n${Object.entries(DURATIONS).map(([k, e]) => `  ${k}: <%= ${e} %>`).join("\n")}\n`;
  const valuesWith = async (gems: Record<string, string>) => {
    await initPrism();
    const rails = { gems: Object.fromEntries(Object.entries(gems).map(([g, v]) => [g, { value: v, source: { file: "Gemfile.lock", line: 1 } }])), rubyVersion: null } as unknown as RailsFacts;
    const problems: Problem[] = [];
    const g = analyzeGlobal({ repo: memoryRepo({ "config/global/jwt.yml": file }), problem: (p) => problems.push(p) }, [], rails, null)!;
    return g.namespaces[0].values.production as Record<string, unknown>;
  };

  it("5.1 and later: the Gregorian table, as the installed ActiveSupport prints it", async () => {
    const script = 'require "active_support"; require "active_support/version"; require "active_support/all"; require "json"; exprs = JSON.parse(STDIN.read); puts JSON.generate(version: ActiveSupport::VERSION::STRING, v: exprs.transform_values { |e| YAML.safe_load(ERB.new("v: <%= #{e} %>").result)["v"] })';
    const ruby = JSON.parse(execFileSync("ruby", ["-ryaml", "-rerb", "-e", script], { input: JSON.stringify(DURATIONS), encoding: "utf8" })) as { version: string; v: Record<string, unknown> };
    expect(await valuesWith({ global: "2.1.0", activesupport: ruby.version })).toEqual(ruby.v);
    expect(ruby.v.month).toBe(2629746);
  });

  it("5.0.x: a month is 30 days and a year 365.25 days, Integers (activesupport 5.0 source)", async () => {
    for (const version of ["5.0.2", "5.0.7"]) {
      expect(await valuesWith({ global: "0.2.1", activesupport: version })).toEqual({ month: 2592000, months: 5184000, year: 31557600, years: 157788000, week: 604800, sum: 2678400 });
    }
  });

  it("before 5.0: the same month, and a year that is a Float (`365.25.days`)", async () => {
    const v = await valuesWith({ global: "0.1.2", rails: "4.2.8" });
    expect(v).toEqual({ month: 2592000, months: 5184000, year: { float: "31557600.0" }, years: { float: "157788000.0" }, week: 604800, sum: 2678400 });
  });
});
