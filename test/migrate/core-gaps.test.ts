// The core gaps: image repository, a namespace per stage, and the Capistrano variables a person
// typed (`ask`) or that the analysis could not compute while an output depends on them.
import { describe, it, expect } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { coreGaps } from "../../src/gaps/core.js";
import type { AppModel } from "../../src/model.js";

const files = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails", "~> 7.1"\n',
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": [
    'lock "~> 3.17"',
    'set :application, "Billing App"',
    'ask :branch, "main"',
    "ask :release_note, nil",
    'set :s3_bucket, `aws s3 ls | head -1`',
    "",
  ].join("\n"),
  "config/deploy/production.rb": 'server "web1.example.com", user: "deploy", roles: %w[web app db]\n',
  "config/deploy/staging.rb": 'server "staging.example.com", user: "deploy", roles: %w[web app db]\n',
};

async function model(): Promise<AppModel> {
  return analyzeFiles(memoryRepo(files), "billing");
}

describe("core gaps", () => {
  it("asks for the image repository with a placeholder default named after the app", async () => {
    const gaps = coreGaps(await model());
    const image = gaps.find((g) => g.id === "image.repository")!;
    expect(image.default).toBe("registry.example.com/billing-app");
    expect(image.why).toMatch(/no registry/);
    expect(image.source).toEqual({ file: "config/deploy.rb", line: 2 });
  });

  it("one namespace per stage, <app>-<stage>, with the stage file as source", async () => {
    const gaps = coreGaps(await model());
    const ns = gaps.filter((g) => g.id.endsWith(".namespace"));
    expect(ns.map((g) => [g.id, g.default, g.source?.file])).toEqual([
      ["stage.production.namespace", "billing-app-production", "config/deploy/production.rb"],
      ["stage.staging.namespace", "billing-app-staging", "config/deploy/staging.rb"],
    ]);
  });

  it("one gap per asked variable and stage, with ask's default; ids stable across runs", async () => {
    const m = await model();
    const gaps = coreGaps(m);
    const cap = gaps.filter((g) => g.id.startsWith("cap."));
    const ids = cap.map((g) => g.id);
    expect(ids).toContain("cap.production.branch");
    expect(ids).toContain("cap.staging.branch");
    const branch = cap.find((g) => g.id === "cap.production.branch")!;
    expect(branch.default).toBe("main");
    expect(branch.source?.file).toBe("config/deploy.rb");
    expect(branch.question).toMatch(/asked for :branch/);
    // an unknown variable no output uses is not asked
    expect(ids.some((id) => id.endsWith(".s3_bucket"))).toBe(false);
    expect(coreGaps(await model()).map((g) => g.id)).toEqual(gaps.map((g) => g.id));
  });

  it("reads `asked` defensively: absent, or given by the analyzer with an unknown default", async () => {
    const m = await model();
    const prod = m.stages.find((s) => s.name === "production")!;
    const withAsked = { ...m, stages: [{ ...prod, asked: [{ name: "tag", default: { unknown: "shell command output (backticks)" }, source: { file: "config/deploy.rb", line: 9 } }] }] };
    const tag = coreGaps(withAsked).find((g) => g.id === "cap.production.tag")!;
    expect(tag.default).toBeNull();
    expect(tag.why).toMatch(/not known statically/);
    const without = { ...m, stages: [{ ...prod, asked: undefined, variables: {} }] };
    expect(coreGaps(without).filter((g) => g.id.startsWith("cap."))).toEqual([]);
  });

  it("an unknown variable a Capistrano-rendered template uses becomes a gap", async () => {
    const m = await model();
    const prod = m.stages.find((s) => s.name === "production")!;
    const stage = { ...prod, asked: [], variables: { ...prod.variables, s3_bucket: { value: { unknown: "shell command output (backticks)", expr: "`aws s3 ls`" }, source: { file: "config/deploy.rb", line: 5 } } } };
    const global = {
      dir: "config/global",
      gemVersion: null,
      namespaces: [],
      templates: [{ template: "config/deploy/templates/aws.yml.erb", target: "config/global/aws.yml", rendered: { production: { production: { bucket: { cap: "s3_bucket" } } } }, source: { file: "config/deploy.rb", line: 20 } }],
    };
    const gaps = coreGaps({ ...m, stages: [stage], global });
    const g = gaps.find((x) => x.id === "cap.production.s3_bucket")!;
    expect(g.default).toBeNull();
    expect(g.source).toEqual({ file: "config/deploy.rb", line: 5 });
    expect(g.why).toMatch(/could not compute it/);
  });
});
