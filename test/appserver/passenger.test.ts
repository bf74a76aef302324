// Passenger, the server the deploy ran: its settings read wherever the repo states them, and the
// image's server keeps them. Judged by Passenger Standalone itself (Debian's passenger 6.0.17): it
// boots a small app with the emitted Passengerfile.json and command line, and the settings its core
// reports (`passenger-config api-call GET /config.json`, `passenger-status --show=xml`) are the ones
// emitted. The Puma that replaces it where only puma is locked is read by Puma's own config loader.
// Fixture: fixtures/appserver/tram (Capistrano 3 + capistrano-passenger, a per-stage nginx template
// with passenger_* directives, only passenger locked).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { appServerFor, appServerKind } from "../../emitters/app-server.js";
import { emitContainer } from "../../emitters/container/index.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { PASSENGERFILE } from "../../emitters/container/passengerfile.js";
import { NGINX_SIDECAR_CONFIG, PUMA_CONTAINER_CONFIG, configEnvFile } from "../../emitters/contract.js";
import { passengerPreStop } from "../../emitters/kustomize/rules/shutdown.js";
import { webServerArgs } from "../../emitters/kustomize/rules/web.js";
import { RefusedInput } from "../../emitters/encode/refuse.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { runRubyFile } from "./ruby.js";
import { nginxTest } from "../container/nginx-text.js";

import { filesOf } from "../fixture-files.js";
const here = dirname(fileURLToPath(import.meta.url));
const TRAM = join(here, "../../fixtures/appserver/tram");

const tramFiles = filesOf(TRAM);
const model = (overrides: Record<string, string | null> = {}): Promise<AppModel> => {
  const files = { ...tramFiles };
  for (const [k, v] of Object.entries(overrides)) if (v === null) delete files[k];
  else files[k] = v;
  return analyzeFiles(memoryRepo(files), "tram");
};
/** Gemfile.lock of the fixture with passenger swapped for another server gem. */
const lockWith = (gem: string | null) => tramFiles["Gemfile.lock"]!.replace(/    passenger \(6\.0\.17\)\n      rack\n      rake \(>= 0\.8\.1\)\n/, gem ? `    ${gem} (6.4.0)\n` : "").replace("  passenger (~> 6.0)\n", gem ? `  ${gem}\n` : "");
const envOf = (text: string): Record<string, string> => Object.fromEntries(text.split("\n").filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));

beforeAll(async () => {
  await initPrism();
});

describe("Passenger's settings, read from the repo", () => {
  it("tram: each stage's nginx render gives its numbers, with file:line; capistrano-passenger's variables are named", async () => {
    const m = await model();
    expect(m.webServer?.kind).toBe("passenger");
    expect(appServerKind(m)).toBe("passenger");
    const s = m.webServer!.passenger!.settings;
    const at = (stage: string, key: string) => s.find((x) => x.stage === stage && x.key === key);
    expect(at("production", "max_pool_size")).toMatchObject({ value: 10, source: { file: "config/deploy/templates/nginx.conf.erb", line: 10 } });
    expect(at("production", "min_instances")?.value).toBe(2);
    expect(at("staging", "max_pool_size")?.value).toBe(3);
    expect(at("staging", "environment")?.value).toBe("staging");
    expect(at("production", "max_requests")?.value).toBe(500);
    expect(at("production", "friendly_error_pages")?.value).toBe(false);
    expect(m.webServer!.passenger!.capistrano.map((c) => c.value.split(" ")[0])).toEqual(["passenger_roles", "passenger_restart_with_touch", "passenger_environment_variables"]);
    // 10 processes a server become pods of at most 4 (the rule for large worker counts): 3 pods a server.
    expect(appServerFor(m, m.stages.find((x) => x.name === "production")!)?.workers?.value).toBe(10);
  });

  it("Apache vhost, Passengerfile.json and no number at all: each read at its line; what none says is Passenger's default, labelled", async () => {
    const m = await model({
      "config/deploy/templates/nginx.conf.erb": null,
      "config/apache/tram.conf": "PassengerMaxPoolSize 12\n<VirtualHost *:80>\n  ServerName tram.example.org\n  PassengerMinInstances 3\n  RailsEnv production\n</VirtualHost>\n",
      "Passengerfile.json": '{\n  "max_requests": 1000,\n  "pool_idle_time": 120\n}\n',
    });
    const s = m.webServer!.passenger!.settings;
    expect(s.find((x) => x.key === "max_pool_size")).toMatchObject({ value: 12, source: { file: "config/apache/tram.conf", line: 1 }, stage: null });
    expect(s.find((x) => x.key === "environment")?.value).toBe("production");
    expect(s.find((x) => x.key === "pool_idle_time")).toMatchObject({ value: 120, source: { file: "Passengerfile.json", line: 3 } });
    const bare = await model({ "config/deploy/templates/nginx.conf.erb": null });
    const pool = appServerFor(bare, null)!.workers!;
    expect(pool.value).toBe(6);
    expect(pool.defaultOf).toMatch(/Passenger/);
    expect(pool.source.line).toBe(0);
  });
});

describe("a pool size no server ran", () => {
  it("above the bound of every repo count (1000): named at its line, not taken; Passenger's labelled default stands", async () => {
    const m = await model({
      "config/deploy/templates/nginx.conf.erb": null,
      "config/apache/tram.conf": "PassengerMaxPoolSize 999999999\n<VirtualHost *:80>\n  ServerName tram.example.org\n  PassengerMinInstances 1001\n</VirtualHost>\n",
    });
    expect(m.webServer!.passenger!.settings.filter((x) => x.key === "max_pool_size" || x.key === "min_instances")).toEqual([]);
    for (const line of [1, 4])
      expect(m.problems.find((p) => p.file === "config/apache/tram.conf" && p.line === line)?.message).toMatch(/is not a whole number from 0 to 1000, so it is not taken/);
    const pool = appServerFor(m, null)!.workers!;
    expect([pool.value, pool.defaultOf]).toEqual([6, expect.stringMatching(/Passenger/)]);
  });
});

describe("what the image runs", () => {
  it("only puma locked: Puma keeps Passenger's one request per process (threads 1,1; workers from the pool size), as Puma reads the emitted config", async () => {
    const m = await model({ "Gemfile.lock": lockWith("puma") });
    expect(appServerKind(m)).toBe("puma");
    const out = emitContainer(m, {});
    expect(out.notes.some((n) => /one request per process/.test(n.message) && /thread-safe/.test(n.message))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "r2k-passenger-puma-"));
    const path = join(dir, "kubernetes.rb");
    writeFileSync(path, out.files.find((f) => f.path === PUMA_CONTAINER_CONFIG)!.content);
    const [real] = runRubyFile(join(here, "puma_oracle.rb"), [{ path, env: "production" }]);
    // The image's default is production's pool size, as for any Puma app; one thread a worker.
    expect(real).toMatchObject({ workers: 10, threads: [1, 1] });
    // Each stage's overlay: 10 per server spread over pods of at most 4 (4 a pod); staging's 3 as they are.
    const k = emitKustomize(m, defaultAnswers(m));
    expect(envOf(k.files.find((f) => f.path === configEnvFile("production"))!.content)["WEB_CONCURRENCY"]).toBe("4");
    expect(envOf(k.files.find((f) => f.path === configEnvFile("staging"))!.content)["WEB_CONCURRENCY"]).toBe("3");
    rmSync(dir, { recursive: true, force: true });
  });

  it("the nginx sidecar does not run Passenger's directives, and says where each went", async () => {
    const out = emitContainer(await model(), {});
    const notes = out.notes.map((n) => n.message);
    // What Passenger did in nginx (public/ files, else the app) is what the sidecar does, towards the app container.
    const conf = out.files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content;
    expect(conf).toMatch(/try_files \$uri @app;/);
    expect(conf).toMatch(/location @app \{[^}]*proxy_pass http:\/\/app;/);
    expect(conf).toMatch(/client_max_body_size 25M;/);
    expect(conf).not.toMatch(/passenger/);
    const dir = mkdtempSync(join(tmpdir(), "r2k-passenger-nginx-"));
    dirs.push(dir);
    const t = nginxTest(conf, dir);
    expect(t.ok, t.out).toBe(true);
    expect(notes.some((n) => /^passenger_max_pool_size is Passenger's setting, not nginx's: carried by the app container/.test(n))).toBe(true);
    expect(out.provenance.some((p) => p.output === NGINX_SIDECAR_CONFIG && /^passenger_enabled on → try_files/.test(p.what) && p.source.line === 8)).toBe(true);
  });

  it("nothing locked: migrate exits 2 and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-passenger-cli-"));
    dirs.push(dir);
    cpSync(TRAM, dir, { recursive: true });
    writeFileSync(join(dir, "Gemfile.lock"), lockWith(null));
    const r = spawnSync(process.execPath, [join(here, "../../bin/rails2k8s.js"), "migrate", "--yes"], { cwd: dir, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Capfile:5: the deploy started Passenger.*gem "passenger"/);
    expect(existsSync(join(dir, "Dockerfile"))).toBe(false);
  });

  it("only unicorn locked: Unicorn's worker count is the pool size", async () => {
    const m = await model({ "Gemfile.lock": lockWith("unicorn") });
    expect(appServerKind(m)).toBe("unicorn");
    expect(appServerFor(m, m.stages.find((x) => x.name === "staging")!)?.workers?.value).toBe(3);
  });

  it("nothing locked: refused, naming the evidence, with gem \"passenger\" as the first option", async () => {
    const m = await model({ "Gemfile.lock": lockWith(null) });
    let err: unknown = null;
    try {
      emitContainer(m, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RefusedInput);
    const msg = (err as Error).message;
    expect(msg).toMatch(/Capfile/);
    expect(msg.indexOf('gem "passenger"')).toBeGreaterThan(-1);
    expect(msg.indexOf('gem "passenger"')).toBeLessThan(msg.indexOf('gem "puma"'));
    expect(msg.indexOf('gem "puma"')).toBeLessThan(msg.indexOf('gem "unicorn"'));
  });
});

// --- Passenger Standalone itself --------------------------------------------------------------

const APP = `run lambda { |env|
  sleep((env["QUERY_STRING"][/s=(\\d+)/, 1] || "0").to_i)
  [200, { "Content-Type" => "text/plain" }, ["#{ENV["RACK_ENV"]}\\n"]]
}
`;
const running: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Booted {
  proc: ChildProcess;
  port: number;
  env: NodeJS.ProcessEnv;
  log: () => string;
  exited: Promise<void>;
}

/** passenger start with the emitted command line (port and pid file moved into the test's own dir) and a stage's config.env. */
async function boot(passengerfile: string, stageEnv: Record<string, string>): Promise<Booted> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-passenger-"));
  dirs.push(dir);
  writeFileSync(join(dir, "config.ru"), APP);
  writeFileSync(join(dir, PASSENGERFILE), passengerfile);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const args = webServerArgs("passenger", "", "");
  expect(args.slice(0, 4)).toEqual(["bundle", "exec", "passenger", "start"]);
  const cli = args.slice(3);
  cli[cli.indexOf("--port") + 1] = String(port);
  cli[cli.indexOf("--pid-file") + 1] = join(dir, "passenger.pid");
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", PASSENGER_INSTANCE_REGISTRY_DIR: dir, ...stageEnv };
  let log = "";
  const proc = spawn("passenger", [...cli, "--no-compile-runtime"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  running.push(proc);
  proc.stdout!.on("data", (d) => (log += d));
  proc.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  for (let i = 0; i < 120; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      if (r.status === 200) return { proc, port, env, log: () => log, exited };
    } catch {
      /* not up yet */
    }
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`passenger did not start:\n${log}`);
}

/** The settings Passenger's core runs with, as it reports them. */
function effective(b: Booted): Record<string, unknown> {
  const r = spawnSync("passenger-config", ["api-call", "GET", "/config.json"], { env: b.env, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  const j = JSON.parse(r.stdout) as Record<string, { effective_value?: unknown }>;
  const v = (k: string) => j[k]?.effective_value;
  return {
    max_pool_size: v("max_pool_size"),
    min_instances: v("default_min_instances"),
    max_requests: v("default_max_requests"),
    max_request_queue_size: v("default_max_request_queue_size"),
    friendly_error_pages: v("default_friendly_error_pages"),
    environment: v("default_environment"),
  };
}

/** App processes Passenger runs (after min_instances have spawned). */
async function processCount(b: Booted, want: number): Promise<number> {
  let n = -1;
  for (let i = 0; i < 60; i++) {
    const r = spawnSync("passenger-status", ["--show=xml"], { env: b.env, encoding: "utf8" });
    n = /<process_count>(\d+)</.exec(r.stdout)?.[1] ? Number(/<process_count>(\d+)</.exec(r.stdout)![1]) : -1;
    if (n >= want) return n;
    await new Promise((r) => setTimeout(r, 250));
  }
  return n;
}

async function stop(b: Booted): Promise<void> {
  if (b.proc.exitCode === null && b.proc.signalCode === null) b.proc.kill("SIGTERM");
  await b.exited;
}

describe("Passenger Standalone runs the emitted settings", () => {
  it("tram: Passengerfile.json alone is production's per pod; each stage's config.env (PASSENGER_*) is what Passenger runs", async () => {
    const m = await model();
    const container = emitContainer(m, {});
    const pfile = container.files.find((f) => f.path === PASSENGERFILE)!.content;
    expect(JSON.parse(pfile)).toEqual({ max_pool_size: 4, min_instances: 2, max_requests: 500, max_request_queue_size: 200, friendly_error_pages: false });
    const k = emitKustomize(m, defaultAnswers(m));
    for (const [stage, want] of [
      ["production", { max_pool_size: 4, min_instances: 2, environment: "production" }],
      ["staging", { max_pool_size: 3, min_instances: 1, environment: "staging" }],
    ] as const) {
      const env = envOf(k.files.find((f) => f.path === configEnvFile(stage))!.content);
      const b = await boot(pfile, env);
      try {
        expect(effective(b)).toEqual({ ...want, max_requests: 500, max_request_queue_size: 200, friendly_error_pages: "false" });
        // min_instances processes are spawned (one queued request during the first spawn may add one more, within the pool).
        const xml = spawnSync("passenger-status", ["--show=xml"], { env: b.env, encoding: "utf8" }).stdout;
        expect(Number(/<min_processes>(\d+)</.exec(xml)?.[1])).toBe(want.min_instances);
        const n = await processCount(b, want.min_instances);
        expect(n).toBeGreaterThanOrEqual(want.min_instances);
        expect(n).toBeLessThanOrEqual(want.max_pool_size);
        expect(Number(/<concurrency>(\d+)</.exec(xml)?.[1])).toBe(1);
        expect(await (await fetch(`http://127.0.0.1:${b.port}/`)).text()).toBe(`${want.environment}\n`);
      } finally {
        await stop(b);
      }
    }
  }, 120_000);

  it("on TERM Passenger drops a request in flight; after the emitted preStop has run, TERM finds none", async () => {
    const pfile = JSON.stringify({ max_pool_size: 2, min_instances: 2 });
    // Control: TERM while a 4 s request runs.
    const a = await boot(pfile, {});
    const inFlight = fetch(`http://127.0.0.1:${a.port}/?s=4`).then((r) => r.status, () => "dropped");
    await new Promise((r) => setTimeout(r, 1000));
    a.proc.kill("SIGTERM");
    expect(await inFlight).not.toBe(200);
    await a.exited;
    // The emitted preStop (no sidecar), then TERM: the request completes.
    const b = await boot(pfile, {});
    const started = Date.now();
    const done = fetch(`http://127.0.0.1:${b.port}/?s=8`).then((r) => r.status, () => "dropped");
    await new Promise((r) => setTimeout(r, 1000));
    const [sh, c, script] = passengerPreStop(false, 30);
    const hook = spawnSync(sh!, [c!, script!], { env: b.env, encoding: "utf8", timeout: 60_000 });
    expect(hook.status).toBe(0);
    // The hook waited for the request (8 s), not only its 5 s sleep.
    expect(Date.now() - started).toBeGreaterThanOrEqual(8000);
    b.proc.kill("SIGTERM");
    expect(await done).toBe(200);
    await b.exited;
  }, 120_000);
});
