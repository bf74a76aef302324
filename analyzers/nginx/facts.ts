// From a flattened directive tree to what the edge needs: servers (names, listens, TLS, limits,
// timeouts, redirects, locations, headers), upstreams (backends, stickiness), and every directive
// an Ingress/HTTPRoute cannot say ("unportable"). Inheritance follows nginx: a server takes
// http-level values it does not set itself. All mapping rules of the nginx analyzer live here.
import type { Fact, NginxDirective, NginxLocation, NginxServer, NginxUpstream, Source } from "../../src/model.js";
import type { TreeNode } from "./tree.js";
import { unresolvedNginxWord } from "../../src/model.js";

export const src = (n: TreeNode): Source => ({ file: n.file, line: n.line });
const fact = <T>(value: T, n: TreeNode): Fact<T> => ({ value, source: src(n) });
const named = (nodes: TreeNode[] | undefined, name: string) => (nodes ?? []).filter((n) => n.name === name);
const first = (nodes: TreeNode[] | undefined, name: string) => named(nodes, name)[0];

/** Marks a value an ERB tag left unresolved (see index.ts): never taken as a host or a path. */
export const isUnresolved = unresolvedNginxWord;

export function toModel(nodes: TreeNode[]): NginxDirective[] {
  return nodes.map((n) => {
    const d: NginxDirective = { name: n.name, args: n.args, source: src(n) };
    if (n.block) d.block = toModel(n.block);
    if (n.raw !== undefined) d.raw = n.raw;
    return d;
  });
}

/** A directive as one would write it: `rewrite ^/a /b permanent;`, a block shortened. */
export function lineOf(n: TreeNode): string {
  const head = [n.name, ...n.args.map(quoteArg)].join(" ");
  if (!n.block) return `${head};`;
  if (n.raw !== undefined) return `${head} { ... }`;
  const body = n.block.map(lineOf).join(" ");
  const text = `${head} { ${body} }`;
  return text.length > 160 ? `${head} { ... }` : text;
}

export function quoteArg(a: string): string {
  // A backslash stays as written unless it starts one of nginx's escapes (\d in a regex is kept).
  if (a !== "" && !/[\s;{}"'#]/.test(a) && !/\\(["'\\tnr]|$)/.test(a)) return a;
  return `"${a.replace(/[\\"]/g, "\\$&").replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(/\r/g, "\\r")}"`;
}

// --- what the directives mean ---------------------------------------------------------------------

const REDIRECT_CODES = new Set(["301", "302", "303", "307", "308"]);

/**
 * The same URL on https: the only redirect an edge's "redirect http to https" reproduces. Another
 * host (`www.` → apex) or another path is a redirect of its own, flagged for the guide.
 */
const SAME_URL_ON_HTTPS = /^https:\/\/\$(?:host|server_name|http_host)(?:\$request_uri|\$uri(?:\$is_args\$args)?|\$1)?\??$/i;

/** `return 301 https://$host$request_uri`, `rewrite ^ https://$host$request_uri? permanent`, or such in an `if` on the scheme. */
export function isHttpsRedirect(n: TreeNode): boolean {
  if (n.name === "return") {
    if (n.args.length === 2 && REDIRECT_CODES.has(n.args[0])) return SAME_URL_ON_HTTPS.test(n.args[1]);
    return n.args.length === 1 && SAME_URL_ON_HTTPS.test(n.args[0]);
  }
  if (n.name === "rewrite")
    return n.args.length >= 2 && /^\^(?:\(\.\*\)\$?|\/\(\.\*\)\$?)?$/.test(n.args[0]) && SAME_URL_ON_HTTPS.test(n.args[1]) && (n.args.length === 2 || ["permanent", "redirect"].includes(n.args[2]));
  // `if ($scheme != "https") { return 301 https://...; }`, common behind a load balancer.
  if (n.name === "if") return /\$(?:scheme|https|http_x_forwarded_proto)\b/i.test(n.args.join(" ")) && !!n.block?.length && n.block.every(isHttpsRedirect);
  return false;
}

const HEALTH_PATH = /^\/(?:health|healthz|healthcheck|health_check|health-check|_health|up|ping|status|livez|readyz|alive|heartbeat|lbcheck)(?:\/|\.json)?$/i;

function isHealth(path: string, block: TreeNode[] | undefined): boolean {
  if (HEALTH_PATH.test(path)) return true;
  return named(block, "return").some((r) => r.args[0] === "200");
}

const hasHeader = (block: TreeNode[] | undefined, header: string) =>
  named(block, "proxy_set_header").find((h) => h.args[0]?.toLowerCase() === header);

function isWebsocket(block: TreeNode[] | undefined): boolean {
  const upgrade = hasHeader(block, "upgrade");
  const connection = hasHeader(block, "connection");
  return !!upgrade && !!connection && /upgrade/i.test(connection.args[1] ?? "");
}

function isAssets(block: TreeNode[] | undefined): boolean {
  if (first(block, "expires") && first(block, "expires")!.args[0] !== "off") return true;
  if (named(block, "gzip_static").some((g) => g.args[0] === "on" || g.args[0] === "always")) return true;
  return named(block, "add_header").some((h) => h.args[0]?.toLowerCase() === "cache-control");
}

/** Directives with no Ingress/HTTPRoute equivalent (PRACTICES.md: flag, do not guess). */
const UNPORTABLE = new Set([
  "rewrite",
  "if",
  "auth_basic",
  "auth_request",
  "error_page",
  "limit_req",
  "limit_conn",
  "limit_rate",
  "allow",
  "deny",
  "sub_filter",
  "set",
  "return",
  "add_header",
  "more_set_headers",
  "ssi",
  "valid_referers",
  "secure_link",
  "mirror",
  "proxy_cache",
  "perl",
  "js_content",
]);

function unportableReason(n: TreeNode, inHealth: boolean): boolean {
  if (/_by_lua(?:_block|_file)?$/.test(n.name)) return true;
  if (!UNPORTABLE.has(n.name)) return false;
  switch (n.name) {
    case "rewrite":
    case "if":
      return !isHttpsRedirect(n);
    case "return":
      return !isHttpsRedirect(n) && !(inHealth && n.args[0] === "200");
    case "auth_basic":
      return n.args[0] !== "off";
    case "add_header":
      return n.args[0]?.toLowerCase() !== "cache-control";
    default:
      return true;
  }
}

// --- servers ----------------------------------------------------------------------------------------

type Listen = NginxServer["listens"][number]["value"];

export function parseListen(args: string[]): Listen {
  const addr = args[0] ?? "";
  let port: number | null = null;
  const m = /^(?:\[[^\]]*\]:|[^:]*:)?(\d+)$/.exec(addr);
  if (addr.startsWith("unix:")) port = null;
  else if (m) port = Number(m[1]);
  else port = 80; // a host name or address alone: nginx listens on 80
  const flags = new Set(args.slice(1));
  return { port, ssl: flags.has("ssl"), http2: flags.has("http2"), default: flags.has("default_server") || flags.has("default"), address: addr };
}

/** Upstream names a config declares, to tell `proxy_pass http://app` from an outside URL. */
export interface Extracted {
  servers: NginxServer[];
  upstreams: NginxUpstream[];
}

export function extract(nodes: TreeNode[]): Extracted {
  const servers: NginxServer[] = [];
  const upstreams: NginxUpstream[] = [];
  const visit = (level: TreeNode[], inherited: TreeNode[]) => {
    for (const n of level) {
      if (!n.block) continue;
      if (n.name === "http") visit(n.block, n.block);
      else if (n.name === "server") servers.push(server(n, inherited));
      else if (n.name === "upstream") upstreams.push(upstream(n));
      // stream {} and mail {} servers are TCP/mail proxies, not web traffic.
    }
  };
  // A file of server blocks is included inside `http {}`: its top-level directives are http-level.
  visit(nodes, nodes.some((n) => n.name === "http") ? [] : nodes);
  return { servers, upstreams };
}

function server(n: TreeNode, http: TreeNode[]): NginxServer {
  const body = n.block ?? [];
  const own = (name: string) => first(body, name) ?? first(http, name);

  const serverNames: Fact<string>[] = [];
  for (const d of named(body, "server_name")) for (const a of d.args) if (!isUnresolved(a) && a !== "") serverNames.push(fact(a, d));

  const sslOn = own("ssl")?.args[0] === "on"; // the old `ssl on;` made every listen TLS
  const listens = named(body, "listen").map((d) => {
    const l = parseListen(d.args);
    return fact(sslOn ? { ...l, ssl: true } : l, d);
  });
  if (!listens.length) listens.push(fact({ port: 80, ssl: sslOn, http2: false, default: false, address: "*:80" }, n));

  const certs = named(body, "ssl_certificate").length ? named(body, "ssl_certificate") : named(http, "ssl_certificate");
  const certificates = certs.filter((d) => d.args[0]).map((d) => fact(d.args[0], d));

  const bodySize = own("client_max_body_size");
  const locations: NginxLocation[] = [];
  const collect = (level: TreeNode[]) => {
    for (const d of level) {
      if (d.name !== "location" || !d.block) continue;
      locations.push(location(d));
      collect(d.block);
    }
  };
  collect(body);

  const timeouts: Record<string, Fact<string>> = {};
  const takeTimeouts = (level: TreeNode[]) => {
    for (const d of level) if (/_timeout$/.test(d.name) && d.args[0] && !(d.name in timeouts)) timeouts[d.name] = fact(d.args[0], d);
  };
  takeTimeouts(body);
  takeTimeouts(http);
  // Proxy timeouts are often set where the app is proxied; websocket locations hold long ones that
  // are not the app's (the edge reads those from the location itself).
  for (const l of locationNodes(body)) if (first(l.block, "proxy_pass") && !isWebsocket(l.block)) takeTimeouts(l.block ?? []);

  const rootLoc = locationNodes(body).find((l) => l.args.length === 1 && l.args[0] === "/");
  const root = first(body, "root") ?? first(rootLoc?.block, "root") ?? first(http, "root");
  const tryFiles = first(body, "try_files") ?? first(rootLoc?.block, "try_files");

  let redirect: TreeNode | undefined = body.find(isHttpsRedirect);
  if (!redirect && rootLoc) redirect = rootLoc.block?.find(isHttpsRedirect);

  const proxyHeaders: Record<string, Fact<string>> = {};
  const takeHeaders = (level: TreeNode[] | undefined) => {
    for (const d of named(level, "proxy_set_header")) {
      const key = d.args[0];
      if (key && !Object.keys(proxyHeaders).some((k) => k.toLowerCase() === key.toLowerCase())) proxyHeaders[key] = fact(d.args[1] ?? "", d);
    }
  };
  takeHeaders(body);
  for (const l of locationNodes(body)) takeHeaders(l.block);
  takeHeaders(http);

  return {
    source: src(n),
    serverNames,
    listens,
    certificates,
    clientMaxBodySize: bodySize?.args[0] ? fact(bodySize.args[0], bodySize) : null,
    timeouts,
    redirectsToHttps: redirect ? fact(true, redirect) : null,
    root: root?.args[0] && !isUnresolved(root.args[0]) ? fact(root.args[0], root) : null,
    tryFiles: tryFiles ? fact(tryFiles.args, tryFiles) : null,
    locations,
    proxyHeaders,
    unportable: unportable(body, http),
  };
}

/** Every location block of a server, nested ones included. */
function locationNodes(level: TreeNode[]): TreeNode[] {
  const out: TreeNode[] = [];
  for (const d of level)
    if (d.name === "location" && d.block) {
      out.push(d);
      out.push(...locationNodes(d.block));
    }
  return out;
}

export function parseLocation(args: string[]): { modifier: string | null; path: string } {
  if (args.length >= 2) return { modifier: args[0], path: args[1] };
  const a = args[0] ?? "";
  // ngx_http_core_location accepts the modifier glued to the path: `=/up`, `~*\.js$`.
  if (a.length > 1 && a.startsWith("=")) return { modifier: "=", path: a.slice(1) };
  if (a.startsWith("~*") && a.length > 2) return { modifier: "~*", path: a.slice(2) };
  if (a.startsWith("~") && a.length > 1) return { modifier: "~", path: a.slice(1) };
  return { modifier: null, path: a };
}

function location(n: TreeNode): NginxLocation {
  const { modifier, path } = parseLocation(n.args);
  const block = n.block ?? [];
  return {
    source: src(n),
    modifier,
    path,
    proxyPass: first(block, "proxy_pass")?.args[0] ?? null,
    assets: isAssets(block),
    health: isHealth(path, block),
    websocket: isWebsocket(block),
    directives: toModel(block),
  };
}

function unportable(body: TreeNode[], http: TreeNode[]): Fact<string>[] {
  const out: Fact<string>[] = [];
  const walk = (level: TreeNode[], inHealth: boolean) => {
    for (const d of level) {
      if (unportableReason(d, inHealth)) {
        out.push(fact(lineOf(d), d));
        continue; // an `if` is reported whole
      }
      if (d.name === "location" && d.block) walk(d.block, isHealth(parseLocation(d.args).path, d.block));
    }
  };
  // http-level limits and auth apply to this server too.
  walk(
    http.filter((d) => !d.block),
    false,
  );
  walk(body, false);
  // A `map` at http level matters where its variable is used (the websocket idiom excepted: the
  // edge upgrades connections itself).
  const used = JSON.stringify(body.map((d) => lineOf(d)));
  for (const m of named(http, "map")) {
    const [from, to] = m.args;
    if (!to || from === "$http_upgrade") continue;
    if (used.includes(to)) out.push(fact(`map ${from} ${to} { ... }`, m));
  }
  return out;
}

// --- upstreams ----------------------------------------------------------------------------------------

function upstream(n: TreeNode): NginxUpstream {
  const body = n.block ?? [];
  const servers = named(body, "server")
    .filter((d) => d.args[0])
    .map((d) => {
      const a = d.args[0];
      const unix = a.startsWith("unix:");
      // `unix:///path` (Puma's style) names the same socket as `unix:/path`.
      const address = unix ? a.slice(5).replace(/^\/+/, "/") : a;
      return fact({ address, kind: unix ? ("unix" as const) : ("tcp" as const), options: d.args.slice(1) }, d);
    });
  let sticky: Fact<string> | null = null;
  for (const d of body) {
    if (d.name === "ip_hash" || d.name === "sticky") sticky = fact(lineOf(d).replace(/;$/, ""), d);
    else if (d.name === "hash" && /\$(cookie_|remote_addr|binary_remote_addr|http_x_forwarded_for|http_x_real_ip)/.test(d.args[0] ?? ""))
      sticky = fact(lineOf(d).replace(/;$/, ""), d);
    if (sticky) break;
  }
  return { name: n.args[0] ?? "", source: src(n), servers, sticky };
}
