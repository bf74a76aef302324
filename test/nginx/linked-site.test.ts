// A plain nginx file the deploy links into nginx's sites itself, under a condition on the stage
// (`unless fetch(:rails_env) == "production"`): the real `cap <stage> … --dry-run` prints the ln on
// the stages where it holds only. The file's hosts and limits are those stages' alone: production,
// whose servers never linked it, takes neither (it took the file's hosts, a retired EC2 machine
// name among them, for its Ingress and certificate). A condition this cannot decide is named, and
// links the file for no stage. An EC2 machine's own DNS name, an IP or localhost in a server_name is
// never a host of the edge, and is named in a note.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { emitAndBuild } from "../kustomize/built.js";
import { requireKubectl } from "../kustomize/kubectl.js";

beforeAll(async () => {
  requireKubectl();
  await initPrism();
});

const CAPFILE = 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/scm/git"\ninstall_plugin Capistrano::SCM::Git\n';
const deployRb = (condition: string) =>
  [
    'set :application, "shelfy"',
    'set :repo_url, "https://git.example.org/shelfy.git"',
    "namespace :deploy do",
    "  task :link_site do",
    "    on roles(:web) do",
    `      ${condition}`,
    '        execute "ln -nfs #{current_path}/config/nginx.conf /etc/nginx/sites-enabled/shelfy"',
    "      end",
    "    end",
    "  end",
    "end",
    'after "deploy:published", "deploy:link_site"',
    "",
  ].join("\n");
const STAGES = {
  "config/deploy/production.rb": 'set :rails_env, "production"\nserver "web1.example.org", roles: %w[web app db]\n',
  "config/deploy/staging.rb": 'set :rails_env, "staging"\nserver "stg1.example.org", roles: %w[web app db]\n',
};
const NGINX = [
  "upstream shelfy { server unix:/tmp/shelfy.sock fail_timeout=0; }",
  "server {",
  "  listen 80;",
  "  server_name beta.shelfy.example.org ec2-198-51-100-7.compute-1.amazonaws.com;",
  "  client_max_body_size 12m;",
  "  location / { proxy_pass http://shelfy; }",
  "}",
  "",
].join("\n");

const files = (condition: string) => ({ Capfile: CAPFILE, "config/deploy.rb": deployRb(condition), ...STAGES, "config/nginx.conf": NGINX });

/** What the real `cap <stage> deploy:link_site --dry-run` runs (SSHKit's printer: no server is reached). */
function realCap(f: Record<string, string>, stage: string): string {
  const dir = mkdtempSync(join(tmpdir(), "r2k-linked-site-"));
  for (const [p, t] of Object.entries(f)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  const r = spawnSync("cap", [stage, "deploy:link_site", "--dry-run"], { cwd: dir, input: "", encoding: "utf8", env: { PATH: process.env["PATH"]!, HOME: dir, LANG: "C.UTF-8" } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

const stageOf = (m: Awaited<ReturnType<typeof analyzeFiles>>, name: string) => m.stages.find((s) => s.name === name)!;

describe("an nginx file linked by the deploy on some stages only", () => {
  it("is the config of the stages where the condition holds (as real cap runs it), and no other's", async () => {
    const f = files('unless fetch(:rails_env) == "production"');
    expect(realCap(f, "staging")).toMatch(/ln -nfs \/var\/www\/shelfy\/current\/config\/nginx\.conf \/etc\/nginx\/sites-enabled\/shelfy/);
    expect(realCap(f, "production")).not.toMatch(/ln -nfs/);

    const m = await analyzeFiles(memoryRepo(f), "shelfy");
    expect(m.nginx.files[0]!.linkedFor).toEqual({ stages: ["staging"], source: { file: "config/deploy.rb", line: 7 } });
    expect(nginxFilesFor(m, stageOf(m, "production"))).toEqual([]);
    expect(nginxFilesFor(m, stageOf(m, "staging")).map((x) => x.file)).toEqual(["config/nginx.conf"]);
    // staging's own hosts; the EC2 machine name is none
    expect(stageHosts(m, stageOf(m, "production"))).toEqual([]);
    expect(stageHosts(m, stageOf(m, "staging")).map((h) => h.host)).toEqual(["beta.shelfy.example.org"]);
    expect(m.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/^config\/nginx\.conf is linked into nginx only `unless fetch\(:rails_env\) == "production"` \(config\/deploy\.rb:6\): it is the nginx config of stage staging alone$/));

    for (const target of ["alb", "gateway"]) {
      const { result, stages } = emitAndBuild(m, { "edge.target": target });
      const text = JSON.stringify(stages);
      expect(text).not.toContain("amazonaws.com");
      expect(JSON.stringify(stages["production"])).not.toContain("beta.shelfy.example.org");
      expect(JSON.stringify(stages["staging"])).toContain("beta.shelfy.example.org");
      expect(result.notes.map((n) => n.message)).toContainEqual(
        expect.stringMatching(/^stage staging: server_name ec2-198-51-100-7\.compute-1\.amazonaws\.com is an EC2 machine's own DNS name, the name of one machine, not a host of the site: not routed and not put on the certificate/),
      );
    }
  });

  it("a condition the analysis cannot decide is named, and the file is no stage's", async () => {
    const f = files("if fetch(:use_site_link)");
    const m = await analyzeFiles(memoryRepo(f), "shelfy");
    expect(m.nginx.files[0]!.linkedFor).toEqual({ stages: [], source: { file: "config/deploy.rb", line: 7 } });
    expect(stageHosts(m, stageOf(m, "production"))).toEqual([]);
    expect(m.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/whether stage production, staging linked it is not known/));
  });

  it("an unconditional link changes nothing: the plain file's hosts stay production's", async () => {
    const f = files("if true");
    const plain = { ...f, "config/deploy.rb": f["config/deploy.rb"].replace("      if true\n", "").replace("        execute", "      execute").replace("      end\n    end\n  end", "    end\n  end") };
    const m = await analyzeFiles(memoryRepo(plain), "shelfy");
    expect(m.nginx.files[0]!.linkedFor).toBeUndefined();
    expect(stageHosts(m, stageOf(m, "production")).map((h) => h.host)).toEqual(["beta.shelfy.example.org"]);
  });
});
