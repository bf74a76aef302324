// What the analyzer reads from each fixture's nginx config (fixtures/README.md), with the line
// every fact came from — template lines for the shop's ERB template, rendered once per stage.
import { describe, it, expect, beforeAll } from "vitest";
import { readdirSync, statSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { NginxFacts, NginxFile, Problem, Stage } from "../../src/model.js";
import { analyzeNginx, isNginxCandidate } from "../../analyzers/nginx/index.js";
import { memoryRepo } from "../../src/repo.js";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { ROOT, shopStages } from "./cases.js";

function appFiles(app: string): Record<string, string> {
  const dir = join(ROOT, "fixtures/apps", app);
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(dir, p).split("\\").join("/")] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return files;
}

function analyze(files: Record<string, string>, stages: Stage[] = []): { facts: NginxFacts; problems: Problem[] } {
  const problems: Problem[] = [];
  const facts = analyzeNginx({ repo: memoryRepo(files), problem: (p) => problems.push(p) }, stages);
  return { facts, problems };
}

const line = (f: { source: { line: number } } | null | undefined) => f?.source.line;
const names = (f: NginxFile) => f.servers.flatMap((s) => s.serverNames.map((n) => n.value));

beforeAll(async () => {
  await initPrism();
});

describe("shop: ERB template rendered per stage", () => {
  let facts: NginxFacts, problems: Problem[];
  beforeAll(() => ({ facts, problems } = analyze(appFiles("shop"), shopStages())));
  const T = "config/deploy/templates/nginx.conf.erb";

  it("one file per stage, no problems", () => {
    expect(facts.files.map((f) => [f.file, f.stage])).toEqual([
      [T, "production"],
      [T, "staging"],
    ]);
    expect(problems).toEqual([]);
  });

  it("server_name from each stage's :server_name, on the template's line", () => {
    const [prod, staging] = facts.files;
    expect(names(prod)).toEqual(["shop.example.com", "www.shop.example.com"]);
    expect(names(staging)).toEqual(["staging.shop.example.com"]);
    expect(prod.servers[0].serverNames[0].source).toEqual({ file: T, line: 16 });
  });

  it("listen, limits, timeouts, root, try_files", () => {
    const s = facts.files[0].servers[0];
    expect(s.source).toEqual({ file: T, line: 14 });
    expect(s.listens.map((l) => l.value)).toEqual([{ port: 80, ssl: false, http2: false, default: false, address: "80" }]);
    expect(s.clientMaxBodySize).toEqual({ value: "20M", source: { file: T, line: 22 } });
    expect(Object.fromEntries(Object.entries(s.timeouts).map(([k, v]) => [k, [v.value, line(v)]]))).toEqual({ keepalive_timeout: ["10", 23], proxy_read_timeout: ["60", 24] });
    expect(s.root?.value).toBe("/var/www/shop/current/public");
    expect(s.tryFiles?.value).toEqual(["$uri/index.html", "$uri", "@unicorn"]);
    expect(s.redirectsToHttps).toBeNull();
    expect(s.certificates).toEqual([]);
  });

  it("locations: assets, health, websocket, the app's named location", () => {
    const locs = facts.files[0].servers[0].locations.map((l) => ({ m: l.modifier, p: l.path, pass: l.proxyPass, a: l.assets, h: l.health, ws: l.websocket, line: line(l) }));
    expect(locs).toEqual([
      { m: "^~", p: "/assets/", pass: null, a: true, h: false, ws: false, line: 28 },
      { m: "=", p: "/health", pass: "http://unicorn", a: false, h: true, ws: false, line: 34 },
      { m: null, p: "/cable", pass: "http://unicorn", a: false, h: false, ws: true, line: 41 },
      { m: null, p: "@unicorn", pass: "http://unicorn", a: false, h: false, ws: false, line: 49 },
      { m: "=", p: "/500.html", pass: null, a: false, h: false, ws: false, line: 58 },
    ]);
  });

  it("upstream on the stage's unicorn socket; headers; error_page is unportable", () => {
    const f = facts.files[0];
    expect(f.upstreams).toHaveLength(1);
    expect(f.upstreams[0].name).toBe("unicorn");
    expect(f.upstreams[0].servers.map((s) => s.value)).toEqual([{ address: "/var/www/shop/shared/tmp/sockets/unicorn.sock", kind: "unix", options: ["fail_timeout=0"] }]);
    expect(line(f.upstreams[0].servers[0])).toBe(6);
    expect(f.upstreams[0].sticky).toBeNull();
    const s = f.servers[0];
    expect(s.proxyHeaders["X-Forwarded-For"].value).toBe("$proxy_add_x_forwarded_for");
    expect(s.proxyHeaders["Host"].value).toBe("$http_host");
    expect(s.unportable.map((u) => [u.value, line(u)])).toEqual([["error_page 500 502 503 504 /500.html;", 57]]);
  });

  it("a stage without :server_name or :deploy_to: values kept as ERB and reported", () => {
    const bare: Stage = { name: "qa", source: { file: "config/deploy/qa.rb", line: 1 }, variables: {}, servers: [] };
    const { facts: f, problems: p } = analyze(appFiles("shop"), [bare]);
    const s = f.files[0].servers[0];
    // fetch of an unset variable is nil in Capistrano: an empty server_name, no host.
    expect(s.serverNames).toEqual([]);
    // current_path needs deploy_to: unknown, so no root fact, and a warning on line 17.
    expect(s.root).toBeNull();
    expect(f.files[0].directives.find((d) => d.name === "server")!.block!.find((d) => d.name === "root")!.args[0]).toMatch(/^<%= current_path %>\/public$/);
    expect(p.some((x) => x.file === "config/deploy/templates/nginx.conf.erb" && x.line === 17 && x.severity === "warning" && /current_path/.test(x.message))).toBe(true);
  });
});

describe("legacy: plain config/nginx.conf", () => {
  let f: NginxFile, problems: Problem[];
  beforeAll(() => {
    const r = analyze(appFiles("legacy"));
    problems = r.problems;
    expect(r.facts.files).toHaveLength(1);
    f = r.facts.files[0];
  });
  const F = "config/nginx.conf";

  it("server, inherited body size and keepalive from http {}", () => {
    expect(problems).toEqual([]);
    expect(f.stage).toBeNull();
    const s = f.servers[0];
    expect(names(f)).toEqual(["legacy.example.net", "www.legacy.example.net"]);
    expect(s.listens[0].value).toEqual({ port: 80, ssl: false, http2: false, default: true, address: "80" });
    expect(s.clientMaxBodySize).toEqual({ value: "100m", source: { file: F, line: 16 } });
    expect(s.timeouts.keepalive_timeout).toEqual({ value: "65", source: { file: F, line: 15 } });
    expect(s.timeouts.proxy_read_timeout).toEqual({ value: "120s", source: { file: F, line: 63 } });
  });

  it("ip_hash upstream with two TCP backends", () => {
    const u = f.upstreams[0];
    expect(u.name).toBe("legacy_app");
    expect(u.sticky).toEqual({ value: "ip_hash", source: { file: F, line: 23 } });
    expect(u.servers.map((s) => [s.value.address, s.value.kind, s.value.options])).toEqual([
      ["127.0.0.1:8080", "tcp", ["max_fails=3", "fail_timeout=30s"]],
      ["127.0.0.1:8081", "tcp", ["max_fails=3", "fail_timeout=30s"]],
    ]);
  });

  it("if, rewrite and auth_basic are unportable, with their lines; the health return is not", () => {
    expect(f.servers[0].unportable.map((u) => [u.value, line(u)])).toEqual([
      ["if ($request_method !~ ^(GET|HEAD|POST|PUT|PATCH|DELETE)$) { return 405; }", 33],
      ["rewrite ^/documents/show/(\\d+)$ /documents/$1 permanent;", 38],
      ['auth_basic "Legacy admin";', 47],
    ]);
    const status = f.servers[0].locations.find((l) => l.path === "/status")!;
    expect(status.health).toBe(true);
    const system = f.servers[0].locations.find((l) => l.path === "/system/")!;
    expect([system.modifier, system.proxyPass, system.directives.find((d) => d.name === "alias")?.args]).toEqual(["^~", null, ["/var/www/legacy/shared/system/"]]);
  });
});

describe("ledger: config/nginx/ledger.conf with TLS", () => {
  let f: NginxFile;
  beforeAll(() => {
    const r = analyze(appFiles("ledger"));
    expect(r.problems).toEqual([]);
    f = r.facts.files[0];
  });
  const F = "config/nginx/ledger.conf";

  it("port 80 server redirects to https", () => {
    const http = f.servers[0];
    expect(http.listens.map((l) => l.value.port)).toEqual([80, 80]);
    expect(http.redirectsToHttps).toEqual({ value: true, source: { file: F, line: 11 } });
  });

  it("443 ssl http2 with certificate, HSTS flagged, limits and timeouts", () => {
    const s = f.servers[1];
    expect(s.serverNames.map((n) => n.value)).toEqual(["ledger.example.org"]);
    expect(s.listens.map((l) => l.value)).toEqual([
      { port: 443, ssl: true, http2: true, default: false, address: "443" },
      { port: 443, ssl: true, http2: true, default: false, address: "[::]:443" },
    ]);
    expect(s.certificates).toEqual([{ value: "/etc/ssl/certs/ledger.example.org.crt", source: { file: F, line: 19 } }]);
    expect(s.clientMaxBodySize?.value).toBe("5m");
    expect(Object.fromEntries(Object.entries(s.timeouts).map(([k, v]) => [k, v.value]))).toEqual({ proxy_connect_timeout: "5s", proxy_send_timeout: "30s", proxy_read_timeout: "30s" });
    expect(s.unportable.map((u) => u.value)).toEqual(['add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;']);
    expect(s.redirectsToHttps).toBeNull();
  });

  it("puma upstream on a unix:/// socket; /up is the health location", () => {
    expect(f.upstreams[0].servers[0].value).toEqual({ address: "/var/www/ledger/shared/tmp/sockets/puma.sock", kind: "unix", options: [] });
    const up = f.servers[1].locations.find((l) => l.path === "/up")!;
    expect([up.modifier, up.health, up.proxyPass, line(up)]).toEqual(["=", true, "http://puma", 40]);
    expect(f.servers[1].locations.find((l) => l.modifier === "~")!.assets).toBe(true);
  });
});

describe("which files are nginx's", () => {
  it("config/ paths and a root nginx.conf, by name or by content; not the whole repo", () => {
    const server = "server {\n  listen 80;\n}\n";
    const files: Record<string, string> = {
      "nginx.conf": server,
      "config/nginx/proxy.conf": "proxy_set_header Host $host;\n",
      "config/deploy/templates/nginx_site.erb": server,
      "config/deploy/templates/site.conf.erb": server,
      "config/logrotate.conf": "/var/www/app/shared/log/*.log {\n  daily\n}\n",
      "config/unicorn.rb": "# server { }\nworker_processes 2\n",
      "config/sites/app": server,
      "docs/nginx.conf": server,
      "app/views/x.conf": server,
    };
    const read = (p: string) => () => files[p] ?? null;
    const found = Object.keys(files).filter((p) => isNginxCandidate(p, read(p)));
    expect(found.sort()).toEqual(["config/deploy/templates/nginx_site.erb", "config/deploy/templates/site.conf.erb", "config/nginx/proxy.conf", "config/sites/app", "nginx.conf"]);
  });

  it("an included file is read as part of its includer, not listed twice", () => {
    const { facts, problems } = analyze({
      "config/nginx/main.conf": "http {\n  client_max_body_size 8m;\n  include sites/*.conf;\n}\n",
      "config/nginx/sites/b.conf": "server { server_name b.example.com; }\n",
      "config/nginx/sites/a.conf": "server { server_name a.example.com; }\n",
      "config/nginx/sites/.hidden.conf": "server { server_name hidden.example.com; }\n",
    });
    expect(problems).toEqual([]);
    // The dotfile is not matched by the glob (glob(3) skips it, as nginx does): it is read alone.
    expect(facts.files.map((f) => f.file)).toEqual(["config/nginx/main.conf", "config/nginx/sites/.hidden.conf"]);
    const s = facts.files[0].servers;
    expect(s.map((x) => x.serverNames[0].value)).toEqual(["a.example.com", "b.example.com"]);
    expect(s[0].source).toEqual({ file: "config/nginx/sites/a.conf", line: 1 });
    expect(s[0].clientMaxBodySize).toEqual({ value: "8m", source: { file: "config/nginx/main.conf", line: 2 } });
  });

  it("sticky variants, https redirects by rewrite and if, glued location modifiers", () => {
    const { facts } = analyze({
      "config/nginx/app.conf": [
        "upstream a { hash $cookie_session_id consistent; server 10.0.0.1:3000; }",
        "upstream b { hash $request_uri consistent; server 10.0.0.2:3000; }",
        "server { listen 80; rewrite ^ https://$host$request_uri? permanent; }",
        "server { listen 443 ssl; ssl_certificate /c.pem; if ($http_x_forwarded_proto != 'https') { return 301 https://$host$request_uri; } location =/ping { return 200; } location ~*\\.(png|jpg)$ { expires 30d; } }",
        "",
      ].join("\n"),
    });
    const f = facts.files[0];
    expect(f.upstreams.map((u) => u.sticky?.value ?? null)).toEqual(["hash $cookie_session_id consistent", null]);
    expect(f.servers.map((s) => s.redirectsToHttps?.value ?? null)).toEqual([true, true]);
    expect(f.servers.map((s) => s.unportable)).toEqual([[], []]);
    expect(f.servers[1].locations.map((l) => [l.modifier, l.path, l.health, l.assets])).toEqual([
      ["=", "/ping", true, false],
      ["~*", "\\.(png|jpg)$", false, true],
    ]);
  });

  it("a redirect to another host or path is not the http→https redirect: it is flagged with its line", () => {
    const { facts } = analyze({
      "config/nginx/app.conf": [
        "server {",
        "  listen 443 ssl; server_name shop.example.com www.shop.example.com; ssl_certificate /c.pem;",
        "  if ($host = www.shop.example.com) { return 301 https://shop.example.com$request_uri; }",
        "  rewrite ^/old-catalog/(.*)$ https://shop.example.com/catalog/$1 permanent;",
        "  location / { proxy_pass http://app; }",
        "}",
        "server { listen 80; server_name shop.example.com; return 301 https://$server_name$request_uri; }",
        "",
      ].join("\n"),
    });
    const [ssl, plain] = facts.files[0].servers;
    expect(ssl.redirectsToHttps).toBeNull();
    expect(ssl.unportable.map((u) => u.source.line)).toEqual([3, 4]);
    expect(plain.redirectsToHttps?.value).toBe(true);
    expect(plain.unportable).toEqual([]);
  });

  it("a relative include missing from the repo is reported; an absolute one names the server's files", () => {
    const { problems } = analyze({ "config/nginx/app.conf": "include snippets/missing-headers.conf;\ninclude /etc/nginx/mime.types;\nserver { listen 80; }\n" });
    expect(problems.map((p) => [p.file, p.line, p.severity])).toEqual([["config/nginx/app.conf", 1, "warning"]]);
    expect(problems[0].message).toContain("snippets/missing-headers.conf");
  });
});
