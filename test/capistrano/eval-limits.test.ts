// The evaluator's bounds: a deploy config that would loop, build or declare without end is stopped
// with a message naming the limit, quickly, and what was read before stays.
import { describe, it, expect } from "vitest";
import { analyze, CAPFILE3 } from "./analyze.js";
import { EVAL_LIMITS } from "../../analyzers/ruby/idioms/limits.js";

const app = (deploy: string, production: string) => ({ Capfile: CAPFILE3, "config/deploy.rb": deploy, "config/deploy/production.rb": production });

describe("evaluation limits", () => {
  it("1.upto(10**9) is refused at once, naming the limit; the servers before it stay", async () => {
    const t = Date.now();
    const r = await analyze(app(`set :application, "x"`, `server "a.example.com", roles: %w[web]\n1.upto(10**9) { |i| server "h#{i}", roles: %w[web] }\nset :n, (1..10**9).map { |i| i }`));
    expect(Date.now() - t).toBeLessThan(20_000);
    expect(r.stage("production").servers.map((s) => s.host)).toEqual(["a.example.com"]);
    expect(r.problems).toContainEqual(expect.objectContaining({ file: "config/deploy/production.rb", line: 2, message: expect.stringMatching(/1000000000 elements is over the limit of 10000/) }));
    expect(r.v("production", "n")).toMatchObject({ unknown: expect.stringMatching(/over the limit/) });
    // A loop that could have declared servers is a gap, not a silent hole.
    expect(r.stage("production").unread).toContainEqual(expect.objectContaining({ what: "servers", source: { file: "config/deploy/production.rb", line: 2 } }));
  });

  it("nested loops share one iteration budget per stage", async () => {
    const r = await analyze(app(`set :application, "x"`, `(1..1000).each do |i|\n  (1..1000).each do |j|\n    set :last, j\n  end\nend`));
    expect(r.problems.some((p) => /block calls in one stage: stopped \(limit\)/.test(p.message))).toBe(true);
  });

  it("strings past the size limit are not built", async () => {
    const r = await analyze(app(`set :application, "x"\nset :big, "x" * 10**7\nset :wide, "x".rjust(10**8, "y")\nset :fmt, format("%0100000000d", 1)`, ""));
    for (const k of ["big", "wide", "fmt"]) expect(r.v("production", k), k).toMatchObject({ unknown: expect.any(String) });
  });

  it("a stage declaring more servers than the limit keeps the first ones and says so", async () => {
    const n = EVAL_LIMITS.servers + 5;
    const r = await analyze(app(`set :application, "x"`, `(1..${n}).each { |i| server "h#{i}.example.com", roles: %w[app] }`));
    expect(r.stage("production").servers.length).toBe(EVAL_LIMITS.servers);
    expect(r.problems.some((p) => /more than \d+ servers: the rest are not read \(limit\)/.test(p.message))).toBe(true);
  });

  it("the idioms of issue 17: a range of web servers is read in full", async () => {
    const r = await analyze(
      app(`set :application, "x"`, `(1..3).each do |i|\n  server "app#{i}.example.internal", user: "deploy", roles: %w[web app]\nend\nserver "batch1.example.internal", user: "deploy", roles: %w[app db worker], primary: true`),
    );
    expect(r.stage("production").servers.map((s) => [s.host, s.roles, s.primary])).toEqual([
      ["app1.example.internal", ["web", "app"], false],
      ["app2.example.internal", ["web", "app"], false],
      ["app3.example.internal", ["web", "app"], false],
      ["batch1.example.internal", ["app", "db", "worker"], true],
    ]);
    expect(r.stage("production").unread).toBeUndefined();
  });

  it("a variable an output reads, set in a branch not followed, is unknown (not its earlier value)", async () => {
    const r = await analyze(app(`set :application, "x"\nset :branch, "main"`, `if ENV["HOTFIX"]\n  set :branch, "hotfix"\nend\nset :rails_env, "production"`));
    expect(r.v("production", "branch")).toMatchObject({ unknown: expect.stringMatching(/could not be followed/) });
    expect(r.stage("production").unread).toContainEqual(expect.objectContaining({ what: "variable", name: "branch" }));
  });
});
