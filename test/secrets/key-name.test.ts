// A Global value secret by its key's name alone (src/model.ts secretByKeyName): `token_*`, `*_key`,
// `*_secret` hold secrets when they hold text, but a count or a length of time named after the thing
// it counts (`token_expire_days: 365`, `session_key_ttl`, `api_token_count`) or a flag is not one: it
// stays in the reviewed, committed config. A number under a token/key/secret name (`api_key:
// 1234567890123456`) is a credential like a String: the rails-config plan moves it to ENV, so the
// write guard never meets it written literally.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { looksSecretKey, secretByKeyName } from "../../src/model.js";
import { secretLeaves } from "../../analyzers/global/namespaces.js";

const SECRET_WORDS = ["token", "api_key", "secret", "access_key", "auth", "salt", "private_key", "signing_key", "client_secret"];
const COUNT_SUFFIXES = ["_days", "_hours", "_minutes", "_seconds", "_ttl", "_count", "_size", "_length", "_lifetime", "_timeout", "_interval", "_limit", "_retries", "_expire", "_expires_in", "_expiry_days", "_expiration"];
const PASSWORDS = ["password", "smtp_password", "db_pass", "admin_pwd", "pin"];
const word = fc.constantFrom(...SECRET_WORDS);
const prefix = fc.constantFrom("", "app_", "stripe_", "github_", "jwt_");

describe("secret by key name", () => {
  it("the corpus shape: token_expire_days 365 is not secret; the token beside it is", () => {
    expect(secretLeaves({ token: "9c1f3e7a0b2d4c6e8f1a3b5c7d9e0f2a", token_expire_days: 365 })).toEqual(["token"]);
    expect(secretLeaves({ auth: { api_key: "k-123", api_key_ttl: "3600", use_api_key: true, retries: 3 } })).toEqual(["auth.api_key"]);
  });

  it("a count or a duration by its name is never secret by name, whatever its value", () => {
    fc.assert(
      fc.property(prefix, word, fc.constantFrom(...COUNT_SUFFIXES), fc.oneof(fc.integer(), fc.boolean(), fc.stringMatching(/^[a-z0-9]{1,12}$/)), (p, w, suffix, v) => {
        expect(secretByKeyName(`${p}${w}${suffix}`, v)).toBe(false);
      }),
    );
  });

  it("a number under a secret-looking name is secret (a flag is not); only a count or duration name exempts it", () => {
    fc.assert(
      fc.property(prefix, word, fc.oneof(fc.integer(), fc.double({ noNaN: true })), (p, w, v) => {
        const key = `${p}${w}`;
        expect(looksSecretKey(key)).toBe(true);
        expect(secretByKeyName(key, v)).toBe(true);
        expect(secretByKeyName(key, { env: "X", default: v })).toBe(true);
      }),
    );
    fc.assert(fc.property(prefix, word, fc.boolean(), (p, w, v) => {
      expect(secretByKeyName(`${p}${w}`, v)).toBe(false);
    }));
    expect(secretByKeyName("api_key", 1234567890123456)).toBe(true);
    expect(secretByKeyName("signing_secret", 918273645512)).toBe(true);
    expect(secretByKeyName("token_expire_days", 365)).toBe(false);
    for (const k of PASSWORDS) if (looksSecretKey(k)) expect(secretByKeyName(k, 123456), k).toBe(true);
    expect(secretByKeyName("password", true)).toBe(false);
  });

  it("text under a secret-looking name stays secret (the rule is narrow)", () => {
    fc.assert(
      fc.property(prefix, word, fc.string({ minLength: 1, maxLength: 40 }), (p, w, v) => {
        expect(secretByKeyName(`${p}${w}`, v)).toBe(true);
        expect(secretByKeyName(`${p}${w}`, [v])).toBe(true);
        expect(secretByKeyName(`${p}${w}`, { env: "X", default: v })).toBe(true);
      }),
    );
    // Not secret by name to begin with: nothing changes.
    expect(secretByKeyName("host", "db.example.com")).toBe(false);
  });
});
