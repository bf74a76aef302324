// A sidekiq.yml written for daemonized servers (`:logfile:`, `:pidfile:`, here also in an env
// section). Debian's Sidekiq 6.4 is started on the file against a real Redis, as the worker pod starts
// it: it reads the file (its concurrency registers), logs to stdout and writes neither file. The
// analysis says so for a 6.x lock, and for a 5.x lock (which honours both from the file, by its
// source) names each line as a warning saying the pod would log into a file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { Procs } from "../container/procs.js";
import { registeredSidekiq, startRedis } from "./real-sidekiq.js";
import { pluginApp } from "./app.js";

const YML = [":concurrency: 3", ":logfile: ./log/sidekiq.log", ":pidfile: ./tmp/pids/sidekiq.pid", ":queues:", "  - mailers", "  - default", "production:", "  :concurrency: 4", "  :logfile: ./log/sidekiq-production.log", ""].join("\n");

beforeAll(async () => {
  await initPrism();
});

describe("sidekiq.yml :logfile: / :pidfile: with the real Sidekiq 6.4", () => {
  const procs = new Procs();
  const T = mkdtempSync(join(tmpdir(), "r2k-skdaemon-"));
  afterAll(async () => {
    await procs.stopAll();
    rmSync(T, { recursive: true, force: true });
  });

  it("reads the file, logs to stdout, writes no log or pid file", async () => {
    for (const d of ["config", "log", "tmp/pids"]) mkdirSync(join(T, d), { recursive: true });
    writeFileSync(join(T, "config/sidekiq.yml"), YML);
    writeFileSync(join(T, "jobs.rb"), 'require "sidekiq"\n');
    const redis = await startRedis(procs, T);
    const out = join(T, "stdout.log");
    const { child, info } = await registeredSidekiq(procs, redis, "sidekiq", ["-C", "config/sidekiq.yml", "-e", "production", "-r", "./jobs.rb"], { cwd: T, log: out });
    expect(info, "sidekiq never registered").not.toBeNull();
    // the file was read (its production section's concurrency)...
    expect(info!.concurrency).toBe(4);
    // ...and its log went to stdout, not to either :logfile:
    expect(readFileSync(out, "utf8")).toMatch(/Booting Sidekiq|Starting processing/);
    for (const f of ["log/sidekiq.log", "log/sidekiq-production.log", "tmp/pids/sidekiq.pid"]) expect(existsSync(join(T, f)), f).toBe(false);
    child.kill("SIGTERM");
    await Procs.exited(child, 20_000);
  }, 90_000);

  const app = (sidekiq: string) => pluginApp("", { production: 'server "w1.parcel.example.net", roles: %w[app db web]\n' }, { "config/sidekiq.yml": YML }, { sidekiq }, "");
  const said = (m: Awaited<ReturnType<typeof analyzeFiles>>) => m.problems.filter((p) => /^sidekiq\.daemon-settings:/.test(p.message)).map((p) => `${p.file}:${p.line} ${p.message}`);

  it("a 6.x lock: each key named as ignored (what 6.4 did above)", async () => {
    const w = said(await analyzeFiles(app("6.4.1"), "parcel"));
    expect(w).toHaveLength(3);
    expect(w[0]).toMatch(/^config\/sidekiq\.yml:2 sidekiq\.daemon-settings: `:logfile:` is ignored by Sidekiq 6\.4\.1 .*logs to stdout/);
    expect(w[2]).toMatch(/^config\/sidekiq\.yml:9 .*`:logfile:` in its production section/);
  });

  it("a 5.x lock: each key named, the pod's log would go to the file", async () => {
    const w = said(await analyzeFiles(app("5.2.9"), "parcel"));
    expect(w).toHaveLength(3);
    expect(w[0]).toMatch(/:2 sidekiq\.daemon-settings: `:logfile:`: Sidekiq 5\.2\.9 honours it from this file, so in the pod it logs into that file in the container, not to stdout/);
    expect(w[1]).toMatch(/:3 .*`:pidfile:`: Sidekiq 5\.2\.9 honours it/);
  });
});
