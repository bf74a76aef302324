// Every emitted nginx sidecar config passes `nginx -t` (Debian's nginx, prefix in a temp dir), and
// says what the pod needs: port, no TLS, the image's public dir, logs to stdout/stderr, /tmp paths.
import { afterAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Answers, AppModel } from "../../src/model.js";
import { emitContainer } from "../../emitters/container/index.js";
import { NGINX_PID_FILE, NGINX_PORT, NGINX_SIDECAR_CONFIG, UNICORN_SOCKET, APP_PORT } from "../../emitters/contract.js";
import { ledgerModel, legacyModel, shopModel } from "./models.js";
import { nginxFile, nginxTest as nginxTestIn } from "./nginx-text.js";

const dir = mkdtempSync(join(tmpdir(), "r2k-nginx-t-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** nginx -t on a config, in this file's temp dir. */
const nginxTest = (conf: string, name: string) => nginxTestIn(conf, dir, name);

function sidecarConf(m: AppModel, a: Answers = {}): string {
  const f = emitContainer(m, { "container.nginx_sidecar": true, ...a }).files.find((x) => x.path === NGINX_SIDECAR_CONFIG);
  if (!f) throw new Error("no sidecar config");
  return f.content;
}

const noNginx = () => {
  const m = shopModel();
  m.nginx.files = [];
  return m;
};
const CASES: [string, () => AppModel][] = [
  ["shop (ERB template, TLS, redirect server, assets)", shopModel],
  ["legacy (full nginx.conf, ip_hash, proxy_params)", legacyModel],
  ["ledger (Puma, no nginx file: default config)", ledgerModel],
  ["no nginx config at all", noNginx],
  [
    "a config with include of a missing file and a websocket location",
    () => {
      const m = shopModel();
      m.nginx.files = [
        nginxFile(
          `upstream app_server { server 127.0.0.1:8080; keepalive 16; }
           server { listen 443 ssl; ssl_certificate /x.crt; include /etc/nginx/snippets/security.conf;
             location /cable { proxy_pass http://app_server; proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; }
             location / { proxy_pass http://127.0.0.1:8080/; } }`,
          "config/nginx/app.conf",
        ),
      ];
      return m;
    },
  ],
];

describe("nginx -t accepts every emitted sidecar config", () => {
  test("nginx -t does reject a broken config (so acceptance means something)", () => {
    expect(nginxTest("events {}\nhttp { server { listen 8080; proxy_pass; } }\n", "broken").ok).toBe(false);
  });
  for (const [name, model] of CASES)
    test(name, () => {
      const conf = sidecarConf(model());
      const r = nginxTest(conf, name.replace(/\W+/g, "-"));
      expect(r.ok, `${r.out}\n${conf}`).toBe(true);
    });
});

describe("the sidecar config is the app's, rewritten for the pod", () => {
  test("listen, server_name, root, logs, pid, temp paths", () => {
    for (const [, model] of CASES) {
      const conf = sidecarConf(model());
      expect(conf).toContain(`listen ${NGINX_PORT} default_server;`);
      expect(conf).toContain("server_name _;");
      expect(conf).toContain("root /rails/public;");
      // In the directory shared with the app container, which waits for it to go before it stops.
      expect(conf).toContain(`pid ${NGINX_PID_FILE};`);
      expect(conf).toContain("error_log stderr");
      expect(conf).toContain("access_log /dev/stdout;");
      expect(conf).toMatch(/client_body_temp_path \/tmp\//);
      expect(conf).not.toMatch(/\bssl\b|ssl_certificate|listen 443|listen 80\b/);
      expect(conf).not.toMatch(/\/var\/www|\/home\/deploy|shared\//);
      expect(conf).not.toMatch(/^\s*user /m);
    }
  });

  test("upstream to the shared socket for Unicorn, to 127.0.0.1 for Puma", () => {
    expect(sidecarConf(shopModel())).toMatch(new RegExp(`upstream unicorn \\{\\s+server unix:${UNICORN_SOCKET} fail_timeout=0;`));
    expect(sidecarConf(ledgerModel())).toContain(`server 127.0.0.1:${APP_PORT} fail_timeout=0;`);
    const ws = sidecarConf(CASES[4]![1]());
    expect(ws).toMatch(/upstream app_server \{\s+server unix:\S+ fail_timeout=0;\s+keepalive 16;/);
    expect(ws).toContain("proxy_pass http://app/;"); // a literal address goes to the pod's upstream
  });

  test("health and asset locations kept; redirect-to-https and scheme checks dropped; X-Forwarded-Proto from the edge", () => {
    const r = emitContainer(shopModel(), {});
    const conf = r.files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content;
    expect(conf).toMatch(/location = \/up \{\s+access_log off;\s+proxy_pass http:\/\/unicorn;/);
    expect(conf).toMatch(/location \^~ \/assets\/ \{\s+gzip_static on;\s+expires max;/);
    expect(conf).toContain("client_max_body_size 20M;");
    expect(conf).toContain('location ~ "^/legacy/[0-9]{4}/"'); // a regex with braces stays quoted
    expect(conf).not.toContain("return 301 https");
    expect(conf).not.toMatch(/if \(/);
    expect(conf).toContain("proxy_set_header X-Forwarded-Proto $forwarded_proto;");
    expect(conf).toMatch(/map \$http_x_forwarded_proto \$forwarded_proto/);
    const notes = r.notes.map((n) => n.message);
    expect(notes).toContain("the HTTP→HTTPS redirect server is dropped: the edge redirects");
    // shared/public/system is a linked data dir: served from the volume the pod mounts into nginx;
    // any other path of shared/ does not exist in the pod.
    expect(conf).toMatch(/alias \/rails\/public\/system\/;/);
    const noData = emitContainer({ ...shopModel(), linked: [] }, {});
    expect(noData.notes.some((n) => n.message.startsWith("alias /var/www/shop/shared/public/system/ dropped"))).toBe(true);
    expect(notes).toContain("TLS settings dropped from the nginx sidecar: the edge terminates TLS");
  });

  test("the production rendering is the one used; stickiness and foreign modules dropped with a note", () => {
    expect(emitContainer(shopModel(), {}).files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content).toContain("(as rendered for stage production)");
    const r = emitContainer(legacyModel(), { "container.nginx_sidecar": true });
    const conf = r.files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content;
    expect(conf).not.toContain("ip_hash");
    expect(conf).not.toContain("passenger");
    expect(conf).toContain("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"); // proxy_params expanded
    expect(conf).toContain("gzip on;");
    expect(conf).toMatch(/location = \/ping \{\s+return 200 pong;/);
    expect(r.notes.some((n) => n.message.startsWith("ip_hash in upstream legacy_app dropped"))).toBe(true);
  });

  test("no sidecar files when nginx is replaced by the edge", () => {
    const r = emitContainer(shopModel(), { "container.nginx_sidecar": false });
    expect(r.files.some((f) => f.path.startsWith("docker/nginx/"))).toBe(false);
    expect(r.files.find((f) => f.path === "config/unicorn/kubernetes.rb")!.content).toContain(`listen "0.0.0.0:${APP_PORT}"`);
  });
});
