// Sizes and times nginx refuses (overflow, unknown units): the real nginx 1.22 decides, and the
// analysis must agree with it value by value; a refused value never reaches a generated file, and
// an ALB idle timeout longer than the ALB allows is capped with a note.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { nginxValueRefusal } from "../../analyzers/nginx/values.js";
import { nginxTest } from "../container/nginx-text.js";
import { BIN, copyFixture } from "../migrate/helpers.js";
import { runNginx } from "./nginx.js";

const VALUES: [string, string][] = [
  ["client_max_body_size", "99999999999999999999G"],
  ["client_max_body_size", "8589934591G"],
  ["client_max_body_size", "8589934592G"],
  ["client_max_body_size", "9223372036854775807"],
  ["client_max_body_size", "9223372036854775808"],
  ["client_max_body_size", "9007199254740991k"],
  ["client_max_body_size", "9007199254740992k"],
  ["client_max_body_size", "20M"],
  ["client_max_body_size", "0"],
  ["client_max_body_size", "1t"],
  ["client_max_body_size", "-1"],
  ["client_max_body_size", "1.5m"],
  ["client_body_buffer_size", "1g"],
  ["client_body_buffer_size", "9007199254740991k"],
  ["proxy_read_timeout", "99999999999999d"],
  ["proxy_read_timeout", "106751991167d"],
  ["proxy_read_timeout", "106751991168d"],
  ["proxy_read_timeout", "9223372036854775s"],
  ["proxy_read_timeout", "9223372036854776s"],
  ["proxy_read_timeout", "9223372036854775807ms"],
  ["proxy_read_timeout", "9223372036854775808ms"],
  ["proxy_read_timeout", "9223372036854775807"],
  ["proxy_read_timeout", "9223372036854775"],
  ["proxy_read_timeout", "1m30s"],
  ["proxy_read_timeout", "1m 30s"],
  ["proxy_read_timeout", "1s1m"],
  ["proxy_read_timeout", "1d1d"],
  ["proxy_read_timeout", "1y"],
  ["proxy_read_timeout", "1M"],
  ["proxy_read_timeout", "2w"],
  ["proxy_read_timeout", "90ms"],
  ["proxy_read_timeout", "s"],
  ["send_timeout", "1h"],
  ["ssl_session_timeout", "1y"],
  ["ssl_session_timeout", "10m"],
  ["ssl_session_timeout", "5ms"],
  ["ssl_session_timeout", "292277026596y"],
  ["ssl_session_timeout", "292277026597y"],
];

function nginxSays(name: string, value: string, dir: string): boolean {
  const conf = join(dir, "n.conf");
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${dir};`).join(" ");
  writeFileSync(conf, `pid ${dir}/pid; error_log ${dir}/err; events {} http { access_log off; ${temp} server { listen 8080; ${name} "${value}"; } }\n`);
  return runNginx(conf, dir).ok;
}

describe("sizes and times as nginx reads them", () => {
  it("refused exactly when nginx -t refuses the value", () => {
    const dir = mkdtempSync(join(tmpdir(), "r2k-values-"));
    const got = VALUES.map(([n, v]) => ({ v: `${n} ${v}`, refused: nginxValueRefusal(n, [v]) !== null }));
    const want = VALUES.map(([n, v]) => ({ v: `${n} ${v}`, refused: !nginxSays(n, v, dir) }));
    expect(got).toEqual(want);
  });
});

describe("through the CLI", () => {
  it("refused values are left out with a warning naming file:line; the sidecar passes nginx -t; the ALB idle timeout is capped", () => {
    const dir = copyFixture("shop");
    const tmpl = join(dir, "config/deploy/templates/nginx.conf.erb");
    writeFileSync(
      tmpl,
      readFileSync(tmpl, "utf8")
        .replace("client_max_body_size 20M;", "client_max_body_size 99999999999999999999G;")
        .replace("proxy_read_timeout 60;", "proxy_read_timeout 99999999999999d;\n  proxy_send_timeout 2d;"),
    );
    const env = { ...process.env, NO_COLOR: "1" };
    const a = spawnSync(process.execPath, [BIN, "analyze", dir], { encoding: "utf8", env });
    expect(a.status, a.stderr).toBe(0);
    const said = a.stdout + a.stderr;
    expect(said).toMatch(/config\/deploy\/templates\/nginx\.conf\.erb:22\b[^\n]*client_max_body_size "99999999999999999999G": nginx refuses this value/);
    expect(said).toMatch(/config\/deploy\/templates\/nginx\.conf\.erb:24\b[^\n]*proxy_read_timeout "99999999999999d": nginx refuses this value/);
    const r = spawnSync(process.execPath, [BIN, "migrate", dir, "--yes"], { encoding: "utf8", env });
    expect(r.status, r.stderr).toBe(0);
    const conf = readFileSync(join(dir, "docker/nginx/nginx.conf"), "utf8");
    expect(conf).not.toMatch(/9999999999/);
    const t = mkdtempSync(join(tmpdir(), "r2k-values-sidecar-"));
    mkdirSync(t, { recursive: true });
    const test = nginxTest(conf, t);
    expect(test.ok, test.out).toBe(true);
    const ingress = parseAllDocuments(readFileSync(join(dir, "k8s/overlays/production/ingress.yaml"), "utf8"))
      .map((d) => d.toJSON())
      .find((o) => o?.kind === "Ingress");
    const attrs: string = ingress.metadata.annotations["alb.ingress.kubernetes.io/load-balancer-attributes"];
    expect(attrs).toMatch(/idle_timeout\.timeout_seconds=4000\b/);
    expect(readFileSync(join(dir, "MIGRATION.md"), "utf8")).toMatch(/capped at 4000/);
    // The same through a Gateway: 172800s does not fit a Gateway API Duration (5 digits a unit).
    const answers = join(dir, ".rails2k8s.yml");
    writeFileSync(answers, readFileSync(answers, "utf8").replace(/^edge\.target: .*$/m, "edge.target: gateway"));
    const g = spawnSync(process.execPath, [BIN, "migrate", dir, "--yes"], { encoding: "utf8", env });
    expect(g.status, g.stderr).toBe(0);
    const route = parseAllDocuments(readFileSync(join(dir, "k8s/overlays/production/httproute.yaml"), "utf8"))
      .map((d) => d.toJSON())
      .find((o) => o?.kind === "HTTPRoute");
    const request: string = route.spec.rules[0].timeouts.request;
    expect(request).toBe("48h");
    expect(request).toMatch(/^([0-9]{1,5}(h|m|s|ms)){1,4}$/);
  });
});
