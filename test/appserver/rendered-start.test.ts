// A config the deploy renders from a template is the stage's config when the server is started with
// the path it is uploaded to: judged by real Capistrano (a dry run of the setup tasks, whose uploads
// are captured: test/appserver/capture_uploads.rb), the start command in the init script or
// systemd unit it rendered, and Unicorn::Configurator / Puma's own loader reading the captured
// config. Fixtures: fixtures/appserver/harbor (Unicorn; a leftover task renders another template
// to the conventional config/unicorn.rb, which nothing starts) and fixtures/appserver/ferry (Puma
// with a systemd unit, no capistrano3-puma).
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo, readRepo } from "../../src/repo.js";
import { appServerFor } from "../../emitters/app-server.js";
import type { AppModel, RValue } from "../../src/model.js";
import { withEnvDefaults } from "./values.js";
import { runRubyFile } from "./ruby.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (app: string) => join(here, "../../fixtures/appserver", app);

/** Real `cap <stage> <tasks> --dry-run` on a copy of the app: what each upload! would have written, by destination. */
function capUploads(app: string, stage: string, tasks: string[]): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "r2k-cap-render-"));
  cpSync(app.includes("/") ? app : fixture(app), join(dir, "app"), { recursive: true });
  appendFileSync(join(dir, "app/Capfile"), `\nload ${JSON.stringify(join(here, "capture_uploads.rb"))}\n`);
  const out = join(dir, "uploads");
  const r = spawnSync("cap", [stage, ...tasks, "--dry-run"], { cwd: join(dir, "app"), encoding: "utf8", timeout: 60000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", R2K_UPLOADS: out } });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  const files = new Map<string, string>();
  if (existsSync(out)) for (const f of readdirSync(out)) files.set(f.replace(/__/g, "/"), join(out, f));
  return files;
}

/** The path the rendered init script / unit starts the server with (`unicorn … -c X`, `puma -C X`). */
function startedWith(uploads: Map<string, string>, server: "unicorn" | "puma"): string {
  for (const file of uploads.values()) {
    const m = new RegExp(`\\b${server}\\b[^\\n]*?\\s-[cC]\\s+([^\\s"']+)`).exec(readFileSync(file, "utf8"));
    if (m) return m[1]!;
  }
  throw new Error(`no ${server} start in the uploads`);
}

const models = new Map<string, AppModel>();
beforeAll(async () => {
  await initPrism();
  for (const app of ["harbor", "ferry"]) models.set(app, await analyzeFiles(readRepo(fixture(app)).repo, app));
});

describe("tasks.ts reads render calls from the task bodies", () => {
  it("each template(from, to) with its destination and line", () => {
    const tasks = models.get("harbor")!.capistrano!.tasks;
    expect(tasks.find((t) => t.name === "unicorn:setup")?.renders).toEqual([
      { template: "lib/capistrano/templates/unicorn.rb.erb", destination: "fetch(:unicorn_conf)", source: { file: "lib/capistrano/tasks/unicorn.rake", line: 6 } },
      { template: "lib/capistrano/templates/unicorn_init.sh.erb", destination: '"/tmp/harbor_unicorn_init"', source: { file: "lib/capistrano/tasks/unicorn.rake", line: 7 } },
    ]);
    expect(tasks.find((t) => t.name === "unicorn:legacy_config")?.renders?.[0]?.template).toBe("lib/capistrano/templates/unicorn_legacy.rb.erb");
  });
});

describe("the rendered config the server is started with, per stage", () => {
  for (const stage of ["production", "staging"]) {
    it(`Unicorn (harbor ${stage}): the upload at the init script's -c path, not the one shaped like config/unicorn.rb`, () => {
      const uploads = capUploads("harbor", stage, ["unicorn:setup", "unicorn:legacy_config"]);
      const path = startedWith(uploads, "unicorn");
      expect(uploads.has(`/opt/harbor-${stage}/shared/config/unicorn.rb`)).toBe(true); // the decoy was rendered too
      const [real] = runRubyFile(join(here, "unicorn_oracle.rb"), [{ path: uploads.get(path)!, env: stage }]);
      expect(real.error).toBeUndefined();
      const m = models.get("harbor")!;
      const ours = appServerFor(m, m.stages.find((s) => s.name === stage)!)!;
      expect(ours.file).toBe("lib/capistrano/templates/unicorn.rb.erb");
      expect(ours.renderedBy?.value).toContain("lib/capistrano/templates/unicorn_init.sh.erb:5");
      expect(ours.workers?.value).toBe(real.worker_processes);
      expect(ours.timeout?.value).toBe(real.timeout);
      expect(ours.pid?.value).toBe(real.pid);
      expect(ours.listen.map((l) => l.address)).toEqual(real.listeners.map((l: any) => l.address));
    });

    it(`Puma (ferry ${stage}): the rendered config the systemd unit's -C names`, () => {
      const uploads = capUploads("ferry", stage, ["puma:setup"]);
      const path = startedWith(uploads, "puma");
      const [real] = runRubyFile(join(here, "puma_oracle.rb"), [{ path: uploads.get(path)!, env: stage }]);
      expect(real.error).toBeUndefined();
      const m = models.get("ferry")!;
      const ours = appServerFor(m, m.stages.find((s) => s.name === stage)!)!;
      expect(ours.kind).toBe("puma");
      expect(ours.file).toBe("lib/capistrano/templates/puma.rb.erb");
      expect(ours.renderedBy?.value).toContain("lib/capistrano/templates/puma.service.erb:9");
      expect(ours.workers?.value).toBe(real.workers);
      expect(ours.threads?.value).toEqual(real.threads);
      expect(ours.timeout?.value).toBe(real.worker_timeout);
      expect(ours.preloadApp?.value).toBe(real.preload_app);
      expect(ours.listen.map((l) => `${l.kind === "unix" ? "unix" : "tcp"}://${l.address}`)).toEqual(real.binds);
    });
  }

  it("the repo's leftover configs run on no stage, and are said to be not the servers'", () => {
    for (const [app, file] of [["harbor", "config/unicorn.rb"], ["ferry", "config/puma.rb"]] as const) {
      const m = models.get(app)!;
      expect(m.appServers.find((a) => a.file === file)?.stages ?? []).toEqual([]);
      expect(m.problems.some((p) => p.file === file && /is not the (Unicorn|Puma) config the servers ran/.test(p.message))).toBe(true);
    }
  });
});

describe("a rendering held in a local and uploaded into the release", () => {
  // The other common recipe shape: `ERB.new(File.read(...)).result(binding)` kept in a local, put
  // with `upload! StringIO.new(local), "#{release_path}/config/unicorn.rb"`, and an init script
  // whose start line names the file through a shell variable (`-c $APP_ROOT/config/unicorn.rb`).
  const FILES: Record<string, string> = {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "stringio"\nrequire "erb"\nimport "config/deploy/unicorn.rake"\n',
    "config/deploy.rb": 'lock "~> 3.17"\nset :application, "quay"\nset :repo_url, "git@git.example.org:ops/quay.git"\nset :deploy_to, "/var/apps/quay"\nset :unicorn_count, 3\n',
    "config/deploy/production.rb": 'server "quay1.example.org", roles: %w[app web db]\nset :unicorn_count, 7\n',
    "config/deploy/unicorn.rake": [
      "namespace :unicorn do",
      "  task :config do",
      "    on roles(:app) do",
      '      body = ERB.new(File.read("config/deploy/templates/unicorn.rb.erb")).result(binding)',
      '      target = "#{release_path}/config/unicorn.rb"',
      "      upload! StringIO.new(body), target",
      '      script = ERB.new(File.read("config/deploy/templates/unicorn_init.erb")).result(binding)',
      '      upload! StringIO.new(script), "#{shared_path}/unicorn_init"',
      "    end",
      "  end",
      "end",
      "",
    ].join("\n"),
    "config/deploy/templates/unicorn.rb.erb": 'worker_processes <%= fetch(:unicorn_count) %>\ntimeout 50\nlisten "<%= shared_path %>/unicorn.sock"\n',
    "config/deploy/templates/unicorn_init.erb": '#!/bin/sh\nAPP_ROOT=<%= current_path %>\nCMD="cd $APP_ROOT; bundle exec unicorn -D -c $APP_ROOT/config/unicorn.rb -E production"\nsh -c "$CMD"\n',
    "config/unicorn.rb": "worker_processes 1\n",
    Gemfile: 'source "https://rubygems.org"\ngem "unicorn"\n',
  };

  it("is the stage's config, as real cap renders and Unicorn reads it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-quay-"));
    for (const [f, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    const uploads = capUploads(dir, "production", ["unicorn:config"]);
    const path = startedWith(uploads, "unicorn").replace("$APP_ROOT", "/var/apps/quay/current");
    const release = [...uploads.keys()].find((k) => k.endsWith("/config/unicorn.rb"))!;
    // cap's release_path is releases/<timestamp>, which current points to once deployed
    expect(release.replace(/\/releases\/\d+\//, "/current/")).toBe(path);
    const [real] = runRubyFile(join(here, "unicorn_oracle.rb"), [{ path: uploads.get(release)!, env: "production" }]);
    const m = await analyzeFiles(memoryRepo(FILES), "quay");
    const ours = appServerFor(m, m.stages[0]!)!;
    expect(ours.file).toBe("config/deploy/templates/unicorn.rb.erb");
    expect(ours.renderedBy?.value).toContain("config/deploy/templates/unicorn_init.erb:3");
    expect(ours.workers?.value).toBe(real.worker_processes);
    expect(ours.timeout?.value).toBe(real.timeout);
  });
});

describe("a rendering uploaded to the server path the Procfile's -C names", () => {
  // The repo's own task renders a template with ERB and uploads it into shared/ by a File.join;
  // the Procfile starts Puma with that absolute server path written out. No hook runs the task:
  // someone ran it by hand, and nothing else writes that path.
  const FILES: Record<string, string> = {
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "stringio"\nrequire "erb"\n',
    "config/deploy.rb": [
      'lock "~> 3.17"',
      'set :application, "lantern"',
      'set :repo_url, "git@git.example.org:ops/lantern.git"',
      'set :deploy_to, "/home/deploy/lantern"',
      'set :puma_sock, -> { File.join(shared_path, "sockets", "puma.sock") }',
      "",
      "namespace :config do",
      "  task :push do",
      "    on roles(:app) do",
      '      tpl = ERB.new File.read("config/deploy/templates/puma.erb")',
      "      upload! StringIO.new(tpl.result(binding)), File.join(shared_path, 'puma.rb')",
      "    end",
      "  end",
      "end",
      "",
    ].join("\n"),
    "config/deploy/production.rb": 'server "lantern1.example.org", roles: %w[app web db]\n',
    "config/deploy/templates/puma.erb": [
      "directory '<%= current_path %>'",
      "workers Integer(ENV['WEB_CONCURRENCY'] || 4)",
      "count = Integer(ENV['MAX_THREADS'] || 6)",
      "threads count, count",
      "bind 'unix://<%= fetch(:puma_sock) %>'",
      "preload_app!",
      "worker_timeout 40",
      "",
    ].join("\n"),
    Procfile: "web: bundle exec puma -C /home/deploy/lantern/shared/puma.rb\n",
    Gemfile: 'source "https://rubygems.org"\ngem "puma"\n',
  };
  const write = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-lantern-"));
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    return dir;
  };

  it("is the stage's config, as real cap renders it and Puma reads it; the task is said to run by hand", async () => {
    const uploads = capUploads(write(FILES), "production", ["config:push"]);
    const started = /-C\s+(\S+)/.exec(FILES.Procfile!)![1]!;
    expect(uploads.has(started)).toBe(true);
    const [real] = runRubyFile(join(here, "puma_oracle.rb"), [{ path: uploads.get(started)!, env: "production" }]);
    expect(real.error).toBeUndefined();
    const m = await analyzeFiles(memoryRepo(FILES), "lantern");
    const ours = appServerFor(m, m.stages[0]!)!;
    expect(ours.kind).toBe("puma");
    expect(ours.file).toBe("config/deploy/templates/puma.erb");
    expect(ours.renderedBy?.value).toContain("Procfile:1");
    expect(ours.renderedBy?.value).toContain("no hook of the deploy runs config:push");
    expect(withEnvDefaults(ours.workers!.value)).toBe(real.workers);
    expect((ours.threads!.value as RValue[]).map(withEnvDefaults)).toEqual(real.threads);
    expect(ours.timeout?.value).toBe(real.worker_timeout);
    expect(ours.preloadApp?.value).toBe(real.preload_app);
    expect(ours.listen.map((l) => `${l.kind === "unix" ? "unix" : "tcp"}://${l.address}`)).toEqual(real.binds);
    expect(m.problems.some((p) => p.file === "Procfile" && /not a file of the repo/.test(p.message))).toBe(false);
  });

  it("a -C path no task uploads to keeps the warning, and no config is read", async () => {
    const other = { ...FILES, Procfile: "web: bundle exec puma -C /home/deploy/lantern/shared/config/puma.rb\n" };
    const m = await analyzeFiles(memoryRepo(other), "lantern");
    expect(m.appServers.filter((a) => a.stages.length)).toEqual([]);
    expect(m.problems.some((p) => p.file === "Procfile" && /names its config as \/home\/deploy\/lantern\/shared\/config\/puma\.rb, which is not a file of the repo/.test(p.message))).toBe(true);
  });
});
