// The deploy config every stage loads before its own file is run once and copied per stage, unless
// it reads the stage's name. Each stage must still see its own name wherever the config reads it:
// eagerly (then every stage runs the config again), lazily (a lambda resolved per stage), and after a stage file changes state the config left (servers, appended lists).
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const base = { Gemfile: 'source "https://rubygems.org"\n', Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n' };

async function stagesOf(files: Record<string, string>) {
  const model = await analyzeFiles(memoryRepo({ ...base, ...files }), "app", [], { callSites: false });
  return Object.fromEntries(model.stages.map((s) => [s.name, s]));
}

describe("config shared by the stages", () => {
  it("an eager read of the stage's name gives each stage its own value", async () => {
    const st = await stagesOf({
      "config/deploy.rb": 'set :application, "app"\nset :deploy_to, "/srv/app/#{fetch(:stage)}"\nset :label, fetch(:stage)\n',
      "config/deploy/production.rb": 'server "p.example.com", roles: %w[web]\n',
      "config/deploy/staging.rb": 'server "s.example.com", roles: %w[web]\n',
    });
    expect(st.production.variables.deploy_to.value).toBe("/srv/app/production");
    expect(st.staging.variables.deploy_to.value).toBe("/srv/app/staging");
    expect(st.production.variables.label.value).toEqual({ sym: "production" });
    expect(st.staging.variables.label.value).toEqual({ sym: "staging" });
  });

  it("lazy values, servers and lists stay per stage when the config is shared", async () => {
    const st = await stagesOf({
      "config/deploy.rb": 'set :application, "app"\nset :deploy_to, -> { "/srv/#{fetch(:application)}/#{fetch(:stage)}" }\nset :linked_dirs, %w[log]\nserver "shared.example.com", roles: %w[db]\n',
      "config/deploy/a.rb": 'server "shared.example.com", roles: %w[web], user: "alice"\nappend :linked_dirs, "tmp/a"\n',
      "config/deploy/b.rb": 'server "b.example.com", roles: %w[app]\n',
      "config/deploy/c.rb": "set :application, \"other\"\n",
    });
    expect(st.a.variables.deploy_to.value).toBe("/srv/app/a");
    expect(st.b.variables.deploy_to.value).toBe("/srv/app/b");
    expect(st.c.variables.deploy_to.value).toBe("/srv/other/c");
    expect(st.a.variables.stage).toEqual({ value: { sym: "a" }, source: { file: "config/deploy/a.rb", line: 1 } });
    expect(st.b.variables.stage.source.file).toBe("config/deploy/b.rb");
    expect(st.a.variables.linked_dirs.value).toEqual(["log", "tmp/a"]);
    expect(st.b.variables.linked_dirs.value).toEqual(["log"]);
    expect(st.a.servers.map((s) => [s.host, s.user, s.roles])).toEqual([["shared.example.com", "alice", ["db", "web"]]]);
    expect(st.b.servers.map((s) => [s.host, s.user, s.roles])).toEqual([
      ["shared.example.com", null, ["db"]],
      ["b.example.com", null, ["app"]],
    ]);
    expect(Object.keys(st.b.variables)).toEqual(Object.keys(st.c.variables));
  });

  it("a stage file another stage loads is read the same after its own stage is done, and a syntax error in it is said once", async () => {
    // Each stage file's parse is dropped once its stage is made (the memory of 10,000 stages): a
    // later stage that loads it parses it again, with the same result and no second report.
    const problems: string[] = [];
    const model = await analyzeFiles(
      memoryRepo({
        ...base,
        "config/deploy.rb": 'set :application, "app"\n',
        "config/deploy/a.rb": 'server "a.example.com", roles: %w[web]\nset :branch, "main"\nset :broken, (\n',
        "config/deploy/b.rb": 'load "config/deploy/a.rb"\nserver "b.example.com", roles: %w[app]\n',
      }),
      "app",
      [],
      { callSites: false, unusable: (p) => problems.push(`${p.file}:${p.line}: ${p.message}`) },
    );
    const st = Object.fromEntries(model.stages.map((s) => [s.name, s]));
    expect(st.b.servers.map((x) => x.host).sort()).toEqual(["a.example.com", "b.example.com"]);
    expect(st.b.variables.branch.value).toBe("main");
    expect(problems.filter((p) => p.startsWith("config/deploy/a.rb:"))).toHaveLength(1);
    expect(model.problems.filter((p) => p.file === "config/deploy/a.rb" && p.severity === "error")).toHaveLength(1);
  });
});

