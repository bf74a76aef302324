// The terminal encoder: no value from the repo reaches the terminal with a control character in it,
// while our own colours do. Planted in a real repo copy (an nginx server_name with terminal
// escapes) and judged on the bytes the CLI prints; the diff review of a file holding ESC too.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { painter, termJson, termLines, termText } from "../../emitters/encode/terminal.js";
import { renderDiff, renderSummary, renderTable } from "../../src/review.js";
import { BIN, copyFixture, snapshot } from "../migrate/helpers.js";

const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Text with our SGR colour sequences taken out: what is left must hold no control at all. */
const withoutSgr = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
const any = fc.string({ unit: "binary", maxLength: 40 });
const PAYLOAD = "evil\u001b]0;pwned\u0007\u001b[2J\u009b31m\r\u202e.example.com";

describe("termText / painter", () => {
  it("no control character survives, tab aside (property)", () => {
    fc.assert(fc.property(any, (v) => !CONTROLS.test(termText(v))));
    fc.assert(fc.property(any, (v) => termLines(v).split("\n").every((l) => !CONTROLS.test(l))));
  });

  it("the painter's colours survive, a value's escapes do not, and a value cannot forge a colour (property)", () => {
    fc.assert(
      fc.property(any, (v) => {
        const p = painter(true);
        const bold = p.wrap("1", "22");
        const out = p.line(`${bold("title")} ${v} ${bold(v)}`);
        return out.startsWith("\x1b[1mtitle\x1b[22m ") && !CONTROLS.test(withoutSgr(out)) && (out.match(/\x1b/g) ?? []).length === 4;
      }),
    );
    const off = painter(false);
    expect(off.line(off.wrap("1", "22")(PAYLOAD))).not.toMatch(CONTROLS);
  });

  it("JSON keeps its value and loses its raw C1, separators and bidi controls", () => {
    const v = { a: PAYLOAD + "\u2028\u0085" };
    const j = termJson(JSON.stringify(v));
    expect(JSON.parse(j)).toEqual(v);
    expect(j).not.toMatch(CONTROLS);
  });
});

describe("the review", () => {
  it("the diff and summary of a file holding ESC show it escaped, in colour and without", () => {
    const item = { path: "k8s/a\u001b[31m.yaml", status: "changed" as const, before: "a: 1\n", after: `a: "${PAYLOAD}"\n`, reason: "r\u001b[0m", why: "w\u001b]0;x\u0007" };
    for (const color of [false, true]) {
      const out = renderDiff(item, color) + renderSummary([item], color) + renderTable([item], color);
      expect(withoutSgr(out).split("\n").every((l) => !CONTROLS.test(l))).toBe(true);
      expect(out).toContain("\\u001b]0;pwned\\u0007");
    }
  });
});

describe("the CLI with a planted server_name", () => {
  it("analyze (text and JSON) and migrate print no raw escape; MIGRATION.md holds none", () => {
    const dir = copyFixture("shop");
    const prod = join(dir, "config/deploy/production.rb");
    writeFileSync(prod, readFileSync(prod, "utf8").replace('set :server_name, "shop.example.com www.shop.example.com"', `set :server_name, "shop.example.com ${PAYLOAD}"`));
    const run = (...args: string[]) => spawnSync("node", [BIN, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "1" } });
    const text = run("analyze", ".");
    expect(text.status, text.stderr).toBe(0);
    // nginx ends the directive at the payload's own `;`: what is left is still shown escaped.
    expect(text.stdout).toContain("evil\\u001b]0");
    const json = run("analyze", ".", "--json");
    expect(json.status).toBe(0);
    const mig = run("migrate", ".", "--yes");
    expect(mig.status, mig.stderr).toBe(0);
    for (const out of [text.stdout, text.stderr, json.stdout, mig.stdout, mig.stderr]) expect(withoutSgr(out).split("\n").filter((l) => CONTROLS.test(l))).toEqual([]);
    expect(readFileSync(join(dir, "MIGRATION.md"), "utf8").split("\n").filter((l) => CONTROLS.test(l))).toEqual([]);
  });

  it("migrate with BUNDLED WITH that is not a version: exit 2 naming Gemfile.lock:line, nothing written", () => {
    const dir = copyFixture("shop");
    const lock = join(dir, "Gemfile.lock");
    writeFileSync(lock, readFileSync(lock, "utf8").replace(/BUNDLED WITH\n\s+2\.4\.22/, "BUNDLED WITH\n   2.4.22;touch${IFS}/x;#"));
    const before = snapshot(dir);
    const r = spawnSync("node", [BIN, "migrate", ".", "--yes"], { cwd: dir, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Gemfile\.lock:249: BUNDLED WITH "2\.4\.22;touch\$\{IFS\}\/x;#" is not a version/);
    expect(snapshot(dir)).toEqual(before);
  });
});
