// The Global → Rails.configuration.x codemod: call sites found by Prism, rewritten by byte range.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { findGlobalCalls } from "../../analyzers/global-calls.js";
import { codemodPatches } from "../../emitters/rails-config/codemod.js";
import { emitRailsConfig, switchPatches } from "../../emitters/rails-config/index.js";
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

  it("the loader runs before the app's own initializers; sites that run earlier still are named", async () => {
    const { LOADER_PATH } = await import("../../emitters/rails-config/loader.js");
    const { analyzeFiles } = await import("../../src/analyze.js");
    const { readdirSync, readFileSync, statSync } = await import("node:fs");
    const { join, relative } = await import("node:path");
    const root = join(import.meta.dirname, "../../fixtures/apps/shop");
    const files: Record<string, string> = {};
    const walk = (d: string) => { for (const n of readdirSync(d)) { const p = join(d, n); if (statSync(p).isDirectory()) walk(p); else files[relative(root, p)] = readFileSync(p, "utf8"); } };
    walk(root);
    files["config/initializers/payment.rb"] = "PAYMENT_TIMEOUT = Global.payment.timeout\n";
    files["config/environments/production.rb"] = (files["config/environments/production.rb"] ?? "") + "\nRails.application.configure { config.x.mail_from = Global.mailer.from }\n";
    const initializers = ["config/initializers/payment.rb", "config/initializers/assets.rb", LOADER_PATH].sort();
    expect(initializers[0]).toBe(LOADER_PATH);
    const model = await analyzeFiles(memoryRepo(files), "shop");
    const out = emitRailsConfig(model, {});
    expect(switchPatches(model).map((p) => p.path)).toContain("config/initializers/payment.rb");
    expect(out.notes.filter((n) => /runs before the initializers/.test(n.message)).map((n) => n.source?.file)).toEqual(["config/environments/production.rb"]);
  });

  it("reads it cannot rewrite are listed, never edited: Global[:x], Global.configuration.x, Global in a view", () => {
    const repo = memoryRepo({
      "app/models/a.rb": "X = Global[:payment]\nY = Global.configuration.payment.retries\nZ = Global.send(:mailer)\nW = Global.payment.endpoint\n",
      "app/views/layouts/app.html.erb": "<p><%= Global.mailer.from %></p>\n<p>Global warming</p>\n",
    });
    const calls = findGlobalCalls({ repo, problem: () => {} });
    expect(calls.filter((c) => c.manual).map((c) => [c.file, c.line])).toEqual([
      ["app/models/a.rb", 1],
      ["app/models/a.rb", 2],
      ["app/models/a.rb", 3],
      ["app/views/layouts/app.html.erb", 1],
    ]);
    const patches = codemodPatches(calls, new Set(["payment", "mailer"]));
    expect(patches.flatMap((p) => p.edits.map((e) => e.offset))).toHaveLength(1);
  });
});

