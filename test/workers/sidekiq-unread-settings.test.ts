// `set :sidekiq_processes` and `sidekiq_options_per_process` in a deploy that loads no plugin that
// reads them (no capistrano-sidekiq in the Capfile or Gemfile.lock): the deploy starts Sidekiq
// through its own systemd unit (capistrano-systemd-multiservice here), which runs plain
// `sidekiq -e <stage>`. The settings are dead: each line gets a named warning, the worker runs
// without them. With capistrano-sidekiq loaded, or a task of the repo that fetches the variable,
// nothing is said.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";

beforeAll(async () => {
  await initPrism();
});

const DEPLOY = 'set :sidekiq_processes, 2\nset :sidekiq_options_per_process, ["--queue urgent", "--queue urgent --queue bulk"]\nafter "deploy:publishing", "systemd:sidekiq:restart"\n';
const STAGES = {
  production: 'server "box1.quarry.example.org", roles: %w[app web db sidekiq]\n',
  staging: 'server "box2.quarry.example.org", roles: %w[app web db sidekiq]\nset :sidekiq_options_per_process, ["--queue urgent"]\n',
};
const UNIT = { "config/systemd/sidekiq.service.erb": "[Service]\nExecStart=/usr/bin/bundle exec sidekiq -e <%= fetch(:stage) %>\n" };
const MULTISERVICE = 'require "capistrano/systemd/multiservice"\ninstall_plugin Capistrano::Systemd::MultiService.new_service("sidekiq")\n';
const unread = (m: { problems: { file: string; line: number; message: string }[] }) =>
  m.problems.filter((p) => p.message.startsWith("sidekiq.settings-unread:")).map((p) => `${p.file}:${p.line} ${p.message.split(" ")[1]}`);

describe("capistrano-sidekiq's variables with no capistrano-sidekiq", () => {
  it("each line that sets one is named as read by nothing", async () => {
    const m = await analyzeFiles(pluginApp(DEPLOY, STAGES, UNIT, { sidekiq: "6.5.12" }, MULTISERVICE), "quarry");
    expect(unread(m)).toEqual(["config/deploy.rb:3 sidekiq_processes", "config/deploy.rb:4 sidekiq_options_per_process", "config/deploy/staging.rb:2 sidekiq_options_per_process"]);
    expect(m.problems.find((p) => p.file === "config/deploy.rb" && p.line === 3)!.message).toContain("stages production, staging");
  });

  it("capistrano-sidekiq required: its variables are read, nothing said", async () => {
    const m = await analyzeFiles(pluginApp(DEPLOY, STAGES, {}, { sidekiq: "6.5.12", "capistrano-sidekiq": "1.0.3" }, 'require "capistrano/sidekiq"\n'), "quarry");
    expect(unread(m)).toEqual([]);
  });

  it("a template of the repo fetches sidekiq_processes: only the other variable is dead", async () => {
    const unit = { "config/systemd/sidekiq.service.erb": "[Service]\nExecStart=/usr/bin/bundle exec sidekiq -e <%= fetch(:stage) %> -c <%= fetch(:sidekiq_processes) %>\n" };
    const m = await analyzeFiles(pluginApp(DEPLOY, STAGES, unit, { sidekiq: "6.5.12" }, MULTISERVICE), "quarry");
    expect(unread(m)).toEqual(["config/deploy.rb:4 sidekiq_options_per_process", "config/deploy/staging.rb:2 sidekiq_options_per_process"]);
  });
});
