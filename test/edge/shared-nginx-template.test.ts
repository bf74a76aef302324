// A Mina multistage app whose two stage files each define `nginx_template` (mina-nginx renders the
// stage's template on nginx:setup) as the same file of the repo. The file's one server_name was
// taken as production's alone, and the other stage got a placeholder, with nothing saying that
// both deploys rendered it. The host is shared evidence: each stage is asked, production's question
// offering it as the default, the doubt named. `nginx -t` checks the fixture is nginx's.
import { beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { edgeSpec } from "../../emitters/kustomize/edge/spec.js";
import { runNginx, tempDir, writeTree } from "../nginx/nginx.js";

beforeAll(async () => {
  await initPrism();
});

const SITE = [
  "upstream app_server { server unix:/srv/ledger/shared/tmp/sockets/unicorn.sock fail_timeout=0; }",
  "server {",
  "  listen 80;",
  "  server_name ledger.example.org;",
  "  client_max_body_size 50M;",
  "  location / { proxy_pass http://app_server; }",
  "}",
  "",
].join("\n");

const stageFile = (branch: string) => `set :branch, '${branch}'\nset :domain, '10.0.0.9'\n\nprivate\ndef nginx_template\n  File.expand_path '../../../deploy/nginx_site.conf', __FILE__\nend\n`;
const FILES: Record<string, string> = {
  "config/deploy.rb": [
    "set :stages, %w{ qa production }",
    "set :default_stage, 'qa'",
    "require 'mina/multistage'",
    "require 'mina/git'",
    "require 'mina/unicorn'",
    "require 'mina/nginx'",
    "set :application, 'ledger'",
    "set :deploy_to, '/srv/ledger'",
    "set :repository, 'git@example.org:l/ledger.git'",
    "task :deploy do",
    "  deploy do",
    "    invoke :'git:clone'",
    "    to :launch do",
    "      invoke :'unicorn:restart'",
    "    end",
    "  end",
    "end",
    "",
  ].join("\n"),
  "config/deploy/qa.rb": stageFile("develop"),
  "config/deploy/production.rb": stageFile("main"),
  "deploy/nginx_site.conf": SITE,
  "config/unicorn.rb": "worker_processes 2\nlisten '/srv/ledger/shared/tmp/sockets/unicorn.sock'\n",
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    unicorn (6.1.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  unicorn\n",
};

describe("one nginx file that several stages' deploys render", () => {
  it("is nginx's (nginx -t)", () => {
    const dir = tempDir("shared-nginx");
    writeTree(dir, { "nginx.conf": `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n${SITE.replace("unix:/srv/ledger/shared/tmp/sockets/unicorn.sock", "127.0.0.1:9")}}\n` });
    expect(runNginx(join(dir, "nginx.conf"), dir).ok).toBe(true);
  });

  it("gives its host to no stage silently: each stage is asked, production's default the host, the doubt named", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "ledger");
    expect(m.stages.map((s) => s.name).sort()).toEqual(["production", "qa"]);
    const file = m.nginx.files.find((f) => f.file === "deploy/nginx_site.conf")!;
    expect(file.sharedBy).toEqual({ stages: expect.arrayContaining(["qa", "production"]), sources: expect.arrayContaining([{ file: "config/deploy/qa.rb", line: 6 }, { file: "config/deploy/production.rb", line: 6 }]) });
    for (const st of m.stages) expect(stageHosts(m, st)).toEqual([]);
    const prod = m.gaps.find((g) => g.id === "stage.production.hosts")!;
    expect(prod).toMatchObject({ default: ["ledger.example.org"], suggestion: true });
    expect(prod.why).toContain("rendered by the deploys of stages");
    const qa = m.gaps.find((g) => g.id === "stage.qa.hosts")!;
    expect(qa.placeholder).toBe(true);
    expect(qa.why).toContain("ledger.example.org are shared evidence");
    // as `migrate --yes` takes the default
    const spec = edgeSpec(m, m.stages.find((s) => s.name === "production")!, { "stage.production.hosts": prod.default } as never, "ledger");
    expect(spec.hosts).toEqual(["ledger.example.org"]);
    expect(spec.hostsToConfirm?.sharedBy).toEqual(expect.arrayContaining(["qa", "production"]));
  });
});
