// The worker's config/sidekiq.yml is in linked_files, and a deploy task uploads the servers' copy
// from a per-stage file the repo does not hold (git-ignored): the servers' Sidekiq read that copy.
// The repo's copy is still what the analysis reads, but it is said as the repo's copy: a named
// warning at the linked_files entry naming the upload line, a report line, and provenance rows
// of the worker Deployment that say so. An unlinked config gets none of it.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { renderReport } from "../../src/report.js";
import { pluginApp } from "./app.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { defaultAnswers } from "../kustomize/answers.js";

beforeAll(async () => {
  await initPrism();
});

const DEPLOY = [
  "set :linked_files, %w{config/database.yml config/sidekiq.yml}",
  "namespace :deploy do",
  "  task :upload do",
  "    on roles(:app) do",
  '      upload! "config/deploy/files/#{fetch(:stage)}/database.yml", "#{shared_path}/config/database.yml"',
  '      upload! "config/deploy/files/#{fetch(:stage)}/sidekiq.yml", "#{shared_path}/config/sidekiq.yml"',
  "    end",
  "  end",
  "end",
  "",
].join("\n");
const STAGES = { staging: 'server "one.kiln.example.org", roles: %w[app web db sidekiq]\nset :rails_env, "production"\n' };
const FILES = { "config/sidekiq.yml": ":concurrency: 7\n:queues:\n  - [urgent, 3]\n  - [default, 1]\n", ".gitignore": "/config/deploy/files/**/*\n" };

describe("a linked sidekiq.yml uploaded from a per-stage file", () => {
  it("is named with the linked_files entry and the upload line; its values are the repo's copy", async () => {
    const m = await analyzeFiles(pluginApp(DEPLOY, STAGES, FILES, { sidekiq: "7.2.4" }, ""), "kiln");
    const p = m.problems.find((x) => x.message.startsWith("sidekiq.config-linked:"));
    expect(p).toMatchObject({ file: "config/deploy.rb", line: 3 });
    expect(p!.message).toContain("config/deploy.rb:8 from config/deploy/files/#{fetch(:stage)}/sidekiq.yml), which the repo does not hold");
    expect(m.sidekiq!.repoCopy).toEqual({ linked: { file: "config/deploy.rb", line: 3 }, uploads: [{ file: "config/deploy.rb", line: 8 }] });
    // Still read: the worker runs the repo's copy, said as such.
    expect(m.sidekiq!.concurrency?.value).toBe(7);
    expect(renderReport(m, { color: false })).toContain("sidekiq config config/sidekiq.yml is the repo's copy: it is linked (config/deploy.rb:3; uploaded by config/deploy.rb:8)");
    const out = emitKustomize(m, defaultAnswers(m));
    expect(out.provenance.filter((r) => /repo's copy/.test(r.what)).map((r) => r.what)).toEqual([
      "sidekiq concurrency (the repo's copy; the servers read the linked shared/config/sidekiq.yml)",
      "sidekiq queues (the repo's copy; the servers read the linked shared/config/sidekiq.yml)",
    ]);
  });

  it("not linked: nothing said", async () => {
    const m = await analyzeFiles(pluginApp(DEPLOY.replace(" config/sidekiq.yml}", "}"), STAGES, FILES, { sidekiq: "7.2.4" }, ""), "kiln");
    expect(m.problems.some((x) => x.message.startsWith("sidekiq.config-linked:"))).toBe(false);
    expect(m.sidekiq!.repoCopy).toBeUndefined();
  });
});
