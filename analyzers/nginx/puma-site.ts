// The nginx site capistrano3-puma's Nginx plugin installs (`cap <stage> puma:nginx_config`, on the
// web role) when the Capfile loads it (`install_plugin Capistrano::Puma::Nginx`, or
// `require "capistrano/puma/nginx"` before 3.0) and the repo keeps no template of its own under the
// names its `template_puma` looks for (a repo copy is read like any other template). The gem's
// nginx_conf.erb (every release from 1.x to 7.x) writes: an upstream `puma_<nginx_config_name>` on
// each puma_bind; with nginx_use_ssl a port-80 server that only redirects, then the site on 443;
// `server_name` from nginx_server_name (its default, "localhost <application>.local", names no real
// host, so it is not carried as one); root current/public; `client_max_body_size 4G`;
// `keepalive_timeout 10`; a proxied named location, and `/assets/` served from disk. This is that
// rendering per stage, parsed by the same reader as the repo's files; its limits are labelled as the
// gem's. Written here in our own words from those facts.
import type { AnalyzerContext, Fact, NginxFile, Problem, RValue, Stage } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { isKnown, rubyToS, truthy } from "../ruby/evaluate.js";
import { deployToOf } from "../appserver/files.js";
import { PUMA_PLUGIN, pumaPluginLocked } from "../appserver/puma-plugin.js";
import { extract, toModel } from "./facts.js";
import { loadTree } from "./tree.js";

/** Where the facts of the gem's own template are cited (no file of the repo holds it). */
export const PUMA_NGINX_FILE = `(${PUMA_PLUGIN} nginx_conf.erb)`;
/** The Capfile line that loads the Nginx plugin. */
const LOADS = /^[ \t]*(?:install_plugin[ \t(]+Capistrano::Puma::Nginx\b|require[ \t(]+["']capistrano\/puma\/nginx["'])/m;
const PLAIN_PATH = /^\/[\w./-]+$/;
const PLAIN_HOSTS = /^[\w.*-]+(?:[ \t]+[\w.*-]+)*$/;

/** The repo templates `template_puma("nginx_conf")` prefers to the gem's, for a stage. */
function overridePaths(stage: string): string[] {
  return ["lib/capistrano/templates", "config/deploy/templates"].flatMap((dir) => [
    ...(dir.startsWith("lib/") ? [`${dir}/nginx_conf-${stage}.rb`] : []),
    `${dir}/nginx_conf.rb.erb`,
    `${dir}/nginx_conf.rb`,
    `${dir}/nginx_conf.erb`,
  ]);
}

export function pumaNginxFiles(ctx: AnalyzerContext, stages: Stage[], problem: (p: Problem) => void): NginxFile[] {
  const lock = pumaPluginLocked(ctx);
  if (!lock || !hasPath(ctx.repo, "Capfile")) return [];
  const capfile = ctx.repo.read("Capfile");
  if (!("text" in capfile)) return [];
  const m = LOADS.exec(capfile.text);
  if (!m) return [];
  const loadLine = capfile.text.slice(0, m.index).split("\n").length;
  const out: NginxFile[] = [];
  for (const stage of stages) {
    if (overridePaths(stage.name).some((p) => hasPath(ctx.repo, p))) continue;
    const tree = loadTree(ctx.repo, PUMA_NGINX_FILE, problem, { entryText: siteText(stage), absolute: () => null });
    const { servers, upstreams } = extract(tree.directives);
    // The template's own values, cited at the Capfile line that loads the plugin.
    const at = { file: "Capfile", line: loadLine };
    const label = <T>(f: Fact<T> | null): Fact<T> | null => (f ? { value: f.value, source: at, defaultOf: PUMA_PLUGIN } : null);
    for (const s of servers) {
      s.clientMaxBodySize = label(s.clientMaxBodySize);
      for (const k of Object.keys(s.timeouts)) s.timeouts[k] = label(s.timeouts[k]!)!;
      // server_name comes from the stage's own nginx_server_name, cited where the stage sets it
      const set = stage.variables["nginx_server_name"];
      if (set) s.serverNames = s.serverNames.map((n) => ({ value: n.value, source: set.source }));
    }
    out.push({ file: PUMA_NGINX_FILE, stage: stage.name, directives: toModel(tree.directives), servers, upstreams });
  }
  return out;
}

/**
 * A repo copy of the gem's nginx_conf.erb that `template_puma` renders in its place reads the same
 * variables, which the plugin's defaults fill where the deploy leaves them unset (the same in every
 * release this file knows, 0.x to 7.x): nginx_config_name "<application>_<stage>", nginx_server_name
 * "localhost <application>.local", the upstream flags "fail_timeout=0", nginx_use_ssl false. Before
 * 2.0 those defaults are set by `require "capistrano/puma"` itself (lib/capistrano/tasks/puma.cap's
 * load:defaults, v1.1.0); from 2.0 by the Nginx plugin only. The stage with those defaults added,
 * each labelled as the gem's and cited at the Capfile line that loads them; null when the file is no
 * such copy for the stage or nothing loads the defaults. The server_name default names no host the
 * edge can route (localhost, a .local name: emitters/kustomize/rules/hosts.ts isRoutableHost): it is
 * rendered as the gem rendered it, and never offered as a host.
 */
export function pumaTemplateStage(ctx: AnalyzerContext, stage: Stage, file: string, problem?: (p: Problem) => void): Stage | null {
  const lock = pumaPluginLocked(ctx);
  if (!overridePaths(stage.name).includes(file) || !lock) return null;
  const capfile = ctx.repo.read("Capfile");
  if (!("text" in capfile)) return null;
  const m = LOADS.exec(capfile.text) ?? (majorOf(lock.version) < 2 ? LOADS_BEFORE_2.exec(capfile.text) : null);
  if (!m) return null;
  const at = { file: "Capfile", line: capfile.text.slice(0, m.index).split("\n").length };
  // Before 3.0 the gem's nginx task is loaded by `require "capistrano/puma/nginx"` alone: without
  // it the deploy has no task that renders the copy (someone ran it by hand, if at all).
  if (problem && !LOADS.test(capfile.text))
    problem({
      file,
      line: 1,
      message: `a copy of ${PUMA_PLUGIN}'s nginx template, read as the gem's \`template_puma\` renders it with ${PUMA_PLUGIN} ${lock.version}'s defaults (Capfile:${at.line}); the Capfile never loads the gem's nginx task (capistrano/puma/nginx), so no task of this deploy installed it: the servers' nginx site may differ`,
      severity: "warning",
    });
  const application = word(stage.variables["application"]?.value);
  const flags = stage.variables["nginx_flags"]?.value ?? "fail_timeout=0";
  const defaults: Record<string, RValue> = { nginx_flags: "fail_timeout=0", nginx_http_flags: flags, nginx_socket_flags: flags, nginx_use_ssl: false };
  if (application && /^[\w.-]+$/.test(application)) {
    defaults["nginx_config_name"] = `${application}_${stage.name}`;
    defaults["nginx_server_name"] = `localhost ${application}.local`;
  }
  const added = Object.fromEntries(Object.entries(defaults).filter(([k]) => !(k in stage.variables)).map(([k, value]) => [k, { value, source: at, defaultOf: PUMA_PLUGIN }]));
  return Object.keys(added).length ? { ...stage, variables: { ...added, ...stage.variables } } : null;
}

/** `require "capistrano/puma"`: before 2.0 it loads puma.cap, whose load:defaults sets the nginx variables too. */
const LOADS_BEFORE_2 = /^[ \t]*require[ \t(]+["']capistrano\/puma["']/m;
const majorOf = (version: string): number => Number.parseInt(version, 10);

const word = (v: RValue | undefined): string | null => (v === undefined || !isKnown(v) ? null : rubyToS(v));

/** A path variable as the template writes it: its value when plain, the template's default when unset. */
function pathOr(name: string, v: RValue | undefined, fallback: string): string {
  if (v === undefined || v === null || v === false) return fallback;
  const s = word(v);
  return s && PLAIN_PATH.test(s) ? s : `<%= fetch(:${name}) %>`;
}

/** The gem's template as it renders for the stage (its ERB logic done here, values from the stage). */
export function siteText(stage: Stage): string {
  const v = (name: string) => stage.variables[name]?.value;
  const deployTo = deployToOf(stage)?.replace(/\/+$/, "") ?? null;
  const dir = deployTo && PLAIN_PATH.test(deployTo) ? deployTo : null;
  const application = word(v("application"));
  const name = word(v("nginx_config_name")) ?? (application ? `${application}_${stage.name}` : "app");
  const upstream = /^[\w.-]+$/.test(name) ? `puma_${name}` : "puma_app";
  const binds = (() => {
    const b = v("puma_bind");
    const list = b === undefined ? [dir ? `unix://${dir}/shared/tmp/sockets/puma.sock` : null] : Array.isArray(b) ? b.map((x) => word(x)) : [word(b)];
    return list.map((x) => (x && /^(?:unix|tcp|ssl):\/\/[\w./:-]+$/.test(x) ? x : null));
  })();
  const backends = binds.flatMap((b) => {
    if (!b) return [];
    const [, kind, address] = /^(tcp|unix|ssl):\/{1,2}(.+)$/.exec(b)!;
    return [kind === "unix" ? `  server unix:${address} fail_timeout=0;` : `  server ${address!.replace(/^0\.0\.0\.0/, "127.0.0.1")} fail_timeout=0;`];
  });
  const hostsSet = word(v("nginx_server_name"));
  const hosts = hostsSet && PLAIN_HOSTS.test(hostsSet.trim()) ? hostsSet.trim() : null;
  const ssl = (() => {
    const s = v("nginx_use_ssl");
    return s !== undefined && isKnown(s) && truthy(s) === true;
  })();
  const serverName = hosts ? [`  server_name ${hosts};`] : [];
  const root = dir ? [`  root ${dir}/current/public;`] : [];
  const site = [
    "server {",
    ...(ssl ? ["  listen 443 ssl;", `  ssl_certificate ${pathOr("nginx_ssl_certificate", v("nginx_ssl_certificate"), `/etc/ssl/certs/${name}.crt`)};`, `  ssl_certificate_key ${pathOr("nginx_ssl_certificate_key", v("nginx_ssl_certificate_key"), `/etc/ssl/private/${name}.key`)};`] : ["  listen 80;"]),
    ...serverName,
    ...root,
    `  try_files $uri/index.html $uri @${upstream};`,
    "  client_max_body_size 4G;",
    "  keepalive_timeout 10;",
    "  error_page 500 502 504 /500.html;",
    `  location @${upstream} {`,
    "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "    proxy_set_header Host $host;",
    "    proxy_redirect off;",
    "    proxy_set_header Upgrade $http_upgrade;",
    '    proxy_set_header Connection "Upgrade";',
    `    proxy_set_header X-Forwarded-Proto ${ssl ? "https" : "http"};`,
    `    proxy_pass http://${upstream};`,
    "  }",
    "  location ^~ /assets/ {",
    "    gzip_static on;",
    "    expires max;",
    "    add_header Cache-Control public;",
    "  }",
    "}",
  ];
  const redirect = ssl ? ["server {", "  listen 80;", ...serverName, "  return 301 https://$host$1$request_uri;", "}"] : [];
  return [...(backends.length ? [`upstream ${upstream} {`, ...backends, "}"] : []), ...redirect, ...site, ""].join("\n");
}
