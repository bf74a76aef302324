// The nginx sidecar config of a hostile app, read end to end: the app's nginx template (ERB,
// rendered with the stage's variables by the analysis) plants quotes, braces, semicolons,
// backslashes, newlines and `$` in a host, a header, a location; credentials in headers; and ERB
// no stage can evaluate. The emitted config passes the real `nginx -t`, holds each planted value as
// one word (read back by our nginx-faithful parser), and holds no credential and no ERB; what was
// left out is named in the notes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeDir } from "../../src/analyze.js";
import { emitContainer } from "../../emitters/container/index.js";
import { NGINX_SIDECAR_CONFIG } from "../../emitters/contract.js";
import { nginxTest as nginxTestIn } from "./nginx-text.js";
import { BODY_SIZE_ANSWER } from "../../emitters/container/rules.js";
import { findGaps } from "../../src/gaps/index.js";
import type { AppModel } from "../../src/model.js";
import { parseConf, type ConfNode } from "../../analyzers/nginx/conf-parser.js";

const ROOT = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "r2k-nginx-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A host that, pasted, would close the server block and open another. */
const HOST = "evil.example.com; } server { listen 81; location / { return 200 pwned; } # $host";
const TEMPLATE = String.raw`
upstream unicorn {
  server unix:<%= shared_path %>/tmp/sockets/unicorn.sock fail_timeout=0;
}

server {
  listen 80;
  server_name <%= fetch(:server_name) %>;
  root <%= current_path %>/public;
  client_max_body_size <%= ` + "`echo 20M`" + String.raw` %>;

  add_header X-Served-By "<%= fetch(:served_by) %>";
  add_header X-Note "<%= fetch(:note) %>";
  add_header X-Request "$request_id\"quoted\"\\back";
  add_header X-Quoted "\"a\"; return 200 pwned; add_header X-Injected \"b\"";
  add_header X-Slash "trail\\";
  add_header X-Api-Key "sk_live_0123456789abcdef";
  proxy_set_header Authorization "Basic dXNlcjpzM2NyM3Q=";
  proxy_set_header X-Token $http_x_token;
  proxy_set_header Cookie "";

  location ~ "^/odd/\"[0-9]{2}\"\\d;$" {
    return 204;
  }

  location <%= File.read("/etc/app-location") %> {
    return 204;
  }

  location / {
    proxy_set_header Host $http_host;
    proxy_pass http://unicorn;
  }
}
`;

let conf = "";
let notes: string[] = [];
let model: AppModel;
beforeAll(async () => {
  const app = join(dir, "shop");
  cpSync(join(ROOT, "fixtures/apps/shop"), app, { recursive: true });
  writeFileSync(join(app, "config/deploy/templates/nginx.conf.erb"), TEMPLATE);
  const prod = readFileSync(join(app, "config/deploy/production.rb"), "utf8")
    .replace(/^set :server_name, .*$/m, (line) => `${line}\nset :served_by, ${JSON.stringify(HOST)}\nset :note, "line one\\nline two"`);
  writeFileSync(join(app, "config/deploy/production.rb"), prod);
  model = await analyzeDir(app);
  const r = emitContainer(model, { "container.nginx_sidecar": true });
  conf = r.files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content;
  notes = r.notes.map((n) => `${n.source?.file ?? ""}:${n.source?.line ?? ""} ${n.message}`);
});

const nginxTest = (text: string) => nginxTestIn(text, dir);

const all = (list: ConfNode[]): ConfNode[] => list.flatMap((n) => [n, ...all(n.block ?? [])]);

describe("the nginx sidecar of a hostile app", () => {
  it("passes nginx -t", () => {
    const r = nginxTest(conf);
    expect(r.ok, `${r.out}\n${conf}`).toBe(true);
  });

  it("holds each planted value as one word, exactly", () => {
    const parsed = parseConf(conf);
    expect(parsed.error).toBeNull();
    const nodes = all(parsed.directives);
    const header = (name: string) => nodes.find((n) => n.name === "add_header" && n.args[0] === name)?.args[1];
    expect(header("X-Served-By")).toBe(HOST);
    expect(header("X-Request")).toBe(String.raw`$request_id"quoted"\back`);
    expect(header("X-Quoted")).toBe('"a"; return 200 pwned; add_header X-Injected "b"');
    expect(header("X-Slash")).toBe("trail\\");
    expect(nodes.some((n) => (n.name === "return" && n.args.includes("pwned")) || n.args[0] === "X-Injected")).toBe(false);
    expect(nodes.some((n) => n.name === "location" && n.args[1] === String.raw`^/odd/"[0-9]{2}"\d;$`)).toBe(true);
    // One server, one listen: the planted host opened no block of its own.
    expect(nodes.filter((n) => n.name === "server" && n.block).length).toBe(1);
    expect(nodes.filter((n) => n.name === "listen").map((n) => n.args[0])).toEqual(["8080"]);
    // A variable passed on stays a variable.
    expect(nodes.some((n) => n.name === "proxy_set_header" && n.args[0] === "X-Token" && n.args[1] === "$http_x_token")).toBe(true);
    // A header cleared is no secret.
    expect(nodes.some((n) => n.name === "proxy_set_header" && n.args[0] === "Cookie" && n.args[1] === "")).toBe(true);
  });

  it("writes no credential, and says where to supply it from", () => {
    expect(conf).not.toMatch(/Basic |dXNlcjpzM2NyM3Q|sk_live_/);
    const secret = notes.filter((n) => /credential.*Secret/.test(n));
    expect(secret.some((n) => n.includes("proxy_set_header Authorization"))).toBe(true);
    expect(secret.some((n) => n.includes("add_header X-Api-Key"))).toBe(true);
    expect(secret.every((n) => !/Basic |sk_live_/.test(n))).toBe(true);
  });

  it("writes no value the analysis does not know, nor one with a newline, and names each", () => {
    expect(conf).not.toContain("<%");
    expect(conf).not.toMatch(/client_max_body_size/);
    expect(conf).not.toContain("line one");
    const erbPath = "config/deploy/templates/nginx.conf.erb";
    expect(notes.some((n) => n.startsWith(`${erbPath}:10 client_max_body_size left out`) && n.includes("no value known"))).toBe(true);
    expect(notes.some((n) => n.startsWith(`${erbPath}:`) && n.includes("location left out") && n.includes("no value known"))).toBe(true);
    expect(notes.some((n) => n.startsWith(`${erbPath}:13 add_header X-Note left out`) && n.includes("control character"))).toBe(true);
  });

  it("asks the upload limit the template's ERB left unknown, and writes only an nginx size as the answer", () => {
    const gap = findGaps(model).find((g) => g.id === BODY_SIZE_ANSWER);
    expect(gap).toMatchObject({ default: "1m", source: { file: "config/deploy/templates/nginx.conf.erb", line: 10 } });
    const answered = (v: string) => {
      const r = emitContainer(model, { "container.nginx_sidecar": true, [BODY_SIZE_ANSWER]: v });
      return { conf: r.files.find((f) => f.path === NGINX_SIDECAR_CONFIG)!.content, notes: r.notes.map((n) => n.message) };
    };
    const good = answered("25M");
    expect(good.conf).toContain("client_max_body_size 25M;");
    expect(nginxTest(good.conf).ok).toBe(true);
    const bad = answered("20M; return 200 pwned");
    expect(bad.conf).not.toMatch(/client_max_body_size/);
    expect(bad.notes.some((n) => n.includes(`the answer ${BODY_SIZE_ANSWER} is not an nginx size`))).toBe(true);
  });
});
