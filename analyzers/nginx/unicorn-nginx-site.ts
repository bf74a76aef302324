// The nginx site capistrano-unicorn-nginx installs (`cap <stage> setup` → nginx:setup, on the web
// servers: its nginx_conf.erb rendered to /etc/nginx/sites-available/<nginx_config_name>, linked
// into sites-enabled, reloaded after each deploy) when the repo keeps no copy of that template
// under :templates_path (a copy is a template of the repo, read like any other). The gem's
// template (1.0 to 5.2 read; the server block moved to _default_server_directive.erb in 3.3)
// writes: an upstream `unicorn_<nginx_config_name>` on /tmp/unicorn.<nginx_config_name>.sock, or
// on each app server's <host>:<unicorn_tcp_listen_port> when Unicorn listens on TCP, with
// fail_timeout=<nginx_fail_timeout> (0); with :nginx_use_ssl a port-80 server that only redirects
// to https and the site on 443 with /etc/ssl/certs/<nginx_ssl_cert> (default
// <nginx_server_name>.crt) and /etc/ssl/private/<nginx_ssl_cert_key>; `client_max_body_size 4G`;
// `keepalive_timeout 10`; `server_name <nginx_server_name>`; root current/public; a named proxied
// location (proxy_read_timeout from :nginx_read_timeout when set, from 4.0); `/assets/` served
// from disk with gzip_static and far-future expiry; a maintenance page; methods other than
// GET/HEAD/PUT/PATCH/POST/DELETE/OPTIONS refused with 405. Its nginx:defaults makes
// :nginx_server_name the web server's address when the stage sets none: an SSH address, never
// taken as the public host here. This is that rendering per stage, in our own words, parsed by the
// same reader as the repo's files; the gem's fixed values are labelled as its own.
import type { AnalyzerContext, Fact, NginxFile, Problem, RValue, Source, Stage } from "../../src/model.js";
import { stagesWord, withGemSite } from "./gem-site.js";
import { isKnown, rubyToS, truthy } from "../ruby/evaluate.js";
import { deployToOf } from "../appserver/files.js";
import { UNICORN_NGINX, unicornNginxListen, unicornNginxOverride, unicornNginxStack } from "../appserver/unicorn-nginx.js";
import { extract, toModel } from "./facts.js";
import { loadTree } from "./tree.js";

/** Where the facts of the gem's own template are cited (no file of the repo holds it). */
export const UNICORN_NGINX_FILE = `(${UNICORN_NGINX} nginx_conf.erb)`;
const PLAIN_PATH = /^\/[\w./-]+$/;
const PLAIN_WORD = /^[\w.-]+$/;
const PLAIN_HOSTS = /^[\w.*-]+(?:[ \t]+[\w.*-]+)*$/;
const NGINX_TIME = /^\d+(?:ms|s|m|h|d)?$/;

const word = (v: RValue | undefined): string | null => (v === undefined || v === null || !isKnown(v) ? null : rubyToS(v));

interface SiteWarning {
  variable: string;
  message: string;
}

export function unicornNginxFiles(ctx: AnalyzerContext, requires: Fact<string>[], stages: Stage[], say: (p: Problem) => void): NginxFile[] {
  const gem = unicornNginxStack(ctx, requires);
  if (!gem) return [];
  // What is true of every stage (a repo copy's shape) is said once.
  const seen = new Set<string>();
  const problem = (p: Problem) => {
    const key = `${p.file}:${p.line}:${p.message}`;
    if (!seen.has(key)) seen.add(key), say(p);
  };
  const out: NginxFile[] = [];
  for (const stage of stages) {
    if (!gemServerBlock(ctx, stage, gem.required, problem)) continue;
    const { text, warnings } = siteText(stage, gem.version.value);
    for (const w of warnings) problem({ ...(stage.variables[w.variable]?.defaultOf ? gem.required : (stage.variables[w.variable]?.source ?? gem.required)), message: `${UNICORN_NGINX} (stage ${stage.name}): ${w.message}`, severity: "warning" });
    const tree = loadTree(ctx.repo, UNICORN_NGINX_FILE, problem, { entryText: text, absolute: () => null });
    const { servers, upstreams } = extract(tree.directives);
    // Fixed values are the gem's, cited at the Capfile line that loads it; a value the template
    // takes from a stage variable is cited where the stage sets it.
    const label = <T>(f: Fact<T> | null, variable?: string): Fact<T> | null => {
      if (!f) return null;
      const v = variable ? stage.variables[variable] : undefined;
      if (v && !v.defaultOf) return { value: f.value, source: v.source };
      return { value: f.value, source: gem.required, defaultOf: UNICORN_NGINX };
    };
    const names = stage.variables["nginx_server_name"];
    for (const s of servers) {
      s.clientMaxBodySize = label(s.clientMaxBodySize);
      for (const k of Object.keys(s.timeouts)) s.timeouts[k] = label(s.timeouts[k]!, k === "proxy_read_timeout" ? "nginx_read_timeout" : undefined)!;
      if (names) s.serverNames = s.serverNames.map((n) => ({ value: n.value, source: names.source }));
    }
    out.push({ file: UNICORN_NGINX_FILE, stage: stage.name, directives: toModel(tree.directives), servers, upstreams });
  }
  return out;
}

/**
 * Whether the stage's site is the gem's server block. A repo copy of nginx_conf.erb that writes its
 * own `server {}` is a template of the repo (analyzers/nginx/index.ts reads it). A copy made by the
 * 3.3+ generator writes only the upstream and renders `_default_server_directive.erb` through
 * `template_to_s`, which the gem takes from its own templates unless the repo keeps that file too:
 * then the server block that ran is the gem's, and that is said.
 */
function gemServerBlock(ctx: AnalyzerContext, stage: Stage, at: Source, problem: (p: Problem) => void): boolean {
  const own = unicornNginxOverride(ctx, stage, "nginx_conf.erb");
  if (!own) return true;
  const r = ctx.repo.read(own);
  if (!("text" in r)) return false;
  if (/^[ \t]*server[ \t]*\{/m.test(r.text)) return false;
  const partial = /template_to_s\(\s*["']_default_server_directive\.erb["']/.exec(r.text);
  if (partial && unicornNginxOverride(ctx, stage, "_default_server_directive.erb")) return false;
  const line = partial ? r.text.slice(0, partial.index).split("\n").length : 1;
  problem({
    file: own,
    line,
    message: partial
      ? `${UNICORN_NGINX}: this copy of nginx_conf.erb renders the gem's own _default_server_directive.erb (the repo keeps no copy of it), so the server block that ran is the gem's: read as the gem's site (${at.file}:${at.line}); the copy's other lines are not read`
      : `${UNICORN_NGINX}: this copy of nginx_conf.erb writes no server block; the site the servers ran is not known from it`,
    severity: "warning",
  });
  return !!partial;
}

/** The gem's site as it renders for the stage (its ERB logic done here, values from the stage). */
export function siteText(stage: Stage, version: string | null = null): { text: string; warnings: SiteWarning[] } {
  const warnings: SiteWarning[] = [];
  // Variables an older release of the gem does not read: its template wrote a fixed value instead.
  const [major = 99, minor = 0, patch = 0] = (version ?? "").split(".").map((x) => Number.parseInt(x, 10)).map((n) => (Number.isNaN(n) ? 0 : n));
  const since: Record<string, [number, number, number]> = { nginx_read_timeout: [4, 0, 0], nginx_server_port: [4, 0, 0], nginx_fail_timeout: [3, 3, 1] };
  const older = (name: string) => {
    const at = since[name];
    if (!at || version === null) return false;
    const [a, b, c] = at;
    return major < a || (major === a && (minor < b || (minor === b && patch < c)));
  };
  for (const name of Object.keys(since))
    if (older(name) && stage.variables[name] && !stage.variables[name]!.defaultOf)
      warnings.push({ variable: name, message: `${name} is read by the gem from ${since[name]!.join(".")} on; ${version} wrote its fixed value, which is what is read here` });
  const v = (name: string) => (older(name) && !stage.variables[name]?.defaultOf ? undefined : stage.variables[name]?.value);
  const configName = word(v("nginx_config_name"));
  const name = configName && PLAIN_WORD.test(configName) ? configName : "app";
  const upstream = `unicorn_${name}`;
  const deployTo = deployToOf(stage)?.replace(/\/+$/, "") ?? null;
  const root = deployTo && PLAIN_PATH.test(deployTo) ? `${deployTo}/current/public` : null;
  if (!root) warnings.push({ variable: "deploy_to", message: "the site's root (<deploy_to>/current/public) is not known statically; it is left out" });
  const failTimeout = word(v("nginx_fail_timeout")) ?? "0";
  const fail = NGINX_TIME.test(failTimeout) ? failTimeout : "0";
  if (fail !== failTimeout) warnings.push({ variable: "nginx_fail_timeout", message: `nginx_fail_timeout ${JSON.stringify(failTimeout)} is not an nginx time; 0 is written` });

  const listen = unicornNginxListen(stage);
  const backends = (() => {
    if (!listen) {
      warnings.push({ variable: "nginx_config_name", message: "where Unicorn listened is not known statically: the upstream's servers are left out" });
      return [];
    }
    if (!listen.tcp) return [`unix:${listen.socket}`];
    const hosts = stage.servers.filter((s) => s.roles.includes("app")).map((s) => s.host);
    return hosts.filter((h) => PLAIN_WORD.test(h)).map((h) => `${h}:${listen.port}`);
  })();

  const given = word(v("nginx_server_name"))?.trim() ?? null;
  const hosts = given && PLAIN_HOSTS.test(given) ? given : null;
  if (!hosts) {
    const web = stage.servers.filter((s) => s.roles.includes("web")).map((s) => s.host);
    warnings.push({
      variable: "nginx_server_name",
      message:
        given === null
          ? `nginx_server_name is not set, so the gem's site answers to the web server's address${web.length ? ` (${web.join(", ")})` : ""}, the one Capistrano connects to: not taken as the stage's public host`
          : "nginx_server_name is not a plain list of host names; the site's hosts are not read",
    });
  }
  const ssl = (() => {
    const s = v("nginx_use_ssl");
    return s !== undefined && isKnown(s) && truthy(s) === true;
  })();
  const port = word(v("nginx_server_port")) ?? "80";
  const httpPort = /^\d{1,5}$/.test(port) ? port : "80";
  const sslPorts = (() => {
    const p = v("nginx_server_ssl_ports");
    const list = p === undefined ? ["443"] : (Array.isArray(p) ? p : [p]).map((x) => word(x));
    return list.filter((x): x is string => !!x && /^\d{1,5}$/.test(x));
  })();
  const certFile = (dirVar: string, fileVar: string, dir: string, ext: string) => {
    const d = word(v(dirVar)) ?? dir;
    const f = word(v(fileVar)) ?? (hosts ? `${hosts}.${ext}` : null);
    const path = f === null ? null : `${d.endsWith("/") ? d : `${d}/`}${f}`;
    return path && PLAIN_PATH.test(path) ? path : null;
  };
  const readTimeout = word(v("nginx_read_timeout"));
  if (readTimeout !== null && !NGINX_TIME.test(readTimeout)) warnings.push({ variable: "nginx_read_timeout", message: `nginx_read_timeout ${JSON.stringify(readTimeout)} is not an nginx time; it is left out` });

  const serverName = hosts ? [`  server_name ${hosts};`] : [];
  const lines: string[] = [`upstream ${upstream} {`, ...backends.map((b) => `  server ${b} fail_timeout=${fail};`), "}"];
  if (ssl) lines.push("server {", `  listen ${httpPort};`, ...serverName, "  rewrite ^(.*) https://$host$1 permanent;", "}");
  lines.push("server {");
  if (ssl) {
    const cert = certFile("nginx_ssl_cert_path", "nginx_ssl_cert", "/etc/ssl/certs/", "crt");
    const key = certFile("nginx_ssl_cert_key_path", "nginx_ssl_cert_key", "/etc/ssl/private/", "key");
    // The gem writes `listen 443;` and `ssl on;` (removed from nginx 1.25): the same server as `listen 443 ssl`.
    lines.push(...sslPorts.map((p) => `  listen ${p} ssl;`), ...(cert ? [`  ssl_certificate ${cert};`] : []), ...(key ? [`  ssl_certificate_key ${key};`] : []));
  } else lines.push(`  listen ${httpPort};`);
  lines.push("  client_max_body_size 4G;", "  keepalive_timeout 10;", "  error_page 500 502 504 /500.html;", "  error_page 503 @503;", ...serverName, ...(root ? [`  root ${root};`] : []));
  lines.push(`  try_files $uri/index.html $uri @${upstream};`, `  location @${upstream} {`);
  lines.push("    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;", "    proxy_set_header Host $http_host;", "    proxy_redirect off;");
  if (readTimeout !== null && NGINX_TIME.test(readTimeout)) lines.push(`    proxy_read_timeout ${readTimeout};`);
  if (ssl) lines.push("    proxy_set_header X-Forwarded-Proto https;");
  lines.push(`    proxy_pass http://${upstream};`, "  }");
  lines.push("  location ^~ /assets/ {", "    gzip_static on;", "    expires max;", "    add_header Cache-Control public;", "  }");
  lines.push("  location @503 {", "    if (-f $document_root/system/maintenance.html) {", "      rewrite ^(.*)$ /system/maintenance.html break;", "    }", "    rewrite ^(.*)$ /503.html break;", "  }");
  lines.push("  if ($request_method !~ ^(GET|HEAD|PUT|PATCH|POST|DELETE|OPTIONS)$) {", "    return 405;", "  }");
  lines.push("  if (-f $document_root/system/maintenance.html) {", "    return 503;", "  }", "}", "");
  return { text: lines.join("\n"), warnings };
}

/**
 * The gem's site counts for the stages the repo's own nginx files do not describe (a rendered
 * template of the stage, or a plain config): those are read instead, with a warning naming the
 * gem's site. Adds to `nginx.files` in place.
 */
export function withUnicornNginxSite(ctx: AnalyzerContext, nginx: { files: NginxFile[] }, gem: NginxFile[]): void {
  withGemSite(ctx, nginx, gem, (stages) => `nginx.unicorn-nginx-site-not-read: ${UNICORN_NGINX}'s setup installs its own nginx site (client_max_body_size 4G, keepalive_timeout 10) for ${stagesWord(stages)}; this repo file is read instead: check which one the servers ran`);
}
