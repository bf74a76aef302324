// What the servers were seen to start decides the workers (issue 13, corpus findings 1-4): a gem in
// the lockfile alone starts nothing; capistrano-resque's `:workers` follow the stage's roles (also in
// Capistrano 2 multistage, with a key interpolated from another variable); the repo's own start line
// (an upstart template, a Procfile script, the team's delayed_job task) is the command; every other
// process the servers ran is named as not carried. Built with kubectl kustomize.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { EMITTERS } from "../../emitters/index.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { renderReport } from "../../src/report.js";
import type { AppModel } from "../../src/model.js";
import { requireKubectl, removeTrees } from "./kubectl.js";
import { all, emitAndBuild, find } from "./built.js";
import { validateObject } from "./validate.js";
import { defaultAnswers } from "./answers.js";

beforeAll(() => requireKubectl());
afterAll(removeTrees);

const container = (o: any) => o.spec.template.spec.containers[0];
const guide = (m: AppModel) => {
  const answers = defaultAnswers(m, {});
  return emitMigrationGuide(m, answers, EMITTERS.map((e) => ({ name: e.name, result: e.emit(m, answers) }))).content;
};

/** Gemfile + Gemfile.lock: `direct` are asked for in the Gemfile; `specs` lines are written as given (dependencies indented). */
function bundle(direct: string[], specs: string): Record<string, string> {
  return {
    Gemfile: `source "https://rubygems.org"\n${direct.map((g) => `gem "${g}"`).join("\n")}\n`,
    "Gemfile.lock": `GEM\n  remote: https://rubygems.org/\n  specs:\n${specs}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${direct.map((g) => `  ${g}\n`).join("")}\nBUNDLED WITH\n   2.4.22\n`,
  };
}

const PUMA_RAILS = "    puma (6.4.2)\n    rails (7.1.3)\n    pg (1.5.6)\n";

/** A Capistrano 3 app on Puma with two stages; `deploy` is appended to deploy.rb. */
function cap3(extra: Record<string, string>, deploy: string, stages: Record<string, string>, requires: string[] = []): Record<string, string> {
  return {
    Capfile: ['require "capistrano/setup"', 'require "capistrano/deploy"', 'require "capistrano3/puma"', ...requires.map((r) => `require "${r}"`)].join("\n") + "\n",
    "config/deploy.rb": `lock "~> 3.17"\nset :application, "tally"\nset :repo_url, "git@git.example.org:ops/tally.git"\n${deploy}`,
    ...Object.fromEntries(Object.entries(stages).map(([s, t]) => [`config/deploy/${s}.rb`, t])),
    "config/puma.rb": "threads 5, 5\n",
    ...extra,
  };
}

describe("a worker needs evidence it was started (finding 1)", () => {
  it("resque-scheduler pulled in by capistrano-resque, with no role, hook or line of its own: no Deployment and not even a mention", async () => {
    const specs = `${PUMA_RAILS}    capistrano-resque (0.2.3)\n      capistrano\n      resque\n      resque-scheduler\n    resque (2.6.0)\n    resque-scheduler (4.10.2)\n      resque (>= 1.27)\n`;
    const m = await analyzeFiles(
      memoryRepo(
        cap3(bundle(["rails", "puma", "pg", "resque", "capistrano-resque"], specs), 'after "deploy:restart", "resque:restart"\n', {
          production: 'server "box1.tally.example.org", roles: %w[web app db resque_worker]\nset :rails_env, "production"\n',
        }, ["capistrano-resque"]),
      ),
      "tally",
    );
    expect(m.workers!.map((w) => w.backend)).toEqual(["resque"]);
    const { stages } = emitAndBuild(m);
    const deployments = all(stages["production"]!, "Deployment").map((d) => d.metadata.name);
    expect(deployments).toContain("tally-worker-resque-all");
    expect(deployments.some((n) => /scheduler/.test(n))).toBe(false);
    expect(guide(m)).not.toMatch(/resque-scheduler/);
    expect(m.hazards.filter((h) => h.id === "workers.backend-not-migrated")).toEqual([]);
  });

  it("delayed_job asked for in the Gemfile but started by nothing: mentioned with the reason, no Deployment, no hazard", async () => {
    const m = await analyzeFiles(
      memoryRepo(cap3(bundle(["rails", "puma", "pg", "delayed_job"], `${PUMA_RAILS}    delayed_job (4.1.11)\n`), "", { production: 'server "box1.tally.example.org", roles: %w[web app db]\n' })),
      "tally",
    );
    expect(m.workers).toMatchObject([{ backend: "delayed-job", carried: false, notStarted: true }]);
    const { stages } = emitAndBuild(m);
    expect(all(stages["production"]!, "Deployment").map((d) => d.metadata.name)).toEqual(["tally-web"]);
    const md = guide(m);
    expect(md).toMatch(/- delayed_job: no Deployment: delayed_job is in Gemfile\.lock, but nothing in the repo starts its workers/);
    expect(md).not.toMatch(/\*\*Not carried\*\*: delayed_job/);
    expect(m.hazards.filter((h) => h.id === "workers.backend-not-migrated")).toEqual([]);
    expect(renderReport(m, { color: false })).toMatch(/delayed_job: no worker, delayed_job is in Gemfile\.lock/);
  });
});

describe("capistrano-resque in Capistrano 2 multistage (finding 2)", () => {
  it("a key interpolated from :application is evaluated; a stage without the resque_worker role runs 0", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: "load 'deploy'\nload 'config/deploy'\n",
        "config/deploy.rb": [
          'require "capistrano-resque"',
          "set :stages, %w(production staging)",
          'set :default_stage, "staging"',
          "require 'capistrano/ext/multistage'",
          'set :application, "tally"',
          'set :repository, "git@git.example.org:ops/tally.git"',
          'after "deploy:restart", "resque:restart"',
        ].join("\n") + "\n",
        "config/deploy/production.rb": 'role :web, "front.tally.example.org"\nrole :app, "front.tally.example.org"\nrole :db, "front.tally.example.org", :primary => true\nrole :resque_worker, "jobs.tally.example.org"\nset :workers, { "#{application}_mail" => 2 }\n',
        "config/deploy/staging.rb": 'role :web, "stage.tally.example.org"\nrole :app, "stage.tally.example.org"\nrole :db, "stage.tally.example.org", :primary => true\nset :rails_env, "staging"\n',
        "config/unicorn.rb": "worker_processes 2\n",
        ...bundle(["rails", "unicorn", "resque", "capistrano-resque"], "    rails (6.1.7)\n    unicorn (6.1.0)\n    resque (2.6.0)\n    capistrano-resque (0.2.3)\n      resque\n"),
      }),
      "tally",
    );
    const w = m.workers!.filter((x) => x.backend === "resque");
    expect(w.map((x) => x.env["QUEUE"])).toEqual(["tally_mail"]);
    const { stages } = emitAndBuild(m);
    for (const objs of Object.values(stages)) for (const o of objs) validateObject(o);
    const prod = find(stages["production"]!, "Deployment", "-worker-resque-tally-mail");
    expect(container(prod).env).toContainEqual({ name: "QUEUE", value: "tally_mail" });
    expect(prod.spec.replicas).toBe(2);
    expect(find(stages["staging"]!, "Deployment", "-worker-resque-tally-mail").spec.replicas).toBe(0);
    // The plugin's default {"*" => 1} is not invented for staging, which had no resque_worker server.
    expect(all(stages["staging"]!, "Deployment").some((d) => d.metadata.name.endsWith("-worker-resque-all"))).toBe(false);
    expect(guide(m)).toMatch(/staging 0 \(no server of stage staging has the resque_worker role\)/);
  });
});

describe("the repo's own start line is the command (finding 3)", () => {
  it("an upstart template's exec line, a Procfile script that runs delayed_job, and the team's delayed_job:restart task", async () => {
    // An upstart job the deploy installs: its shell heredoc ends in the worker's own command.
    const que = await analyzeFiles(
      memoryRepo(
        cap3(
          {
            ...bundle(["rails", "puma", "pg", "que"], `${PUMA_RAILS}    que (1.4.1)\n`),
            "lib/capistrano/templates/que-worker.conf.erb": 'description "queue worker"\nrespawn\nscript\nexec /bin/bash <<EOT\n  cd <%= current_path %>\n  exec bundle exec rake que:work\nEOT\nend script\n',
          },
          "",
          { production: 'server "box1.tally.example.org", roles: %w[web app db]\n' },
        ),
      ),
      "tally",
    );
    const q = que.workers!.find((w) => w.backend === "que")!;
    expect(q).toMatchObject({ carried: true, args: ["bundle", "exec", "rake", "que:work"], commandFrom: "service", commandSource: { file: "lib/capistrano/templates/que-worker.conf.erb", line: 6 } });
    expect(container(find(emitAndBuild(que).stages["production"]!, "Deployment", "-worker-que")).args).toEqual(["bundle", "exec", "rake", "que:work"]);

    const runner = await analyzeFiles(
      memoryRepo(
        cap3(
          {
            ...bundle(["rails", "puma", "pg", "delayed_job"], `${PUMA_RAILS}    delayed_job (4.1.11)\n`),
            Procfile: "web: bundle exec puma -C config/puma.rb\nloop: bundle exec rails runner script/job_loop.rb\n",
            "script/job_loop.rb": "require_relative 'loop_support'\nLoopSupport.run\n",
            "script/loop_support.rb": "module LoopSupport\n  def self.run\n    Delayed::Worker.new(quiet: true).start\n  end\nend\n",
          },
          "",
          { production: 'server "box1.tally.example.org", roles: %w[web app db]\n' },
        ),
      ),
      "tally",
    );
    const dj = runner.workers!.find((w) => w.backend === "delayed-job")!;
    expect(dj).toMatchObject({ carried: true, args: ["bundle", "exec", "rails", "runner", "script/job_loop.rb"], commandFrom: "procfile", commandSource: { file: "Procfile", line: 2 } });
    expect(dj.evidence.some((e) => e.source.file === "script/loop_support.rb" && e.source.line === 3)).toBe(true);
    expect(runner.uncarried ?? []).toEqual([]);
    expect(container(find(emitAndBuild(runner).stages["production"]!, "Deployment", "-worker-delayed-job")).args).toEqual(["bundle", "exec", "rails", "runner", "script/job_loop.rb"]);

    const task = await analyzeFiles(
      memoryRepo(
        cap3(
          {
            ...bundle(["rails", "puma", "pg", "delayed_job", "daemons"], `${PUMA_RAILS}    delayed_job (4.1.11)\n    daemons (1.4.1)\n`),
            "bin/delayed_job": "#!/usr/bin/env ruby\nrequire File.expand_path('../config/environment', __dir__)\nrequire 'delayed/command'\nDelayed::Command.new(ARGV).daemonize\n",
          },
          [
            "namespace :delayed_job do",
            "  task :restart do",
            "    on roles(:app) do",
            "      within release_path do",
            "        execute :bundle, :exec, :'bin/delayed_job', :restart",
            "      end",
            "    end",
            "  end",
            "end",
            'after "deploy:publishing", "delayed_job:restart"',
          ].join("\n") + "\n",
          { production: 'server "box1.tally.example.org", roles: %w[web app db]\n' },
        ),
      ),
      "tally",
    );
    const own = task.workers!.find((w) => w.backend === "delayed-job")!;
    expect(own).toMatchObject({ carried: true, args: ["bundle", "exec", "bin/delayed_job", "run"], commandSource: { file: "config/deploy.rb", line: 8 } });
    expect(own.evidence.some((e) => /deploy task delayed_job:restart, the repo's own/.test(e.value) && e.source.file === "config/deploy.rb")).toBe(true);
    expect(guide(task)).toMatch(/`bundle exec bin\/delayed_job run`.*config\/deploy\.rb:8/);
  });
});

describe("god starts the Resque workers, not capistrano-resque's hook (finding 3)", () => {
  it("the god file the deploy starts is cited next to :workers", async () => {
    const m = await analyzeFiles(
      memoryRepo(
        cap3(
          {
            ...bundle(["rails", "puma", "pg", "resque", "capistrano-resque"], `${PUMA_RAILS}    resque (2.6.0)
    capistrano-resque (0.2.3)
      resque
`),
            "config/god/jobs.god": 'God.watch do |w|\n  w.name = "jobs"\n  w.start = "rake -f #{ROOT}/Rakefile environment resque:work"\nend\n',
          },
          'set :workers, { "mail" => 1 }\nnamespace :jobs do\n  task :start do\n    on roles(:resque_worker) do\n      execute "god start -c #{current_path}/config/god/jobs.god"\n    end\n  end\nend\nafter "deploy:publishing", "jobs:start"\n',
          { production: 'server "box1.tally.example.org", roles: %w[web app db resque_worker]\n' },
          ["capistrano-resque"],
        ),
      ),
      "tally",
    );
    const w = m.workers!.find((x) => x.backend === "resque")!;
    expect(w.commandNote).toMatch(/resque:start is not hooked into the deploy; the deploy starts config\/god\/jobs\.god \(config\/deploy\.rb:8\), whose line config\/god\/jobs\.god:3/);
    expect(guide(m)).toMatch(/config\/god\/jobs\.god:3/);
  });
});

describe("every process the servers ran is carried or named (finding 4)", () => {
  it("a Procfile process of no known backend, a service the deploy restarts and daemons-rails daemons are **Not carried** with file:line", async () => {
    const m = await analyzeFiles(
      memoryRepo(
        cap3(
          {
            ...bundle(["rails", "puma", "pg", "sidekiq", "daemons-rails"], `${PUMA_RAILS}    sidekiq (7.2.4)\n    daemons-rails (1.2.1)\n`),
            Procfile: "web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq\nfeeds: bundle exec ruby lib/feed_poller.rb\n",
            "lib/feed_poller.rb": "loop { sleep 60 }\n",
            "lib/daemons/ticker_ctl": "#!/usr/bin/env ruby\n",
            "lib/daemons/ticker.rb": "loop { sleep 1 }\n",
          },
          [
            "namespace :services do",
            "  task :restart do",
            "    on roles(:app) do",
            '      execute :sudo, :systemctl, :restart, "tally-puma.service"',
            '      execute :sudo, :systemctl, :restart, "tally-sidekiq"',
            '      execute :sudo, :systemctl, :restart, "tally-mail-bridge.service", raise_on_non_zero_exit: false',
            "      execute :sudo, :systemctl, :restart, :nginx",
            '      execute :sudo, :systemctl, :restart, "#{fetch(:application)}-relay"',
            '      execute :rake, "daemons:start"',
            "    end",
            "  end",
            "end",
          ].join("\n") + "\n",
          { production: 'server "box1.tally.example.org", roles: %w[web app db]\n' },
        ),
      ),
      "tally",
    );
    expect(m.uncarried!.map((u) => [u.name, `${u.source.file}:${u.source.line}`])).toEqual([
      ["feeds", "Procfile:3"],
      ["tally-mail-bridge", "config/deploy.rb:9"],
      // `#{fetch(:application)}-relay`: application is one word on every stage, so the unit is named.
      ["tally-relay", "config/deploy.rb:11"],
      ["ticker", "config/deploy.rb:12"],
    ]);
    const md = guide(m);
    expect(md).toMatch(/\*\*Not carried\*\*: `feeds` \(`bundle exec ruby lib\/feed_poller.rb`, `Procfile:3`\)/);
    expect(md).toMatch(/\*\*Not carried\*\*: `tally-mail-bridge` \([^\n]*`config\/deploy.rb:9`\)/);
    expect(md).toMatch(/\*\*Not carried\*\*: `ticker` /);
    expect(md).toMatch(/keep `feeds`, `tally-mail-bridge`, `tally-relay`, `ticker` running on the servers/);
    const report = renderReport(m, { color: false });
    expect(report).toMatch(/NOT CARRIED: feeds: .*Procfile:3/);
    expect(report).toMatch(/NOT CARRIED: ticker: .*config\/deploy\.rb:12/);
    // The web and Sidekiq lines are the Deployments'.
    const { stages } = emitAndBuild(m);
    expect(all(stages["production"]!, "Deployment").map((d) => d.metadata.name).sort()).toEqual(["tally-web", "tally-worker"]);
  });

  it("a unit is the web server's only by an app server's name; a job backend's name wins; app/web alone is listed as probably the web server", async () => {
    const m = await analyzeFiles(
      memoryRepo(
        cap3(
          { ...bundle(["rails", "puma", "pg", "sidekiq"], `${PUMA_RAILS}    sidekiq (7.2.4)\n`), Procfile: "web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq\n" },
          [
            "namespace :services do",
            "  task :restart do",
            "    on roles(:app) do",
            '      execute "sudo systemctl restart shop-app-notifier"',
            '      execute "sudo systemctl restart shop-web-sidekiq"',
            '      execute "sudo systemctl restart shop-puma"',
            '      execute "sudo systemctl restart shop-web"',
            '      execute "sudo /usr/bin/systemctl restart rails.service"',
            "    end",
            "  end",
            "end",
          ].join("\n") + "\n",
          { production: 'server "box1.tally.example.org", roles: %w[web app db]\n' },
        ),
      ),
      "tally",
    );
    expect(m.uncarried!.map((u) => [u.name, `${u.source.file}:${u.source.line}`])).toEqual([
      ["shop-app-notifier", "config/deploy.rb:7"],
      ["shop-web", "config/deploy.rb:10"],
      ["rails", "config/deploy.rb:11"],
    ]);
    expect(m.uncarried![0]!.why).not.toMatch(/probably the web server/);
    expect(m.uncarried![1]!.why).toMatch(/probably the web server/);
    // A unit named for Rails itself runs the app: the web server, not a lost process.
    expect(m.uncarried![2]!.why).toMatch(/probably the web server/);
  });

  it("daemons:restart without daemons-rails in Gemfile.lock is named by its line, not read as daemons-rails", async () => {
    const m = await analyzeFiles(
      memoryRepo(
        cap3(
          { ...bundle(["rails", "puma", "pg"], PUMA_RAILS), "lib/daemons/ticker_ctl": "#!/usr/bin/env ruby\n" },
          'namespace :deploy do\n  task :daemons do\n    on roles(:app) do\n      execute :rake, "daemons:restart"\n    end\n  end\nend\n',
          { production: 'server "box1.tally.example.org", roles: %w[web app db]\n' },
        ),
      ),
      "tally",
    );
    expect(m.uncarried!.map((u) => [u.name, `${u.source.file}:${u.source.line}`])).toEqual([["daemons:restart", "config/deploy.rb:7"]]);
    expect(m.uncarried![0]!.why).toMatch(/daemons-rails is not in Gemfile\.lock/);
  });

  it("a Heroku-style web line beside the Procfile process the deploy starts with foreman is named as not run", async () => {
    const m = await analyzeFiles(
      memoryRepo(
        cap3(
          {
            ...bundle(["rails", "puma", "pg"], PUMA_RAILS),
            Procfile: "web: bundle exec puma -p $PORT\nweb_daemon: bundle exec puma -C config/puma.rb -d\n",
          },
          'namespace :web do\n  task :start do\n    on roles(:web) do\n      execute "cd #{current_path} && foreman start web_daemon"\n    end\n  end\nend\n',
          { production: 'server "box1.tally.example.org", roles: %w[web app db]\n' },
        ),
      ),
      "tally",
    );
    // The line the deploy starts is the web server's own evidence (analyzers/appserver/foreman.ts): the
    // web Deployment carries it, and its config (-C) is the one read; only Heroku's line is not run.
    expect(m.webServer!.evidence.some((e) => e.source.file === "Procfile" && e.source.line === 2)).toBe(true);
    expect(m.uncarried).toMatchObject([{ name: "web", devOnly: true, source: { file: "Procfile", line: 1 } }]);
    expect(m.uncarried!.length).toBe(1);
    const md = guide(m);
    expect(md).not.toMatch(/keep `web/);
    expect(md).toMatch(/- Not run: `web` \(`bundle exec puma -p \$PORT`, `Procfile:1`\): a web server line the servers did not run: the deploy starts `web_daemon` with foreman/);
  });
});

describe("capistrano-clockwork (a corpus repo's clock process was lost)", () => {
  const specs = `${PUMA_RAILS}    capistrano-clockwork (1.0.1)\n    clockwork (2.0.4)\n    daemons (1.4.1)\n`;
  const app = (deploy: string) =>
    analyzeFiles(
      memoryRepo({
        ...cap3(bundle(["rails", "puma", "pg", "clockwork", "daemons", "capistrano-clockwork"], specs), deploy, {
          production: 'server "box1.tally.example.org", roles: %w[web app db]\nserver "box2.tally.example.org", roles: %w[web app]\nset :rails_env, "production"\n',
          staging: 'server "stage1.tally.example.org", roles: %w[web db]\nset :rails_env, "staging"\n',
        }, ["capistrano/clockwork"]),
        "lib/clockwork.rb": 'require "clockwork"\nmodule Clockwork\n  every(1.hour, "digest") { Digest.deliver }\nend\n',
      }),
      "tally",
    );

  it("the plugin's defaults: clockwork lib/clockwork.rb on :app, one pod where a server had :app", async () => {
    const m = await app("");
    const w = m.workers!.find((x) => x.backend === "clockwork")!;
    expect(w).toMatchObject({ carried: true, args: ["bundle", "exec", "clockwork", "lib/clockwork.rb"], commandFrom: "capistrano" });
    expect(w.commandNote).toContain("default");
    const { stages } = emitAndBuild(m);
    const prod = find(stages["production"]!, "Deployment", "-worker-clockwork");
    // two servers had :app, but a clock runs once per stage
    expect(prod.spec.replicas).toBe(1);
    expect(container(prod).args ?? container(prod).command).toEqual(expect.arrayContaining(["clockwork", "lib/clockwork.rb"]));
    // staging had no :app server: the plugin ran no clock there
    expect(find(stages["staging"]!, "Deployment", "-worker-clockwork").spec.replicas).toBe(0);
  });

  it("a :clockwork_file set in deploy.rb is the file the pod runs", async () => {
    const m = await app('set :clockwork_file, "config/clock.rb"\n');
    const w = m.workers!.find((x) => x.backend === "clockwork")!;
    expect(w.args).toEqual(["bundle", "exec", "clockwork", "config/clock.rb"]);
    expect(w.commandSource).toEqual({ file: "config/deploy.rb", line: 4 });
    expect(w.commandNote).toBeUndefined();
  });
});
