// whenever's Capistrano task writes a crontab only on the servers with one of `whenever_roles`
// (default :db), each with `--roles=<that server's roles>`: a job `roles: [:web]` on a stage whose
// one server is web+app (no db) was never in any crontab (a corpus repo's daily restart job).
import { describe, expect, it } from "vitest";
import { cronNotRunReason, cronServerCount } from "../../emitters/kustomize/rules/cron.js";
import type { CronJob, Stage } from "../../src/model.js";

const src = { file: "config/deploy/server.rb", line: 3 };
const stage = (roles: string[][], wheneverRoles: unknown | undefined): Stage =>
  ({
    name: "server",
    source: src,
    variables: wheneverRoles === undefined ? {} : { whenever_roles: { value: wheneverRoles, source: { file: "Capfile", line: 4 } } },
    servers: roles.map((r, i) => ({ host: `h${i}.example.org`, user: null, port: null, roles: r, primary: i === 0, properties: {}, source: src })),
  }) as unknown as Stage;
const job = (roles: string[]): CronJob => ({ schedules: ["0 6 * * *"], type: "command", task: "x", command: "x", roles, source: { file: "config/schedule.rb", line: 1 } }) as unknown as CronJob;

describe("whenever_roles gate the job's roles", () => {
  it("a web job on a web+app server without a whenever role never ran", () => {
    const st = stage([["web", "app"]], { sym: "db" });
    expect(cronNotRunReason(st, job(["web"]))).toMatch(/whenever_roles/);
    expect(cronServerCount(st, job(["web"]))).toBe(0);
  });
  it("ran where the server has both", () => {
    const st = stage([["web", "app"], ["web", "db"]], { sym: "db" });
    expect(cronNotRunReason(st, job(["web"]))).toBeNull();
    expect(cronServerCount(st, job(["web"]))).toBe(1);
  });
  it("whenever_roles widened to web: ran on every web server", () => {
    const st = stage([["web", "app"], ["web", "db"]], [{ sym: "web" }, { sym: "db" }]);
    expect(cronServerCount(st, job(["web"]))).toBe(2);
  });
  it("without whenever's Capistrano task (no whenever_roles) the job's roles alone decide", () => {
    expect(cronServerCount(stage([["web", "app"]], undefined), job(["web"]))).toBe(1);
  });
});
