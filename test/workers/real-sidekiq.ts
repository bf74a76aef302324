// Debian's Sidekiq 6.4 against a real redis-server, for the tests that check a Deployment's
// command: the process is started with the command's words and what it registered in Redis
// (queues, concurrency, tag…) is read back by its pid.
import { execFileSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort, Procs, waitForListener } from "../container/procs.js";

export interface RealRedis {
  port: number;
  /** `redis-cli -p PORT …`, trimmed. */
  cli(...a: string[]): string;
}

/** A redis-server on a free local port, its files in `dir`, stopped with `procs`. */
export async function startRedis(procs: Procs, dir: string): Promise<RealRedis> {
  const port = await freePort();
  const r = procs.start("redis", "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {}, join(dir, "redis.log")).child;
  await waitForListener(port, 10_000, () => r.exitCode === null);
  return { port, cli: (...a: string[]) => execFileSync("redis-cli", ["-p", String(port), ...a], { encoding: "utf8" }).trim() };
}

/**
 * Starts `sidekiq ARGS` in `cwd` (REDIS_URL set to `redis`, `env` added) and waits up to 30 s for
 * it to register; its info hash, or null when it never did.
 */
export async function registeredSidekiq(procs: Procs, redis: RealRedis, name: string, args: string[], opts: { cwd: string; log: string; env?: Record<string, string> }): Promise<{ child: ChildProcess; info: Record<string, any> | null }> {
  const env = { ...(process.env as Record<string, string>), ...opts.env, REDIS_URL: `redis://127.0.0.1:${redis.port}/0` };
  const child = procs.start(name, "sidekiq", args, { cwd: opts.cwd, env }, opts.log).child;
  const end = Date.now() + 30_000;
  let info: Record<string, any> | null = null;
  while (!info && Date.now() < end) {
    for (const id of redis.cli("SMEMBERS", "processes").split("\n").filter(Boolean)) {
      const i = JSON.parse(redis.cli("HGET", id, "info") || "null");
      if (i?.pid === child.pid) info = i;
    }
    if (!info) await new Promise((res) => setTimeout(res, 250));
  }
  return { child, info };
}
