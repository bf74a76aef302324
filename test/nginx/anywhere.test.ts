// nginx configs wherever deploy tooling keeps them (Capistrano templates, install scripts, example
// copies), and each stage's hosts from its own evidence only. App shapes seen in real repos, written
// here in our own words.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { stageHosts, mailerHostSuggestion } from "../../emitters/kustomize/rules/hosts.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { chosenNginxFile } from "../../emitters/container/rules.js";
import { isNginxCandidate } from "../../analyzers/nginx/index.js";

beforeAll(async () => {
  await initPrism();
});

const DEPLOY = 'set :application, "atlas"\nset :repo_url, "git@example.com:acme/atlas.git"\n';
const base = (files: Record<string, string>) =>
  analyzeFiles(memoryRepo({ Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n', "config/deploy.rb": DEPLOY, ...files }), "atlas");
const bodySizes = (m: Awaited<ReturnType<typeof base>>, stage: string) =>
  nginxFilesFor(m, m.stages.find((s) => s.name === stage)!).flatMap((f) => f.servers.map((s) => s.clientMaxBodySize?.value ?? null));

describe("where nginx configs live", () => {
  it("a Capistrano template under lib/capistrano/templates is rendered per stage with its variables", async () => {
    const m = await base({
      "config/deploy/production.rb": 'server "web1.internal", roles: %w[web app db]\nset :nginx_server_name, "atlas.example.org"\n',
      "config/deploy/staging.rb": 'server "stg1.internal", roles: %w[web app db]\nset :nginx_server_name, "staging.atlas.example.org"\n',
      "lib/capistrano/templates/nginx_conf.erb": "upstream app { server unix:/tmp/unicorn.sock fail_timeout=0; }\nserver {\n  listen 80;\n  server_name <%= fetch(:nginx_server_name) %>;\n  client_max_body_size 10M;\n  location / { proxy_pass http://app; }\n}\n",
    });
    expect(stageHosts(m, m.stages.find((s) => s.name === "production")!).map((h) => h.host)).toEqual(["atlas.example.org"]);
    expect(stageHosts(m, m.stages.find((s) => s.name === "staging")!).map((h) => h.host)).toEqual(["staging.atlas.example.org"]);
    expect(bodySizes(m, "staging")).toEqual(["10M"]);
  });

  it("an install script's config and a root nginx.conf.example are read; the example is marked and its hosts are not taken", async () => {
    const script = await base({
      "config/deploy/production.rb": 'server "web1.internal", roles: %w[web app db]\n',
      "script/install/nginx.atlas.conf": "server {\n  listen 80;\n  server_name atlas.example.org;\n  client_max_body_size 35m;\n  location / { proxy_pass http://127.0.0.1:3000; }\n}\n",
    });
    expect(bodySizes(script, "production")).toEqual(["35m"]);
    const example = await base({
      "config/deploy/production.rb": 'server "web1.internal", roles: %w[web app db]\n',
      "nginx.conf.example": "http {\n  server {\n    listen 80;\n    server_name yourdomain.example.net;\n    client_max_body_size 4G;\n    location / { proxy_pass http://127.0.0.1:3000; }\n  }\n}\n",
    });
    const file = chosenNginxFile(example)!;
    expect([file.file, file.example]).toEqual(["nginx.conf.example", true]);
    expect(bodySizes(example, "production")).toEqual(["4G"]);
    expect(stageHosts(example, example.stages[0]!)).toEqual([]);
    expect(example.gaps.some((g) => g.id === "stage.production.hosts")).toBe(true);
  });

  it("a real config wins over an example copy", async () => {
    const m = await base({
      "config/deploy/production.rb": 'server "web1.internal", roles: %w[web app db]\n',
      "config/nginx.conf": "server {\n  listen 80;\n  server_name atlas.example.org;\n  client_max_body_size 20M;\n}\n",
      "config/nginx.conf.sample": "server {\n  listen 80;\n  server_name example.local;\n  client_max_body_size 1M;\n}\n",
    });
    expect(chosenNginxFile(m)!.file).toBe("config/nginx.conf");
    expect(bodySizes(m, "production")).toEqual(["20M"]);
  });

  it("vendored and test copies are not the app's config", () => {
    const t = () => "server { listen 80; }";
    expect(isNginxCandidate("vendor/bundle/gems/x/nginx.conf", t)).toBe(false);
    expect(isNginxCandidate("spec/fixtures/nginx.conf", t)).toBe(false);
    expect(isNginxCandidate("deploy/nginx/site.conf", t)).toBe(true);
    expect(isNginxCandidate(".docker/config/nginx/webapp.conf", t)).toBe(true);
    expect(isNginxCandidate("app/assets/nginx.js", t)).toBe(false);
  });
});

describe("hosts from the stage's own evidence", () => {
  it("a stage variable names the host when no nginx config does; never another stage's", async () => {
    const m = await base({
      "config/deploy/production.rb": 'server "web1.internal", roles: %w[web app db]\nset :domain, "https://atlas.example.org/"\n',
      "config/deploy/staging.rb": 'server "stg1.internal", roles: %w[web app db]\n',
    });
    expect(stageHosts(m, m.stages.find((s) => s.name === "production")!).map((h) => h.host)).toEqual(["atlas.example.org"]);
    expect(stageHosts(m, m.stages.find((s) => s.name === "staging")!)).toEqual([]);
    expect(m.gaps.map((g) => g.id)).toContain("stage.staging.hosts");
    expect(m.gaps.map((g) => g.id)).not.toContain("stage.production.hosts");
  });

  it("the mailer's default_url_options host of the stage's Rails environment: only a suggestion, never a fact", async () => {
    const m = await base({
      "config/deploy/staging.rb": 'server "stg1.internal", roles: %w[web app db]\nset :rails_env, "staging"\n',
      "config/environments/staging.rb": 'Rails.application.configure do\n  config.action_mailer.default_url_options = { host: "staging.atlas.example.org", protocol: "https" }\nend\n',
      "config/environments/production.rb": 'Rails.application.configure do\n  config.action_mailer.default_url_options = { host: ENV["APP_HOST"] }\nend\n',
    });
    expect(stageHosts(m, m.stages[0]!)).toEqual([]);
    expect(mailerHostSuggestion(m, m.stages[0]!)).toEqual({ host: "staging.atlas.example.org", source: { file: "config/environments/staging.rb", line: 2 } });
    expect(m.rails.mailerHosts?.["production"]).toBeUndefined();
  });
});
