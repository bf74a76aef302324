// A repo that keeps one plain nginx config per stage (config/nginx/<application>.conf), each
// proxying to the socket under its own stage's deploy_to (/var/www/<application>/shared/...), as
// a real Rails 7 app on capistrano3-puma does. Each stage takes its own file's hosts and limits:
// production was given every file's hosts (another stage's among them) and the first file's body
// limit, and staging a placeholder host although its file names it.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { chosenNginxFile } from "../../emitters/container/rules.js";

beforeAll(async () => {
  await initPrism();
});

const CAPFILE = 'require "capistrano/setup"\nrequire "capistrano/deploy"\n';
// staging keeps deploy.rb's application, production renames it: Capistrano's default deploy_to
// (/var/www/<application>) then differs per stage.
const DEPLOY = 'set :application, "quay_portal"\nset :repo_url, "https://git.example.org/quay/portal.git"\n';
const STAGES = {
  "config/deploy/production.rb": 'set :application, "portal"\nset :rails_env, "production"\nserver "portal-web1", user: "portal", roles: %w[app db web]\n',
  "config/deploy/staging.rb": 'set :rails_env, "staging"\nserver "portal-stg1", user: "portal", roles: %w[app db web]\n',
};
const site = (app: string, hosts: string, body: string) =>
  [
    `upstream puma_${app} {`,
    `  server unix:/var/www/${app}/shared/tmp/sockets/puma.sock fail_timeout=0;`,
    "}",
    "server {",
    "  listen 80;",
    `  server_name ${hosts};`,
    `  root /var/www/${app}/current/public;`,
    `  client_max_body_size ${body};`,
    `  location / { proxy_pass http://puma_${app}; }`,
    "}",
    "",
  ].join("\n");

const analyze = (files: Record<string, string>) => analyzeFiles(memoryRepo({ Capfile: CAPFILE, "config/deploy.rb": DEPLOY, ...STAGES, ...files }), "portal");
const stageOf = (m: Awaited<ReturnType<typeof analyze>>, name: string) => m.stages.find((s) => s.name === name)!;
const hosts = (m: Awaited<ReturnType<typeof analyze>>, name: string) => stageHosts(m, stageOf(m, name)).map((h) => h.host);
const bodies = (m: Awaited<ReturnType<typeof analyze>>, name: string) => nginxFilesFor(m, stageOf(m, name)).flatMap((f) => f.servers.map((s) => s.clientMaxBodySize?.value));

describe("one plain nginx file per stage, told apart by deploy_to", () => {
  it("each stage takes the hosts and limits of the file under its own deploy_to", async () => {
    const m = await analyze({
      "config/nginx/quay_portal.conf": site("quay_portal", "beta.portal.example.org", "1G"),
      "config/nginx/portal.conf": site("portal", "portal.example.org www.portal.example.org", "4G"),
    });
    expect(hosts(m, "production")).toEqual(["portal.example.org", "www.portal.example.org"]);
    expect(hosts(m, "staging")).toEqual(["beta.portal.example.org"]);
    expect(bodies(m, "production")).toEqual(["4G"]);
    expect(bodies(m, "staging")).toEqual(["1G"]);
    // cited at the socket line that ties the file to the stage
    expect(m.nginx.files.find((f) => f.file === "config/nginx/quay_portal.conf")!.servesStage).toEqual({ value: "staging", source: { file: "config/nginx/quay_portal.conf", line: 2 } });
    // the one sidecar image is built from production's file
    expect(chosenNginxFile(m as any)!.file).toBe("config/nginx/portal.conf");
  });

  it("a single file under one stage's deploy_to stays every stage's config; its hosts stay production's", async () => {
    const m = await analyze({ "config/nginx/portal.conf": site("portal", "portal.example.org", "4G") });
    expect(m.nginx.files[0]!.servesStage).toBeUndefined();
    expect(bodies(m, "staging")).toEqual(["4G"]);
    expect(hosts(m, "production")).toEqual(["portal.example.org"]);
    expect(hosts(m, "staging")).toEqual([]);
  });

  it("files whose paths no stage's deploy_to holds are shared, as before", async () => {
    const m = await analyze({
      "config/nginx/a.conf": site("elsewhere-a", "a.portal.example.org", "2m"),
      "config/nginx/b.conf": site("elsewhere-b", "b.portal.example.org", "3m"),
    });
    expect(m.nginx.files.every((f) => f.servesStage === undefined)).toBe(true);
    expect(bodies(m, "staging")).toEqual(["2m", "3m"]);
    expect(hosts(m, "staging")).toEqual([]);
  });

  it("stages sharing one deploy_to: the paths name neither", async () => {
    const m = await analyzeFiles(
      memoryRepo({
        Capfile: CAPFILE,
        "config/deploy.rb": DEPLOY + 'set :deploy_to, "/var/www/portal"\n',
        ...STAGES,
        "config/nginx/portal.conf": site("portal", "portal.example.org", "4G"),
        "config/nginx/quay_portal.conf": site("quay_portal", "beta.portal.example.org", "1G"),
      }),
      "portal",
    );
    expect(m.nginx.files.every((f) => f.servesStage === undefined)).toBe(true);
    expect(hosts(m, "staging")).toEqual([]);
  });
});
