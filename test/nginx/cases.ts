// The configs the nginx tests read: each fixture's nginx config (templates rendered for each
// stage), Debian's own /etc/nginx config, and the nginx.conf shipped with Unicorn's examples.
// Each is laid out in a temp dir as nginx would read it: server-block files wrapped in a minimal
// main config, log and certificate paths pointed into the temp dir, a throwaway certificate.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { Stage, RValue, Fact } from "../../src/model.js";
import { renderTemplate } from "../../analyzers/nginx/template.js";
import { selfSigned, tempDir, writeTree } from "./nginx.js";

export const ROOT = join(import.meta.dirname, "../..");
export const fixture = (app: string, path: string) => readFileSync(join(ROOT, "fixtures/apps", app, path), "utf8");

const v = (value: RValue, file = "config/deploy.rb", line = 1): Fact<RValue> => ({ value, source: { file, line } });

/** The shop's stages as fixtures/README.md states them (the nginx template reads only these). */
export function shopStages(): Stage[] {
  const common = { application: v("shop"), deploy_to: v("/var/www/shop") };
  return [
    {
      name: "production",
      source: { file: "config/deploy/production.rb", line: 1 },
      variables: { ...common, stage: v({ sym: "production" }), server_name: v("shop.example.com www.shop.example.com", "config/deploy/production.rb", 3) },
      servers: [],
    },
    {
      name: "staging",
      source: { file: "config/deploy/staging.rb", line: 1 },
      variables: { ...common, stage: v({ sym: "staging" }), server_name: v("staging.shop.example.com", "config/deploy/staging.rb", 3) },
      servers: [],
    },
  ];
}

export interface Case {
  name: string;
  /** The temp dir holding every file nginx reads from it. */
  dir: string;
  /** The main config (absolute). */
  conf: string;
}

const WRAP = (inc: string) => `events {}\nhttp {\n  include ${inc};\n}\n`;

/** Points paths nginx would open at test time (logs, certificates, example paths) into the temp dir. */
function relocate(text: string, dir: string, certs?: { from: string; to: string }[]): string {
  let t = text.replaceAll("/var/log/nginx/", `${dir}/logs/`).replaceAll("/path/to/", `${dir}/path/`);
  for (const c of certs ?? []) t = t.replaceAll(c.from, c.to);
  return t;
}

export function buildCases(): Case[] {
  const cases: Case[] = [];

  for (const stage of shopStages()) {
    const dir = tempDir(`shop-${stage.name}`);
    const file = "config/deploy/templates/nginx.conf.erb";
    const rendered = renderTemplate(file, fixture("shop", file), stage, () => {});
    writeTree(dir, { "main.conf": WRAP("sites-enabled/shop.conf"), "sites-enabled/shop.conf": relocate(rendered.text, dir), "logs/.keep": "" });
    cases.push({ name: `shop (${stage.name})`, dir, conf: join(dir, "main.conf") });
  }

  {
    const dir = tempDir("legacy");
    writeTree(dir, { "nginx.conf": relocate(fixture("legacy", "config/nginx.conf"), dir), "logs/.keep": "" });
    cases.push({ name: "legacy", dir, conf: join(dir, "nginx.conf") });
  }

  {
    const dir = tempDir("ledger");
    const { cert, key } = selfSigned(join(dir, "ssl"), "ledger.example.org");
    const certs = [
      { from: "/etc/ssl/certs/ledger.example.org.crt", to: cert },
      { from: "/etc/ssl/private/ledger.example.org.key", to: key },
    ];
    writeTree(dir, { "main.conf": WRAP("conf.d/ledger.conf"), "conf.d/ledger.conf": relocate(fixture("ledger", "config/nginx/ledger.conf"), dir, certs), "logs/.keep": "" });
    cases.push({ name: "ledger", dir, conf: join(dir, "main.conf") });
  }

  {
    // Debian's config as installed, copied so the probes may edit it: its absolute includes are
    // pointed at the copy.
    const dir = tempDir("debian");
    const etc = "/etc/nginx";
    const files: Record<string, string> = { "logs/.keep": "" };
    const copy = (rel: string) => {
      files[`etc/nginx/${rel}`] = relocate(readFileSync(join(etc, rel), "utf8"), dir).replaceAll("/etc/nginx/", `${dir}/etc/nginx/`);
    };
    for (const rel of ["nginx.conf", "mime.types", "sites-available/default", "proxy_params", "fastcgi_params", "snippets/fastcgi-php.conf", "snippets/snakeoil.conf"]) if (existsSync(join(etc, rel))) copy(rel);
    files["etc/nginx/sites-enabled/default"] = files["etc/nginx/sites-available/default"];
    files["etc/nginx/conf.d/.keep"] = "";
    files["etc/nginx/modules-enabled/.keep"] = "";
    writeTree(dir, files);
    cases.push({ name: "debian nginx.conf (copy)", dir, conf: join(dir, "etc/nginx/nginx.conf") });

    const dir2 = tempDir("debian-default");
    writeTree(dir2, { "main.conf": WRAP("default"), default: readFileSync(join(etc, "sites-available/default"), "utf8"), "logs/.keep": "" });
    cases.push({ name: "debian sites-available/default", dir: dir2, conf: join(dir2, "main.conf") });
  }

  {
    const dir = tempDir("unicorn");
    writeTree(dir, {
      "nginx.conf": relocate(readFileSync("/usr/share/doc/unicorn/examples/nginx.conf", "utf8"), dir),
      "mime.types": readFileSync("/etc/nginx/mime.types", "utf8"),
      "path/.keep": "",
    });
    cases.push({ name: "unicorn examples/nginx.conf", dir, conf: join(dir, "nginx.conf") });
  }
  return cases;
}
