// A Capistrano 2 deploy whose own `template(from, to)` helper renders files kept under a
// templates/ folder WITHOUT an .erb suffix (`templates/unicorn_conf.rb`, `templates/unicorn_service.rb`)
// and puts them on the servers. The first is the Unicorn config the servers ran; the second is an
// init script (a shell file, though its name looks like a Unicorn config) whose start line names the
// first with -c. Before, neither was read: "no Unicorn or Puma config found", 4 workers and a 30 s
// timeout lost. Judged by loading the recipes in a Capistrano 2 variable store whose `template`
// and `set_default` are the repo's own (cap2_recipes_oracle.rb), then reading the upload with
// Unicorn::Configurator.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
beforeAll(async () => {
  await initPrism();
});

const CONF = "config/ops/templates/unicorn_conf.rb";
const SERVICE = "config/ops/templates/unicorn_service.rb";
const FILES: Record<string, string> = {
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  "config/deploy.rb": [
    'load "config/ops/helpers"',
    'set :application, "pantry"',
    'set :user, "pantry_web"',
    'set :deploy_to, "/srv/pantry/#{application}"',
    'server "pantry.example.org", :app, :web, :db, primary: true',
    'load "config/ops/setup"',
    "",
  ].join("\n"),
  "config/ops/helpers.rb": [
    "def template(from, to)",
    "  here = File.dirname(File.absolute_path(__FILE__))",
    '  put ERB.new(File.read("#{here}/templates/#{from}")).result(binding), to',
    "end",
    "",
    "def set_default(name, *args, &block)",
    "  set(name, *args, &block) unless exists?(name)",
    "end",
    "",
  ].join("\n"),
  "config/ops/setup.rb": [
    'set_default(:conf_dir, "#{shared_path}/config")',
    'set_default(:bin_dir, "#{shared_path}/bin")',
    "set_default(:unicorn_workers, 3)",
    'set_default(:unicorn_config) { "#{conf_dir}/unicorn_conf.rb" }',
    'set_default(:unicorn_pid) { "#{shared_path}/pids/unicorn.pid" }',
    "",
    "namespace :setup do",
    "  task :configs do",
    '    template("unicorn_conf.rb", "#{conf_dir}/unicorn_conf.rb")',
    '    template("unicorn_service.rb", "#{bin_dir}/unicorn_service")',
    '    run "chmod 755 #{bin_dir}/unicorn_service"',
    "  end",
    "end",
    "",
  ].join("\n"),
  [CONF]: [
    'app_dir = "<%= current_path %>"',
    'pid "<%= unicorn_pid %>"',
    'listen "<%= shared_path %>/pids/unicorn.sock", backlog: 512',
    "working_directory app_dir",
    "worker_processes <%= unicorn_workers %>",
    "timeout 25",
    "preload_app true",
    "",
  ].join("\n"),
  [SERVICE]: [
    "#!/bin/sh",
    "# the init script, rendered at deploy",
    "set -e",
    "APP=<%= current_path %>",
    'START="unicorn_rails -D -c <%= unicorn_config %> -E production"',
    'case "$1" in',
    "  start) cd $APP && $START ;;",
    "  stop) kill -QUIT `cat <%= unicorn_pid %>` ;;",
    "esac",
    "",
  ].join("\n"),
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    rails (4.2.11)\n    unicorn (5.4.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  rails\n  unicorn\n",
};

describe("Capistrano 2: a repo template helper rendering plain .rb templates", () => {
  it("reads the rendered unicorn_conf.rb as the stage's config, as the recipes render it and Unicorn reads the upload", async () => {
    const root = mkdtempSync(join(tmpdir(), "r2k-cap2-plain-"));
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    const cap2 = runRubyFile(join(here, "cap2_recipes_oracle.rb"), { root, file: "config/deploy.rb", task: "setup:configs" });
    const config = cap2.vars.unicorn_config as string;
    expect(config).toBe("/srv/pantry/pantry/shared/config/unicorn_conf.rb");
    // the init script starts Unicorn with exactly that path
    expect(cap2.uploads["/srv/pantry/pantry/shared/bin/unicorn_service"]).toContain(`-c ${config} `);
    const uploaded = join(root, "uploaded-unicorn.rb");
    writeFileSync(uploaded, cap2.uploads[config]);
    const [real] = runRubyFile(join(here, "unicorn_oracle.rb"), [uploaded]);
    expect(real.worker_processes).toBe(3);

    const m = await analyzeFiles(memoryRepo(FILES), "pantry");
    const unicorns = m.appServers.filter((s) => s.kind === "unicorn");
    // the init script is not read as a Unicorn config
    expect(unicorns.map((s) => s.file)).toEqual([CONF]);
    const ours = unicorns[0]!;
    expect(ours.stages).toEqual(["production"]);
    expect(ours.workers?.value).toBe(real.worker_processes);
    expect(ours.timeout?.value).toBe(real.timeout);
    expect(ours.pid?.value).toBe(real.pid);
    expect(ours.listen.map((l) => l.address)).toEqual(real.listeners.map((l: { address: string }) => l.address));
    expect(ours.workers?.source).toEqual({ file: CONF, line: 5 });
    expect(ours.timeout?.source).toEqual({ file: CONF, line: 6 });
    // evidence: the upload line, and the init script's start line that names the uploaded path
    expect(ours.renderedBy?.source).toEqual({ file: "config/ops/setup.rb", line: 9 });
    expect(ours.renderedBy?.value).toContain(`${SERVICE}:5`);
  });

  it("the rendered init script is the deploy's evidence that Unicorn ran", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "pantry");
    expect(m.webServer?.kind).toBe("unicorn");
    expect(m.webServer?.evidence.some((e) => e.source.file === SERVICE && e.source.line === 5 && e.value.includes("setup.rb:10"))).toBe(true);
  });

  it("a template with no ERB tag in the helper's templates/ folder is still what the helper uploads", async () => {
    const files = { ...FILES, [CONF]: FILES[CONF]!.replace("<%= unicorn_workers %>", "5").replace(/<%=[^%]*%>/g, "/srv/pantry/pantry/current") };
    const m = await analyzeFiles(memoryRepo(files), "pantry");
    const unicorns = m.appServers.filter((s) => s.kind === "unicorn");
    expect(unicorns.map((s) => [s.file, s.workers?.value])).toEqual([[CONF, 5]]);
  });

  it("a repo file outside templates/, with neither tag nor .erb, that a helper's basename search finds is not taken for the rendering", async () => {
    // `template("unicorn.rb", …)` of a helper that is not the repo's: config/unicorn.rb is found by its
    // basename only, and nothing says the helper uploads it.
    const files = { ...FILES, "config/unicorn.rb": "worker_processes 9\ntimeout 15\n", "config/ops/setup.rb": FILES["config/ops/setup.rb"]!.replace('template("unicorn_conf.rb", "#{conf_dir}/unicorn_conf.rb")', 'template("unicorn.rb", "#{conf_dir}/unicorn_conf.rb")') };
    const m = await analyzeFiles(memoryRepo(files), "pantry");
    expect(m.appServers.some((s) => s.kind === "unicorn" && s.file === "config/unicorn.rb" && s.renderedBy)).toBe(false);
  });
});
