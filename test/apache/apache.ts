// Running the real Apache (Debian's /usr/sbin/apache2 with mod_ssl, mod_alias and Debian's
// mod_passenger 6.0.17) on a site file in a temp dir: `apache2 -t` verdicts and warnings, and the
// vhosts `apache2 -S` lists (names, aliases, ports).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const APACHE = "/usr/sbin/apache2";
const MODULES = "/usr/lib/apache2/modules";

export interface ApacheRun {
  ok: boolean;
  /** stderr without the "could not reliably determine the server's fully qualified domain name" notice. */
  stderr: string;
  /** From `-S`: each name-based vhost, with its port and aliases. */
  vhosts: { port: number; name: string; aliases: string[] }[];
}

/**
 * Runs `apache2 -t` and `-S` on `site` inside a minimal server config. A placeholder vhost first on
 * each port makes `-S` list every vhost of the site as a name-based one, with its aliases.
 */
export function runApache(site: string, ports: number[] = [80, 443]): ApacheRun {
  const dir = mkdtempSync(join(tmpdir(), "r2k-apache-"));
  mkdirSync(join(dir, "logs"));
  const placeholders = ports.map((p) => `<VirtualHost *:${p}>\n  ServerName placeholder-${p}.invalid\n</VirtualHost>\n`).join("");
  writeFileSync(join(dir, "site.conf"), site);
  writeFileSync(
    join(dir, "main.conf"),
    [
      `ServerRoot ${dir}`,
      `PidFile ${dir}/httpd.pid`,
      `ErrorLog ${dir}/logs/error.log`,
      `LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so`,
      `LoadModule authz_core_module ${MODULES}/mod_authz_core.so`,
      `LoadModule alias_module ${MODULES}/mod_alias.so`,
      `LoadModule rewrite_module ${MODULES}/mod_rewrite.so`,
      `LoadModule proxy_module ${MODULES}/mod_proxy.so`,
      `LoadModule env_module ${MODULES}/mod_env.so`,
      `LoadModule ssl_module ${MODULES}/mod_ssl.so`,
      `LoadModule passenger_module ${MODULES}/mod_passenger.so`,
      "PassengerRoot /usr/lib/ruby/vendor_ruby/phusion_passenger/locations.ini",
      "Listen 127.0.0.1:18080",
      `Include ${dir}/placeholders.conf`,
      `Include ${dir}/site.conf`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "placeholders.conf"), placeholders);
  const conf = join(dir, "main.conf");
  const t = spawnSync(APACHE, ["-t", "-f", conf], { encoding: "utf8" });
  const s = spawnSync(APACHE, ["-S", "-f", conf], { encoding: "utf8" });
  const vhosts: ApacheRun["vhosts"] = [];
  for (const line of s.stdout.split("\n")) {
    const nv = /^\s+port (\d+) namevhost (\S+) \(/.exec(line);
    if (nv && !nv[2]!.startsWith("placeholder-")) vhosts.push({ port: Number(nv[1]), name: nv[2]!, aliases: [] });
    const alias = /^\s+alias (\S+)$/.exec(line);
    if (alias && vhosts.length) vhosts[vhosts.length - 1]!.aliases.push(alias[1]!);
  }
  return { ok: t.status === 0, stderr: t.stderr.replace(/^AH00558:.*\n/m, ""), vhosts };
}

/** A throwaway self-signed certificate (mod_ssl reads the files at `-t`). */
export function selfSignedPair(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "r2k-apache-ssl-"));
  const cert = join(dir, "site.pem");
  const key = join(dir, "site.key");
  spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=site", "-keyout", key, "-out", cert], { stdio: "ignore" });
  return { cert, key };
}
