// A deploy that starts processes through the repo's own script (`script/<name> start <n> <env>` in a
// Capistrano 2 recipe file): no job backend the analysis knows, so no Deployment runs them. They are
// named as not carried, with the line that started them, never dropped.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";

const wrapped = (body: string) => `Capistrano::Configuration.instance(:must_exist).load do\n${body}\nend\n`;

function app(jobsRecipe: string, extra: Record<string, string> = {}) {
  return memoryRepo({
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": "require 'config/deploy/live'\nrequire 'config/deploy/queue'\nset :application, \"quill\"\n",
    "config/deploy/live.rb": wrapped('  task :live do\n    server "box.quill.example.net", :web, :app, :db, :jobs\n    set :job_count, 3\n  end'),
    "config/deploy/queue.rb": wrapped(jobsRecipe),
    "script/queue_runner": "#!/bin/sh\nfor i in $(seq $2); do ruby lib/daemons/pump_ctl start; done\n",
    ...extra,
  });
}

describe("processes the deploy starts through a repo script", () => {
  it("`script/queue_runner start` (and its restart) is named once, at the line that starts it", async () => {
    const m = await analyzeFiles(
      app(
        [
          "  namespace :queue do",
          "    task :start, :roles => :jobs do",
          '      run "cd #{current_path} && "\\',
          '          "nohup bash script/queue_runner start #{job_count} #{rails_env}"',
          "    end",
          "    task :restart, :roles => :jobs do",
          '      run "cd #{current_path} && bash script/queue_runner restart #{job_count} #{rails_env}"',
          "    end",
          "  end",
        ].join("\n"),
      ),
      "quill",
    );
    expect(m.stages.map((s) => s.name)).toEqual(["live"]);
    expect((m.uncarried ?? []).map((u) => [u.name, `${u.source.file}:${u.source.line}`])).toEqual([["queue_runner", "config/deploy/queue.rb:4"]]);
    expect(m.uncarried![0]!.why).toMatch(/script\/queue_runner/);
    expect(renderReport(m, { color: false })).toMatch(/NOT CARRIED: queue_runner: .*config\/deploy\/queue\.rb:4/);
  });

  it("Rails' own scripts and app servers are not named; a script missing from the repo is said to be missing", async () => {
    const m = await analyzeFiles(
      app(
        [
          "  namespace :queue do",
          "    task :start do",
          '      run "cd #{current_path} && bin/rails runner Pump.start"',
          '      run "cd #{current_path} && script/server start -d"',
          '      run "cd #{current_path} && bin/mailpump start"',
          "    end",
          "  end",
        ].join("\n"),
      ),
      "quill",
    );
    expect((m.uncarried ?? []).map((u) => [u.name, u.source.line])).toEqual([["mailpump", 6]]);
    expect(m.uncarried![0]!.why).toMatch(/not in the repo/);
  });
});
