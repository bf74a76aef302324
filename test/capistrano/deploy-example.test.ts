// A deploy file kept out of git with an example committed beside it (config/deploy.rb.sample): the
// example is named as the deploy's template wherever the missing file is, never silently skipped.
import { describe, it, expect } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { analyze } from "./analyze.js";
import { analyzeDir, UnusableInput } from "../../src/analyze.js";
import { initPrism } from "../../analyzers/ruby/prism.js";

const write = (dir: string, files: Record<string, string>) => {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
};

describe("a git-ignored deploy file with a committed example", () => {
  it("no deploy config but config/deploy.rb.sample: exit 2 still, and the message names the sample and the .gitignore line", async () => {
    await initPrism();
    const dir = mkdtempSync(join(tmpdir(), "r2k-deploy-example-"));
    write(dir, {
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "mina"\n',
      "config/application.rb": "module Kiosk\n  class Application < Rails::Application\n  end\nend\n",
      ".gitignore": "/log\n/tmp\n/config/deploy.rb\n",
      "config/deploy.rb.sample": 'require "mina/rails"\ntask :lobby do\n  set :domain, "lobby.kiosk.example"\nend\n',
    });
    const err = await analyzeDir(dir).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UnusableInput);
    const msg = (err as Error).message;
    expect(msg).toContain("no Capistrano deploy config");
    expect(msg).toContain("config/deploy.rb.sample is in the repo, the deploy's template (config/deploy.rb itself is git-ignored, .gitignore:3)");
    // nothing is asked when the run stops: the message says only what to do
    expect(msg).not.toContain("answer the questions");
  });

  it("a Capfile that loads config/deploy, held only as config/deploy.rb.example: the warning names the example", async () => {
    const r = await analyze({
      Capfile: "load 'deploy'\nload 'config/deploy'\n",
      ".gitignore": "config/deploy.rb\n",
      "config/deploy.rb.example": 'set :application, "kiosk"\nrole :app, "app.kiosk.example"\n',
    });
    const w = r.problems.filter((p) => p.file === "Capfile" && p.line === 2);
    expect(w.map((p) => p.message)).toEqual([
      expect.stringMatching(/^load config\/deploy: no such file in the repo; config\/deploy\.rb\.example is in the repo, the deploy's template \(config\/deploy\.rb itself is git-ignored, \.gitignore:1\): /),
    ]);
    // the example is not read as the deploy: its server is no stage's
    expect(r.stages).toEqual([]);
  });

  it("no example: the messages are as before", async () => {
    const r = await analyze({ Capfile: "load 'deploy'\nload 'config/deploy'\n" });
    expect(r.problems.filter((p) => p.file === "Capfile" && p.line === 2).map((p) => p.message)).toEqual(["load config/deploy: no such file in the repo"]);
  });
});
