// nginx on the servers proxied one location to a unix socket of another local daemon (a Node
// websocket service next to the app), while the app's Unicorn listened on its own socket. The
// sidecar rewrote that proxy_pass onto the app (`http://app/tmp/chat.sock`), sending the daemon's
// traffic to Rails. A unix socket the app server does not listen on is not the app: the location
// answers 502, named, and the app's own socket still maps to the app. `nginx -t` takes the result.
import { afterAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emitContainer } from "../../emitters/container/index.js";
import { NGINX_SIDECAR_CONFIG } from "../../emitters/contract.js";
import { shopModel } from "./models.js";
import { nginxFile, nginxTest } from "./nginx-text.js";

const dir = mkdtempSync(join(tmpdir(), "r2k-nginx-unix-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SITE = `server { listen 80; server_name shop.example.com; root /var/www/shop/current/public;
  location /live/ { proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; proxy_pass http://unix:/tmp/chat.sock; }
  location /orders/ { proxy_pass http://unix:/var/www/shop/shared/tmp/sockets/unicorn.sock:/orders/; }
  location / { proxy_pass http://unix:/var/www/shop/shared/tmp/sockets/unicorn.sock; } }`;

describe("proxy_pass to a unix socket that is not the app server's", () => {
  test("is not routed to the app: 502, named; the app's socket still is", () => {
    const m = shopModel();
    m.nginx.files = [nginxFile(SITE, "config/nginx/shop.conf")];
    const out = emitContainer(m, { "container.nginx_sidecar": true });
    const conf = out.files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content;
    expect(conf).not.toContain("chat.sock");
    expect(conf).toMatch(/location \/live\/ \{[^}]*return 502;/);
    expect(conf).toMatch(/location \/orders\/ \{[^}]*proxy_pass http:\/\/app\/orders\/;/);
    expect(out.notes.map((n) => n.message)).toContainEqual(expect.stringContaining("proxy_pass http://unix:/tmp/chat.sock: a unix socket the app server does not listen on"));
    expect(nginxTest(conf, dir, "unix-service").ok).toBe(true);
  });
});
