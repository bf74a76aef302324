// Passenger under Apache, one vhost file per stage kept in config/apache/. Next to the app's own
// vhosts, production's file also serves a static brochure site and another domain's pages from
// their own directories, and names a demo instance run in another Rails environment. All of their
// hosts became production's. Each vhost's hosts now go to the stage whose deploy_to holds the
// directory it serves, or whose rails_env its RailsEnv names; a vhost serving neither is named
// with its hosts and routed nowhere. The real Apache (`apache2 -S`) lists the same vhosts and names.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { renderReport } from "../../src/report.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { edgeSpec } from "../../emitters/kustomize/edge/spec.js";
import { runApache } from "../apache/apache.js";

beforeAll(async () => {
  await initPrism();
});

const PRODUCTION = `<VirtualHost *:443>
  ServerName shop.example.com
  ServerAlias www.shop.example.com
  SSLEngine on
  SSLCertificateFile /etc/ssl/shop.pem
  DocumentRoot /srv/shop/production/current/public/
  RailsEnv production
</VirtualHost>

<VirtualHost *:80>
  ServerName brochure.example.com
  ServerAlias www.brochure.example.com
  DocumentRoot "/srv/www/brochure/html"
</VirtualHost>

<VirtualHost *:80>
  DocumentRoot /srv/www/partner-site/html
  ServerName partner-site.example.net
</VirtualHost>

<VirtualHost *:80>
  ServerName demo.shop.example.com
  RailsEnv demo
</VirtualHost>
`;
const STAGING = `<VirtualHost *:80>
  ServerName staging.shop.example.com
  DocumentRoot /srv/shop/staging/current/public
</VirtualHost>

<VirtualHost *:80>
  ServerName preview.shop.example.com
  PassengerAppEnv staging
</VirtualHost>
`;

const stage = (name: string) => `set :rails_env, "${name}"\nset :deploy_to, "/srv/shop/${name}"\nserver "10.0.0.5", user: "deploy", roles: %w{web app db}\n`;
const FILES: Record<string, string> = {
  Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano/passenger"\n',
  "config/deploy.rb": 'lock "3.11.0"\nset :application, "shop"\nset :repo_url, "git@example.com:s/shop.git"\n',
  "config/deploy/production.rb": stage("production"),
  "config/deploy/staging.rb": stage("staging"),
  "config/apache/production.conf": PRODUCTION,
  "config/apache/staging.conf": STAGING,
  "Gemfile.lock": "GEM\n  remote: https://rubygems.org/\n  specs:\n    passenger (6.0.17)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  passenger\n",
};

describe("Apache vhosts tied to the stage they serve", () => {
  it("reads the vhosts the real Apache lists (apache2 -S)", () => {
    const run = runApache(PRODUCTION.replace(/^\s*SSL\w+ .*$/gm, "") + STAGING);
    expect(run.ok).toBe(true);
    expect(run.vhosts.map((v) => v.name).sort()).toEqual(
      ["brochure.example.com", "demo.shop.example.com", "partner-site.example.net", "preview.shop.example.com", "shop.example.com", "staging.shop.example.com"].sort(),
    );
  });

  it("gives each stage the hosts of its own vhosts, and no stage those of the others", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "shop");
    const st = (n: string) => m.stages.find((s) => s.name === n)!;
    expect(stageHosts(m, st("production")).map((h) => h.host)).toEqual(["shop.example.com", "www.shop.example.com"]);
    expect(stageHosts(m, st("staging")).map((h) => h.host)).toEqual(["staging.shop.example.com", "preview.shop.example.com"]);
    // TLS is production's vhost's, not a static site's
    expect(edgeSpec(m, st("production"), {}, "shop").tls?.source.file).toBe("config/apache/production.conf");
    expect(edgeSpec(m, st("staging"), {}, "shop").tls).toBeNull();
  });

  it("names each vhost that serves no stage, with its hosts and why", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "shop");
    const vhosts = m.apache!.files.flatMap((f) => f.vhosts);
    const none = vhosts.filter((v) => v.servesNoStage).map((v) => [v.serverNames[0]!.value, v.servesNoStage!.source.line]);
    expect(none).toEqual([
      ["brochure.example.com", 13],
      ["partner-site.example.net", 17],
      ["demo.shop.example.com", 23],
    ]);
    const text = renderReport(m, { color: false });
    expect(text).toContain("serves no stage (/srv/www/brochure/html lies under no stage's deploy_to");
    expect(text).toContain("brochure.example.com www.brochure.example.com are routed nowhere");
    expect(text).toContain("serves no stage (RailsEnv demo: no stage deploys Rails environment demo)");
  });
});
