// Every fixture app (fixtures/apps/*): analyze it, emit with the gaps' defaults, and build every
// overlay with the real `kubectl kustomize`; each built object validates and passes "restricted".
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeDir } from "../../src/analyze.js";
import { railsEnvOf } from "../../src/model.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { defaultAnswers } from "./answers.js";
import { kustomizeBuild, requireKubectl, writeTree, removeTrees } from "./kubectl.js";
import { restrictedViolations } from "./restricted.js";
import { validateObject } from "./validate.js";

const ROOT = join(import.meta.dirname, "../../fixtures/apps");
const APPS = existsSync(ROOT) ? readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, "Gemfile")) || existsSync(join(ROOT, d, "config"))).sort() : [];

beforeAll(() => {
  requireKubectl();
});
afterAll(removeTrees);

const models = new Map<string, ReturnType<typeof analyzeDir>>();
const analyzed = (app: string) => {
  if (!models.has(app)) models.set(app, analyzeDir(join(ROOT, app)));
  return models.get(app)!;
};

it("there are fixture apps to build", () => {
  expect(APPS.length).toBeGreaterThan(0);
});

describe.each(APPS)("fixture %s", (app) => {
  for (const target of ["gateway", "alb", "ingress-nginx"])
    it(`builds every overlay (edge ${target})`, async () => {
      const model = await analyzed(app);
      const result = emitKustomize(model, defaultAnswers(model, { "edge.target": target }));
      const root = writeTree(result.files);
      const stages = model.stages.length ? model.stages.map((s) => s.name) : ["production"];
      const overlays = result.files.filter((f) => /^k8s\/overlays\/[^/]+\/kustomization\.yaml$/.test(f.path)).map((f) => f.path.split("/")[2]);
      expect(overlays.sort()).toEqual([...stages].sort());
      for (const s of stages) {
        const objects = kustomizeBuild(root, `k8s/overlays/${s}`);
        expect(objects.some((o) => o.kind === "Deployment")).toBe(true);
        for (const o of objects) {
          validateObject(o);
          expect(restrictedViolations(o), `${app}/${s} ${o.kind}/${o.metadata.name}`).toEqual([]);
        }
      }
    });
});

describe("what the app reads from ENV while it boots (shop's Global files)", () => {
  it("lists the unset ones commented out in config.env, puts secret ones in secrets.env, and the ConfigMap holds neither", async () => {
    const model = await analyzed("shop");
    const result = emitKustomize(model, defaultAnswers(model, {}));
    const file = (p: string) => result.files.find((f) => f.path === p)!.content;
    const config = file("k8s/overlays/production/config.env");
    // A read with a default: listed with its source and default, commented out (an empty `X=`
    // would give "" where ENV.fetch would give the default).
    expect(config).toMatch(/^# config\/global\/payment\.yml:3, default "https:\/\/sandbox\.pay\.example\.com\/api"\n# PAYMENT_ENDPOINT=$/m);
    expect(config).toMatch(/^# PAYMENT_OPEN_TIMEOUT=$/m);
    expect(config).not.toMatch(/^PAYMENT_ENDPOINT=/m);
    // A secret-named read is never in the committed file, even commented: secrets.env has its line.
    expect(config).not.toMatch(/SMTP_PASSWORD/);
    expect(file("k8s/overlays/production/secrets.env.example")).toMatch(/^# SMTP_PASSWORD=$/m);
    // A value the config plan moved to a variable of its own is not read under its old name.
    expect(config).not.toMatch(/PAYMENT_API_KEY/);
    expect(result.notes.some((n) => /config\.env: the app reads .*PAYMENT_ENDPOINT.* while it boots/.test(n.message))).toBe(true);
    const root = writeTree(result.files);
    const cm = kustomizeBuild(root, "k8s/overlays/production").find((o) => o.kind === "ConfigMap" && o.data?.RAILS_ENV)!;
    expect(cm.data.RAILS_ENV).toBe("production");
    expect(Object.keys(cm.data).filter((k) => k.startsWith("PAYMENT_") || k.startsWith("SMTP_"))).toEqual([]);
  });

  it("ledger: RAILS_MASTER_KEY from the stage's own credentials key (production.key over master.key), and the linked .env named", async () => {
    const model = await analyzed("ledger");
    const result = emitKustomize(model, defaultAnswers(model, {}));
    const keyFile = (stage: string) =>
      result.provenance.filter((p) => p.output === `k8s/overlays/${stage}/secrets.env` && p.what.startsWith("RAILS_MASTER_KEY:")).map((p) => /: (\S+) lived/.exec(p.what)![1]);
    // demo and production run RAILS_ENV=production; staging runs staging, which has no key of its own.
    expect(model.stages.map((s) => [s.name, railsEnvOf(s)])).toEqual([["demo", "production"], ["production", "production"], ["staging", "staging"]]);
    expect(keyFile("demo")).toEqual(["config/credentials/production.key"]);
    expect(keyFile("production")).toEqual(["config/credentials/production.key"]);
    expect(keyFile("staging")).toEqual(["config/master.key"]);
    expect(result.notes.some((n) => /^\.env lived only on the servers .*dotenv/.test(n.message) && n.source?.file === "config/deploy.rb")).toBe(true);
  });

  it("atlas: a per-environment credentials key gives RAILS_MASTER_KEY to the stages of that environment only", async () => {
    const model = await analyzed("atlas");
    const result = emitKustomize(model, defaultAnswers(model, {}));
    const keys = (stage: string) => result.files.find((f) => f.path === `k8s/overlays/${stage}/secrets.env.example`)!.content;
    expect(railsEnvOf(model.stages.find((s) => s.name === "beta")!)).toBe("production");
    expect(keys("beta")).toMatch(/^# RAILS_MASTER_KEY=$/m);
    // alpha runs staging: an empty RAILS_MASTER_KEY there would make Rails fail to read its credentials.
    expect(keys("alpha")).not.toMatch(/RAILS_MASTER_KEY/);
  });

  it("a secret read while the app boots is prefilled with its default in secrets.env, never shown in config.env", async () => {
    const model = await analyzed("shop");
    const ns = model.global!.namespaces.find((n) => n.name === "mailer")!;
    const values = structuredClone(ns.values.production) as Record<string, any>;
    values.smtp.authentication = { env: "SMTP_AUTH_METHOD", default: "plain" };
    values.smtp.user_password = { env: "MAIL_LOGIN", default: null };
    // One variable with a different default in two namespaces.
    values.smtp.relay_password = { env: "SHARED_PW", default: "FAKE_FIRST" };
    // A read whose fallback is another variable does not take away another read's prefill.
    values.smtp.api_token = { env: "API_TOKEN", default: "FAKE_TOKEN_D" };
    values.smtp.api_token_2 = { env: "API_TOKEN", default: { env: "OTHER_TOKEN", default: null }, ruby: 'ENV.fetch("API_TOKEN", ENV["OTHER_TOKEN"])' };
    // A URL whose secret part is taken out: its other read is still listed for the team.
    values.smtp.relay_url = { interp: ["https://", { env: "RELAY_HOST", default: null }, "/?k=", { env: "RELAY_KEY", default: "FAKE_RELAY" }] };
    const pay = model.global!.namespaces.find((n) => n.name === "payment")!;
    const payValues = { ...(pay.values.production as Record<string, any>), webhook_password: { env: "SHARED_PW", default: "FAKE_SECOND" } };
    const changed = {
      ...model,
      global: { ...model.global!, namespaces: model.global!.namespaces.map((n) => (n === ns ? { ...n, values: { ...n.values, production: values } } : n === pay ? { ...n, values: { ...n.values, production: payValues } } : n)) },
    };
    const result = emitKustomize(changed, defaultAnswers(changed, {}));
    const secrets = result.files.find((f) => f.path === "k8s/overlays/production/secrets.env")!.content;
    const config = result.files.find((f) => f.path === "k8s/overlays/production/config.env")!.content;
    // "auth" makes the name look secret: the default keeps the app's behaviour where the servers had none.
    expect(secrets).toMatch(/^SMTP_AUTH_METHOD=plain$/m);
    // Under a secret-named key: its line is in secrets.env, whatever the variable is called.
    expect(secrets).toMatch(/^# MAIL_LOGIN=$/m);
    expect(config).not.toMatch(/SMTP_AUTH_METHOD|MAIL_LOGIN/);
    expect(secrets).toMatch(/^API_TOKEN=FAKE_TOKEN_D$/m);
    expect(secrets).toMatch(/^RELAY_KEY=FAKE_RELAY$/m);
    expect(config).toMatch(/^# RELAY_HOST=$/m);
    // The first default is kept, and the team is told the two differ (without the values).
    expect(secrets.match(/^SHARED_PW=.*$/gm)).toEqual(["SHARED_PW=FAKE_FIRST"]);
    const note = result.notes.find((n) => /SHARED_PW has different defaults/.test(n.message));
    expect(note?.message).not.toMatch(/FAKE_/);
  });

  it("secret prefills: a default fills a key already listed empty; another variable as fallback gets no line; two different defaults are said", async () => {
    const model = structuredClone(await analyzed("ledger"));
    const src = { file: "config/database.yml", line: 9 };
    model.rails.database!.envReads = [
      ...(model.rails.database!.envReads ?? []),
      { env: "DB_PASSWORD", railsEnv: "production", default: "FAKE_DB_1", source: src, secret: true },
      { env: "OTHER_TOKEN", railsEnv: "production", default: { env: "FALLBACK_VALUE", default: null }, source: src },
    ];
    const answers = defaultAnswers(model, {});
    answers["secret.keys"] = [...(answers["secret.keys"] as string[]), "DB_PASSWORD", "OTHER_TOKEN"];
    const result = emitKustomize(model, answers);
    const secrets = result.files.find((f) => f.path === "k8s/overlays/production/secrets.env")!.content;
    expect(secrets).toMatch(/^DB_PASSWORD=FAKE_DB_1$/m);
    // An empty OTHER_TOKEN= would hide its fallback (ENV["FALLBACK_VALUE"]).
    expect(secrets).not.toMatch(/^OTHER_TOKEN=/m);
    expect(result.notes.some((n) => /OTHER_TOKEN is read while the app boots with a fallback that is not text/.test(n.message))).toBe(true);
  });

  it("includes database.yml's reads when the committed file is the one the app reads (ledger)", async () => {
    const model = await analyzed("ledger");
    const result = emitKustomize(model, defaultAnswers(model, {}));
    const config = result.files.find((f) => f.path === "k8s/overlays/production/config.env")!.content;
    expect(config).toMatch(/^# config\/database\.yml:\d+, default 5\n# RAILS_MAX_THREADS=$/m);
  });
});
