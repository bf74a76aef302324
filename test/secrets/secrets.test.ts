// findSecrets: names and places of secrets from every part of the model, never values.
import { describe, it, expect, beforeAll } from "vitest";
import { readRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeRails } from "../../analyzers/rails.js";
import { findSecrets, looksSecretEnv, looksSecretKey, envRefs } from "../../analyzers/secrets.js";
import { baseModel, baseRails, stage } from "../hazards/base-model.js";
import type { GlobalNamespace } from "../../src/model.js";

beforeAll(async () => {
  await initPrism();
});

describe("name rules", () => {
  it("ENV names", () => {
    for (const n of ["SECRET_KEY_BASE", "RAILS_MASTER_KEY", "DATABASE_URL", "REPLICA_DATABASE_URL", "STRIPE_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "SMTP_PASS", "SENTRY_DSN", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "PGPASSWORD", "MYSQLPASSWD", "APPSECRET", "GHTOKEN", "SLACKBOTTOKEN"]) expect(looksSecretEnv(n), n).toBe(true);
    for (const n of ["DB_HOST", "RAILS_ENV", "PORT", "REDIS_HOST", "STRIPE_PUBLISHABLE_KEY", "MONKEY_COUNT", "KEYCLOAK_URL", "S3_BUCKET", "PASSWORDLESS_LOGIN", "TOKENIZER_MODE", "SECRETARY_EMAIL", "PGHOST", "PGUSER", "PGDATABASE", "PGPASSFILE", "GOOGLE_ANALYTICS_ID", "SIDEKIQ_CONCURRENCY", "WEB_CONCURRENCY", "MALLOC_ARENA_MAX", "RAILS_SERVE_STATIC_FILES", "RAILS_LOG_TO_STDOUT", "NODE_ENV", "BUNDLE_WITHOUT"]) expect(looksSecretEnv(n), n).toBe(false);
  });
  it("YAML / Global keys", () => {
    for (const k of ["password", "secret_key_base", "api_key", "auth_token", "client_secret", "private_key", "secret_access_key", "access_key_id"]) expect(looksSecretKey(k), k).toBe(true);
    for (const k of ["host", "username", "bucket", "public_key", "token_ttl", "pool", "key_path"]) expect(looksSecretKey(k), k).toBe(false);
  });
});

describe("findSecrets", () => {
  it("finds ENV references anywhere, with the nearest source", () => {
    const m = baseModel({
      stages: [stage("production", [], { default_env: { value: { STRIPE_SECRET_KEY: { env: "STRIPE_SECRET_KEY", default: null }, HOST: { env: "APP_HOST", default: null } }, source: { file: "config/deploy.rb", line: 7 } } })],
      appServers: [{ kind: "unicorn", file: "config/unicorn.rb", env: null, stages: [], workers: { value: { interp: ["x", { env: "UNICORN_TOKEN", default: "d" }] }, source: { file: "config/unicorn.rb", line: 3 } }, threads: null, listen: [], timeout: null, preloadApp: null, pid: null, stdoutPath: null, stderrPath: null, workingDirectory: null, hooks: [] }],
    });
    expect(envRefs(m).map((r) => r.name).sort()).toEqual(["APP_HOST", "STRIPE_SECRET_KEY", "UNICORN_TOKEN"]);
    const s = findSecrets(m);
    expect(s).toEqual([
      { name: "STRIPE_SECRET_KEY", kind: "env", reason: expect.any(String), source: { file: "config/deploy.rb", line: 7 } },
      { name: "UNICORN_TOKEN", kind: "env", reason: expect.any(String), source: { file: "config/unicorn.rb", line: 3 } },
    ]);
  });

  it("Global leaves by key name, or by the helper's secretPaths when given", () => {
    const ns: GlobalNamespace = { name: "aws", files: ["config/global/aws.yml"], values: { production: { access_key_id: "AKIAFAKE", secret_access_key: "fake", bucket: "b" } }, sources: { secret_access_key: { file: "config/global/aws.yml", line: 4 } } };
    const byName = findSecrets(baseModel({ global: { dir: "config/global", gemVersion: "3.1.1", namespaces: [ns], templates: [] } }));
    expect(byName.map((s) => s.name).sort()).toEqual(["aws.access_key_id", "aws.secret_access_key"]);
    expect(byName.find((s) => s.name === "aws.secret_access_key")?.source).toEqual({ file: "config/global/aws.yml", line: 4 });
    const classed = { ...ns, secretPaths: ["bucket"] } as GlobalNamespace;
    expect(findSecrets(baseModel({ global: { dir: "config/global", gemVersion: null, namespaces: [classed], templates: [] } })).map((s) => s.name)).toEqual(["aws.bucket"]);
  });

  it("Capistrano-rendered Global templates: full key path inside the namespace, per stage", () => {
    const src = { file: "lib/capistrano/tasks/global.rake", line: 5 };
    const rendered = { production: { s3: { bucket: "b", secret_access_key: "x" }, api_token: "t" }, staging: { region: "r", s3: { bucket: "b2" } } };
    const m = baseModel({ global: { dir: "config/global", gemVersion: "3.1.1", namespaces: [], templates: [{ template: "config/deploy/templates/aws.yml.erb", target: "config/global/aws.yml", rendered, source: src }] } });
    expect(findSecrets(m).map((s) => s.name).sort()).toEqual(["aws.api_token", "aws.s3.secret_access_key"]);
  });

  it("linked secret files, credentials, and credentials in gem source URLs", () => {
    const m = baseModel({
      linked: [
        { path: "config/database.yml", kind: "file", class: "config", stages: ["production"], source: { file: "config/deploy.rb", line: 5 } },
        { path: "config/application.yml", kind: "file", class: "secret", stages: ["production"], source: { file: "config/deploy.rb", line: 5 } },
        { path: "config/settings.yml", kind: "file", class: "config", stages: ["production"], source: { file: "config/deploy.rb", line: 5 } },
        { path: "public/system", kind: "dir", class: "data", stages: ["production"], source: { file: "config/deploy.rb", line: 6 } },
      ],
      rails: baseRails({
        credentials: [{ value: "config/credentials.yml.enc", source: { file: "config/credentials.yml.enc", line: 0 } }],
        privateSources: [{ value: "https://REDACTED@gems.example.com", source: { file: "Gemfile", line: 2 } }],
      }),
    });
    const s = findSecrets(m);
    expect(s.map((x) => `${x.kind}:${x.name}`)).toEqual(["file:config/database.yml", "file:config/application.yml", "env:RAILS_MASTER_KEY", "file:https://REDACTED@gems.example.com"]);
  });

  it("the legacy fixture: secrets.yml literals and ENV reads, database.yml example passwords, no values", () => {
    const { rails } = analyzeRails({ repo: readRepo("fixtures/apps/legacy").repo, problem: () => {} });
    const s = findSecrets(baseModel({ rails }));
    expect(s).toContainEqual({ name: "config/secrets.yml:production.secret_key_base", kind: "yaml", reason: "secret value written in the file", source: { file: "config/secrets.yml", line: 11 } });
    expect(s).toContainEqual({ name: "SECRET_KEY_BASE", kind: "env", reason: "read by config/secrets.yml:staging.secret_key_base", source: { file: "config/secrets.yml", line: 15 } });
    expect(s.some((x) => x.name === "config/database.yml.example:production.password" && /example/.test(x.reason))).toBe(true);
    expect(JSON.stringify(s)).not.toMatch(/FAKE-legacy|not-the-real-password/);
  });

  it("shop: DB_PASSWORD once per place, though every env merges the default", () => {
    const { rails } = analyzeRails({ repo: readRepo("fixtures/apps/shop").repo, problem: () => {} });
    const s = findSecrets(baseModel({ rails }));
    expect(s.filter((x) => x.name === "DB_PASSWORD")).toEqual([{ name: "DB_PASSWORD", kind: "env", reason: "read by config/database.yml.example:default.password", source: { file: "config/database.yml.example", line: 8 } }]);
  });

  it("a plugin's default and a file path are no secret written in the deploy config; a literal key still is", () => {
    const at = (line: number) => ({ file: "config/deploy.rb", line });
    const m = baseModel({
      stages: [
        stage("production", [], {
          nginx_ssl_certificate_key: { value: "/etc/ssl/private/harbor.key", source: { file: "Capfile", line: 3 }, defaultOf: "capistrano3-nginx" },
          ssl_private_key: { value: "/etc/ssl/private/harbor.key", source: at(4) },
          deploy_key: { value: "~/.ssh/id_deploy", source: at(5) },
          api_key: { value: "3f9a0c7e1b2d4f6a8c0e", source: at(6) },
          slack_token: { value: "/xoxb-123456789012-123456789012-AbCdEfGhIjKlMnOpQrStUvWx", source: at(7) },
        }),
      ],
    });
    expect(findSecrets(m).map((s) => s.name).sort()).toEqual([":api_key", ":slack_token"]);
  });
});
