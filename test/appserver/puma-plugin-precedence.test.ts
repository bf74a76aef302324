// Which Puma config capistrano3-puma's servers ran, when the repo also has a Procfile and a
// config/puma.rb of its own (a Heroku leftover):
// - before 6.0 the plugin's puma:start runs `puma -C <puma_conf>`, a file puma:config rendered from
//   the template it finds first (the repo's copy under config/deploy/templates/ here). A Procfile
//   nothing in the deploy runs does not outrank it.
// - a Capfile requiring capistrano/puma with the gem in neither Gemfile nor Gemfile.lock cannot
//   load it: `cap` aborts with LoadError. The gem's defaults are then not what ran; that is said,
//   and the repo's own config is read in their place.
// Judged by Ruby's ERB and Debian's Puma::Configuration (puma_template_oracle.rb, puma_oracle.rb)
// and by real `cap`. (Apps written for this test, after shapes seen in the corpus.)
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

const lockWith = (extra: string[], deps: string[]) =>
  ["GEM", "  remote: https://rubygems.org/", "  specs:", "    capistrano (3.17.2)", ...extra, "    puma (5.6.5)", "    rails (6.1.7)", "", "PLATFORMS", "  ruby", "", "DEPENDENCIES", "  capistrano", ...deps, "  puma", "  rails", ""].join("\n");

// the repo's copy of the plugin's template: only what this test compares
const TEMPLATE = [
  "directory '<%= current_path %>'",
  "environment '<%= fetch(:puma_env) %>'",
  "threads <%= fetch(:puma_threads).join(',') %>",
  "<%= puma_bind %>",
  "workers <%= puma_workers %>",
  "<% if puma_preload_app? %>",
  "preload_app!",
  "<% else %>",
  "prune_bundler",
  "<% end %>",
  "",
].join("\n");

// a laptop/Heroku config the deploy never starts
const OWN_PUMA = ["workers Integer(ENV['WEB_CONCURRENCY'] || 3)", "max = Integer(ENV['MAX_THREADS'] || 6)", "threads max, max", "port ENV['PORT'] || 3000", ""].join("\n");

const templated = (): Record<string, string> => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\n',
  "config/deploy.rb": 'set :application, "tally"\nset :repo_url, "git@git.example.org:acct/tally.git"\nset :deploy_to, "/srv/tally"\nset :puma_threads, [3, 12]\nset :puma_workers, 0\nset :puma_preload_app, true\n',
  "config/deploy/production.rb": 'server "app1.tally.example.org", roles: %w[web app db]\n',
  "config/deploy/templates/puma.rb.erb": TEMPLATE,
  "config/puma.rb": OWN_PUMA,
  Procfile: "web: bundle exec puma -C config/puma.rb\n",
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "capistrano"\ngem "capistrano3-puma"\n',
  "Gemfile.lock": lockWith(["    capistrano3-puma (1.2.1)", "      capistrano (~> 3.0)", "      puma (>= 2.6)"], ["  capistrano3-puma"]),
  "config.ru": 'run ->(env) { [200, {}, ["ok"]] }\n',
});

function onDisk(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "r2k-puma-prec-")), "app");
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

describe("capistrano3-puma before 6 next to a Procfile the deploy does not run", () => {
  it("the servers ran the repo's template as rendered for the stage, not config/puma.rb", async () => {
    const dir = onDisk(templated());
    // what puma:config wrote (the stage's variables over the plugin's defaults), read by Puma
    const vars = { deploy_to: "/srv/tally", puma_env: "production", puma_threads: [3, 12], puma_workers: 0, puma_preload_app: true, puma_bind: "unix:///srv/tally/shared/tmp/sockets/puma.sock" };
    const [rendered] = runRubyFile(join(here, "puma_template_oracle.rb"), [{ template: join(dir, "config/deploy/templates/puma.rb.erb"), out: join(dir, "rendered.rb"), vars }]);
    expect(rendered.error).toBeUndefined();
    // and what config/puma.rb would have given, which the outputs used to carry
    const [own] = runRubyFile(join(here, "puma_oracle.rb"), [{ path: join(dir, "config/puma.rb"), env: "production" }]);
    expect([own.workers, own.threads]).toEqual([3, [6, 6]]);

    const m = await analyzeFiles(memoryRepo(templated()), "tally");
    const cfg = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(cfg.file).toBe("config/deploy/templates/puma.rb.erb");
    expect(cfg.workers?.value).toBe(rendered.workers);
    expect(cfg.threads?.value).toEqual(rendered.threads);
    expect(cfg.preloadApp?.value).toBe(rendered.preload_app === true);
    // the template reads :puma_threads and :puma_workers: no warning says otherwise
    expect(m.problems.filter((p) => /stage\.unread-server-number/.test(p.message))).toEqual([]);
    // the Procfile's line is said not to be what ran, at its own line
    const said = m.problems.find((p) => p.file === "Procfile" && p.line === 1);
    expect(said?.message).toMatch(/nothing in the deploy runs this Procfile.*capistrano3-puma 1\.2\.1.*config\/deploy\/templates\/puma\.rb\.erb/);
  });

  it("a Procfile the deploy runs (foreman) keeps naming the config", async () => {
    const files = { ...templated(), "config/deploy.rb": templated()["config/deploy.rb"] + 'task :web do\n  on roles(:web) do\n    execute "cd #{current_path} && foreman start web"\n  end\nend\n' };
    const m = await analyzeFiles(memoryRepo(files), "tally");
    const cfg = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(cfg.file).toBe("config/puma.rb");
  });
});

const unbundled = (): Record<string, string> => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n\nrequire "capistrano/puma"\ninstall_plugin Capistrano::Puma\n',
  "config/deploy.rb": 'set :application, "tally"\nset :repo_url, "git@git.example.org:acct/tally.git"\nset :deploy_to, "/srv/tally"\nset :puma_bind, "tcp://0.0.0.0:3000"\n',
  "config/deploy/production.rb": 'server "app1.tally.example.org", roles: %w[web app db]\nset :rails_env, "production"\n',
  "config/puma.rb": OWN_PUMA,
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\ngem "capistrano"\n',
  "Gemfile.lock": lockWith([], []),
});

describe("capistrano/puma required, capistrano3-puma not in the bundle", () => {
  it("real cap cannot load it", () => {
    // (this machine has no capistrano3-puma installed, as the bundle has none: cap sees what bundle exec would)
    const gem = spawnSync("gem", ["list", "-i", "^capistrano3-puma$"], { encoding: "utf8" });
    expect(gem.stdout.trim()).toBe("false");
    const dir = onDisk(unbundled());
    const r = spawnSync("cap", ["production", "-T"], { cwd: dir, encoding: "utf8", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" } });
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/LoadError: cannot load such file -- capistrano\/puma/);
  });

  it("real cap run outside the bundle loads a capistrano/puma the deploying machine has installed: the deploy could have run that way", () => {
    // The machine's own gem stands on cap's load path (as a `gem install capistrano3-puma` puts it);
    // capistrano3-puma is not packaged, so a plugin class of our own stands in for it, on a real cap.
    const lib = mkdtempSync(join(tmpdir(), "r2k-global-gem-"));
    mkdirSync(join(lib, "capistrano"));
    writeFileSync(join(lib, "capistrano/puma.rb"), 'require "capistrano/plugin"\nmodule Capistrano\n  class Puma < Capistrano::Plugin\n    def define_tasks\n      namespace :puma do\n        desc \"Restart Puma\"\n        task(:restart) { }\n      end\n    end\n  end\nend\n');
    const dir = onDisk(unbundled());
    const r = spawnSync("cap", ["production", "-T"], { cwd: dir, encoding: "utf8", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", RUBYLIB: lib } });
    rmSync(lib, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cap puma:restart/);
  });

  it("is said at the require line, and the gem's defaults are not given as what ran", async () => {
    const m = await analyzeFiles(memoryRepo(unbundled()), "tally");
    const w = m.problems.filter((p) => /capfile\.plugin-not-locked/.test(p.message));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ file: "Capfile", line: 4, severity: "warning" });
    expect(w[0]!.message).toMatch(/capistrano3-puma is in neither the Gemfile nor Gemfile\.lock.*LoadError.*config\/puma\.rb/);
    // Not "could not run" flatly: a cap outside the bundle, with the gem installed on the deploying machine, could have.
    expect(w[0]!.message).toMatch(/could not run that way; a `cap` run outside the bundle, with capistrano3-puma installed as a gem of the deploying machine, loads it and could have run the deploy, in a version the repo does not state/);
    // no config carries a capistrano3-puma default
    const defaults = m.appServers.flatMap((a) => [a.workers, a.threads, a.preloadApp, a.pid]).filter((f) => f?.defaultOf === "capistrano3-puma");
    expect(defaults).toEqual([]);
    // the stage reads the repo's own file, as real Puma reads it
    const [own] = runRubyFile(join(here, "puma_oracle.rb"), [{ path: join(onDisk(unbundled()), "config/puma.rb"), env: "production" }]);
    const cfg = appServerFor(m, m.stages.find((s) => s.name === "production")!)!;
    expect(cfg.file).toBe("config/puma.rb");
    expect(own.workers).toBe(3);
    expect(JSON.stringify(cfg.workers?.value)).toMatch(/WEB_CONCURRENCY/);
  });

  it("a Gemfile naming it with a lockfile that does not is said as the lockfile's", async () => {
    const files = { ...unbundled(), Gemfile: unbundled().Gemfile + 'gem "capistrano3-puma"\n' };
    const m = await analyzeFiles(memoryRepo(files), "tally");
    const w = m.problems.filter((p) => /capfile\.plugin-not-locked/.test(p.message));
    expect(w).toHaveLength(1);
    expect(w[0]!.message).toMatch(/Gemfile\.lock does not lock capistrano3-puma/);
  });
});
