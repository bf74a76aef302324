// The lines of hooked Capistrano tasks as the worker analysis reads them (deploy-task-lines.ts),
// against two inputs an audit found mis-read:
// - a long line with `File.join(current_path, "x"  "x" …` and no commas: the old pattern let the
//   spaces around an optional comma be split two ways, so the time grew as (spaces+1)^items and
//   analyze hung for minutes. The analysis runs as the real CLI in a child process with a short
//   timeout (a hung regex blocks the process it runs in, so an in-process timeout could not fire).
// - a hooked line that only removes a file named for Resque (`run "rm -f …/resque_stale.pid"`)
//   is not the deploy starting Resque: the Procfile's line still decides the worker.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const ROOT = join(import.meta.dirname, "..", "..");
const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    rails (4.2.11)\n    resque (1.27.4)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano (~> 2.15)\n  rails\n  resque\n";
const BASE = {
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "resque"\ngem "capistrano", "~> 2.15"\n',
  "Gemfile.lock": LOCK,
};

const cleanup: string[] = [];
beforeAll(async () => {
  await initPrism();
});
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe("a long File.join line without commas in a hooked task", () => {
  // 24 quoted items separated by two spaces, no comma, never closed: 150 characters.
  const LONG = ("File.join(current_path, " + Array(24).fill('"a"').join("  ") + "  x").padEnd(150, " ");
  const files: Record<string, string> = {
    ...BASE,
    "config/deploy.rb": [
      'set :application, "quarry"',
      'set :deploy_to, "/srv/quarry"',
      'set :repository, "git@example.com:acme/quarry.git"',
      'server "quarry-app.example.net", :web, :app, :db, :primary => true',
      'server "quarry-jobs.example.net", :worker',
      "namespace :notes do",
      '  task :log_paths, :roles => :app do',
      `    logger.info %q{${LONG}}`,
      "  end",
      "end",
      'after "deploy:restart", "notes:log_paths"',
      "",
    ].join("\n"),
    // A monit check that runs a job backend: what makes the analysis read every hooked task line.
    "config/monit/quarry-jobs.monitrc": [
      "check process quarry_jobs",
      "  with pidfile /srv/quarry/shared/pids/jobs.pid",
      `  start program = "/bin/sh -c 'cd /srv/quarry/current && QUEUE=* bundle exec rake resque:work'"`,
      `  stop program = "/bin/sh -c 'kill -QUIT $(cat /srv/quarry/shared/pids/jobs.pid)'"`,
      "",
    ].join("\n"),
  };

  it("the fixture's line is the long one the audit measured", () => {
    expect(LONG.length).toBe(150);
    expect(LONG.match(/"a"/g)).toHaveLength(24);
    // No comma after the first argument's.
    expect(LONG.indexOf(",", LONG.indexOf("current_path,") + 13)).toBe(-1);
  });

  it("analyze returns within seconds", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-longjoin-"));
    cleanup.push(dir);
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(dir, p, ".."), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(ROOT, "bin", "rails2k8s.js"), "analyze", dir, "--json"], { encoding: "utf8", timeout: 15_000, killSignal: "SIGKILL", maxBuffer: 64 << 20 });
    const took = Date.now() - t0;
    expect(r.signal, `analyze was killed after ${took} ms`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(took).toBeLessThan(15_000);
    // It read the repo: the monit check's Resque is a worker.
    const m = JSON.parse(r.stdout);
    expect(m.workers.some((w: { backend: string }) => w.backend === "resque")).toBe(true);
  }, 30_000);
});

describe("a hooked line that only removes a file named for Resque", () => {
  const files = (task: string) => ({
    ...BASE,
    Procfile: "worker: bundle exec rake resque:work QUEUE=mail\n",
    "config/deploy.rb": [
      'set :application, "tern"',
      'set :deploy_to, "/srv/tern"',
      'set :repository, "git@example.com:acme/tern.git"',
      'server "tern-web.example.net", :web, :app, :db, :primary => true',
      'server "tern-q1.example.net", :worker',
      "namespace :housekeeping do",
      '  task :sweep, :roles => :app do',
      `    ${task}`,
      "  end",
      "end",
      'after "deploy:restart", "housekeeping:sweep"',
      "",
    ].join("\n"),
  });

  it("is not the deploy starting Resque: the Procfile's queue and the worker role stand", async () => {
    const m = await analyzeFiles(memoryRepo(files('run "rm -f #{shared_path}/pids/resque_stale.pid"')), "tern");
    const w = m.workers!.find((x) => x.backend === "resque")!;
    expect(w.carried).toBe(true);
    expect(w.queues).toEqual(["mail"]);
    expect(w.env?.["QUEUE"] ?? w.args.find((a) => a.startsWith("QUEUE="))?.slice(6)).toBe("mail");
    // The usual worker roles (tern-q1 has :worker), not the :app role the tidy task runs on.
    expect(w.commandFrom).toBe("procfile");
    expect(w.roles).toContain("worker");
    expect(w.roles).not.toContain("app");
    expect(w.evidence.map((e) => e.value)).toContain("production: tern-q1.example.net has the worker role");
    expect(JSON.stringify(m.workers)).not.toContain("housekeeping:sweep");
  });

  it("while a line that does start it is still the deploy's start", async () => {
    const m = await analyzeFiles(memoryRepo(files('run "cd #{current_path} && nohup bundle exec rake resque:work QUEUE=* &"')), "tern");
    expect(JSON.stringify(m.workers)).toContain("housekeeping:sweep");
  });
});
