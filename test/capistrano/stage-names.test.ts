// Stage names as the Capistrano analyzer hands them on: mapped names pass, a name that cannot be a
// Kubernetes name or two that map alike are unusable input, with the file and line that named them
// (a stage file, or Capistrano 2's `set :stages`). Handed files directly, the analyzer reports them
// as errors and drops them, so no emitter ever sees such a name.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";

const base = { Gemfile: 'source "https://rubygems.org"\n', Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n', "config/deploy.rb": 'set :application, "app"\n' };
const stageFile = 'server "a.example.com", roles: %w[web app]\n';

async function analyze(files: Record<string, string>) {
  const unusable: Omit<Problem, "severity">[] = [];
  const model = await analyzeFiles(memoryRepo(files), "app", [], { unusable: (p) => unusable.push(p), callSites: false });
  return { model, unusable };
}

describe("stage names", () => {
  it("Capistrano 3: mapped names pass; `..`, a space and a collision are named by file", async () => {
    const { model, unusable } = await analyze({
      ...base,
      "config/deploy/QA_Blue.rb": stageFile,
      "config/deploy/qa-blue.rb": stageFile,
      "config/deploy/..rb": stageFile,
      "config/deploy/a b.rb": stageFile,
      "config/deploy/staging_eu.rb": stageFile,
    });
    expect(model.stages.map((s) => s.name)).toEqual(["QA_Blue", "staging_eu"]);
    expect(unusable.map((p) => `${p.file}:${p.line}`).sort()).toEqual(["config/deploy/..rb:1", "config/deploy/a b.rb:1", "config/deploy/qa-blue.rb:1"]);
    expect(unusable.find((p) => p.file === "config/deploy/qa-blue.rb")!.message).toMatch(/"QA_Blue" \(config\/deploy\/QA_Blue\.rb:1\) and "qa-blue" both map to the Kubernetes name "qa-blue"/);
  });

  it("Capistrano 2: a name in `set :stages` is refused at that line", async () => {
    const { model, unusable } = await analyze({
      Gemfile: base.Gemfile,
      Capfile: "load 'deploy'\n",
      "config/deploy.rb": 'require "capistrano/ext/multistage"\nset :application, "app"\nset :stages, ["production", "../etc"]\n',
      "config/deploy/production.rb": stageFile,
    });
    expect(model.stages.map((s) => s.name)).toEqual(["production"]);
    expect(unusable).toEqual([{ file: "config/deploy.rb", line: 3, message: expect.stringMatching(/stage name "\.\.\/etc" holds "\/"/) }]);
  });

  it("without a listener the same is an error problem, and the stage is still dropped", async () => {
    const model = await analyzeFiles(memoryRepo({ ...base, "config/deploy/Prod.rb": stageFile, "config/deploy/prod.rb": stageFile }), "app", [], { callSites: false });
    expect(model.stages.map((s) => s.name)).toEqual(["Prod"]);
    expect(model.problems).toContainEqual(expect.objectContaining({ file: "config/deploy/prod.rb", line: 1, severity: "error" }));
  });
});
