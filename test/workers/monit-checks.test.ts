// Monit checks the deploy starts are the workers the servers ran (analyzers/workers/monit-checks.ts):
// - a monit file per stage (config/deploy/monit/<stage>.monitrc) copied by a task on roles(:web) that
//   then restarts monit: each stage gets its own file's Shoryuken command in the foreground
//   (config from the release path mapped to the repo file, the queues with their weights), the drain
//   from that config, replicas on that task's role;
// - an ERB monit template whose start programs are `fetch(:x) % {cmd: 'start'}` (a server's init
//   script named for delayed_job: the name is what ties it to the backend), started by name (`monit start …`) from a hooked task on :db: a
//   delayed_job worker on :db, two processes per server, its unknown queues said.
// Real Ruby renders the template; the apps, files and the monit password are made up for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";

const monitrc = (stage: string, queues: string) => `set daemon 60
set httpd port 2812 and
    use address 0.0.0.0
    allow ops:"Qz7-not-a-real-pass"

check process shoryuken
  with pidfile /srv/ledger/shared/pids/shoryuken.pid
  start program = "/usr/bin/sudo /bin/su - ledger -c 'cd /srv/ledger/current && RAILS_ENV=${stage} bundle exec shoryuken --daemon --pidfile /srv/ledger/shared/pids/shoryuken.pid --logfile /srv/ledger/shared/log/shoryuken.log --config /srv/ledger/current/config/shoryuken.yml --rails --queues ${queues}'" with timeout 40 seconds
  stop program = "/usr/bin/sudo /bin/su - ledger -c '/bin/kill -TERM \`/bin/cat /srv/ledger/shared/pids/shoryuken.pid\`'"
`;

const SHORYUKEN_DEPLOY = `set :deploy_to, "/srv/ledger"
namespace :deploy do
  task :bounce_monit do
    on roles(:web) do
      execute "sudo cp #{current_path}/config/deploy/monit/#{fetch(:stage)}.monitrc /etc/monit/monitrc"
      execute "sudo service monit restart"
    end
  end
end
after "deploy:publishing", "deploy:bounce_monit"
`;

describe("a Shoryuken monit file per stage", () => {
  it("each stage runs its own file's command in the foreground, with its queues, the config's drain, on the copying task's role", async () => {
    const m = await analyzeFiles(
      pluginApp(
        SHORYUKEN_DEPLOY,
        {
          production: 'server "a1.ledger.example.org", roles: %w[web]\nserver "a2.ledger.example.org", roles: %w[web worker]\n',
          staging: 'server "s1.ledger.example.org", roles: %w[web worker]\n',
        },
        {
          "config/deploy/monit/production.monitrc": monitrc("production", "jobs_prod,3 mail_prod,1"),
          "config/deploy/monit/staging.monitrc": monitrc("staging", "jobs_stage,3 mail_stage,1"),
          "config/shoryuken.yml": "concurrency: 10\ntimeout: 25\n",
        },
        { shoryuken: "3.2.2" },
        "",
      ),
      "ledger",
    );
    const ws = m.workers!.filter((w) => w.backend === "shoryuken");
    expect(ws.map((w) => w.args.join(" "))).toEqual([
      "bundle exec shoryuken -C config/shoryuken.yml --rails --queues jobs_prod,3 mail_prod,1",
      "bundle exec shoryuken -C config/shoryuken.yml --rails --queues jobs_stage,3 mail_stage,1",
    ]);
    expect(ws.map((w) => w.queues)).toEqual([["jobs_prod", "mail_prod"], ["jobs_stage", "mail_stage"]]);
    for (const w of ws) {
      expect(w.carried).toBe(true);
      expect(w.env).toEqual({});
      expect(w.roles).toEqual(["web"]);
      expect(w.stopTimeout).toEqual({ seconds: 25, source: { file: "config/shoryuken.yml", line: 2 } });
    }
    expect(Object.keys(ws[0]!.perStage!)).toEqual(["production"]);
    expect(Object.keys(ws[1]!.perStage!)).toEqual(["staging"]);
    expect(ws[0]!.perStage!["production"]!.processes).toBe(1);
    // monit's line says where its checks came from and which worker carries each.
    const monit = m.uncarried!.find((u) => u.name === "monit")!;
    expect(monit.why).toContain("config/deploy/monit/production.monitrc, which config/deploy.rb:7 puts on the servers");
    expect(monit.why).toContain(`is carried as worker \`${ws[0]!.name}\``);
    expect(monit.why).not.toContain("on the servers, not in the repo");
    expect(JSON.stringify(m)).not.toContain("Qz7-not-a-real-pass");
  });
});

const TEMPLATE = `check process delayed_job_main with pidfile <%= shared_path %>/tmp/pids/delayed_job_main.pid
start program = "<%= fetch(:delayed_job_main_cmd) % {cmd: 'start'} %>"
stop  program = "<%= fetch(:delayed_job_main_cmd) % {cmd: 'stop'} %>"

check process delayed_job_images with pidfile <%= shared_path %>/tmp/pids/delayed_job_images.pid
start program = "<%= fetch(:delayed_job_images_cmd) % {cmd: 'start'} %>"
stop  program = "<%= fetch(:delayed_job_images_cmd) % {cmd: 'stop'} %>"
`;

const JOBS_TASKS = `namespace :jobs do
  task :start do
    on roles(:db) do
      execute :sudo, 'monit start delayed_job_main'
      execute :sudo, 'monit start delayed_job_images'
    end
  end
end
`;

/** Real ERB, with Capistrano's fetch standing in for the stage's values. */
function rendered(vars: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), "monit-checks-"));
  writeFileSync(join(dir, "t.erb"), TEMPLATE);
  const defs = `V = ${JSON.stringify(vars)}; def fetch(k); V.fetch(k); end; def shared_path; "/srv/harbor/shared"; end`;
  const r = spawnSync("ruby", ["-rerb", "-e", `${defs}; print ERB.new(File.read(ARGV[0])).result(binding)`, join(dir, "t.erb")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return [...r.stdout.matchAll(/start program = "([^"]*)"/g)].map((x) => x[1]!);
}

describe("an ERB monit template whose checks run a server's delayed_job scripts", () => {
  it("is a delayed_job worker on the role the deploy starts the checks on, one process per check, its queues said unknown", async () => {
    const stage = 'server "h1.harbor.example.org", roles: %w{web app db}\nset :delayed_job_main_cmd, "/etc/init.d/delayed_job_main %{cmd}"\nset :delayed_job_images_cmd, "/etc/init.d/delayed_job_images %{cmd}"\n';
    const m = await analyzeFiles(
      pluginApp(
        'set :deploy_to, "/srv/harbor"\nafter "deploy:publishing", "jobs:start"\n',
        { production: stage },
        { "lib/capistrano/tasks/jobs.rake": JOBS_TASKS, "config/deploy/templates/dj.monitrc.erb": TEMPLATE },
        { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" },
        "",
      ),
      "harbor",
    );
    const starts = rendered({ delayed_job_main_cmd: "/etc/init.d/delayed_job_main %{cmd}", delayed_job_images_cmd: "/etc/init.d/delayed_job_images %{cmd}" });
    expect(starts).toEqual(["/etc/init.d/delayed_job_main start", "/etc/init.d/delayed_job_images start"]);
    const ws = m.workers!.filter((w) => w.backend === "delayed-job");
    expect(ws).toHaveLength(1);
    const w = ws[0]!;
    expect(w.carried, `${w.why} ${JSON.stringify(w.evidence)}`).toBe(true);
    expect(w.notStarted).toBeUndefined();
    expect(w.args).toEqual(["bundle", "exec", "rake", "jobs:work"]);
    expect(w.roles).toEqual(["db"]);
    expect(w.perStage!["production"]!.processes).toBe(2);
    // The analysis renders the same start programs as Ruby's ERB.
    for (const s of starts) expect(w.evidence.map((e) => e.value).join("\n")).toContain(`starts ${s}`);
    const warned = m.problems.filter((p) => p.file === "config/deploy/templates/dj.monitrc.erb").map((p) => p.message);
    expect(warned).toHaveLength(2);
    expect(warned[0]).toContain("`/etc/init.d/delayed_job_main start`, a program of the servers");
  });
});
