// Resque workers started by init scripts the repo keeps beside the web server's, under monit, which the
// deploy restarts as a group (scout s26 findings 2 and 3: a real repo's resque-pool and resque-scheduler
// were reported as "nothing in the repo starts its workers" while the unicorn script in the same folder
// was the web server's evidence, and the scheduler's 15-minute job, set in a rake file from a linked
// schedule whose only repo copy is a .sample, was named nowhere).
// The app is written here: "orchard", a harvest planner deployed by Capistrano 3 to /srv/orchard. Its
// init scripts keep the command in variables (`DAEMON=bundle`, `DAEMON_OPTS="exec …"`) and run
// `$DAEMON $DAEMON_OPTS`; what we read is checked against real bash running the script's start with a
// recording `bundle`, and the example schedule's jobs against Ruby's own YAML.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { renderReport } from "../../src/report.js";
import type { AppModel } from "../../src/model.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { lock } from "./app.js";

const guide = (m: AppModel) => {
  const answers = defaultAnswers(m, {});
  return emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
};

/** A Debian-style init script: its command in variables at the top, `$DAEMON $DAEMON_OPTS` in its start branch. */
const initScript = (name: string, opts: string, extra = "") => `#!/bin/bash
### BEGIN INIT INFO
# Provides:          ${name}
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: ${name} for the harvest planner
### END INIT INFO

ORCHARD=/srv/orchard
PIDS=$ORCHARD/shared/pids
DAEMON=bundle
DAEMON_OPTS="${opts}"
${extra}
cd $ORCHARD/current
case "$1" in
  start)
    echo -n "Starting ${name}: "
    $DAEMON $DAEMON_OPTS
    echo "done."
    ;;
  stop)
    kill -QUIT \`cat $PIDS/${name}.pid\`
    ;;
  *)
    echo "Usage: ${name} {start|stop}" >&2
    exit 1
    ;;
esac
exit 0
`;

const POOL_SCRIPT = initScript("orchard_pool", "exec resque-pool -c $ORCHARD/current/config/pool.yml -E production -d --pidfile $PIDS/orchard_pool.pid");
const SCHEDULER_SCRIPT = initScript("orchard_clock", "exec rake resque:scheduler", "export BACKGROUND=yes\nexport PIDFILE=$PIDS/orchard_clock.pid\n");
const WEB_SCRIPT = initScript("orchard_web", "exec unicorn -c $ORCHARD/current/config/unicorn.rb -E production -D");

const DEPLOY = `set :application, "orchard"
set :repo_url, "git@git.example.org:farm/orchard.git"
set :deploy_to, "/srv/orchard"
set :linked_files, %w{
  config/database.yml
  config/resque_schedule.yml
}

namespace :deploy do
  desc "Lay out the Resque pool from the crop types"
  after :finished, :lay_out_pool do
    on roles(:app) do
      within release_path do
        rake "pool:lay_out"
      end
    end
  end

  desc "Bounce the app's monitored processes"
  after :lay_out_pool, :bounce do
    on roles(:app) do
      execute :sudo, *%w(monit -g orchard_app restart all)
    end
  end
end
`;

const MONITRC = `set daemon 60

check process orchard_web with pidfile /srv/orchard/shared/pids/unicorn.pid
  start program = "/etc/init.d/orchard_web start"
  stop program = "/etc/init.d/orchard_web stop"
  group orchard_app

check process orchard_pool with pidfile /srv/orchard/shared/pids/orchard_pool.pid
  start program = "/etc/init.d/orchard_pool start"
  stop program = "/etc/init.d/orchard_pool stop"
  group orchard_app

check process orchard_clock with pidfile /srv/orchard/shared/pids/orchard_clock.pid
  start program = "/etc/init.d/orchard_clock start"
  stop program = "/etc/init.d/orchard_clock stop"
  group orchard_app
`;

const POOL_RAKE = `namespace :pool do
  desc "Write the pool layout: one worker per crop queue"
  task :lay_out => :environment do
    layout = { "default" => 1 }
    CropType.find_each { |t| layout[t.queue_name] = 1 }
    File.write(Rails.root.join("config", "pool.yml"), layout.to_yaml)
  end
end
`;

const SCHEDULE_RAKE = `require "resque/tasks"
require "resque/scheduler/tasks"

namespace :resque do
  task :setup => :environment

  task :setup_schedule => :setup do
    require "resque-scheduler"
    Resque.schedule = YAML.load_file(Rails.root.join("config/resque_schedule.yml"))
  end

  task :scheduler_setup => :setup_schedule
end
`;

const SCHEDULE_EXAMPLE = `# copy to config/resque_schedule.yml on each server
ripeness_sweep:
  cron: "*/10 * * * *"
  class: "Jobs::RipenessSweep"
  queue: default
  description: "Marks ripe rows"
frost_alerts:
  every: "1h"
  class: "Jobs::FrostAlerts"
  queue: alerts
`;

const GEMS = { rails: "6.1.7", unicorn: "6.1.0", pg: "1.5.6", resque: "2.6.0", "resque-pool": "0.7.1", "resque-scheduler": "4.10.2" };

function orchard(over: Record<string, string | null> = {}) {
  const files: Record<string, string | null> = {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/rails"\n',
    "config/deploy.rb": DEPLOY,
    "config/deploy/production.rb": 'server "app1.orchard.example.org", roles: %w[web app db]\nset :rails_env, "production"\n',
    Gemfile: `source "https://rubygems.org"\n${Object.keys(GEMS).map((g) => `gem "${g}"`).join("\n")}\n`,
    "Gemfile.lock": lock(GEMS),
    "config/unicorn.rb": "worker_processes 3\ntimeout 30\n",
    "config/server/init.d/orchard_web": WEB_SCRIPT,
    "config/server/init.d/orchard_pool": POOL_SCRIPT,
    "config/server/init.d/orchard_clock": SCHEDULER_SCRIPT,
    "config/server/monit/orchard.monitrc": MONITRC,
    "lib/tasks/pool.rake": POOL_RAKE,
    "lib/tasks/resque.rake": SCHEDULE_RAKE,
    "config/resque_schedule.yml.sample": SCHEDULE_EXAMPLE,
    ...over,
  };
  return memoryRepo(Object.fromEntries(Object.entries(files).filter((e): e is [string, string] => e[1] !== null)));
}

const lineOf = (text: string, re: RegExp) => text.split("\n").findIndex((l) => re.test(l)) + 1;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Real bash runs the script's start branch with a `bundle` on PATH that records its arguments. */
function bashStart(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-orchard-init-"));
  dirs.push(dir);
  writeFileSync(join(dir, "bundle"), `#!/bin/sh\nprintf '%s\\n' "bundle $*" > "${dir}/ran"\n`);
  chmodSync(join(dir, "bundle"), 0o755);
  writeFileSync(join(dir, "script"), script);
  execFileSync("bash", [join(dir, "script"), "start"], { env: { PATH: `${dir}:/usr/bin:/bin` }, stdio: "ignore" });
  return readFileSync(join(dir, "ran"), "utf8").trim();
}

describe("resque-pool and resque-scheduler started by init scripts under monit", () => {
  it("both are the deploy's workers, read from the scripts' start branches, with who started them", async () => {
    const m = await analyzeFiles(orchard(), "orchard");
    expect(m.webServer?.kind).toBe("unicorn");
    const sched = m.workers!.find((w) => w.backend === "resque-scheduler")!;
    expect(sched.carried).toBe(true);
    expect(sched.notStarted).toBeUndefined();
    expect(sched.args).toEqual(["bundle", "exec", "rake", "resque:scheduler"]);
    const startLine = lineOf(SCHEDULER_SCRIPT, /^\s+\$DAEMON \$DAEMON_OPTS/);
    expect(sched.commandSource).toEqual({ file: "config/server/init.d/orchard_clock", line: startLine });
    const ev = sched.evidence.map((e) => `${e.value} @ ${e.source.file}:${e.source.line}`);
    expect(ev).toContain(`a monit check starts it (/etc/init.d/orchard_clock) @ config/server/monit/orchard.monitrc:${lineOf(MONITRC, /orchard_clock start/)}`);
    expect(ev.some((e) => e.startsWith("the deploy restarts monit group orchard_app") && e.endsWith(`config/deploy.rb:${lineOf(DEPLOY, /monit -g/)}`))).toBe(true);
    // BACKGROUND=yes would fork the scheduler away from the pod's main process: said, not carried.
    expect(sched.env).toEqual({});
    expect(ev.some((e) => /exports BACKGROUND, PIDFILE .*not carried/.test(e))).toBe(true);
    // No false reason for either backend.
    expect(m.workers!.filter((w) => /nothing in the repo starts its workers/.test(w.why ?? ""))).toEqual([]);
    expect(renderReport(m, { color: false })).not.toMatch(/nothing in the repo starts (?:its workers|resque-pool)/);
  });

  it("the pool's config is the one its -c names, written at deploy time by the repo's rake task: named, and the pool not carried as a daemon", async () => {
    const m = await analyzeFiles(orchard(), "orchard");
    const pool = m.workers!.filter((w) => w.backend === "resque");
    expect(pool).toHaveLength(1);
    const w = pool[0]!;
    expect(w.carried).toBe(false);
    expect(w.why).toContain("resque-pool reads config/pool.yml");
    expect(w.why).toContain(`rake pool:lay_out (lib/tasks/pool.rake:${lineOf(POOL_RAKE, /task :lay_out/)}) writes it (lib/tasks/pool.rake:${lineOf(POOL_RAKE, /File\.write/)})`);
    expect(w.why).toContain(`the deploy runs it (config/deploy.rb:${lineOf(DEPLOY, /rake "pool:lay_out"/)})`);
    // Its command as the pod would run it: in the foreground, the repo's path, no pid file.
    expect(w.args).toEqual(["bundle", "exec", "resque-pool", "-c", "config/pool.yml", "-E", "production"]);
    const warned = m.problems.filter((p) => /resque-pool/.test(p.message));
    expect(warned.map((p) => p.message.split(":")[0])).toEqual(["workers.pool-config-generated"]);
    expect(m.problems.some((p) => /config\/resque-pool\.yml is not in the repo/.test(p.message))).toBe(false);
    const md = guide(m);
    expect(md).toMatch(/\*\*Not carried\*\*: Resque: resque-pool reads config\/pool\.yml/);
  });

  it("what we read from the scripts is what real bash runs", async () => {
    const m = await analyzeFiles(orchard(), "orchard");
    const said = (file: string) => m.workers!.flatMap((w) => w.evidence).find((e) => e.source.file === file && /^bundle /.test(e.value))!.value;
    expect(said("config/server/init.d/orchard_clock")).toBe(bashStart(SCHEDULER_SCRIPT));
    expect(said("config/server/init.d/orchard_pool")).toBe(bashStart(POOL_SCRIPT));
  });
});

describe("resque-scheduler's schedule set in a rake file", () => {
  it("linked from the servers with only a .sample in the repo: the servers' copy is named, the example's jobs are listed on the scheduler and in MIGRATION.md", async () => {
    const m = await analyzeFiles(orchard(), "orchard");
    const sched = m.workers!.find((w) => w.backend === "resque-scheduler")!;
    const at = { file: "lib/tasks/resque.rake", line: lineOf(SCHEDULE_RAKE, /Resque\.schedule =/) };
    const said = sched.evidence.find((e) => /scheduled jobs? of config\/resque_schedule\.yml/.test(e.value))!;
    expect(said.source).toEqual(at);
    expect(said.value).toContain(`the schedule is the servers' copy, linked from the servers at config/deploy.rb:${lineOf(DEPLOY, /set :linked_files/)}`);
    expect(said.value).toContain("the repo's example config/resque_schedule.yml.sample lists");
    // The job names are Ruby's own reading of the example.
    const dir = mkdtempSync(join(tmpdir(), "r2k-orchard-yaml-"));
    dirs.push(dir);
    writeFileSync(join(dir, "s.yml"), SCHEDULE_EXAMPLE);
    const names = execFileSync("ruby", ["-ryaml", "-e", "puts YAML.load_file(ARGV[0]).keys", join(dir, "s.yml")], { encoding: "utf8" }).trim().split("\n");
    expect(names).toEqual(["ripeness_sweep", "frost_alerts"]);
    for (const n of names) expect(said.value).toContain(n);
    expect(said.value).toContain('ripeness_sweep cron "*/10 * * * *" → Jobs::RipenessSweep');
    expect(said.value).toMatch(/^2 scheduled jobs of/);
    expect(m.problems.some((p) => p.file === at.file && p.line === at.line && /in-worker-schedule-servers-copy: .*confirm them against the servers' file/.test(p.message))).toBe(true);
    const md = guide(m);
    expect(md).toContain("It also runs 2 scheduled jobs of config/resque_schedule.yml");
    expect(md).toContain("frost_alerts every");
  });

  it("a schedule file the repo holds (not linked) is read as is; one it lacks entirely is named, its jobs not known", async () => {
    const held = await analyzeFiles(orchard({ "config/deploy.rb": DEPLOY.replace("  config/resque_schedule.yml\n", ""), "config/resque_schedule.yml": SCHEDULE_EXAMPLE, "config/resque_schedule.yml.sample": null }), "orchard");
    const s1 = held.workers!.find((w) => w.backend === "resque-scheduler")!;
    expect(s1.evidence.map((e) => e.value)).toContain('2 scheduled jobs of config/resque_schedule.yml (resque-scheduler: ripeness_sweep cron "*/10 * * * *" → Jobs::RipenessSweep, frost_alerts every "1h" → Jobs::FrostAlerts) run inside this worker');
    const none = await analyzeFiles(orchard({ "config/resque_schedule.yml.sample": null }), "orchard");
    const s2 = none.workers!.find((w) => w.backend === "resque-scheduler")!;
    expect(s2.evidence.some((e) => /the scheduled jobs of config\/resque_schedule\.yml .*no example of it is in the repo: which jobs, is not known/.test(e.value))).toBe(true);
    expect(none.problems.some((p) => /in-worker-schedule-servers-copy: .*the scheduled jobs that ran are not known/.test(p.message))).toBe(true);
  });
});
