// ENV["RACK_ENV"] in a Unicorn/Puma config is known when the start line sets it before the config is
// read: `RACK_ENV=x ...`, or plain unicorn's `-E x`. Puma's `-e x` is not such a line: Puma assigns
// RACK_ENV only after loading its config, so a branch on it stays unknown there. Judged by the real
// `unicorn -E` and Puma's own command line.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeAppServers } from "../../analyzers/appserver.js";
import { lineRackEnv } from "../../analyzers/appserver/named-configs.js";
import { isUnknown } from "../../analyzers/ruby/evaluate.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem, ProcfileEntry, RValue, Stage } from "../../src/model.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
beforeAll(async () => {
  await initPrism();
});

const UNICORN = ["# more workers where the queue backs up", 'worker_processes(ENV["RACK_ENV"] == "staging" ? 6 : 2)', "timeout 45", ""].join("\n");
const PUMA = ['workers(ENV["RACK_ENV"] == "staging" ? 4 : 2)', "threads 3, 3", ""].join("\n");

const web = (command: string): ProcfileEntry[] => [{ name: "web", command, source: { file: "Procfile", line: 1 } }];
const analyze = (files: Record<string, string>, command: string) => {
  const problems: Problem[] = [];
  const servers = analyzeAppServers({ repo: memoryRepo({ "config.ru": "run ->(env) { [200, {}, []] }\n", ...files }), problem: (p) => problems.push(p) }, [], web(command));
  return servers;
};

function appDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-rack-env-"));
  for (const [p, text] of Object.entries({ "config.ru": 'run ->(env) { [200, {}, ["ok"]] }\n', ...files })) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** The real `unicorn -E env -c <config>`, stopped right after the config is evaluated. */
function realUnicorn(dir: string, env: string, config = "config/unicorn.rb"): { worker_processes: number; rack_env_seen: string | null } {
  const out = join(dir, "seen.json");
  const r = spawnSync("unicorn", ["-E", env, "-c", join(here, "unicorn_e_oracle.rb"), "config.ru"], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, R2K_CONFIG: join(dir, config), R2K_OUT: out },
  });
  if (r.status !== 0) throw new Error(`unicorn failed: ${r.stderr}`);
  return JSON.parse(readFileSync(out, "utf8"));
}

describe("RACK_ENV given by the start line", () => {
  it("unicorn -E: the config's branch on RACK_ENV is decided as Unicorn decides it", () => {
    const dir = appDir({ "config/unicorn.rb": UNICORN });
    for (const env of ["staging", "production"]) {
      const real = realUnicorn(dir, env);
      expect(real.rack_env_seen).toBe(env);
      const ours = analyze({ "config/unicorn.rb": UNICORN }, `bundle exec unicorn -c config/unicorn.rb -E ${env} -p $PORT`).find((c) => c.file === "config/unicorn.rb")!;
      expect([env, ours.workers?.value]).toEqual([env, real.worker_processes]);
    }
  });

  it("without -E, RACK_ENV stays unknown", () => {
    const ours = analyze({ "config/unicorn.rb": UNICORN }, "bundle exec unicorn -c config/unicorn.rb -p $PORT").find((c) => c.file === "config/unicorn.rb")!;
    expect(isUnknown(ours.workers?.value as RValue)).toBe(true);
  });

  it("puma -e: Puma has not set RACK_ENV when it loads the config, so the branch is not decided from -e", () => {
    const dir = appDir({ "config/puma.rb": PUMA });
    const [real] = runRubyFile(join(here, "puma_env_oracle.rb"), [{ dir, env: "staging", args: ["-C", "config/puma.rb"] }]);
    expect(real.error).toBeUndefined();
    expect(real.rack_env_seen).toBeNull();
    const ours = analyze({ "config/puma.rb": PUMA }, "bundle exec puma -C config/puma.rb -e staging").find((c) => c.file === "config/puma.rb")!;
    expect(isUnknown(ours.workers?.value as RValue)).toBe(true);
    expect(ours.threads?.value).toEqual(real.threads);
  });

  it("RACK_ENV=x before the command: known to Puma's config too", () => {
    const dir = appDir({ "config/puma.rb": PUMA });
    const [real] = runRubyFile(join(here, "puma_env_oracle.rb"), [{ dir, rack_env: "staging", args: ["-C", "config/puma.rb"] }]);
    expect(real.rack_env_seen).toBe("staging");
    const ours = analyze({ "config/puma.rb": PUMA }, "RACK_ENV=staging bundle exec puma -C config/puma.rb").find((c) => c.file === "config/puma.rb")!;
    expect(ours.workers?.value).toBe(real.workers);
  });

  it("capistrano3-unicorn 0.2.1 starts `unicorn -E <unicorn_rack_env>`: deployment unless set (or rails_env is development)", () => {
    const CONFIG = ['worker_processes(ENV["RACK_ENV"] == "production" ? 8 : 3)', ""].join("\n");
    const lock = ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano3-unicorn (0.2.1)", "      capistrano (~> 3.1, >= 3.1.0)", "", "DEPENDENCIES", "  capistrano3-unicorn", ""].join("\n");
    const files = { Capfile: 'require "capistrano/setup"\nrequire "capistrano3/unicorn"\n', "config/unicorn/production.rb": CONFIG };
    const stage = (vars: Record<string, RValue>): Stage => ({
      name: "production",
      source: { file: "config/deploy/production.rb", line: 1 },
      variables: Object.fromEntries(Object.entries({ rails_env: "production", ...vars }).map(([k, v], i) => [k, { value: v, source: { file: "config/deploy/production.rb", line: i + 2 } }])),
      servers: [],
    });
    const dir = appDir(files);
    const read = (extra: Record<string, string>, vars: Record<string, RValue> = {}) =>
      analyzeAppServers({ repo: memoryRepo({ ...files, ...extra }), problem: () => {} }, [stage(vars)]).find((c) => c.file === "config/unicorn/production.rb")!;
    expect(read({ "Gemfile.lock": lock }).workers?.value).toBe(realUnicorn(dir, "deployment", "config/unicorn/production.rb").worker_processes);
    expect(read({ "Gemfile.lock": lock }, { unicorn_rack_env: "production" }).workers?.value).toBe(realUnicorn(dir, "production", "config/unicorn/production.rb").worker_processes);
    // no lockfile: which gem version started it is not known, nor its -E
    expect(isUnknown(read({}).workers?.value as RValue)).toBe(true);
  });

  it("reads RACK_ENV off a start line", () => {
    expect(lineRackEnv("bundle exec unicorn -c config/unicorn.rb -E production -D")).toBe("production");
    expect(lineRackEnv("unicorn --env=staging -c x.rb")).toBe("staging");
    expect(lineRackEnv("bundle exec unicorn_rails -E production")).toBeNull();
    expect(lineRackEnv("bundle exec unicorn_rails -c config/unicorn.rb -E production")).toBeNull();
    expect(lineRackEnv("bundle exec puma -e production")).toBeNull();
    expect(lineRackEnv("RACK_ENV=qa bundle exec puma -C config/puma.rb")).toBe("qa");
  });
});
