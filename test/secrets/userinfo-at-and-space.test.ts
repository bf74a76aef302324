// Audit B12: a password holding both an `@` and a space showed its tail. The words of a value are
// decided one by one; the first word's `@` (`mysql2://user:p@ss`) was taken for the password's end,
// and the next word's `@host` was looked at only back to that word, so `ss word` stayed in the
// report and on the terminal. The userinfo of a value now runs to the last word's `@host`, however
// many `@`, spaces and `:` the password holds.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { cutSecretShapes } from "../../src/model/secret-shapes.js";
import { redactModel, scrubText } from "../../src/redact.js";
import { baseModel, baseRails } from "../hazards/base-model.js";

const cut = (s: string) => cutSecretShapes(s, "[secret]");

describe("a password holding `@` and a space is cut whole", () => {
  it.each([
    ["mysql2://user:p@ss word@db.example.com/app", "mysql2://user:[secret]@db.example.com/app"],
    ["postgres://u:pa ss@w@host/db", "postgres://u:[secret]@host/db"],
    ["postgres://u:p@ss w:x@db1/shop", "postgres://u:[secret]@db1/shop"],
    ["postgres://u:a://b@db1/shop", "postgres://u:[secret]@db1/shop"],
    ["url: mysql2://user:p@ss word@db.example.com/app", "url: mysql2://user:[secret]@db.example.com/app"],
    ["DATABASE_URL=mysql2://user:p@ss word@db.example.com/app", "DATABASE_URL=mysql2://user:[secret]@db.example.com/app"],
    ["url: 'mysql2://user:p@ss word@db1/app'", "url: 'mysql2://user:[secret]@db1/app'"],
    ['  url: "mongodb://user:a@b c@d e@mongo1:27017/app"', '  url: "mongodb://user:[secret]@mongo1:27017/app"'],
    ["production:\n  url: postgres://u:p@ss word@db1/shop\n  pool: 5\n", "production:\n  url: postgres://u:[secret]@db1/shop\n  pool: 5\n"],
    ["host: kestrel:p@ss word@db1", "host: kestrel:[secret]@db1"],
    ["host: kestrel:p@ss w:x@db1", "host: kestrel:[secret]@db1"],
    ['"kestrel:p@ss w:x@db1"', '"kestrel:[secret]@db1"'],
  ])("%s", (text, shown) => {
    expect(cut(text)).toBe(shown);
  });

  it("a model value and the terminal line holding it show none of it", () => {
    const url = "mysql2://user:p@ss word@db.example.com/app";
    const model = baseModel({ rails: { ...baseRails(), database: { file: "config/database.yml", adapters: {}, envReads: [{ env: "DB_URL", railsEnv: "production", default: url, source: { file: "config/database.yml", line: 3 } }] } } });
    const shown = JSON.stringify(redactModel(model));
    expect(shown).not.toContain("ss word");
    expect(scrubText(`  DB_URL: ${url}`, [])).not.toContain("ss word");
  });

  it("keeps each userinfo of a list apart where a port or a comma follows each host", () => {
    expect(cut("hosts: a:pw1@mongo1:27017, b:pw2@mongo2:27017")).toBe("hosts: a:[secret]@mongo1:27017, b:[secret]@mongo2:27017");
  });

  it("still spares what is no password: prose, a URL's port and path, a single mail address", () => {
    for (const text of ["note: see ops:x and y@kestrel.org", "https://kestrel.example.org:8443/u/@who", "Deploying: to web1 as deploy@web1", "run u:pa ss@w@host now"]) expect(cut(text)).toBe(text);
  });
});

// The password's characters: the ones a URL would need escaped and a password generator gives.
const PASSWORD_CHARS = [..."abcdefghkmnpqrstuvwyzABCDEFGHJKLMNPQRSTUVWYZ0123456789", "@", " ", ":", "/", "#", "%"];
const password = fc
  .tuple(fc.string({ unit: fc.constantFrom(...PASSWORD_CHARS), minLength: 2, maxLength: 24 }), fc.nat(), fc.nat(), fc.constantFrom("@", " ", "@ ", " @"))
  .map(([s, i, j, extra]) => {
    // At least one `@` and one space, each somewhere inside.
    const a = i % (s.length + 1);
    const withAt = s.slice(0, a) + extra + s.slice(a);
    const b = j % (withAt.length + 1);
    return extra.includes(" ") && extra.includes("@") ? withAt : withAt.slice(0, b) + (extra === "@" ? " " : "@") + withAt.slice(b);
  })
  // `host:8080/path@x` reads as a port and a path (decide() spares it, as a URL with a port is one):
  // a password that starts like a port followed by `/` is that reading, not this property's.
  .filter((p) => !/^\d{1,5}\//.test(p));

const CONTEXTS: ((url: string) => string)[] = [
  (u) => u,
  (u) => `url: ${u}`,
  (u) => `  - ${u}`,
  (u) => `DATABASE_URL=${u}`,
  (u) => `export DATABASE_URL=${u}`,
  (u) => `url: "${u}"`,
  (u) => `url: '${u}'`,
  (u) => `production:\n  adapter: mysql2\n  url: ${u}\n  pool: 5\n`,
];

describe("property: no 4-character piece of such a password is shown", () => {
  it("in a value by itself, a YAML value or list item, a dotenv line, a quoted string", () => {
    fc.assert(
      fc.property(password, fc.constantFrom("mysql2", "postgres", "postgresql", "mongodb", "redis", "amqp"), fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7), (pw, scheme, ctx) => {
        const url = `${scheme}://app_user:${pw}@db1.internal.example:5432/shop`;
        const text = CONTEXTS[ctx]!(url);
        // What is left with the password cut as it should be: a piece found there is not the password's to show.
        const around = text.replace(pw, "[secret]");
        for (const shown of [cut(text), scrubText(text, [])]) {
          for (let i = 0; i + 4 <= pw.length; i++) {
            const piece = pw.slice(i, i + 4);
            if (around.includes(piece)) continue;
            expect(shown, `${JSON.stringify(text)} showed ${JSON.stringify(piece)}`).not.toContain(piece);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
