// The userinfo rule decides on the whole word (audit s24a A3/A8): a password without a scheme may
// hold any character a URL would need escaped, even `@`, and the host after the last `@` may be an
// IPv6 literal or start with `_` or a digit. A port, a time or a labelled mail address is no password.
import { describe, it, expect } from "vitest";
import { cutSecretShapes, findSpans } from "../../src/model/secret-shapes.js";

const cut = (s: string) => cutSecretShapes(s, "[secret]");

describe("userinfo passwords, decided on the whole word", () => {
  it.each([
    ["warden:Qu1ll/Rk+Tz8@db7.fenwick.internal", "warden:[secret]@db7.fenwick.internal"],
    ["warden:Rk)9(x@db7", "warden:[secret]@db7"],
    ["warden:it's\"Q|9@db7", "warden:[secret]@db7"],
    ["warden:[Zz]{9}\\q@db7", "warden:[secret]@db7"],
    ["warden:$hadowPw9@db7", "warden:[secret]@db7"],
    ["host: \"warden:Fl1nt@Ash@pg-b.fenwick.internal:5432/ledger\"", "host: \"warden:[secret]@pg-b.fenwick.internal:5432/ledger\""],
    ["reader:Wx3pw@[fd00::9]:27017", "reader:[secret]@[fd00::9]:27017"],
    ["reader:Wx3pw@[::1]", "reader:[secret]@[::1]"],
    ["reader:Wx3pw@_mongo.svc", "reader:[secret]@_mongo.svc"],
    ["reader:Wx3pw@3x.fenwick.net", "reader:[secret]@3x.fenwick.net"],
    ["warden:" + "Qz9/".repeat(100) + "@db7", "warden:[secret]@db7"],
    ["postgres://warden:Sl4/nt@db7/ledger", "postgres://warden:[secret]@db7/ledger"],
  ])("%s", (text, shown) => {
    expect(cut(text)).toBe(shown);
  });

  it.each(["09:45@hourly", "localhost:8080@dev", "contact:desk@fenwick.org", "ruby:3.3-slim@sha256:ab12", "git@github.com:fenwick/ledger.git", "https://fenwick.net:8443/u/@who", "mailto:desk@fenwick.org", "shop:${DB_PASSWORD}@db7"])(
    "spares %s",
    (text) => {
      expect(cut(text)).toBe(text);
    },
  );

  it("stays linear on a megabyte of words each holding userinfo", () => {
    // One userinfo a word where each is a line, or a host with its port after it; a one-line value
    // whose every `@` ends its word with a bare host is one userinfo (its password may be `r@s q:r`,
    // audit B12): cut from its first `:` to its last `@`.
    for (const [line, spans] of [["q:r@s\n".repeat(1 << 17), 1 << 17], ["q:r@s:1, ".repeat(1 << 17), 1 << 17], ["q:r@s ".repeat(1 << 17), 1]] as const) {
      const t = Date.now();
      expect(findSpans(line).length).toBe(spans);
      expect(Date.now() - t).toBeLessThan(15_000);
    }
  });
});
