// A Capistrano 2 deploy with its own `template(from, to)` helper (ERB of a file under its recipes'
// templates/ folder, `put` to the server) renders its nginx site from a template named `.rb`, which
// the scan by name never read: the site's hosts, a wildcard among them, became a placeholder. The
// render task's destination says the file is nginx's. What the analysis reads is checked against
// Ruby's own ERB with the recipe's variables, and the rendering against the real `nginx -t`.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { runNginx, tempDir, writeTree } from "./nginx.js";
import { renderReport } from "../../src/report.js";

beforeAll(async () => {
  await initPrism();
});

const SITE = [
  "upstream larder_app {",
  "  server unix:<%= shared_path %>/sockets/unicorn.sock fail_timeout=0;",
  "}",
  "server {",
  "  listen 80;",
  "  server_name <%= domain_name %> *.<%= domain_name %>;",
  "  root <%= current_path %>/public;",
  "  client_max_body_size 25m;",
  "  location / { proxy_pass http://larder_app; }",
  "}",
  "",
].join("\n");

const FILES: Record<string, string> = {
  Capfile: "load 'deploy'\nload 'config/deploy'\n",
  "config/deploy.rb": [
    'load "config/recipes/helpers"',
    'set :domain_name, "larder.example.org"',
    "set :application, domain_name",
    'set :repository, "git@example.com:acme/larder.git"',
    'set :deploy_to, "/srv/larder"',
    'role :web, "web1.internal"',
    'role :app, "web1.internal"',
    'role :db, "web1.internal", :primary => true',
    'load "config/recipes/site"',
    'after "deploy:update_code", "site:configs"',
    "",
  ].join("\n"),
  "config/recipes/helpers.rb": [
    "def template(from, to)",
    "  here = File.dirname(File.absolute_path(__FILE__))",
    '  put ERB.new(File.read("#{here}/templates/#{from}")).result(binding), to',
    "end",
    "",
  ].join("\n"),
  "config/recipes/site.rb": [
    "namespace :site do",
    "  task :configs do",
    '    template("nginx_site.rb", "#{shared_path}/config/nginx.conf")',
    '    template("unicorn_conf.rb", "#{shared_path}/config/unicorn.rb")',
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/recipes/templates/nginx_site.rb": SITE,
  "config/recipes/templates/unicorn_conf.rb": "worker_processes 3\nlisten '<%= shared_path %>/sockets/unicorn.sock'\n",
};

describe("an nginx template a Capistrano 2 task renders with its own ERB helper", () => {
  it("is read for the stage: its hosts (the wildcard too) and its limit, cited at the template's lines", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "larder");
    const production = m.stages.find((s) => s.name === "production")!;
    expect(stageHosts(m, production)).toEqual([
      { host: "larder.example.org", source: { file: "config/recipes/templates/nginx_site.rb", line: 6 } },
      { host: "*.larder.example.org", source: { file: "config/recipes/templates/nginx_site.rb", line: 6 } },
    ]);
    const site = nginxFilesFor(m, production).flatMap((f) => f.servers)[0]!;
    expect([site.clientMaxBodySize?.value, site.clientMaxBodySize?.source]).toEqual(["25m", { file: "config/recipes/templates/nginx_site.rb", line: 8 }]);
    expect(m.gaps.some((g) => g.id === "stage.production.hosts")).toBe(false);
    // the render that made it nginx's is cited; the Unicorn template (rendered elsewhere) is not nginx
    expect(m.problems.filter((p) => /read as an nginx template/.test(p.message)).map((p) => [p.file, p.message])).toEqual([
      ["config/recipes/templates/nginx_site.rb", expect.stringContaining("(config/recipes/site.rb:3)")],
    ]);
    expect(m.nginx.files.map((f) => f.file)).toEqual(["config/recipes/templates/nginx_site.rb"]);
  });

  it("reads what Ruby's ERB renders with the recipe's variables, and nginx accepts that rendering", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "larder");
    const dir = tempDir("cap2-helper");
    writeTree(dir, { "nginx_site.rb": SITE });
    const ruby = [
      "require 'erb'",
      `def domain_name = "larder.example.org"`,
      `def shared_path = ${JSON.stringify(join(dir, "shared"))}`,
      `def current_path = ${JSON.stringify(join(dir, "current"))}`,
      `print ERB.new(File.read(${JSON.stringify(join(dir, "nginx_site.rb"))})).result(binding)`,
    ].join("\n");
    const r = spawnSync("ruby", ["-e", ruby], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const names = /server_name (.*);/.exec(r.stdout)![1]!;
    const read = m.nginx.files[0]!.servers[0]!.serverNames.map((n) => n.value).join(" ");
    expect(read).toBe(names);
    writeTree(dir, { "main.conf": `events {}\nhttp {\n  error_log ${dir}/error.log;\n  access_log off;\n  include ${join(dir, "site.conf")};\n}\n`, "site.conf": r.stdout });
    const t = runNginx(join(dir, "main.conf"), dir);
    expect(t.stderr).not.toMatch(/emerg/);
    expect(t.ok).toBe(true);
  });

  it("a template of the same folder that no task renders is named, and read as no stage's config", async () => {
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/recipes/templates/nginx_site_http_only.erb": SITE.replace("client_max_body_size 25m", "client_max_body_size 5m") }), "larder");
    // The deploy renders nginx_site.rb; its sibling is no stage's config (analyzers/nginx/index.ts, renderedTemplates).
    expect(m.nginx.files.find((f) => f.file === "config/recipes/templates/nginx_site_http_only.erb")).toBeUndefined();
    expect(m.nginx.files.find((f) => f.file === "config/recipes/templates/nginx_site.rb")!.notRendered).toBeUndefined();
    expect(m.problems.some((p) => p.file === "config/recipes/templates/nginx_site_http_only.erb" && /no loaded deploy task renders .*not read as any stage's nginx config/.test(p.message))).toBe(true);
    const report = renderReport(m, { color: false });
    expect(report).not.toContain("nginx_site_http_only.erb (rendered for");
    expect(m.hazards.some((h) => h.source.file.endsWith("http_only.erb"))).toBe(false);
  });
});
