// Two things an Apache site says that were lost: a `.erb` template it Includes (the vhost plain, its
// upload limit in a template the deploy renders per stage), and the plain-HTTP vhost that sends
// everyone to https:// (mod_alias's Redirect, mod_rewrite's RewriteRule), which is the same fact as
// nginx's `return 301 https://…`. The included template renders as the site's own templates do:
// per stage, a value the stage does not know said at its line. The configs are written here; the
// redirect forms are ones the real httpd accepts (`apache2 -t`).
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { apacheFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { APACHE, runApache } from "./apache.js";

beforeAll(async () => {
  await initPrism();
});

const DEPLOY = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\n',
  "config/deploy.rb": 'set :application, "quarto"\nset :repo_url, "git@example.org:quarto.git"\nset :deploy_to, "/var/www/quarto"\n',
  "config/deploy/production.rb": 'server "web1.quarto.example.org", roles: %w[web app db]\nset :upload_limit, 104857600\n',
  "config/deploy/staging.rb": 'server "stg.quarto.example.org", roles: %w[web app db]\nset :rails_env, "staging"\n',
};
const SITE = ["<VirtualHost *:80>", "  ServerName quarto.example.org", "  PassengerAppRoot /var/www/quarto/current", "  Include /var/www/quarto/current/config/apache/limits.conf.erb", "</VirtualHost>", ""].join("\n");
const LIMITS = "# scans of whole books\nLimitRequestBody <%= fetch(:upload_limit) %>\n";

const vhostOf = (m: AppModel, stage: string) => apacheFilesFor(m, m.stages.find((s) => s.name === stage)!).flatMap((f) => f.vhosts)[0]!;
const said = (m: AppModel) => m.problems.map((p) => `${p.file}:${p.line} ${p.message}`);

describe("an Included .erb template", () => {
  it("renders per stage with the stage's variables, cited at the template's line; a value the stage lacks is said", async () => {
    const m = await analyzeFiles(memoryRepo({ ...DEPLOY, "config/apache/quarto.conf": SITE, "config/apache/limits.conf.erb": LIMITS }), "quarto");
    expect(vhostOf(m, "production").limitRequestBody).toEqual({ value: "104857600", source: { file: "config/apache/limits.conf.erb", line: 2 } });
    // staging sets no upload_limit: Capistrano's fetch is nil, the tag renders nothing, and httpd would refuse the line
    expect(vhostOf(m, "staging").limitRequestBody).toBeNull();
    expect(said(m)).toContainEqual(expect.stringMatching(/^config\/apache\/limits\.conf\.erb:2 LimitRequestBody : Apache refuses it/));
  });

  it("a path the repo holds only as <path>.erb is read from that template, with a warning naming both", async () => {
    const site = SITE.replace("limits.conf.erb", "limits.conf");
    const m = await analyzeFiles(memoryRepo({ ...DEPLOY, "config/apache/quarto.conf": site, "config/apache/limits.conf.erb": LIMITS }), "quarto");
    expect(vhostOf(m, "production").limitRequestBody?.value).toBe("104857600");
    expect(said(m)).toContainEqual(expect.stringMatching(/^config\/apache\/quarto\.conf:4 apache\.include: .*which the repo holds only as the template config\/apache\/limits\.conf\.erb/));
  });

  it("a value no stage knows stays as its ERB text and is said, not read as a limit", async () => {
    const m = await analyzeFiles(memoryRepo({ ...DEPLOY, "config/apache/quarto.conf": SITE, "config/apache/limits.conf.erb": "LimitRequestBody <%= ENV['UPLOAD_BYTES'] %>\n" }), "quarto");
    expect(said(m)).toContainEqual(expect.stringMatching(/^config\/apache\/limits\.conf\.erb:1 Apache template: LimitRequestBody .*has no value known for stage production/));
  });
});

describe("a plain-HTTP vhost redirecting to https://", () => {
  const site = (lines: string[]) => ["<VirtualHost *:80>", "  ServerName quarto.example.org", ...lines.map((l) => `  ${l}`), "</VirtualHost>", ""].join("\n");
  const FORMS: [string, string[], number | null][] = [
    ["Redirect permanent", ["Redirect permanent / https://quarto.example.org/"], 3],
    ["Redirect 301", ["Redirect 301 / https://quarto.example.org/"], 3],
    ["RedirectPermanent", ["RedirectPermanent / https://quarto.example.org/"], 3],
    ["RedirectMatch", ["RedirectMatch 301 ^/(.*)$ https://quarto.example.org/$1"], 3],
    ["RewriteRule", ["RewriteEngine On", "RewriteCond %{HTTPS} off", "RewriteRule ^(.*)$ https://%{HTTP_HOST}%{REQUEST_URI} [R=301,L]"], 5],
    // Not the whole site, not https, or rewriting off: no redirect fact.
    ["a sub-path", ["Redirect permanent /admin https://quarto.example.org/admin"], null],
    ["to http", ["Redirect permanent / http://www.quarto.example.org/"], null],
    ["RewriteEngine off", ["RewriteRule ^(.*)$ https://%{HTTP_HOST}$1 [R=301,L]"], null],
    // mod_rewrite: only an R rule gated by nothing but "not https yet" checks sends everyone
    ["RewriteRule behind port and forwarded-proto checks", ["RewriteEngine On", "RewriteCond %{SERVER_PORT} !443", "RewriteCond %{HTTP:X-Forwarded-Proto} !https [NC]", "RewriteRule ^/?(.*)$ https://quarto.example.org/$1 [R,L]"], 6],
    ["RewriteRule for one old host only", ["RewriteEngine On", "RewriteCond %{HTTP_HOST} ^old\\.quarto\\.example\\.org$ [NC]", "RewriteRule ^(.*)$ https://quarto.example.org$1 [R=301,L]"], null],
    ["RewriteRule with https off and a host", ["RewriteEngine On", "RewriteCond %{HTTPS} off", "RewriteCond %{HTTP_HOST} ^www\\.", "RewriteRule ^(.*)$ https://quarto.example.org$1 [R=301,L]"], null],
    ["RewriteRule proxying [P]", ["RewriteEngine On", "RewriteRule ^(.*)$ https://backend.example.org$1 [P,L]"], null],
    ["RewriteRule without R", ["RewriteEngine On", "RewriteRule ^(.*)$ https://quarto.example.org$1 [L]"], null],
  ];

  it("each form is the vhost's redirectsToHttps, at its line; the HTTPS gap and the edge take it", async () => {
    for (const [what, lines, line] of FORMS) {
      const m = await analyzeFiles(memoryRepo({ ...DEPLOY, "config/apache/quarto.conf": site(lines) }), "quarto");
      const v = vhostOf(m, "production");
      expect([what, v.redirectsToHttps ?? null]).toEqual([what, line === null ? null : { value: true, source: { file: "config/apache/quarto.conf", line } }]);
    }
  });

  it.runIf(existsSync(APACHE))("every form is a config httpd accepts (apache2 -t)", () => {
    for (const [what, lines] of FORMS) {
      const r = runApache(site(lines), [80]);
      expect([what, r.ok, r.stderr]).toEqual([what, true, expect.anything()]);
    }
  });
});
