// An nginx ERB template is a stage's config only when the deploy renders it: a task of a file the
// deploy loads names it, or it sits where a plugin looks for the repo's copy (config/deploy/,
// lib/capistrano/). A Capistrano 2 recipe left in config/recipes/ that no Capfile loads renders
// nothing (the real `cap -AT` lists none of its tasks): its template was read as every stage's
// config and outranked the plain config/nginx.conf the servers did use. Templates of a Chef
// cookbook are Chef's: one warning names them, none is read (each gave "has no value known" noise).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";

beforeAll(async () => {
  await initPrism();
});

const CAPFILE = 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\nDir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n';
const RECIPE = [
  "namespace :nginx do",
  "  task :setup, roles: :web do",
  '    template "nginx_site.erb", "/tmp/nginx_site"',
  '    run "#{sudo} mv /tmp/nginx_site /etc/nginx/sites-enabled/ledger"',
  "  end",
  "end",
  "",
].join("\n");
const DEAD_TEMPLATE = "upstream ledger { server unix:/tmp/ledger.sock; }\nserver {\n  listen 80;\n  server_name <%= fetch(:domain) %>;\n  client_max_body_size 4G;\n  location / { proxy_pass http://ledger; }\n}\n";
const LIVE = "upstream ledger { server unix:/var/www/ledger/shared/tmp/sockets/puma.sock; }\nserver {\n  listen 80;\n  server_name ledger.example.org;\n  client_max_body_size 10M;\n  location /cable { proxy_pass http://ledger; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\"; }\n  location / { proxy_pass http://ledger; }\n}\n";
const COOKBOOK = (n: number) => `server {\n  listen <%= node['nginx']['port${n}'] %>;\n  server_name <%= node['hostname'] %>;\n}\n`;

const files = (capfile = CAPFILE): Record<string, string> => ({
  Capfile: capfile,
  "config/deploy.rb": 'set :application, "ledger"\nset :repo_url, "https://git.example.org/ledger.git"\n',
  "config/deploy/production.rb": 'set :domain, "ledger.example.org"\nserver "web1.example.org", roles: %w[web app db]\n',
  "lib/capistrano/tasks/restart.rake": 'namespace :app do\n  task :hello do\n    puts "hello"\n  end\nend\n',
  "config/recipes/nginx.rb": RECIPE,
  "config/recipes/templates/nginx_site.erb": DEAD_TEMPLATE,
  "config/nginx.conf": LIVE,
  "chef-repo/cookbooks/nginx/templates/default/site.erb": COOKBOOK(1),
  "chef-repo/cookbooks/nginx/templates/default/status.erb": COOKBOOK(2),
});

function capTasks(f: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-unrendered-"));
  for (const [p, t] of Object.entries(f)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  const r = spawnSync("cap", ["-AT"], { cwd: dir, input: "", encoding: "utf8", env: { PATH: process.env["PATH"]!, HOME: dir, LANG: "C.UTF-8" } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe("nginx templates nothing renders", () => {
  it("a recipe no file loads renders nothing: the plain config is the stage's, and Chef's templates are named once", async () => {
    const f = files();
    const listed = capTasks(f);
    expect(listed).toMatch(/^cap app:hello\b/m);
    expect(listed).not.toMatch(/nginx:setup/);

    const m = await analyzeFiles(memoryRepo(f), "ledger");
    expect(m.nginx.files.map((x) => `${x.file}@${x.stage}`)).toEqual(["config/nginx.conf@null"]);
    const prod = m.stages.find((s) => s.name === "production")!;
    const own = nginxFilesFor(m, prod);
    expect(own.map((x) => x.file)).toEqual(["config/nginx.conf"]);
    expect(own[0]!.servers[0]!.clientMaxBodySize?.value).toBe("10M");
    const said = m.problems.map((p) => p.message);
    expect(said).toContainEqual("config/recipes/templates/nginx_site.erb is an nginx template no loaded deploy task renders (no task of a file the deploy loads names it): not read as any stage's nginx config");
    expect(said.filter((x) => x.includes("chef-repo/"))).toEqual([
      "2 nginx templates under chef-repo/cookbooks/ belong to Chef (another tool renders them, not the deploy): not read as any stage's nginx config (chef-repo/cookbooks/nginx/templates/default/site.erb, chef-repo/cookbooks/nginx/templates/default/status.erb)",
    ]);
  });

  it("once the Capfile loads the recipe, its template is rendered for the stage", async () => {
    const f = files(`${CAPFILE}load "config/recipes/nginx.rb"\n`);
    const m = await analyzeFiles(memoryRepo(f), "ledger");
    expect(m.nginx.files.map((x) => `${x.file}@${x.stage}`).sort()).toEqual(["config/nginx.conf@null", "config/recipes/templates/nginx_site.erb@production"]);
  });
});
