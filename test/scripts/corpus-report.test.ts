// The practice-corpus judgements (scripts/corpus/report.mjs) on hand-made results: no corpus, no
// tools; the runner that feeds them real outputs is scripts/corpus.mjs.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// A plain .mjs script module (no type declarations; the tests are not type-checked by tsc).
import * as report from "../../scripts/corpus/report.mjs";

const { compareCapistrano, summariseModel, compareUnicorn, compareWhenever, cronLines, countKinds, crashOf, plainValue, summaryLine, table, overlayName } = report;

const summary = (stages: { name: string; servers: { host: string; roles: string[] }[] }[]) => ({ stages, appServers: [] });

describe("Capistrano comparison", () => {
  const ours = summary([{ name: "production", servers: [{ host: "a.example.org", roles: ["app", "web"] }] }]);

  it("agrees when stages, hosts and roles are the same (role order aside)", () => {
    expect(compareCapistrano(ours, ["production"], { production: [{ host: "a.example.org", roles: ["web", "app"] }] })).toEqual({ verdict: "agree", details: [] });
  });

  it("names a missed stage, a missed host and a role difference", () => {
    expect(compareCapistrano(ours, ["production", "staging"], { production: [{ host: "a.example.org", roles: ["app"] }] }).details).toEqual([
      "stages missed: staging",
      "production: a.example.org roles app,web vs cap app",
    ]);
    const r = compareCapistrano(ours, ["production"], { production: [{ host: "b.example.org", roles: ["app"] }, { host: "a.example.org", roles: ["app", "web"] }] });
    expect(r.verdict).toBe("disagree");
    expect(r.details[0]).toMatch(/^production: hosts 1 vs cap 2 \(b\.example\.org missed/);
  });

  it("a stage the analysis left without an overlay (no servers) is still one of cap's stages, and its servers must be none", () => {
    const withEmpty = { ...ours, stagesWithoutServers: ["development"] };
    const prod = { production: [{ host: "a.example.org", roles: ["app", "web"] }] };
    expect(compareCapistrano(withEmpty, ["production", "development"], { ...prod, development: [] })).toEqual({ verdict: "agree", details: [] });
    expect(compareCapistrano(withEmpty, ["production", "development"], { ...prod, development: [{ host: "d.example.org", roles: ["app"] }] }).details).toEqual([
      "development: hosts 0 vs cap 1 (d.example.org missed; - extra)",
    ]);
  });

  it("is not applicable when cap could not run at all, and says why", () => {
    expect(compareCapistrano(ours, null, {}, "LoadError: x")).toEqual({ verdict: "n.a.", details: ["cap: LoadError: x"] });
    expect(compareCapistrano(ours, ["production"], { production: { error: "boom" } })).toEqual({ verdict: "n.a.", details: ["production: cap failed (boom)"] });
  });
});

describe("a stage cap fails on for a file the repo does not hold", () => {
  // LifeMessager's shape: deploy.rb reads ./config/<app>.yml at load, a gitignored file of the
  // deploying machine, so those stages fail under cap; another stage loads.
  const inRepo = new Set(["config/deploy.rb", "config/database.yml.example"]);
  const exists = (rel: string) => inRepo.has(rel);
  const enoent = (path: string) => `Errno::ENOENT: No such file or directory @ rb_sysopen - ${path}`;

  it("finds the path cap could not open, relative to the repo, when the repo does not have it", () => {
    expect(report.fileNotInRepo(enoent("./config/mailer.yml"), exists)).toBe("config/mailer.yml");
    expect(report.fileNotInRepo(enoent("config/../config/mailer.yml"), exists)).toBe("config/mailer.yml");
    expect(report.fileNotInRepo(enoent("/tmp/scratch/cap/config/mailer.yml"), exists, "/tmp/scratch/cap")).toBe("config/mailer.yml");
    // Out of the repo: a file of the deploying machine.
    expect(report.fileNotInRepo(enoent("/etc/deploy/keys.yml"), exists, "/tmp/scratch/cap")).toBe("/etc/deploy/keys.yml");
    expect(report.fileNotInRepo(enoent("../shared/keys.yml"), exists)).toBe("../shared/keys.yml");
    expect(report.fileNotInRepo(`${enoent("./config/mailer.yml")}   `, exists)).toBe("config/mailer.yml");
  });

  it("is null for a file the repo has, and for any other failure", () => {
    expect(report.fileNotInRepo(enoent("./config/deploy.rb"), exists)).toBeNull();
    expect(report.fileNotInRepo(enoent("/tmp/scratch/cap/config/deploy.rb"), exists, "/tmp/scratch/cap")).toBeNull();
    expect(report.fileNotInRepo("Errno::EACCES: Permission denied @ rb_sysopen - ./config/mailer.yml", exists)).toBeNull();
    expect(report.fileNotInRepo("NameError: uninitialized constant Foo", exists)).toBeNull();
    expect(report.fileNotInRepo(null, exists)).toBeNull();
  });

  it("names the .gitignore line that ignores the file itself", () => {
    expect(report.ignoreLine("# secrets\n/log\n/config/mailer.yml\n", "config/mailer.yml")).toBe(3);
    expect(report.ignoreLine("config/mailer.yml\n", "config/mailer.yml")).toBe(1);
    expect(report.ignoreLine("*.yml\n", "config/mailer.yml")).toBeNull();
  });

  const ours = summary([
    { name: "production", servers: [] },
    { name: "staging", servers: [{ host: "stage.example.org", roles: ["app", "web"] }] },
  ]);
  const failed = { error: enoent("./config/mailer.yml"), notInRepo: "config/mailer.yml", ignoredAt: ".gitignore:3" };

  it("is not a disagreement: that stage is n.a. with the reason, and the others are judged as usual", () => {
    const r = compareCapistrano(ours, ["production", "staging"], { production: failed, staging: [{ host: "stage.example.org", roles: ["web", "app"] }] });
    expect(r).toEqual({
      verdict: "agree",
      details: ["production: n.a., cap could not read config/mailer.yml, which is not in the repo (.gitignore:3 ignores it): a file of the deploying machine (Errno::ENOENT: No such file or directory @ rb_sysopen - ./config/mailer.yml)"],
    });
    const wrong = compareCapistrano(ours, ["production", "staging"], { production: failed, staging: [{ host: "other.example.org", roles: ["web", "app"] }] });
    expect(wrong.verdict).toBe("disagree");
  });

  it("every stage failing so is n.a.; a failure on a file the repo has is still a disagreement", () => {
    expect(compareCapistrano(ours, ["production", "staging"], { production: failed, staging: failed }).verdict).toBe("n.a.");
    const plain = compareCapistrano(ours, ["production", "staging"], { production: { error: enoent("./config/deploy.rb") }, staging: [{ host: "stage.example.org", roles: ["web", "app"] }] });
    expect(plain).toEqual({ verdict: "disagree", details: ["production: cap failed (Errno::ENOENT: No such file or directory @ rb_sysopen - ./config/deploy.rb)"] });
  });
});

describe("a stage cap aborts on", () => {
  // As analyze --json writes it: one stage with servers, one whose file cap aborts on (hr-dash's `{ KEY: }`).
  const model = (abort: boolean) => ({
    stages: [{ name: "vagrant", servers: [{ host: "192.0.2.10", roles: ["app", "db", "web"] }] }],
    stagesWithoutServers: [{ name: "production", source: { file: "config/deploy/production.rb", line: 1 }, ...(abort ? { capAborts: { message: "cap.constant-unknown-at-load: …", source: { file: "config/deploy/production.rb", line: 39 } } } : {}) }],
  });
  const cap = { vagrant: [{ host: "192.0.2.10", roles: ["web", "app", "db"] }], production: { error: "NameError: uninitialized constant SECRET_KEY_BASE" } };

  it("agrees when the analysis names the abort and cap fails too, saying so", () => {
    const summary = summariseModel(model(true));
    expect(summary.capAborts).toEqual({ production: "config/deploy/production.rb:39" });
    expect(compareCapistrano(summary, ["vagrant", "production"], cap)).toEqual({
      verdict: "agree",
      details: ["production: cap fails, as the tool says (config/deploy/production.rb:39): NameError: uninitialized constant SECRET_KEY_BASE"],
    });
  });

  it("still disagrees when the analysis did not name it, or named an abort cap does not have", () => {
    expect(compareCapistrano(summariseModel(model(false)), ["vagrant", "production"], cap)).toEqual({ verdict: "disagree", details: ["production: cap failed (NameError: uninitialized constant SECRET_KEY_BASE)"] });
    expect(compareCapistrano(summariseModel(model(true)), ["vagrant", "production"], { ...cap, production: [] })).toEqual({
      verdict: "disagree",
      details: ["production: the tool says cap aborts (config/deploy/production.rb:39), but cap loaded the stage"],
    });
  });

  it("a stage with servers that the analysis says cap aborts on counts the same way", () => {
    const m = { stages: [{ name: "beta", servers: [{ host: "b.example.org", roles: ["app"] }], capAborts: { message: "cap3.plugin-after-defaults: …", source: { file: "config/deploy/beta.rb", line: 2 } } }] };
    expect(compareCapistrano(summariseModel(m), ["beta"], { beta: { error: "LoadError" } }).verdict).toBe("agree");
  });
});

describe("Unicorn comparison", () => {
  const u = (workers: unknown, timeout: unknown) => ({ kind: "unicorn", file: "config/unicorn.rb", workers, timeout });

  it("reads an ENV default as the oracle does (ENV unset) and compares numbers", () => {
    const workers = plainValue({ env: "WEB_CONCURRENCY", default: "3", ruby: "to_i" });
    expect(workers).toBe(3);
    expect(compareUnicorn([u(workers, 60)], [{ worker_processes: 3, timeout: 60 }]).verdict).toBe("agree");
  });

  it("disagrees on another number or an unknown, and is n.a. when Unicorn could not read the file", () => {
    expect(compareUnicorn([u(1, 60)], [{ worker_processes: 8, timeout: 60 }]).details).toEqual(["config/unicorn.rb: workers 1 vs unicorn 8"]);
    expect(compareUnicorn([u({ unknown: "x" }, 60)], [{ worker_processes: 2, timeout: 60 }]).verdict).toBe("disagree");
    expect(compareUnicorn([u(1, 60)], [{ error: "LoadError" }]).verdict).toBe("n.a.");
  });

  it("a value Unicorn computes from the servers' machine or an unstated RAILS_ENV: unknown agrees, a number disagrees", () => {
    const host = { worker_processes: 4, timeout: 60, depends: { worker_processes: "the servers' machine (a shell command or /proc read at boot)" } };
    expect(compareUnicorn([u({ unknown: "x" }, 60)], [host])).toEqual({ verdict: "agree", details: ["config/unicorn.rb: workers unknown, as Unicorn's depends on the servers' machine (a shell command or /proc read at boot)"] });
    expect(compareUnicorn([u(4, 60)], [host]).verdict).toBe("disagree");
    const env = { worker_processes: 2, timeout: 45, depends: { worker_processes: "RAILS_ENV, which the deploy does not state" } };
    expect(compareUnicorn([u({ unknown: "x" }, 45)], [env]).verdict).toBe("agree");
    expect(compareUnicorn([u(2, 45)], [env]).details).toEqual(["config/unicorn.rb: workers 2 vs unicorn depends on RAILS_ENV, which the deploy does not state"]);
  });
});

describe("the corpus's Unicorn reader (scripts/corpus/unicorn_read.rb, real Unicorn)", () => {
  const read = (configs: (string | { text: string; env: string })[]) => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-corpus-unicorn-"));
    const input = configs.map((c, i) => {
      const path = join(dir, `u${i}.rb`);
      writeFileSync(path, typeof c === "string" ? c : c.text);
      return typeof c === "string" ? path : { path, env: c.env };
    });
    const r = spawnSync("ruby", [join(import.meta.dirname, "../../scripts/corpus/unicorn_read.rb")], { input: JSON.stringify(input), encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it("says which values depend on the machine or on RAILS_ENV, and only those", () => {
    const [cpu, env, envGiven, plain] = read([
      "n = `grep -c ^processor /proc/cpuinfo`.to_i\nworker_processes 2 * n\ntimeout 600\n",
      'worker_processes(ENV["RAILS_ENV"] == "production" ? 8 : 2)\ntimeout 45\n',
      { text: 'worker_processes(ENV["RAILS_ENV"] == "production" ? 8 : 2)\n', env: "production" },
      "worker_processes 3\n",
    ]);
    expect(cpu.depends).toEqual({ worker_processes: "the servers' machine (a shell command or /proc read at boot)" });
    expect(cpu.timeout).toBe(600);
    expect(env).toMatchObject({ timeout: 45, depends: { worker_processes: "RAILS_ENV, which the deploy does not state" } });
    expect(envGiven).toEqual({ worker_processes: 8, timeout: 60 });
    expect(plain).toEqual({ worker_processes: 3, timeout: 60 });
  });
});

describe("whenever comparison", () => {
  it("counts only job lines of whenever's crontab", () => {
    const crontab = ["", "PATH=/usr/bin", "# Begin Whenever", "0 21 * * 2 /bin/bash -l -c 'x'", "@reboot /bin/bash -l -c 'y'", "## [message] Above is your schedule"].join("\n");
    expect(cronLines(crontab)).toHaveLength(2);
  });

  it("agrees on equal counts, names each stage that differs", () => {
    expect(compareWhenever([{ stage: "production", lines: 1, cronJobs: 1 }]).verdict).toBe("agree");
    expect(compareWhenever([{ stage: "production", lines: 1, cronJobs: 1 }, { stage: "staging", lines: 0, cronJobs: 1 }])).toEqual({
      verdict: "disagree",
      details: ["staging: 0 cron lines vs 1 CronJobs"],
    });
    expect(compareWhenever([{ stage: "production", lines: null, error: "NameError", cronJobs: 1 }]).verdict).toBe("n.a.");
  });

  it("a CronJob under an undecided condition counts whether or not whenever printed its line, never beyond", () => {
    for (const lines of [2, 3]) expect(compareWhenever([{ stage: "production", lines, cronJobs: 2, undecided: 1 }]).verdict).toBe("agree");
    expect(compareWhenever([{ stage: "production", lines: 4, cronJobs: 2, undecided: 1 }]).details).toEqual(["production: 4 cron lines vs 2 CronJobs (+1 under an undecided condition)"]);
    expect(compareWhenever([{ stage: "production", lines: 1, cronJobs: 2, undecided: 1 }]).verdict).toBe("disagree");
  });
});

describe("runs, kinds, names", () => {
  it("calls a stack trace, a timeout or an unexpected exit a crash; 0 and 2 are not", () => {
    expect(crashOf({ status: 2, stderr: "config/deploy.rb:3: bad" })).toBeNull();
    expect(crashOf({ status: 1, stderr: "TypeError: x\n    at f (/a/b.js:1:2)" })).toBe("stack trace");
    expect(crashOf({ status: null, timedOut: true, stderr: "" })).toBe("timeout");
    expect(crashOf({ status: 1, stderr: "" })).toBe("exit 1");
  });

  it("counts top-level kinds only", () => {
    expect(countKinds("kind: Deployment\nspec:\n  kind: CronJob\n---\nkind: CronJob\n---\nkind: Deployment\n")).toEqual({ Deployment: 2, CronJob: 1 });
  });

  it("maps stage names to overlay folders", () => {
    expect(overlayName("production_primary")).toBe("production-primary");
  });
});

describe("table and summary", () => {
  const results = [
    {
      repo: "a|b",
      crashes: [],
      analyzeJson: { status: 0, ms: 1200 },
      analyzeText: { status: 0, ms: 900 },
      summary: { stages: [{ name: "production", servers: [{}, {}] }], webServer: "unicorn", appServers: [{ kind: "unicorn", workers: 4 }], gaps: 3, hazards: 2, problems: 1 },
      migrate: { status: 0, ms: 1000 },
      overlays: [{ name: "production", kinds: { Deployment: 2, CronJob: 1 } }],
      cap: { verdict: "agree", details: [] },
      unicorn: { verdict: "disagree", details: ["config/unicorn.rb: workers 1 vs unicorn 8"] },
      whenever: { verdict: "n.a.", details: [] },
    },
    { repo: "c", crashes: ["migrate: timeout"], analyzeJson: { status: 0, ms: 1 }, summary: null },
  ];

  it("writes one escaped row per repo", () => {
    const lines = table(results).split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain("| a\\|b | 0/0 (1.2/0.9) | production | 2 | unicorn (unicorn:4) | 3/2/1 | 0 (1.0) | 1/1 | production 2/1 | agree | disagree | n.a. | - | unicorn: config/unicorn.rb: workers 1 vs unicorn 8 |");
    expect(lines[3]).toContain("| migrate: timeout |");
  });

  it("counts repos, crashes and disagreements per oracle", () => {
    expect(summaryLine(results)).toBe("Summary: 2 repos, 1 with crashes, 1 oracle disagreements (cap 0/1, unicorn 1/1, whenever 0/0 repos disagreeing/compared).");
  });
});

describe("whenever's @reboot lines", () => {
  it("are compared apart: the tool leaves them out on purpose", () => {
    expect(compareWhenever([{ stage: "production", lines: 2, reboot: 1, cronJobs: 1 }]).verdict).toBe("agree");
    expect(compareWhenever([{ stage: "production", lines: 3, reboot: 1, cronJobs: 1 }]).details).toEqual(["production: 2 cron lines vs 1 CronJobs (+1 @reboot, left out by design)"]);
  });
});

describe("whenever against the CronJobs that run", () => {
  const { cronJobsOf, lineSchedule } = report;

  it("reads each CronJob's schedule and suspension from kustomize output", () => {
    const built = [
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bakery-config\n",
      'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: bakery-preheat\nspec:\n  schedule: "10 5 * * *"\n',
      "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: bakery-invoices\nspec:\n  schedule: 0 21 * * 1\n  suspend: true\n",
      "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: bakery-oven-restart\n  annotations:\n    rails2k8s.dev/not-run-on-stage: no server had its roles (one)\nspec:\n  schedule: 5 0 * * *\n  suspend: true\n",
      "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: bakery-export\n  annotations:\n    rails2k8s.dev/undecided-condition: if ENV[\"EXPORT\"] (config/schedule.rb:4)\nspec:\n  schedule: 0 3 * * *\n  suspend: true\n",
    ].join("---\n");
    expect(cronJobsOf(built)).toEqual([
      { name: "bakery-preheat", schedule: "10 5 * * *", suspend: false, notRunOnStage: false, undecided: false },
      { name: "bakery-invoices", schedule: "0 21 * * 1", suspend: true, notRunOnStage: false, undecided: false },
      // The overlay's own reason: whenever wrote no line on this stage, whatever the base suspended it for.
      { name: "bakery-oven-restart", schedule: "5 0 * * *", suspend: true, notRunOnStage: true, undecided: false },
      // Under a condition only the servers decided: whenever may or may not have printed its line.
      { name: "bakery-export", schedule: "0 3 * * *", suspend: true, notRunOnStage: false, undecided: true },
    ]);
    expect(lineSchedule("10 5 * * * /bin/bash -l -c 'x'")).toBe("10 5 * * *");
    expect(lineSchedule("@weekly /bin/bash -l -c 'y'")).toBe("@weekly");
  });

  it("counts suspended CronJobs apart: a stage without the job's line agrees when its CronJob is suspended", () => {
    expect(compareWhenever([{ stage: "staging", lines: 0, cronJobs: 0, suspended: 1, schedules: [], cronJobSchedules: [] }])).toEqual({ verdict: "agree", details: [] });
    expect(compareWhenever([{ stage: "staging", lines: 0, cronJobs: 1, suspended: 1 }]).details).toEqual(["staging: 0 cron lines vs 1 CronJobs (+1 suspended)"]);
  });

  it("equal counts with other schedules disagree, naming what each side has beyond the other", () => {
    const s = { stage: "production", lines: 3, cronJobs: 3, schedules: ["5 0 * * *", "15 0 * * *", "15 0 * * *"], cronJobSchedules: ["5 0 * * *", "15 0 * * *", "30 0 * * *"] };
    expect(compareWhenever([s])).toEqual({ verdict: "disagree", details: ['production: schedules differ: whenever "15 0 * * *" vs CronJobs "30 0 * * *"'] });
    expect(compareWhenever([{ ...s, cronJobSchedules: ["15 0 * * *", "5 0 * * *", "15 0 * * *"] }]).verdict).toBe("agree");
  });
});

describe("Procfile processes against what the overlays run", () => {
  const { compareProcfile, commandMarks, containerCommandsOf } = report;
  const entry = (name: string, command: string, line: number) => ({ name, command, source: { file: "Procfile", line } });

  it("identifies a command by its program and the files and tasks it names", () => {
    expect(commandMarks("RAILS_ENV=production bundle exec ruby lib/oven_watcher.rb --verbose")).toEqual(["ruby", "lib/oven_watcher.rb"]);
    expect(commandMarks("bundle exec rake jobs:work")).toEqual(["rake", "jobs:work"]);
    expect(commandMarks("bin/sidekiq -C ./config/sidekiq.yml")).toEqual(["sidekiq", "config/sidekiq.yml"]);
  });

  it("reads each Deployment container's command line", () => {
    const built = 'kind: Deployment\nmetadata:\n  name: bakery-worker\nspec:\n  template:\n    spec:\n      containers:\n        - name: worker\n          command: ["bundle", "exec"]\n          args: ["rake", "jobs:work"]\n---\nkind: Service\nmetadata:\n  name: bakery-web\n';
    expect(containerCommandsOf(built)).toEqual(["bundle exec rake jobs:work"]);
  });

  it("names each process neither run by a Deployment nor cited in MIGRATION.md", () => {
    const procfile = [entry("web", "bundle exec puma -C config/puma.rb", 1), entry("jobs", "bundle exec rake jobs:work", 2), entry("watcher", "bundle exec ruby lib/oven_watcher.rb", 3)];
    const commands = ["bundle exec puma -C config/puma/kubernetes.rb", "bundle exec rake jobs:work"];
    expect(compareProcfile(procfile, commands, "| `Dockerfile` | web server puma | `Procfile:1` |")).toEqual({
      verdict: "disagree",
      details: ["watcher (Procfile:3: bundle exec ruby lib/oven_watcher.rb) neither run nor named in MIGRATION.md"],
    });
    expect(compareProcfile(procfile, commands, "`Procfile:1` … the watcher at `Procfile:3` has no Deployment").verdict).toBe("agree");
    expect(compareProcfile(procfile, commands, null).verdict).toBe("n.a.");
    // A development Procfile never ran on the servers.
    expect(compareProcfile([{ ...entry("css", "yarn watch:css", 2), source: { file: "Procfile.dev", line: 2 } }], commands, "").verdict).toBe("n.a.");
  });
});
