// nginx configs kept as Jinja (an Ansible role's templates/) or Go templates beside the app: read
// for what they write literally (limits, locations, a literal server_name), each templated value
// named as unknown, and never written into a generated config. The emitted sidecar config is judged
// by the real `nginx -t`. Shapes seen in real repos, written here in our own words.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { nginxFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { chosenNginxFile, unresolvedBodySize } from "../../emitters/container/rules.js";
import { emitContainer } from "../../emitters/container/index.js";
import { NGINX_SIDECAR_CONFIG } from "../../emitters/contract.js";
import { nginxTest } from "../container/nginx-text.js";
import { textTemplateKind } from "../../analyzers/nginx/text-template.js";

const dir = mkdtempSync(join(tmpdir(), "r2k-nginx-tpl-"));
beforeAll(async () => {
  await initPrism();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEPLOY = 'set :application, "atlas"\nset :repo_url, "git@example.com:acme/atlas.git"\n';
const base = (files: Record<string, string>) =>
  analyzeFiles(
    memoryRepo({
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
      "config/deploy.rb": DEPLOY,
      "config/deploy/production.rb": 'server "web1.internal", roles: %w[web app db]\n',
      ...files,
    }),
    "atlas",
  );

const JINJA = `upstream {{ app_name }}_app {
  server unix:{{ app_root }}/shared/tmp/sockets/puma.sock fail_timeout=0;
}

{# one server block per site #}
server {
  listen 80;
  server_name {{ server_names | join(' ') }};
{% if ssl_enabled %}
  listen 443 ssl;
  ssl_certificate {{ ssl_cert_path }};
{% endif %}
  root {{ app_root }}/current/public;
  client_max_body_size 25M;
  keepalive_timeout 10;

  location ^~ /assets/ {
    gzip_static on;
    expires max;
    add_header Cache-Control public;
  }

  location / {
    proxy_set_header Host $http_host;
    proxy_pass http://{{ app_name }}_app;
  }
{{ extra_locations }}
}
`;

const GO = `server {
  listen 80;
  server_name shop.example.org;
  client_max_body_size {{ .Values.uploadLimit }};
  {{- if .Values.maintenance }}
  location / { return 503; }
  {{- else }}
  location / { proxy_pass http://127.0.0.1:3000; }
  {{- end }}
}
`;

describe("Jinja and Go nginx templates", () => {
  it("tell themselves apart from plain configs by their tags", () => {
    expect(textTemplateKind(JINJA)).toBe("jinja");
    expect(textTemplateKind(GO)).toBe("go-template");
    expect(textTemplateKind("server { listen 80; location ~ ^/a{2}$ { return 204; } }")).toBe(null);
  });

  it("an Ansible role's template: literal limits and locations read, templated values named, no host taken", async () => {
    const m = await base({ "ansible/roles/web/templates/nginx.conf.j2": JINJA });
    const file = chosenNginxFile(m)!;
    expect([file.file, file.template]).toEqual(["ansible/roles/web/templates/nginx.conf.j2", "jinja"]);
    const st = m.stages.find((s) => s.name === "production")!;
    const servers = nginxFilesFor(m, st).flatMap((f) => f.servers);
    expect(servers.map((s) => s.clientMaxBodySize?.value)).toEqual(["25M"]);
    expect(servers[0]!.locations.map((l) => l.path)).toEqual(["/assets/", "/"]);
    expect(stageHosts(m, st)).toEqual([]);
    const warned = m.problems.filter((p) => p.file === file.file).map((p) => `${p.line} ${p.message}`);
    expect(warned).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^8 .*server_name \{\{ server_names \| join\(' '\) \}\} is set by the template's variables/),
        expect.stringMatching(/^9 .*lines 9-12 are under `\{% if ssl_enabled %\}`/),
        expect.stringMatching(/^27 .*\{\{ extra_locations \}\} stands for lines/),
      ]),
    );
    expect(m.problems.some((p) => /syntax|unexpected/i.test(p.message) && p.file === file.file)).toBe(false);
  });

  it("a Go template: its literal host is taken, its templated upload limit becomes the body-size question", async () => {
    const m = await base({ "deploy/nginx/site.conf.tpl": GO });
    const st = m.stages.find((s) => s.name === "production")!;
    expect(chosenNginxFile(m)!.template).toBe("go-template");
    expect(stageHosts(m, st).map((h) => h.host)).toEqual(["shop.example.org"]);
    // Asked (as BODY_SIZE_ANSWER) wherever the sidecar is kept, as for an ERB template's.
    expect(unresolvedBodySize(m)).toMatchObject({ text: "{{ .Values.uploadLimit }}", source: { file: "deploy/nginx/site.conf.tpl", line: 4 } });
    // Both branches of the `if` are left unread: neither location / is taken as the servers'.
    expect(nginxFilesFor(m, st).flatMap((f) => f.servers.flatMap((s) => s.locations.map((l) => l.path)))).toEqual([]);
  });

  it("the sidecar config written from a template passes nginx -t and holds no template tag", async () => {
    for (const files of [{ "ansible/roles/web/templates/nginx.conf.j2": JINJA }, { "deploy/nginx/site.conf.tpl": GO }]) {
      const m = await base(files);
      const r = emitContainer(m, { "container.nginx_sidecar": true });
      const conf = r.files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content;
      expect(conf).not.toMatch(/\{\{|\{%|R2K_TPL/);
      const t = nginxTest(conf, dir);
      expect(t.ok, t.out).toBe(true);
      if (files["ansible/roles/web/templates/nginx.conf.j2" as keyof typeof files]) {
        expect(conf).toMatch(/client_max_body_size 25M;/);
        expect(conf).toMatch(/location \^~ \/assets\//);
      }
    }
  });
});
