// A Capistrano 3 app whose only nginx file is the one a developer runs on a laptop: kept in
// config/development/, listening on 4000 in front of `rails s`, serving uploads from a folder in a
// macOS home. It was read as the servers' nginx: the sidecar default, the routes and the upload
// limit came from it, and the laptop path was rewritten into the image. It is no server's config:
// named in the report, read for nothing. `nginx -t` checks the fixture is nginx's.
import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { sidecarDefault } from "../../emitters/container/rules.js";
import { edgeSpec } from "../../emitters/kustomize/edge/spec.js";
import { runNginx, tempDir, writeTree } from "../nginx/nginx.js";

beforeAll(async () => {
  await initPrism();
});

const LAPTOP = [
  "events { worker_connections 64; }",
  "http {",
  "  server {",
  "    listen 4000;",
  "    server_name tickets.example.org;",
  "    client_max_body_size 300M;",
  "    location / { proxy_pass http://localhost:3000; }",
  "    location /uploads/ { gzip_static on; expires max; alias /Users/dana/code/tickets/public/uploads/; }",
  "  }",
  "}",
  "",
].join("\n");

const stage = (name: string) => `server "10.1.2.3", user: "deploy", roles: %w{web app db}\nset :rails_env, "${name}"\n`;
const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'lock "3.11.0"\nset :application, "tickets"\nset :repo_url, "git@example.org:t/tickets.git"\nset :deploy_to, "/var/www/tickets"\n',
  "config/deploy/production.rb": stage("production"),
  "config/deploy/staging.rb": stage("staging"),
  "config/development/nginx.conf": LAPTOP,
  // the same shape of file in a development folder, whose paths say nothing of a laptop
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    puma (6.4.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  puma\n",
};

describe("a developer's nginx config kept in the repo", () => {
  it("is nginx's (nginx -t)", () => {
    const dir = tempDir("development-nginx");
    writeTree(dir, { "nginx.conf": `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\n${LAPTOP}` });
    expect(runNginx(join(dir, "nginx.conf"), dir).ok).toBe(true);
  });

  it("gives no stage hosts, limits, sidecar or routes, and is named with its host", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "tickets");
    expect(m.nginx.files).toEqual([]);
    expect(m.nginx.notServed).toEqual([
      expect.objectContaining({ file: "config/development/nginx.conf", why: "development", hosts: ["tickets.example.org"], source: { file: "config/development/nginx.conf", line: 8 } }),
    ]);
    for (const st of m.stages) {
      expect(nginxFilesFor(m, st)).toEqual([]);
      expect(stageHosts(m, st)).toEqual([]);
      const spec = edgeSpec(m, st, {}, "tickets");
      expect(spec.bodySize?.value.raw).not.toBe("300M");
    }
    expect(sidecarDefault(m).keep).toBe(false);
    expect(sidecarDefault(m).why).toContain("config/development/nginx.conf");
    const text = renderReport(m, { color: false });
    expect(text).toContain("config/development/nginx.conf: a developer's own nginx config");
    expect(text).toContain("/Users/dana/code/tickets/public/uploads");
    expect(text).toContain("tickets.example.org routed nowhere");
  });

  it("a development folder alone says so, where its paths serve no stage", async () => {
    const plain = LAPTOP.replace("alias /Users/dana/code/tickets/public/uploads/", "alias /srv/elsewhere/uploads/");
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/development/nginx.conf": plain }), "tickets");
    expect(m.nginx.files).toEqual([]);
    expect(m.nginx.notServed?.[0]).toMatchObject({ why: "development", detail: expect.stringContaining("config/development/") });
  });

  it("a file serving a stage's deploy_to is the servers', wherever it sits", async () => {
    const served = LAPTOP.replace("alias /Users/dana/code/tickets/public/uploads/", "alias /var/www/tickets/current/public/uploads/");
    const m = await analyzeFiles(memoryRepo({ ...FILES, "config/development/nginx.conf": served }), "tickets");
    expect(m.nginx.files.map((f) => f.file)).toEqual(["config/development/nginx.conf"]);
    expect(m.nginx.notServed).toBeUndefined();
  });
});
