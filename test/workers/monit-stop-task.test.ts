// Resque workers that monit keeps up and the deploy bounces by stopping them: a Capistrano 2 task on
// :worker, hooked after deploy:restart, runs a repo script that QUITs every resque process, and a monit
// file kept at a path no name rule knows (ops/supervise/kiln-jobs) starts them again through a repo
// script with QUEUE set. Before, "nothing in the repo starts its workers". Now the worker runs the
// script's line in the foreground with the check's queues, on the task's roles, and the monit file's
// copy on the servers is named as what to compare. Judged by real tools: Ruby records the roles
// Capistrano 2's `task(name, options)` gives the task, and /bin/sh runs the start program (with the
// release path pointed at a scratch copy) to show the environment the script gets.
// monit itself is not installed here, so `monit -t` does not judge the check's syntax.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const RECIPE = `namespace :jobs do
  desc "Bounce the queue workers; monit brings them back"
  task :bounce, :roles => :worker do
    run "#{current_path}/script/halt_jobs"
  end
end

after "deploy:restart", "jobs:bounce"
`;
const START = `/bin/bash -c 'HOME=/home/kiln SLOT=1 QUEUE=mailers,imports /srv/kiln/current/script/jobs_up'`;
const MONIT = `check process kiln_jobs_1
  with pidfile /srv/kiln/current/tmp/pids/jobs_1.pid
  start program = "${START}" as uid kiln and gid kiln
  stop program = "/bin/bash -c 'kill -QUIT $(cat /srv/kiln/current/tmp/pids/jobs_1.pid)'"
`;
const JOBS_UP = `#!/bin/bash
: "\${QUEUE:?set QUEUE}"
cd "$(dirname "$0")/.."
nohup bundle exec rake environment resque:work >> log/jobs_$SLOT.log 2>&1 </dev/null &
echo $! > tmp/pids/jobs_$SLOT.pid
`;
const HALT = `#!/bin/bash
pids=$(ps -e -o pid,command | grep [r]esque | awk '{print $1}')
[ -n "$pids" ] && kill -QUIT $pids
exit 0
`;
const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    rails (4.2.11)\n    resque (1.27.4)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano (~> 2.15)\n  rails\n  resque\n";
const FILES = (recipe: string) => ({
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "resque"\ngem "capistrano", "~> 2.15"\n',
  "Gemfile.lock": LOCK,
  "config/deploy.rb": 'set :application, "kiln"\nset :deploy_to, "/srv/kiln"\nset :repository, "git@example.com:acme/kiln.git"\nserver "kiln-web.example.net", :web, :app, :db, :primary => true\nserver "kiln-q1.example.net", :worker\nserver "kiln-q2.example.net", :worker\nload "config/deploy/jobs"\n',
  "config/deploy/jobs.rb": recipe,
  "ops/supervise/kiln-jobs": MONIT,
  "script/jobs_up": JOBS_UP,
  "script/halt_jobs": HALT,
});

beforeAll(async () => {
  await initPrism();
});

describe("a monit check the deploy ties by stopping what it watches", () => {
  it("runs the script's line with the check's queues, on the stopping task's roles", async () => {
    // Capistrano 2's own reading of the task's roles.
    const stub = `$t = {}; $ns = []
def namespace(n); $ns.push(n); yield; $ns.pop; end
def task(name, opts = {}, &b); $t[[*$ns, name].join(":")] = Array(opts[:roles]).map(&:to_s); end
def desc(*) = nil
def after(*) = nil
load ARGV[0]
puts $t.to_json`;
    const dir = mkdtempSync(join(tmpdir(), "r2k-monit-stop-"));
    writeFileSync(join(dir, "jobs.rb"), RECIPE);
    const r = spawnSync("ruby", ["-rjson", "-e", stub, join(dir, "jobs.rb")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const roles: string[] = JSON.parse(r.stdout)["jobs:bounce"];
    expect(roles).toEqual(["worker"]);

    // What the script gets from the start program: /bin/sh runs it against a scratch release whose
    // script prints its environment instead of starting Resque.
    mkdirSync(join(dir, "current", "script"), { recursive: true });
    const probe = join(dir, "current", "script", "jobs_up");
    writeFileSync(probe, '#!/bin/sh\necho "QUEUE=$QUEUE SLOT=$SLOT HOME=$HOME"\n');
    chmodSync(probe, 0o755);
    const sh = spawnSync("/bin/sh", ["-c", START.replace("/srv/kiln/current", join(dir, "current"))], { encoding: "utf8" });
    expect(sh.stdout.trim()).toBe("QUEUE=mailers,imports SLOT=1 HOME=/home/kiln");

    const m = await analyzeFiles(memoryRepo(FILES(RECIPE)), "kiln");
    const w = m.workers!.find((x) => x.backend === "resque")!;
    expect(w.carried).toBe(true);
    expect(w.notStarted).toBeUndefined();
    expect(w.args).toEqual(["bundle", "exec", "rake", "environment", "resque:work"]);
    // The queue as the check set it; the servers' HOME is not the pod's.
    expect(w.env).toEqual({ SLOT: "1", QUEUE: "mailers,imports" });
    expect(w.queues).toEqual(["mailers", "imports"]);
    expect(w.roles).toEqual(roles);
    expect(w.rolesGuessed).toBeUndefined();
    expect(w.commandSource).toEqual({ file: "script/jobs_up", line: 4 });
    expect(w.commandNote).toContain("left out: nohup, HOME (the servers' account)");
    const st = Object.values(w.perStage!)[0]!;
    expect(st.processes).toBe(1);
    expect(st.why).toContain("task jobs:bounce (hooked at config/deploy/jobs.rb:8; config/deploy/jobs.rb:4 runs script/halt_jobs, whose line 3 signals them)");
    const warn = m.problems.find((p) => p.file === "ops/supervise/kiln-jobs" && p.line === 3)!;
    expect(warn.message).toContain("nothing in the deploy puts ops/supervise/kiln-jobs on the servers");
  });

  it("without the hook nothing in the deploy stops them: the monit file is not tied to the deploy", async () => {
    const m = await analyzeFiles(memoryRepo(FILES(RECIPE.replace('after "deploy:restart", "jobs:bounce"', ""))), "kiln");
    const w = m.workers!.find((x) => x.backend === "resque")!;
    // Only the :worker role says it ran: the backend's standard command, not the check's.
    expect(w.commandFrom).toBe("standard");
    expect(w.perStage).toBeUndefined();
    expect(m.problems.some((p) => p.file === "ops/supervise/kiln-jobs")).toBe(false);
  });
});
