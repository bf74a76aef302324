// The Active Job adapter each environment runs with, as the analyzer reads it
// (analyzers/rails/queue-adapter.ts), against real Rails (Debian's railties + activejob 6.1) booted
// on the same files: application.rb, then environments/<env>.rb, then the initializers in sorted
// path order (subdirectories too), where a config assignment made after ActiveJob::Base has
// loaded changes nothing.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { queueAdapterOf } from "../../analyzers/rails/queue-adapter.js";
import { memoryRepo } from "../../src/repo.js";
import type { Problem } from "../../src/model.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Real Rails: the adapter name per environment. `application.rb`'s class body is given as its own file. */
function railsAdapters(files: Record<string, string>, envs: string[]): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-adapter-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries({ ...files, "config.ru": "run ->(_env) { [200, {}, []] }\n" })) {
    const to = path === "config/application.rb" ? "config/application_body.rb" : path;
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    // application.rb's class body only: what sits between `class Application < Rails::Application` and its `end`.
    writeFileSync(join(dir, to), path === "config/application.rb" ? text.split("\n").filter((l) => /^\s{4}/.test(l)).join("\n") + "\n" : text);
  }
  const r = spawnSync("ruby", [join(__dirname, "queue_adapter_boot.rb"), dir, ...envs], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function ours(files: Record<string, string>, envs: string[]): { adapters: Record<string, string | null>; ignored: string[] } {
  const problems: Problem[] = [];
  const ctx = { repo: memoryRepo(files), problem: (p: Problem) => problems.push(p) };
  const adapters: Record<string, string | null> = {};
  const ignored = new Set<string>();
  for (const env of envs) {
    const a = queueAdapterOf(ctx, env);
    adapters[env] = a && "adapter" in a ? a.adapter : null;
    for (const x of a?.ignored ?? []) ignored.add(`${x.source.file}:${x.source.line}`);
  }
  return { adapters, ignored: [...ignored] };
}

const APP = "module Depot\n  class Application < Rails::Application\n    config.active_job.queue_adapter = :sidekiq\n  end\nend\n";
const env = (adapter: string | null) => `Rails.application.configure do\n  config.eager_load = false\n${adapter ? `  config.active_job.queue_adapter = :${adapter}\n` : ""}end\n`;
const ENVS = ["production", "staging"];
/** Rails' default adapter (no file sets one) is :async; the analyzer says null (none set). */
const named = (a: Record<string, string | null>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v ?? "async"]));

const CASES: { name: string; files: Record<string, string>; ignored?: string[] }[] = [
  { name: "an environment's assignment overrides application.rb", files: { "config/application.rb": APP, "config/environments/production.rb": env("inline"), "config/environments/staging.rb": env(null) } },
  {
    name: "an initializer's config assignment overrides both",
    files: { "config/application.rb": APP, "config/environments/production.rb": env("inline"), "config/environments/staging.rb": env(null), "config/initializers/jobs.rb": "Rails.application.config.active_job.queue_adapter = :async\n" },
  },
  {
    name: "an initializer in a subdirectory runs after a sibling file of the same stem (jobs.rb < jobs/adapter.rb)",
    files: { "config/application.rb": APP, "config/environments/production.rb": env(null), "config/environments/staging.rb": env(null), "config/initializers/jobs.rb": "Rails.application.config.active_job.queue_adapter = :sidekiq\n", "config/initializers/jobs/adapter.rb": "Rails.application.config.active_job.queue_adapter = :inline\n" },
  },
  {
    name: "a config assignment after ActiveJob::Base has loaded (an earlier initializer names it) changes nothing",
    files: { "config/application.rb": APP, "config/environments/production.rb": env("inline"), "config/environments/staging.rb": env(null), "config/initializers/a_logging.rb": "ActiveJob::Base.logger = Logger.new(nil)\n", "config/initializers/b_jobs.rb": "# jobs go to Redis\nRails.application.config.active_job.queue_adapter = :async\n" },
    ignored: ["config/initializers/b_jobs.rb:2"],
  },
  {
    name: "ActiveJob::Base.queue_adapter= in an initializer wins over a later config assignment",
    files: { "config/application.rb": APP, "config/environments/production.rb": env(null), "config/environments/staging.rb": env(null), "config/initializers/a_jobs.rb": "ActiveJob::Base.queue_adapter = :inline\n", "config/initializers/z_more.rb": "Rails.application.config.active_job.queue_adapter = :sidekiq\n" },
    ignored: ["config/initializers/z_more.rb:1"],
  },
];

describe("the Active Job adapter per environment, against real Rails booted on the same files", () => {
  for (const c of CASES)
    it(c.name, () => {
      const real = railsAdapters(c.files, ENVS);
      const mine = ours(c.files, ENVS);
      expect(named(mine.adapters)).toEqual(real);
      expect(mine.ignored).toEqual(c.ignored ?? []);
    });
});
