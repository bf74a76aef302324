// The Global analyzer against a Ruby run of the same files under the gem's rules
// (test/global/reference_global.rb: ERB, YAML.safe_load, ActiveSupport's deep_merge, the
// directory/overlay/skip rules, with_indifferent_access), in ONE Ruby process, for every fixture
// app and environment — once with the ENV variables the files read unset, once set. Templates
// Capistrano renders are rendered in Ruby with `fetch` reading the stage's variables (as the
// Capistrano analyzer computed them; test/capistrano checks those against Capistrano itself),
// dropped into a copy of config/global, and the whole configuration compared for that stage.
import { describe, it, expect, beforeAll } from "vitest";
import { resolve, join } from "node:path";
import { readRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCapistrano } from "../../analyzers/capistrano/index.js";
import { analyzeRails } from "../../analyzers/rails.js";
import { analyzeGlobal } from "../../analyzers/global/index.js";
import { isEnvRef, isInterp } from "../../analyzers/ruby/evaluate.js";
import { railsEnvOf, type GlobalFacts, type Problem, type RValue, type Stage } from "../../src/model.js";
import { runRuby, RUBY_ENCODER, normalizeRuby } from "../yaml/ruby.js";
import { assemble, resolveRefs, rubyExprs, encodePlain, canon } from "./compare.js";

/** ENV as the Ruby run had it: every variable unset, or set to `value-of-NAME`. */
const lookup = (mode: "unset" | "set") => (name: string) => (mode === "set" ? `value-of-${name}` : undefined);

const APPS = ["shop", "legacy", "ledger"];
const HERE = resolve("test/global");

interface Analyzed {
  app: string;
  root: string;
  global: GlobalFacts | null;
  stages: Stage[];
  problems: Problem[];
}

const RUBY = `
require ${JSON.stringify(join(HERE, "reference_global.rb"))}
${RUBY_ENCODER}
input = JSON.parse($stdin.read)
out = { "unset" => {}, "set" => {}, "exprs" => { "unset" => {}, "set" => {} } }
%w[unset set].each do |mode|
  input["env_names"].each { |n| mode == "set" ? ENV[n] = "value-of-#{n}" : ENV.delete(n) }
  # What a converting ERB tag prints: its expression's value, to_s, as ERB does.
  input["exprs"].each { |e| out["exprs"][mode][e] = eval(e).to_s }
  input["apps"].each do |a|
    dir = File.join(a["root"], a["dir"])
    a["envs"].each { |env| out[mode]["#{a["app"]}/#{env}"] = enc(ReferenceGlobal.configuration(dir, env)) }
  end
  input["stages"].each do |s|
    out[mode]["#{s["app"]}/stage:#{s["stage"]}"] = enc(ReferenceGlobal.stage_configuration(s["root"], s["dir"], s["env"], s["vars"], s["templates"]))
  end
end
puts JSON.generate(out)
`;

let analyzed: Analyzed[];
let oracle: { unset: Record<string, any>; set: Record<string, any>; exprs: { unset: Record<string, string>; set: Record<string, string> } };
/** What Ruby printed for a converting tag, in the mode's ENV. */
const rubyOf = (mode: "unset" | "set") => (expr: string) => oracle.exprs[mode][expr];

beforeAll(async () => {
  await initPrism();
  analyzed = APPS.map((app) => {
    const root = resolve("fixtures/apps", app);
    const { repo } = readRepo(root);
    const problems: Problem[] = [];
    const quiet = { repo, problem: () => {} };
    const cap = analyzeCapistrano(quiet);
    const rails = analyzeRails(quiet);
    const global = analyzeGlobal({ repo, problem: (p) => problems.push(p) }, cap.stages, rails.rails, cap.capistrano);
    return { app, root, global, stages: cap.stages, problems };
  });
  const withGlobal = analyzed.filter((a) => a.global);
  const envNames = new Set<string>();
  for (const a of withGlobal) collectEnvNames([...a.global!.namespaces.map((n) => n.values as RValue), ...a.global!.templates.map((t) => t.rendered as RValue)], envNames);
  const exprs = new Set<string>();
  for (const a of withGlobal) [...a.global!.namespaces.map((n) => n.values as RValue), ...a.global!.templates.map((t) => t.rendered as RValue)].forEach((v) => rubyExprs(v, exprs));
  oracle = runRuby(RUBY, {
    exprs: [...exprs],
    env_names: [...envNames],
    apps: withGlobal.map((a) => ({ app: a.app, root: a.root, dir: a.global!.dir, envs: envsOf(a.global!) })),
    stages: withGlobal.flatMap((a) =>
      a.global!.templates.length
        ? a.stages.map((s) => ({
            app: a.app,
            root: a.root,
            dir: a.global!.dir,
            stage: s.name,
            env: railsEnvOf(s),
            vars: Object.fromEntries(Object.entries(s.variables).map(([k, f]) => [k, f.value])),
            templates: a.global!.templates.map((t) => ({ template: t.template, target: t.target })),
          }))
        : [],
    ),
  });
}, 120_000);

describe("Global analyzer vs the gem's rules run by Ruby", () => {
  it("finds Global in shop and legacy, not in ledger", () => {
    expect(analyzed.map((a) => [a.app, a.global !== null])).toEqual([
      ["shop", true],
      ["legacy", true],
      ["ledger", false],
    ]);
  });

  for (const mode of ["unset", "set"] as const) {
    for (const app of ["shop", "legacy"]) {
      it(`${app}: every environment's configuration equals Ruby's (ENV ${mode})`, () => {
        const a = analyzed.find((x) => x.app === app)!;
        const envs = envsOf(a.global!);
        expect(envs.length).toBeGreaterThan(2);
        for (const env of envs) {
          const ours = canon(encodePlain(resolveRefs(assemble(a.global!.namespaces, env), lookup(mode), rubyOf(mode))));
          // An environment deployed by a stage reads that stage's rendered templates.
          const stage = a.global!.templates.length ? a.stages.find((st) => railsEnvOf(st) === env) : undefined;
          const theirs = canon(normalizeRuby(oracle[mode][stage ? `${app}/stage:${stage.name}` : `${app}/${env}`]));
          expect({ env, config: ours }).toEqual({ env, config: theirs });
        }
      });
    }

    it(`shop: each stage's servers (template rendered with the stage's variables) read what Ruby reads (ENV ${mode})`, () => {
      const a = analyzed.find((x) => x.app === "shop")!;
      expect(a.global!.templates.map((t) => [t.template, t.target])).toEqual([["config/deploy/templates/global/aws.yml.erb", "config/global/aws.yml"]]);
      for (const s of a.stages) {
        const theirs = normalizeRuby(oracle[mode][`shop/stage:${s.name}`]);
        // The environment's values come from this stage (no two shop stages share a Rails env).
        const ours = canon(encodePlain(resolveRefs(assemble(a.global!.namespaces, railsEnvOf(s)), lookup(mode), rubyOf(mode))));
        expect({ stage: s.name, config: ours }).toEqual({ stage: s.name, config: canon(theirs) });
        const aws = theirs.h.find(([k]: [any]) => k.s === "aws")[1];
        expect(canon(encodePlain(resolveRefs(a.global!.templates[0].rendered[s.name], lookup(mode), rubyOf(mode))))).toEqual(canon(aws));
      }
    });
  }
});

describe("Global analyzer: what the fixtures show", () => {
  const shop = () => analyzed.find((a) => a.app === "shop")!;
  const ns = (name: string) => shop().global!.namespaces.find((n) => n.name === name)!;

  it("lists the shop namespaces, skipping cache.yaml and the overlay, nesting services.search", () => {
    expect(shop().global!.namespaces.map((n) => [n.name, n.files])).toEqual([
      ["aws", ["config/deploy/templates/global/aws.yml.erb"]],
      ["feature_flags", ["config/global/feature_flags.yml"]],
      ["mailer", ["config/global/mailer.yml", "config/global/mailer.production.yml"]],
      ["payment", ["config/global/payment.yml"]],
      ["services", ["config/global/services.yml"]],
      ["services.search", ["config/global/services.yml", "config/global/services/search.yml"]],
    ]);
    expect(Object.keys(ns("payment").values)).toEqual(["production", "staging", "development", "test"]);
  });

  it("keeps Psych's types and the merge key's order rule", () => {
    const p = ns("payment").values;
    expect(p.staging).toMatchObject({ timeout: 5400, capture: true, three_d_secure: true, currency: { sym: "jpy" }, card_brands: ["visa"] });
    expect(p.production).toMatchObject({ retries: 5, limits: { default: 50000, count: 3, key: "primary", hash: "sha256" } });
    expect(p.production).toMatchObject({ endpoint: { env: "PAYMENT_ENDPOINT", default: "https://sandbox.pay.example.com/api" } });
    expect(ns("feature_flags").values.production).toMatchObject({ new_checkout: false, beta_banner: "off", launch_date: { date: "2024-04-01" }, rollout_percent: 8 });
    expect(ns("mailer").values.production).toMatchObject({ smtp: { port: 2587, password: { env: "SMTP_PASSWORD", default: null } }, bcc: ["audit@shop.example.com"] });
  });

  it("traces leaves to file:line, merged values to where they were written", () => {
    const s = ns("payment").sources;
    expect(s["api_key"]).toEqual({ file: "config/global/payment.yml", line: 47 });
    expect(s["timeout"]).toEqual({ file: "config/global/payment.yml", line: 11 });
    expect(s["limits.default"]).toEqual({ file: "config/global/payment.yml", line: 46 });
    expect(ns("mailer").sources["smtp.port"]).toEqual({ file: "config/global/mailer.production.yml", line: 3 });
    expect(ns("aws").sources["s3.bucket"]).toEqual({ file: "config/deploy/templates/global/aws.yml.erb", line: 8 });
  });

  it("marks literal secrets (not ENV ones) in secretPaths", () => {
    expect(ns("payment").secretPaths).toEqual(["api_key"]);
    expect(ns("aws").secretPaths).toEqual([]);
    expect(ns("mailer").secretPaths).toEqual([]);
    const legacyS3 = analyzed.find((a) => a.app === "legacy")!.global!.namespaces.find((n) => n.name === "s3")!;
    expect(legacyS3.secretPaths).toEqual(["access_key_id", "secret_access_key"]);
  });

  it("renders the aws template per stage and warns that its ENV is read at deploy time", () => {
    const t = shop().global!.templates[0];
    expect(Object.keys(t.rendered)).toEqual(["production", "staging"]);
    expect(t.rendered.production).toMatchObject({ s3: { bucket: "shop-production-assets", acl: "private" }, cloudfront_host: "assets.shop.example.com" });
    expect(t.rendered.staging).toMatchObject({ s3: { bucket: "shop-staging-assets", acl: "public-read" } });
    expect(t.source.file).toBe("lib/capistrano/tasks/global.rake");
    expect(shop().problems.filter((p) => /deploy/.test(p.message)).map((p) => p.line)).toEqual([5, 6]);
  });

  it("reads legacy's Global 1.x Symbol sections for its three stages", () => {
    const legacy = analyzed.find((a) => a.app === "legacy")!;
    const app = legacy.global!.namespaces.find((n) => n.name === "app")!;
    expect(legacy.global!.gemVersion).toBe("1.0.0");
    expect(Object.keys(app.values)).toEqual(["production", "staging", "qa", "development"]);
    expect(app.values.qa).toEqual({ name: "Legacy Documents", support_email: "support@legacy.example.net", per_page: 5, uploads: { max_size_mb: 100, allowed: ["pdf", "doc", "docx"] }, host: "qa.legacy.example.net" });
    expect(legacy.problems).toEqual([]);
  });
});

// --- helpers -------------------------------------------------------------------------------------

function envsOf(g: GlobalFacts): string[] {
  const envs: string[] = [];
  for (const n of g.namespaces) for (const e of Object.keys(n.values)) if (!envs.includes(e)) envs.push(e);
  return envs;
}

function collectEnvNames(values: RValue[], into: Set<string>): void {
  const walk = (v: RValue) => {
    if (isEnvRef(v)) into.add(v.env);
    else if (isInterp(v)) v.interp.forEach(walk);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach((x) => walk(x as RValue));
  };
  values.forEach(walk);
}
