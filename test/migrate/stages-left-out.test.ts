// What no stage ran is not written for it. A stage file that declares no server (empty
// development.rb and test.rb beside real stages) gets no overlay and asks nothing. A Capistrano 2
// stage whose deploy starts no web server (its file loads no capistrano-unicorn, while the web
// stages' files do) gets an overlay without web Deployment, Service, HPA, PDB or edge. Every
// overlay is built with `kubectl kustomize`; bin/k8s-deploy is checked with shellcheck.
import { beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parse } from "yaml";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { renderReport } from "../../src/report.js";
import { kustomizeBuild, requireKubectl, type K8sObject } from "../kustomize/kubectl.js";
import { copyFixture, recordingIo, snapshot } from "./helpers.js";

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };
const generated = (p: string) => p.startsWith("k8s/") || p.startsWith("bin/k8s") || p.startsWith(".github/") || p === "MIGRATION.md" || p === ".rails2k8s.yml" || p === "Dockerfile";

beforeAll(() => void requireKubectl());

const WEB_KINDS = ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "HTTPRoute"];
const webObjects = (objs: K8sObject[]) => objs.filter((o) => WEB_KINDS.includes(o.kind) && (o["metadata"].labels?.["app.kubernetes.io/component"] === "web" || o.kind === "Ingress" || o.kind === "HTTPRoute"));

async function migrate(dir: string): Promise<void> {
  const io = recordingIo();
  expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
}

describe("stage files that declare no server (a generator's empty development.rb and test.rb)", () => {
  const withEmptyStages = () => {
    const dir = copyFixture("shop");
    writeFileSync(join(dir, "config/deploy/development.rb"), "");
    writeFileSync(join(dir, "config/deploy/test.rb"), "# Extended Server Syntax\n# server 'example.com', user: 'deploy', roles: %w{web app}\n");
    return dir;
  };

  it("get no overlay, no question and no pipeline arm; the report and MIGRATION.md name each with its file", async () => {
    const dir = withEmptyStages();
    await migrate(dir);
    expect(readdirSync(join(dir, "k8s/overlays")).sort()).toEqual(["production", "staging"]);
    for (const o of ["production", "staging"]) expect(webObjects(kustomizeBuild(dir, `k8s/overlays/${o}`)).length, o).toBeGreaterThan(0);
    const model = await analyzeDir(dir, generated);
    expect(model.stagesWithoutServers).toEqual([
      { name: "development", source: { file: "config/deploy/development.rb", line: 1 } },
      { name: "test", source: { file: "config/deploy/test.rb", line: 1 } },
    ]);
    // Nothing asked about them: no per-stage gap, no answer saved.
    expect(model.gaps.filter((g) => /\b(development|test)\b/.test(g.id)).map((g) => g.id)).toEqual([]);
    const answers = parse(readFileSync(join(dir, ".rails2k8s.yml"), "utf8")) as Record<string, unknown>;
    expect(Object.keys(answers).filter((k) => /\b(development|test)\b/.test(k))).toEqual([]);
    const deploy = readFileSync(join(dir, "bin/k8s-deploy"), "utf8");
    expect(deploy).not.toMatch(/^\s*(development|test)\)/m);
    const guide = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    expect(guide).toContain("- stage development defines no servers: no overlay written (config/deploy/development.rb declares no server");
    expect(guide).toContain("- stage test defines no servers: no overlay written (config/deploy/test.rb declares no server");
    expect(guide).not.toContain("k8s/overlays/development");
    const report = renderReport(model, { color: false });
    expect(report).toMatch(/ development {2}config\/deploy\/development\.rb:1\n {4}\(defines no servers: no overlay written/);
    expect(report).toMatch(/ test {2}config\/deploy\/test\.rb:1\n {4}\(defines no servers: no overlay written/);
    // Linked paths list the stages that ran them.
    expect(model.linked.flatMap((l) => l.stages).filter((s) => s === "development" || s === "test")).toEqual([]);
  });

  it("answers saved for such a stage when it had a server are kept and named as unused, not as a stage the repo lacks", async () => {
    const dir = copyFixture("shop");
    writeFileSync(join(dir, "config/deploy/development.rb"), 'server "dev.shop.example.com", user: "deploy", roles: %w[web app db]\n');
    await migrate(dir);
    expect(readFileSync(join(dir, ".rails2k8s.yml"), "utf8")).toMatch(/^stage\.development\.namespace:/m);
    writeFileSync(join(dir, "config/deploy/development.rb"), "");
    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    expect(io.stderr()).toMatch(/no question of this analysis has the key\(s\) [^\n]*stage\.development\.namespace/);
    expect(io.stderr()).not.toMatch(/stage development is not a Capistrano stage/);
  });

  it("when every stage file declares none, the stages stay (nothing says which was real: no overlay set is invented or dropped)", async () => {
    const dir = copyFixture("shop");
    writeFileSync(join(dir, "config/deploy/production.rb"), "# server 'example.com', roles: %w{web app}\n");
    writeFileSync(join(dir, "config/deploy/staging.rb"), "");
    const model = await analyzeDir(dir);
    expect(model.stages.map((s) => s.name)).toEqual(["production", "staging"]);
    expect(model.stagesWithoutServers).toBeUndefined();
  });
});

describe("a Capistrano 2 stage whose deploy starts no web server (capistrano-unicorn loaded only by the web stages' files)", () => {
  // legacy, reshaped: deploy.rb starts nothing itself; production.rb and staging.rb load the
  // unicorn recipes and hook their restart; crawler.rb deploys the same code to a box that runs
  // a feed crawler under upstart (lib/etc/crawler.conf), with the app role only.
  const cap2 = (extra: Record<string, string> = {}) => {
    const dir = copyFixture("legacy");
    const deployRb = readFileSync(join(dir, "config/deploy.rb"), "utf8");
    writeFileSync(join(dir, "config/deploy.rb"), deployRb.slice(0, deployRb.indexOf("namespace :deploy do")).replace("%w(production staging qa)", "%w(production staging crawler)"));
    rmSync(join(dir, "config/deploy/qa.rb"));
    for (const stage of ["production", "staging"]) {
      const file = join(dir, `config/deploy/${stage}.rb`);
      writeFileSync(file, `require "capistrano-unicorn"\n${readFileSync(file, "utf8")}\nafter "deploy:restart", "unicorn:reload"\n`);
    }
    writeFileSync(join(dir, "config/deploy/crawler.rb"), 'set :deploy_to, "/home/deploy/crawler"\n\nrole :app, "crawl1.legacy.example.net"\n\n# Install lib/etc/crawler.conf as /etc/init/crawler.conf by hand.\n');
    mkdirSync(join(dir, "lib/etc"), { recursive: true });
    writeFileSync(
      join(dir, "lib/etc/crawler.conf"),
      ["# Feed crawler: keeps three crawl loops running", 'description "legacy feed crawler"', "start on started network-services", "stop on stopping network-services", "respawn", "", "exec sudo -u deploy -i /home/deploy/crawler/current/script/crawl_feeds 3 >> /home/deploy/crawler/shared/log/crawl.log 2>&1", ""].join("\n"),
    );
    // Infrastructure the boxes ran beside the app: not the app's process.
    writeFileSync(join(dir, "lib/etc/search_index.conf"), 'description "search index"\nstart on runlevel [2345]\nexec /usr/bin/searchd --config /etc/searchd.conf\n');
    for (const [p, text] of Object.entries(extra)) writeFileSync(join(dir, p), text);
    return dir;
  };

  it("its overlay deletes the web objects and has no edge; the web stages keep theirs; nothing about hosts or web pods is asked for it", async () => {
    const dir = cap2();
    await migrate(dir);
    const model = await analyzeDir(dir, generated);
    expect(model.webServer?.kind).toBe("unicorn");
    expect(model.webServer?.notStartedOn?.map((n) => n.stage)).toEqual(["crawler"]);
    const crawler = kustomizeBuild(dir, "k8s/overlays/crawler");
    expect(webObjects(crawler)).toEqual([]);
    expect(crawler.some((o) => o.kind === "ConfigMap")).toBe(true);
    for (const o of ["production", "staging"]) {
      const kinds = new Set(webObjects(kustomizeBuild(dir, `k8s/overlays/${o}`)).map((x) => x.kind));
      expect([...kinds].sort(), o).toEqual(expect.arrayContaining(["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"]));
    }
    expect(model.gaps.map((g) => g.id).filter((id) => id.startsWith("stage.crawler."))).toEqual(["stage.crawler.namespace"]);
    expect(model.gaps.some((g) => g.id === "stage.production.hosts" || g.id === "stage.production.max_replicas")).toBe(true);
    const crawlerEnv = readFileSync(join(dir, "k8s/overlays/crawler/config.env"), "utf8");
    expect(crawlerEnv).toMatch(/^APP_HOSTS=$/m);
    // The web server's numbers belong to the stages that start it: none in the crawler's ConfigMap.
    expect(crawlerEnv).not.toMatch(/WEB_CONCURRENCY|UNICORN_TIMEOUT/);
    expect(readFileSync(join(dir, "k8s/overlays/production/config.env"), "utf8")).toMatch(/^UNICORN_TIMEOUT=\d+$/m);
    expect(readFileSync(join(dir, "k8s/overlays/crawler/patches.yaml"), "utf8")).not.toMatch(/HorizontalPodAutoscaler|legacy-web/);
    const guide = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    expect(guide).toMatch(/- stage crawler: no web Deployment, Service, HPA, PodDisruptionBudget or edge route in its overlay .*unicorn is loaded or restarted only in the stage files of production, staging \(config\/deploy\/production\.rb:\d+, config\/deploy\/staging\.rb:\d+\)/);
    expect(renderReport(model, { color: false })).toMatch(/not started on stage crawler: no web Deployment.*config\/deploy\/crawler\.rb:1/);
    // What the crawler boxes ran instead is named, not dropped; the search daemon is not the app's.
    expect(guide).toMatch(/- \*\*Not carried\*\*: `crawler` \(`sudo -u deploy -i \/home\/deploy\/crawler\/current\/script\/crawl_feeds 3 .*`, `lib\/etc\/crawler\.conf:7`\): an upstart job kept in the repo that runs the app's code from \/home\/deploy\/crawler \(the deploy_to of stage crawler\)/);
    expect(model.uncarried?.map((u) => u.name)).toEqual(["crawler"]);
    // The release waits for the web rollout only where there is one, and the script is sound shell.
    const deploy = readFileSync(join(dir, "bin/k8s-deploy"), "utf8");
    expect(deploy).toMatch(/case \$stage in\n {2}crawler\) ;;.*\n {2}\*\) kubectl -n "\$namespace" rollout status deployment\/legacy-web/);
    const sc = spawnSync("shellcheck", ["-s", "sh", join(dir, "bin/k8s-deploy")], { encoding: "utf8" });
    expect(sc.status, sc.stdout).toBe(0);
  });

  it("the app role alone decides nothing: with the server started from deploy.rb, every stage keeps its web objects", async () => {
    const dir = cap2();
    const deployRb = readFileSync(join(dir, "config/deploy.rb"), "utf8");
    writeFileSync(join(dir, "config/deploy.rb"), `${deployRb}\nnamespace :deploy do\n  task :restart, :roles => :app do\n    run "kill -USR2 \`cat #{shared_path}/pids/unicorn.pid\`"\n  end\nend\n`);
    const model = await analyzeDir(dir);
    expect(model.webServer?.kind).toBe("unicorn");
    expect(model.webServer?.notStartedOn).toBeUndefined();
    expect(model.gaps.some((g) => g.id === "stage.crawler.max_replicas")).toBe(true);
  });

  it("a stage file that loads repo code (which may start the server) is not decided", async () => {
    const dir = cap2({ "config/deploy/crawler.rb": 'load "lib/deploy/crawler_web"\nrole :app, "crawl1.legacy.example.net"\n' });
    mkdirSync(join(dir, "lib/deploy"), { recursive: true });
    writeFileSync(join(dir, "lib/deploy/crawler_web.rb"), "# recipes shared by the crawler boxes\n");
    const model = await analyzeDir(dir);
    expect(model.webServer?.notStartedOn).toBeUndefined();
  });
});

describe("a re-run after a stage is dropped: the overlay an earlier run wrote for it", () => {
  // shop plus two stages; the second run finds qa.rb emptied (defines no servers) and demo.rb
  // removed. The team edited demo's config.env in between: that file is theirs now.
  const setUp = async () => {
    const dir = copyFixture("shop");
    writeFileSync(join(dir, "config/deploy/qa.rb"), 'server "qa.shop.example.com", user: "deploy", roles: %w[web app db]\nset :rails_env, "staging"\n');
    writeFileSync(join(dir, "config/deploy/demo.rb"), 'server "demo.shop.example.com", user: "deploy", roles: %w[web app db]\nset :rails_env, "staging"\n');
    await migrate(dir);
    expect(readdirSync(join(dir, "k8s/overlays")).sort()).toEqual(["demo", "production", "qa", "staging"]);
    writeFileSync(join(dir, "config/deploy/qa.rb"), "# qa box retired\n");
    rmSync(join(dir, "config/deploy/demo.rb"));
    writeFileSync(join(dir, "k8s/overlays/demo/config.env"), `${readFileSync(join(dir, "k8s/overlays/demo/config.env"), "utf8")}FEATURE_X=on\n`);
    return dir;
  };
  const qaFiles = ["config.env", "kustomization.yaml", "patches.yaml", "secrets.env", "secrets.env.example"];

  it("is deleted on yes, shown as a deletion in the dry run first; a file the team edited stays, named in a warning", async () => {
    const dir = await setUp();
    const qa = readdirSync(join(dir, "k8s/overlays/qa")).sort();
    expect(qa).toEqual(expect.arrayContaining(qaFiles));

    const before = snapshot(dir);
    const dry = recordingIo();
    expect(await runMigrate(dir, { dryRun: true }, dry, env), dry.stderr()).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    for (const f of qa) expect(dry.stdout(), f).toMatch(new RegExp(`^ {2}delete +k8s/overlays/qa/${f.replace(/\./g, "\\.")} .*stage qa gets no overlay any more`, "m"));
    expect(dry.stdout()).toContain("--- a/k8s/overlays/qa/kustomization.yaml\n+++ /dev/null\n@@ -1,");
    expect(dry.stdout()).toMatch(/^-kind: Kustomization$/m);
    // A secret file's deletion shows no value.
    expect(dry.stdout()).toMatch(/--- k8s\/overlays\/qa\/secrets\.env\n {2}\(secret values hidden\)/);
    expect(dry.stdout()).not.toMatch(/delete +k8s\/overlays\/demo\/config\.env/);
    expect(dry.stdout()).toMatch(/Dry run: \d+ file\(s\) would be written, \d+ of them deleted; nothing was written\./);
    expect(dry.stderr()).toMatch(/k8s\/overlays\/demo\/config\.env: written by an earlier run, and stage demo gets no overlay any more; it was edited since, so it is not deleted/);

    const io = recordingIo();
    expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
    expect(existsSync(join(dir, "k8s/overlays/qa")), "qa's overlay directory, emptied, goes too").toBe(false);
    expect(readdirSync(join(dir, "k8s/overlays/demo"))).toEqual(["config.env"]);
    expect(readFileSync(join(dir, "k8s/overlays/demo/config.env"), "utf8")).toMatch(/^FEATURE_X=on$/m);
    expect(io.stderr()).toMatch(/k8s\/overlays\/demo\/config\.env: written by an earlier run, and stage demo gets no overlay any more; it was edited since, so it is not deleted/);
    const record = JSON.parse(readFileSync(join(dir, ".rails2k8s/generated.json"), "utf8")) as { files: Record<string, string> };
    expect(Object.keys(record.files).filter((p) => p.startsWith("k8s/overlays/qa/") || p.startsWith("k8s/overlays/demo/"))).toEqual(["k8s/overlays/demo/config.env"]);
    const secretRecord = JSON.parse(readFileSync(join(dir, ".rails2k8s/secret-files.json"), "utf8")) as { files: Record<string, string> };
    expect(Object.keys(secretRecord.files).filter((p) => p.includes("/qa/") || p.includes("/demo/"))).toEqual([]);
    for (const o of ["production", "staging"]) expect(webObjects(kustomizeBuild(dir, `k8s/overlays/${o}`)).length, o).toBeGreaterThan(0);

    // The next run deletes nothing more and still names the kept file.
    const again = recordingIo();
    expect(await runMigrate(dir, { yes: true }, again, env), again.stderr()).toBe(0);
    expect(again.stdout()).toContain("Nothing to write");
    expect(again.stderr()).toMatch(/k8s\/overlays\/demo\/config\.env: written by an earlier run/);
  });

  it("a declined write deletes nothing", async () => {
    const dir = await setUp();
    const before = snapshot(dir);
    const io = recordingIo();
    const declining = { ...env, interactive: true, prompts: { ...noPrompts, confirm: () => Promise.resolve(false) } as unknown as Prompts };
    expect(await runMigrate(dir, {}, io, declining), io.stderr()).toBe(0);
    expect(io.stdout()).toContain("Nothing was written.");
    expect(snapshot(dir)).toEqual(before);
  });
});
