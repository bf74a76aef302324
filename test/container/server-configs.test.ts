// The container Unicorn and Puma configs, read by the servers' own code (Unicorn::Configurator from
// Debian's unicorn; Puma's DSL shape for Puma, which Debian does not install here): same workers
// (from WEB_CONCURRENCY with today's value as default), timeout, preload; the pod's listen address;
// no pid or log files. One Ruby process for all cases.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Answers, AppModel } from "../../src/model.js";
import { emitContainer } from "../../emitters/container/index.js";
import { APP_DIR, APP_PORT, PUMA_CONTAINER_CONFIG, SOCKET_DIR, UNICORN_CONTAINER_CONFIG, UNICORN_SOCKET } from "../../emitters/contract.js";
import { ledgerModel, legacyModel, shopModel } from "./models.js";

const dir = mkdtempSync(join(tmpdir(), "r2k-server-configs-"));
const appDir = join(dir, "app");
mkdirSync(appDir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The emitted config with the pod's directories moved under the temp dir (semantics untouched). */
const relocate = (text: string) => text.split(`"${APP_DIR}"`).join(JSON.stringify(appDir)).split(SOCKET_DIR).join(join(dir, "sock"));

interface Case {
  id: string;
  model: () => AppModel;
  answers: Answers;
  env: Record<string, string>;
}
const CASES: Case[] = [
  { id: "shop-sidecar", model: shopModel, answers: {}, env: {} },
  { id: "shop-sidecar-wc6", model: shopModel, answers: {}, env: { WEB_CONCURRENCY: "6" } },
  { id: "shop-tcp", model: shopModel, answers: { "container.nginx_sidecar": false }, env: {} },
  { id: "legacy", model: legacyModel, answers: {}, env: {} },
  { id: "legacy-own-env", model: legacyModel, answers: {}, env: { UNICORN_WORKERS: "7" } },
  { id: "ledger", model: ledgerModel, answers: {}, env: {} },
  { id: "ledger-env", model: ledgerModel, answers: {}, env: { WEB_CONCURRENCY: "3", RAILS_MAX_THREADS: "8" } },
];

let result: Record<string, Record<string, unknown>> = {};
beforeAll(() => {
  const input = CASES.map((c) => {
    const files = emitContainer(c.model(), c.answers).files;
    const f = files.find((x) => x.path === UNICORN_CONTAINER_CONFIG) ?? files.find((x) => x.path === PUMA_CONTAINER_CONFIG)!;
    const path = join(dir, `${c.id}.rb`);
    writeFileSync(path, relocate(f.content));
    return { id: c.id, kind: f.path === UNICORN_CONTAINER_CONFIG ? "unicorn" : "puma", path, env: c.env };
  });
  writeFileSync(join(dir, "cases.json"), JSON.stringify(input));
  result = JSON.parse(execFileSync("ruby", [join(import.meta.dirname, "load_configs.rb"), join(dir, "cases.json")], { encoding: "utf8" }));
});

describe("Unicorn reads the container config", () => {
  test("shop: today's 4 workers by default, WEB_CONCURRENCY overrides; timeout, preload, socket, no files", () => {
    const r = result["shop-sidecar"]!;
    expect(r["error"]).toBeUndefined();
    expect(r).toMatchObject({ worker_processes: 4, timeout: 30, preload_app: true, pid: null, stderr_path: null, cwd: appDir });
    // The socket for nginx, and TCP for the kubelet's liveness probe (never through nginx).
    expect(r["listeners"]).toEqual([join(dir, "sock", UNICORN_SOCKET.slice(SOCKET_DIR.length + 1)), `0.0.0.0:${APP_PORT}`]);
    expect(Object.values(r["listener_opts"] as object)[0]).toMatchObject({ backlog: 64 });
    expect(r["before_fork"]).toBe(true);
    expect(r["after_fork"]).toBe(true);
    expect(result["shop-sidecar-wc6"]!["worker_processes"]).toBe(6);
  });

  test("without the sidecar it listens on TCP APP_PORT", () => {
    expect(result["shop-tcp"]!["listeners"]).toEqual([`0.0.0.0:${APP_PORT}`]);
  });

  test("legacy: the app's own ENV name still works, timeout 45, no preload and no fork hooks", () => {
    expect(result["legacy"]).toMatchObject({ worker_processes: 3, timeout: 45, preload_app: false, before_fork: false, after_fork: false });
    expect(result["legacy-own-env"]!["worker_processes"]).toBe(7);
  });
});

describe("Puma's DSL reads the container config", () => {
  test("ledger: workers and threads from ENV with today's defaults, TCP bind, preload, worker_timeout", () => {
    expect(result["ledger"]).toEqual({
      workers: 2, threads: [5, 5], bind: [`tcp://0.0.0.0:${APP_PORT}`], environment: "production", preload_app: true, worker_timeout: 30,
    });
    expect(result["ledger-env"]).toMatchObject({ workers: 3, threads: [8, 8] });
  });
});

describe("notes for what is dropped", () => {
  test("pid, log paths, before_exec and the USR2 idiom are named with their source", () => {
    const notes = emitContainer(shopModel(), {}).notes.map((n) => `${n.message} @ ${n.source?.file}:${n.source?.line}`);
    expect(notes.some((n) => n.startsWith("pid ") && n.endsWith("config/unicorn/production.rb:7"))).toBe(true);
    expect(notes.some((n) => n.startsWith("stderr_path ") && n.endsWith(":8"))).toBe(true);
    expect(notes.some((n) => n.startsWith("before_exec dropped") && n.endsWith(":12"))).toBe(true);
    expect(notes.some((n) => n.includes("old-master QUIT") && n.endsWith(":16"))).toBe(true);
  });
});
