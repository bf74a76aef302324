// Capistrano 2 without capistrano-ext's multistage: files under config/deploy/ are recipe files that
// deploy.rb requires (web server, cron, db...), not stages. No oracle here (Debian ships Capistrano 3
// only, and Capistrano 2's Configuration is not installed to run a Ruby harness against): expectations
// are computed by hand from capistrano-ext 1.2's multistage.rb, which alone turns config/deploy/*.rb
// (`fetch(:stage_dir, "config/deploy")`, unless `set :stages` names them) into stage tasks.
import { describe, it, expect } from "vitest";
import { analyze } from "./analyze.js";

const CAPFILE2 = "load 'deploy' if respond_to?(:namespace)\nload 'config/deploy'\n";
// A recipe file in the style of Capistrano 2 plugins: wrapped in the configuration's `load` block.
const wrapped = (body: string) => `Capistrano::Configuration.instance(:must_exist).load do\n${body}\nend\n`;

const REPO = {
  Capfile: CAPFILE2,
  "config/deploy.rb": [
    "require 'config/deploy/live'",
    "require 'config/deploy/preview'",
    "require 'config/deploy/webserver'",
    "require 'config/deploy/jobs'",
    "",
    'set :application, "quill"',
    'set :deploy_to, "/srv/#{application}"',
  ].join("\n"),
  "config/deploy/live.rb": wrapped(['  task :live do', '    role :web, "www1.quill.example.net"', '    role(:jobs) { ENV["JOB_HOSTS"].split(",") }', '    set :branch, "main"', "  end"].join("\n")),
  "config/deploy/preview.rb": wrapped(['  task :preview do', '    server "preview.quill.example.net", :web, :jobs', '    set :branch, "next"', "  end"].join("\n")),
  "config/deploy/webserver.rb": wrapped(['  namespace :webserver do', '    task :reload, :roles => :web do', '      run "sudo service httpd reload"', "    end", "  end"].join("\n")),
  "config/deploy/jobs.rb": wrapped(['  namespace :jobs do', '    task :start, :roles => :jobs do', '      run "cd #{current_path} && script/queue_runner start 3"', "    end", "  end"].join("\n")),
};

describe("Capistrano 2 without multistage: config/deploy/*.rb are recipes", () => {
  it("the stages are the top-level tasks that declare servers, wherever they are required from", async () => {
    const r = await analyze(REPO);
    expect(r.stages.map((s) => [s.name, s.source])).toEqual([
      ["live", { file: "config/deploy/live.rb", line: 2 }],
      ["preview", { file: "config/deploy/preview.rb", line: 2 }],
    ]);
    expect(r.v("live", "branch")).toBe("main");
    expect(r.v("preview", "deploy_to")).toBe("/srv/quill");
    expect(r.stage("preview").servers.map((s) => [s.host, s.roles])).toEqual([["preview.quill.example.net", ["web", "jobs"]]]);
    // hosts a block computes from ENV at deploy time: unknown, and said (a question, not "no servers")
    expect(r.stage("live").servers.map((s) => s.host)).toEqual(["www1.quill.example.net"]);
    expect(r.stage("live").unread?.some((u) => u.what === "servers" && /JOB_HOSTS/.test(u.message))).toBe(true);
    // recipe tasks stay tasks
    expect(r.capistrano!.tasks.map((t) => t.name)).toEqual(expect.arrayContaining(["webserver:reload", "jobs:start"]));
  });

  it("with multistage required, config/deploy/*.rb are the stages again (and `set :stages` limits them)", async () => {
    const all = await analyze({ ...REPO, "config/deploy.rb": "require 'capistrano/ext/multistage'\n" + REPO["config/deploy.rb"].replace(/^require 'config\/deploy\/(live|preview)'\n/gm, "") });
    expect(all.stages.map((s) => s.name)).toEqual(["jobs", "live", "preview", "webserver"]);
    const some = await analyze({ ...REPO, "config/deploy.rb": "set :stages, %w(live preview)\nrequire 'capistrano/ext/multistage'\n" + REPO["config/deploy.rb"].replace(/^require 'config\/deploy\/(live|preview)'\n/gm, "") });
    expect(some.stages.map((s) => s.name)).toEqual(["live", "preview"]);
  });
});
