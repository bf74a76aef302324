// A Capistrano nginx template with `<% if fetch(:nginx_use_ssl) %> … <% else %> … <% end %>` (the
// Railscasts / capistrano3-nginx shape, seen in real repos) renders one branch per stage. Reading
// every branch gave a stage the hosts, `listen 443 ssl` and certificates of a branch its servers
// never ran. Judged by Ruby's own ERB with the stage's variables, its output read as a plain file.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { analyzeNginx } from "../../analyzers/nginx/index.js";
import { memoryRepo } from "../../src/repo.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import type { NginxFile } from "../../src/model.js";

beforeAll(async () => {
  await initPrism();
});

const TEMPLATE_PATH = "lib/capistrano/templates/nginx_site.erb";
const TEMPLATE = [
  "upstream harbor_app {",
  "  server unix:/tmp/unicorn.<%= fetch(:application) %>.sock fail_timeout=0;",
  "}",
  "<% if fetch(:legacy_domains) %>",
  "server {",
  "  listen 80;",
  "  server_name <%= fetch(:legacy_domains) %>;",
  "  return 301 http://harbor.example.net$request_uri;",
  "}",
  "<% end %>",
  "server {",
  "  <% if fetch(:nginx_use_ssl) %>",
  "  listen 443 ssl;",
  "  server_name secure.harbor.example.net;",
  "  ssl_certificate /etc/ssl/certs/<%= fetch(:application) %>.crt;",
  "  ssl_certificate_key /etc/ssl/private/<%= fetch(:application) %>.key;",
  "  client_max_body_size 250m;",
  "  <% else %>",
  "  listen 80;",
  "  server_name <%= fetch(:nginx_server_name) %>;",
  "  client_max_body_size 40m;",
  "  <% end %>",
  "  root <%= current_path %>/public;",
  "  location / { proxy_pass http://harbor_app; }",
  "}",
  "",
].join("\n");

// production turns TLS on; staging leaves it off in its own file; qa never sets it (nil).
const STAGE_FILES: Record<string, string> = {
  "config/deploy/production.rb": 'server "app1.internal", roles: %w[web app db]\nset :nginx_use_ssl, true\nset :legacy_domains, "old-harbor.example.net"\n',
  "config/deploy/staging.rb": 'server "stg1.internal", roles: %w[web app db]\nset :nginx_use_ssl, false\nset :nginx_server_name, "staging.harbor.example.net"\n',
  "config/deploy/qa.rb": 'server "qa1.internal", roles: %w[web app db]\nset :nginx_server_name, "qa.harbor.example.net"\n',
};
const DEPLOY = 'set :application, "harbor"\nset :deploy_to, "/srv/harbor"\nset :repo_url, "git@example.com:acme/harbor.git"\n';
// The variables Ruby's ERB gets per stage (as the stage files above set them).
const VARS: Record<string, Record<string, unknown>> = {
  production: { application: "harbor", deploy_to: "/srv/harbor", nginx_use_ssl: true, legacy_domains: "old-harbor.example.net" },
  staging: { application: "harbor", deploy_to: "/srv/harbor", nginx_use_ssl: false, nginx_server_name: "staging.harbor.example.net" },
  qa: { application: "harbor", deploy_to: "/srv/harbor", nginx_server_name: "qa.harbor.example.net" },
};

const ORACLE = `
require "erb"; require "json"
class B
  def initialize(v) = @v = v
  def fetch(k, d = nil) = @v.key?(k.to_s) ? @v[k.to_s] : d
  def current_path = "#{fetch(:deploy_to)}/current"
  def render(t) = ERB.new(t).result(binding)
end
input = JSON.parse($stdin.read)
puts JSON.generate(input["vars"].transform_values { |v| B.new(v).render(input["template"]) })
`;

function rubyRenderings(): Record<string, string> {
  const r = spawnSync("ruby", ["-e", ORACLE], { input: JSON.stringify({ template: TEMPLATE, vars: VARS }), encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** What a server block says, without where it came from. */
const shape = (files: NginxFile[]) =>
  files.flatMap((f) => f.servers).map((s) => ({
    names: s.serverNames.map((n) => n.value),
    listens: s.listens.map((l) => [l.value.port, l.value.ssl]),
    certificates: s.certificates.map((c) => c.value),
    body: s.clientMaxBodySize?.value ?? null,
  }));

describe("nginx template conditionals, per stage", () => {
  it("keep only the branch Ruby's ERB renders for each stage: servers, hosts, TLS and limits", async () => {
    const m = await analyzeFiles(memoryRepo({ Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n', "config/deploy.rb": DEPLOY, ...STAGE_FILES, [TEMPLATE_PATH]: TEMPLATE }), "harbor");
    const real = rubyRenderings();
    for (const name of Object.keys(VARS)) {
      const stage = m.stages.find((s) => s.name === name)!;
      // Ruby's rendering, read as a plain nginx file
      const plain = analyzeNginx({ repo: memoryRepo({ "config/nginx/harbor.conf": real[name]! }), problem: () => {} }, []).files;
      expect([name, shape(nginxFilesFor(m, stage))]).toEqual([name, shape(plain)]);
    }
    const hosts = (name: string) => stageHosts(m, m.stages.find((s) => s.name === name)!).map((h) => h.host);
    // the TLS branch's host is production's only; the stages without TLS never answered on it
    expect(hosts("production")).toEqual(["old-harbor.example.net", "secure.harbor.example.net"]);
    expect(hosts("staging")).toEqual(["staging.harbor.example.net"]);
    expect(hosts("qa")).toEqual(["qa.harbor.example.net"]);
    // every condition is known here: no "every branch is read" warning
    expect(m.problems.filter((p) => p.file === TEMPLATE_PATH && /not run/.test(p.message))).toEqual([]);
  });

  it("cites the template's own lines after a dropped branch", async () => {
    const m = await analyzeFiles(memoryRepo({ Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n', "config/deploy.rb": DEPLOY, ...STAGE_FILES, [TEMPLATE_PATH]: TEMPLATE }), "harbor");
    const staging = nginxFilesFor(m, m.stages.find((s) => s.name === "staging")!);
    const server = staging.flatMap((f) => f.servers)[0]!;
    expect(server.serverNames[0]!.source).toEqual({ file: TEMPLATE_PATH, line: 20 });
    expect(server.clientMaxBodySize!.source).toEqual({ file: TEMPLATE_PATH, line: 21 });
    expect(server.source).toEqual({ file: TEMPLATE_PATH, line: 11 });
  });

  it("a condition not known keeps every branch, and says so at its line", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
        "config/deploy.rb": DEPLOY,
        "config/deploy/production.rb": 'server "app1.internal", roles: %w[web app db]\nset :nginx_use_ssl, ENV["HARBOR_TLS"] == "1"\nset :nginx_server_name, "harbor.example.net"\n',
        [TEMPLATE_PATH]: TEMPLATE,
      }),
      "harbor",
    );
    const prod = nginxFilesFor(m, m.stages.find((s) => s.name === "production")!);
    expect(shape(prod).flatMap((s) => s.names)).toEqual(["secure.harbor.example.net", "harbor.example.net"]);
    expect(m.problems.some((p) => p.file === TEMPLATE_PATH && p.line === 12 && /not run/.test(p.message))).toBe(true);
  });
});

describe("capistrano3-nginx's defaults decide its templates' branches", () => {
  const T = "config/deploy/templates/nginx.conf.erb";
  const template = [
    "<% if fetch(:app_server) && fetch(:app_server_socket) %>",
    "upstream <%= fetch(:nginx_application_name) %>-app {",
    "  server unix:<%= fetch(:app_server_socket) %> fail_timeout=0;",
    "}",
    "<% end %>",
    "server {",
    "  listen 80;",
    "  server_name harbor.example.net;",
    "  root <%= fetch(:deploy_to) %>/current/<%= fetch(:nginx_static_dir) %>;",
    "  location / { proxy_pass http://<%= fetch(:nginx_application_name) %>-app; }",
    "}",
    "",
  ].join("\n");
  const files = (lock: string) => ({
    Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/nginx"\n',
    "Gemfile.lock": `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.11.0)\n${lock}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n`,
    "config/deploy.rb": DEPLOY,
    "config/deploy/production.rb": 'server "app1.internal", roles: %w[web app db]\nset :app_server_socket, "/srv/harbor/shared/tmp/sockets/puma.sock"\n',
    [T]: template,
  });

  it("app_server (the gem's default true) keeps the upstream, nginx_static_dir its root, as Ruby's ERB renders them", async () => {
    const m = await analyzeFiles(memoryRepo(files("    capistrano3-nginx (2.1.6)\n")), "harbor");
    const prod = m.stages.find((s) => s.name === "production")!;
    // the gem's load:defaults values, then the stage's own
    const vars = { application: "harbor", deploy_to: "/srv/harbor", app_server: true, nginx_application_name: "harbor", nginx_static_dir: "public", app_server_socket: "/srv/harbor/shared/tmp/sockets/puma.sock" };
    const r = spawnSync("ruby", ["-e", ORACLE], { input: JSON.stringify({ template, vars: { production: vars } }), encoding: "utf8" });
    const real = analyzeNginx({ repo: memoryRepo({ "config/nginx/harbor.conf": JSON.parse(r.stdout).production }), problem: () => {} }, []).files;
    const ours = nginxFilesFor(m, prod);
    expect(ours.flatMap((f) => f.upstreams.flatMap((u) => u.servers.map((s) => s.value.address)))).toEqual(real.flatMap((f) => f.upstreams.flatMap((u) => u.servers.map((s) => s.value.address))));
    expect(ours[0]!.upstreams).toHaveLength(1);
    expect(ours[0]!.servers[0]!.root?.value).toBe(real[0]!.servers[0]!.root?.value);
  });

  it("without the gem in the bundle its defaults are not assumed: app_server is nil and the upstream is not rendered", async () => {
    const m = await analyzeFiles(memoryRepo(files("")), "harbor");
    expect(nginxFilesFor(m, m.stages.find((s) => s.name === "production")!)[0]!.upstreams).toEqual([]);
  });
});
