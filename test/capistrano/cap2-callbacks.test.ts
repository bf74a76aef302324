// Capistrano 2's `on :start/:finish/:exit/:before/:after` callbacks are hooks, and recipe files are
// followed wherever deploy.rb loads them from, but never outside the repo and never round a cycle.
// Capistrano 2 is not installable here (Debian ships Capistrano 3 only), so expectations come from its
// source, read for this test: lib/capistrano/configuration/callbacks.rb (`on`, `trigger`),
// lib/capistrano/callback.rb (`applies_to?`: :only first, then :except, always true with no task) and
// lib/capistrano/cli/execute.rb (each top-level task runs with `:before => :start, :after => :finish`,
// then `trigger(:exit)` with no task).
import { describe, it, expect } from "vitest";
import { analyze } from "./analyze.js";

const CAPFILE2 = "load 'deploy' if respond_to?(:namespace)\nload 'config/deploy'\n";
const deployRb = (...lines: string[]) =>
  ['set :application, "ledger"', 'server "box1.ledger.example.net", :app, :web, :db, :primary => true', "", ...lines].join("\n") + "\n";
const tasks = [
  "namespace :notes do",
  "  task :ping do",
  '    run "curl -s https://hooks.example.net/ping"',
  "  end",
  "  task :tidy do",
  '    run "rm -rf #{shared_path}/tmp/cache"',
  "  end",
  "end",
];

const hooksOf = (r: Awaited<ReturnType<typeof analyze>>) => r.capistrano!.hooks.map((h) => [h.kind, h.target, h.task, h.source.line]);

describe("Capistrano 2 event callbacks are hooks", () => {
  it(":start and :exit naming tasks run them before and after the deploy; :exit ignores :only", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb(...tasks, 'on :start, "notes:ping"', 'on :exit, "notes:tidy", :only => "deploy:setup"'),
    });
    expect(hooksOf(r)).toEqual([
      ["before", "deploy", "notes:ping", 12],
      ["after", "deploy", "notes:tidy", 13],
    ]);
  });

  it(":only names the top-level tasks it fires around; :except naming deploy keeps it off the deploy, said at its line", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb(...tasks, 'on :start, :"notes:ping", :only => %w(deploy deploy:migrations)', 'on :finish, "notes:tidy", :except => [:deploy]'),
    });
    expect(hooksOf(r)).toEqual([
      ["before", "deploy", "notes:ping", 12],
      ["before", "deploy:migrations", "notes:ping", 12],
    ]);
    expect(r.problems.some((p) => p.line === 13 && /:except naming deploy/.test(p.message))).toBe(true);
  });

  it("a block is a callback of its own, read as a task at its line; :before with :only is a before hook", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb(...tasks, "on :start do", '  run "touch #{shared_path}/maintenance"', "end", 'on :before, "notes:ping", :only => "deploy:restart"', 'on :after, "notes:tidy"'),
    });
    expect(hooksOf(r)).toEqual([
      ["before", "deploy", "on :start block (config/deploy.rb:12)", 12],
      ["before", "deploy:restart", "notes:ping", 15],
    ]);
    expect(r.capistrano!.tasks.map((t) => t.name)).toContain("on :start block (config/deploy.rb:12)");
    // without :only, :after runs around every task: not one hook, and said
    expect(r.problems.some((p) => p.line === 16 && /around every task/.test(p.message))).toBe(true);
  });
});

describe("Capistrano 2 recipe files loaded from anywhere in the repo", () => {
  it("a recipe folder outside config/deploy is followed: its tasks, hooks and settings are read", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb('load "config/recipes/queue"'),
      "config/recipes/queue.rb": ['set :queue_workers, 3', "namespace :queue do", "  task :restart, :roles => :app do", '    run "cd #{current_path} && script/queue restart -n #{queue_workers}"', "  end", "end", 'after "deploy:restart", "queue:restart"'].join("\n"),
    });
    expect(r.v("production", "queue_workers")).toBe(3);
    expect(r.capistrano!.tasks.map((t) => [t.name, t.source.file])).toContainEqual(["queue:restart", "config/recipes/queue.rb"]);
    expect(hooksOf(r)).toEqual([["after", "deploy:restart", "queue:restart", 7]]);
  });

  it("a path above the repo root or absolute is never read (not even as the repo file it would normalise to)", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb('load "../shared-recipes/extras"', 'require "/etc/capistrano/site"'),
      "shared-recipes/extras.rb": "set :from_outside, true\n",
    });
    expect(r.v("production", "from_outside")).toBeUndefined();
    const msgs = r.problems.filter((p) => /load-outside-repo/.test(p.message)).map((p) => [p.line, /above the repo root|absolute/.exec(p.message)?.[0]]);
    expect(msgs).toEqual([
      [4, "above the repo root"],
      [5, "absolute"],
    ]);
  });

  it("two recipes that load each other are read once each, and the cycle is named", async () => {
    const r = await analyze({
      Capfile: CAPFILE2,
      "config/deploy.rb": deployRb('load "recipes/one"'),
      "recipes/one.rb": 'set :one, 1\nload "recipes/two"\n',
      "recipes/two.rb": 'set :two, 2\nload "recipes/one"\n',
    });
    expect([r.v("production", "one"), r.v("production", "two")]).toEqual([1, 2]);
    const cycle = r.problems.filter((p) => /load-cycle/.test(p.message));
    expect(cycle.map((p) => [p.file, p.line])).toEqual([["recipes/two.rb", 2]]);
    expect(r.problems.some((p) => /call stack/.test(p.message))).toBe(false);
  });
});
