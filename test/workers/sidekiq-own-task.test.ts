// A Capistrano 2 deploy whose own recipe starts Sidekiq (`task :restart, roles: :web do sudo "monit
// restart sidekiq" end`, hooked after deploy:restart) ran it on the :web servers, one each, though
// another server has the :worker role. The replicas follow the task's roles. Judged by loading the
// recipe in Ruby with Capistrano 2's `task(name, options)` recorded: the roles it gives the task.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { makePlan } from "../../emitters/kustomize/plan.js";

const RECIPE = `namespace :sidekiq do
  %w[start stop restart].each do |action|
    desc "#{action} the job daemon"
    task action, roles: :web do
      sudo "monit #{action} sidekiq"
    end
    after "deploy:#{action}", "sidekiq:#{action}"
  end
end
`;
const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    capistrano-ext (1.2.1)\n    rails (4.2.11)\n    sidekiq (3.5.4)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano (~> 2.15)\n  capistrano-ext\n  rails\n  sidekiq\n";
const FILES = (recipe: string) => ({
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  "Gemfile.lock": LOCK,
  "config/deploy.rb": 'set :stages, %w(staging)\nrequire "capistrano/ext/multistage"\nset :application, "kettle"\nset :deploy_to, "/srv/kettle"\nset :repository, "git@example.com:acme/kettle.git"\nload "config/recipes/sidekiq"\n',
  "config/deploy/staging.rb": 'server "k-web1.example.net", :web, :app, :db, primary: true\nserver "k-web2.example.net", :web, :app\nserver "k-jobs.example.net", :worker, :app\n',
  "config/recipes/sidekiq.rb": recipe,
  "config/sidekiq.yml": ":concurrency: 5\n",
});

beforeAll(async () => {
  await initPrism();
});

describe("Sidekiq started by the deploy's own Capistrano 2 task", () => {
  it("its replicas are the servers with the task's roles, as Capistrano 2 gives them to the task", async () => {
    const stub = `$t = {}; $ns = []
def namespace(n); $ns.push(n); yield; $ns.pop; end
def task(name, opts = {}, &b); $t[[*$ns, name].join(":")] = Array(opts[:roles]).map(&:to_s); end
def desc(*) = nil
def after(*) = nil
def before(*) = nil
load ARGV[0]
puts $t.to_json`;
    const dir = mkdtempSync(join(tmpdir(), "r2k-cap2-task-"));
    writeFileSync(join(dir, "sidekiq.rb"), RECIPE);
    const r = spawnSync("ruby", ["-rjson", "-e", stub, join(dir, "sidekiq.rb")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const real: Record<string, string[]> = JSON.parse(r.stdout);
    const m = await analyzeFiles(memoryRepo(FILES(RECIPE)), "kettle");
    const stage = m.stages.find((s) => s.name === "staging")!;
    const started = m.sidekiq!.started!["staging"]!;
    expect(started.roles).toEqual(real["sidekiq:restart"]);
    const expected = stage.servers.filter((s) => s.roles.some((x) => real["sidekiq:restart"]!.includes(x))).length;
    expect([started.servers, started.processes]).toEqual([expected, expected]);
    expect(expected).toBe(2);
    const sp = makePlan(m, {}).stages.find((s) => s.stage.name === "staging")!;
    expect(sp.workerReplicas).toBe(2);
    expect(started.why).toMatch(/the deploy's own task sidekiq:(start|restart) \(config\/recipes\/sidekiq\.rb:4\) runs on roles :web/);
  });

  it("a task without literal roles places nothing: the usual roles stand", async () => {
    const m = await analyzeFiles(memoryRepo(FILES(RECIPE.replace("roles: :web", "roles: fetch(:job_role)"))), "kettle");
    expect(m.sidekiq!.started).toBeUndefined();
  });

  it("a task with no roles (Capistrano 2: every server of the stage) that starts a manage-many service: every server, and the start line named", async () => {
    // Tasks made in a loop share one line; the hooked one is read. Ruby records what the line gives `task`: no :roles at all.
    const loop = `namespace :sidekiq do
  [:start, :stop, :restart].each do |verb|
    task(verb) { run "sudo /usr/sbin/service sidekiq-manager #{verb}" }
  end
end
after "deploy:restart", "sidekiq:restart"
`;
    const stub = `$t = {}; $ns = []
def namespace(n); $ns.push(n); yield; $ns.pop; end
def task(name, opts = {}, &b); $t[[*$ns, name].join(":")] = opts; end
def after(*) = nil
load ARGV[0]
puts $t.to_json`;
    const dir = mkdtempSync(join(tmpdir(), "r2k-cap2-task-"));
    writeFileSync(join(dir, "sidekiq.rb"), loop);
    const r = spawnSync("ruby", ["-rjson", "-e", stub, join(dir, "sidekiq.rb")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    // No :roles, :hosts, :only or :except: Capistrano 2's find_servers takes every server.
    expect(JSON.parse(r.stdout)["sidekiq:restart"]).toEqual({});
    const m = await analyzeFiles(memoryRepo(FILES(loop)), "kettle");
    const stage = m.stages.find((s) => s.name === "staging")!;
    const started = m.sidekiq!.started!["staging"]!;
    expect([started.servers, started.processes]).toEqual([stage.servers.length, stage.servers.length]);
    expect(started.servers).toBe(3);
    expect(started.why).toMatch(/^the deploy's own task sidekiq:restart \(config\/recipes\/sidekiq\.rb:3\) names no roles, so it runs on every server of the stage, after deploy:restart .*, and starts it with `run "sudo \/usr\/sbin\/service sidekiq-manager #\{verb\}"`/);
    const w = m.problems.find((p) => p.file === "config/recipes/sidekiq.rb" && p.line === 3 && p.message.startsWith("Sidekiq: the deploy's own task sidekiq:restart"));
    expect(w?.message).toMatch(/names no roles, so Capistrano 2 runs it on every server of the stage.*sidekiq-manager is Sidekiq's upstart manage-many job/);
  });

  it("a run with :once => true in a task with no roles: Capistrano 2 runs it on the first server only", async () => {
    // Capistrano 2 is not installable here (only Capistrano 3), so its rule is cited, not run: in
    // Capistrano 2's lib/capistrano/configuration/connections.rb, `execute_on_servers(options)`,
    // which `run` (configuration/actions/invocation.rb) goes through with the command's options,
    // finds the task's servers and then does `servers = [servers.first] if options[:once]`.
    const once = 'namespace :sidekiq do\n  desc "Bounce the job daemon"\n  task :restart do\n    run "sudo service sidekiq restart", :once => true\n  end\nend\nafter "deploy:restart", "sidekiq:restart"\n';
    const m = await analyzeFiles(memoryRepo(FILES(once)), "kettle");
    const stage = m.stages.find((s) => s.name === "staging")!;
    expect(stage.servers).toHaveLength(3);
    const started = m.sidekiq!.started!["staging"]!;
    expect([started.servers, started.processes]).toEqual([1, 1]);
    expect(started.why).toMatch(/^the deploy's own task sidekiq:restart \(config\/recipes\/sidekiq\.rb:3\) names no roles, so it runs on every server of the stage, and with :once only on the first of them, after deploy:restart /);
    expect(started.why).toContain(": 1 server(s) of stage staging, one process each");
    const w = m.problems.find((p) => p.file === "config/recipes/sidekiq.rb" && p.line === 4 && p.message.startsWith("Sidekiq: the deploy's own task sidekiq:restart"));
    expect(w?.message).toContain("so Capistrano 2 runs it on the first server of the stage (:once)");
    expect(makePlan(m, {}).stages.find((s) => s.stage.name === "staging")!.workerReplicas).toBe(1);
  });

  it("a task placed by hosts or a filter is not read as every server", async () => {
    const m = await analyzeFiles(memoryRepo(FILES('namespace :sidekiq do\n  task :restart, :hosts => "k-jobs.example.net" do\n    run "sudo service sidekiq restart"\n  end\nend\nafter "deploy:restart", "sidekiq:restart"\n')), "kettle");
    expect(m.sidekiq!.started).toBeUndefined();
  });
});
