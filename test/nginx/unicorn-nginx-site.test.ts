// capistrano-unicorn-nginx installs its own nginx site on the web servers (`cap <stage> setup`),
// rendered from the stage's variables. A repo with no nginx file of its own still ran nginx with a
// 4G upload limit and the host of :nginx_server_name; analyze said "no nginx config found". The
// gem's site is modelled per stage, and each rendering is checked by the real nginx (`nginx -t`).
// Fixture: fixtures/appserver/lantern.
import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { siteText, UNICORN_NGINX_FILE } from "../../analyzers/nginx/unicorn-nginx-site.js";
import { filesOf } from "../fixture-files.js";
import { runNginx, selfSigned, tempDir, writeTree } from "./nginx.js";

const APP = filesOf(join(import.meta.dirname, "../../fixtures/appserver/lantern"));
const GEM = "capistrano-unicorn-nginx";
const analyze = (changes: Record<string, string | null> = {}) => {
  const files = { ...APP };
  for (const [k, v] of Object.entries(changes)) if (v === null) delete files[k];
  else files[k] = v;
  return analyzeFiles(memoryRepo(files), "lantern");
};
const stageOf = (m: AppModel, n: string) => m.stages.find((s) => s.name === n)!;
const said = (m: AppModel) => m.problems.map((p) => `${p.file}:${p.line} ${p.message}`).join("\n");

let model: AppModel;
beforeAll(async () => {
  await initPrism();
  model = await analyze();
}, 60_000);

describe("capistrano-unicorn-nginx's own nginx site", () => {
  it("each stage reads the gem's site: 4G and keepalive 10 labelled as the gem's, cited at the Capfile line", () => {
    for (const n of ["production", "staging"]) {
      const files = nginxFilesFor(model, stageOf(model, n));
      expect(files.map((f) => f.file)).toEqual([UNICORN_NGINX_FILE]);
      const site = files[0]!.servers.find((s) => s.clientMaxBodySize)!;
      expect([n, site.clientMaxBodySize]).toEqual([n, { value: "4G", source: { file: "Capfile", line: 6 }, defaultOf: GEM }]);
      expect(site.timeouts["keepalive_timeout"]).toEqual({ value: "10", source: { file: "Capfile", line: 6 }, defaultOf: GEM });
      expect(site.locations.some((l) => l.assets && l.path === "/assets/")).toBe(true);
    }
  });

  it("hosts come from the stage's own nginx_server_name; a stage without one gets none (the SSH address is not a host)", () => {
    expect(stageHosts(model, stageOf(model, "production"))).toEqual([{ host: "lantern.example.org", source: { file: "config/deploy/production.rb", line: 6 } }]);
    expect(stageHosts(model, stageOf(model, "staging"))).toEqual([]);
    expect(said(model)).toMatch(/Capfile:6 capistrano-unicorn-nginx \(stage staging\): nginx_server_name is not set, so the gem's site answers to the web server's address \(10\.20\.0\.5\)/);
  });

  it("SSL and the upstream follow the stage: TCP to each app server when web is elsewhere, the socket otherwise", () => {
    const prod = nginxFilesFor(model, stageOf(model, "production"))[0]!;
    expect(prod.servers.flatMap((s) => s.listens.map((l) => [l.value.port, l.value.ssl]))).toEqual([[80, false], [443, true]]);
    expect(prod.servers[0]!.redirectsToHttps?.value).toBe(true);
    expect(prod.servers.flatMap((s) => s.certificates.map((c) => c.value))).toEqual(["/etc/ssl/certs/lantern.example.org.crt"]);
    expect(prod.upstreams.flatMap((u) => u.servers.map((s) => [u.name, s.value.kind, s.value.address]))).toEqual([
      ["unicorn_lantern_production", "tcp", "app1.lantern.example.net:8080"],
      ["unicorn_lantern_production", "tcp", "app2.lantern.example.net:8080"],
    ]);
    const stg = nginxFilesFor(model, stageOf(model, "staging"))[0]!;
    expect(stg.servers.flatMap((s) => s.listens.map((l) => l.value.port))).toEqual([80]);
    expect(stg.upstreams.flatMap((u) => u.servers.map((s) => [s.value.kind, s.value.address]))).toEqual([["unix", "/tmp/unicorn.lantern_staging.sock"]]);
  });

  it("nginx_read_timeout, when the stage sets it, is cited there", async () => {
    const m = await analyze({ "config/deploy/staging.rb": `${APP["config/deploy/staging.rb"]}set :nginx_read_timeout, 120\n` });
    const stg = nginxFilesFor(m, stageOf(m, "staging"))[0]!;
    expect(stg.servers[0]!.timeouts["proxy_read_timeout"]).toEqual({ value: "120", source: { file: "config/deploy/staging.rb", line: 5 } });
    // 3.x wrote no proxy_read_timeout: the variable did nothing there, and that is said
    const old = await analyze({ "config/deploy/staging.rb": `${APP["config/deploy/staging.rb"]}set :nginx_read_timeout, 120\n`, "Gemfile.lock": APP["Gemfile.lock"]!.replace("capistrano-unicorn-nginx (4.1.0)", "capistrano-unicorn-nginx (3.4.0)") });
    expect(nginxFilesFor(old, stageOf(old, "staging"))[0]!.servers[0]!.timeouts["proxy_read_timeout"]).toBeUndefined();
    expect(said(old)).toMatch(/config\/deploy\/staging\.rb:5 capistrano-unicorn-nginx \(stage staging\): nginx_read_timeout is read by the gem from 4\.0\.0 on; 3\.4\.0 wrote its fixed value/);
  });

  it("every rendering is one nginx itself accepts", () => {
    for (const n of ["production", "staging"]) {
      const dir = tempDir(`unicorn-nginx-${n}`);
      const { cert, key } = selfSigned(join(dir, "ssl"), "lantern");
      const text = siteText(stageOf(model, n))
        .text.replaceAll("/home/deploy/apps", dir)
        .replace("/etc/ssl/certs/lantern.example.org.crt", cert)
        .replace("/etc/ssl/private/lantern.example.org.key", key)
        // nginx -t resolves upstream host names: the app servers' names stand for local addresses here
        .replace("app1.lantern.example.net", "127.0.0.1")
        .replace("app2.lantern.example.net", "127.0.0.2");
      writeTree(dir, { "main.conf": `events {}\nhttp {\n  error_log ${dir}/error.log;\n  access_log off;\n  include ${join(dir, "site.conf")};\n}\n`, "site.conf": text });
      const r = runNginx(join(dir, "main.conf"), dir);
      expect([n, r.stderr]).not.toEqual([n, expect.stringMatching(/emerg/)]);
      expect(r.ok).toBe(true);
    }
  });

  it("a repo copy of nginx_conf.erb under templates_path replaces the gem's site", async () => {
    const T = "config/deploy/templates/nginx_conf.erb";
    const m = await analyze({ [T]: "server {\n  listen 80;\n  server_name <%= fetch(:nginx_server_name) %>;\n  client_max_body_size 25m;\n}\n" });
    expect(m.nginx.files.some((f) => f.file === UNICORN_NGINX_FILE)).toBe(false);
    expect(nginxFilesFor(m, stageOf(m, "production"))[0]!.servers[0]!.clientMaxBodySize?.value).toBe("25m");
  });

  it("a generator copy that writes only the upstream and renders the gem's server block partial: the gem's site, said once", async () => {
    const T = "config/deploy/templates/nginx_conf.erb";
    const copy = 'upstream unicorn_<%= fetch(:nginx_config_name) %> {\n  server unix:/tmp/unicorn.<%= fetch(:nginx_config_name) %>.sock fail_timeout=0;\n}\n\n<%= template_to_s("_default_server_directive.erb", ssl_port: 443).to_s %>\n';
    const m = await analyze({ [T]: copy });
    expect(nginxFilesFor(m, stageOf(m, "production")).map((f) => f.file)).toEqual([UNICORN_NGINX_FILE]);
    expect(m.problems.filter((p) => p.file === T && p.line === 5 && /renders the gem's own _default_server_directive\.erb/.test(p.message))).toHaveLength(1);
    // with the partial copied too, the repo's files are the site
    const both = await analyze({ [T]: copy, "config/deploy/templates/_default_server_directive.erb": "server {\n  listen 80;\n  server_name <%= fetch(:nginx_server_name) %>;\n  client_max_body_size 30m;\n}\n" });
    expect(both.nginx.files.some((f) => f.file === UNICORN_NGINX_FILE)).toBe(false);
  });

  it("a plain nginx config of the repo is read instead, with a warning naming the gem's site", async () => {
    const m = await analyze({ "config/nginx.conf": "server {\n  listen 80;\n  server_name lantern.example.org;\n  client_max_body_size 8m;\n}\n" });
    expect(m.nginx.files.map((f) => f.file)).toEqual(["config/nginx.conf"]);
    expect(said(m)).toMatch(/config\/nginx\.conf:1 nginx\.unicorn-nginx-site-not-read: capistrano-unicorn-nginx's setup installs its own nginx site .* for stages production, staging/);
  });
});
