// Every ENV read while the app boots (issue 12): config/application.rb, config/environments/<env>.rb
// (only for the stages running that env), initializers, the app server config and ERB in
// config/*.yml reach each stage's config.env (commented, with file:line and default) or, for a
// secret-looking name, secrets.env.example; `analyze` lists them with the environment they apply to.
import { describe, it, expect, beforeAll } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { configEnvFile, secretEnvExample } from "../../emitters/contract.js";
import { renderReport } from "../../src/report.js";
import { redaction } from "../../src/redact.js";
import type { AppModel, EmittedFile } from "../../src/model.js";

const ROOT = join(import.meta.dirname, "../../fixtures/apps/shop");

function shopFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(ROOT, p)] = readFileSync(p, "utf8");
    }
  };
  walk(ROOT);
  return files;
}

const PRODUCTION_EXTRA = `
Rails.application.configure do
  config.x.cache_url = ENV.fetch("REDIS_CACHE_URL") { "redis://localhost:6379/2" }
  config.action_mailer.smtp_settings = {
    address: ENV.fetch("SMTP_ADDRESS", "localhost"),
    port: ENV.fetch("SMTP_PORT", 587),
    user_name: ENV["SMTP_USERNAME"],
    password: ENV["SMTP_PASSWORD"],
    authentication: ENV["SMTP_AUTH"] || :plain,
  }
  config.x.asset_host = ENV.fetch("ASSET_HOST")
end
`;

const CABLE = `development:
  adapter: async
test:
  adapter: test
production:
  adapter: redis
  url: <%= ENV.fetch("CABLE_REDIS_URL") { "redis://localhost:6379/1" } %>
  channel_prefix: shop_production
staging:
  adapter: redis
  url: <%= ENV["STAGING_CABLE_URL"] %>
`;

let model: AppModel;
let files: EmittedFile[];
const file = (p: string) => files.find((f) => f.path === p)?.content ?? "";

beforeAll(async () => {
  const repo = shopFiles();
  repo["config/environments/production.rb"] += PRODUCTION_EXTRA;
  repo["config/environments/staging.rb"] += '\nRails.application.configure { config.x.banner = ENV["STAGING_BANNER"] }\n';
  repo["config/initializers/sentry.rb"] = 'if ENV.key?("SENTRY_DSN")\n  Sentry.init { |c| c.dsn = ENV["SENTRY_DSN"]; c.environment = ENV.fetch("SENTRY_ENV", Rails.env) }\nend\nFEATURE_X = ENV["FEATURE_X"] || "off"\n';
  repo["config/initializers/nested/limits.rb"] = 'MAX_UPLOAD = ::ENV.fetch("MAX_UPLOAD_MB", "25").to_i\n';
  repo["config/application.rb"] = repo["config/application.rb"]!.replace('config.time_zone = "Eastern Time (US & Canada)"', 'config.time_zone = ENV.fetch("APP_TIME_ZONE", "Eastern Time (US & Canada)")');
  repo["config/cable.yml"] = CABLE;
  model = await analyzeFiles(memoryRepo(repo), "shop");
  const answers = Object.fromEntries(model.gaps.map((g) => [g.id, g.default]));
  files = EMITTERS.flatMap((e) => e.emit(model, answers).files);
}, 60_000);

describe("ENV read while the app boots", () => {
  it("finds every form, with its default and the environment it applies to", () => {
    const by = (env: string) => model.bootEnv!.filter((r) => r.env === env).map((r) => ({ default: r.default, railsEnv: r.railsEnv, file: r.source.file, ...(r.required ? { required: true } : {}) }));
    expect(by("REDIS_CACHE_URL")).toEqual([{ default: "redis://localhost:6379/2", railsEnv: "production", file: "config/environments/production.rb" }]);
    expect(by("SMTP_ADDRESS")).toEqual([{ default: "localhost", railsEnv: "production", file: "config/environments/production.rb" }]);
    expect(by("SMTP_PORT")[0]!.default).toBe(587);
    expect(by("SMTP_PASSWORD")[0]!.default).toBeNull();
    expect(by("SMTP_AUTH")[0]!.default).toEqual({ sym: "plain" });
    expect(by("ASSET_HOST")).toEqual([{ default: null, railsEnv: "production", file: "config/environments/production.rb", required: true }]);
    expect(by("STAGING_BANNER")[0]!.railsEnv).toBe("staging");
    expect(by("SENTRY_DSN").map((r) => r.railsEnv)).toEqual([null, null]);
    expect(by("SENTRY_ENV")[0]!.default).toMatchObject({ unknown: expect.any(String), expr: "Rails.env" });
    expect(by("FEATURE_X")[0]!.default).toBe("off");
    expect(by("MAX_UPLOAD_MB")).toEqual([{ default: "25", railsEnv: null, file: "config/initializers/nested/limits.rb" }]);
    expect(by("APP_TIME_ZONE")[0]).toMatchObject({ default: "Eastern Time (US & Canada)", railsEnv: null, file: "config/application.rb" });
    expect(by("CABLE_REDIS_URL")).toEqual([{ default: "redis://localhost:6379/1", railsEnv: "production", file: "config/cable.yml" }]);
    expect(by("STAGING_CABLE_URL")).toEqual([{ default: null, railsEnv: "staging", file: "config/cable.yml" }]);
    // The unicorn config of each stage: production's `ENV["WEB_CONCURRENCY"] || 4`.
    expect(by("WEB_CONCURRENCY").some((r) => r.file === "config/unicorn/production.rb" && r.default === 4)).toBe(true);
  });

  it("each stage's config.env names what its Rails env reads, commented, with file:line and default", () => {
    const prod = file(configEnvFile("production"));
    const staging = file(configEnvFile("staging"));
    expect(prod).toMatch(/^# config\/environments\/production\.rb:\d+, default "redis:\/\/localhost:6379\/2"\n# REDIS_CACHE_URL=$/m);
    expect(prod).toMatch(/^# config\/cable\.yml:\d+, default "redis:\/\/localhost:6379\/1"\n# CABLE_REDIS_URL=$/m);
    expect(prod).toMatch(/^# config\/environments\/production\.rb:\d+, default 587\n# SMTP_PORT=$/m);
    expect(prod).toMatch(/^# SMTP_ADDRESS=$/m);
    expect(prod).toMatch(/^# ASSET_HOST=$/m);
    expect(prod).toMatch(/^# config\/initializers\/sentry\.rb:\d+, a default \(see the source\)\n# SENTRY_ENV=$/m);
    expect(prod).toMatch(/^# APP_TIME_ZONE=$/m);
    expect(prod).not.toMatch(/STAGING_BANNER|STAGING_CABLE_URL/);
    // A read in config/environments/production.rb applies only to stages running production.
    expect(staging).not.toMatch(/REDIS_CACHE_URL|SMTP_|CABLE_REDIS_URL|ASSET_HOST/);
    expect(staging).toMatch(/^# STAGING_BANNER=$/m);
    expect(staging).toMatch(/^# STAGING_CABLE_URL=$/m);
    expect(staging).toMatch(/^# MAX_UPLOAD_MB=$/m);
    // Secret-looking names go to secrets.env.example, not config.env.
    expect(file(secretEnvExample("production"))).toMatch(/^# SMTP_PASSWORD=$/m);
    expect(file(secretEnvExample("production"))).toMatch(/^# SENTRY_DSN=$/m);
    expect(file(secretEnvExample("staging"))).toMatch(/^# SENTRY_DSN=$/m);
    expect(prod).not.toMatch(/SMTP_PASSWORD|SENTRY_DSN/);
  });

  it("analyze lists them with the environment they apply to", () => {
    const text = renderReport(redaction(model).model, { color: false });
    expect(text).toMatch(/ENV read while the app boots/);
    expect(text).toMatch(/^ {2}REDIS_CACHE_URL {2}production only {2}default "redis:\/\/localhost:6379\/2" {2}config\/environments\/production\.rb:\d+$/m);
    expect(text).toMatch(/^ {2}STAGING_BANNER {2}staging only {2}no default/m);
    expect(text).toMatch(/^ {2}ASSET_HOST {2}production only {2}no default \(required\)/m);
    expect(text).toMatch(/^ {2}FEATURE_X {2}every environment {2}default "off"/m);
  });

  it("a secret default read in Ruby never reaches the report", () => {
    const m2 = { ...model, bootEnv: [...model.bootEnv!, { env: "STRIPE_SECRET_KEY", default: "sk_live_FAKE0000000000000000", source: { file: "config/initializers/stripe.rb", line: 1 }, railsEnv: null }] };
    const shown = redaction(m2 as AppModel);
    expect(JSON.stringify(shown.model)).not.toContain("sk_live_FAKE");
    expect(renderReport(shown.model, { color: false })).not.toContain("sk_live_FAKE");
  });
});
