// capistrano3-puma's Nginx plugin (`install_plugin Capistrano::Puma::Nginx`) installs the gem's own
// nginx site (`puma:nginx_config`) when the repo keeps no nginx_conf template: a real repo's only
// nginx config, with client_max_body_size 4G, was reported as "no nginx config found" and its limit
// dropped without a word. Its rendering per stage is checked by the real nginx (`nginx -t`).
import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { siteText, PUMA_NGINX_FILE } from "../../analyzers/nginx/puma-site.js";
import { runNginx, tempDir, writeTree } from "./nginx.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = (v: string) => `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.17.1)\n    capistrano3-puma (${v})\n    puma (5.6.5)\n    rails (6.1.7)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano3-puma\n  puma\n  rails\n`;
const CAPFILE = 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\ninstall_plugin Capistrano::Puma\ninstall_plugin Capistrano::Puma::Nginx\n';
const FILES: Record<string, string> = {
  Capfile: CAPFILE,
  "Gemfile.lock": LOCK("5.2.0"),
  "config/deploy.rb": 'set :application, "quill"\nset :repo_url, "git@example.com:acme/quill.git"\nset :deploy_to, "/var/www/quill"\n',
  "config/deploy/production.rb": 'server "quill-web1", user: "deploy", roles: %w[app db web]\nset :nginx_server_name, "quill.example.org www.quill.example.org"\nset :nginx_use_ssl, true\n',
  "config/deploy/staging.rb": 'server "quill-stg1", user: "deploy", roles: %w[app db web]\n',
};

describe("capistrano3-puma's Nginx plugin site", () => {
  it("each stage reads the gem's site: its 4G limit labelled as the gem's, hosts only from the stage's nginx_server_name", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "quill");
    const stage = (n: string) => m.stages.find((s) => s.name === n)!;
    for (const n of ["production", "staging"]) {
      const servers = nginxFilesFor(m, stage(n)).flatMap((f) => f.servers);
      const site = servers.find((s) => s.clientMaxBodySize)!;
      expect([n, site.clientMaxBodySize!.value, site.clientMaxBodySize!.defaultOf, site.clientMaxBodySize!.source]).toEqual([n, "4G", "capistrano3-puma", { file: "Capfile", line: 5 }]);
      expect(site.timeouts["keepalive_timeout"]?.value).toBe("10");
    }
    expect(stageHosts(m, stage("production")).map((h) => h.host)).toEqual(["quill.example.org", "www.quill.example.org"]);
    expect(stageHosts(m, stage("production"))[0]!.source).toEqual({ file: "config/deploy/production.rb", line: 2 });
    // the plugin's default server_name ("localhost quill.local") names no host the edge could route
    expect(stageHosts(m, stage("staging"))).toEqual([]);
    const prod = nginxFilesFor(m, stage("production")).flatMap((f) => f.servers);
    expect(prod.flatMap((s) => s.listens.map((l) => [l.value.port, l.value.ssl]))).toEqual([[80, false], [443, true]]);
    expect(prod.flatMap((s) => s.certificates.map((c) => c.value))).toEqual(["/etc/ssl/certs/quill_production.crt"]);
  });

  it("the rendering nginx itself accepts", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "quill");
    const dir = tempDir("puma-site");
    const text = siteText(m.stages.find((s) => s.name === "staging")!).replaceAll("/var/www/quill", dir);
    writeTree(dir, { "main.conf": `events {}\nhttp {\n  error_log ${dir}/error.log;\n  access_log off;\n  include ${join(dir, "site.conf")};\n}\n`, "site.conf": text });
    const r = runNginx(join(dir, "main.conf"), dir);
    expect(r.stderr).not.toMatch(/emerg/);
    expect(r.ok).toBe(true);
  });

  it("a repo template of its own, or no plugin, means no gem site", async () => {
    const own = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy/templates/nginx_conf.erb": "server {\n  listen 80;\n  client_max_body_size 20m;\n}\n" }), "quill");
    expect(own.nginx.files.some((f) => f.file === PUMA_NGINX_FILE)).toBe(false);
    const none = await analyzeFiles(memoryRepo({ ...FILES, Capfile: CAPFILE.replace("install_plugin Capistrano::Puma::Nginx\n", "") }), "quill");
    expect(none.nginx.files).toEqual([]);
  });

  it("a plain nginx config of the repo is read instead, with a warning naming the gem's site", async () => {
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/nginx.conf": "server {\n  listen 80;\n  server_name quill.example.org;\n  client_max_body_size 8m;\n}\n" }), "quill");
    expect(m.nginx.files.map((f) => f.file)).toEqual(["config/nginx.conf"]);
    expect(m.problems.some((p) => p.file === "config/nginx.conf" && /nginx\.puma-site-not-read/.test(p.message))).toBe(true);
  });
});

describe("a repo copy of capistrano3-puma's nginx template", () => {
  // The copy reads the plugin's variables; where the deploy sets none, the plugin's defaults fill them.
  const COPY = [
    "upstream puma_<%= fetch(:nginx_config_name) %> {",
    "  server unix:/var/www/quill/shared/tmp/sockets/puma.sock <%= fetch(:nginx_socket_flags) %>;",
    "}",
    "<% if fetch(:nginx_use_ssl) -%>",
    "server { listen 80; return 301 https://$host$request_uri; }",
    "<% end -%>",
    "server {",
    "  listen 80;",
    "  client_max_body_size 2G;",
    "  location @puma_<%= fetch(:nginx_config_name) %> { proxy_pass http://puma_<%= fetch(:nginx_config_name) %>; }",
    "}",
    "",
  ].join("\n");

  it("gets the gem's nginx_config_name (<application>_<stage>) and flags where the stage sets none; a stage's own value wins", async () => {
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy/templates/nginx_conf.erb": COPY, "config/deploy/staging.rb": 'server "quill-stg1", user: "deploy", roles: %w[app db web]\nset :nginx_config_name, "quill_beta"\n' }), "quill");
    const upstreams = (n: string) => m.nginx.files.filter((f) => f.file === "config/deploy/templates/nginx_conf.erb" && f.stage === n).flatMap((f) => f.upstreams);
    expect(upstreams("production").map((u) => [u.name, u.servers.map((s) => s.value.address)])).toEqual([["puma_quill_production", ["/var/www/quill/shared/tmp/sockets/puma.sock"]]]);
    expect(upstreams("staging").map((u) => u.name)).toEqual(["puma_quill_beta"]);
    // production sets nginx_use_ssl true: its own value, not the gem's false, decides the branch
    const prodServers = m.nginx.files.filter((f) => f.file === "config/deploy/templates/nginx_conf.erb" && f.stage === "production").flatMap((f) => f.servers);
    expect(prodServers).toHaveLength(2);
    expect(m.problems.filter((p) => p.file === "config/deploy/templates/nginx_conf.erb" && /not known|not run/.test(p.message))).toEqual([]);
  });
});

describe("a repo copy of capistrano3-puma 1.x's nginx template, the Capfile requiring only capistrano/puma", () => {
  // Before 2.0, `require "capistrano/puma"` alone set the nginx variables (puma.cap's load:defaults):
  // the copy rendered `upstream puma_<application>_<stage>` and `server_name localhost <application>.local`.
  // Read with no default, it came out as `upstream puma_` and a server with no server_name.
  const COPY = [
    "upstream puma_<%= fetch(:nginx_config_name) %> {",
    "  server unix:/srv/quill/shared/tmp/sockets/puma.sock <%= fetch(:nginx_socket_flags) %>;",
    "}",
    "server {",
    "  listen 80;",
    "  server_name <%= fetch(:nginx_server_name) %>;",
    "  client_max_body_size 3G;",
    "  try_files $uri @puma_<%= fetch(:nginx_config_name) %>;",
    "  location @puma_<%= fetch(:nginx_config_name) %> { proxy_pass http://puma_<%= fetch(:nginx_config_name) %>; }",
    "}",
    "",
  ].join("\n");
  const OLD = {
    ...FILES,
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/puma"\n',
    "Gemfile.lock": LOCK("1.1.0"),
    "config/deploy/templates/nginx_conf.erb": COPY,
    "config/deploy/production.rb": 'server "quill-web1", user: "deploy", roles: %w[app db web]\n',
  };

  it("renders with the gem's defaults, labelled as its; its localhost and .local names are no host, and the question says what the rendered config names", async () => {
    const m = await analyzeFiles(memoryRepo(OLD), "quill");
    for (const n of ["production", "staging"]) {
      const f = m.nginx.files.find((x) => x.file === "config/deploy/templates/nginx_conf.erb" && x.stage === n)!;
      expect(f.upstreams.map((u) => u.name)).toEqual([`puma_quill_${n}`]);
      expect(f.servers[0]!.serverNames.map((s) => [s.value, s.defaultOf])).toEqual([
        ["localhost", "capistrano3-puma"],
        ["quill.local", "capistrano3-puma"],
      ]);
      expect(stageHosts(m, m.stages.find((s) => s.name === n)!)).toEqual([]);
      const gap = m.gaps.find((g) => g.id === `stage.${n}.hosts`)!;
      expect(gap.placeholder).toBe(true);
      expect(gap.why).toMatch(new RegExp(`^the nginx config rendered for stage ${n} \\(config/deploy/templates/nginx_conf\\.erb\\) names no host: its server_name localhost quill\\.local \\(capistrano3-puma's default nginx_server_name\\)`));
      expect(gap.why).not.toContain("no nginx config rendered");
    }
    // the gem's nginx task is not loaded: said at the template
    expect(m.problems.filter((p) => p.file === "config/deploy/templates/nginx_conf.erb" && /never loads the gem's nginx task/.test(p.message))).toHaveLength(1);
  });

  it("what Ruby's ERB renders from the copy with those defaults is what was read, and nginx accepts it", async () => {
    const m = await analyzeFiles(memoryRepo(OLD), "quill");
    const dir = tempDir("puma-copy-1x");
    writeTree(dir, { "nginx_conf.erb": COPY });
    // The gem's 1.1.0 load:defaults for these variables, in a binding of our own (application quill, stage staging).
    const ruby = [
      "require 'erb'",
      "V = { application: 'quill', stage: 'staging' }",
      "V[:nginx_config_name] = \"#{V[:application]}_#{V[:stage]}\"",
      "V[:nginx_server_name] = \"localhost #{V[:application]}.local\"",
      "V[:nginx_flags] = 'fail_timeout=0'; V[:nginx_socket_flags] = V[:nginx_flags]",
      "def fetch(k, d = nil) = V.fetch(k, d)",
      `print ERB.new(File.read(${JSON.stringify(join(dir, "nginx_conf.erb"))})).result(binding)`,
    ].join("\n");
    const r = spawnSync("ruby", ["-e", ruby], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("upstream puma_quill_staging {");
    expect(r.stdout).toContain("server_name localhost quill.local;");
    const read = m.nginx.files.find((x) => x.file === "config/deploy/templates/nginx_conf.erb" && x.stage === "staging")!;
    expect(read.upstreams[0]!.name).toBe("puma_quill_staging");
    expect(read.servers[0]!.serverNames.map((s) => s.value).join(" ")).toBe(/server_name (.*);/.exec(r.stdout)![1]);
    writeTree(dir, { "main.conf": `events {}\nhttp {\n  error_log ${dir}/error.log;\n  access_log off;\n  include ${join(dir, "site.conf")};\n}\n`, "site.conf": r.stdout.replaceAll("/srv/quill", dir) });
    const t = runNginx(join(dir, "main.conf"), dir);
    expect(t.stderr).not.toMatch(/emerg/);
    expect(t.ok).toBe(true);
  });
});
