// Mina's own names: `application_name` names the app (mina/default's variable; Capistrano's is
// `application`), and `set :domain, ""` is a value, empty, so that stage declares no server; a
// computed domain is a server that could not be read (the question servers.<stage>).
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const app = (stageFiles: Record<string, string>) =>
  analyzeFiles(
    memoryRepo({
      Gemfile: 'source "https://rubygems.org"\ngem "rails"\n',
      "config/application.rb": "module Lighthouse\n  class Application < Rails::Application\n  end\nend\n",
      "config/deploy.rb": ['require "mina/rails"', 'require "mina/git"', 'require "mina/multistage"', "", 'set :application_name, "harbour-lights"', 'set :deploy_to, "/srv/harbour"', ""].join("\n"),
      ...stageFiles,
    }),
    "checkout",
  );

describe("Mina", () => {
  it("names the app from application_name, not from the Rails module", async () => {
    const m = await app({ "config/deploy/production.rb": 'set :domain, "lights.example.net"\n' });
    expect(m.capistrano?.tool).toBe("mina");
    expect(m.name).toEqual({ value: "harbour-lights", source: { file: "config/deploy.rb", line: 5 } });
    expect(m.stages.find((s) => s.name === "production")!.servers.map((s) => s.host)).toEqual(["lights.example.net"]);
  });

  it("reads an empty domain as empty: the stage declares no server, and nothing is called unknown", async () => {
    const m = await app({ "config/deploy/production.rb": 'set :domain, ""\nset :branch, ""\n', "config/deploy/staging.rb": 'set :domain, "10.4.0.7"\n' });
    // Deploying nowhere, beside a stage with a server: no overlay for it (analyzers/capistrano/empty-stages.ts).
    expect(m.stages.map((s) => s.name)).toEqual(["staging"]);
    expect(m.stagesWithoutServers).toEqual([{ name: "production", source: { file: "config/deploy/production.rb", line: 1 } }]);
    const said = m.problems.filter((p) => /Mina stage production/.test(p.message));
    expect(said.map((p) => `${p.file}:${p.line} ${p.message}`)).toEqual(["config/deploy/production.rb:1 Mina stage production: `domain` is set to an empty string; the stage declares no server"]);
    expect(m.gaps.some((g) => g.id === "servers.production")).toBe(false);
  });

  it("no domain at all: the stage declares no server, and the warning says so (no question)", async () => {
    const m = await app({ "config/deploy/production.rb": 'set :domain, "lights.example.net"\n', "config/deploy/review.rb": 'set :branch, "review"\n' });
    expect(m.stages.map((s) => s.name)).toEqual(["production"]);
    expect(m.stagesWithoutServers?.map((s) => s.name)).toEqual(["review"]);
    const said = m.problems.filter((p) => /Mina stage review/.test(p.message)).map((p) => p.message);
    expect(said).toEqual(["Mina stage review: `domain` is not set; the stage declares no server"]);
    expect(m.gaps.some((g) => g.id === "servers.review")).toBe(false);
  });

  it("a domain computed from what the analysis cannot know is a question, not a stage without servers", async () => {
    const m = await app({ "config/deploy/production.rb": 'set :domain, ENV.fetch("DEPLOY_HOST")\n' });
    const prod = m.stages.find((s) => s.name === "production")!;
    expect(prod.servers).toEqual([]);
    expect(prod.unread).toEqual([expect.objectContaining({ what: "servers" })]);
    expect(m.gaps.find((g) => g.id === "servers.production")).toMatchObject({ required: true });
  });
});
