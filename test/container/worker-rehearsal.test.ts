// A rehearsal of the worker pod's stop on this machine, with Debian's Sidekiq 6.4 and redis-server:
// the worker command as the Deployment runs it (through the emitted entrypoint; only `bundle exec`
// is dropped, as there is no bundle here, and `-r` loads the test's jobs instead of a Rails app),
// against a real Redis on a temp port, with jobs that take seconds. The stop is delivered as the
// kubelet delivers it: the preStop hook as emitted, then the image's STOPSIGNAL, then SIGKILL when
// the grace period ends. Every job must finish or be back in its queue.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emitContainer } from "../../emitters/container/index.js";
import { PROBES_INITIALIZER } from "../../emitters/container/probes.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { HEARTBEAT_ENV, HEARTBEAT_FILE } from "../../emitters/kustomize/rules/health.js";
import { ENTRYPOINT } from "../../emitters/contract.js";
import { parseAllDocuments } from "yaml";
import { shopModel } from "../kustomize/models.js";
import { freePort, Procs, waitForListener } from "./procs.js";

const T = mkdtempSync(join(tmpdir(), "r2k-worker-"));
const app = join(T, "app");
const done = join(T, "done");
const beat = join(T, "heartbeat");
const procs = new Procs();
let redisPort = 0;

const SIDEKIQ_TIMEOUT = 4;
const model = shopModel();
model.sidekiq!.timeout = { value: SIDEKIQ_TIMEOUT, source: { file: "config/sidekiq.yml", line: 3 } };
const k8s = emitKustomize(model, {});
const container = emitContainer(model, {});
const deployment = parseAllDocuments(k8s.files.find((f) => f.path === "k8s/base/worker-deployment.yaml")!.content)[0]!.toJS() as {
  spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Record<string, any>[] } } };
};
const pod = deployment.spec.template.spec;
const worker = pod.containers[0]!;
const dockerfile = container.files.find((f) => f.path === "Dockerfile")!.content;
const stopSignal = (/^STOPSIGNAL (SIG\w+)$/m.exec(dockerfile)?.[1] ?? "SIGTERM") as NodeJS.Signals;

const redis = (...args: string[]) => execFileSync("redis-cli", ["-p", String(redisPort), ...args], { encoding: "utf8" }).trim();

/** The kubelet's stop: preStop (within the grace period), the image's STOPSIGNAL, SIGKILL at the end. */
async function kubeletStop(child: ChildProcess, preStop: string[], grace: number): Promise<{ signalled: boolean; killed: boolean; seconds: number }> {
  const start = Date.now();
  const left = () => grace * 1000 - (Date.now() - start);
  const hookArgs = preStop.slice(1).map((a) => a.replace(/\bpid=1\b/, `pid=${child.pid}`));
  const hook = spawn(preStop[0]!, hookArgs, { stdio: "ignore" });
  const hookDone = new Promise<void>((r) => hook.once("exit", () => r()));
  await Promise.race([hookDone, new Promise((r) => setTimeout(r, left()))]);
  if (hook.exitCode === null) hook.kill("SIGKILL");
  const alive = () => child.exitCode === null && child.signalCode === null;
  let signalled = false;
  let killed = false;
  if (alive()) {
    signalled = true;
    child.kill(stopSignal);
    // The kubelet gives at least 2 more seconds after a hook that used up the grace period.
    await Promise.race([Procs.exited(child, Math.max(2000, left())).catch(() => null)]);
  }
  if (alive()) {
    killed = true;
    child.kill("SIGKILL");
    await Procs.exited(child, 5000);
  }
  return { signalled, killed, seconds: (Date.now() - start) / 1000 };
}

function startWorker(name: string): ChildProcess {
  const args = (worker["args"] as string[]).slice();
  expect(args.slice(0, 2)).toEqual(["bundle", "exec"]);
  const env: Record<string, string> = { ...(process.env as Record<string, string>), REDIS_URL: `redis://127.0.0.1:${redisPort}/0`, DONE_DIR: done };
  for (const e of worker["env"] as { name: string; value: string }[]) env[e.name] = e.value === HEARTBEAT_FILE ? beat : e.value;
  return procs.start(name, join(app, ENTRYPOINT), [...args.slice(2), "-r", "./jobs.rb"], { cwd: app, env }, join(T, `${name}.log`)).child;
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not seen after ${ms} ms\n${readLogs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const readLogs = () => ["w1", "w2"].map((n) => (existsSync(join(T, `${n}.log`)) ? `--- ${n}\n${readFileSync(join(T, `${n}.log`), "utf8")}` : "")).join("\n");
const enqueue = (id: string, seconds: number) =>
  redis("LPUSH", "queue:default", JSON.stringify({ class: "SlowJob", args: [id, seconds], jid: id.padEnd(24, "0"), queue: "default", retry: false, created_at: Date.now() / 1000, enqueued_at: Date.now() / 1000 }));
const started = (...ids: string[]) => () => ids.every((id) => existsSync(join(done, `${id}.started`)));

beforeAll(async () => {
  mkdirSync(join(app, "config/initializers"), { recursive: true });
  mkdirSync(join(app, "bin"));
  mkdirSync(done);
  const ep = container.files.find((f) => f.path === ENTRYPOINT)!;
  writeFileSync(join(app, ENTRYPOINT), ep.content);
  chmodSync(join(app, ENTRYPOINT), 0o755);
  writeFileSync(join(app, PROBES_INITIALIZER), container.files.find((f) => f.path === PROBES_INITIALIZER)!.content);
  writeFileSync(join(app, "config/sidekiq.yml"), `:concurrency: 2\n:timeout: ${SIDEKIQ_TIMEOUT}\n:queues:\n  - default\n`);
  writeFileSync(
    join(app, "jobs.rb"),
    [
      'require "sidekiq"',
      "class SlowJob",
      "  include Sidekiq::Worker",
      "  def perform(id, seconds)",
      '    File.write(File.join(ENV.fetch("DONE_DIR"), "#{id}.started"), "")',
      "    sleep seconds",
      '    File.write(File.join(ENV.fetch("DONE_DIR"), id), "done")',
      "  end",
      "end",
      'require_relative "config/initializers/rails2k8s_probes"',
      "",
    ].join("\n"),
  );
  redisPort = await freePort();
  const r = procs.start("redis", "redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", T], {}, join(T, "redis.log")).child;
  await waitForListener(redisPort, 10_000, () => r.exitCode === null);
}, 30_000);

afterAll(async () => {
  await procs.stopAll();
  rmSync(T, { recursive: true, force: true });
});

describe("the worker pod's stop, rehearsed with Debian's Sidekiq and Redis", () => {
  test("the Deployment stops Sidekiq with TERM from its preStop and gives it more than its timeout", () => {
    expect(stopSignal).toBe("SIGQUIT"); // the image is Unicorn's: the kubelet alone would send QUIT
    const preStop = worker["lifecycle"].preStop.exec.command as string[];
    expect(preStop.join(" ")).toContain('kill -TERM "$pid"');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(SIDEKIQ_TIMEOUT);
    expect(worker["livenessProbe"].exec.command.join(" ")).not.toMatch(/ruby|bundle/);
  });

  test("a short job finishes and a long one is pushed back to Redis; QUIT is never needed; liveness beats", async () => {
    const child = startWorker("w1");
    await waitFor(() => existsSync(beat), 30_000, "the heartbeat file");
    // The probe as emitted, pointed at this run's file: passes while fresh, fails when stale.
    const probe = (worker["livenessProbe"].exec.command as string[]).map((a) => a.split(HEARTBEAT_FILE).join(beat));
    expect(() => execFileSync(probe[0]!, probe.slice(1))).not.toThrow();
    enqueue("short", 3);
    enqueue("long", 30);
    await waitFor(started("short", "long"), 15_000, "both jobs running");
    const stop = await kubeletStop(child, worker["lifecycle"].preStop.exec.command, pod.terminationGracePeriodSeconds);
    expect(stop.signalled).toBe(false);
    expect(stop.killed).toBe(false);
    expect(child.exitCode).toBe(0);
    expect(existsSync(join(done, "short"))).toBe(true);
    expect(existsSync(join(done, "long"))).toBe(false);
    const queued = redis("LRANGE", "queue:default", "0", "-1");
    expect(queued).toContain('"long"');
    // Stale heartbeat (the worker is gone): the probe fails.
    const old = new Date(Date.now() - 5 * 60_000);
    utimesSync(beat, old, old);
    expect(() => execFileSync(probe[0]!, probe.slice(1))).toThrow();
    expect(HEARTBEAT_ENV).toBe((worker["env"] as { name: string }[])[0]!.name);
  }, 90_000);

  test("control: the image's QUIT alone (no preStop) loses the running job", async () => {
    redis("DEL", "queue:default");
    const child = startWorker("w2");
    enqueue("lost", 30);
    await waitFor(started("lost"), 30_000, "the job running");
    child.kill(stopSignal);
    await Procs.exited(child, 10_000);
    expect(existsSync(join(done, "lost"))).toBe(false);
    expect(redis("LRANGE", "queue:default", "0", "-1")).not.toContain('"lost"');
  }, 60_000);
});
