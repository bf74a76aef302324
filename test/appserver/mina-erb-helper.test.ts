// Mina's own `erb(file)` helper (0.3's lib/mina/helpers.rb, 1.x alike: `ERB.new(File.read(file)).result(binding)`)
// called right inside the shell line a task queues: `queue! %(echo '#{erb("…unicorn.rb.erb")}' > <path>)`.
// The servers ran that rendering, with each target's settings bound, and Unicorn was started with -c
// that path. Oracle: Debian's mina 0.3.7 in simulate mode (-S) prints the script it would run; the
// file taken from it is read by Unicorn itself (Unicorn::Configurator, test/appserver/unicorn_oracle.rb).
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

// Written for this test: a wharf-booking app, one task per target, the Unicorn config rendered inline.
const DEPLOY = [
  "require 'mina/rails'",
  "require 'mina/git'",
  "set :application, 'quay'",
  "set :deploy_to, '/srv/quay'",
  "set_default :unicorn_workers, 2",
  "task :production do",
  "  set :domain, 'quay-app.example.net'",
  "  set :unicorn_workers, 5",
  "end",
  "task :staging do",
  "  set :domain, 'quay-stg.example.net'",
  "  set :rails_env, 'staging'",
  "end",
  "namespace :unicorn do",
  "  task :config do",
  `    queue! %(echo '#{erb("config/deploy/templates/unicorn.rb.erb")}' > #{deploy_to}/shared/config/unicorn.rb)`,
  "  end",
  "  task :start => :environment do",
  "    queue %(cd #{deploy_to}/#{current_path} && bundle exec unicorn -c #{deploy_to}/shared/config/unicorn.rb -E #{rails_env} -D)",
  "  end",
  "end",
  "task :deploy => :environment do",
  "  deploy do",
  "    invoke :'git:clone'",
  "    invoke :'unicorn:config'",
  "    to :launch do",
  "      invoke :'unicorn:start'",
  "    end",
  "  end",
  "end",
  "",
].join("\n");
const TEMPLATE = ["worker_processes <%= unicorn_workers %>", "timeout 50", 'listen "<%= deploy_to %>/shared/sockets/unicorn.sock", backlog: 128', "preload_app true", ""].join("\n");
const FILES: Record<string, string> = {
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "unicorn"\ngem "mina"\n',
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    mina (0.3.7)\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  mina\n  unicorn\n",
  "config/application.rb": "module Quay\n  class Application < Rails::Application\n  end\nend\n",
  "config/deploy.rb": DEPLOY,
  "config/deploy/templates/unicorn.rb.erb": TEMPLATE,
};

/** The file mina would write on the server for a target: [its path, its text]. */
function minaRendered(target: string): [string, string] {
  const dir = mkdtempSync(join(tmpdir(), "r2k-mina-erb-helper-"));
  try {
    for (const [p, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    const r = spawnSync("mina", ["-f", "config/deploy.rb", "-S", target, "unicorn:config"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    const m = /echo '([\s\S]*?)' > (\S+)/.exec(r.stdout);
    if (r.status !== 0 || !m) throw new Error(`mina ${target}: ${r.stdout}${r.stderr}`);
    return [m[2]!, m[1]!];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hasMina = spawnSync("mina", ["--version"], { encoding: "utf8" }).status === 0;

describe("Mina: a Unicorn config rendered by its erb() helper inside the queued line", () => {
  it.runIf(hasMina)("is each target's Unicorn config, with the target's settings bound, as mina renders it", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "quay");
    expect(m.stages.map((s) => s.name).sort()).toEqual(["production", "staging"]);
    const dir = mkdtempSync(join(tmpdir(), "r2k-mina-unicorn-"));
    for (const stage of ["production", "staging"]) {
      const cfg = m.appServers.find((a) => a.kind === "unicorn" && a.stages.includes(stage));
      expect(cfg, stage).toBeDefined();
      expect(cfg!.file).toBe("config/deploy/templates/unicorn.rb.erb");
      const [path, text] = minaRendered(stage);
      expect(path).toBe("/srv/quay/shared/config/unicorn.rb");
      const out = join(dir, `${stage}.rb`);
      writeFileSync(out, text);
      const [real] = runRubyFile(join(here, "unicorn_oracle.rb"), [out]);
      expect(real.error).toBeUndefined();
      expect([stage, cfg!.workers?.value, cfg!.timeout?.value]).toEqual([stage, real.worker_processes, real.timeout]);
      expect(cfg!.timeout?.source).toEqual({ file: "config/deploy/templates/unicorn.rb.erb", line: 2 });
      expect(cfg!.listen.map((l) => l.address)).toEqual(real.listeners.map((l: { address: string }) => l.address.replace(/^unix:/, "")));
    }
    expect(m.appServers.find((a) => a.kind === "unicorn" && a.stages.includes("production"))!.workers?.value).toBe(5);
    expect(m.appServers.find((a) => a.kind === "unicorn" && a.stages.includes("staging"))!.workers?.value).toBe(2);
  });

  it("a rendering written where the analysis cannot follow it is named at its line, not read", async () => {
    const deploy = DEPLOY.replace("namespace :unicorn do", ["namespace :nginx do", "  task :site do", '    queue! %(echo "#{erb(\'config/deploy/templates/site.conf.erb\')}" | sudo tee /etc/nginx/sites-enabled/quay)', "  end", "end", "namespace :unicorn do"].join("\n"));
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy.rb": deploy, "config/deploy/templates/site.conf.erb": "server {\n  client_max_body_size <%= upload_size %>;\n}\n" }), "quay");
    expect(m.problems).toContainEqual(expect.objectContaining({ file: "config/deploy.rb", line: 16, message: expect.stringMatching(/^mina\.erb-not-followed: task nginx:site renders config\/deploy\/templates\/site\.conf\.erb with Mina's erb\(\) helper/) }));
    // the inline render followed into a path stays unwarned
    expect(m.problems.filter((p) => /mina\.erb-not-followed/.test(p.message) && /unicorn/.test(p.message))).toEqual([]);
  });
});
