// delayed_job's own daemon script as the servers ran it through the wrappers around it (`su -c`,
// `sudo -u … bash -lc`, `cd … &&`): its options are carried onto `script/delayed_job run`, the
// foreground form a container needs, and its counts (-n, --pool, a god loop, one monit block per
// worker) become replicas. Options and their meaning: delayed_job lib/delayed/command.rb
// (Delayed::Command#initialize's OptionParser, #daemonize, #setup_pools). The apps are this test's own.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { readDelayedJobScript, scriptLiteral } from "../../analyzers/workers/delayed-job-script.js";
import { unwrapCommand } from "../../src/model/service-managers.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import { pluginApp } from "./app.js";
import { redactModel } from "../../src/redact.js";

const dj = { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8", daemons: "1.4.1" };
const stages = { production: 'server "j1.parcel.example.org", roles: %w[jobs]\nserver "j2.parcel.example.org", roles: %w[jobs]\nserver "w1.parcel.example.org", roles: %w[web app db]\nset :rails_env, "production"\n' };
const SCRIPT = { "bin/delayed_job": "#!/usr/bin/env ruby\nrequire_relative '../config/environment'\nrequire 'delayed/command'\nDelayed::Command.new(ARGV).daemonize\n" };

const GOD = `APP_ROOT = "/srv/parcel/current"

3.times do |n|
  God.watch do |w|
    w.name = "parcel-dj-#{n}"
    w.stop_timeout = 40.seconds
    w.start = "/bin/su - parcel -c 'cd #{APP_ROOT} && RAILS_ENV=#{ENV['RAILS_ENV']} bundle exec bin/delayed_job --queues=mail,import --min-priority 2 start -i #{n}'"
    w.keepalive
  end
end
`;

const monitBlock = (i: number) => `check process parcel_dj_${i} with pidfile /srv/parcel/shared/tmp/pids/delayed_job.${i}.pid
  start program = "/usr/bin/sudo -u parcel -H /bin/bash -lc 'cd /srv/parcel/current && RAILS_ENV=production bin/delayed_job --pool=mail:2 --pool=*:1 --exit-on-complete -i ${i} start'" as uid parcel
  stop program = "/usr/bin/sudo -u parcel -H /bin/bash -lc 'cd /srv/parcel/current && bin/delayed_job -i ${i} stop'"
`;

describe("delayed_job's script through wrappers", () => {
  it("god: su -c and cd && are read through; start becomes run; -i dropped; the loop's 3 is processes per server", async () => {
    const m = await analyzeFiles(pluginApp("", stages, { "config/god/dj.god": GOD, ...SCRIPT }, dj, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.args).toEqual(["bundle", "exec", "bin/delayed_job", "run", "--queues=mail,import", "--min-priority", "2"]);
    expect([w.commandFrom, w.commandSource, w.queues]).toEqual(["service", { file: "config/god/dj.god", line: 7 }, ["mail", "import"]]);
    expect(w.commandNote).toMatch(/Daemons to fork into the background.*the pod runs bin\/delayed_job run, the same worker in the foreground/);
    // god loads the file as Ruby: the first watch's `-i #{n}` is `-i 0`
    expect(w.commandNote).toMatch(/left out `-i 0`/);
    expect(w.processesPerServer).toMatchObject({ value: 3, source: { file: "config/god/dj.god", line: 7 } });
    expect(w.stopTimeout).toEqual({ seconds: 40, source: { file: "config/god/dj.god", line: 6 } });
    const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
    expect(spec.stages.map((s) => s.replicas)).toEqual([6]);
  });

  it("monit: one block per -i adds up; --pool entries are Deployments of their own; --exit-on-complete dropped because monit restarted it", async () => {
    const m = await analyzeFiles(pluginApp("", stages, { "config/monit/delayed_job.monitrc": [0, 1].map(monitBlock).join("\n"), ...SCRIPT }, dj, ""), "parcel");
    const ws = m.workers!.filter((x) => x.backend === "delayed-job");
    expect(ws.map((w) => [w.name, w.args.slice(3), w.processesPerServer?.value])).toEqual([
      ["worker-delayed-job-mail", ["run", "--queues=mail"], 4],
      ["worker-delayed-job-all", ["run"], 2],
    ]);
    expect(ws[0]!.commandNote).toMatch(/--exit-on-complete` left out: .*monit started it again/);
    expect(m.problems.some((p) => p.file === "config/monit/delayed_job.monitrc" && p.line === 2 && /--exit-on-complete/.test(p.message))).toBe(true);
  });

  it("a systemd unit with --exit-on-complete and no Restart=: not carried as written, said", async () => {
    const unit = "[Service]\nUser=parcel\nWorkingDirectory=/srv/parcel/current\nExecStart=/bin/bash -lc 'bin/delayed_job -n 2 --exit-on-complete start'\n";
    const m = await analyzeFiles(pluginApp("", stages, { "config/systemd/parcel-dj.service": unit, ...SCRIPT }, dj, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.commandFrom).toBe("standard");
    expect(w.commandSource).toEqual({ file: "config/systemd/parcel-dj.service", line: 4 });
    expect(w.commandNote).toMatch(/^config\/systemd\/parcel-dj\.service:4 runs the repo's delayed_job script, but its `--exit-on-complete` stops the worker/);
    expect(m.problems.some((p) => p.file === "config/systemd/parcel-dj.service" && /nothing here starts it again/.test(p.message))).toBe(true);
  });

  it("the team's own deploy task: -n and --sleep-delay read from its run line", async () => {
    const deploy = 'namespace :delayed_job do\n  task :restart do\n    on roles(:jobs) do\n      execute "cd #{current_path} && RAILS_ENV=#{fetch(:rails_env)} bin/delayed_job -n 2 --sleep-delay 15 restart"\n    end\n  end\nend\n';
    const m = await analyzeFiles(pluginApp(deploy, stages, SCRIPT, dj, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.args).toEqual(["bundle", "exec", "bin/delayed_job", "run", "--sleep-delay", "15"]);
    expect(w.commandFrom).toBe("capistrano");
    expect(w.processesPerServer).toMatchObject({ value: 2, why: expect.stringMatching(/restarts -n 2/) });
    const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
    expect(spec.stages.map((s) => s.replicas)).toEqual([4]);
  });
});

describe("delayed_job's script in a deploy task of another name", () => {
  it("its start and restart lines are the same workers: -n 3 is 3 per server, not 6", async () => {
    const deploy = 'namespace :dj do\n  task :start do\n    run "cd #{current_path} && RAILS_ENV=#{rails_env} bin/delayed_job -n 3 --queues=mail start"\n  end\n  task :restart do\n    run "cd #{current_path} && RAILS_ENV=#{rails_env} bin/delayed_job -n 3 --queues=mail restart"\n  end\n  task :stop do\n    run "cd #{current_path} && bin/delayed_job stop"\n  end\nend\nafter "deploy:restart", "dj:restart"\n';
    const m = await analyzeFiles(pluginApp(deploy, stages, SCRIPT, dj, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect([w.carried, w.args, w.commandSource]).toEqual([true, ["bundle", "exec", "bin/delayed_job", "run", "--queues=mail"], { file: "config/deploy.rb", line: 5 }]);
    expect(w.processesPerServer?.value).toBe(3);
  });
});

describe("what a worker's line sets before the script", () => {
  it("a credential on the line is named, and its value reaches neither the worker's env nor the model", async () => {
    const unit = "[Service]\nRestart=always\nExecStart=/bin/bash -lc 'cd /srv/parcel/current && DATABASE_PASSWORD=c0rrectH0rse9 SMTP_PASSWORD=b4tt3ry-st4ple QUEUE_LOG=verbose bin/delayed_job run --queues=mail'\n";
    const m = await analyzeFiles(pluginApp("", stages, { "config/systemd/parcel-dj.service": unit, ...SCRIPT }, dj, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.env).toEqual({ QUEUE_LOG: "verbose" });
    // The line itself stays evidence; what the report and MIGRATION.md show of it is redacted.
    expect(JSON.stringify(redactModel(m))).not.toMatch(/c0rrectH0rse9|b4tt3ry-st4ple/);
    expect(m.problems.find((p) => /DATABASE_PASSWORD, SMTP_PASSWORD, which look like secrets/.test(p.message))).toMatchObject({ file: "config/systemd/parcel-dj.service", line: 3 });
  });

  it("a count no server ran (-n or a pool above 1000) is not a count: the standard command, with the reason", async () => {
    for (const line of ["bin/delayed_job -n 100000000000000000000 start", "bin/delayed_job --pool=mail:5000 start"]) {
      const unit = `[Service]\nRestart=always\nExecStart=/bin/bash -lc 'cd /srv/parcel/current && ${line}'\n`;
      const m = await analyzeFiles(pluginApp("", stages, { "config/systemd/parcel-dj.service": unit, ...SCRIPT }, dj, ""), "parcel");
      const w = m.workers!.find((x) => x.backend === "delayed-job")!;
      expect(w.commandFrom).toBe("standard");
      expect(w.commandNote).toMatch(/is not a whole number from 0 to 1000/);
      const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
      expect(spec.stages.every((s) => typeof s.replicas === "number" && s.replicas <= 1000)).toBe(true);
    }
  });
});

describe("reading the script's line", () => {
  const paths = ["script/delayed_job", "bin/delayed_job"];
  it("Delayed::Command's options", () => {
    const r = (l: string) => readDelayedJobScript(l, paths);
    expect(r("script/delayed_job -n3 --max-priority=5 start")).toMatchObject({ pools: [{ count: 3, args: ["bundle", "exec", "script/delayed_job", "run", "--max-priority", "5"] }] });
    expect(r("script/delayed_job --queue=a start")).toMatchObject({ pools: [{ queues: ["a"], count: 1 }], countWhy: "1 worker (Delayed::Command's default)" });
    expect(r("script/delayed_job --pool=a,b --pool=*:3 -n 9 start")).toMatchObject({ pools: [{ queues: ["a", "b"], count: 1 }, { queues: [], count: 3 }], countWhy: expect.stringMatching(/-n 9 is unused with pools/) });
    expect(r("script/delayed_job -m --pid-dir=/var/run/dj -p parcel run")).toMatchObject({ verb: "run", dropped: ["-m", "--pid-dir=/var/run/dj", "-p parcel"] });
    expect(r("script/delayed_job -i 1 stop")).toBeNull();
    expect(r("script/delayed_job -n 2 -i 1 start")).toEqual({ unknown: expect.stringMatching(/ArgumentError/) });
    expect(r("script/delayed_job --queues=#{fetch(:q)} start")).toEqual({ unknown: expect.stringMatching(/queues/) });
    expect(r("script/delayed_job --frobnicate start")).toEqual({ unknown: expect.stringMatching(/not an option/) });
    expect(r("lib/delayed_job start")).toBeNull();
    expect(r("/srv/x/current/vendor/delayed_job start")).toBeNull();
    expect(r("ruby /srv/x/current/script/delayed_job start")).toMatchObject({ script: "script/delayed_job" });
    expect(r("script/delayed_job start | logger")).toEqual({ unknown: expect.stringMatching(/shell syntax/) });
  });

  it("wrappers", () => {
    const pick = (ws: string[]) => ws.some((w) => /delayed_job$/.test(w));
    const u = (l: string) => unwrapCommand(l, pick)?.words.join(" ") ?? null;
    expect(u(`/bin/su -c 'RAILS_ENV=#{ENV['RAILS_ENV']} /usr/bin/ruby #{root}/script/delayed_job start -i #{num}' - rails`)).toBe("RAILS_ENV=#{ENV['RAILS_ENV']} /usr/bin/ruby #{root}/script/delayed_job start -i #{num}");
    expect(u(`sudo -iu app bash -lc "cd /srv/app/current && exec bin/delayed_job run >> log/dj.log 2>&1"`)).toBe("bin/delayed_job run");
    expect(u(`su - app -c "source ~/.profile; cd /srv/app; nohup env A=1 bin/delayed_job start &"`)).toBe("A=1 bin/delayed_job start");
    expect(u(`cd /srv/app && bin/delayed_job stop && bin/delayed_job start`)).toBeNull();
    expect(u(`bash -c 'unterminated`)).toBeNull();
    expect(scriptLiteral(`run "cd #{current_path} && RAILS_ENV=#{fetch(:stage)} script/delayed_job start"`)).toBe("cd #{current_path} && RAILS_ENV=#{fetch(:stage)} script/delayed_job start");
    expect(scriptLiteral(`execute "cd #{fetch(:deploy_to, "x")}/current && bin/delayed_job start"`)).toBe(`cd #{fetch(:deploy_to, 'x')}/current && bin/delayed_job start`);
  });
});

describe("a team's delayed_job task whose script line is commented out", () => {
  // The task once ran the script and now starts an upstart job; the comment is not its command.
  const TASK = `namespace :delayed_job do
  task :start do
    on roles(:app) do
      # execute :bundle, :exec, :'bin/delayed_job', :start
      execute "sudo initctl start parcel_jobs"
    end
  end
end
`;
  it("is not read as the task's command", async () => {
    const m = await analyzeFiles(pluginApp("", stages, { "lib/capistrano/tasks/dj.rake": TASK, ...SCRIPT }, dj, 'Dir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n'), "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.commandSource).not.toEqual({ file: "lib/capistrano/tasks/dj.rake", line: 4 });
    expect(w.evidence.map((e) => e.value).join("\n")).not.toMatch(/# execute/);
  });
});

describe("a development Procfile next to the deploy's own delayed_job task", () => {
  // The deploy restarts the script through rbenv; the Procfile (a dev server, a dev bundler) is run by no deploy line.
  const TASK = `namespace :delayed_job do
  task :restart do
    on roles(:app) do
      within release_path do
        execute *%w[RAILS_ENV=production $HOME/.rbenv/bin/rbenv exec ruby ./bin/delayed_job restart]
      end
    end
  end
end
`;
  const PROCFILE = "web: bundle exec rails server -p 3000 -P tmp/pids/dev_server.pid\nassets: ./bin/vite dev\njobs: bundle exec rake jobs:work\n";
  const files = (extra: Record<string, string>) => ({ "lib/capistrano/tasks/dj.rake": TASK, Procfile: PROCFILE, ...SCRIPT, ...extra });
  const capfile = 'Dir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n';

  it("the deploy's line decides the command (its script, not rbenv's bin/rbenv), and the note says why the Procfile did not", async () => {
    const m = await analyzeFiles(pluginApp('after "deploy:publishing", "delayed_job:restart"\n', stages, files({}), dj, capfile), "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect(w.args).toEqual(["bundle", "exec", "bin/delayed_job", "run"]);
    expect(w.commandSource).toEqual({ file: "lib/capistrano/tasks/dj.rake", line: 5 });
    expect(w.commandNote).toMatch(/Procfile:3 is in a Procfile no deploy line runs \(no foreman or other Procfile runner\), so it did not decide the command/);
  });

  it("a deploy that runs the Procfile through foreman keeps its line", async () => {
    const m = await analyzeFiles(pluginApp('after "deploy:publishing", "delayed_job:restart"\ntask(:procs) { on(roles(:app)) { execute "cd #{release_path} && foreman start -f Procfile" } }\n', stages, files({}), dj, capfile), "parcel");
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect([w.commandFrom, w.args]).toEqual(["procfile", ["bundle", "exec", "rake", "jobs:work"]]);
  });
});
