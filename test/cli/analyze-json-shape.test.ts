// `analyze --json` gives every object one reading: a repo's Hash whose keys spell a tagged value
// (`{sym: short}` in a Global file) is printed wrapped (`{"hash": {...}}`, HashValue in
// src/model.ts), never as the Symbol `{"sym": "short"}`; a Hash shaped like the wrapper is wrapped
// too. The built binary, on a copy of the shop fixture with a Global file of such Hashes.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { MODEL_VERSION } from "../../src/model.js";
import { BIN, ROOT, copyFixture } from "../migrate/helpers.js";

const GLOBAL = `default:
  style: :short
  date_format:
    sym: short
  as_env:
    env: STRIPE_KEY
    default: sk_live_51HqT2eKx9ZbQw8RrT0
  as_wrapper:
    hash:
      a: 1
  plain:
    a: 1
    sym: long
`;

describe("analyze --json: repo Hashes and tagged values", () => {
  it("a Symbol is {sym}; a Hash that spells one is {hash: {...}}; the output validates against the schema", () => {
    const dir = copyFixture("shop");
    writeFileSync(join(dir, "config/global/formats.yml"), GLOBAL);
    const r = spawnSync("node", [BIN, "analyze", dir, "--json"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const model = JSON.parse(r.stdout);
    expect(model.version).toBe(MODEL_VERSION);
    expect(MODEL_VERSION).toBe(2);
    const ns = model.global.namespaces.find((n: { name: string }) => n.name === "formats");
    const v = ns.values.production ?? ns.values.default;
    expect(v.style).toEqual({ sym: "short" });
    expect(v.date_format).toEqual({ hash: { sym: "short" } });
    expect(v.as_wrapper).toEqual({ hash: { hash: { a: 1 } } });
    expect(v.plain).toEqual({ a: 1, sym: "long" });
    // Redacted and still a Hash: its env/default pair is no ENV read, and its default (a key) is hidden.
    expect(v.as_env.hash.env).toBe("STRIPE_KEY");
    expect(v.as_env.hash.default).toEqual({ unknown: expect.any(String) });
    expect(r.stdout).not.toContain("sk_live_51HqT2eKx9ZbQw8RrT0");
    const schema = JSON.parse(readFileSync(join(ROOT, "schema/appmodel.schema.json"), "utf8"));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    validate(model);
    expect(validate.errors ?? []).toEqual([]);
  });
});
