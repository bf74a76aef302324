// The nginx site capistrano-mb's nginx recipe installed (mb:nginx:configure, on :provision, on the
// web servers) when the repo keeps no copy of lib/capistrano/mb/templates/nginx_unicorn.erb (a copy
// is a template of the repo, read like any other). The gem's nginx_unicorn.erb (0.35.0) writes, for
// port 80 and again for 443 (`ssl on` with /etc/ssl/<application_basename>.crt, from its ssl
// recipe): `server_name _`, `client_max_body_size 4G`, `keepalive_timeout 5`, root current/public,
// a maintenance page, asset locations, an X-Accel-Redirect mapping, proxy_cache, and
// `proxy_pass http://unicorn_<app>` on the socket /tmp/unicorn.<app>.sock. With
// :mb_nginx_force_https the port-80 server only redirects. This is that rendering, per stage, as
// nginx text parsed by the same reader as the repo's files; its facts are labelled as the gem's.
import type { AnalyzerContext, Fact, NginxFile, Problem, Stage } from "../../src/model.js";
import { hasPath } from "../../src/model.js";
import { isKnown, isHash, rubyToS, truthy } from "../ruby/evaluate.js";
import { deployToOf } from "../appserver/files.js";
import { mbBasename } from "../appserver/mb-unicorn.js";
import { MB, mbOverride, mbRecipe, mbStack, MB_READ_VERSION } from "../capistrano/mb.js";
import { extract, toModel } from "./facts.js";
import { loadTree, type TreeNode } from "./tree.js";

/** Where the facts of the gem's own template are cited (no file of the repo holds it). */
export const MB_NGINX_FILE = `(${MB} ${MB_READ_VERSION} nginx_unicorn.erb)`;
const UNKNOWN_WORD = (what: string) => `<%= ${what} %>`;
const PLAIN = /^[\w./-]+$/;

export function mbNginxFiles(ctx: AnalyzerContext, requires: Fact<string>[], stages: Stage[], problem: (p: Problem) => void): NginxFile[] {
  const mb = mbStack(ctx, requires);
  if (!mb || hasPath(ctx.repo, mbOverride("nginx_unicorn.erb"))) return [];
  const out: NginxFile[] = [];
  for (const stage of stages) {
    const r = mbRecipe(ctx, mb, stage, "nginx");
    if (!r?.on) continue;
    const redirects = stage.variables["mb_nginx_redirect_hosts"];
    if (redirects && !(isHash(redirects.value) && Object.keys(redirects.value).length === 0))
      problem({ ...redirects.source, message: `${MB}: mb_nginx_redirect_hosts of stage ${stage.name} adds redirecting servers to the gem's nginx site; they are not read here (add them to the edge by hand)`, severity: "warning" });
    const tree = loadTree(ctx.repo, MB_NGINX_FILE, problem, { entryText: siteText(stage), absolute: () => null });
    // The site is included inside the server-wide nginx.erb's `http {}`: a repo copy of that
    // template gives every server the http-level values the site does not set itself.
    const wide = httpLevel(ctx, problem);
    const { servers, upstreams } = extract(wide ? [{ ...wide, block: [...wide.block!, ...tree.directives] }] : tree.directives);
    // The gem's template's values, cited at the Capfile line that loads the gem, are its defaults.
    const label = <T>(f: Fact<T> | null): Fact<T> | null => (f ? (f.source.file === MB_NGINX_FILE ? { ...f, defaultOf: MB } : f) : null);
    for (const s of servers) {
      s.clientMaxBodySize = label(s.clientMaxBodySize);
      for (const k of Object.keys(s.timeouts)) s.timeouts[k] = label(s.timeouts[k]!)!;
    }
    out.push({ file: MB_NGINX_FILE, stage: stage.name, directives: toModel(tree.directives), servers, upstreams });
  }
  return out;
}

/** The repo's copy of the gem's server-wide template (`template "nginx.erb", "/etc/nginx/nginx.conf"`). */
export const MB_NGINX_HTTP = mbOverride("nginx.erb");

/**
 * The `http {}` block of the repo's nginx.erb, without its servers and includes (the site is put in
 * their place), or null when the repo keeps no copy: the gem's own (0.35) sets no body size or
 * timeout at the http level, so the site's values stand alone.
 */
function httpLevel(ctx: AnalyzerContext, problem: (p: Problem) => void): TreeNode | null {
  if (!hasPath(ctx.repo, MB_NGINX_HTTP)) return null;
  const r = ctx.repo.read(MB_NGINX_HTTP);
  if ("error" in r) return null;
  // ERB output kept as a word nginx would not know (never a value); logic tags dropped, lines kept.
  const text = r.text.replace(/<%=([\s\S]*?)%>/g, (m) => (m.includes("\n") ? m.replace(/[^\n]/g, "") : "__erb__")).replace(/<%[\s\S]*?%>/g, (m) => m.replace(/[^\n]/g, ""));
  const tree = loadTree(ctx.repo, MB_NGINX_HTTP, problem, { entryText: text, absolute: () => null });
  const http = tree.directives.find((n) => n.name === "http");
  if (!http?.block) return null;
  return { ...http, block: http.block.filter((n) => n.name !== "server" && n.name !== "include" && !n.args.includes("__erb__")) };
}

/** The gem's template as it renders for the stage (its ERB logic done here, values from the stage). */
function siteText(stage: Stage): string {
  const v = (name: string) => stage.variables[name]?.value;
  const app = mbBasename(stage) ?? UNKNOWN_WORD("application_basename");
  const deployTo = deployToOf(stage);
  const dir = deployTo && PLAIN.test(deployTo) ? deployTo.replace(/\/+$/, "") : null;
  const current = dir ? `${dir}/current` : UNKNOWN_WORD("current_path");
  const accel = dir ?? UNKNOWN_WORD("fetch(:deploy_to)");
  const prefix = (() => {
    const p = v("assets_prefix");
    const s = p === undefined ? "assets" : rubyToS(p);
    return s && /^[\w-]+$/.test(s) ? s : UNKNOWN_WORD("fetch(:assets_prefix)");
  })();
  const force = v("mb_nginx_force_https");
  const forceHttps = force !== undefined && isKnown(force) && truthy(force) === true;
  const body = (port: number) =>
    port === 80 && forceHttps
      ? `  rewrite ^(.*) https://$http_host$1 permanent;`
      : [
          `  client_max_body_size 4G;`,
          `  server_name _;`,
          `  keepalive_timeout 5;`,
          `  root ${current}/public;`,
          `  if (-f $document_root/system/maintenance.html) {`,
          `    return 503;`,
          `  }`,
          `  error_page 503 @maintenance;`,
          `  location @maintenance {`,
          `    rewrite ^(.*)$ /system/maintenance.html last;`,
          `    break;`,
          `  }`,
          ...(port === 443
            ? [`  ssl on;`, `  ssl_protocols TLSv1 TLSv1.1 TLSv1.2;`, `  ssl_dhparam /etc/ssl/dhparams.pem;`, `  ssl_certificate /etc/ssl/${app}.crt;`, `  ssl_certificate_key /etc/ssl/${app}.key;`, ...(forceHttps ? [`  add_header Strict-Transport-Security "max-age=631138519";`] : [])]
            : []),
          `  location ~ "/${prefix}/.*-[0-9a-f]{32}.*" {`,
          `    gzip_static on;`,
          `    expires max;`,
          `    add_header Cache-Control public;`,
          `    add_header Cache-Control immutable;`,
          `  }`,
          `  location ~ ^/(${prefix})/ {`,
          `    gzip_static on;`,
          `    break;`,
          `  }`,
          `  location /__send_file_accel {`,
          `    internal;`,
          `    alias ${accel};`,
          `  }`,
          `  try_files $uri/index.html $uri @unicorn;`,
          `  location @unicorn {`,
          `    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`,
          `    proxy_set_header X-Forwarded-Proto $scheme;`,
          `    proxy_set_header Host $http_host;`,
          `    proxy_redirect off;`,
          `    proxy_set_header X-Sendfile-Type X-Accel-Redirect;`,
          `    proxy_set_header X-Accel-Mapping ${accel}/=/__send_file_accel/;`,
          `    proxy_cache default;`,
          `    proxy_cache_lock on;`,
          `    proxy_cache_use_stale updating;`,
          `    add_header X-Cache-Status $upstream_cache_status;`,
          `    proxy_pass http://unicorn_${app};`,
          `  }`,
          `  error_page 500 502 503 504 /500.html;`,
          `  location = /500.html {`,
          `    root ${current}/public;`,
          `  }`,
        ].join("\n");
  const server = (port: number) => `server {\n  listen ${port} default deferred;\n${body(port)}\n}`;
  return [`upstream unicorn_${app} {`, `  server unix:/tmp/unicorn.${app}.sock fail_timeout=0;`, `}`, server(80), server(443), ""].join("\n");
}
