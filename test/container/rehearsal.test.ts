// A rehearsal of the web pod on this machine, with the real servers from Debian: Unicorn runs the
// Rack app of fixtures/rack with the emitted container config, started through the emitted
// entrypoint; nginx runs the emitted sidecar config in front of it, over a unix socket in a temp
// dir standing in for the shared emptyDir. Then the pod's preStop sequence (nginx quit, Unicorn
// QUIT) runs while a slow request is in flight, and that request must complete.
// The emitted files are used as written; only the pod's paths and port are moved into the temp dir.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ChildProcess } from "node:child_process";
import { emitContainer } from "../../emitters/container/index.js";
import { JEMALLOC_LINK } from "../../emitters/container/entrypoint.js";
import { NGINX_PID, NGINX_TEMP, PUBLIC_DIR } from "../../emitters/container/nginx-sidecar.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { LIVENESS_PATH } from "../../emitters/kustomize/rules/health.js";
import { PROBES_INITIALIZER } from "../../emitters/container/probes.js";
import { parseAllDocuments } from "yaml";
import { APP_DIR, APP_PORT, ENTRYPOINT, NGINX_PID_FILE, NGINX_PORT, NGINX_SIDECAR_CONFIG, SOCKET_DIR, UNICORN_CONTAINER_CONFIG, UNICORN_SOCKET } from "../../emitters/contract.js";
import { shopModel } from "./models.js";
import { freePort, get, Procs, waitForListener } from "./procs.js";

const RACK = resolve(import.meta.dirname, "../../fixtures/rack");
const T = mkdtempSync(join(tmpdir(), "r2k-pod-"));
const app = join(T, "app");
const sock = join(T, "sock");
const nginxDir = join(T, "nginx");
const procs = new Procs();
let port = 0;
let appPort = 0;
let unicorn: ChildProcess;
let nginx: ChildProcess;
let nginxConf = "";

const emitted = emitContainer(shopModel(), { "container.nginx_sidecar": true });
const web = parseAllDocuments(emitKustomize(shopModel(), { "container.nginx_sidecar": true }).files.find((f) => f.path === "k8s/base/web-deployment.yaml")!.content)[0]!.toJS();
const containerOf = (name: string) => web.spec.template.spec.containers.find((c: { name: string }) => c.name === name);
const fileOf = (p: string) => emitted.files.find((f) => f.path === p)!;

beforeAll(async () => {
  cpSync(RACK, app, { recursive: true });
  mkdirSync(sock);
  mkdirSync(nginxDir);
  mkdirSync(join(app, "tmp/pids"), { recursive: true });
  writeFileSync(join(app, "tmp/pids/unicorn.pid"), "99999\n"); // left by a killed container

  const ep = fileOf(ENTRYPOINT);
  mkdirSync(join(app, "bin"));
  writeFileSync(join(app, ENTRYPOINT), ep.content);
  chmodSync(join(app, ENTRYPOINT), ep.mode!);

  appPort = await freePort();
  const unicornConf = fileOf(UNICORN_CONTAINER_CONFIG)
    .content.split(`"${APP_DIR}"`)
    .join(JSON.stringify(app))
    .split(SOCKET_DIR)
    .join(sock)
    .split(`"0.0.0.0:${APP_PORT}"`)
    .join(`"127.0.0.1:${appPort}"`);
  // The generated probes initializer, in front of the Rack app as Rails would put it (first middleware).
  mkdirSync(join(app, "config/initializers"), { recursive: true });
  writeFileSync(join(app, PROBES_INITIALIZER), fileOf(PROBES_INITIALIZER).content);
  writeFileSync(
    join(app, "config.live.ru"),
    'require_relative "config/initializers/rails2k8s_probes"\nuse Rails2k8sProbes::Liveness\ninstance_eval(File.read(File.join(__dir__, "config.ru")))\n',
  );
  mkdirSync(join(app, "config/unicorn"), { recursive: true });
  writeFileSync(join(app, UNICORN_CONTAINER_CONFIG), unicornConf);

  port = await freePort();
  let conf = fileOf(NGINX_SIDECAR_CONFIG).content.split(SOCKET_DIR).join(sock).split(PUBLIC_DIR).join(join(app, "public"));
  conf = conf.replace(`listen ${NGINX_PORT} default_server;`, `listen 127.0.0.1:${port} default_server;`);
  for (const p of [...Object.values(NGINX_TEMP), NGINX_PID]) conf = conf.split(` ${p};`).join(` ${join(nginxDir, p.slice("/tmp/".length))};`);
  // In the pod both containers run as uid 1000; here the test runs as root, whose nginx workers
  // would otherwise drop to `nobody` and lose access to the socket Unicorn (root) created.
  if (process.getuid?.() === 0) conf = "user root;\n" + conf;
  nginxConf = join(nginxDir, "nginx.conf");
  writeFileSync(nginxConf, conf);

  unicorn = procs.start("unicorn", join(app, ENTRYPOINT), ["unicorn", "-c", UNICORN_CONTAINER_CONFIG, "config.live.ru"], {
    cwd: app,
    env: { ...process.env, WEB_CONCURRENCY: "2", RACK_ENV: "none" },
  }).child;
  await waitForListener(join(sock, UNICORN_SOCKET.slice(SOCKET_DIR.length + 1)), 30_000, () => unicorn.exitCode === null);
  nginx = procs.start("nginx", "/usr/sbin/nginx", ["-p", nginxDir, "-e", "stderr", "-c", nginxConf, "-g", "daemon off;"], {}, join(nginxDir, "out.log")).child;
  await waitForListener(port, 10_000, () => nginx.exitCode === null);
}, 60_000);

afterAll(async () => {
  await procs.stopAll();
  rmSync(T, { recursive: true, force: true });
});

describe("the web pod, rehearsed with Debian's Unicorn and nginx", () => {
  test("the entrypoint removed the stale pid and exec'ed Unicorn (the server is the entrypoint's process)", () => {
    expect(existsSync(join(app, "tmp/pids/unicorn.pid"))).toBe(false);
    const cmdline = readFileSync(`/proc/${unicorn.pid}/cmdline`, "utf8");
    expect(cmdline).toContain("unicorn");
    expect(cmdline).not.toContain("docker-entrypoint");
  });

  test("a request through nginx reaches the app; X-Forwarded-Proto from the edge is passed on", async () => {
    const r = await get(port, "/orders", { "X-Forwarded-Proto": "https" });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^hello from rack worker \d+, proto https$/m);
    expect((await get(port, "/")).body).toContain("proto http\n");
  });

  test("the health path answers through nginx", async () => {
    const r = await get(port, "/up");
    expect(r.status).toBe(200);
    expect(r.body).toBe("up\n");
  });

  test("nginx serves the precompiled assets itself, with the app's cache headers", async () => {
    const name = readdirSync(join(app, "public/assets"))[0]!;
    const r = await get(port, `/assets/${name}`);
    expect(r.status).toBe(200);
    expect(r.body).toBe(readFileSync(join(app, "public/assets", name), "utf8"));
    expect(r.headers["cache-control"]).toContain("public");
    expect(r.headers["expires"]).toBeDefined();
  });

  test("liveness asks Unicorn itself on its own port, answered by the generated middleware, not through nginx", async () => {
    const live = containerOf("app").livenessProbe.httpGet;
    expect(live).toEqual({ path: LIVENESS_PATH, port: APP_PORT });
    const r = await get(appPort, live.path);
    expect(r.status).toBe(200);
    expect(r.body).toBe("live\n");
    expect((await get(appPort, "/orders")).status).toBe(200); // everything else still reaches the app
  });

  test("termination under a steady stream of requests: the preStop hooks as emitted, nginx first, zero 502s", async () => {
    // The hooks as the pod runs them, with this run's pids and paths and a 2 s endpoint sleep.
    const hook = (name: string, pid: number) =>
      (containerOf(name).lifecycle.preStop.exec.command as string[])[2]!
        .replace(/\bpid=1\b/, `pid=${pid}`)
        .replace(/sleep \d+;/, "sleep 2;")
        .split(NGINX_PID_FILE)
        .join(join(sock, NGINX_PID_FILE.slice(SOCKET_DIR.length + 1)))
        .replace("nginx -s quit", `/usr/sbin/nginx -p ${nginxDir} -e stderr -c ${nginxConf} -s quit`);
    expect(existsSync(join(sock, NGINX_PID_FILE.slice(SOCKET_DIR.length + 1)))).toBe(true);
    const results: (number | string)[] = [];
    const inflight: Promise<void>[] = [];
    const send = (path: string) =>
      inflight.push(
        get(port, path).then(
          (r) => void results.push(r.status),
          (e: Error) => void results.push(e.message),
        ),
      );
    // More slow requests than Unicorn has workers: the rest wait in its listen backlog, and would
    // be reset (502) if Unicorn closed its socket before nginx had finished.
    for (let i = 0; i < 6; i++) send("/slow");
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        send("/orders");
        // Every 40 ms: the shop's own `backlog: 64` (carried into the container config) must hold what
        // waits behind the slow requests; a faster stream overflows it (EAGAIN, 502) whether or not
        // the pod is stopping, which is capacity, not the shutdown this test is about.
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const exits: Record<string, number> = {};
    nginx.once("exit", () => (exits["nginx"] = Date.now()));
    unicorn.once("exit", () => (exits["unicorn"] = Date.now()));
    const hooks = [spawn("/bin/sh", ["-c", hook("nginx", nginx.pid!)], { stdio: "ignore" }), spawn("/bin/sh", ["-c", hook("app", unicorn.pid!)], { stdio: "ignore" })];
    // The endpoints are gone when the hooks' sleep ends: no new request arrives after that.
    await new Promise((r) => setTimeout(r, 1200));
    streaming = false;
    await stream;
    await Promise.all(inflight);
    await Promise.all(hooks.map((h) => new Promise((r) => (h.exitCode !== null ? r(null) : h.once("exit", r)))));
    expect(await Procs.exited(nginx, 20_000)).toBe(0);
    expect(await Procs.exited(unicorn, 20_000)).toBe(0);
    expect(results.length).toBeGreaterThan(20);
    expect(results.filter((r) => r !== 200)).toEqual([]);
    expect(exits["nginx"]!).toBeLessThan(exits["unicorn"]!);
    await expect(get(port, "/")).rejects.toThrow(); // nobody listens any more
  }, 60_000);
});

describe("the entrypoint", () => {
  test("preloads jemalloc when the image has it, and keeps an LD_PRELOAD the pod sets", () => {
    const lib = ["/lib", "/usr/lib"]
      .flatMap((d) => (existsSync(d) ? readdirSync(d).filter((x) => x.endsWith("-linux-gnu")).map((x) => join(d, x, "libm.so.6")) : []))
      .find(existsSync)!;
    expect(lib).toBeDefined();
    const ep = join(T, "ep-jemalloc");
    writeFileSync(ep, fileOf(ENTRYPOINT).content.split(JEMALLOC_LINK).join(lib));
    const show = ["sh", ep, "sh", "-c", 'printf %s "$LD_PRELOAD"'];
    expect(execFileSync(show[0]!, show.slice(1), { encoding: "utf8", env: { PATH: process.env["PATH"] } })).toBe(lib);
    expect(execFileSync(show[0]!, show.slice(1), { encoding: "utf8", env: { PATH: process.env["PATH"], LD_PRELOAD: "" } })).toBe(lib);
    const other = join(dirname(lib), "libc.so.6");
    expect(execFileSync(show[0]!, show.slice(1), { encoding: "utf8", env: { PATH: process.env["PATH"], LD_PRELOAD: other } })).toBe(other);
    const missing = join(T, "ep-none");
    writeFileSync(missing, fileOf(ENTRYPOINT).content.split(JEMALLOC_LINK).join(join(T, "no-such.so")));
    expect(execFileSync("sh", [missing, "sh", "-c", 'printf %s "${LD_PRELOAD:-none}"'], { encoding: "utf8", env: { PATH: process.env["PATH"] } })).toBe("none");
    expect(fileOf(ENTRYPOINT).content).not.toMatch(/db:migrate|db:prepare/);
  });
});
