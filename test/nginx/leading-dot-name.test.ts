// nginx's leading-dot server_name (`.stage.example.org`) answers the name itself and every name
// under it. A Capistrano 2 stage whose rendered site named only that form had its host dropped (the
// dot made it no host) and got a placeholder, with a report saying nothing named it. The semantics
// are checked on the real nginx, serving requests by Host header.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { request } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { nginxNameHosts, stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { NGINX, runNginx, tempDir, writeTree } from "./nginx.js";

beforeAll(async () => {
  await initPrism();
});

const SITE = [
  "upstream tern_app { server unix:/home/deploy/tern/shared/sockets/unicorn.sock fail_timeout=0; }",
  "server {",
  "  listen 80;",
  '<% if rails_env == "production" %>',
  "  server_name tern.example.org *.tern.example.org;",
  "<% else %>",
  "  server_name .stage.tern.example.org;",
  "<% end %>",
  "  client_max_body_size 30m;",
  "  location / { proxy_pass http://tern_app; }",
  "}",
  "",
].join("\n");

const FILES: Record<string, string> = {
  Capfile: "load 'deploy'\n",
  "config/deploy.rb": "set :stages, %w(production staging)\nset :default_stage, 'staging'\nrequire 'capistrano/ext/multistage'\nset :application, 'tern'\nset :repository, 'git@example.com:acme/tern.git'\n",
  "config/deploy/production.rb": "server 'web1.internal', :app, :web, :db, :primary => true\nset :rails_env, 'production'\n",
  "config/deploy/staging.rb": "server 'stg1.internal', :app, :web, :db, :primary => true\nset :rails_env, 'staging'\n",
  "config/deploy/nginx.conf.erb": SITE,
};

describe("a leading-dot server_name", () => {
  it("is the host and its wildcard, cited at its line; the stage is asked nothing", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "tern");
    const staging = m.stages.find((s) => s.name === "staging")!;
    expect(stageHosts(m, staging)).toEqual([
      { host: "stage.tern.example.org", source: { file: "config/deploy/nginx.conf.erb", line: 7 } },
      { host: "*.stage.tern.example.org", source: { file: "config/deploy/nginx.conf.erb", line: 7 } },
    ]);
    expect(m.gaps.some((g) => g.id === "stage.staging.hosts")).toBe(false);
    expect(stageHosts(m, m.stages.find((s) => s.name === "production")!).map((h) => h.host)).toEqual(["tern.example.org", "*.tern.example.org"]);
  });

  it("answers exactly what nginx answers for it: the name and names under it, not a name merely ending in it", async () => {
    expect(nginxNameHosts(".stage.tern.example.org")).toEqual(["stage.tern.example.org", "*.stage.tern.example.org"]);
    expect(nginxNameHosts("tern.example.org")).toEqual(["tern.example.org"]);
    const dir = tempDir("leading-dot");
    const port = 20000 + (process.pid % 20000);
    writeTree(dir, {
      "main.conf": [
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log;`,
        "events {}",
        "http {",
        "  access_log off;",
        `  server { listen 127.0.0.1:${port} default_server; return 404 "none"; }`,
        `  server { listen 127.0.0.1:${port}; server_name .stage.tern.example.org; return 200 "site"; }`,
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
      const matches = (host: string) => nginxNameHosts(".stage.tern.example.org").some((h) => (h.startsWith("*.") ? host.endsWith(h.slice(1)) : host === h));
      for (const host of ["stage.tern.example.org", "a.stage.tern.example.org", "a.b.stage.tern.example.org", "xstage.tern.example.org", "tern.example.org"])
        expect([host, await hit(host)]).toEqual([host, matches(host) ? "site" : "none"]);
    } finally {
      spawnSync("kill", [readFileSync(join(dir, "nginx.pid"), "utf8").trim()]);
    }
  });
});
