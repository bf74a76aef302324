// Per-environment tables in app server configs (`{ production: 5, staging: 2 }[rails_env.to_sym]`,
// `TABLE.fetch(ENV["RAILS_ENV"], 1)`), read for each stage's Rails env and judged by the servers'
// own readers (Unicorn::Configurator, Puma::Configuration) run with that RAILS_ENV. The tables are
// written here in the shapes real configs use, including the traps: a Symbol-keyed table looked up
// with a String (nil in Ruby), a `default =` set after the table, a table changed by `[]=`.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeAppServers } from "../../analyzers/appserver.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem, Stage } from "../../src/model.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
const ENVS = ["production", "staging", "demo"];
const stage = (name: string): Stage => ({ name, source: { file: `config/deploy/${name}.rb`, line: 1 }, variables: { rails_env: { value: name, source: { file: `config/deploy/${name}.rb`, line: 2 } } }, servers: [] });

const UNICORNS: Record<string, string> = {
  "symbol-table": `app_env = ENV['RAILS_ENV'] || 'production'
per_env = { production: 6, staging: 3 }
per_env.default = 1
worker_processes per_env[app_env.to_sym]
timeout({ "production" => 30, "staging" => 45 }.fetch(app_env, 75))
`,
  "string-lookup-on-symbols": `worker_processes({ production: 4, staging: 4 }[ENV["RAILS_ENV"]] || 2)
`,
  "frozen-constant": `WORKERS = { "production" => 8, "staging" => 2 }.freeze
worker_processes WORKERS.fetch(ENV.fetch("RAILS_ENV", "production"), 1)
timeout WORKERS[ENV["RAILS_ENV"].to_s] ? 20 : 40
`,
  "default-after-use": `sizes = { "staging" => 5 }
worker_processes(sizes[ENV["RAILS_ENV"]] || 3)
sizes.default = 9
`,
};
// Tables changed where the literal does not show it: Ruby reads 7 and 9 in production, not the literal's 4.
const CHANGED: Record<string, string> = {
  "update": 'w = { "production" => 4 }\nw.update("production" => 7)\nworker_processes w.fetch(ENV["RAILS_ENV"], 1)\n',
  "passed-to-a-method": 'def bump(t)\n  t["production"] = 9\nend\nw = { "production" => 4 }\nbump(w)\nworker_processes w.fetch(ENV["RAILS_ENV"], 1)\n',
};
const PUMA = `counts = { "production" => 8, "staging" => 4 }
t = counts.fetch(ENV.fetch("RAILS_ENV", "development"), 2)
threads t, t
workers({ production: 3 }[ENV.fetch("RAILS_ENV", "development").to_sym] || 0)
`;

let root: string;
beforeAll(async () => {
  await initPrism();
  root = mkdtempSync(join(tmpdir(), "r2k-envtable-"));
  for (const [name, text] of Object.entries({ ...UNICORNS, ...CHANGED, puma: PUMA })) {
    mkdirSync(join(root, name, "config"), { recursive: true });
    writeFileSync(join(root, name, "config", name === "puma" ? "puma.rb" : "unicorn.rb"), text);
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const analyzed = (files: Record<string, string>) => {
  const problems: Problem[] = [];
  const all = analyzeAppServers({ repo: memoryRepo(files), problem: (p) => problems.push(p) }, ENVS.map(stage));
  // A file that reads the same for every env stays one entry (env null).
  return { find: (env: string) => all.find((s) => s.env === env) ?? all.find((s) => s.env === null) };
};

describe("per-environment tables = the servers' own readers, per stage", () => {
  for (const [name, text] of Object.entries(UNICORNS)) {
    it(`Unicorn: ${name}`, () => {
      const oracle = runRubyFile(join(here, "unicorn_oracle.rb"), ENVS.map((env) => ({ path: join(root, name, "config/unicorn.rb"), env })));
      const servers = analyzed({ "config/unicorn.rb": text });
      ENVS.forEach((env, i) => {
        expect(oracle[i].error).toBeUndefined();
        const a = servers.find(env)!;
        expect([env, a.workers?.value, a.timeout?.value]).toEqual([env, oracle[i].worker_processes, oracle[i].timeout]);
      });
    });
  }

  it("Puma", () => {
    const oracle = runRubyFile(join(here, "puma_oracle.rb"), ENVS.map((env) => ({ path: join(root, "puma/config/puma.rb"), env })));
    const servers = analyzed({ "config/puma.rb": PUMA });
    ENVS.forEach((env, i) => {
      expect(oracle[i].error).toBeUndefined();
      const a = servers.find(env)!;
      expect([env, a.workers?.value ?? null, a.threads?.value]).toEqual([env, oracle[i].workers, oracle[i].threads]);
    });
  });

  for (const [name, text] of Object.entries(CHANGED)) {
    it(`a table changed by ${name} is not decided: Unicorn reads another number than the literal's`, () => {
      const oracle = runRubyFile(join(here, "unicorn_oracle.rb"), [{ path: join(root, name, "config/unicorn.rb"), env: "production" }]);
      expect(oracle[0].error).toBeUndefined();
      expect(oracle[0].worker_processes).not.toBe(4);
      expect(analyzed({ "config/unicorn.rb": text }).find("production")!.workers?.value).toMatchObject({ unknown: expect.any(String) });
    });
  }

  it("a table changed by `[]=` is not decided (its value is unknown, not the literal's)", () => {
    const servers = analyzed({ "config/unicorn.rb": 'w = { "production" => 4 }\nw["production"] = 7\nworker_processes w.fetch(ENV["RAILS_ENV"], 1)\n' });
    expect(servers.find("production")!.workers?.value).toMatchObject({ unknown: expect.any(String) });
  });
});
