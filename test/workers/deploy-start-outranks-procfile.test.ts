// A Procfile nothing in the deploy runs (one for laptops: it tails the development log) does not
// outrank the deploy's own start of the backend, the rule the web server's choice already follows.
// Here a hooked Capistrano 3 task starts Resque on roles(:jobs) through a script of the servers'
// shared directory (`ops` is a linked dir): the worker runs on :jobs, with Resque's standard
// command, and the warning names the task line and the linked dir. Judged by real `cap`: with
// SSHKit's printer backend, `cap production boot_jobs` shows the host and the command it runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { prepareCopy } from "../capistrano/cap.js";

const TASK = `desc "Start the queue workers"
task :boot_jobs do
  on roles(:jobs) do
    within current_path do
      execute "/bin/bash", File.join(shared_path, "ops", "resque_down.sh")
      execute "/bin/bash", File.join(shared_path, "ops", "resque_up.sh"), "-e", fetch(:rails_env)
    end
  end
end
`;
const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    passenger (6.0.20)\n    rails (6.1.7)\n    resque (2.6.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  passenger\n  rails\n  resque\n\nBUNDLED WITH\n   2.4.22\n";
const FILES = (deployExtra: string) => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n',
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "passenger"\ngem "resque"\n',
  "Gemfile.lock": LOCK,
  Procfile: "web: bundle exec rails s -p $PORT\nmail: bundle exec rake resque:work QUEUE=mail\nlog: tail -f log/development.log\n",
  "config/deploy.rb": `set :application, "quill"\nset :repo_url, "git@example.com:acme/quill.git"\nset :deploy_to, "/srv/quill"\nset :linked_dirs, %w{log tmp/pids ops}\n${deployExtra}`,
  "config/deploy/production.rb": 'server "quill-web.example.net", roles: %w[web app db]\nserver "quill-q1.example.net", roles: %w[jobs]\nset :rails_env, "production"\n',
  "lib/capistrano/tasks/jobs.rake": TASK,
});
const HOOK = 'after "deploy:published", :boot_jobs\n';

const cleanup: string[] = [];
let printed = "";
beforeAll(async () => {
  await initPrism();
  const dir = mkdtempSync(join(tmpdir(), "r2k-jobs-start-"));
  cleanup.push(dir);
  for (const [p, text] of Object.entries(FILES(HOOK))) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  // Print each command with its host instead of running it over SSH.
  appendFileSync(join(app, "Capfile"), ['', 'require "sshkit/backends/printer"', "class R2kPrinter < SSHKit::Backend::Printer", "  def execute_command(cmd)", '    puts "R2K-RUN #{host.hostname} #{cmd.to_command}"', "  end", "end", "set :sshkit_backend, R2kPrinter", ""].join("\n"));
  const r = spawnSync("cap", ["production", "boot_jobs"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-r${join(app, "..", "prelude.rb")} -rjson` } });
  if (r.status !== 0) throw new Error(`cap production boot_jobs failed: ${r.stderr}`);
  printed = r.stdout + r.stderr;
}, 120_000);
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

describe("the deploy's own start of Resque outranks a Procfile nothing runs", () => {
  it("real cap runs the shared script on the :jobs server only", () => {
    const runs = printed.split("\n").filter((l) => l.startsWith("R2K-RUN ") && l.includes("resque_up"));
    expect(runs).toEqual(["R2K-RUN quill-q1.example.net cd /srv/quill/current && /usr/bin/env /bin/bash /srv/quill/shared/ops/resque_up.sh -e production"]);
  });

  it("the worker runs on the task's roles with the standard command, the task line and the linked dir said", async () => {
    const m = await analyzeFiles(memoryRepo(FILES(HOOK)), "quill");
    const ws = m.workers!.filter((x) => x.backend === "resque");
    expect(ws).toHaveLength(1);
    const w = ws[0]!;
    expect(w.carried).toBe(true);
    expect(w.roles).toEqual(["jobs"]);
    expect(w.commandFrom).toBe("standard");
    expect(w.args).toEqual(["bundle", "exec", "rake", "resque:work"]);
    expect(w.commandSource).toEqual({ file: "lib/capistrano/tasks/jobs.rake", line: 6 });
    expect(w.commandNote).toContain("Procfile:2 is a line of a Procfile no deploy line runs");
    const warn = m.problems.find((p) => p.file === "lib/capistrano/tasks/jobs.rake" && p.line === 6)!;
    expect(warn.message).toContain("runs ops/resque_up.sh from the servers' shared directory (`ops` is a linked dir, config/deploy.rb:4)");
    expect(warn.message).toContain("the worker runs Resque's standard command `QUEUE=* bundle exec rake resque:work`");
  });

  it("unhooked, the task is no part of the deploy: the Procfile line stands", async () => {
    const m = await analyzeFiles(memoryRepo(FILES("")), "quill");
    const w = m.workers!.find((x) => x.backend === "resque")!;
    expect(w.commandFrom).toBe("procfile");
    expect(w.queues).toEqual(["mail"]);
  });
});
