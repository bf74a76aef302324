// A monit ERB loop whose start program runs a job backend (`<% mailers.times do |n| %> check process
// mailer_<%= n %> … QUEUE=mail bundle exec rake resque:work … <% end %>`) is that backend's worker:
// each stage's count per server (the loop's bound, the stage's variable) on the roles of the task
// that renders it, as god loops are. Real Ruby ERB renders the template with each stage's value.
// The app and template are written for this test.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";

const lock = `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    rails (4.2.11)\n    resque (1.27.4)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  rails\n  resque\n`;
const TEMPLATE = `<% mailers.times do |n| %>
check process mailer_<%= n %>
  with pidfile <%= shared_path %>/pids/mailer.<%= n %>.pid
  start program = "/bin/sh -c 'cd <%= current_path %> && QUEUE=mail PIDFILE=<%= shared_path %>/pids/mailer.<%= n %>.pid BACKGROUND=yes bundle exec rake resque:work'" as uid app
  stop program = "/bin/sh -c 'kill -QUIT $(cat <%= shared_path %>/pids/mailer.<%= n %>.pid)'"
<% end %>
`;
const RECIPE = `namespace :monit do
  task(:mailers, roles: :mail) { upload_monit "mailers" }
end

def upload_monit(name)
  erb = File.read(File.expand_path("../templates/monit/#{name}.erb", __FILE__))
  put ERB.new(erb).result(binding), "/etc/monit/conf.d/#{name}.conf"
end
`;

function app(stages: Record<string, string>) {
  return memoryRepo({
    Capfile: "load 'deploy'\nload 'config/deploy'\n",
    "config/deploy.rb": `set :application, "postbox"\nset :stages, %w(${Object.keys(stages).join(" ")})\nrequire 'capistrano/ext/multistage'\nset :deploy_to, "/srv/postbox"\nload 'config/recipes/monit'\n`,
    ...Object.fromEntries(Object.entries(stages).map(([s, t]) => [`config/deploy/${s}.rb`, t])),
    "config/recipes/monit.rb": RECIPE,
    "config/recipes/templates/monit/mailers.erb": TEMPLATE,
    Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "resque"\n',
    "Gemfile.lock": lock,
    "config/application.rb": "module Postbox; class Application < Rails::Application; end; end\n",
  });
}

function checks(mailers: number): number {
  const dir = mkdtempSync(join(tmpdir(), "monit-loop-workers-"));
  writeFileSync(join(dir, "t.erb"), TEMPLATE);
  const r = spawnSync("ruby", ["-rerb", "-e", `mailers = ${mailers}; shared_path = "/srv/postbox/shared"; current_path = "/srv/postbox/current"; print ERB.new(File.read(ARGV[0])).result(binding)`, join(dir, "t.erb")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return (r.stdout.match(/resque:work/g) ?? []).length;
}

describe("a monit loop of job backend checks", () => {
  it("is the backend's worker: per stage the loop's count per server, on the rendering task's role", async () => {
    const m = await analyzeFiles(
      app({
        production: 'server "w1.postbox.example.org", :web, :app\nserver "m1.postbox.example.org", :mail\nserver "m2.postbox.example.org", :mail\nset :mailers, 3\n',
        staging: 'server "s1.postbox.example.org", :web, :app, :mail\nset :mailers, 1\n',
      }),
      "postbox",
    );
    const ws = m.workers!.filter((w) => w.backend === "resque");
    expect(ws).toHaveLength(1);
    const w = ws[0]!;
    expect(w.carried).toBe(true);
    expect(w.args).toEqual(["bundle", "exec", "rake", "resque:work"]);
    expect(w.env["QUEUE"]).toBe("mail");
    expect(w.queues).toEqual(["mail"]);
    expect(w.roles).toEqual(["mail"]);
    expect(w.perStage!["production"]!.processes).toBe(checks(3));
    expect(w.perStage!["staging"]!.processes).toBe(checks(1));
    // Carried: no longer named as a daemon no Deployment runs.
    expect((m.uncarried ?? []).some((u) => u.name.startsWith("mailer"))).toBe(false);
  });
});
