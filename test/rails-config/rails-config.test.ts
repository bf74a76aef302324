// Global → config_for, judged by real Rails (Debian's railties 6.1) and Ruby's own Psych.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { AppModel, Stage, GlobalNamespace, RValue } from "../../src/model.js";
import { MODEL_VERSION } from "../../src/model.js";
import { emitRailsConfig, planConfig } from "../../emitters/rails-config/index.js";
import { writeYaml, writeFlow } from "../../emitters/rails-config/yaml-writer.js";
import { supportsSharedSection } from "../../emitters/rails-config/plan.js";
import { writeApp, bootApp, typedJson, rubyLoad } from "./harness.js";

const src = (file: string, line = 1) => ({ file, line });

function stage(name: string, vars: Record<string, RValue>): Stage {
  return { name, source: src(`config/deploy/${name}.rb`), servers: [], variables: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { value: v, source: src(`config/deploy/${name}.rb`, 2) }])) };
}

function model(namespaces: GlobalNamespace[], stages: Stage[], railsVersion = "6.1.7.10", templates: AppModel["global"] extends infer G ? G extends { templates: infer T } ? T : never : never = []): AppModel {
  return {
    version: MODEL_VERSION,
    name: { value: "shop", source: src("config/deploy.rb") },
    rails: {
      rubyVersion: { value: "3.1.4", source: src(".ruby-version") }, railsVersion: { value: railsVersion, source: src("Gemfile.lock") }, bundlerVersion: null,
      gems: {}, gemGroups: {}, privateSources: [], database: null,
      assets: { pipeline: [], needsNode: { value: false, source: src("Gemfile.lock") }, packageManager: null },
      appModule: null, timeZone: null, healthPaths: [],
    },
    capistrano: null, stages, appServers: [], nginx: { files: [] },
    global: { dir: "config/global", gemVersion: "3.1.1", namespaces, templates },
    sidekiq: null, cron: null, procfile: [], linked: [], secrets: [], gaps: [], hazards: [], problems: [],
  };
}

const payment: Record<string, RValue> = {
  endpoint: { env: "PAYMENT_ENDPOINT", default: "https://sandbox.pay.example.com/api" },
  api_key: "sk_test_FAKE_not_a_real_key_123",
  default: "card",
  count: 3,
  key: "merchant-42",
  size: "large",
  retries: { default: 2, max: 5 },
  currencies: ["USD", "EUR"],
  enabled: "off",
  window: 5400,
  kind: { sym: "stripe" },
  since: { date: "2020-01-01" },
  ratio: 0.25,
  note: "yes",
  octal_like: "0755",
  empty: null,
  tricky: "a: b # not a comment <% not erb %>",
};

describe("YAML writer", () => {
  it("writes values that Ruby's Psych (after ERB) reads back identically", () => {
    const values: Record<string, RValue> = {
      ...payment,
      endpoint: "https://x.example.com",
      strs: ["1", "1.5", "1e3", "true", "~", "", " lead", "trail ", "null", "2020-01-01", ":sym", "12:30", "0x1F", "#x", "- a", "{a}", "[b]", "é ü", "tab\there", "line\nbreak", "@at", "`tick", "%pct", "!bang", "&amp", "*star", "|pipe", ">gt", "'q'", '"dq"'],
      nums: [0, -1, 1.5, -0.001, 1e-7, 123456789012, 3.14159],
      nested: { "1": "int-like key", "yes": "bool-like key", "a b": [{ x: 1, y: [] }, {}] },
      // Hashes shaped like the model's tagged scalars, told apart by their text.
      formats: { date: "%Y-%m-%d" },
      report: { time: "03:00" },
      speed: { float: "fast" },
    };
    const text = writeYaml({ production: values });
    const [back] = rubyLoad([text]) as [{ production: unknown }];
    expect(back.production).toEqual(typedJson(values));
  });

  it("writes one-line values for environment variables that YAML reads back the same", () => {
    const cases: RValue[] = [["a", "b c", 1], { k: "v", n: 2 }, 42, true, { sym: "x" }];
    const texts = cases.map((c) => `v: ${writeFlow(c)}\n`);
    const back = rubyLoad(texts) as { v: unknown }[];
    expect(back.map((b) => b.v)).toEqual(cases.map(typedJson));
  });

  it("knows which Rails versions read a shared: section the way Global merged", () => {
    expect(["5.2.8", "6.0.0", "6.0.3.7", "6.0.0.beta1", "4.2.11"].map(supportsSharedSection)).toEqual([false, false, false, false, false]);
    expect([null, "", "main"].map(supportsSharedSection)).toEqual([false, false, false]);
    expect(["6.0.4", "6.0.6.1", "6.1.0", "6.1.7.10", "7.1.3", "8.0.1"].map(supportsSharedSection)).toEqual([true, true, true, true, true, true]);
  });
});

describe("config_for files under real Rails", () => {
  const prodValues = payment;
  const stagingValues: Record<string, RValue> = { ...payment, api_key: "sk_test_FAKE_staging_456", endpoint: "https://staging.pay.example.com", count: 1 };
  const ns: GlobalNamespace = { name: "payment", files: ["config/global/payment.yml"], values: { production: prodValues, staging: stagingValues }, sources: { api_key: src("config/global/payment.yml", 4) } };
  const flags: GlobalNamespace = { name: "services.search", files: ["config/global/services/search.yml"], values: { production: { url: "http://search:9200", beta: "f" }, staging: { url: "http://search-staging:9200", beta: true } }, sources: {} };
  const parent: GlobalNamespace = { name: "services", files: ["config/global/services.yml"], values: { production: { timeout: 5 }, staging: { timeout: 5 } }, sources: {} };
  const stages = [stage("production", { rails_env: "production" }), stage("staging", {}), stage("demo", { rails_env: "production" })];
  // demo runs RAILS_ENV=production but its Global values differ: a Capistrano template.
  const templates = [{ template: "config/deploy/templates/global/services.yml.erb", target: "config/global/services.yml", source: src("lib/capistrano/tasks/global.rake", 3), rendered: { production: { timeout: 5 }, staging: { timeout: 5 }, demo: { timeout: 30 } } }];
  const m = model([ns, parent, flags], stages, "6.1.7.10", templates);
  const result = emitRailsConfig(m, {});
  const plan = planConfig(m, {});

  const expectedFor = (stageName: string, env: Record<string, string>) => {
    const e = stageName === "staging" ? "staging" : "production";
    const pay = { ...(e === "staging" ? stagingValues : prodValues) } as Record<string, RValue>;
    if (typeof pay.endpoint === "object") pay.endpoint = env.PAYMENT_ENDPOINT ?? "https://sandbox.pay.example.com/api";
    return {
      payment: typedJson(pay),
      services: typedJson({ timeout: stageName === "demo" ? 30 : 5, search: flags.values[e] }),
    };
  };

  const podEnv = (stageName: string) => Object.fromEntries(plan.env.filter((v) => v.stage === stageName).map((v) => [v.name, v.value ?? ""]));

  it("keeps secrets and stage-specific values out of the files", () => {
    const files = result.files.map((f) => f.content).join("\n");
    expect(files).not.toContain("sk_test_FAKE");
    const secretVars = plan.env.filter((v) => v.secret);
    expect(secretVars.map((v) => [v.stage, v.name]).sort()).toEqual([["demo", "PAYMENT_API_KEY"], ["production", "PAYMENT_API_KEY"], ["staging", "PAYMENT_API_KEY"]]);
    const demoTimeout = plan.env.find((v) => v.stage === "demo" && v.path === "services.timeout");
    expect(demoTimeout).toMatchObject({ name: "SERVICES_TIMEOUT", value: "30", secret: false });
    expect(result.files.map((f) => f.path).sort()).toEqual([
      "config/custom/payment.yml", "config/custom/services.yml", "config/custom/services/search.yml",
      "config/initializers/00_rails2k8s_config.rb", "lib/tasks/rails2k8s.rake",
    ]);
  });

  for (const stageName of ["production", "staging", "demo"]) {
    it(`${stageName}: Rails.configuration.x equals Global's values, dot access included`, () => {
      const dir = writeApp(result.files);
      const env = { ...podEnv(stageName), RAILS_ENV: stageName === "staging" ? "staging" : "production", PAYMENT_ENDPOINT: "https://pay.example.com/live" };
      const expected = expectedFor(stageName, env);
      const booted = bootApp(dir, expected, {
        env,
        probes: ["payment.default", "payment.count", "payment.key", "payment.size", "payment.retries.default", "payment.enabled?", "payment.note?", "payment.missing", "services.search.beta?"],
      });
      expect(booted.namespaces).toEqual(expected);
      expect(booted.probes["payment.default"]).toBe("card");
      expect(booted.probes["payment.count"]).toBe(stageName === "staging" ? 1 : 3);
      expect(booted.probes["payment.key"]).toBe("merchant-42");
      expect(booted.probes["payment.size"]).toBe("large");
      expect(booted.probes["payment.retries.default"]).toBe(2);
      expect(booted.probes["payment.enabled?"]).toBe(false); // "off" casts to false, as in Global 3
      expect(booted.probes["payment.note?"]).toBe(true);
      expect(booted.probes["payment.missing"]).toEqual({ error: "NoMethodError" });
      expect(booted.probes["services.search.beta?"]).toBe(stageName === "staging");
    });
  }

  it("the verify task passes on equal config and names the path of a difference, secrets masked", () => {
    const dir = writeApp(result.files);
    const env = { ...podEnv("production"), RAILS_ENV: "production" };
    const expected = expectedFor("production", env) as Record<string, Record<string, unknown>>;
    const ok = bootApp(dir, expected, { env, task: "rails2k8s:verify_config" });
    expect(ok.task?.status).toBe(0);
    expect(ok.task?.output).toMatch(/same values as Global \(2 namespaces\)/);
    // Global 1.x hands back its own wrappers inside to_hash: equal all the same.
    const v1 = bootApp(dir, expected, { env: { ...env, GLOBAL_1X: "1" }, task: "rails2k8s:verify_config" });
    expect(v1.task?.output).toMatch(/same values as Global \(2 namespaces\)/);

    const altered = structuredClone(expected);
    (altered.payment.retries as Record<string, unknown>).max = 6;
    (altered.payment as Record<string, unknown>).api_key = "sk_live_FAKE_other_789";
    const bad = bootApp(dir, altered, { env, task: "rails2k8s:verify_config" });
    expect(bad.task?.status).toBe(1);
    expect(bad.task?.output).toMatch(/DIFF payment\.retries\.max: different \(Global 6 vs config_for 5\)/);
    expect(bad.task?.output).toMatch(/DIFF payment\.api_key: different \(Global \[masked\] vs config_for \[masked\]\)/);
    expect(bad.task?.output).not.toMatch(/sk_(live|test)_FAKE/);

    // A whole namespace missing from config_for is shown with its secrets masked at any depth.
    const extra = structuredClone(expected) as Record<string, Record<string, unknown>>;
    extra.vault = { token: "tok_FAKE_VAULT_1", nested: { password: "pw_FAKE_VAULT_2", host: "vault.internal" }, api_keys: ["sk_FAKE_LIST_3"], jwt_key: "FAKE_VAULT_JWT_4" };
    const missing = bootApp(dir, extra, { env, task: "rails2k8s:verify_config" });
    expect(missing.task?.status).toBe(1);
    expect(missing.task?.output).toMatch(/DIFF vault: missing from config\/custom/);
    expect(missing.task?.output).toContain('"host"=>"vault.internal"');
    expect(missing.task?.output).not.toMatch(/FAKE_VAULT|FAKE_LIST/);
  });

  it("an unknown or pre-6.0 Rails gets only environment sections, which every version's config_for reads the same (the shape: no Rails before 6.1 runs here)", () => {
    const unknown = model([ns], stages);
    unknown.rails.railsVersion = null;
    const files = (m: AppModel) => emitRailsConfig(m, {}).files.filter((f) => f.path.startsWith("config/custom/"));
    for (const m of [model([ns], stages, "5.2.8.1"), unknown]) {
      const payment = files(m).find((f) => f.path === "config/custom/payment.yml")!.content;
      expect(payment).not.toMatch(/^shared:/m);
      // Each version's config_for body (5.2, 6.0.0, 6.0.4) run by Ruby, and the installed Rails, read
      // the file the same way, and as the 6.1 file with its shared: section reads under 6.1.
      const read = (content: string) => {
        const dir = writeApp([{ path: "config/payment.yml", content }]);
        const r = spawnSync("ruby", [join(import.meta.dirname, "config_for_versions.rb"), dir, "payment", "production,staging"], { encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
      };
      const old = read(payment);
      const modern = read(result.files.find((f) => f.path === "config/custom/payment.yml")!.content);
      for (const env of ["production", "staging"]) {
        for (const rule of ["5.2", "6.0.0", "6.0.4", "installed"]) expect(old[env]![rule]).toEqual(old[env]!["installed"]);
        expect(old[env]!["5.2"]).toEqual(modern[env]!["installed"]);
      }
    }
  });

  it("writes only environment sections for a Rails that ignores or shallow-merges shared:", () => {
    const old = emitRailsConfig(model([ns], stages, "6.0.3"), {});
    const file = old.files.find((f) => f.path === "config/custom/payment.yml")!.content;
    expect(file).not.toMatch(/^shared:/m);
    const modern = result.files.find((f) => f.path === "config/custom/payment.yml")!.content;
    expect(modern).toMatch(/^shared:/m);
  });
});

describe("secrets inside lists, hashes and URLs stay out of the tracked files", () => {
  it("a secret-named Hash or Array, a credential URL and a user-marked parent path go to the environment whole", () => {
    const values = {
      api_keys: ["sk_FAKE_LIST_1", "sk_FAKE_LIST_2"],
      credentials: { stripe: "sk_FAKE_HASH_3", region: "eu" },
      jwt_key: "FAKE_JWT_4",
      database_url: "postgres://app:FAKE_PW_5@db.internal/app",
      vendor: { settings: { account: "FAKE_MARKED_6", plan: "gold" } },
      host: "api.example.com",
      // Lists are leaves: one holding a secret-named literal or a credential URL goes whole.
      servers: [{ host: "a.internal", password: "FAKE_IN_LIST_9" }],
      urls: ["redis://:FAKE_URL_10@r.internal"],
    };
    // Secrets written as the defaults of ENV reads: under a secret key, and behind a secret ENV name.
    const withDefaults = { ...values, smtp_password: { env: "SMTP_PASSWORD", default: "FAKE_DEFAULT_7" }, mailer: { api: { env: "MAILER_SECRET_KEY", default: "FAKE_DEFAULT_8", ruby: 'ENV.fetch("MAILER_SECRET_KEY", "FAKE_DEFAULT_8").to_s' } } };
    // What Global gave on servers that did not set them: the defaults.
    const expected = { ...values, smtp_password: "FAKE_DEFAULT_7", mailer: { api: "FAKE_DEFAULT_8" } };
    const ns: GlobalNamespace = { name: "leaks", files: ["config/global/leaks.yml"], values: { production: withDefaults, staging: withDefaults }, sources: {} };
    const m = model([ns], [stage("production", { rails_env: "production" }), stage("staging", {})]);
    const answers = { "config.secret_paths": ["leaks.vendor.settings"] };
    const files = emitRailsConfig(m, answers).files.map((f) => f.content).join("\n");
    expect(files).not.toMatch(/FAKE_/);
    expect(files).toContain("api.example.com");
    const env = planConfig(m, answers).env.filter((e) => e.stage === "production");
    expect(env.filter((e) => e.secret).map((e) => e.path).sort()).toEqual(["leaks.api_keys", "leaks.credentials", "leaks.database_url", "leaks.jwt_key", "leaks.mailer.api", "leaks.servers", "leaks.smtp_password", "leaks.urls", "leaks.vendor.settings"]);

    // and the pod, given those env vars, reads exactly the values Global had
    const dir = writeApp(emitRailsConfig(m, answers).files);
    const pod = Object.fromEntries(env.map((e) => [e.name, e.value ?? ""]));
    const booted = bootApp(dir, { leaks: typedJson(expected as RValue) }, { env: { ...pod, RAILS_ENV: "production" }, task: "rails2k8s:verify_config" });
    expect(booted.namespaces).toEqual({ leaks: typedJson(expected as RValue) });
    expect(booted.task?.status).toBe(0);
  });
});


describe("ENV reads with an expression around them, and secret defaults (real Rails)", () => {
  it("an `||` chain, a nested fallback and Integer() are carried verbatim and give Global's values", () => {
    const values: Record<string, RValue> = {
      chain: { env: "CHAIN_A", default: { env: "CHAIN_B", default: null }, ruby: "ENV['CHAIN_A'] || ENV['CHAIN_B']" },
      nested: { env: "NEST_1", default: { env: "NEST_2", default: null }, ruby: 'ENV.fetch("NEST_1", ENV["NEST_2"])' },
      octal: { env: "OCT_I", default: 10, ruby: 'Integer(ENV.fetch("OCT_I", "010"))' },
      ratio: { env: "RATIO_F", default: null, ruby: 'ENV["RATIO_F"].to_f' },
      timeout: { env: "TIMEOUT_F", default: { float: "1.0" } },
    };
    const ns: GlobalNamespace = { name: "exprs", files: ["config/global/exprs.yml"], values: { production: values }, sources: {} };
    const m = model([ns], [stage("production", { rails_env: "production" })]);
    const files = emitRailsConfig(m, {}).files;
    const text = files.find((f) => f.path === "config/custom/exprs.yml")!.content;
    expect(text).toContain("<%= ENV['CHAIN_A'] || ENV['CHAIN_B'] %>");
    expect(text).toContain('<%= Integer(ENV.fetch("OCT_I", "010")) %>');
    // What Global gave on servers where CHAIN_B, NEST_2 and RATIO_F were set and the rest not.
    const expected = { chain: "bee", nested: "two", octal: 8, ratio: 0.5, timeout: { float: "1.0" } };
    const booted = bootApp(writeApp(files), { exprs: typedJson(expected as RValue) }, { env: { CHAIN_B: "bee", NEST_2: "two", RATIO_F: "0.5", RAILS_ENV: "production" } });
    expect(booted.namespaces).toEqual({ exprs: typedJson(expected as RValue) });
  });

  it("a secret default keeps its variable, prefilled in the environment, and never reaches the file", () => {
    const values: Record<string, RValue> = {
      password: { env: "SMTP_PASSWORD", default: "FAKE_SMTP_PW_1" },
      quoted_password: { interp: [{ env: "QUOTED_PW", default: "012345" }] },
      jwt_key: { env: "JWT_SIGNING", default: "FAKE_JWT_2", ruby: 'ENV.fetch("JWT_SIGNING", "FAKE_JWT_2").to_s' },
      cache_url: { env: "CACHE_URL", default: "redis://:FAKE_PW_3@cache.internal:6379/0" },
      // A secret default inside a string (a URL built around the read), and inside conversions.
      redis_url: { interp: ["redis://:", { env: "REDIS_PASSWORD", default: "FAKE_DEV_4" }, "@redis:6379/0"] },
      int_secret: { env: "INT_SECRET", default: 42, ruby: 'ENV.fetch("INT_SECRET", "0042").to_i' },
      strip_password: { env: "STRIP_PASSWORD", default: "FAKE_STRIP_5", ruby: '(ENV["STRIP_PASSWORD"] || "FAKE_STRIP_5").strip' },
      secret_f: { env: "SECRET_F", default: { float: "1.0" } },
      // A URL with two reads: the one without a default stays the app's own variable.
      api_url: { interp: ["https://", { env: "API_HOST", default: null }, "/?k=", { env: "API_KEY", default: "FAKE_K_11" }] },
      octal_pin: { env: "PIN_SECRET", default: 8, ruby: 'ENV.fetch("PIN_SECRET", 010).to_i' },
    };
    const ns: GlobalNamespace = { name: "mail", files: ["config/global/mail.yml"], values: { production: values }, sources: {} };
    const m = model([ns], [stage("production", { rails_env: "production" })]);
    const plan = planConfig(m, {});
    const files = emitRailsConfig(m, {}).files;
    expect(files.map((f) => f.content).join("\n")).not.toMatch(/FAKE_|012345/);
    // The variables keep their names: where the servers set them, their value goes in.
    expect(plan.env.map((e) => [e.name, e.value, e.secret])).toEqual([
      ["SMTP_PASSWORD", "FAKE_SMTP_PW_1", true],
      ["QUOTED_PW", "012345", true],
      ["JWT_SIGNING", "FAKE_JWT_2", true],
      ["CACHE_URL", "redis://:FAKE_PW_3@cache.internal:6379/0", true],
      ["REDIS_PASSWORD", "FAKE_DEV_4", true],
      ["INT_SECRET", "0042", true],
      ["STRIP_PASSWORD", "FAKE_STRIP_5", true],
      ["SECRET_F", "1.0", true],
      ["API_KEY", "FAKE_K_11", true],
      ["PIN_SECRET", "8", true],
    ]);
    // The servers set SMTP_PASSWORD, REDIS_PASSWORD and INT_SECRET; the rest fell back to their
    // defaults (a quoted tag is a String).
    const pod = { ...Object.fromEntries(plan.env.map((e) => [e.name, e.value ?? ""])), SMTP_PASSWORD: "from-the-server", REDIS_PASSWORD: "srv-pw", INT_SECRET: "0077", API_HOST: "h.example", RAILS_ENV: "production" };
    const expected = {
      password: "from-the-server",
      quoted_password: "012345",
      jwt_key: "FAKE_JWT_2",
      cache_url: "redis://:FAKE_PW_3@cache.internal:6379/0",
      redis_url: "redis://:srv-pw@redis:6379/0",
      int_secret: 77,
      strip_password: "FAKE_STRIP_5",
      secret_f: { float: "1.0" },
      api_url: "https://h.example/?k=FAKE_K_11",
      octal_pin: 8,
    };
    const booted = bootApp(writeApp(files), { mail: typedJson(expected as RValue) }, { env: pod });
    expect(booted.namespaces).toEqual({ mail: typedJson(expected as RValue) });
  });
});
