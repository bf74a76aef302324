// capistrano3-nginx (`require "capistrano/nginx"`) installs its own bundled site with
// `nginx:site:add` when a stage leaves :nginx_template at the gem's `:default`. A repo that keeps
// no nginx file then still ran nginx with a 4G upload limit and the hosts of :nginx_domains; both
// were lost ("no nginx config found", an invented host). The gem's site is modelled per stage and
// each rendering is checked by the real nginx (`nginx -t`).
import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { siteText, CAP3_NGINX_FILE } from "../../analyzers/nginx/cap3-nginx-site.js";
import { runNginx, selfSigned, tempDir, writeTree } from "./nginx.js";

beforeAll(async () => {
  await initPrism();
});

const LOCK = (gem: string) =>
  `GEM\n  remote: https://rubygems.org/\n  specs:\n    capistrano (3.11.0)\n${gem}    rails (5.2.3)\n    unicorn (5.5.1)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  capistrano\n  rails\n  unicorn\n`;
const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/nginx"\n',
  "Gemfile.lock": LOCK("    capistrano3-nginx (2.1.6)\n"),
  "config/deploy.rb": 'set :application, "ledger"\nset :repo_url, "git@example.com:acme/ledger.git"\nset :deploy_to, "/home/deploy/ledger"\n',
  "config/deploy/production.rb": [
    'server "ledger-web1", user: "deploy", roles: %w[app db web]',
    'set :nginx_domains, "ledger.example.org www.ledger.example.org"',
    "set :nginx_use_ssl, true",
    'set :app_server_socket, "/home/deploy/ledger/shared/tmp/sockets/unicorn.sock"',
    "",
  ].join("\n"),
  "config/deploy/staging.rb": ['server "ledger-stg", user: "deploy", roles: %w[app db web]', 'set :nginx_domains, "staging.ledger.example.org"', "set :app_server_port, 8080", "set :nginx_read_timeout, 120", ""].join("\n"),
};
const stageOf = (m: Awaited<ReturnType<typeof analyzeFiles>>, n: string) => m.stages.find((s) => s.name === n)!;

describe("capistrano3-nginx's own site, when the repo keeps no template", () => {
  it("each stage reads the gem's site: 4G labelled as the gem's, hosts from the stage's own nginx_domains", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "ledger");
    for (const n of ["production", "staging"]) {
      const files = nginxFilesFor(m, stageOf(m, n));
      expect(files.map((f) => f.file)).toEqual([CAP3_NGINX_FILE]);
      const site = files[0]!.servers.find((s) => s.clientMaxBodySize)!;
      expect([n, site.clientMaxBodySize!.value, site.clientMaxBodySize!.defaultOf, site.clientMaxBodySize!.source]).toEqual([n, "4G", "capistrano3-nginx", { file: "Capfile", line: 3 }]);
      expect(site.timeouts["keepalive_timeout"]).toMatchObject({ value: "10", defaultOf: "capistrano3-nginx" });
      expect(site.locations.some((l) => l.assets && l.path === "/assets/")).toBe(true);
    }
    const prod = stageHosts(m, stageOf(m, "production"));
    expect(prod.map((h) => h.host)).toEqual(["ledger.example.org", "www.ledger.example.org"]);
    expect(prod[0]!.source).toEqual({ file: "config/deploy/production.rb", line: 2 });
    expect(stageHosts(m, stageOf(m, "staging")).map((h) => h.host)).toEqual(["staging.ledger.example.org"]);
  });

  it("SSL, the upstream and nginx_read_timeout follow the stage's variables", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "ledger");
    const prod = nginxFilesFor(m, stageOf(m, "production"))[0]!;
    expect(prod.servers.flatMap((s) => s.listens.map((l) => [l.value.port, l.value.ssl]))).toEqual([[80, false], [443, true]]);
    expect(prod.servers[0]!.redirectsToHttps?.value).toBe(true);
    expect(prod.servers.flatMap((s) => s.certificates.map((c) => c.value))).toEqual(["/etc/ssl/certs/ledger.crt"]);
    expect(prod.upstreams.flatMap((u) => u.servers.map((s) => [u.name, s.value.kind, s.value.address]))).toEqual([["ledger-app-server", "unix", "/home/deploy/ledger/shared/tmp/sockets/unicorn.sock"]]);
    const stg = nginxFilesFor(m, stageOf(m, "staging"))[0]!;
    expect(stg.servers.flatMap((s) => s.listens.map((l) => l.value.port))).toEqual([80]);
    expect(stg.upstreams.flatMap((u) => u.servers.map((s) => s.value.address))).toEqual(["127.0.0.1:8080"]);
    expect(stg.servers[0]!.timeouts["proxy_read_timeout"]).toEqual({ value: "120", source: { file: "config/deploy/staging.rb", line: 4 } });
  });

  it("every rendering is one nginx itself accepts", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "ledger");
    for (const n of ["production", "staging"]) {
      const dir = tempDir(`cap3-${n}`);
      const { cert, key } = selfSigned(join(dir, "ssl"), "ledger");
      const text = siteText(stageOf(m, n)).text.replaceAll("/home/deploy/ledger", dir).replace("/etc/ssl/certs/ledger.crt", cert).replace("/etc/ssl/private/ledger.key", key);
      writeTree(dir, { "main.conf": `events {}\nhttp {\n  error_log ${dir}/error.log;\n  access_log off;\n  include ${join(dir, "site.conf")};\n}\n`, "site.conf": text });
      const r = runNginx(join(dir, "main.conf"), dir);
      expect([n, r.stderr]).not.toEqual([n, expect.stringMatching(/emerg/)]);
      expect(r.ok).toBe(true);
    }
  });

  it("no domains: no host is taken, and the missing nginx_domains is said", async () => {
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy/staging.rb": 'server "ledger-stg", roles: %w[app web]\nset :app_server_port, 8080\n' }), "ledger");
    expect(stageHosts(m, stageOf(m, "staging"))).toEqual([]);
    expect(m.problems.some((p) => /capistrano3-nginx \(stage staging\): nginx_domains is not set/.test(p.message))).toBe(true);
    // neither socket nor port: the gem's site proxies to nothing, and that is said
    const none = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy/staging.rb": 'server "ledger-stg", roles: %w[app web]\n' }), "ledger");
    expect(nginxFilesFor(none, stageOf(none, "staging"))[0]!.upstreams).toEqual([]);
    expect(none.problems.some((p) => /proxies to no app server/.test(p.message))).toBe(true);
  });

  it("without the gem in the bundle, with a repo template named by :nginx_template, or a missing one, no gem site", async () => {
    const unlocked = await analyzeFiles(memoryRepo({ ...FILES, "Gemfile.lock": LOCK("") }), "ledger");
    expect(unlocked.nginx.files).toEqual([]);
    const T = "config/deploy/templates/site.conf.erb";
    const own = await analyzeFiles(
      memoryRepo({ ...FILES, "config/deploy.rb": `${FILES["config/deploy.rb"]}set :nginx_template, "${T}"\n`, [T]: "server {\n  listen 80;\n  server_name <%= fetch(:nginx_domains) %>;\n  client_max_body_size 25m;\n}\n" }),
      "ledger",
    );
    expect(own.nginx.files.some((f) => f.file === CAP3_NGINX_FILE)).toBe(false);
    expect(nginxFilesFor(own, stageOf(own, "production"))[0]!.servers[0]!.clientMaxBodySize?.value).toBe("25m");
    // Capistrano's own stage_config_path ("config/deploy" unless set) names the same file
    const viaDsl = await analyzeFiles(
      memoryRepo({ ...FILES, "config/deploy.rb": `${FILES["config/deploy.rb"]}set :nginx_template, "#{stage_config_path}/templates/site.conf.erb"\n`, [T]: "server {\n  listen 80;\n  client_max_body_size 25m;\n}\n" }),
      "ledger",
    );
    expect(viaDsl.stages.map((st) => st.variables["nginx_template"]?.value)).toEqual([T, T]);
    expect(viaDsl.nginx.files.some((f) => f.file === CAP3_NGINX_FILE)).toBe(false);
    expect(viaDsl.problems.some((p) => /nginx\.cap3-template-unknown/.test(p.message))).toBe(false);
    const missing = await analyzeFiles(memoryRepo({ ...FILES, "config/deploy.rb": `${FILES["config/deploy.rb"]}set :nginx_template, "config/nginx.conf.erb"\n` }), "ledger");
    expect(missing.nginx.files).toEqual([]);
    expect(missing.problems.some((p) => p.file === "config/deploy.rb" && p.line === 4 && /nginx\.cap3-template-unknown/.test(p.message))).toBe(true);
  });

  it("a plain nginx config of the repo is read instead, with a warning naming the gem's site", async () => {
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/nginx.conf": "server {\n  listen 80;\n  server_name ledger.example.org;\n  client_max_body_size 8m;\n}\n" }), "ledger");
    expect(m.nginx.files.map((f) => f.file)).toEqual(["config/nginx.conf"]);
    expect(m.problems.filter((p) => p.file === "config/nginx.conf" && /nginx\.cap3-site-not-read: the :nginx_template of stages production, staging/.test(p.message))).toHaveLength(1);
  });
});

describe("capistrano3-nginx 1.0.0: config/deploy/<stage>/nginx.conf.erb, else the gem's own site", () => {
  // 1.0's nginx:site:add renders :nginx_template ("config/deploy/#{fetch(:stage)}/nginx.conf.erb"
  // unless set) when that file exists, and its bundled template when it does not.
  const V1 = { ...FILES, "Gemfile.lock": LOCK("    capistrano3-nginx (1.0.0)\n") };

  it("a stage without the file gets the gem's 1.0 site, not a 'not a file of the repo' warning", async () => {
    const m = await analyzeFiles(memoryRepo({ ...V1, "config/deploy.rb": `${FILES["config/deploy.rb"]}set :static_dir, "public"\nset :nginx_template, "config/deploy/site.conf.erb"\n` }), "ledger");
    expect(m.problems.some((p) => /nginx\.cap3-template-unknown/.test(p.message))).toBe(false);
    const stg = nginxFilesFor(m, stageOf(m, "staging"));
    expect(stg.map((f) => f.file)).toEqual([CAP3_NGINX_FILE]);
    const site = stg[0]!.servers.find((s) => s.clientMaxBodySize)!;
    expect(site.clientMaxBodySize).toMatchObject({ value: "4G", defaultOf: "capistrano3-nginx" });
    // 1.0 has no read timeout: staging's nginx_read_timeout 120 is not in its site
    expect(site.timeouts["proxy_read_timeout"]).toBeUndefined();
    expect(stageHosts(m, stageOf(m, "staging")).map((h) => h.host)).toEqual(["staging.ledger.example.org"]);
  });

  it("its default path, when the repo has it for a stage, is that stage's site; the other stage falls back to the gem's", async () => {
    const T = "config/deploy/production/nginx.conf.erb";
    const m = await analyzeFiles(memoryRepo({ ...V1, [T]: "server {\n  listen 80;\n  server_name <%= fetch(:nginx_domains) %>;\n  client_max_body_size 30m;\n}\n" }), "ledger");
    expect(nginxFilesFor(m, stageOf(m, "production"))[0]!.servers[0]!.clientMaxBodySize?.value).toBe("30m");
    expect(nginxFilesFor(m, stageOf(m, "staging")).map((f) => f.file)).toEqual([CAP3_NGINX_FILE]);
  });

  it("1.0's site: root <deploy_to>/current/<static_dir>, no 2.x defaults; SSL's method-called certificate names are said, not invented", async () => {
    const m = await analyzeFiles(memoryRepo(V1), "ledger");
    const prod = stageOf(m, "production");
    const { text } = siteText(prod, true);
    expect(text).toMatch(/root \/home\/deploy\/ledger\/current\/;/);
    expect(text).not.toMatch(/ssl_certificate/);
    expect(text).toMatch(/listen 443 ssl;/);
    expect(m.problems.some((p) => p.file === "config/deploy/production.rb" && p.line === 3 && /1\.0's template writes its certificate paths/.test(p.message))).toBe(true);
    const dir = tempDir("cap3-v1");
    const { cert, key } = selfSigned(join(dir, "ssl"), "ledger");
    // nginx needs a certificate to accept a 443 ssl server: the test adds one; the rest is the rendering.
    const site = siteText(stageOf(m, "staging"), true).text.replaceAll("/home/deploy/ledger", dir) + siteText(prod, true).text.replaceAll("/home/deploy/ledger", dir).replace("listen 443 ssl;", `listen 443 ssl;\n  ssl_certificate ${cert};\n  ssl_certificate_key ${key};`).replace(/upstream[\s\S]*?\n}\n/, "");
    writeTree(dir, { "main.conf": `events {}\nhttp {\n  error_log ${dir}/error.log;\n  access_log off;\n  include ${join(dir, "site.conf")};\n}\n`, "site.conf": site });
    const r = runNginx(join(dir, "main.conf"), dir);
    expect(r.stderr).not.toMatch(/emerg/);
    expect(r.ok).toBe(true);
  });
});
