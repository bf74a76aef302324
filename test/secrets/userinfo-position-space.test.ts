// Two ways a userinfo password slipped through (issue 13, last stop's "Left"):
// - digits before the `@` were taken for a port after a service word (`db:4321@db1`). A port follows
//   the host, after the `@`; before it is the userinfo, so those digits are the password, unless the
//   word before them is no user's name (a time's hour, `localhost`, an IPv4 address);
// - a password holding a space was missed, as words split at white space. It is cut where the value's
//   grammar lets a space in: a quoted string, a YAML value or list item (a plain scalar runs to the
//   line's end), a dotenv line, a one-line value by itself; not in a shell or terminal line.
// Both stay linear: a megabyte of such words is read in bounded time.
import { describe, it, expect } from "vitest";
import { cutSecretShapes, findSpans } from "../../src/model/secret-shapes.js";

const cut = (s: string) => cutSecretShapes(s, "[secret]");

describe("digits before the @ are the password, not a port", () => {
  it.each([
    ["db:4821@db1.kestrel.internal", "db:[secret]@db1.kestrel.internal"],
    ["redis:6379@cache1", "redis:[secret]@cache1"],
    ["deploy:22@web1", "deploy:[secret]@web1"],
    ["app:55555@10.4.0.7:5432", "app:[secret]@10.4.0.7:5432"],
    ["memcached:11211@box", "memcached:[secret]@box"],
    ["host: kestrel:90210@pg7", "host: kestrel:[secret]@pg7"],
    ["redis://:40913@cache1.kestrel.internal:6379/2", "redis://:[secret]@cache1.kestrel.internal:6379/2"],
  ])("%s", (text, shown) => {
    expect(cut(text)).toBe(shown);
  });

  it.each(["09:45@hourly", "localhost:8080@dev", "10.4.0.7:6379@primary", "https://kestrel.example.org:8443/u/@who"])("spares %s", (text) => {
    expect(cut(text)).toBe(text);
  });
});

describe("a password holding a space, where the grammar lets one in", () => {
  it.each([
    ["host: kestrel:tal on@db1.kestrel.internal", "host: kestrel:[secret]@db1.kestrel.internal"],
    ["  - perch:gr ey wing@mongo1:27017", "  - perch:[secret]@mongo1:27017"],
    ['url: "postgres://kestrel:tal on@db1/roost"', 'url: "postgres://kestrel:[secret]@db1/roost"'],
    ["url: 'mysql2://kestrel:tal on@db1/roost'", "url: 'mysql2://kestrel:[secret]@db1/roost'"],
    ["DATABASE_URL=postgres://kestrel:three word pass@db1/roost", "DATABASE_URL=postgres://kestrel:[secret]@db1/roost"],
    ["a: 1\nhost: kestrel:tal on@db1\nb: 2", "a: 1\nhost: kestrel:[secret]@db1\nb: 2"],
    ["kestrel:tal on@db1.kestrel.internal", "kestrel:[secret]@db1.kestrel.internal"],
    ['"kestrel:tal on@db1"', '"kestrel:[secret]@db1"'],
  ])("%s", (text, shown) => {
    expect(cut(text)).toBe(shown);
  });

  it.each([
    "run kestrel:tal on@db1 now",
    "note: see ops:x and y@kestrel.org",
    "Deploying: to web1 as deploy@web1",
    "contact: desk and ops@kestrel.org",
    "host: kestrel:<%= ENV['DB_PASSWORD'] %>@db1",
    "host: kestrel:<%= pw %>@db1",
    "x=1 kestrel:tal on@db1",
  ])("spares %s", (text) => {
    expect(cut(text)).toBe(text);
  });

  it("stays linear on a megabyte of quoted, YAML and spaced words", () => {
    for (const unit of ['"a:b c@d" ', "k: a:b c@d\n", "x y z w@d ", "a:b c d e f@g "]) {
      const line = unit.repeat(Math.ceil((1 << 20) / unit.length));
      const t = Date.now();
      findSpans(line);
      expect(Date.now() - t, JSON.stringify(unit)).toBeLessThan(15_000);
    }
    // one long value whose password would run back over the whole text: read once
    const long = '"' + "w ".repeat(1 << 19) + 'v@db1"';
    const t = Date.now();
    findSpans(long);
    expect(Date.now() - t).toBeLessThan(15_000);
  });
});
