// Cron commands of jobs whenever did not render: the task's words reach `sh -c` as words, so a
// planted task cannot run anything else. Judged by sh, with `bundle` a function that prints its args.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import type { CronJob } from "../../src/model.js";
import { cronCommand } from "../../emitters/kustomize/rules/cron-command.js";

const job = (type: string, task: string): CronJob => ({ schedules: ["0 3 * * *"], type, task, command: { unknown: "not rendered" } as never, roles: [], source: { file: "config/schedule.rb", line: 3 } });

function argsOf(command: string): string[] {
  const r = spawnSync("sh", ["-c", `bundle() { printf '%s\\0' "$@"; }\n${command}`], { encoding: "utf8", env: { PATH: process.env.PATH, RAILS_ENV: "production" } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\0").slice(0, -1);
}

describe("fallback cron commands", () => {
  it("rake and script tasks stay words; nothing else runs", () => {
    expect(argsOf(cronCommand(job("rake", "db:thing ARG=1"))!)).toEqual(["exec", "rake", "db:thing", "ARG=1", "--silent"]);
    expect(argsOf(cronCommand(job("rake", "x;touch${IFS}/tmp/pwned $(id) `id`"))!)).toEqual(["exec", "rake", "x;touch${IFS}/tmp/pwned", "$(id)", "`id`", "--silent"]);
    expect(argsOf(cronCommand(job("script", "a|b"))!)).toEqual(["exec", "script/a|b"]);
    expect(argsOf(cronCommand(job("runner", "Foo.bar('x'); `id`"))!)).toEqual(["exec", "bin/rails", "runner", "-e", "production", "Foo.bar('x'); `id`"]);
  });
});
