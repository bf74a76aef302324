// A Gemfile.lock may hold sidekiq without the app ever running it: capistrano-sidekiq depends on
// sidekiq, so a team that keeps capistrano-sidekiq in its development group (and never requires
// capistrano/sidekiq in the Capfile) locks sidekiq for nothing. That is no evidence of a worker:
// no Deployment, and a named warning that says how the gem came to be locked. Asked for by the app
// (its own `gem "sidekiq"` in the default group, or an app gem such as sidekiq-cron that needs it),
// the lockfile alone still carries the worker, as before.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

beforeAll(async () => {
  await initPrism();
});

// The specs of a lockfile: each gem with the gems it depends on (6-space lines).
const lockfile = (specs: Record<string, [string, string[]]>, deps: string[]) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n${Object.entries(specs)
    .map(([g, [v, ds]]) => `    ${g} (${v})\n${ds.map((d) => `      ${d}\n`).join("")}`)
    .join("")}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${deps.map((d) => `  ${d}\n`).join("")}\nBUNDLED WITH\n   2.5.10\n`;

const SPECS: Record<string, [string, string[]]> = {
  capistrano: ["3.18.0", []],
  "capistrano-passenger": ["0.2.1", ["capistrano (~> 3.0)"]],
  "capistrano-sidekiq": ["0.5.4", ["capistrano", "sidekiq (>= 3.4)"]],
  "sidekiq-cron": ["1.12.0", ["sidekiq (>= 6)"]],
  sidekiq: ["6.5.12", []],
  rails: ["7.0.8", []],
  puma: ["6.4.2", []],
};

const app = (gemfile: string, deps: string[], extra: Record<string, string> = {}) =>
  memoryRepo({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/passenger"\n',
    "config/deploy.rb": 'set :application, "almanac"\nset :repo_url, "git@git.example.org:ops/almanac.git"\n',
    "config/deploy/production.rb": 'server "app1.almanac.example.org", roles: %w[app web db]\n',
    Gemfile: `source "https://rubygems.org"\ngem "rails"\ngem "puma"\n${gemfile}`,
    "Gemfile.lock": lockfile(SPECS, ["rails", "puma", ...deps]),
    ...extra,
  });

describe("sidekiq locked only as another gem's dependency", () => {
  it("capistrano-sidekiq in the development group, not required by the Capfile: no worker, a named warning", async () => {
    const m = await analyzeFiles(app('group :development, :test do\n  gem "capistrano-sidekiq"\nend\n', ["capistrano-sidekiq"]), "almanac");
    expect(m.sidekiq).toBeNull();
    expect(m.workers.filter((w) => w.backend === "sidekiq")).toEqual([]);
    const p = m.problems.find((x) => x.message.startsWith("sidekiq.locked-only:"));
    expect(p).toBeDefined();
    expect(p!.file).toBe("Gemfile.lock");
    expect(p!.message).toContain("capistrano-sidekiq (Gemfile:5, groups development, test), a deploy gem");
  });

  it("the app's own sidekiq only in the development group: no worker either", async () => {
    const m = await analyzeFiles(app('gem "sidekiq", group: :development\n', ["sidekiq"]), "almanac");
    expect(m.sidekiq).toBeNull();
    expect(m.problems.find((x) => x.message.startsWith("sidekiq.locked-only:"))?.message).toContain("the Gemfile's own sidekiq (Gemfile:4, group development)");
  });

  it("weak gem, but a deploy line runs sidekiq: the line is the evidence, the gem said with how it was locked", async () => {
    const m = await analyzeFiles(
      app('group :development do\n  gem "capistrano-sidekiq"\nend\n', ["capistrano-sidekiq"], {
        "lib/capistrano/tasks/jobs.rake": 'namespace :jobs do\n  task :restart do\n    on roles(:app) do\n      execute :sudo, :systemctl, :restart, :sidekiq\n    end\n  end\nend\n',
      }),
      "almanac",
    );
    expect(m.sidekiq).not.toBeNull();
    // the gem, then the line; no hook runs jobs:restart, so its roles(:app) place nothing (sidekiq-own-task.ts: a task no hook runs is no part of the deploy)
    expect(m.sidekiq!.evidence.map((e) => `${e.source.file}:${e.source.line}`)).toEqual(["Gemfile.lock:12", "lib/capistrano/tasks/jobs.rake:4"]);
    expect(m.sidekiq!.evidence[0]!.value).toMatch(/only through capistrano-sidekiq/);
    expect(m.problems.some((x) => x.message.startsWith("sidekiq.locked-only:"))).toBe(false);
  });

  it("asked for by the app (its own gem, or sidekiq-cron in the default group): the lockfile still carries the worker", async () => {
    for (const [gemfile, dep] of [['gem "sidekiq"\n', "sidekiq"], ['gem "sidekiq-cron"\n', "sidekiq-cron"]] as const) {
      const m = await analyzeFiles(app(gemfile, [dep]), "almanac");
      expect(m.sidekiq?.evidence.map((e) => e.value)).toEqual(["sidekiq 6.5.12 in Gemfile.lock"]);
      expect(m.workers.filter((w) => w.backend === "sidekiq" && w.carried).length).toBe(1);
      expect(m.problems.some((x) => x.message.startsWith("sidekiq.locked-only:"))).toBe(false);
    }
  });
});
