// One rule for "does this environment variable hold a secret" (src/model/secret-env.ts). Before it, the
// kustomize split asked the ENV-name rule or the key rule, while a worker's line and a front-end build
// step asked the key rule alone (without its count/duration exemption being right for env strings):
// a name only one of them caught reached a tracked file on the other path. The table says which old
// rule caught each name, so that a row only one caught fails if the union ever narrows again.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { secretEnvEntry, secretEnvName } from "../../src/model/secret-env.js";
import { looksSecretEnv, looksSecretKey, looksSecretValue, secretByKeyName } from "../../src/model.js";
import { findSecrets } from "../../analyzers/secrets.js";
import { cutSecretShapes } from "../../src/model/secret-shapes.js";
import { analyzeFiles } from "../../src/analyze.js";
import { redactModel } from "../../src/redact.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { baseModel, stage } from "../hazards/base-model.js";
import { pluginApp } from "../workers/app.js";

beforeAll(async () => {
  await initPrism();
});

// The two rules as they were, for the comparison.
const oldKustomize = (n: string, v: unknown) => looksSecretEnv(n) || looksSecretKey(n) || looksSecretValue(v);
const oldEntry = (n: string, v: unknown) => secretByKeyName(n, v) || looksSecretValue(v);

const WEBHOOK = "https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX";
type Row = [name: string, value: string, secret: boolean, caughtBefore: "both" | "kustomize only" | "neither"];
const TABLE: Row[] = [
  // Only the ENV-name rule knew these: a worker's line or a build step kept them.
  ["MAILGUN_KEY", "k3yv4lue", true, "kustomize only"],
  ["DATABASE_URL", "postgres://db.internal/shop", true, "kustomize only"],
  ["ANALYTICS_DATABASE_URL", "postgres://db.internal/analytics", true, "kustomize only"],
  ["GPG_PRIVATE", "armored", true, "kustomize only"],
  ["WEBHOOK_SIGNATURE", "s1gn", true, "kustomize only"],
  ["DEPLOY_KEYS", "k1,k2", true, "kustomize only"],
  // The key rule knows these whatever their case; its count/duration exemption no longer frees an env string.
  ["SESSION_SECRET_TIMEOUT", "30", true, "kustomize only"],
  ["AUTH_RETRY_COUNT", "3", true, "kustomize only"],
  ["BASIC_AUTH", "admin:hunter2", true, "both"],
  ["SMTP_PW", "hunter2", true, "both"],
  ["MYSECRET", "x", true, "both"],
  ["STRIPE_API_KEY", "plainword", true, "both"],
  ["api_key", "plainword", true, "both"],
  // By the value's shape, whatever the name.
  ["NOTIFY_URL", WEBHOOK, true, "both"],
  ["RELEASE_NOTE", "sk_live_51HqT2eKx9ZbQw8RrT0", true, "both"],
  // Not secret by either.
  ["RAILS_ENV", "production", false, "neither"],
  ["AWS_REGION", "eu-west-1", false, "neither"],
  ["STRIPE_PUBLISHABLE_KEY", "pk_test_abc", false, "neither"],
  ["SESSION_TOKEN_TTL", "3600", false, "neither"],
  ["GOOGLE_SITE_KEY", "6Lc_abc", false, "neither"],
  ["NODE_OPTIONS", "--max-old-space-size=4096", false, "neither"],
];

describe("secretEnvEntry: the one rule for an environment variable", () => {
  it.each(TABLE)("%s=%s → secret %s (before: %s)", (name, value, secret, before) => {
    expect(secretEnvEntry(name, value)).toBe(secret);
    expect([oldKustomize(name, value), oldEntry(name, value)]).toEqual(before === "both" ? [true, true] : before === "kustomize only" ? [true, false] : [false, false]);
  });

  it("is never weaker than either rule it replaces, for names made of the words both rules use", () => {
    const word = fc.constantFrom("KEY", "KEYS", "SECRET", "TOKEN", "TOKENS", "PASSWORD", "PASS", "PW", "AUTH", "DSN", "PRIVATE", "SIGNATURE", "JWT", "API", "ACCESS", "PUBLIC", "ID", "TTL", "COUNT", "DAYS", "URL", "DATABASE", "MAILGUN", "APP", "SITE", "PATH", "EXPIRES", "IN");
    const name = fc.tuple(fc.array(word, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([w, lower]) => (lower ? w.join("_").toLowerCase() : w.join("_")));
    const value = fc.oneof(fc.constantFrom("", "3", "true", "plain", WEBHOOK), fc.string());
    fc.assert(
      fc.property(name, value, (n, v) => {
        if (oldKustomize(n, v) || oldEntry(n, v)) expect(secretEnvEntry(n, v), `${n}=${v}`).toBe(true);
        if (looksSecretEnv(n) || looksSecretKey(n)) expect(secretEnvName(n), n).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("every place that decides uses it", () => {
  it.each([
    ["MAILGUN_KEY=k3yv4lue bin/delayed_job run", "MAILGUN_KEY=[secret] bin/delayed_job run"],
    ["ANALYTICS_DATABASE_URL=postgres://app:s3cr3t@db.internal/analytics rake x", "ANALYTICS_DATABASE_URL=postgres://app:[secret]@db.internal/analytics rake x"],
    ["DATABASE_URL=mysql2://precompile@127.0.0.1/precompile rake assets:precompile", "DATABASE_URL=mysql2://precompile@127.0.0.1/precompile rake assets:precompile"],
    // sqlite3's URL has no `//` and so no place for a password: our own sqlite3 placeholder.
    ["DATABASE_URL=sqlite3:tmp/precompile.sqlite3 rake assets:precompile", "DATABASE_URL=sqlite3:tmp/precompile.sqlite3 rake assets:precompile"],
    // ...but a value with a colon and no path is not spared as a URL.
    ["DATABASE_URL=live:a8f3k29x rake x", "DATABASE_URL=[secret] rake x"],
    // A user:password pair whose password holds a `/` has a URL's shape, not a path URL's scheme.
    ["BASIC_AUTH=admin:Pa55/w0rd rake x", "BASIC_AUTH=[secret] rake x"],
    ["SIDEKIQ_WEB_AUTH=admin:s3cr/et rake x", "SIDEKIQ_WEB_AUTH=[secret] rake x"],
    ["DATABASE_URL=mysql2:root/S3cretPw rake x", "DATABASE_URL=[secret] rake x"],
    ["MAILGUN_KEY=key:3ax6b2/x rake x", "MAILGUN_KEY=[secret] rake x"],
    ["SENTRY_DSN=abc123def456 rake x", "SENTRY_DSN=[secret] rake x"],
    ["SMTP_PW=hunter2 rake mail", "SMTP_PW=[secret] rake mail"],
    // The words the text rule always knew, beyond the name rule.
    ["X_AUTHKEY=abcd1234 rake y", "X_AUTHKEY=[secret] rake y"],
    // Flags, references and public values stay.
    ["MAILGUN_KEY=true rake z", "MAILGUN_KEY=true rake z"],
    ["MAILGUN_KEY=$MAILGUN_KEY rake z", "MAILGUN_KEY=$MAILGUN_KEY rake z"],
    ["PUBLIC_KEY=deploy rake z", "PUBLIC_KEY=deploy rake z"],
    // A name only the env rule knows spares lowercase words (our Dockerfile's precompile placeholder); a credential word never does.
    ["SECRET_KEY_BASE=precompile-only-not-a-secret rake assets:precompile", "SECRET_KEY_BASE=precompile-only-not-a-secret rake assets:precompile"],
    ["DB_PASSWORD=hunter rake x", "DB_PASSWORD=[secret] rake x"],
  ])("a command line's %s is cut as the name rule says", (text, cut) => {
    expect(cutSecretShapes(text, "[secret]")).toBe(cut);
  });

  const dj = { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8", daemons: "1.4.1" };
  const stages = { production: 'server "j1.parcel.example.org", roles: %w[jobs]\nserver "w1.parcel.example.org", roles: %w[web app db]\nset :rails_env, "production"\n' };
  const SCRIPT = { "bin/delayed_job": "#!/usr/bin/env ruby\nrequire_relative '../config/environment'\nrequire 'delayed/command'\nDelayed::Command.new(ARGV).daemonize\n" };

  it("a worker's line: MAILGUN_KEY (only the ENV-name rule knew it) stays out of its Deployment and the report", async () => {
    const unit = "[Service]\nRestart=always\nExecStart=/bin/bash -lc 'cd /srv/parcel/current && MAILGUN_KEY=k3yv4lue QUEUE_LOG=verbose bin/delayed_job run --queues=mail'\n";
    const m = await analyzeFiles(pluginApp("", stages, { "config/systemd/parcel-dj.service": unit, ...SCRIPT }, dj, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.env).toEqual({ QUEUE_LOG: "verbose" });
    const files = emitKustomize(m, defaultAnswers(m, {})).files;
    expect(files.some((f) => /worker-delayed-job/.test(f.path))).toBe(true);
    for (const f of files) expect(String(f.content), f.path).not.toContain("k3yv4lue");
    expect(JSON.stringify(redactModel(m))).not.toContain("k3yv4lue");
    expect(m.problems.find((p) => /sets MAILGUN_KEY, which looks like a secret/.test(p.message))).toMatchObject({ file: "config/systemd/parcel-dj.service", line: 3 });
  });

  it("findSecrets: an ENV read named by the key rule only (SMTP_PW, BASIC_AUTH) is a secret the app needs", () => {
    const at = { file: "config/deploy.rb", line: 4 };
    const m = baseModel({ stages: [stage("production", [], { default_env: { value: { SMTP_PW: { env: "SMTP_PW", default: null }, BASIC_AUTH: { env: "BASIC_AUTH", default: null }, HOST: { env: "APP_HOST", default: null } }, source: at } })] });
    expect(findSecrets(m).map((s) => s.name).sort()).toEqual(["BASIC_AUTH", "SMTP_PW"]);
  });

  it("the report hides a whenever env value named by the key rule only", () => {
    const m = baseModel({});
    const shown = redactModel({ ...m, cron: { settings: { "env:SMTP_PW": { value: "hunter2plain", source: { file: "config/schedule.rb", line: 1 } } } } as never });
    expect(JSON.stringify(shown)).not.toContain("hunter2plain");
  });
});
