// A Mina deploy that renders its Puma config itself: a task reads config/puma.rb.erb with Ruby's
// ERB (`ERB.new(File.read(...)).result(binding)`) and queues `echo '<rendered>' > <puma_conf>` for
// the server, where Puma is started with `-C <puma_conf>`. The servers ran that rendering, with the
// target's settings bound; what the deploying machine's ENV decided is not known.
// Oracle: Debian's mina 0.3.7 in simulate mode (-S) prints the script it would run on the server;
// the rendered file taken from it is read by Puma's own configuration loader (puma_file_options).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));

const DEPLOY = [
  "require 'erb'",
  "require 'mina/rails'",
  "require 'mina/git'",
  "set :application, 'ferry'",
  "set :deploy_to, '/srv/ferry'",
  "set :user, 'deploy'",
  'set :puma_conf, -> { "#{deploy_to}/#{current_path}/config/puma.rb" }',
  "set_default :puma_workers, 2",
  "task :production do",
  "  set :domain, 'ferry-ssh.example.net'",
  "  set :puma_workers, 6",
  "end",
  "task :staging do",
  "  set :domain, 'ferry-ssh-stg.example.net'",
  "  set :rails_env, 'staging'",
  "end",
  "namespace :puma do",
  "  task :config do",
  "    rendered = ERB.new(File.read('config/puma.rb.erb')).result(binding)",
  "    queue! %(echo '#{rendered}' > #{puma_conf})",
  "  end",
  "  task :start => :environment do",
  "    queue %(cd #{deploy_to}/#{current_path} && bundle exec puma -C #{puma_conf} -d)",
  "  end",
  "end",
  "task :deploy => :environment do",
  "  deploy do",
  "    invoke :'git:clone'",
  "    invoke :'puma:config'",
  "    to :launch do",
  "      invoke :'puma:start'",
  "    end",
  "  end",
  "end",
  "",
].join("\n");
const TEMPLATE = [
  'environment "<%= rails_env %>"',
  "workers <%= puma_workers %>",
  "threads 2, <%= ENV['FERRY_THREADS'] || 5 %>",
  'bind "unix://<%= deploy_to %>/shared/sockets/puma.sock"',
  "",
].join("\n");
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "mina"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    mina (0.3.7)\n    puma (5.6.5)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mina\n  puma\n",
  "config/application.rb": "module Ferry\n  class Application < Rails::Application\n  end\nend\n",
  "config/deploy.rb": DEPLOY,
  "config/puma.rb.erb": TEMPLATE,
};

/** The file mina would write on the server for a target: [its path, its text]. */
function minaRendered(target: string): [string, string] {
  const dir = mkdtempSync(join(tmpdir(), "r2k-mina-erb-"));
  try {
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const r = spawnSync("mina", ["-f", "config/deploy.rb", "-S", target, "puma:config"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    const m = /echo '([\s\S]*?)' > (\S+)/.exec(r.stdout);
    if (r.status !== 0 || !m) throw new Error(`mina ${target}: ${r.stdout}${r.stderr}`);
    return [m[2]!, m[1]!];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("Mina: a Puma config rendered with ERB by a deploy task", () => {
  it("is each stage's Puma config, with Mina's settings bound per stage", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "ferry");
    expect(m.stages.map((s) => s.name).sort()).toEqual(["production", "staging"]);
    const dir = mkdtempSync(join(tmpdir(), "r2k-mina-puma-"));
    for (const stage of ["production", "staging"]) {
      const cfg = m.appServers.find((a) => a.kind === "puma" && a.stages.includes(stage));
      expect(cfg, stage).toBeDefined();
      expect(cfg!.file).toBe("config/puma.rb.erb");
      const [path, text] = minaRendered(stage);
      // Rendered where the server starts Puma from (Mina 0.3's current_path is relative to deploy_to).
      expect(path).toBe("/srv/ferry/current/config/puma.rb");
      expect(cfg!.renderedBy?.value).toContain("#{puma_conf}");
      const out = join(dir, `${stage}.rb`);
      writeFileSync(out, text);
      const [real] = runRubyFile(join(here, "puma_oracle.rb"), [{ path: out, env: stage }]);
      expect(cfg!.workers?.value).toBe(real.workers);
      expect(cfg!.workers?.source).toEqual({ file: "config/puma.rb.erb", line: 2 });
      // threads: min as rendered; max read from ENV (the project's rule for a template's ENV read:
      // carried as that variable with its default, which is what mina rendered with it unset).
      const threads = cfg!.threads?.value as unknown[];
      expect(threads[0]).toBe(real.threads[0]);
      expect(threads[1]).toEqual({ env: "FERRY_THREADS", default: real.threads[1] });
    }
    expect(m.appServers.find((a) => a.stages.includes("production"))!.workers?.value).toBe(6);
    expect(m.appServers.find((a) => a.stages.includes("staging"))!.workers?.value).toBe(2);
  });
});
