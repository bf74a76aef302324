// A Capistrano 3 app whose stage files say their hosts the nginx way, `set :server_name, "a b c"`
// (space-separated), while the repo's per-stage nginx sites each name only one of them, a retired
// `.conf.old` copy names another, and a site copied from another app (its socket under that app's
// directory) listens with ssl. The stage variable's hosts were lost, the retired copy's host was
// taken and credited to the live file's line, and TLS was cited to the other app's file.
// How nginx splits a server_name is checked on the real nginx, serving requests by Host header.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { request } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { stageHostDifference, stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { edgeSpec, hostProvenance } from "../../emitters/kustomize/edge/spec.js";
import { NGINX, runNginx, tempDir, writeTree } from "./nginx.js";

beforeAll(async () => {
  await initPrism();
});

const LIVE_NAMES = "shop.example.net www.shop.example.net shop.example.org";
const stage = (name: string, names: string) =>
  [
    `set :stage, :${name}`,
    `set :server_name, "${names}"`,
    `server "10.9.8.7", user: "kiosk", roles: %w{web app db}`,
    `set :deploy_to, "/srv/kiosk/${name}"`,
    `set :rails_env, :${name}`,
    "",
  ].join("\n");
const site = (root: string, name: string, extra = "") =>
  [
    `upstream kiosk { server unix:${root}/shared/tmp/sockets/kiosk.sock; }`,
    "server {",
    "  listen 8080;",
    `  server_name ${name};`,
    `  root ${root}/current/public;`,
    "  client_max_body_size 8M;",
    "  location / { proxy_pass http://kiosk; }",
    extra,
    "}",
    "",
  ].join("\n");

const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'lock "3.9.0"\nset :application, "kiosk"\nset :repo_url, "git@example.net:acme/kiosk.git"\n',
  "config/deploy/production.rb": stage("production", LIVE_NAMES),
  "config/deploy/staging.rb": stage("staging", "beta.shop.example.net www.beta.shop.example.net"),
  "config/shop.example.net.conf": site("/srv/kiosk/production", "shop.example.net"),
  "config/beta.shop.example.net.conf": site("/srv/kiosk/staging", "beta.shop.example.net"),
  // a retired copy, under production's deploy_to, naming a host no live file or variable names
  "config/shop.example.net.conf.old": site("/srv/kiosk/production", "legacy.example.com"),
  // another app's site, kept in the repo: ssl, its socket under that app's directory
  "config/nginx.conf": [
    "upstream other { server unix:/opt/elsewhere/shared/tmp/sockets/other.sock; }",
    "server {",
    "  listen 443 ssl;",
    "  ssl_certificate /etc/ssl/elsewhere.pem;",
    "  location / { proxy_pass http://other; }",
    "}",
    "",
  ].join("\n"),
};

const model = () => analyzeFiles(memoryRepo(FILES), "kiosk");

describe("a stage's server_name variable and its nginx sites", () => {
  it("the variable's hosts join the nginx hosts, each cited to its own line; a retired copy names none", async () => {
    const m = await model();
    const prod = m.stages.find((s) => s.name === "production")!;
    expect(stageHosts(m, prod)).toEqual([
      { host: "shop.example.net", source: { file: "config/shop.example.net.conf", line: 4 } },
      { host: "www.shop.example.net", source: { file: "config/deploy/production.rb", line: 2 } },
      { host: "shop.example.org", source: { file: "config/deploy/production.rb", line: 2 } },
    ]);
    const staging = m.stages.find((s) => s.name === "staging")!;
    expect(stageHosts(m, staging).map((h) => h.host)).toEqual(["beta.shop.example.net", "www.beta.shop.example.net"]);
    // the retired copy is read as an example: marked, and never a source of hosts
    expect(m.nginx.files.find((f) => f.file === "config/shop.example.net.conf.old")!.example).toBe(true);
    expect([...stageHosts(m, prod), ...stageHosts(m, staging)].some((h) => h.host === "legacy.example.com")).toBe(false);
  });

  it("names the difference between the variable and the nginx server_name, and cites each host's line", async () => {
    const m = await model();
    const prod = m.stages.find((s) => s.name === "production")!;
    expect(stageHostDifference(m, prod)).toEqual({
      variable: { file: "config/deploy/production.rb", line: 2 },
      onlyVariable: ["www.shop.example.net", "shop.example.org"],
      config: [{ file: "config/shop.example.net.conf", line: 4 }],
      onlyConfig: [],
    });
    const spec = edgeSpec(m, prod, {}, "kiosk");
    const out = { provenance: [] as { output: string; what: string; source: unknown }[], notes: [] as { message: string; source: unknown }[] };
    hostProvenance({ stage: "production", output: "k8s/overlays/production/httproute.yaml", spec } as never, out as never);
    expect(out.provenance.map((p) => [p.what, p.source])).toEqual([
      ["hosts shop.example.net (nginx server_name)", { file: "config/shop.example.net.conf", line: 4 }],
      ["hosts www.shop.example.net, shop.example.org (Capistrano :server_name)", { file: "config/deploy/production.rb", line: 2 }],
    ]);
    expect(out.notes.map((n) => n.message)).toEqual([expect.stringContaining("www.shop.example.net, shop.example.org only in the stage's server_name variable")]);
  });

  it("another app's site kept in the repo is no stage's: no TLS cited to it", async () => {
    const m = await model();
    // read for nothing: named with why, and no longer among the files any stage reads
    expect(m.nginx.files.some((f) => f.file === "config/nginx.conf")).toBe(false);
    expect(m.nginx.notServed).toEqual([expect.objectContaining({ file: "config/nginx.conf", why: "other-deployment", source: { file: "config/nginx.conf", line: 1 } })]);
    for (const s of m.stages) {
      const spec = edgeSpec(m, s, {}, "kiosk");
      expect(spec.tls?.source.file).not.toBe("config/nginx.conf");
    }
  });

  it("splits the variable as nginx splits a server_name (checked on the real nginx)", async () => {
    const dir = tempDir("server-name-variable");
    const port = 20000 + ((process.pid + 7919) % 20000);
    writeTree(dir, {
      "main.conf": [
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log;`,
        "events {}",
        "http {",
        "  access_log off;",
        `  server { listen 127.0.0.1:${port} default_server; return 404 "none"; }`,
        `  server { listen 127.0.0.1:${port}; server_name ${LIVE_NAMES}; return 200 "site"; }`,
        "}",
        "",
      ].join("\n"),
    });
    expect(runNginx(join(dir, "main.conf"), dir).ok).toBe(true);
    const started = spawnSync(NGINX, ["-c", join(dir, "main.conf"), "-p", dir + "/"], { encoding: "utf8" });
    expect(started.status).toBe(0);
    try {
      const hit = (host: string) =>
        new Promise<string>((resolve, reject) => {
          const r = request({ host: "127.0.0.1", port, path: "/", headers: { Host: host } }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve(body));
          });
          r.on("error", reject);
          r.end();
        });
      const m = await model();
      const ours = stageHosts(m, m.stages.find((s) => s.name === "production")!).map((h) => h.host);
      for (const host of ["shop.example.net", "www.shop.example.net", "shop.example.org", "example.org", "legacy.example.com"])
        expect([host, await hit(host)]).toEqual([host, ours.includes(host) ? "site" : "none"]);
    } finally {
      spawnSync("kill", [readFileSync(join(dir, "nginx.pid"), "utf8").trim()]);
    }
  });
});
