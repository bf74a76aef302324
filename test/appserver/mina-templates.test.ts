// A Mina deploy in the mina-stack layout renders its Unicorn config from lib/mina/templates through
// its own helpers (parse_template → Mina's erb, upload_template writes it to the destination) and
// starts Unicorn with `-c <unicorn_config>` (analyzers/appserver/mina-templates.ts). Oracle: Debian's
// mina 0.3.7 in simulate mode (-S) prints the line that writes the file; that text is read by
// Unicorn::Configurator (unicorn_oracle.rb). App "mill", written here.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initPrism();
});

const server = (name: string, host: string, workers: string) =>
  ["namespace :env do", `  task :${name} => [:environment] do`, `    set :domain, '${host}'`, `    set :deploy_to, '/srv/mill-${name}'`, "    set :user, 'mill'", ...(workers ? [`    set :unicorn_workers, ${workers}`] : []), "    invoke :defaults", "  end", "end", ""].join("\n");

function mill(): Record<string, string> {
  return {
    "config/deploy.rb": [
      "$:.unshift './lib'",
      "require 'mina/rails'",
      "require 'mina/git'",
      "require 'mina/mill_defaults'",
      "require 'mina/mill_render'",
      "require 'mina/mill_unicorn'",
      "Dir['lib/mina/servers/*.rb'].each { |f| load f }",
      "set :app, 'mill'",
      "set :repository, 'git@git.example.test:acct/mill.git'",
      "set :server, ENV['to'] || 'production'",
      "invoke :\"env:#{server}\"",
      "task :deploy => :environment do",
      "  deploy do",
      "    invoke :'git:clone'",
      "    to :launch do",
      "      invoke :'unicorn:restart'",
      "    end",
      "  end",
      "end",
      "",
    ].join("\n"),
    "lib/mina/mill_defaults.rb": ["task :defaults do", "  set_default :config_templates_path, 'lib/mina/templates'", '  set_default :config_path, "#{deploy_to}/#{shared_path}/config"', '  set_default :unicorn_config, "#{config_path}/unicorn.rb"', "  set_default :unicorn_workers, 2", "end", ""].join("\n"),
    "lib/mina/mill_render.rb": [
      "def upload_template(desc, tpl, destination)",
      "  contents = parse_template(tpl)",
      '  queue %{echo "-----> #{desc}"}',
      '  queue %{echo "#{contents}" > #{destination}}',
      "end",
      "",
      "def parse_template(file)",
      '  erb("#{config_templates_path}/#{file}.erb").gsub(\'"\',\'\\\\"\').gsub(\'$\',\'\\\\$\')',
      "end",
      "",
    ].join("\n"),
    "lib/mina/mill_unicorn.rb": [
      "namespace :unicorn do",
      "  task :config do",
      '    upload_template "Unicorn config", "unicorn.rb", "#{config_path}/unicorn.rb"',
      "  end",
      "  task :restart do",
      '    queue "cd #{deploy_to}/current && bundle exec unicorn -c #{unicorn_config} -E production -D"',
      "  end",
      "end",
      "",
    ].join("\n"),
    "lib/mina/servers/production.rb": server("production", "mill1.example.test", "5"),
    "lib/mina/servers/staging.rb": server("staging", "mill-stg.example.test", ""),
    "lib/mina/templates/unicorn.rb.erb": ['pid "<%= deploy_to %>/shared/tmp/pids/unicorn.pid"', 'listen "<%= deploy_to %>/shared/tmp/unicorn.sock"', "worker_processes <%= unicorn_workers %>", "timeout 75", ""].join("\n"),
    // the repo's own leftover, which the servers never ran
    "config/unicorn.rb": "worker_processes 9\ntimeout 15\n",
    "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    mina (0.3.7)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mina\n  unicorn\n",
    "config/application.rb": "module Mill\n  class Application < Rails::Application\n  end\nend\n",
  };
}

/** What mina -S would write to the destination for a stage, read by Unicorn. */
function minaOracle(stage: string): { path: string; read: any } {
  const dir = mkdtempSync(join(tmpdir(), "r2k-mill-"));
  for (const [p, text] of Object.entries(mill())) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const r = spawnSync("mina", ["-f", "config/deploy.rb", "-S", "unicorn:config", `to=${stage}`], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
  const m = /echo "((?:[^"\\]|\\[\s\S])*)" > (\S+)/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`mina ${stage}: ${r.stdout}${r.stderr}`);
  const out = join(dir, "rendered.rb");
  writeFileSync(out, m[1]!.replace(/\\(["$\\`])/g, "$1"));
  return { path: m[2]!, read: runRubyFile(join(here, "unicorn_oracle.rb"), [out])[0] };
}

const hasMina = spawnSync("mina", ["--version"], { encoding: "utf8" }).status === 0;

describe("Mina: a Unicorn config uploaded from lib/mina/templates through the repo's helpers", () => {
  it.runIf(hasMina)("is each stage's config, rendered with the stage's variables as mina renders it; config/unicorn.rb is not read for them", async () => {
    const m = await analyzeFiles(memoryRepo(mill()), "mill");
    expect(m.stages.map((s) => s.name).sort()).toEqual(["production", "staging"]);
    for (const stage of ["production", "staging"]) {
      const cfg = appServerFor(m, m.stages.find((s) => s.name === stage)!)!;
      const real = minaOracle(stage);
      expect(real.path).toBe(`/srv/mill-${stage}/shared/config/unicorn.rb`);
      expect(real.read.error).toBeUndefined();
      expect(cfg.file).toBe("lib/mina/templates/unicorn.rb.erb");
      expect([stage, cfg.workers?.value, cfg.timeout?.value]).toEqual([stage, real.read.worker_processes, real.read.timeout]);
      expect(cfg.listen.map((l) => l.address)).toEqual(real.read.listeners.map((l: any) => l.address));
    }
    expect(m.problems.some((p) => p.file === "config/unicorn.rb" && p.message.startsWith("config/unicorn.rb is not the Unicorn config the servers ran"))).toBe(true);
  });
});
