// capistrano-nginx-unicorn 0.0.x (`require "capistrano-nginx-unicorn"`, Capistrano 2; not
// capistrano-unicorn-nginx): its unicorn:setup renders <templates_path>/unicorn.rb.erb (the repo's
// copy, else the gem's) with the Capistrano binding to shared/config/unicorn.rb and starts Unicorn
// with it. A real repo's stage `set :unicorn_workers, 2` was lost (Unicorn's default 1 carried)
// because no template was rendered. Judged by Ruby's ERB with a Capistrano 2 style binding, real
// Unicorn reading the rendering, and `nginx -t` on the rendered site.
import { beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { nginxUnicornText } from "../../analyzers/appserver/nginx-unicorn-cap2.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { runRubyFile } from "./ruby.js";
import { runNginx, tempDir, writeTree } from "../nginx/nginx.js";

const here = dirname(fileURLToPath(import.meta.url));
const GEM = "capistrano-nginx-unicorn";
const LOCK = `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (2.15.9)\n    capistrano-ext (1.2.1)\n    capistrano-nginx-unicorn (0.0.8)\n      capistrano\n    rails (4.2.11)\n    unicorn (5.4.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano (~> 2.15)\n  capistrano-ext\n  capistrano-nginx-unicorn\n  rails\n  unicorn\n`;
const UNICORN_ERB = [
  'working_directory "<%= current_path %>"',
  'pid "<%= unicorn_pid %>"',
  'stdout_path "<%= unicorn_log %>"',
  'stderr_path "<%= unicorn_log %>"',
  'listen "/tmp/unicorn.<%= application %>.sock", backlog: 64',
  "worker_processes <%= unicorn_workers %>",
  "timeout 45",
  "preload_app true",
  "after_fork do |server, worker|",
  "  ActiveRecord::Base.establish_connection if defined?(ActiveRecord::Base)",
  "end",
  "",
].join("\n");
const NGINX_ERB = [
  "upstream heron_app {",
  "  server unix:/tmp/unicorn.<%= application %>.sock fail_timeout=0;",
  "}",
  "server {",
  "  listen 80;",
  "  server_name <%= nginx_server_name %>;",
  "  root <%= current_path %>/public;",
  "  client_max_body_size 25m;",
  "  location / {",
  "    proxy_pass http://heron_app;",
  "  }",
  "}",
  "",
].join("\n");
const FILES: Record<string, string> = {
  Capfile: "load 'deploy'\nload 'config/deploy'\nrequire \"capistrano-nginx-unicorn\"\n",
  "Gemfile.lock": LOCK,
  "config/deploy.rb": 'set :stages, %w(staging production)\nset :default_stage, "staging"\nrequire "capistrano/ext/multistage"\nset :application, "heron"\nset :deploy_to, "/srv/#{application}"\nset :user, "heron"\nset :repository, "git@example.com:acme/heron.git"\n',
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "heron-1.example.net", :app, :web, :db, primary: true\nset :unicorn_workers, 3\nset :nginx_server_name, "heron.example.net"\n',
  "config/deploy/staging.rb": 'set :rails_env, "production"\nserver "heron-stg.example.net", :app, :web, :db, primary: true\nset :nginx_server_name, "stg.heron.example.net"\n',
  "config/deploy/templates/unicorn.rb.erb": UNICORN_ERB,
  "config/deploy/templates/nginx_conf.erb": NGINX_ERB,
  "config/unicorn.rb": "worker_processes 1\ntimeout 15\n",
};
const VARS = (stage: string) => ({
  application: "heron",
  current_path: "/srv/heron/current",
  shared_path: "/srv/heron/shared",
  unicorn_pid: "/srv/heron/current/tmp/pids/unicorn.pid",
  unicorn_log: "/srv/heron/shared/log/unicorn.log",
  nginx_use_ssl: false,
  ...(stage === "production" ? { unicorn_workers: 3, nginx_server_name: "heron.example.net" } : { nginx_server_name: "stg.heron.example.net" }),
});
const unicornOf = (m: AppModel, stage: string) => m.appServers.find((a) => a.kind === "unicorn" && a.stages.includes(stage))!;
const said = (m: AppModel) => m.problems.map((p) => `${p.file}:${p.line} ${p.message}`).join("\n");

let model: AppModel;
beforeAll(async () => {
  await initPrism();
  model = await analyzeFiles(memoryRepo(FILES), "heron");
}, 60_000);

describe("capistrano-nginx-unicorn (Capistrano 2)", () => {
  it("each stage's Unicorn is the repo's unicorn.rb.erb rendered with its variables, as real Unicorn reads the rendering", () => {
    const dir = tempDir("nginx-unicorn-cap2");
    writeFileSync(join(dir, "unicorn.rb.erb"), UNICORN_ERB);
    const out = join(dir, "production.rb");
    const [prod, stg] = runRubyFile(join(here, "cap2_binding_render.rb"), [
      { template: join(dir, "unicorn.rb.erb"), out, vars: VARS("production") },
      { template: join(dir, "unicorn.rb.erb"), out: join(dir, "staging.rb"), vars: VARS("staging") },
    ]);
    expect(prod).toEqual({ ok: true });
    // staging never set :unicorn_workers: the gem asked at deploy time, nothing in the repo says it
    expect(stg.error).toMatch(/unicorn_workers/);
    const [real] = runRubyFile(join(here, "unicorn_oracle.rb"), [out]);
    const cfg = unicornOf(model, "production");
    expect([cfg.workers?.value, cfg.timeout?.value, cfg.preloadApp?.value]).toEqual([real.worker_processes, real.timeout, real.preload_app]);
    expect(cfg.workers).toEqual({ value: 3, source: { file: "config/deploy/production.rb", line: 3 } });
    expect(cfg.timeout).toEqual({ value: 45, source: { file: "config/deploy/templates/unicorn.rb.erb", line: 7 } });
    expect(cfg.listen.map((l) => l.address)).toEqual(real.listeners.map((l: { address: string }) => l.address));
    expect(cfg.renderedBy?.value).toMatch(/capistrano-nginx-unicorn 0\.0\.8: .*renders config\/deploy\/templates\/unicorn\.rb\.erb to \/srv\/heron\/shared\/config\/unicorn\.rb/);
    const staging = unicornOf(model, "staging");
    // not a number: never Unicorn's default 1 nor production's 3
    expect(typeof staging.workers?.value).not.toBe("number");
    expect(said(model)).toMatch(/Capfile:3 capistrano-nginx-unicorn 0\.0\.8: stage staging sets no :unicorn_workers, so the gem asked for it/);
  });

  it("the repo's config/unicorn.rb serves no stage, with a word", () => {
    expect(model.appServers.find((a) => a.file === "config/unicorn.rb")?.stages ?? []).toEqual([]);
    expect(said(model)).toMatch(/config\/unicorn\.rb:1 config\/unicorn\.rb is not the Unicorn config the servers ran: capistrano-nginx-unicorn \(Capfile:3\)/);
    expect(said(model)).not.toMatch(/unread-server-number/);
  });

  it("without a repo copy, the gem's own template: workers from the stage, its fixed timeout 30 labelled as the gem's", async () => {
    const files = { ...FILES };
    delete files["config/deploy/templates/unicorn.rb.erb"];
    const m = await analyzeFiles(memoryRepo(files), "heron");
    const cfg = unicornOf(m, "production");
    const stage = m.stages.find((s) => s.name === "production")!;
    const dir = tempDir("nginx-unicorn-cap2-gem");
    writeFileSync(join(dir, "gem.rb"), nginxUnicornText(stage));
    const [real] = runRubyFile(join(here, "unicorn_oracle.rb"), [join(dir, "gem.rb")]);
    expect([cfg.workers?.value, cfg.timeout?.value]).toEqual([real.worker_processes, real.timeout]);
    expect(cfg.workers).toEqual({ value: 3, source: { file: "config/deploy/production.rb", line: 3 } });
    expect(cfg.timeout).toEqual({ value: 30, source: { file: "Capfile", line: 3 }, defaultOf: GEM });
    expect(real.listeners.map((l: { address: string }) => l.address)).toEqual(["/tmp/unicorn.heron.sock"]);
  });

  it("without the gem in Gemfile.lock, nothing of it is assumed", async () => {
    const m = await analyzeFiles(memoryRepo({ ...FILES, "Gemfile.lock": LOCK.replace(/ {4}capistrano-nginx-unicorn \(0\.0\.8\)\n {6}capistrano\n/, "") }), "heron");
    expect(m.appServers.some((a) => a.renderedBy?.value.startsWith(GEM))).toBe(false);
  });

  it("the site: each stage's own host and the 25m limit, from a rendering nginx accepts", () => {
    const dir = tempDir("nginx-unicorn-cap2-site");
    writeFileSync(join(dir, "nginx_conf.erb"), NGINX_ERB);
    const [r] = runRubyFile(join(here, "cap2_binding_render.rb"), [{ template: join(dir, "nginx_conf.erb"), out: join(dir, "site.conf"), vars: VARS("production") }]);
    expect(r).toEqual({ ok: true });
    writeTree(dir, { "main.conf": `events {}\nhttp {\n  error_log ${dir}/error.log;\n  access_log off;\n  include ${join(dir, "site.conf")};\n}\n` });
    const n = runNginx(join(dir, "main.conf"), dir);
    expect(n.stderr).not.toMatch(/emerg/);
    expect(n.ok).toBe(true);
    for (const [stage, host] of [["production", "heron.example.net"], ["staging", "stg.heron.example.net"]]) {
      const st = model.stages.find((s) => s.name === stage)!;
      expect(stageHosts(model, st).map((h) => h.host)).toEqual([host]);
      expect(nginxFilesFor(model, st).flatMap((f) => f.servers).map((s) => s.clientMaxBodySize?.value)).toContain("25m");
    }
  });
});
