// Where no -c and no config of the repo sets Sidekiq's concurrency, the servers' value may still not
// be Sidekiq's version default:
// - Sidekiq ≥ 4.2 takes RAILS_MAX_THREADS first (Debian's sidekiq 6.4.1 lib/sidekiq/cli.rb:254
//   `opts[:concurrency] = Integer(ENV["RAILS_MAX_THREADS"]) if opts[:concurrency].nil? && ENV["RAILS_MAX_THREADS"]`),
//   and capistrano-sidekiq's start exports Capistrano's default_env: default_env's RAILS_MAX_THREADS is
//   the count the servers ran; where the deploy sets none, the servers' own environment may have.
// - Sidekiq reads ./config/sidekiq.yml when no -C is given (2.17.5): a linked config/sidekiq.yml the
//   repo lacks, or a sidekiq_config off the repo, may set it: the default is only a placeholder.
// The app is this test's own (pluginApp's "parcel"). The RAILS_MAX_THREADS command is booted with
// Debian's Sidekiq against a real Redis, which must register concurrency 3.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { emitAndBuild, find, type Built } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { Procs } from "../container/procs.js";
import { registeredSidekiq, startRedis } from "./real-sidekiq.js";
import { pluginApp } from "./app.js";

const STAGES = {
  production: 'server "jobs1.parcel.example.org", roles: %w[web app db]\nset :rails_env, "production"\nset :sidekiq_queue, "ingest"\n',
};
const container = (o: any) => o.spec.template.spec.containers[0];
const app = (deploy: string, sidekiq = "6.4.1") =>
  analyzeFiles(pluginApp(deploy, STAGES, { Procfile: "web: bundle exec puma -C config/puma.rb\n" }, { sidekiq, "capistrano-sidekiq": "0.5.4" }, 'require "capistrano/sidekiq"\n'), "parcel");
const concurrencyLines = (b: Built) => b.result.provenance.filter((x) => /sidekiq concurrency/.test(x.what)).map((x) => x.what);

let withEnv: Built;
beforeAll(async () => {
  requireKubectl();
  await initPrism();
  withEnv = emitAndBuild(await app('set :default_env, { "RAILS_MAX_THREADS" => "3" }\n'));
}, 120_000);
afterAll(() => removeTrees());

describe("RAILS_MAX_THREADS, which Sidekiq ≥ 4.2 reads before its default", () => {
  it("default_env's RAILS_MAX_THREADS 3 is the concurrency the servers ran, labelled as such", () => {
    const d = find(withEnv.stages["production"]!, "Deployment", "parcel-worker");
    expect(container(d).args).toEqual(["bundle", "exec", "sidekiq", "-c", "3", "-q", "ingest"]);
    expect(concurrencyLines(withEnv)).toEqual([
      "production: sidekiq concurrency 3 → -c 3, RAILS_MAX_THREADS 3 in Capistrano's default_env, which Sidekiq 6.4 reads where nothing else sets the concurrency: nothing else sets it (no -c on its command line, no config file)",
    ]);
  });

  it("no RAILS_MAX_THREADS in the deploy: the default says the servers' environment may have set it", async () => {
    expect(concurrencyLines(emitAndBuild(await app("")))).toEqual([
      "production: sidekiq concurrency 10 → -c 10, Sidekiq 6.4's default: nothing sets it (no -c on its command line, no config file), unless the servers' environment set RAILS_MAX_THREADS, which Sidekiq takes in place of its default",
    ]);
  });

  it("Sidekiq 4.1 does not read it: its default stands", async () => {
    const b = emitAndBuild(await app('set :default_env, { "RAILS_MAX_THREADS" => "3" }\n', "4.1.4"));
    expect(concurrencyLines(b)).toEqual(["production: sidekiq concurrency 25 → -c 25, Sidekiq 4.1's default: nothing sets it (no -c on its command line, no config file)"]);
  });
});

describe("a Sidekiq config the servers read that the repo lacks", () => {
  it("a linked config/sidekiq.yml not in the repo: the default is a placeholder, and a note asks for the servers' value", async () => {
    const b = emitAndBuild(await app("set :linked_files, %w[config/sidekiq.yml]\n"));
    expect(concurrencyLines(b)).toEqual([
      "production: sidekiq concurrency 10 → -c 10, Sidekiq 6.4's default: not known: the servers' config/sidekiq.yml (a linked file the repo does not hold, which Sidekiq reads when no -C is given) may set it, so this is a placeholder for the servers' value",
    ]);
    const note = b.result.notes.find((n) => /concurrency is not known/.test(n.message));
    expect(note?.source).toEqual({ file: "config/deploy.rb", line: 3 });
  });

  it("sidekiq_config naming a file off the repo: the same, naming that file", async () => {
    const b = emitAndBuild(await app('set :sidekiq_config, "/etc/sidekiq/parcel.yml"\n'));
    expect(concurrencyLines(b)[0]).toMatch(/not known: the servers' \/etc\/sidekiq\/parcel\.yml \(capistrano-sidekiq sidekiq_config, not in the repo\) may set it, so this is a placeholder/);
    expect(b.result.notes.some((n) => /concurrency is not known/.test(n.message))).toBe(true);
  });

  it("the warning at sidekiq_config says the servers' file is not in the repo, and what runs in its place", async () => {
    for (const [value, where] of [
      ['"/etc/sidekiq/parcel.yml"', "a path of the servers, not of the release"],
      ['"#{shared_path}/config/sidekiq.yml"', "a path of the servers, not of the release"],
      ['"config/sidekiq_heavy.yml"', "config/sidekiq_heavy.yml, which the repo does not hold"],
    ]) {
      const m = await app(`set :sidekiq_config, ${value}\n`);
      const p = m.problems.find((x) => x.message.startsWith("capistrano-sidekiq: sidekiq_config"));
      expect([p?.file, p?.line]).toEqual(["config/deploy.rb", 3]);
      expect(p?.message).toContain(`(${where}): the servers' Sidekiq took its concurrency, queues and timeout from that file, which are not known here; the worker runs with the repo's own config/sidekiq.yml where it has one (else Sidekiq's defaults) as a placeholder`);
      expect(p?.message).not.toMatch(/the repo's default Sidekiq config/);
    }
  });

  it("sidekiq_config under shared/ whose deploy_to comes from ENV: still the servers' file, worded as such, never \"nothing sets it\"", async () => {
    const b = emitAndBuild(await app('set :deploy_to, ENV["PARCEL_DIR"]\nset :sidekiq_config, -> { File.join(shared_path, "config", "sidekiq.yml") }\n'));
    const [line] = concurrencyLines(b);
    expect(line).toMatch(/not known: the servers' file that capistrano-sidekiq sidekiq_config names \(File\.join\(shared_path, "config", "sidekiq\.yml"\), a path not known statically, not in the repo\) may set it, so this is a placeholder/);
    expect(line).not.toMatch(/nothing sets it/);
    expect(b.result.notes.some((n) => /concurrency is not known/.test(n.message))).toBe(true);
  });
});

describe("the RAILS_MAX_THREADS Deployment's command, started with Debian's Sidekiq against a real Redis", () => {
  const procs = new Procs();
  const T = mkdtempSync(join(tmpdir(), "r2k-skmaxthreads-"));
  afterAll(async () => {
    await procs.stopAll();
    rmSync(T, { recursive: true, force: true });
  });

  it("registers concurrency 3", async () => {
    writeFileSync(join(T, "jobs.rb"), 'require "sidekiq"\n');
    const redis = await startRedis(procs, T);
    const args: string[] = container(find(withEnv.stages["production"]!, "Deployment", "parcel-worker")).args;
    const { child, info } = await registeredSidekiq(procs, redis, "sidekiq", [...args.slice(3), "-r", "./jobs.rb"], { cwd: T, env: { RAILS_ENV: "production" }, log: join(T, "sidekiq.log") });
    expect(info, `sidekiq ${args.slice(3).join(" ")} never registered`).not.toBeNull();
    expect(info!.concurrency).toBe(3);
    child.kill("SIGTERM");
    await Procs.exited(child, 20_000);
  }, 90_000);
});
