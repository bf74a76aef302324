// A worker's start line wrapped in a shell (`/bin/sh -c 'cd …/current && QUEUE=mail bundle exec …'`,
// `bash -c "…"`, `su - deploy -c '…'`) is read through its wrappers (analyzers/workers/start-line.ts
// over src/model/service-managers.ts' POSIX word splitter): the words and environment the pod runs are
// the ones real `sh` hands the program, checked by running each line in real sh with a stub
// `bundle` that prints its argv, its queue variables and its directory. A `cd` into the release is
// the image's app directory; a `cd` elsewhere, or a value the servers' shell fills in, stays the
// backend's standard command, said at the line. Lines and files written for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readStartLine } from "../../analyzers/workers/start-line.js";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";

const VARS = ["QUEUE", "QUEUES", "COUNT", "INTERVAL"];

/** Runs `line` in real sh with a stub `bundle`: the argv it got (bundle first), the queue variables set, and its directory. */
function realRun(line: string, stubs: string): { words: string[]; env: Record<string, string>; dir: string } {
  const r = spawnSync("sh", ["-c", line], { encoding: "utf8", env: { PATH: `${stubs}:/usr/bin:/bin`, LANG: "C" } });
  expect(r.status, r.stderr).toBe(0);
  const parts = r.stdout.split("\0");
  parts.pop();
  const env: Record<string, string> = {};
  for (const v of VARS) {
    const p = parts.shift()!;
    if (p !== "") env[v] = p.replace(/^x/, "");
  }
  const dir = parts.shift()!;
  return { words: parts, env, dir };
}

function stubDir(): { stubs: string; release: string } {
  const root = mkdtempSync(join(tmpdir(), "r2k-startline-"));
  const stubs = join(root, "bin");
  const release = join(root, "srv", "ledger", "current");
  mkdirSync(stubs, { recursive: true });
  mkdirSync(join(release, "log"), { recursive: true });
  // Each variable printed as x<value> when set, empty when not: an empty value and no value differ.
  const printVars = VARS.map((v) => `\${${v}+x\$${v}}`).map((e) => `"${e}"`).join(" ");
  writeFileSync(join(stubs, "bundle"), `#!/bin/sh\nprintf '%s\\0' ${printVars} "$PWD" bundle "$@"\n`);
  chmodSync(join(stubs, "bundle"), 0o755);
  return { stubs, release };
}

const pick = (ws: string[]) => ws.includes("bundle");

describe("a start line wrapped in a shell, read as real sh runs it", () => {
  const { stubs, release } = stubDir();
  const LINES = [
    `/bin/sh -c 'cd ${release} && RAILS_ENV=production QUEUE=mail,low bundle exec rake jobs:work'`,
    `bash -c "cd ${release} && exec bundle exec rake resque:work COUNT=2 'QUEUE=low priority'"`,
    `sh -c 'cd ${release}; export QUEUES=a\\ b INTERVAL=0.5; nohup bundle exec rake resque:work 2>> log/resque.log'`,
    `sh -c "cd ${release} && QUEUE=\\"mail\\" bundle exec rake jobs:work NOTE=\\"a\\\\zb\\" back\\\\slash"`,
    `cd ${release} && bundle exec rake jobs:work QUEUE=a\\,b "x\\\\y" 'it''s' ''`,
    `env QUEUE=reports /bin/sh -c 'cd ${release} && bundle exec rake jobs:work'`,
    // An assignment before `exec` reaches the program exec runs.
    `/bin/sh -c 'cd ${release} && QUEUE=mail exec bundle exec rake jobs:work'`,
  ];
  for (const line of LINES)
    it(line.replace(release, "<release>"), () => {
      const real = realRun(line, stubs);
      expect(real.dir).toBe(release);
      const r = readStartLine(line, pick);
      expect("unknown" in r ? r.unknown : null).toBeNull();
      if ("unknown" in r) return;
      expect(r.words).toEqual(real.words);
      // RAILS_ENV is the stage's (its ConfigMap), not the line's: the rest are what the process saw.
      expect(Object.fromEntries(Object.entries(r.env).filter(([k]) => VARS.includes(k)))).toEqual(real.env);
      expect(r.notes.join("; ")).toMatch(/is the release: the image's app directory/);
    });

  it("a background `&` and a log redirect are left out, said: the pod runs it in the foreground", () => {
    const r = readStartLine("bundle exec rake resque:work --trace >> log/resque.log 2>&1 &", pick);
    expect("words" in r && r.words).toEqual(["bundle", "exec", "rake", "resque:work", "--trace"]);
    expect("notes" in r && r.notes.join("; ")).toMatch(/left out `>> log\/resque\.log`, `>&1`, `&` \(the background and log files of the servers/);
    // After a descriptor's duplication the words are the command's again, as real sh reads them.
    const { stubs } = stubDir();
    const line = "bundle exec rake jobs:work 2>&1 QUEUE=after";
    const real = realRun(line, stubs);
    const r2 = readStartLine(line, pick);
    expect("words" in r2 && r2.words).toEqual(real.words);
  });

  it("su and sudo wrappers come off the same way", () => {
    for (const line of [`su - deploy -c 'cd /srv/ledger/current && QUEUE=mail bundle exec rake jobs:work'`, `sudo -u deploy -H sh -c "cd /srv/ledger/current && QUEUE=mail bundle exec rake jobs:work"`, `/usr/bin/sudo /bin/su - deploy -c 'cd #{current_path} && QUEUE=mail bundle exec rake jobs:work' deploy`]) {
      const r = readStartLine(line, pick);
      expect(r, line).toEqual({ words: ["bundle", "exec", "rake", "jobs:work"], env: { QUEUE: "mail" }, notes: expect.any(Array) });
    }
  });

  it("what the servers' shell filled in, or a cd elsewhere, is said, not guessed", () => {
    const why = (l: string) => {
      const r = readStartLine(l, pick);
      return "unknown" in r ? r.unknown : null;
    };
    expect(why(`sh -c 'cd /tmp && bundle exec rake jobs:work'`)).toMatch(/`cd \/tmp` changes to a directory that is not the release/);
    expect(why(`sh -c 'cd $APP && bundle exec rake jobs:work'`)).toMatch(/`cd \$APP` changes to a directory the servers' shell fills in/);
    expect(why(`sh -c 'cd /srv/a/current && QUEUE=$Q bundle exec rake jobs:work'`)).toMatch(/QUEUE's value `\$Q` is filled in by the servers' shell/);
    // The outer shell fills `${Q}` in before the inner one reads its script: the whole script is the servers'.
    expect(why(`sh -c "cd /srv/a/current && bundle exec rake jobs:work QUEUE=\${Q}"`)).toMatch(/QUEUE=\$\{Q\}` is filled in by the servers' shell/);
    // In single quotes of the inner line a `$` is a plain character.
    expect(why(`sh -c "cd /srv/a/current && bundle exec rake jobs:work 'QUEUE=\\$x'"`)).toBeNull();
    expect(why(`sh -c 'bundle exec rake jobs:work | logger'`)).toMatch(/shell syntax is not read/);
    // The servers' Ruby placement is the image's own: left out, said.
    const r = readStartLine(`/bin/sh -l -c 'cd /srv/a/current && PATH=/opt/rbenv/shims:$PATH RBENV_ROOT=/opt/rbenv QUEUE=mail bundle exec rake jobs:work'`, pick);
    expect(r).toEqual({ words: ["bundle", "exec", "rake", "jobs:work"], env: { QUEUE: "mail" }, notes: expect.arrayContaining([expect.stringMatching(/left out PATH, RBENV_ROOT/)]) });
    // So is the servers' `rbenv exec` (rbenv is not installed here: its `exec` runs the rest as the command).
    const rb = readStartLine(`/home/deploy/.rbenv/bin/rbenv exec bundle exec rake jobs:work QUEUE=mail`, pick);
    expect(rb).toEqual({ words: ["bundle", "exec", "rake", "jobs:work", "QUEUE=mail"], env: {}, notes: [expect.stringMatching(/^left out `\/home\/deploy\/\.rbenv\/bin\/rbenv exec` \(the servers' Ruby/)] });
  });
});

describe("a monit file's wrapped start program is the worker's command", () => {
  const app = (start: string) =>
    pluginApp(
      "",
      { production: 'server "j1.ledger.example.org", roles: %w[web app db]\n' },
      { "config/monit/jobs.monitrc": `check process dj_mail\n  with pidfile /srv/ledger/shared/pids/dj_mail.pid\n  start program = "${start}" with timeout 60 seconds\n` },
      { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" },
      "",
    );

  it("the queue and the command from inside `su - deploy -c '…'`, the cd into the release said", async () => {
    const m = await analyzeFiles(app("/bin/su - deploy -c 'cd /srv/ledger/current && RAILS_ENV=production QUEUE=mail bundle exec rake jobs:work'"), "ledger");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.commandFrom).toBe("service");
    expect(w.args).toEqual(["bundle", "exec", "rake", "jobs:work"]);
    expect(w.env).toEqual({ QUEUE: "mail" });
    expect(w.queues).toEqual(["mail"]);
    expect(w.commandNote).toMatch(/`cd \/srv\/ledger\/current` is the release/);
  });

  it("a cd elsewhere stays the standard command, named with the file and line", async () => {
    const m = await analyzeFiles(app("/bin/sh -c 'cd /opt/jobs && QUEUE=mail bundle exec rake jobs:work'"), "ledger");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.commandFrom).toBe("standard");
    expect(w.commandNote).toMatch(/config\/monit\/jobs\.monitrc:3 .*`cd \/opt\/jobs` changes to a directory that is not the release/);
  });

  it("a credential the line exports goes through the secret path, not the worker's env", async () => {
    const m = await analyzeFiles(app("/bin/sh -c 'cd /srv/ledger/current; export MAILGUN_API_KEY=key-7f3a9c2e1b8d4f6a0e5c9b2d7a1f3e8c; QUEUE=mail bundle exec rake jobs:work'"), "ledger");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.args).toEqual(["bundle", "exec", "rake", "jobs:work"]);
    expect(w.env).toEqual({ QUEUE: "mail" });
    expect(JSON.stringify(w.commandNote ?? "")).not.toContain("key-7f3a");
    expect(m.problems.some((p) => /sets MAILGUN_API_KEY, which looks like a secret/.test(p.message))).toBe(true);
  });
});

describe("input redirects", () => {
  // A daemon started with `</dev/null` read nothing; the pod's process has no input either. Any
  // other input redirect feeds the process a file of the servers: not read.
  it("`</dev/null` is left out like an output redirect; `< file` is not read", () => {
    const pick = (ws: string[]) => ws.includes("resque:work");
    const ok = readStartLine("nohup bundle exec rake environment resque:work >> log/jobs.log 2>&1 </dev/null &", pick, ["PIDFILE", "BACKGROUND"]);
    expect("words" in ok && ok.words).toEqual(["bundle", "exec", "rake", "environment", "resque:work"]);
    expect("notes" in ok && ok.notes.join("; ")).toMatch(/<\/dev\/null/);
    const spaced = readStartLine("bundle exec rake resque:work < /dev/null", pick);
    expect("words" in spaced && spaced.words).toEqual(["bundle", "exec", "rake", "resque:work"]);
    expect(readStartLine("bundle exec rake resque:work < queues.txt", pick)).toHaveProperty("unknown");
    expect(readStartLine("bundle exec rake resque:work </dev/nullx", pick)).toHaveProperty("unknown");
  });
});
