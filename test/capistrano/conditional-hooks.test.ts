// Hooks written under a condition on the deploying shell's environment (`after … if ENV["X"]`,
// `unless ENV["Y"] … end`): they ran only on the deploys where it held, which the repo does not say.
// Each is named at its own line as conditional, not counted and not dropped silently. Real `cap`
// (3.17, a recording SSHKit backend) is the oracle for what the hook does with the variable unset
// and set, and the warning's "with the variable unset" must agree with it.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { analyzeDir } from "../../src/analyze.js";
import { prepareCopy } from "./cap.js";

const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const FILES: Record<string, string> = {
  Capfile: `require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n`,
  "Gemfile.lock": `GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n    pg (1.5.6)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  pg\n`,
  "config/deploy.rb": [
    `set :application, "ledger"`,
    `set :repo_url, "git@git.example.org:ops/ledger.git"`,
    `namespace :jobs do`,
    `  task :restart do`,
    `    on roles(:app) do execute :touch, "jobs-restarted" end`,
    `  end`,
    `  task :mail do`,
    `    on roles(:app) do execute :touch, "mail-restarted" end`,
    `  end`,
    `end`,
    `after "deploy:published", "jobs:restart" if ENV["WITH_JOBS"]`,
    `unless ENV["NO_MAIL"]`,
    `  namespace :jobs do`,
    `    after "deploy:published", "jobs:mail"`,
    `  end`,
    `end`,
    ``,
  ].join("\n"),
  "config/deploy/production.rb": `server "a1.ledger.example.org", user: "deploy", roles: %w[web app db]\n`,
};

/** Real cap: the commands deploy:published's hooks ran, with `env` added to cap's environment. */
function capRan(app: string, env: Record<string, string>): string[] {
  const r = spawnSync("cap", ["production", "r2k:ran"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-r${join(app, "..", "prelude.rb")} -rjson`, ...env } });
  const line = r.stdout.split("\n").find((l) => l.includes("R2K-RAN"));
  expect(line, r.stderr).toBeDefined();
  return JSON.parse(line!.slice(line!.indexOf("R2K-RAN") + 7));
}

describe("hooks under a condition on ENV", () => {
  it("each is named at its line as conditional, not counted; what cap does with the variable unset agrees with real cap", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-condhooks-"));
    cleanup.push(dir);
    for (const [p, c] of Object.entries(FILES)) mkdirSync(dirname(join(dir, p)), { recursive: true }), writeFileSync(join(dir, p), c);
    const app = prepareCopy(dir);
    cleanup.push(join(app, ".."));
    writeFileSync(
      join(app, "..", "ran.rake"),
      [
        'require "sshkit"',
        "class R2kRecorder < SSHKit::Backend::Printer",
        "  CMDS = []",
        "  def execute(*args)",
        '    CMDS << args.reject { |a| a.is_a?(Hash) }.map(&:to_s).join(" ")',
        "  end",
        "end",
        'task "r2k:ran" do',
        "  SSHKit.config.backend = R2kRecorder",
        '  Rake::Task["deploy:published"].invoke',
        '  puts "R2K-RAN" + JSON.generate(R2kRecorder::CMDS)',
        "end",
        "",
      ].join("\n"),
    );
    appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "ran.rake"))}\n`);
    expect(capRan(app, {})).toEqual(["touch mail-restarted"]);
    expect(capRan(app, { WITH_JOBS: "1", NO_MAIL: "1" })).toEqual(["touch jobs-restarted"]);

    const m = await analyzeDir(dir);
    const hooks = m.capistrano!.hooks.filter((h) => h.task.startsWith("jobs:"));
    expect(hooks).toEqual([]);
    const warned = m.problems.filter((p) => p.message.startsWith("capistrano.conditional-hook"));
    expect(warned.map((p) => [p.file, p.line])).toEqual([
      ["config/deploy.rb", 11],
      ["config/deploy.rb", 14],
    ]);
    expect(warned[0]!.message).toContain('the hook after deploy:published: jobs:restart is inside `if ENV["WITH_JOBS"]`');
    expect(warned[0]!.message).toContain("with the variable unset, cap does not run it");
    expect(warned[1]!.message).toContain('the hook after deploy:published: jobs:mail is inside `unless ENV["NO_MAIL"]` (config/deploy.rb:12)');
    expect(warned[1]!.message).toContain("with the variable unset, cap runs it");
  });
});
