// An nginx template whose upstream servers are written by a Ruby loop over a value no stage states
// (`<% binds.each do |b| %>  <%= b %><% end %>`): the line is one unknown ERB value standing for
// whole directives. Read as text it is a directive with no `;`, and the parse used to stop there,
// losing the server block after it (its hosts and upload limit). Real ERB + real nginx show what the
// servers ran; the analysis keeps the server block and says what it left out.
// (A template written for this test, after the shape of capistrano3-puma's nginx_conf.erb copies.)
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { runNginx, tempDir } from "./nginx.js";

beforeAll(async () => {
  await initPrism();
});

const TEMPLATE = [
  "upstream app_backend { <% @lines = Array(fetch(:app_binds)).map { |b| \"server #{b};\" } %><% @lines.each do |l| %>",
  "  <%= l %><% end %>",
  "}",
  "",
  "server {",
  "  listen 80;",
  "  server_name <%= fetch(:site_host) %>;",
  "  client_max_body_size 25m;",
  "  location / {",
  "    proxy_pass http://app_backend;",
  "  }",
  "}",
  "",
].join("\n");

const app = (): Record<string, string> => ({
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'set :application, "atlas"\nset :repo_url, "git@git.example.org:acct/atlas.git"\nset :deploy_to, "/srv/atlas"\nset :app_binds, ENV.fetch("ATLAS_BINDS").split(",")\n',
  "config/deploy/production.rb": 'server "web1.atlas.example.org", roles: %w[web app db]\nset :site_host, "atlas.example.org"\n',
  "config/deploy/templates/nginx.conf.erb": TEMPLATE,
  Gemfile: 'source "https://rubygems.org"\ngem "rails"\ngem "puma"\n',
});

describe("a template line that is only an unknown ERB value", () => {
  it("renders, with the binds the servers had, into a site real nginx accepts", () => {
    const dir = tempDir("written-directives");
    const ruby = 'require "erb"; def fetch(k) = {app_binds: ["unix:/srv/atlas/shared/tmp/sockets/puma.sock", "127.0.0.1:3001"], site_host: "atlas.example.org"}.fetch(k); print ERB.new(STDIN.read).result(binding)';
    const r = spawnSync("ruby", ["-e", ruby], { input: TEMPLATE, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^  server unix:\/srv\/atlas\/shared\/tmp\/sockets\/puma\.sock;\n  server 127\.0\.0\.1:3001;\n\}/m);
    writeFileSync(join(dir, "site.conf"), r.stdout);
    writeFileSync(join(dir, "main.conf"), `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include ${dir}/site.conf;\n}\n`);
    const n = runNginx(join(dir, "main.conf"), dir);
    expect(n.ok, n.stderr).toBe(true);
  });

  it("keeps the server block after it (host and upload limit) and says what it left out", async () => {
    const m = await analyzeFiles(memoryRepo(app()), "atlas");
    const f = m.nginx.files.find((x) => x.file === "config/deploy/templates/nginx.conf.erb" && x.stage === "production");
    expect(f).toBeDefined();
    const server = f!.servers[0];
    expect(server?.serverNames.map((s) => s.value)).toEqual(["atlas.example.org"]);
    expect(server?.clientMaxBodySize?.value).toBe("25m");
    const said = m.problems.filter((p) => p.file === "config/deploy/templates/nginx.conf.erb");
    expect(said.some((p) => /only an ERB value the analysis cannot know/.test(p.message) && p.line === 2)).toBe(true);
    expect(said.filter((p) => p.severity === "error")).toEqual([]);
  });
});
