// monit's web interface login (`set httpd … allow user:password`) is a credential: found by shape
// and cut from anything printed, the user kept. Monit's other `allow` forms (hosts, nets, IPv6,
// groups, a password file) are not secrets. Values are made up.
import { describe, it, expect } from "vitest";
import { cutSecretShapes, secretSpans, findSpans } from "../../src/model/secret-shapes.js";

const cut = (s: string) => cutSecretShapes(s, "[secret]");

describe("monit httpd allow user:password", () => {
  it.each([
    ['    allow operator:"Tr0ub4dor"', '    allow operator:"[secret]"'],
    ["  allow operator:plainpass", "  allow operator:[secret]"],
    ["allow viewer:'wide open' read-only", "allow viewer:'[secret]' read-only"],
    ["set httpd port 2812 and use address localhost allow localhost allow ops:hunter2x", "set httpd port 2812 and use address localhost allow localhost allow ops:[secret]"],
  ])("%s", (text, expected) => {
    expect(cut(text)).toBe(expected);
    expect(secretSpans(text).map((s) => s.shape)).toEqual(["monit password"]);
    expect(secretSpans(text)).toEqual(findSpans(text));
  });

  it("monit's other allow forms are not secrets", () => {
    for (const t of ["allow localhost", "allow 10.0.0.0/255.0.0.0", "allow fe80::1", "allow fe80:0:0::1/64", "allow @monitgroup", "allow md5 /etc/monit/htpasswd ops", "allow ops:${MONIT_PASSWORD}", 'allow admin:"<%= monit_password %>"'])
      expect(secretSpans(t), t).toEqual([]);
  });
});
