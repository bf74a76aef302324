// capistrano-mb (`require "capistrano/mb"`, locked in Gemfile.lock): the recipes it runs decide the
// web server, its Unicorn settings, nginx's limits, what cron ran and sidekiq's concurrency, per
// stage; the gem's defaults are labelled as its defaults. Fixture: fixtures/apps/kiln.
import { describe, it, expect, beforeAll } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { join, relative } from "node:path";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import type { AppModel } from "../../src/model.js";
import { MB_NGINX_FILE } from "../../analyzers/nginx/mb-site.js";
import { sidekiqRoles, workerReplicas } from "../../emitters/kustomize/rules/sidekiq.js";

const APP_DIR = join(import.meta.dirname, "../../fixtures/apps/kiln");
const APP: Record<string, string> = {};
const walk = (d: string) => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else APP[relative(APP_DIR, p)] = readFileSync(p, "utf8");
  }
};
walk(APP_DIR);

const analyze = (changes: Record<string, string | null> = {}) => {
  const files = { ...APP };
  for (const [k, v] of Object.entries(changes)) if (v === null) delete files[k];
  else files[k] = v;
  return analyzeFiles(memoryRepo(files), "kiln");
};
const messages = (m: AppModel) => m.problems.map((p) => `${p.file}:${p.line} ${p.message}`).join("\n");

let model: AppModel;
beforeAll(async () => {
  model = await analyze();
}, 60_000);

describe("capistrano-mb as the deploy's stack", () => {
  it("its unicorn recipe is the web server the deploy started, over the Procfile's puma", () => {
    expect(model.webServer?.kind).toBe("unicorn");
    expect(model.webServer?.evidence[0]!.value).toMatch(/capistrano-mb 0\.35\.0.*unicorn recipe/);
    expect(model.webServer?.evidence[0]!.source).toEqual({ file: "Capfile", line: 9 });
  });

  it("Unicorn's workers and timeout per stage: the stage's own, else the gem's defaults labelled as such", () => {
    const prod = model.appServers.find((a) => a.kind === "unicorn" && a.stages.includes("production"))!;
    const staging = model.appServers.find((a) => a.kind === "unicorn" && a.stages.includes("staging"))!;
    expect(prod.workers).toMatchObject({ value: 6, source: { file: "config/deploy/production.rb", line: 2 } });
    expect(prod.workers!.defaultOf).toBeUndefined();
    expect(prod.timeout).toMatchObject({ value: 45, source: { file: "config/deploy/production.rb", line: 3 } });
    expect(staging.workers).toMatchObject({ value: 2, defaultOf: "capistrano-mb" });
    expect(staging.timeout).toMatchObject({ value: 30, defaultOf: "capistrano-mb" });
    expect(prod.preloadApp).toMatchObject({ value: true, defaultOf: "capistrano-mb" });
    expect(prod.file).toBe("/home/deployer/apps/kiln/shared/config/unicorn.rb");
    expect(prod.listen[0]).toMatchObject({ kind: "unix", address: "/tmp/unicorn.kiln.sock" });
  });

  it("deploy_to is the gem's default, labelled as its default", () => {
    const v = model.stages.find((s) => s.name === "production")!.variables["deploy_to"]!;
    expect(v).toMatchObject({ value: "/home/deployer/apps/kiln", defaultOf: "capistrano-mb" });
  });

  it("the repo's unicorn.rb.erb override is the config: rendered per stage, cited to its lines", async () => {
    const m = await analyze({ "lib/capistrano/mb/templates/unicorn.rb.erb": `worker_processes <%= fetch(:mb_unicorn_workers) %>\ntimeout 90\nlisten "/tmp/unicorn.<%= application_basename %>.sock"\n` });
    const prod = m.appServers.find((a) => a.kind === "unicorn" && a.stages.includes("production"))!;
    expect(prod.file).toBe("lib/capistrano/mb/templates/unicorn.rb.erb");
    expect(prod.workers).toMatchObject({ value: 6, source: { file: "lib/capistrano/mb/templates/unicorn.rb.erb", line: 1 } });
    expect(prod.timeout).toMatchObject({ value: 90, source: { line: 2 } });
    expect(prod.timeout!.defaultOf).toBeUndefined();
    expect(prod.listen[0]).toMatchObject({ address: "/tmp/unicorn.kiln.sock" });
  });

  it("a repo config/unicorn.rb is said not to be what ran", async () => {
    const m = await analyze({ "config/unicorn.rb": "worker_processes 12\n" });
    expect(m.appServers.find((a) => a.kind === "unicorn" && a.stages.includes("production"))!.workers!.value).toBe(6);
    expect(messages(m)).toMatch(/config\/unicorn\.rb:1 config\/unicorn\.rb is not the Unicorn config the servers ran: capistrano-mb/);
  });

  it("sidekiq: the recipe's --concurrency per stage, only where :mb_recipes has sidekiq", async () => {
    expect(model.sidekiq?.plugin?.["production"]?.concurrency).toMatchObject({ value: 4, source: { file: "config/deploy/production.rb", line: 4 } });
    expect(model.sidekiq?.plugin?.["staging"]?.concurrency).toMatchObject({ value: 2 });
    const without = await analyze({ "config/deploy.rb": APP["config/deploy.rb"]!.replace(/^fetch\(:mb_recipes\) << "sidekiq"$/m, "") });
    expect(without.sidekiq?.plugin ?? {}).toEqual({});
    // the unit runs on :mb_sidekiq_role's servers
    const roled = await analyze({ "config/deploy/production.rb": APP["config/deploy/production.rb"]!.replace('roles: %w[app web]', 'roles: %w[app web jobs]') + "set :mb_sidekiq_role, :jobs\n" });
    const prod = roled.stages.find((s) => s.name === "production")!;
    expect(sidekiqRoles(prod)).toEqual(["jobs"]);
    expect(workerReplicas(prod)).toBe(1);
    expect(sidekiqRoles(model.stages.find((s) => s.name === "production")!)).toEqual(["sidekiq"]);
    const dflt = await analyze({ "config/deploy/staging.rb": APP["config/deploy/staging.rb"]!.replace(/^set :mb_sidekiq_concurrency.*$/m, "") });
    expect(dflt.sidekiq?.plugin?.["staging"]?.concurrency).toMatchObject({ value: 25, defaultOf: "capistrano-mb" });
  });

  it("cron: the repo's crontab override decides; a schedule.rb whenever never installs gives no CronJob, with a named warning", async () => {
    expect(model.cron?.jobs ?? []).toEqual([]);
    expect(messages(model)).toMatch(/config\/schedule\.rb:1 cron\.whenever-not-invoked/);
    const own = await analyze({ "lib/capistrano/mb/templates/crontab.erb": "# nightly\nMAILTO=ops@example.net\n30 2 * * * cd /srv/kiln && bin/rails runner 'Kiln.nightly'\n" });
    expect(own.cron?.file).toBe("lib/capistrano/mb/templates/crontab.erb");
    expect(own.cron?.jobs).toHaveLength(1);
    expect(own.cron?.jobs[0]).toMatchObject({ schedules: ["30 2 * * *"], roles: ["cron"], source: { line: 3 } });
    expect(messages(own)).toMatch(/crontab\.erb:2 .*not a cron job line/);
    // Its hazard names it as the cron job it was, not as whenever's.
    const cronHazards = own.hazards.filter((h) => h.id.startsWith("cron.") && h.id.endsWith("-server") || h.id === "cron.many-servers");
    expect(cronHazards.length).toBeGreaterThan(0);
    for (const h of cronHazards) expect(h.message).toMatch(/^cron job \(lib\/capistrano\/mb\/templates\/crontab\.erb\) /);
  });

  it("cron: crontab(5)'s % rule — \\% is a literal %, an unescaped % (stdin follows) is not carried, by name", async () => {
    const own = await analyze({
      "lib/capistrano/mb/templates/crontab.erb": "0 3 * * * echo \"at \\%Y-\\%m\" 50\\%\n0 4 * * * mail -s report ops@example.net%line one%line two\n",
    });
    const jobs = own.cron?.jobs ?? [];
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.command).toBe('echo "at %Y-%m" 50%');
    // What cron's /bin/sh would print for it, run by a real sh, and shellcheck finds nothing in it.
    expect(execFileSync("sh", ["-c", jobs[0]!.command!], { encoding: "utf8" })).toBe("at %Y-%m 50%\n");
    expect(spawnSync("shellcheck", ["-s", "sh", "-"], { input: `#!/bin/sh\n${jobs[0]!.command}\n`, encoding: "utf8" }).status).toBe(0);
    expect(messages(own)).toMatch(/crontab\.erb:2 .*unescaped % .*not carried/);
    expect(jobs.some((j) => /mail/.test(j.command ?? ""))).toBe(false);
  });

  it("whenever run by the deploy keeps schedule.rb's jobs, and mb:crontab replacing them is said", async () => {
    const m = await analyze({ Capfile: APP["Capfile"]! + 'require "whenever/capistrano"\n' });
    expect(m.cron?.jobs.map((j) => j.task)).toEqual(["kiln:purge_stale_batches"]);
    expect(messages(m)).toMatch(/cron\.mb-crontab-replaces-whenever/);
    expect(messages(m)).not.toMatch(/whenever-not-invoked/);
  });

  it("nginx: the gem's site per stage, its limits labelled as the gem's; a repo override is read instead", async () => {
    const files = model.nginx.files.filter((f) => f.file === MB_NGINX_FILE);
    expect(files.map((f) => f.stage).sort()).toEqual(["production", "staging"]);
    const http = files[0]!.servers.find((s) => s.listens.some((l) => l.value.port === 80))!;
    expect(http.clientMaxBodySize).toMatchObject({ value: "4G", defaultOf: "capistrano-mb" });
    expect(http.timeouts["keepalive_timeout"]).toMatchObject({ value: "5", defaultOf: "capistrano-mb" });
    expect(http.serverNames.map((n) => n.value)).toEqual(["_"]);
    const m = await analyze({
      "lib/capistrano/mb/templates/nginx_unicorn.erb": "upstream unicorn_<%= application_basename %> {\n  server unix:/tmp/unicorn.sock fail_timeout=0;\n}\nserver {\n  listen 80;\n  client_max_body_size 25m;\n}\n",
    });
    expect(m.nginx.files.some((f) => f.file === MB_NGINX_FILE)).toBe(false);
    expect(m.nginx.files.find((f) => f.file === "lib/capistrano/mb/templates/nginx_unicorn.erb")!.servers[0]!.clientMaxBodySize!.value).toBe("25m");
  });

  it("a recipe list without unicorn starts no unicorn", async () => {
    const m = await analyze({ "config/deploy.rb": APP["config/deploy.rb"]! + "set :mb_recipes, %w(bundler migrate)\n" });
    expect(m.webServer?.kind).toBe("puma");
    expect(m.nginx.files.some((f) => f.file === MB_NGINX_FILE)).toBe(false);
    expect(m.appServers.some((a) => a.file.includes("shared/config/unicorn.rb"))).toBe(false);
  });

  it("required but not locked: nothing of the gem is assumed, and a named warning says so", async () => {
    const lock = APP["Gemfile.lock"]!.replace(/^ {4}capistrano-mb \(.*\n(?: {6}.*\n)*/m, "");
    const m = await analyze({ "Gemfile.lock": lock });
    expect(m.webServer?.kind).toBe("puma");
    expect(m.stages[0]!.variables["deploy_to"]!.value).toBe("/var/www/kiln");
    expect(messages(m)).toMatch(/Capfile:9 capfile\.mb-not-locked/);
  });
});

// The gem starts unicorn from its systemd unit with `-c <%= fetch(:mb_unicorn_config) %>`
// (lib/capistrano/mb/templates/unicorn.service.erb), and its `template` helper renders a repo copy
// under lib/capistrano/mb/templates/ instead of its own (lib/capistrano/mb/dsl.rb); its server-wide
// nginx.erb wraps the site in `http {}`.
describe("capistrano-mb: the config the unit started, and the server-wide nginx.erb", () => {
  const PROD = APP["config/deploy/production.rb"]!;
  const own = "worker_processes 9\ntimeout 50\nlisten \"/tmp/unicorn.kiln.sock\"\n";
  const prodUnicorn = (m: AppModel) => m.appServers.find((a) => a.kind === "unicorn" && a.stages.includes("production"))!;

  it("a stage's own :mb_unicorn_config under current_path: the repo's file at that path is the config", async () => {
    const m = await analyze({ "config/deploy/production.rb": PROD + 'set :mb_unicorn_config, "#{current_path}/config/unicorn/kiln.rb"\n', "config/unicorn/kiln.rb": own });
    const prod = prodUnicorn(m);
    expect(prod.file).toBe("config/unicorn/kiln.rb");
    expect(prod.workers).toMatchObject({ value: 9, source: { file: "config/unicorn/kiln.rb", line: 1 } });
    expect(prod.renderedBy!.value).toMatch(/bin\/unicorn -c \/home\/deployer\/apps\/kiln\/current\/config\/unicorn\/kiln\.rb/);
    expect(prod.renderedBy!.source).toEqual({ file: "config/deploy/production.rb", line: 8 });
    // Staging keeps the gem's default: its rendered config.
    expect(m.appServers.find((a) => a.kind === "unicorn" && a.stages.includes("staging"))!.workers).toMatchObject({ value: 2, defaultOf: "capistrano-mb" });
  });

  it("a path only the servers hold is said, never read as the template's", async () => {
    const m = await analyze({ "config/deploy/production.rb": PROD + 'set :mb_unicorn_config, "/etc/kiln/unicorn.rb"\n' });
    expect(messages(m)).toMatch(/config\/deploy\/production\.rb:8 capistrano-mb: :mb_unicorn_config is \/etc\/kiln\/unicorn\.rb .*a file the repo does not hold/);
  });

  it("the repo's copy of the unit: the -c its ExecStart= names is the config", async () => {
    const unit = "[Service]\nWorkingDirectory=<%= current_path %>\nExecStart=/bin/bash -lc 'exec bin/unicorn -c <%= current_path %>/config/unicorn/kiln.rb -E <%= fetch(:rails_env) %>'\nRestart=always\n";
    const m = await analyze({ "lib/capistrano/mb/templates/unicorn.service.erb": unit, "config/unicorn/kiln.rb": own });
    const prod = prodUnicorn(m);
    expect(prod.workers).toMatchObject({ value: 9, source: { file: "config/unicorn/kiln.rb", line: 1 } });
    expect(prod.renderedBy!.source).toEqual({ file: "lib/capistrano/mb/templates/unicorn.service.erb", line: 3 });
  });

  it("a repo nginx.erb gives the site its http-level values; the site's own win", async () => {
    const wide = "user www-data;\nevents {\n  worker_connections 1024;\n}\nhttp {\n  client_max_body_size 12m;\n  proxy_read_timeout 120s;\n  client_body_timeout <%= fetch(:kiln_body_timeout) %>;\n  include /etc/nginx/sites-enabled/*;\n}\n";
    const m = await analyze({ "lib/capistrano/mb/templates/nginx.erb": wide });
    const site = m.nginx.files.find((f) => f.file === MB_NGINX_FILE && f.stage === "production")!;
    const s80 = site.servers.find((s) => s.listens.some((l) => l.value.port === 80))!;
    expect(s80.clientMaxBodySize).toMatchObject({ value: "4G", defaultOf: "capistrano-mb" });
    expect(s80.timeouts["proxy_read_timeout"]).toEqual({ value: "120s", source: { file: "lib/capistrano/mb/templates/nginx.erb", line: 7 } });
    expect(s80.timeouts["client_body_timeout"]).toBeUndefined();
    expect(s80.timeouts["keepalive_timeout"]).toMatchObject({ value: "5", defaultOf: "capistrano-mb" });
  });
});

describe("capistrano-mb: the repo's copy of its sidekiq unit", () => {
  it("its literal --concurrency, --queue flags and TimeoutStopSec= replace the gem's, cited at the unit", async () => {
    const unit = "[Unit]\nDescription=kiln jobs\n\n[Service]\nExecStart=/bin/bash -lc 'exec bin/sidekiq -e <%= fetch(:rails_env) %> --concurrency 12 --queue firing --queue glazing'\nTimeoutStopSec=40\nWorkingDirectory=<%= current_path %>\n";
    const m = await analyze({ "lib/capistrano/mb/templates/sidekiq.service.erb": unit });
    const p = m.sidekiq!.plugin!["production"]!;
    const at = { file: "lib/capistrano/mb/templates/sidekiq.service.erb", line: 5 };
    expect(p.concurrency).toEqual({ value: 12, source: at });
    expect(p.queues).toEqual({ value: ["firing", "glazing"], source: at });
    expect(p.stopWait).toEqual({ value: 40, source: { file: at.file, line: 6 } });
    expect(m.sidekiq!.evidence.some((e) => /replaces the gem's unit: bin\/sidekiq .*over :mb_sidekiq_concurrency 4/.test(e.value))).toBe(true);
  });

  it("a copy that keeps the gem's --concurrency <%= fetch(:mb_sidekiq_concurrency) %> keeps the stage's value", async () => {
    const unit = "[Service]\nExecStart=/bin/bash -lc 'exec bin/sidekiq -e <%= fetch(:rails_env) %> --concurrency <%= fetch(:mb_sidekiq_concurrency) %>'\n";
    const m = await analyze({ "lib/capistrano/mb/templates/sidekiq.service.erb": unit });
    expect(m.sidekiq!.plugin!["production"]!.concurrency).toMatchObject({ value: 4, source: { file: "config/deploy/production.rb", line: 4 } });
  });
});
