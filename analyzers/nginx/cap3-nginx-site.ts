// The nginx site capistrano3-nginx installs (`cap <stage> nginx:site:add`, on :nginx_roles) when
// the stage's :nginx_template is the gem's `:default`: the gem then renders its own bundled
// nginx.conf.erb with the stage's variables. Every release read (platanus 1.0 to 2.1.6, and the
// treenewbee fork's 3.0.x) writes the same facts: an upstream `<application>-app-server` on
// :app_server_socket, else :app_server_host (127.0.0.1) and :app_server_port, only when
// :app_server is true and one of the two is set; with :nginx_use_ssl a port-80 server that only
// redirects to https and the site on 443 (certificate :nginx_ssl_certificate_path/
// :nginx_ssl_certificate, key likewise); a port-80 server per :nginx_redirected_domains that
// redirects to the first of :nginx_domains; `server_name` from :nginx_domains (no default);
// root <deploy_to>/current/<nginx_static_dir>; `client_max_body_size 4G`; `keepalive_timeout 10`;
// `/assets/` served from disk with gzip_static and far-future expiry; a proxied named location
// with `proxy_read_timeout` from :nginx_read_timeout when set; 3.x adds basic auth from
// :nginx_auth_basic_user_file. This is that rendering per stage, written in our own words and
// parsed by the same reader as the repo's files; the gem's fixed values are labelled as its own.
//
// 1.0.0 (the one release before 2.0.0) differs, from its own nginx.rake and template: :nginx_template
// defaults to "config/deploy/#{fetch(:stage)}/nginx.conf.erb", and whatever it names, when that file
// does not exist (File.exists?, from the repo's root where cap runs) the gem's own template renders
// instead. That template has no redirected domains, read timeout or basic auth; its root is
// <deploy_to>/current/<static_dir> (`static_dir`, no default); with :nginx_use_ssl it writes
// `ssl_certificate /etc/ssl/certs/<%= nginx_ssl_certificate %>`, a method call neither the gem nor
// Capistrano defines. 2.x's load:defaults (modelled for every version) are not 1.0's: they are
// ignored here for 1.0.
import type { AnalyzerContext, Fact, NginxFile, Problem, RValue, Source, Stage } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { isKnown, isSym, rubyToS, truthy } from "../ruby/evaluate.js";
import { parseLockfile } from "../rails/lockfile.js";
import { deployToOf } from "../appserver/files.js";
import { extract, toModel } from "./facts.js";
import { loadTree } from "./tree.js";

export const CAP3_NGINX = "capistrano3-nginx";
/** Where the facts of the gem's own template are cited (no file of the repo holds it). */
export const CAP3_NGINX_FILE = `(${CAP3_NGINX} nginx.conf.erb)`;
const REQUIRE = /^[ \t]*(?:require[ \t(]+["']capistrano\/nginx["']|install_plugin[ \t(]+Capistrano::Nginx\b)/m;
const PLAIN_PATH = /^\/[\w./-]+$/;
const PLAIN_WORD = /^[\w.-]+$/;
const PLAIN_HOSTS = /^[\w.*-]+(?:[ \t]+[\w.*-]+)*$/;
const NGINX_TIME = /^\d+(?:ms|s|m|h|d)?$/;

const word = (v: RValue | undefined): string | null => (v === undefined || v === null || !isKnown(v) ? null : rubyToS(v));
const set = (v: RValue | undefined): boolean => v !== undefined && v !== null && v !== false && (!isKnown(v) || truthy(v) !== false);

/** The Capfile line that loads the gem, when the bundle locks it (other gems share the require name), and whether that is 1.0. */
function loadedAt(ctx: AnalyzerContext): { source: Source; v1: boolean } | null {
  if (!hasPath(ctx.repo, "Gemfile.lock") || !hasPath(ctx.repo, "Capfile")) return null;
  const lock = ctx.repo.read("Gemfile.lock");
  const spec = "text" in lock ? parseLockfile(lock.text).specs.find((s) => s.name === CAP3_NGINX) : undefined;
  if (!spec) return null;
  const capfile = ctx.repo.read("Capfile");
  if (!("text" in capfile)) return null;
  const m = REQUIRE.exec(capfile.text);
  return m ? { source: { file: "Capfile", line: capfile.text.slice(0, m.index).split("\n").length }, v1: /^[01]\./.test(spec.version) } : null;
}

/** 1.0's :nginx_template default, for the stage. */
export const cap3NginxV1Template = (stage: string) => `config/deploy/${stage}/nginx.conf.erb`;

/** Whether a stage's :nginx_template is the gem's own (`:default`, the gem's default value; in 1.0, any path the repo lacks). */
function usesGemTemplate(ctx: AnalyzerContext, stage: Stage, problem: (p: Problem) => void, v1 = false): boolean {
  const t = stage.variables["nginx_template"];
  if (v1) {
    // 1.0: the path (set, or its default) when the repo has it, else the gem's template.
    const own = t && !t.defaultOf ? t : null;
    const path = own ? word(own.value) : cap3NginxV1Template(stage.name);
    if (path === null) {
      problem({ ...own!.source, message: `nginx.cap3-template-unknown: stage ${stage.name}'s :nginx_template is not known statically: capistrano3-nginx 1.0 renders that file when the repo has it, else its own site; which one ran is not known, so neither is read`, severity: "warning" });
      return false;
    }
    return !hasPath(ctx.repo, path.replace(/^\.\//, ""));
  }
  if (!t || (isSym(t.value) && t.value.sym === "default")) return true;
  const path = word(t.value);
  // A repo template named here is read like any other template of the repo (analyzers/nginx/index.ts).
  if (path && hasPath(ctx.repo, path.replace(/^\.\//, ""))) return false;
  problem({
    ...t.source,
    message: `nginx.cap3-template-unknown: stage ${stage.name}'s :nginx_template (${path ?? "a value not known statically"}) is not a file of the repo: the nginx site capistrano3-nginx installed from it is not read, so its limits and hosts are not known`,
    severity: "warning",
  });
  return false;
}

export function cap3NginxFiles(ctx: AnalyzerContext, stages: Stage[], problem: (p: Problem) => void): NginxFile[] {
  const loaded = loadedAt(ctx);
  if (!loaded) return [];
  const at = loaded.source;
  const out: NginxFile[] = [];
  for (const stage of stages) {
    if (!usesGemTemplate(ctx, stage, problem, loaded.v1)) continue;
    const { text, warnings } = siteText(stage, loaded.v1);
    for (const w of warnings) problem({ ...(stage.variables[w.variable]?.source ?? at), message: `${CAP3_NGINX} (stage ${stage.name}): ${w.message}`, severity: "warning" });
    const tree = loadTree(ctx.repo, CAP3_NGINX_FILE, problem, { entryText: text, absolute: () => null });
    const { servers, upstreams } = extract(tree.directives);
    // The template's fixed values are the gem's, cited at the Capfile line that loads it; values
    // the template takes from a stage variable are cited where the stage sets that variable.
    const label = <T>(f: Fact<T> | null, variable?: string): Fact<T> | null => {
      if (!f) return null;
      const v = variable ? stage.variables[variable] : undefined;
      if (v && !v.defaultOf) return { value: f.value, source: v.source };
      return { value: f.value, source: at, defaultOf: CAP3_NGINX };
    };
    for (const s of servers) {
      s.clientMaxBodySize = label(s.clientMaxBodySize);
      for (const k of Object.keys(s.timeouts)) s.timeouts[k] = label(s.timeouts[k]!, k === "proxy_read_timeout" ? "nginx_read_timeout" : undefined)!;
      // each server_name is the stage's own nginx_domains, or its nginx_redirected_domains
      s.serverNames = s.serverNames.map((n) => ({ value: n.value, source: hostSource(stage, n.value) ?? n.source }));
    }
    out.push({ file: CAP3_NGINX_FILE, stage: stage.name, directives: toModel(tree.directives), servers, upstreams });
  }
  return out;
}

function hostSource(stage: Stage, host: string): Source | null {
  for (const name of ["nginx_domains", "nginx_redirected_domains"]) {
    const v = stage.variables[name];
    const s = v ? word(v.value) : null;
    if (v && s && s.split(/\s+/).includes(host)) return v.source;
  }
  return null;
}

interface SiteWarning {
  variable: string;
  message: string;
}

/** The gem's template as it renders for the stage (its ERB logic done here, values from the stage). */
export function siteText(stage: Stage, v1 = false): { text: string; warnings: SiteWarning[] } {
  // 1.0 has none of 2.x's defaults (modelled for every version): only what the stage itself set.
  const v = (name: string) => (v1 && stage.variables[name]?.defaultOf ? undefined : stage.variables[name]?.value);
  const warnings: SiteWarning[] = [];
  const application = word(v("application"));
  const upstream = application && PLAIN_WORD.test(application) ? `${application}-app-server` : "app-server";
  const deployTo = deployToOf(stage)?.replace(/\/+$/, "") ?? null;
  // 1.0 reads `static_dir` (no default: the root is then the release itself).
  const staticDir = v1 ? word(v("static_dir")) ?? "" : word(v("nginx_static_dir")) ?? "public";
  const root = deployTo && PLAIN_PATH.test(deployTo) && (PLAIN_WORD.test(staticDir) || (v1 && staticDir === "")) ? `${deployTo}/current/${staticDir}` : null;
  if (!root) warnings.push({ variable: "deploy_to", message: `the site's root (<deploy_to>/current/<${v1 ? "static_dir" : "nginx_static_dir"}>) is not known statically; it is left out` });

  const backend = (() => {
    if (!set(v("app_server"))) return null;
    const socket = v("app_server_socket");
    const port = v("app_server_port");
    if (set(socket)) {
      const s = word(socket);
      if (s && PLAIN_PATH.test(s)) return `unix:${s}`;
      warnings.push({ variable: "app_server_socket", message: "app_server_socket is not known statically: the upstream's socket is left out" });
      return "";
    }
    if (set(port)) {
      const p = word(port);
      const host = word(v("app_server_host")) ?? "127.0.0.1";
      if (p && /^\d{1,5}$/.test(p) && PLAIN_WORD.test(host)) return `${host}:${p}`;
      warnings.push({ variable: "app_server_port", message: "app_server_host/app_server_port are not known statically: the upstream's address is left out" });
      return "";
    }
    warnings.push({ variable: "app_server", message: "neither app_server_socket nor app_server_port is set, so the gem's site proxies to no app server (it only serves files from the root)" });
    return null;
  })();

  const domains = word(v("nginx_domains"))?.trim() ?? null;
  const hosts = domains && PLAIN_HOSTS.test(domains) ? domains : null;
  if (!hosts)
    warnings.push({ variable: "nginx_domains", message: domains === null ? "nginx_domains is not set (the gem has no default), so its site names no host" : "nginx_domains is not a plain list of host names; the site's hosts are not read" });
  const redirected = v1 ? null : word(v("nginx_redirected_domains"))?.trim() ?? null;
  const ssl = set(v("nginx_use_ssl")) && isKnown(v("nginx_use_ssl")!);
  const path = (dir: string, file: string, fallbackFile: string) => {
    const d = word(v(dir)) ?? (dir.endsWith("key_path") ? "/etc/ssl/private" : "/etc/ssl/certs");
    const f = word(v(file)) ?? fallbackFile;
    return PLAIN_PATH.test(`${d}/${f}`) ? `${d}/${f}` : null;
  };
  const readTimeout = v1 ? null : word(v("nginx_read_timeout"));
  if (readTimeout !== null && !NGINX_TIME.test(readTimeout)) warnings.push({ variable: "nginx_read_timeout", message: `nginx_read_timeout ${JSON.stringify(readTimeout)} is not an nginx time; it is left out` });
  const authFile = v1 ? null : word(v("nginx_auth_basic_user_file"));
  if (v1 && ssl)
    warnings.push({ variable: "nginx_use_ssl", message: "1.0's template writes its certificate paths from `nginx_ssl_certificate` and `nginx_ssl_certificate_key` called as methods (not fetched); neither the gem nor Capistrano defines them, so nginx:site:add raised unless the deploy defined them: the certificate paths are left out" });

  const serverName = hosts ? [`  server_name ${hosts};`] : [];
  const lines: string[] = [];
  if (backend !== null) lines.push(`upstream ${upstream} {`, ...(backend ? [`  server ${backend} fail_timeout=0;`] : []), "}");
  if (redirected && PLAIN_HOSTS.test(redirected) && hosts) lines.push("server {", "  listen 80;", `  server_name ${redirected};`, `  rewrite ^(.*) http://${hosts.split(/\s+/)[0]} permanent;`, "}");
  if (ssl) lines.push("server {", "  listen 80;", ...serverName, "  rewrite ^(.*) https://$host$1 permanent;", "}");
  lines.push("server {");
  if (ssl && v1) lines.push("  listen 443 ssl;");
  else if (ssl) {
    const cert = path("nginx_ssl_certificate_path", "nginx_ssl_certificate", `${application ?? "app"}.crt`);
    const key = path("nginx_ssl_certificate_key_path", "nginx_ssl_certificate_key", `${application ?? "app"}.key`);
    // 2.x writes `listen 443; ssl on;`, 3.x `listen 443 ssl;`: the same server.
    lines.push("  listen 443 ssl;", ...(cert ? [`  ssl_certificate ${cert};`] : []), ...(key ? [`  ssl_certificate_key ${key};`] : []));
  } else lines.push("  listen 80;");
  lines.push(...serverName, ...(root ? [`  root ${root};`] : []), "  error_page 404 /404.html;", "  error_page 500 /500.html;", "  client_max_body_size 4G;", "  keepalive_timeout 10;");
  if (authFile && PLAIN_PATH.test(authFile)) lines.push('  auth_basic "Restricted Area";', `  auth_basic_user_file ${authFile};`);
  if (backend !== null) {
    lines.push("  location ^~ /assets/ {", "    gzip_static on;", "    expires max;", "    add_header Cache-Control public;", "  }");
    lines.push(`  try_files $uri/index.html $uri @${upstream};`, `  location @${upstream} {`);
    lines.push("    proxy_set_header X-Real-IP $remote_addr;", "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;", "    proxy_set_header Host $http_host;");
    lines.push(`    proxy_set_header X-Forwarded-Proto ${ssl ? "https" : "http"};`, ...(ssl ? ["    proxy_set_header X-Forwarded-Ssl on;"] : []));
    if (readTimeout !== null && NGINX_TIME.test(readTimeout)) lines.push(`    proxy_read_timeout ${readTimeout};`);
    lines.push("    proxy_redirect off;", `    proxy_pass http://${upstream};`, "  }");
  }
  lines.push("}", "");
  return { text: lines.join("\n"), warnings };
}
