// A stored callable's value computed in one stage is reused in another stage forked from the same
// config only when everything it read is the same there (Session#lazyValue). The oracle: each stage
// of a many-stage analysis must have exactly the facts it has when it is the repo's only stage
// (no fork, nothing reused). The configs mix callables that only compute (reused) with ones that
// read what stage files change (variables, constants, helper methods), run statements, loop, or
// return a lambda (never reused).
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { memoryRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeCapistranoWith } from "../../analyzers/capistrano/index.js";
import type { Stage } from "../../src/model.js";

beforeAll(() => initPrism());

const SEED = Number(process.env.R2K_LAZY_SEED ?? 20261206);
const base = { Gemfile: 'source "https://rubygems.org"\n', Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n' };

const DEPLOY = [
  'set :application, "app"',
  'set :deploy_to, -> { "/srv/#{fetch(:application)}" }',
  'set :cfg, -> { { root: fetch(:application), branch: fetch(:branch) } }',
  'set :label, -> { "#{fetch(:deploy_to)}-#{fetch(:branch, "none")}" }',
  'ROOT = "/base"',
  'set :rooted, -> { "#{ROOT}/x" }',
  'def helper(x)\n  "h-#{x}"\nend',
  'set :helped, -> { helper("v") }',
  'set :env_user, -> { ENV["R2K_NEVER_SET"] || "deploy" }',
  'set :multi, -> { a = fetch(:application); "#{a}!" }',
  'set :with_server, -> { server "lazy.example.com", roles: %w[db]; "x" }',
  'set :looped, -> { [1, 2].map { |i| "n#{i}" } }',
  'set :lam, -> { ->(x) { x } }',
  "set :asked, ask(:asked, \"d\")",
];
const STAGE = [
  'set :application, "other"',
  'ROOT = "/stage"',
  'def helper(x)\n  "stage-#{x}"\nend',
  'set :branch, "b1"',
  'server "s.example.com", roles: %w[app]',
  "fetch(:deploy_to)",
  "fetch(:with_server)",
  'set :deploy_to, -> { "/other/#{fetch(:application)}" }',
  "set :x, fetch(:label)",
  "set :y, fetch(:cfg)",
  'set :z, fetch(:lam).call("q")',
];

const lines = (pool: string[], max: number) => fc.subarray(pool, { maxLength: max }).chain((l) => fc.shuffledSubarray(l, { minLength: l.length, maxLength: l.length }));

/** What a stage says, as the report and the emitters read it. */
const facts = (s: Stage) => JSON.parse(JSON.stringify({ variables: s.variables, servers: s.servers, unread: s.unread ?? [], asked: s.asked ?? [] }));

function analyze(files: Record<string, string>): Stage[] {
  const problems: unknown[] = [];
  return analyzeCapistranoWith({ repo: memoryRepo({ ...base, ...files }), problem: (p) => problems.push(p) }, {}).stages;
}

describe("stored callables computed once for the stages that read the same", () => {
  it("each stage has the facts it has alone", () => {
    let shared = 0;
    fc.assert(
      fc.property(lines(DEPLOY, 10), fc.array(lines(STAGE, 5), { minLength: 2, maxLength: 4 }), (deploy, stageLines) => {
        const deployRb = deploy.join("\n") + "\n";
        const stageFiles = Object.fromEntries(stageLines.map((l, i) => [`config/deploy/s${i}.rb`, l.join("\n") + "\n"]));
        const all = analyze({ "config/deploy.rb": deployRb, ...stageFiles });
        expect(all.map((s) => s.name)).toEqual(stageLines.map((_, i) => `s${i}`));
        all.forEach((st, i) => {
          const alone = analyze({ "config/deploy.rb": deployRb, [`config/deploy/s${i}.rb`]: stageFiles[`config/deploy/s${i}.rb`] });
          expect(facts(st), `stage s${i}\n--- deploy.rb\n${deployRb}--- s${i}.rb\n${stageFiles[`config/deploy/s${i}.rb`]}`).toEqual(facts(alone[0]));
        });
        // A value reused is the very object another stage computed.
        for (let i = 1; i < all.length; i++) {
          const a = all[i - 1].variables.cfg?.value;
          if (a && typeof a === "object" && a === all[i].variables.cfg?.value) shared++;
        }
      }),
      { seed: SEED, numRuns: 120 },
    );
    // The property is about reuse: it must have happened.
    expect(shared).toBeGreaterThan(0);
  });

  it("a callable that declares a server runs in every stage that fetches it", () => {
    const st = analyze({
      "config/deploy.rb": 'set :application, "app"\nset :with_server, -> { server "lazy.example.com", roles: %w[db]; "x" }\n',
      "config/deploy/a.rb": "fetch(:with_server)\n",
      "config/deploy/b.rb": "fetch(:with_server)\n",
      "config/deploy/c.rb": 'server "c.example.com", roles: %w[web]\n',
    });
    expect(st.map((s) => s.servers.map((x) => x.host))).toEqual([["lazy.example.com"], ["lazy.example.com"], ["c.example.com", "lazy.example.com"]]);
  });
});
