// The model as shown (analyze, MIGRATION.md): secret values hidden wherever they stand, including
// the defaults of ENV reads and the expressions around them; nothing else rewritten.
import { describe, it, expect } from "vitest";
import { redactModel } from "../../src/redact.js";
import { baseModel, baseRails } from "../hazards/base-model.js";
import type { GlobalNamespace, RValue } from "../../src/model.js";

const ns = (values: Record<string, RValue>): GlobalNamespace => ({ name: "mail", files: ["config/global/mail.yml"], values: { production: values }, sources: {} });

describe("redaction of ENV reads", () => {
  it("hides a default by the variable's name or by the key holding it, and the expression around it", () => {
    const shown = JSON.stringify(
      redactModel(
        baseModel({
          global: {
            dir: "config/global",
            gemVersion: "3.1.1",
            templates: [],
            namespaces: [
              ns({
                user_password: { env: "SMTP_PASS2", default: "Zq9-secret-1", ruby: 'ENV.fetch("SMTP_PASS2", "Zq9-secret-1").to_s' },
                login: { env: "SMTP_API_TOKEN", default: "Zq9-secret-2" },
                mode: { env: "MODE", default: "fast", ruby: 'ENV.fetch("MODE", "fast").to_sym' },
                nested: { env: "N5", default: { env: "N6", default: "7" }, ruby: 'ENV.fetch("N5", ENV.fetch("N6", "7"))' },
                cache: "redis://:Zq9-secret-4@cache.internal:6379/0",
                strip_password: { unknown: "method `strip` on a value not known statically", expr: 'ENV.fetch("X", "Zq9-secret-5").strip' },
              }),
            ],
          },
          rails: { ...baseRails(), database: { file: "config/database.yml", adapters: {}, envReads: [{ env: "MYSQL_ROOT", railsEnv: "production", default: "Zq9-secret-3", source: { file: "config/database.yml", line: 8 }, secret: true }, { env: "DB_HOST", railsEnv: "production", default: "db.internal", source: { file: "config/database.yml", line: 9 } }] } },
        }),
      ),
    );
    expect(shown).not.toMatch(/Zq9-secret/);
    // Not secret: left as they are, expressions included.
    expect(shown).toContain('ENV.fetch(\\"MODE\\", \\"fast\\").to_sym');
    expect(shown).toContain('ENV.fetch(\\"N5\\", ENV.fetch(\\"N6\\", \\"7\\"))');
    expect(shown).toContain("db.internal");
  });
});

describe("the redaction pass leaves the model as it was", () => {
  it("rebuilds only what holds a secret; the rest is shown as it is, and the model is not changed", () => {
    const model = baseModel({
      global: {
        dir: "config/global",
        gemVersion: "3.1.1",
        templates: [],
        namespaces: [ns({ host: "mail.example.com", password: "s3cr3t-Passw0rd", url: "postgres://app:hunter2-XYZ9@db.example.com/shop" })],
      },
    });
    const before = JSON.stringify(model);
    const shown = redactModel(model);
    expect(JSON.stringify(model)).toBe(before);
    expect(JSON.stringify(shown)).not.toContain("s3cr3t-Passw0rd");
    expect(JSON.stringify(shown)).not.toContain("hunter2-XYZ9");
    // What holds no secret is the model's own object; what held one is a copy.
    expect(shown.rails).toBe(model.rails);
    expect(shown.global!.namespaces[0]!.values).not.toBe(model.global!.namespaces[0]!.values);
  });
});
