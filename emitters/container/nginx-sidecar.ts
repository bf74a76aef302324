// The nginx sidecar: the app's own nginx config rewritten for the pod. What stays: the locations
// (assets, health, limits, headers, rewrites); what changes: the upstream (the shared socket or
// 127.0.0.1), listen (NGINX_PORT, plain HTTP: the edge ends TLS), server_name `_`, root (the image's
// public dir), logs (access log to /dev/stdout, errors to stderr), pid and temp files (/tmp: nginx runs as the app's non-root user).
import type { EmitResult, NginxDirective, NginxFile, Source } from "../../src/model.js";
import { APP_DIR, APP_PORT, APP_UID, NGINX_PORT, NGINX_SIDECAR_CONFIG, UNICORN_SOCKET, NGINX_PID_FILE } from "../contract.js";
import { looksCredentialHeader, looksSecretKey, looksSecretValue } from "../../src/model.js";
import { NGINX_NAME, nginxCommentValue, nginxRefusal, nginxWord } from "../encode/nginx.js";
import { fill } from "../text/fill.js";
import { BODY_SIZE_ANSWER, NGINX_SIZE } from "./rules.js";
import template_text from "./nginx.conf.tmpl?raw";

type Out = Pick<EmitResult, "provenance" | "notes">;

/** The upstream name used when the app's config proxies to a literal address. */
export const SIDECAR_UPSTREAM = "app";
export const PUBLIC_DIR = `${APP_DIR}/public`;
/** Temp paths nginx writes, all under /tmp (an emptyDir in the pod; the root filesystem is read-only). */
export const NGINX_TEMP = {
  client_body_temp_path: "/tmp/client_body",
  proxy_temp_path: "/tmp/proxy",
  fastcgi_temp_path: "/tmp/fastcgi",
  uwsgi_temp_path: "/tmp/uwsgi",
  scgi_temp_path: "/tmp/scgi",
} as const;
export const NGINX_PID = NGINX_PID_FILE;

/** Debian's /etc/nginx/proxy_params, which the official nginx image does not have. */
const DEBIAN_PROXY_PARAMS: [string, string][] = [
  ["Host", "$http_host"],
  ["X-Real-IP", "$remote_addr"],
  ["X-Forwarded-For", "$proxy_add_x_forwarded_for"],
  ["X-Forwarded-Proto", "$scheme"],
];

/** Directives nginx modules of the official image do not have, or that belong to the servers' setup. */
const FOREIGN = /^(passenger_|rails_env$|rack_env$|lua_|.*_by_lua|more_|pagespeed|brotli|geoip2|vhost_traffic|ngx_)/;
/** Passenger's settings the app container carries (analyzers/appserver/passenger.ts reads them; emitters/app-server.ts maps them). */
const PASSENGER_CARRIED = /^(passenger_(max_pool_size|min_instances|max_requests|pool_idle_time|start_timeout|max_request_queue_size|friendly_error_pages|app_env)|rails_env|rack_env)$/;

/** Why a foreign directive is not in the sidecar: Passenger's are carried by the app container or named. */
function foreignNote(n: string): string {
  if (PASSENGER_CARRIED.test(n)) return `${n} is Passenger's setting, not nginx's: carried by the app container (Passengerfile.json and PASSENGER_* in config.env, or the worker count of the server that replaces Passenger), not by the sidecar`;
  if (n === "passenger_enabled") return "passenger_enabled dropped: nginx no longer runs the app; the sidecar proxies to the app container";
  if (n.startsWith("passenger_")) return `${n} dropped: a setting of the servers' Passenger module that the app container does not carry (review it)`;
  return `${n} dropped: the official nginx image has no module for it`;
}
const SSL = /^(ssl|ssl_.+|http2|http3|quic|quic_.+|spdy_.+)$/;
/** Variables that tell http from https: in the pod every request arrives over plain HTTP. */
const SCHEME_VARS = /\$(scheme|https|server_port|http_x_forwarded_proto)\b/;

interface Ctx {
  out: Out;
  file: string;
  upstreams: Set<string>;
  /** The app server address every upstream now points at. */
  appAddress: string;
  needForwardedProto: boolean;
  needDefaultUpstream: boolean;
  /** A passenger_enabled became `try_files $uri @app`: the server needs the @app location. */
  passengerApp?: boolean;
  dropped: Map<string, Source>;
  /** Linked data dirs (app-relative), mounted into the nginx container too. */
  dataDirs: string[];
  /** The answer for a client_max_body_size the template's ERB left unknown; null when not answered. */
  bodySize: string | null;
  /** The unix sockets the app server listens on (none: TCP only); undefined when its config is not known. */
  appSockets?: string[];
}

function note(ctx: Ctx, message: string, source?: Source) {
  ctx.out.notes.push(source ? { message, source } : { message });
}

function d(name: string, args: string[] = [], block?: NginxDirective[]): NginxDirective {
  const base = { name, args, source: { file: NGINX_SIDECAR_CONFIG, line: 0 } };
  return block ? { ...base, block } : base;
}

/** Flattens `include`s the analyzer resolved (their directives sit in the block). */
function flatten(list: NginxDirective[], ctx: Ctx, level: "http" | "server"): NginxDirective[] {
  const res: NginxDirective[] = [];
  for (const x of list) {
    if (x.name !== "include") {
      res.push(x);
      continue;
    }
    if (x.block) {
      res.push(...flatten(x.block, ctx, level));
      continue;
    }
    const target = x.args[0] ?? "";
    if (/(^|\/)mime\.types$/.test(target)) continue; // the sidecar's http block includes it
    if (/(^|\/)proxy_params$/.test(target)) {
      for (const [h, v] of DEBIAN_PROXY_PARAMS) res.push({ name: "proxy_set_header", args: [h, v], source: x.source });
      continue;
    }
    note(ctx, `include ${target} dropped: the file is not in the repo, so it is not in the sidecar image; copy what it holds into ${NGINX_SIDECAR_CONFIG}`, x.source);
  }
  return res;
}

/**
 * The release's public dir maps to the image's. Capistrano's shared/ maps to the app dir only for a
 * linked data dir, which the pod mounts into the nginx container at the same path; the rest of
 * shared/ does not exist in the pod.
 */
function mapPublicPath(path: string, dataDirs: string[]): string | null {
  const shared = /\/shared\/(.*)$/.exec(path);
  if (shared) {
    // Capistrano 2 kept public/system as shared/system.
    const rel = shared[1]!.replace(/^system(\/|$)/, "public/system$1");
    const dir = dataDirs.find((d) => rel === d || rel.startsWith(`${d}/`) || `${rel}/` === `${d}/`.replace(/\/+$/, "/"));
    return dir ? `${APP_DIR}/${rel}` : null;
  }
  const m = /^(.*?\/public)(\/.*)?$/.exec(path);
  return m ? PUBLIC_DIR + (m[2] ?? "") : null;
}

function rewriteProxyPass(url: string, ctx: Ctx): string | null {
  // A unix socket the app server does not listen on is another local service (a Node or websocket
  // daemon): not the app, so never sent to it.
  const socket = /^https?:\/\/unix:([^:]+)/.exec(url)?.[1];
  if (socket && ctx.appSockets && !ctx.appSockets.some((a) => a === socket || a.endsWith(`/${socket.replace(/^.*\//, "")}`) || socket.endsWith(`/${a.replace(/^.*\//, "")}`))) return null;
  const m = /^(https?):\/\/([^/]+)(\/.*)?$/.exec(url);
  if (m && ctx.upstreams.has(m[2]!)) return `http://${m[2]}${m[3] ?? ""}`;
  if (/^https?:\/\/\$/.test(url)) return url; // a variable target: left as written
  ctx.needDefaultUpstream = true;
  // `http://unix:/path.sock:/uri` keeps its URI after the socket path; a host keeps its path.
  const unix = /^https?:\/\/unix:[^:]+:(\/.*)?$/.exec(url);
  return `http://${SIDECAR_UPSTREAM}${unix ? unix[1] ?? "" : m?.[3] ?? ""}`;
}

/** Rewrites the directives of a server or location block for the pod. */
function rewriteBlock(list: NginxDirective[], ctx: Ctx, level: "server" | "location"): NginxDirective[] {
  const res: NginxDirective[] = [];
  for (const x of flatten(list, ctx, "server")) {
    const n = x.name;
    if (level === "server" && (n === "listen" || n === "server_name")) continue;
    if (SSL.test(n)) {
      ctx.dropped.set("ssl", ctx.dropped.get("ssl") ?? x.source);
      continue;
    }
    // Where nginx ran the app through Passenger, the sidecar does what Passenger did: a file of
    // public/ if there is one, else the app (in its own container now).
    if (n === "passenger_enabled" && /^on$/i.test(x.args[0] ?? "") && !list.some((y) => y.name === "try_files")) {
      res.push({ name: "try_files", args: ["$uri", `@${SIDECAR_UPSTREAM}`], source: x.source });
      ctx.passengerApp = true;
      ctx.out.provenance.push({ output: NGINX_SIDECAR_CONFIG, source: x.source, what: `passenger_enabled on → try_files $uri @${SIDECAR_UPSTREAM} (public/ files first, then the app container, as Passenger served them)` });
      continue;
    }
    if (FOREIGN.test(n)) {
      note(ctx, foreignNote(n), x.source);
      continue;
    }
    if (n === "root" || n === "alias") {
      const mapped = mapPublicPath(x.args[0] ?? "", ctx.dataDirs);
      if (level === "server" && n === "root") continue; // the server's root is set once, below
      if (mapped) res.push({ ...x, args: [mapped + (n === "alias" && (x.args[0] ?? "").endsWith("/") && !mapped.endsWith("/") ? "/" : "")] });
      else note(ctx, `${n} ${x.args[0]} dropped: that directory of the server is not in the image (data dirs move to a volume or object storage)`, x.source);
      continue;
    }
    if (n === "access_log") {
      res.push({ ...x, args: x.args[0] === "off" ? ["off"] : ["/dev/stdout", ...x.args.slice(1).filter((a) => !a.includes("="))] });
      continue;
    }
    if (n === "error_log") {
      res.push({ ...x, args: ["stderr", ...x.args.slice(1)] });
      continue;
    }
    if (n === "proxy_pass" && x.args[0]) {
      const to = rewriteProxyPass(x.args[0], ctx);
      if (to === null) {
        // the location answers 502 until that service is carried: neither the app nor silently gone
        res.push({ name: "return", args: ["502"], source: x.source });
        note(ctx, `proxy_pass ${x.args[0]}: a unix socket the app server does not listen on (${ctx.appSockets!.join(", ") || "it listens on TCP"}), so another local service of the servers, which no pod runs; not routed to the app: this location answers 502 until that service is carried and this line points at it`, x.source);
        continue;
      }
      res.push({ ...x, args: [to] });
      continue;
    }
    if (n === "proxy_set_header" && /^x-forwarded-proto$/i.test(x.args[0] ?? "") && x.args[1] === "$scheme") {
      // Behind the edge $scheme is always http: pass on what the edge says (Rails' force_ssl needs it).
      ctx.needForwardedProto = true;
      res.push({ ...x, args: [x.args[0]!, "$forwarded_proto"] });
      continue;
    }
    if (n === "if" && SCHEME_VARS.test(x.args.join(" "))) {
      note(ctx, `if (${x.args.join(" ")}) dropped: TLS ends at the edge, which also redirects to HTTPS; in the pod it would redirect every request`, x.source);
      continue;
    }
    if (level === "server" && n === "return" && /^https:/.test(x.args[1] ?? "")) {
      note(ctx, `return ${x.args.join(" ")} dropped: the edge redirects to HTTPS`, x.source);
      continue;
    }
    if (n === "auth_basic_user_file")
      note(ctx, `auth_basic_user_file ${x.args[0]}: mount that file into the sidecar (from a Secret) at the same path`, x.source);
    if (x.block) res.push({ ...x, block: rewriteBlock(x.block, ctx, "location") });
    else res.push(x);
  }
  return res;
}

/** True when a server block carries traffic to the app (not just a redirect). */
function proxies(list: NginxDirective[]): boolean {
  // A server where nginx ran the app itself through Passenger carries the app's traffic as well.
  return list.some((x) => x.name === "proxy_pass" || (x.name === "passenger_enabled" && /^on$/i.test(x.args[0] ?? "")) || x.name === "try_files" || (x.block ? proxies(x.block) : false) || (x.name === "include" && !!x.block && proxies(x.block)));
}

function isSslServer(list: NginxDirective[]): boolean {
  return list.some((x) => (x.name === "listen" && x.args.some((a) => a === "ssl" || a === "443")) || x.name === "ssl_certificate");
}

/** A default config for apps without one: assets from public/, everything else to the app. */
function defaultServer(assets = "/assets"): NginxDirective[] {
  return [
    d("location", ["^~", `${assets}/`], [d("gzip_static", ["on"]), d("expires", ["max"]), d("add_header", ["Cache-Control", "public"])]),
    d("try_files", ["$uri", "@app"]),
    d("location", ["@app"], [
      d("proxy_set_header", ["Host", "$http_host"]),
      d("proxy_set_header", ["X-Forwarded-For", "$proxy_add_x_forwarded_for"]),
      d("proxy_set_header", ["X-Forwarded-Proto", "$forwarded_proto"]),
      d("proxy_redirect", ["off"]),
      d("proxy_pass", [`http://${SIDECAR_UPSTREAM}`]),
    ]),
  ];
}

/** Blocks whose entries are key/value pairs, not directives (nginx hands them to a handler). */
const HANDLER_BLOCKS = new Set(["types", "map", "geo", "split_clients", "charset_map"]);
/** Directives that set a header or a backend parameter: name first, then its value. */
const HEADER_SETTERS = new Set(["proxy_set_header", "add_header", "add_trailer", "grpc_set_header", "fastcgi_param", "uwsgi_param", "scgi_param"]);
const SECRET_VALUE = /^(basic|bearer|token|digest|negotiate)\s+\S/i;

/**
 * A header set to a literal credential (`proxy_set_header Authorization "Basic …"`): copying it
 * would put the secret in docker/nginx/nginx.conf, a tracked file. A header passed on from a
 * variable (`$http_authorization`) or cleared (`""`) holds no secret and stays.
 */
function secretHeader(x: NginxDirective): boolean {
  if (!HEADER_SETTERS.has(x.name) || x.args.length < 2) return false;
  const [name, value] = [x.args[0]!, x.args[1]!];
  // An empty value clears the header (`proxy_set_header Authorization "";`): nothing to hide.
  if (value.includes("$") || value.trim() === "") return false;
  return looksCredentialHeader(name) || looksSecretKey(name) || SECRET_VALUE.test(value.trim()) || looksSecretValue(value);
}

/** An ERB tag of a template that no stage's variables resolve: the analysis put its text back. */
const unresolvedIn = (x: NginxDirective, template: boolean): string | undefined =>
  [x.name, ...x.args].find((a) => (template && a.includes("<%")) || a.includes("{{") || a.includes("{%"));

/**
 * The last pass before the text is written: every directive whose words cannot be written as nginx
 * words, whose value the analysis does not know, or that would carry a secret, is left out with a
 * note naming where it came from. What remains is written only through nginxWord.
 */
function vet(list: NginxDirective[], ctx: Ctx, template: boolean, handler = false): NginxDirective[] {
  const res: NginxDirective[] = [];
  for (const x of list) {
    const unknown = unresolvedIn(x, template);
    if (unknown !== undefined && x.name === "client_max_body_size" && ctx.bodySize !== null) {
      // Asked as a gap (BODY_SIZE_ANSWER); an answer that is not an nginx size is not written.
      if (NGINX_SIZE.test(ctx.bodySize)) {
        res.push({ ...x, args: [ctx.bodySize] });
        ctx.out.provenance.push({ output: NGINX_SIDECAR_CONFIG, what: `client_max_body_size ${ctx.bodySize} (answer ${BODY_SIZE_ANSWER}; the template's value is not known here)`, source: x.source });
      } else note(ctx, `client_max_body_size left out of ${NGINX_SIDECAR_CONFIG}: the answer ${BODY_SIZE_ANSWER} is not an nginx size (such as 20M)`, x.source);
      continue;
    }
    if (unknown !== undefined) {
      note(ctx, `${x.name} left out of ${NGINX_SIDECAR_CONFIG}: ${unknown} has no value known here (the template's ERB could not be evaluated); write the value the servers had into it by hand${x.name === "client_max_body_size" ? ` (or answer ${BODY_SIZE_ANSWER})` : ""}`, x.source);
      continue;
    }
    const bad = [x.name, ...x.args].map(nginxRefusal).find((w) => w !== null);
    if (bad) {
      // Named by the words that can be shown; the value itself may be what is wrong.
      const label = NGINX_NAME.test(x.name) ? [x.name, ...x.args.slice(0, 1).filter((a) => nginxRefusal(a) === null)].join(" ") : handler ? "a map entry" : "a directive";
      note(ctx, `${label} left out of ${NGINX_SIDECAR_CONFIG}: ${bad}`, x.source);
      continue;
    }
    if (!handler && !NGINX_NAME.test(x.name)) {
      note(ctx, `a directive left out of ${NGINX_SIDECAR_CONFIG}: its name is not an nginx directive name`, x.source);
      continue;
    }
    if (secretHeader(x)) {
      note(ctx, `${x.name} ${x.args[0]} left out of ${NGINX_SIDECAR_CONFIG}: its value is a credential, which must not be in a tracked file; supply it from a Kubernetes Secret (a file mounted into the sidecar and included from this config)`, x.source);
      continue;
    }
    if (x.block) res.push({ ...x, block: vet(x.block, ctx, template, HANDLER_BLOCKS.has(x.name)) });
    else res.push(x);
  }
  return res;
}

function render(list: NginxDirective[], indent: string): string[] {
  const lines: string[] = [];
  for (const x of list) {
    const head = [nginxWord(x.name), ...x.args.map(nginxWord)].join(" ");
    if (x.block) {
      lines.push(`${indent}${head} {`);
      lines.push(...render(x.block, indent + "  "));
      lines.push(`${indent}}`);
    } else lines.push(`${indent}${head};`);
  }
  return lines;
}

const HTTP_REPLACED = new Set(["access_log", "error_log", "default_type", ...Object.keys(NGINX_TEMP)]);

export interface SidecarInput {
  file: NginxFile | null;
  kind: "unicorn" | "puma" | "passenger";
  /** The app's health path, kept reachable (it is proxied to the app unless nginx answers it). */
  healthPath: string | null;
  /** Linked data dirs (uploads), app-relative: nginx may serve them from the pod's volume. */
  dataDirs?: string[];
  /** The answer for BODY_SIZE_ANSWER, when given. */
  bodySize?: string | null;
  /** Where the assets are served when not /assets (rules.ts assetsPrefix). */
  assetsPrefix?: { path: string; source: Source; via: string } | null;
  /** The unix sockets the app server's config listens on ([]: TCP only); absent when no config is read. */
  appSockets?: string[];
}

export function emitNginxSidecarConfig(input: SidecarInput, out: Out): string {
  const appAddress = input.kind === "unicorn" ? `unix:${UNICORN_SOCKET}` : `127.0.0.1:${APP_PORT}`;
  const ctx: Ctx = { out, file: input.file?.file ?? "", upstreams: new Set(), appAddress, needForwardedProto: false, needDefaultUpstream: false, dropped: new Map(), dataDirs: (input.dataDirs ?? []).map((d) => d.replace(/\/+$/, "")), bodySize: input.bodySize ?? null, ...(input.appSockets ? { appSockets: input.appSockets } : {}) };
  const prov = (what: string, source: Source) => out.provenance.push({ output: NGINX_SIDECAR_CONFIG, what, source });

  let httpLevel: NginxDirective[] = [];
  if (input.file) {
    const top = flatten(input.file.directives, ctx, "http");
    const http = top.find((x) => x.name === "http" && x.block);
    httpLevel = http ? flatten(http.block!, ctx, "http") : top.filter((x) => !["user", "worker_processes", "pid", "events", "error_log", "daemon", "load_module", "worker_rlimit_nofile", "env", "stream", "mail"].includes(x.name));
  }
  for (const u of httpLevel.filter((x) => x.name === "upstream" && x.args[0])) ctx.upstreams.add(u.args[0]!);

  // The server that carries the app's traffic: the TLS one when there is one, else the first proxying.
  const servers = httpLevel.filter((x) => x.name === "server" && x.block);
  const proxying = servers.filter((s) => proxies(s.block!));
  const main = proxying.find((s) => isSslServer(s.block!)) ?? proxying[0] ?? null;
  for (const s of servers)
    if (s !== main)
      note(ctx, proxying.includes(s) ? "another nginx server block is not carried over: the sidecar has one server; give its host its own route at the edge" : "the HTTP→HTTPS redirect server is dropped: the edge redirects", s.source);

  const http: NginxDirective[] = [
    d("include", ["/etc/nginx/mime.types"]),
    d("default_type", ["application/octet-stream"]),
    d("access_log", ["/dev/stdout"]),
    ...Object.entries(NGINX_TEMP).map(([k, v]) => d(k, [v])),
  ];
  const carried: NginxDirective[] = [];
  for (const x of httpLevel) {
    if (x.name === "server" || HTTP_REPLACED.has(x.name)) continue;
    if (SSL.test(x.name)) {
      ctx.dropped.set("ssl", ctx.dropped.get("ssl") ?? x.source);
      continue;
    }
    if (FOREIGN.test(x.name)) {
      note(ctx, foreignNote(x.name), x.source);
      continue;
    }
    if (x.name === "upstream") {
      const opts = (x.block ?? []).filter((y) => ["keepalive", "keepalive_timeout", "keepalive_requests"].includes(y.name));
      const sticky = (x.block ?? []).filter((y) => ["ip_hash", "hash", "sticky", "least_conn"].includes(y.name));
      for (const s of sticky) note(ctx, `${s.name} in upstream ${x.args[0]} dropped: the sidecar has one backend, its own pod (stickiness belongs to the edge)`, s.source);
      carried.push({ ...x, block: [d("server", [appAddress, "fail_timeout=0"]), ...opts] });
      prov(`upstream ${x.args[0]} → ${appAddress}`, x.source);
      continue;
    }
    carried.push(x);
  }

  let serverBody: NginxDirective[];
  if (main) {
    serverBody = rewriteBlock(main.block!, ctx, "server");
    if (ctx.passengerApp && !serverBody.some((x) => x.name === "location" && x.args[0] === `@${SIDECAR_UPSTREAM}`)) {
      serverBody.push(defaultServer()[2]!);
      ctx.needDefaultUpstream = true;
      ctx.needForwardedProto = true;
    }
    prov(`server block (locations, limits, headers) → the sidecar's server on port ${NGINX_PORT}`, main.source);
    const root = main.block!.find((x) => x.name === "root");
    if (root) prov(`root ${root.args[0]} → ${PUBLIC_DIR}`, root.source);
    for (const l of main.block!.filter((x) => x.name === "listen")) prov(`listen ${l.args.join(" ")} → ${NGINX_PORT}`, l.source);
  } else {
    if (input.file) note(ctx, `no server block of ${input.file.file} proxies to the app: the sidecar uses a default config (assets from public/, the rest to the app)`);
    const prefix = input.assetsPrefix ?? null;
    serverBody = defaultServer(prefix?.path);
    if (prefix) prov(`assets under ${prefix.path}/ (${prefix.via}) → location ^~ ${prefix.path}/`, prefix.source);
    ctx.needDefaultUpstream = true;
    ctx.needForwardedProto = true;
  }
  const ssl = ctx.dropped.get("ssl");
  if (ssl) note(ctx, "TLS settings dropped from the nginx sidecar: the edge terminates TLS", ssl);

  if (ctx.needDefaultUpstream && !ctx.upstreams.has(SIDECAR_UPSTREAM))
    carried.unshift(d("upstream", [SIDECAR_UPSTREAM], [d("server", [appAddress, "fail_timeout=0"])]));
  if (ctx.needForwardedProto)
    http.push(d("map", ["$http_x_forwarded_proto", "$forwarded_proto"], [d("default", ["$http_x_forwarded_proto"]), d("", ["$scheme"])]));

  const server = d("server", [], [
    d("listen", [String(NGINX_PORT), "default_server"]),
    d("server_name", ["_"]),
    d("root", [PUBLIC_DIR]),
    ...serverBody,
  ]);
  // Templates (.erb) carry the ERB text of what no stage's variables resolve: never written.
  const template = !!input.file && (/\.erb$/.test(input.file.file) || !!input.file.template);
  const from = input.file ? `${nginxCommentValue(input.file.file)}${input.file.stage ? ` (as rendered for stage ${nginxCommentValue(input.file.stage)})` : ""}` : "a default (the app had no nginx config)";
  const text = fill(
    template_text,
    {
      from,
      uid: String(APP_UID),
      pid: nginxWord(NGINX_PID),
      http: render(vet(http, ctx, template), "  ").join("\n"),
      carried: (() => {
        const lines = render(vet(carried, ctx, template), "  ");
        return lines.length ? "\n" + lines.join("\n") + "\n" : "";
      })(),
      server: render(vet([server], ctx, template), "  ").join("\n"),
    },
    "nginx.conf.tmpl",
  );
  if (input.healthPath) prov(`health path ${input.healthPath} stays reachable through the sidecar`, input.file?.servers[0]?.source ?? { file: NGINX_SIDECAR_CONFIG, line: 0 });
  return text;
}

/** docker/nginx/Dockerfile: the official nginx image with the config and the app's public/ (assets). `appName` is a DNS label (kustomize/names.ts appName), never the repo's raw text. */
export function emitNginxDockerfile(appName: string): string {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(appName)) throw new Error(`emitNginxDockerfile: ${JSON.stringify(appName)} is not a DNS label`);
  return `# syntax=docker/dockerfile:1
# The nginx sidecar of ${appName}, written by rails2k8s. Build it after the app image:
#   docker build -f docker/nginx/Dockerfile --build-arg APP_IMAGE=${appName}:TAG -t ${appName}-nginx:TAG .
# No default: the sidecar takes the assets of exactly the app image of its release, never :latest.
ARG APP_IMAGE
ARG NGINX_VERSION=1.28

FROM \${APP_IMAGE} AS app

FROM nginx:\${NGINX_VERSION}-alpine
# The precompiled assets come from the app image, so both always match.
COPY --from=app ${PUBLIC_DIR} ${PUBLIC_DIR}
COPY ${NGINX_SIDECAR_CONFIG} /etc/nginx/nginx.conf
USER ${APP_UID}:${APP_UID}
EXPOSE ${NGINX_PORT}
STOPSIGNAL SIGQUIT
# nginx itself, without the image's entrypoint scripts (they rewrite files under /etc/nginx).
ENTRYPOINT []
CMD ["nginx", "-g", "daemon off;"]
`;
}
