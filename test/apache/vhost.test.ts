// Passenger under Apache: a vhost template the deploy renders per stage
// (fixtures/appserver/quarry: lib/capistrano/templates/apache_vhost.conf.erb) gives each stage its
// hosts, TLS, upload limit and Passenger settings. Judged by Ruby's own ERB (each stage's rendering)
// and by the real Apache: `apache2 -t` accepts the rendering, and the vhosts `apache2 -S` lists are
// the ones read; the ones Apache refuses or ignores are the ones we refuse or ignore.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { analyzeApache } from "../../analyzers/apache/index.js";
import { parseApache } from "../../analyzers/apache/parse.js";
import { apacheFilesFor } from "../../emitters/kustomize/rules/site-files.js";
import { stageHosts } from "../../emitters/kustomize/rules/hosts.js";
import { edgeSpec } from "../../emitters/kustomize/edge/spec.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { configEnvFile } from "../../emitters/contract.js";
import { runApache, selfSignedPair } from "./apache.js";

import { filesOf } from "../fixture-files.js";
const here = dirname(fileURLToPath(import.meta.url));
const QUARRY = join(here, "../../fixtures/appserver/quarry");
const T = "lib/capistrano/templates/apache_vhost.conf.erb";

const quarry = filesOf(QUARRY);
const model = (overrides: Record<string, string | null> = {}): Promise<AppModel> => {
  const files = { ...quarry };
  for (const [k, v] of Object.entries(overrides)) if (v === null) delete files[k];
  else files[k] = v;
  return analyzeFiles(memoryRepo(files), "quarry");
};
const stageOf = (m: AppModel, n: string) => m.stages.find((s) => s.name === n)!;

/** Each stage's variables as the fixture's deploy files set them, for Ruby's ERB. */
const VARS: Record<string, Record<string, unknown>> = {
  production: { application: "quarry", deploy_to: "/var/www/quarry", rails_env: "production", vhost_name: "quarry.example.net", vhost_aliases: "www.quarry.example.net assets.quarry.example.net", vhost_ssl: true, upload_limit: 209715200, pool_size: 12 },
  staging: { application: "quarry", deploy_to: "/var/www/quarry", rails_env: "staging", vhost_name: "staging.quarry.example.net", upload_limit: 20971520, pool_size: 2 },
};
const ORACLE = `
require "erb"; require "json"
class B
  def initialize(v) = @v = v
  def fetch(k, d = nil) = @v.key?(k.to_s) ? @v[k.to_s] : d
  def render(t) = ERB.new(t, trim_mode: "-").result(binding)
end
input = JSON.parse($stdin.read)
puts JSON.generate(input["vars"].transform_values { |v| B.new(v).render(input["template"]) })
`;
function rubyRenderings(template: string): Record<string, string> {
  const r = spawnSync("ruby", ["-e", ORACLE], { input: JSON.stringify({ template, vars: VARS }), encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}
const shape = (files: AppModel["apache"] extends infer A ? NonNullable<A>["files"] : never) =>
  files.flatMap((f) => f.vhosts).map((v) => ({ port: v.port, names: v.serverNames.map((n) => n.value), ssl: !!v.ssl, limit: v.limitRequestBody?.value ?? null }));

beforeAll(async () => {
  await initPrism();
});

describe("an Apache vhost template rendered per stage", () => {
  it("each stage's vhosts are the ones Ruby's ERB renders for it, and the ones apache2 -S lists", async () => {
    const m = await model();
    const real = rubyRenderings(quarry[T]!);
    const { cert, key } = selfSignedPair();
    for (const n of ["production", "staging"]) {
      const ours = apacheFilesFor(m, stageOf(m, n));
      expect(ours.map((f) => [f.file, f.stage])).toEqual([[T, n]]);
      const theirs = analyzeApache({ repo: memoryRepo({ "config/apache/site.conf": real[n]! }), problem: () => {} }, []).files;
      expect([n, shape(ours)]).toEqual([n, shape(theirs)]);
      const run = runApache(real[n]!.replace("/etc/ssl/certs/quarry.pem", cert).replace("/etc/ssl/private/quarry.key", key));
      expect([n, run.ok, run.stderr]).toEqual([n, true, expect.not.stringMatching(/WARNING|Syntax error/)]);
      expect(run.vhosts.map((v) => ({ port: v.port, names: [v.name, ...v.aliases] }))).toEqual(shape(ours).map((v) => ({ port: v.port, names: v.names })));
    }
    expect(shape(apacheFilesFor(m, stageOf(m, "production")))).toEqual([
      { port: 80, names: ["quarry.example.net"], ssl: false, limit: null },
      { port: 443, names: ["quarry.example.net", "www.quarry.example.net", "assets.quarry.example.net"], ssl: true, limit: "209715200" },
    ]);
    expect(shape(apacheFilesFor(m, stageOf(m, "staging")))).toEqual([{ port: 80, names: ["staging.quarry.example.net"], ssl: false, limit: "20971520" }]);
  });

  it("hosts come from the stage's own vhosts; Passenger's settings are the stage's, cited at the template line", async () => {
    const m = await model();
    expect(stageHosts(m, stageOf(m, "production")).map((h) => h.host)).toEqual(["quarry.example.net", "www.quarry.example.net", "assets.quarry.example.net"]);
    expect(stageHosts(m, stageOf(m, "staging"))).toEqual([{ host: "staging.quarry.example.net", source: { file: T, line: 18 } }]);
    // after the dropped SSL branch, lines are still the template's own (the else branch's <VirtualHost> is line 16)
    expect(apacheFilesFor(m, stageOf(m, "staging"))[0]!.vhosts[0]!.source).toEqual({ file: T, line: 16 });
    const s = m.webServer!.passenger!.settings;
    const pick = (key: string) => s.filter((x) => x.key === key).map((x) => [x.stage, x.value, x.source.line]);
    expect(pick("max_pool_size")).toEqual([["production", 12, 3], ["staging", 2, 3]]);
    expect(pick("environment")).toEqual([["production", "production", 25], ["staging", "staging", 25]]);
    expect(pick("min_instances")).toEqual([["production", 1, 26], ["staging", 1, 26]]);
  });

  it("the upload limit reaches the edge, named as Apache's; TLS follows SSLEngine", async () => {
    const m = await model();
    const answers = defaultAnswers(m);
    const prod = edgeSpec(m, stageOf(m, "production"), answers, "quarry");
    expect(prod.bodySize).toEqual({ value: { raw: "209715200", bytes: 209715200, directive: "LimitRequestBody 209715200" }, source: { file: T, line: 23 } });
    expect(prod.tls?.source).toEqual({ file: T, line: 12 });
    expect(edgeSpec(m, stageOf(m, "staging"), answers, "quarry").bodySize?.value.bytes).toBe(20971520);
    // on an ALB the limit cannot be set: the note names Apache's directive
    const alb = emitKustomize(m, defaultAnswers(m, { "edge.target": "alb" }));
    expect(alb.notes.some((n) => /stage production: LimitRequestBody 209715200: an ALB sets no request body limit/.test(n.message))).toBe(true);
  });
});

describe("what Apache refuses, ignores or the analysis cannot know", () => {
  it("PassengerMaxPoolSize inside a <VirtualHost>: Apache ignores it (apache2 -t says so), so it is not taken", async () => {
    const vhost = "<VirtualHost *:80>\n  ServerName quarry.example.net\n  PassengerMaxPoolSize 30\n  PassengerMinInstances 4\n</VirtualHost>\n";
    expect(runApache(vhost).stderr).toMatch(/PassengerMaxPoolSize cannot occur within <VirtualHost> section/);
    expect(runApache(vhost).stderr).not.toMatch(/PassengerMinInstances/);
    const m = await model({ [T]: null, "config/apache/quarry.conf": vhost });
    const s = m.webServer!.passenger!.settings;
    expect(s.map((x) => [x.key, x.value])).toEqual([["min_instances", 4]]);
    expect(m.problems.find((p) => p.file === "config/apache/quarry.conf" && p.line === 3)?.message).toMatch(/inside a <VirtualHost>, where Apache ignores it/);
  });

  it("a LimitRequestBody Apache refuses at start is said and not carried", async () => {
    for (const bad of ["10M", "-1", "1 2", "99999999999999999999"]) {
      const vhost = `<VirtualHost *:80>\n  ServerName quarry.example.net\n  LimitRequestBody ${bad}\n</VirtualHost>\n`;
      expect([bad, runApache(vhost).ok]).toEqual([bad, false]);
      const m = await model({ [T]: null, "config/apache/quarry.conf": vhost });
      expect(m.apache!.files[0]!.vhosts[0]!.limitRequestBody).toBeNull();
      expect(m.problems.some((p) => p.file === "config/apache/quarry.conf" && p.line === 3 && /Apache refuses it at start/.test(p.message))).toBe(true);
    }
    const ok = "<VirtualHost *:80>\n  ServerName quarry.example.net\n  LimitRequestBody 0\n</VirtualHost>\n";
    expect(runApache(ok).ok).toBe(true);
    const m = await model({ [T]: null, "config/apache/quarry.conf": ok });
    expect(m.apache!.files[0]!.vhosts[0]!.limitRequestBody?.value).toBe("0");
  });

  it("values no stage knows stay as written, are said, and are never a host or a limit", async () => {
    const template = quarry[T]!.replace("LimitRequestBody <%= fetch(:upload_limit) %>", 'LimitRequestBody <%= ENV["UPLOAD_MAX"] %>').replace("ServerName <%= fetch(:vhost_name) %>\n<% if", "ServerName <%= fetch(:public_host) %>\n<% if");
    const m = await model({ [T]: template });
    const stg = stageOf(m, "staging");
    expect(apacheFilesFor(m, stg)[0]!.vhosts[0]!.limitRequestBody?.value).toBe('<%= ENV["UPLOAD_MAX"] %>');
    expect(stageHosts(m, stg)).toEqual([]);
    expect(m.problems.some((p) => p.file === T && p.line === 23 && /LimitRequestBody <%= ENV\["UPLOAD_MAX"\] %> has no value known for stage staging/.test(p.message))).toBe(true);
    expect(m.gaps.some((g) => g.id === "stage.staging.hosts" && g.placeholder)).toBe(true);
    const spec = edgeSpec(m, stg, defaultAnswers(m), "quarry");
    expect(spec.bodySize?.value.bytes).toBeNull();
    const ingress = emitKustomize(m, defaultAnswers(m, { "edge.target": "ingress-nginx" }));
    expect(ingress.notes.some((n) => /stage staging: LimitRequestBody <%= ENV\["UPLOAD_MAX"\] %> is not known statically/.test(n.message))).toBe(true);
  });

  it("a secret an Apache config gives the app (SetEnv) is listed by name; its value is nowhere in the model", async () => {
    const value = "9f8e7d6c5b4a39281706f5e4d3c2b1a0deadbeefcafe";
    const vhost = `<VirtualHost *:80>\n  ServerName quarry.example.net\n  SetEnv SECRET_KEY_BASE ${value}\n  SetEnv SMTP_PASSWORD hunter2\n  SetEnv TZ UTC\n</VirtualHost>\n`;
    expect(runApache(vhost)).toMatchObject({ ok: true, stderr: expect.not.stringMatching(/WARNING|error/i) });
    const m = await model({ [T]: null, "config/apache/quarry.conf": vhost });
    expect(JSON.stringify(m)).not.toContain(value);
    expect(JSON.stringify(m)).not.toContain("hunter2");
    expect(m.secrets.filter((x) => x.source.file === "config/apache/quarry.conf").map((x) => [x.name, x.source.line])).toEqual([["SECRET_KEY_BASE", 3], ["SMTP_PASSWORD", 4]]);
    expect(JSON.stringify(m.apache)).toContain('"TZ","UTC"');
  });

  it("Apache takes directive names in any case: lower-case ones are read as Apache reads them", async () => {
    const vhost = "passengermaxpoolsize 12\n<virtualhost *:443>\n  servername quarry.example.net\n  sslengine on\n  SSLCertificateFile CERT\n  SSLCertificateKeyFile KEY\n  limitrequestbody 5242880\n  passengermininstances 3\n  setenv TZ UTC\n</virtualhost>\n";
    const pair = selfSignedPair();
    const run = runApache(vhost.replace("CERT", pair.cert).replace("KEY", pair.key));
    expect(run).toMatchObject({ ok: true, stderr: expect.not.stringMatching(/WARNING|error/i) });
    expect(run.vhosts.some((v) => v.name === "quarry.example.net" && v.port === 443)).toBe(true);
    const m = await model({ [T]: null, "config/apache/quarry.conf": vhost });
    expect(m.webServer!.passenger!.settings.map((x) => [x.key, x.value, x.source.line])).toEqual([["max_pool_size", 12, 1], ["min_instances", 3, 8]]);
    const v = m.apache!.files[0]!.vhosts[0]!;
    expect([v.serverNames.map((n) => n.value), v.ssl?.source.line, v.limitRequestBody?.value]).toEqual([["quarry.example.net"], 4, "5242880"]);
    // inside a <virtualhost>, a lower-case server-wide directive is ignored by Apache as the CamelCase one is
    const inVhost = "<VirtualHost *:80>\n  ServerName quarry.example.net\n  passengermaxpoolsize 30\n  passengermininstances 4\n</VirtualHost>\n";
    expect(runApache(inVhost).stderr).toMatch(/cannot occur within <VirtualHost> section/i);
    const m2 = await model({ [T]: null, "config/apache/quarry.conf": inVhost });
    expect(m2.webServer!.passenger!.settings.map((x) => [x.key, x.value])).toEqual([["min_instances", 4]]);
    expect(m2.problems.some((p) => p.line === 3 && /inside a <VirtualHost>, where Apache ignores it/.test(p.message))).toBe(true);
  });

  it("a non-secret SetEnv reaches the stage's config.env (Passenger gives it to the app); a secret one stays out", async () => {
    const vhost = "<VirtualHost *:80>\n  ServerName quarry.example.net\n  SetEnv TZ Europe/Berlin\n  SetEnv FEATURE_FLAGS \"search beta\"\n  SetEnv SMTP_PASSWORD hunter2\n  SetEnv EMPTY_ONE\n</VirtualHost>\n";
    expect(runApache(vhost)).toMatchObject({ ok: true, stderr: expect.not.stringMatching(/WARNING|error/i) });
    const m = await model({ [T]: null, "config/apache/quarry.conf": vhost });
    const out = emitKustomize(m, defaultAnswers(m));
    for (const stage of ["production", "staging"]) {
      const env = out.files.find((f) => f.path === configEnvFile(stage))!.content;
      expect(env).toMatch(/^TZ=Europe\/Berlin$/m);
      expect(env).toMatch(/^FEATURE_FLAGS=/m);
      expect(env).toMatch(/^EMPTY_ONE=$/m);
      expect(env).not.toMatch(/SMTP_PASSWORD/);
    }
    expect(JSON.stringify(out.files)).not.toContain("hunter2");
    expect(out.provenance.some((p) => /TZ \(Apache SetEnv/.test(p.what) && p.source.file === "config/apache/quarry.conf" && p.source.line === 3)).toBe(true);
  });

  it("no LimitRequestBody in any vhost: Apache's default (1 GiB since 2.4.54, none before) is carried, labelled, not the edge's 1m", async () => {
    // Apache's own change log, as installed: 2.4.54 changed the default from 0 (unlimited) to 1GB.
    const changes = spawnSync("sh", ["-c", "zcat /usr/share/doc/apache2/changelog.gz | grep -n -A1 'default value of LimitRequestBody'"], { encoding: "utf8" }).stdout;
    if (changes) expect(changes).toMatch(/from 0 \(unlimited\)\s*\n?.*1GB/);
    const vhost = "<VirtualHost *:80>\n  ServerName quarry.example.net\n</VirtualHost>\n";
    const m = await model({ [T]: null, "config/apache/quarry.conf": vhost });
    const spec = edgeSpec(m, stageOf(m, "production"), defaultAnswers(m), "quarry");
    expect(spec.bodySize).toMatchObject({ value: { raw: "1073741824", bytes: 1073741824, defaultOf: "Apache" }, source: { file: "config/apache/quarry.conf", line: 1 } });
    expect(spec.bodySize!.value.directive).toMatch(/Apache's default.*2\.4\.54.*no limit up to 2\.4\.53/);
    const out = emitKustomize(m, defaultAnswers(m, { "edge.target": "ingress-nginx" }));
    expect(out.files.find((f) => f.path.endsWith("production/ingress.yaml"))?.content ?? JSON.stringify(out.files)).toContain("proxy-body-size: \"1073741824\"");
    expect(out.provenance.some((p) => /proxy-body-size 1073741824 \(LimitRequestBody not set \(Apache's default/.test(p.what))).toBe(true);
    // a vhost that sets it keeps its own number
    const set = await model({ [T]: null, "config/apache/quarry.conf": vhost.replace("</V", "  LimitRequestBody 1048576\n</V") });
    expect(edgeSpec(set, stageOf(set, "production"), defaultAnswers(set), "quarry").bodySize?.value).toEqual({ raw: "1048576", bytes: 1048576, directive: "LimitRequestBody 1048576" });
  });

  it("hostile lines (a section never closed by '>', 200,000 aliases, 50,000 continuations) are read in linear time", () => {
    const cases = ["<a" + " ".repeat(200000) + "x", "<VirtualHost *:80>\n  ServerAlias " + "a.example ".repeat(200000) + "\n</VirtualHost>\n", "LimitRequestBody \\\n".repeat(50000)];
    const start = process.cpuUsage();
    const out = cases.map((t) => parseApache("config/apache/x.conf", t));
    const cpu = process.cpuUsage(start);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(1500);
    expect(out[0]!.error?.message).toMatch(/does not end with ">"/);
    expect(out[1]!.directives[0]!.block![0]!.args).toHaveLength(200000);
    // quoted section arguments are one word, as Apache reads them
    expect(parseApache("f", '<Directory "/srv/x y">\n</Directory>\n').directives[0]!.args).toEqual(["/srv/x y"]);
  });

  it("a plain vhost names production's hosts only; an example copy's are never hosts; a broken file is said with its line", async () => {
    const plain = "<VirtualHost *:80>\n  ServerName quarry.example.net\n  ServerAlias *\n</VirtualHost>\n";
    const m = await model({ [T]: null, "config/apache/quarry.conf": plain });
    expect(stageHosts(m, stageOf(m, "production")).map((h) => h.host)).toEqual(["quarry.example.net"]);
    expect(stageHosts(m, stageOf(m, "staging"))).toEqual([]);
    const ex = await model({ [T]: null, "config/apache.conf.example": plain });
    expect(ex.apache!.files[0]!.example).toBe(true);
    expect(stageHosts(ex, stageOf(ex, "production"))).toEqual([]);
    const broken = await model({ [T]: null, "config/apache/quarry.conf": "<VirtualHost *:80>\n  ServerName quarry.example.net\n  <Directory /srv>\n</VirtualHost>\n" });
    expect(broken.problems.find((p) => p.file === "config/apache/quarry.conf")).toMatchObject({ line: 4, message: expect.stringMatching(/not a valid Apache config \(<\/VirtualHost> closes <Directory> \(line 3\)\)/) });
    expect(runApache("<VirtualHost *:80>\n  ServerName quarry.example.net\n  <Directory /srv>\n</VirtualHost>\n").ok).toBe(false);
  });
});
