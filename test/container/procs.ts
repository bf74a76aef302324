// Test helpers for the real servers: free loopback ports, waiting for a listener, HTTP requests,
// and a registry of the processes a test started so afterAll can stop exactly those.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createServer, connect } from "node:net";
import { request } from "node:http";
import { closeSync, openSync } from "node:fs";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections (TCP port or unix socket path). */
export async function waitForListener(target: number | string, ms = 20_000, alive?: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = typeof target === "number" ? connect(target, "127.0.0.1") : connect(target);
      c.once("connect", () => (c.destroy(), resolve(true)));
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    if (alive && !alive()) throw new Error(`process died before listening on ${target}`);
    if (Date.now() > end) throw new Error(`nothing listens on ${target} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

export class Procs {
  private started: { name: string; child: ChildProcess; log: string[] }[] = [];

  /** Starts a process; with `logFile` its stdout/stderr go to that file (as a container's would). */
  start(name: string, cmd: string, args: string[], opts: SpawnOptions, logFile?: string): { child: ChildProcess; log: string[] } {
    const fd = logFile ? openSync(logFile, "a") : null;
    const child = spawn(cmd, args, { ...opts, stdio: fd !== null ? ["ignore", fd, fd] : ["ignore", "pipe", "pipe"] });
    if (fd !== null) closeSync(fd);
    const log: string[] = [];
    child.stdout?.on("data", (d) => log.push(String(d)));
    child.stderr?.on("data", (d) => log.push(String(d)));
    this.started.push({ name, child, log });
    return { child, log };
  }

  static exited(child: ChildProcess, ms: number): Promise<number | null> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`pid ${child.pid} still running after ${ms} ms`)), ms);
      child.once("exit", (code) => (clearTimeout(t), resolve(code)));
    });
  }

  /** Stops every process this test started (by pid), SIGKILL if it ignores TERM. */
  async stopAll(): Promise<void> {
    for (const p of this.started) {
      if (p.child.exitCode !== null || p.child.signalCode !== null || !p.child.pid) continue;
      p.child.kill("SIGTERM");
      try {
        await Procs.exited(p.child, 3000);
      } catch {
        p.child.kill("SIGKILL");
      }
    }
  }

  logs(): string {
    return this.started.map((p) => `--- ${p.name}\n${p.log.join("")}`).join("\n");
  }
}
