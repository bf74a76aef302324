// The Global → Rails.configuration.x codemod: call sites found by Prism, rewritten by byte range.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { findGlobalCalls } from "../../analyzers/global-calls.js";
import { codemodPatches } from "../../emitters/rails-config/codemod.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { memoryRepo } from "../../src/repo.js";
import type { FilePatch } from "../../src/model.js";

const SOURCE = `class PaymentClient
  # Global.payment.endpoint stays in this comment
  URL = "Global.payment.endpoint in a string"
  def endpoint
    Global.payment.endpoint
  end
  def retries = ::Global.payment.retries.max
  def flags = [Global.features.beta?, MyGlobal.payment, Foo::Global.payment]
  def search = "#{Global.services.search.url}/q"
  def setup = Global.configure { |c| c }
  def unknown_ns = Global.not_migrated.value
end
`;

function apply(text: string, patch: FilePatch): string {
  const buf = Buffer.from(text, "utf8");
  let out = Buffer.alloc(0);
  let last = 0;
  for (const e of patch.edits) {
    expect(buf.subarray(e.offset, e.offset + e.length).toString("utf8")).toBe(e.expect);
    out = Buffer.concat([out, buf.subarray(last, e.offset), Buffer.from(e.replacement)]);
    last = e.offset + e.length;
  }
  return Buffer.concat([out, buf.subarray(last)]).toString("utf8");
}

describe("Global call-site codemod", () => {
  beforeAll(initPrism);

  it("rewrites only real Global namespace reads of migrated namespaces", () => {
    const repo = memoryRepo({ "app/models/payment_client.rb": SOURCE, "config/deploy.rb": "set :x, Global.payment.a\n", "vendor/x.rb": "Global.payment.a\n" });
    const calls = findGlobalCalls({ repo, problem: () => {} });
    expect(calls.map((c) => [c.file, c.line])).toEqual([
      ["app/models/payment_client.rb", 5],
      ["app/models/payment_client.rb", 7],
      ["app/models/payment_client.rb", 8],
      ["app/models/payment_client.rb", 9],
      ["app/models/payment_client.rb", 11],
    ]);
    const patches = codemodPatches(calls, new Set(["payment", "features", "services"]));
    expect(patches).toHaveLength(1);
    const out = apply(SOURCE, patches[0]);
    expect(out).toContain("    Rails.configuration.x.payment.endpoint\n");
    expect(out).toContain("def retries = Rails.configuration.x.payment.retries.max");
    expect(out).toContain("[Rails.configuration.x.features.beta?, MyGlobal.payment, Foo::Global.payment]");
    expect(out).toContain('"#{Rails.configuration.x.services.search.url}/q"');
    expect(out).toContain("# Global.payment.endpoint stays in this comment");
    expect(out).toContain('"Global.payment.endpoint in a string"');
    expect(out).toContain("Global.configure { |c| c }");
    expect(out).toContain("Global.not_migrated.value");
    // Still valid Ruby, by Ruby's own judgement.
    expect(execFileSync("ruby", ["-c"], { input: out, encoding: "utf8" })).toMatch(/Syntax OK/);

    // Run again on the rewritten file: every site is found as converted, none is edited twice.
    const again = findGlobalCalls({ repo: memoryRepo({ "app/models/payment_client.rb": out }), problem: () => {} });
    expect(again.filter((c) => c.converted).map((c) => c.line)).toEqual([5, 7, 8, 9]);
    expect(again.filter((c) => !c.converted).map((c) => c.expr)).toEqual(["Global.not_migrated"]);
    expect(codemodPatches(again, new Set(["payment", "features", "services"]))).toEqual([]);
  });

  it("leaves a file Prism cannot parse alone", () => {
    const repo = memoryRepo({ "app/x.rb": "def broken(\n  Global.payment.a\n" });
    expect(findGlobalCalls({ repo, problem: () => {} })).toEqual([]);
  });
});
