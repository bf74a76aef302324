// capistrano-rpush's delivery daemon: `require "capistrano/rpush"` restarts rpush after
// deploy:finished on rpush_role (:app by default) with `rpush start -p … -c … -e <env>`, which
// daemonizes. The worker runs `rpush start -f -e $(RAILS_ENV)` on the same role, one pod per server
// that ran it, and says that rpush's CLI never loads the `-c` file in a Rails app.
//
// Judged by real Capistrano (3.17) running the plugin's hooks under a recording SSHKit backend: the
// hosts where `rpush start` ran, and its `-e`. By default the plugin is a test-only stand-in written
// from a reading of capistrano-rpush v0.1.7 (lib/capistrano/tasks/rpush.cap: load:defaults,
// add_default_hooks, rpush:restart/start); with R2K_CAP_RPUSH_LIB set to the lib/ of the real gem
// (`git archive v0.1.7 lib`) the gem's own code answers. rpush itself is not packaged: what the
// command line does (-f, -e, -c ignored under Rails) is read from rpush 2.7.0's lib/rpush/cli.rb.
// The app ("quay", hosts under quay.example.org) is this test's own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import { prepareCopy } from "../capistrano/cap.js";

beforeAll(async () => {
  await initPrism();
});
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const REAL_GEM = process.env.R2K_CAP_RPUSH_LIB || null;
/** The plugin as read: its defaults, the hook it adds before deploy:starting, and its start line. */
const STAND_IN: Record<string, string> = {
  "capistrano/rpush.rb": `load File.expand_path("../tasks/rpush.cap", __FILE__)\n`,
  "capistrano/tasks/rpush.cap": `namespace :load do
  set :rpush_default_hooks, -> { true }
  set :rpush_role, :app
  set :rpush_env, -> { fetch(:rack_env, fetch(:rails_env, fetch(:stage))) }
  set :rpush_conf, -> { File.join(shared_path, "config", "rpush.rb") }
  set :rpush_pid, -> { File.join(shared_path, "tmp", "pids", "rpush.pid") }
end
namespace :deploy do
  before :starting, :check_rpush_hooks do
    invoke "rpush:add_default_hooks" if fetch(:rpush_default_hooks)
  end
end
namespace :rpush do
  task :add_default_hooks do
    after "deploy:finished", "rpush:restart"
  end
  task :restart do
    invoke "rpush:start"
  end
  task :start do
    on roles(fetch(:rpush_role)) do
      within current_path do
        execute :bundle, :exec, "rpush start -p #{fetch(:rpush_pid)} -c #{fetch(:rpush_conf)} -e #{fetch(:rpush_env)}"
      end
    end
  end
end
`,
};

const ORACLE = `
task "r2k:rpush" do
  require "sshkit/backends/printer"
  SSHKit.config.backend = SSHKit::Backend::Printer
  SSHKit.config.output = SSHKit::Formatter::BlackHole.new(StringIO.new)
  $r2k = Hash.new { |h, k| h[k] = [] }
  SSHKit::Backend::Printer.class_eval do
    def execute_command(cmd)
      $r2k[host.hostname] << cmd.to_command[/rpush start [^)]*/].strip if cmd.to_command.include?("rpush start")
    end
    def test(*) false end
  end
  Rake::Task["deploy:check_rpush_hooks"].invoke
  Rake::Task["deploy:finished"].invoke
  puts "R2K-RPUSH" + JSON.generate($r2k)
end
`;

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano-rpush (0.1.7)\n      rpush (~> 2.7, < 3.0)\n    rails (7.1.3)\n    rpush (2.7.0)\n    puma (6.4.2)\n    pg (1.5.6)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano-rpush\n  rails\n  rpush\n  puma\n  pg\n\nBUNDLED WITH\n   2.5.10\n";

const files = (stage: string, extra: Record<string, string> = {}): Record<string, string> => ({
  Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\nrequire "capistrano/rpush"\n`,
  Gemfile: `source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "pg"\ngem "rpush"\ngem "capistrano-rpush"\n`,
  "Gemfile.lock": LOCK,
  "config/puma.rb": "threads 5, 5\n",
  "bin/rails": "#!/usr/bin/env ruby\n",
  "config/initializers/rpush.rb": "Rpush.configure do |config|\n  config.client = :active_record\nend\n",
  "config/deploy.rb": `set :application, "quay"\nset :repo_url, "git@git.example.org:ops/quay.git"\nset :deploy_to, "/srv/quay"\n`,
  "config/deploy/production.rb": stage,
  ...extra,
});

const STAGE = [
  `server "a1.quay.example.org", user: "deploy", roles: %w[web app db]`,
  `server "a2.quay.example.org", user: "deploy", roles: %w[web app]`,
  `server "n1.quay.example.org", user: "deploy", roles: %w[notify]`,
  `set :rails_env, "production"`,
  ``,
].join("\n");

/** Real cap: per host, the `rpush start` lines the plugin's hooks ran. */
function capRpush(fs: Record<string, string>): Record<string, string[]> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-rpush-"));
  cleanup.push(dir);
  for (const [p, c] of Object.entries(fs)) mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), c);
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  let lib = REAL_GEM;
  if (!lib) {
    lib = join(app, "..", "stand-in");
    for (const [p, c] of Object.entries(STAND_IN)) mkdirSync(dirname(join(lib, p)), { recursive: true }), writeFileSync(join(lib, p), c);
  }
  writeFileSync(join(app, "..", "rpush-oracle.rake"), ORACLE);
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "rpush-oracle.rake"))}\n`);
  const r = spawnSync("cap", ["production", "r2k:rpush"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-I${lib} -r${join(app, "..", "prelude.rb")} -rjson` } });
  const line = r.stdout.split("\n").find((l) => l.includes("R2K-RPUSH"));
  expect(line, r.stderr).toBeDefined();
  return JSON.parse(line!.slice(line!.indexOf("R2K-RPUSH") + 9));
}

type Model = Awaited<ReturnType<typeof analyzeFiles>>;
const rpush = (m: Model) => m.workers!.find((w) => w.backend === "rpush");
const replicas = (m: Model) => workerSpecs(makePlan(m, {})).find((s) => s.facts === rpush(m))!.stages.map((s) => s.replicas);

describe("capistrano-rpush's daemon", () => {
  it("the plugin's default role: the hosts real cap started rpush on, one pod each, in the foreground with the stage's env", async () => {
    const fs = files(STAGE);
    const ran = capRpush(fs);
    expect(Object.keys(ran).sort()).toEqual(["a1.quay.example.org", "a2.quay.example.org"]);
    for (const l of Object.values(ran)) expect(l).toEqual(["rpush start -p /srv/quay/shared/tmp/pids/rpush.pid -c /srv/quay/shared/config/rpush.rb -e production"]);
    const m = await analyzeFiles(memoryRepo(fs), "quay");
    const w = rpush(m)!;
    expect(w).toMatchObject({ carried: true, commandFrom: "capistrano", roles: ["app"], args: ["bundle", "exec", "rpush", "start", "-f", "-e", "$(RAILS_ENV)"], stopSignal: "TERM", commandSource: { file: "Capfile", line: 5 } });
    expect(w.rolesGuessed).toBeUndefined();
    expect(replicas(m)).toEqual([Object.keys(ran).length]);
    expect(w.commandNote).toContain("loads -c only for an app without Rails");
    // Under Rails the -c file is not read: no off-repo config warning.
    expect(m.problems.filter((p) => /rpush_conf/.test(p.message))).toEqual([]);
  });

  it("rpush_role set by the stage: real cap and the worker agree on the role", async () => {
    const fs = files(`${STAGE}set :rpush_role, :notify\n`);
    const ran = capRpush(fs);
    expect(Object.keys(ran)).toEqual(["n1.quay.example.org"]);
    const m = await analyzeFiles(memoryRepo(fs), "quay");
    expect(rpush(m)!.roles).toEqual(["notify"]);
    expect(replicas(m)).toEqual([1]);
  });

  it("an app without bin/rails: the servers' shared/config/rpush.rb was its config, named as off-repo at the Capfile line", async () => {
    const fs = files(STAGE);
    delete fs["bin/rails"];
    const m = await analyzeFiles(memoryRepo(fs), "quay");
    const warned = m.problems.filter((p) => /capistrano-rpush: rpush_conf/.test(p.message));
    expect(warned.map((p) => `${p.file}:${p.line}`)).toEqual(["Capfile:5"]);
    expect(warned[0]!.message).toContain("lived only on the servers");
  });

  it("without the plugin, rpush in the lockfile alone starts nothing (no worker carried)", async () => {
    const fs = files(STAGE);
    fs.Capfile = fs.Capfile!.replace('require "capistrano/rpush"\n', "");
    const m = await analyzeFiles(memoryRepo(fs), "quay");
    expect(rpush(m)?.carried ?? false).toBe(false);
  });
});
