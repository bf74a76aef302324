// nginx's wildcard server_names (`*.x`, `.x`) match names any depth under x; an Ingress `*.x` host
// matches one label (Kubernetes Ingress spec, IngressRule.host). A running nginx judges what the
// servers answered; the hazard names the deeper names no Ingress routes, at the nginx line, and
// MIGRATION.md carries it beside the Ingress `kubectl kustomize` builds from the same hosts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { request } from "node:http";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { NGINX, runNginx, tempDir, writeTree } from "./nginx.js";
import { wildcardHosts } from "../../analyzers/wildcard-hosts.js";
import { emitMigrationGuide } from "../../emitters/migration-guide.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { removeTrees, requireKubectl } from "../kustomize/kubectl.js";

beforeAll(async () => {
  await initPrism();
});
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
  removeTrees();
});

// A Capistrano 2 app whose rendered site answers its domain's subdomains (one tenant per label).
const SITE = [
  "upstream heron_app { server unix:/home/deploy/heron/shared/sockets/unicorn.sock fail_timeout=0; }",
  "server {",
  "  listen 80;",
  '<% if rails_env == "production" %>',
  "  server_name heron.example.net *.heron.example.net;",
  "<% else %>",
  "  server_name .qa.heron.example.net;",
  "<% end %>",
  "  location / { proxy_pass http://heron_app; }",
  "}",
  "",
].join("\n");

const FILES: Record<string, string> = {
  Capfile: "load 'deploy'\n",
  "config/deploy.rb": "set :stages, %w(production qa)\nset :default_stage, 'qa'\nrequire 'capistrano/ext/multistage'\nset :application, 'heron'\nset :repository, 'git@example.com:acme/heron.git'\n",
  "config/deploy/production.rb": "server 'web1.internal', :app, :web, :db, :primary => true\nset :rails_env, 'production'\n",
  "config/deploy/qa.rb": "server 'qa1.internal', :app, :web, :db, :primary => true\nset :rails_env, 'qa'\n",
  "config/deploy/nginx.conf.erb": SITE,
};

/** The Ingress spec's rule for a wildcard host: the first label of the request's host replaced by it. */
const ingressMatches = (host: string, rule: string): boolean => (rule.startsWith("*.") ? host.split(".").slice(1).join(".") === rule.slice(2) : host === rule);

describe("a wildcard server_name on the edge", () => {
  it("names the deeper names an Ingress no longer routes, at the nginx line, per wildcard", async () => {
    const m = await analyzeFiles(memoryRepo(FILES), "heron");
    const found = m.hazards.filter((h) => h.id === "hosts.wildcard-depth");
    expect(found.map((h) => [h.source.line, /server_name (\S+)/.exec(h.message)![1]])).toEqual([
      [5, "*.heron.example.net"],
      [7, ".qa.heron.example.net"],
    ]);
    expect(found[0]!.message).toMatch(/on an Ingress \(edge target ingress-nginx\) \*\.heron\.example\.net matches one label only \(Kubernetes Ingress spec\): a\.b\.heron\.example\.net and deeper names are no longer routed there/);
    expect(found[1]!.message).toMatch(/matched qa\.heron\.example\.net and every name under qa\.heron\.example\.net at any depth.*the hosts qa\.heron\.example\.net and \*\.qa\.heron\.example\.net/);
    // Exact names and example copies are not wildcards of the servers.
    expect(wildcardHosts({ ...m, nginx: { ...m.nginx, files: m.nginx.files.map((f) => ({ ...f, example: true })) } })).toEqual([]);
  });

  it("is true of the real nginx: it serves a.b under both forms, which the Ingress rule for the emitted hosts does not match", async () => {
    const dir = tempDir("wildcard-depth");
    cleanup.push(dir);
    const port = 21000 + (process.pid % 20000);
    writeTree(dir, {
      "main.conf": [
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log;`,
        "events {}",
        "http {",
        "  access_log off;",
        `  server { listen 127.0.0.1:${port} default_server; return 404 "none"; }`,
        `  server { listen 127.0.0.1:${port}; server_name *.heron.example.net; return 200 "star"; }`,
        `  server { listen 127.0.0.1:${port}; server_name .qa.heron.example.org; return 200 "dot"; }`,
        "}",
        "",
      ].join("\n"),
    });
    expect(runNginx(join(dir, "main.conf"), dir).ok).toBe(true);
    expect(spawnSync(NGINX, ["-c", join(dir, "main.conf"), "-p", dir + "/"], { encoding: "utf8" }).status).toBe(0);
    try {
      const hit = (host: string) =>
        new Promise<string>((resolve, reject) => {
          const r = request({ host: "127.0.0.1", port, path: "/", headers: { Host: host } }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve(body));
          });
          r.on("error", reject);
          r.end();
        });
      expect(await hit("a.heron.example.net")).toBe("star");
      expect(await hit("a.b.heron.example.net")).toBe("star");
      expect(await hit("heron.example.net")).toBe("none");
      expect(await hit("qa.heron.example.org")).toBe("dot");
      expect(await hit("a.b.qa.heron.example.org")).toBe("dot");
    } finally {
      spawnSync("kill", [readFileSync(join(dir, "nginx.pid"), "utf8").trim()]);
    }
    // The hosts the edge gets for these names: one label under the wildcard, the bare name for `.x`.
    expect(ingressMatches("a.heron.example.net", "*.heron.example.net")).toBe(true);
    expect(ingressMatches("a.b.heron.example.net", "*.heron.example.net")).toBe(false);
    expect(["qa.heron.example.org", "*.qa.heron.example.org"].some((h) => ingressMatches("qa.heron.example.org", h))).toBe(true);
    expect(["qa.heron.example.org", "*.qa.heron.example.org"].some((h) => ingressMatches("a.b.qa.heron.example.org", h))).toBe(false);
  });

  it("holds on the ingress-nginx edge target only: on gateway the HTTPRoute keeps *.x, a suffix match at any depth (Gateway API spec), and MIGRATION.md raises nothing", async () => {
    requireKubectl();
    const m = await analyzeFiles(memoryRepo(FILES), "heron");
    expect(m.hazards.filter((h) => h.id === "hosts.wildcard-depth").map((h) => h.edgeTargets)).toEqual([["ingress-nginx"], ["ingress-nginx"]]);
    const hazardsIn = (target: string) => {
      const guide = emitMigrationGuide(m, defaultAnswers(m, { "edge.target": target }), []).content;
      return guide.split("\n").filter((l) => /server_name \S+ .*matched/.test(l)).length;
    };
    expect(hazardsIn("ingress-nginx")).toBe(2);
    expect(hazardsIn("gateway")).toBe(0);
    expect(hazardsIn("alb")).toBe(0);
    // What the gateway target builds: the wildcard as written, which the spec matches at any depth
    // (`*.example.com` matches test.example.com and foo.test.example.com, not example.com), and the bare name beside it.
    const { stages } = emitAndBuild(m, { "edge.target": "gateway" });
    const hosts = find(stages["production"]!, "HTTPRoute").spec.hostnames as string[];
    expect(hosts).toEqual(expect.arrayContaining(["heron.example.net", "*.heron.example.net"]));
    const gatewayMatches = (host: string, rule: string): boolean => (rule.startsWith("*.") ? host.endsWith(rule.slice(1)) : host === rule);
    expect(hosts.some((h) => gatewayMatches("a.b.heron.example.net", h))).toBe(true);
  });
});
