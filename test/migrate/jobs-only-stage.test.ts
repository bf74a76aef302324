// A jobs-only Capistrano stage: shop's production plus `production-jobs`, whose one server has the
// worker and db roles only (Sidekiq and the crontab ran there, no web server). Its overlay carries
// the workers and CronJobs and deletes the base's web objects; the web stages keep theirs. Every
// overlay is built with `kubectl kustomize` and each object checked against its schema. Where the
// web server ran is judged by real `cap`: a recording SSHKit backend runs the deploy's own restart
// task per stage and lists the hosts its commands ran on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { runMigrate, type MigrateEnv } from "../../src/migrate.js";
import { analyzeDir } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import type { Prompts } from "../../src/wizard.js";
import { renderReport } from "../../src/report.js";
import { kustomizeBuild, requireKubectl, type K8sObject } from "../kustomize/kubectl.js";
import { validateObject } from "../kustomize/validate.js";
import { prepareCopy, runCap } from "../capistrano/cap.js";
import { copyFixture, recordingIo } from "./helpers.js";

const noPrompts: Prompts = new Proxy({} as Prompts, { get: (_t, name) => () => Promise.reject(new Error(`unexpected prompt: ${String(name)}`)) });
const env: MigrateEnv = { interactive: false, prompts: noPrompts, analyze: analyzeDir, emitters: EMITTERS };
const cleanup: string[] = [];

beforeAll(() => void requireKubectl());
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const WEB_KINDS = ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "HTTPRoute"];
const webObjects = (objs: K8sObject[]) => objs.filter((o) => WEB_KINDS.includes(o.kind) && (o["metadata"].labels?.["app.kubernetes.io/component"] === "web" || o.kind === "Ingress" || o.kind === "HTTPRoute"));

const JOBS_STAGE = ["# The job box of production: Sidekiq and the crontab, same release and database.", 'server "jobs1.shop.example.com", user: "deploy", roles: %w[worker db]', "", 'set :rails_env, "production"', 'set :branch, "main"', ""].join("\n");

const withJobsStage = (): string => {
  const dir = copyFixture("shop");
  writeFileSync(join(dir, "config/deploy/production-jobs.rb"), JOBS_STAGE);
  return dir;
};

/** shop without the unicorn plugin: the deploy's own task starts Unicorn, `on` the roles given. */
const ownRestart = (on: string): string => {
  const dir = withJobsStage();
  writeFileSync(join(dir, "Capfile"), readFileSync(join(dir, "Capfile"), "utf8").replace('require "capistrano3/unicorn"\n', ""));
  const deployRb = readFileSync(join(dir, "config/deploy.rb"), "utf8");
  writeFileSync(
    join(dir, "config/deploy.rb"),
    deployRb.replace(
      '    invoke "unicorn:reload"\n',
      [`    on ${on} do`, "      within current_path do", '        execute :bundle, :exec, :unicorn, "-c", fetch(:unicorn_config_path), "-E", fetch(:rails_env), "-D"', "      end", "    end", ""].join("\n"),
    ),
  );
  return dir;
};

/** Real cap: the hosts deploy:restart's commands ran on, per stage (SSHKit's printer, recording). */
async function capRestartHosts(dir: string, stages: string[]): Promise<Record<string, string[]>> {
  const app = prepareCopy(dir);
  cleanup.push(join(app, ".."));
  writeFileSync(
    join(app, "..", "ran.rake"),
    [
      'require "sshkit"',
      "class R2kRecorder < SSHKit::Backend::Printer",
      "  HOSTS = []",
      "  def execute(*args)",
      "    HOSTS << host.hostname",
      "    super",
      "  end",
      "end",
      'task "r2k:ran" do',
      "  SSHKit.config.backend = R2kRecorder",
      '  Rake::Task["deploy:restart"].invoke',
      '  puts "R2K-RAN" + JSON.generate(R2kRecorder::HOSTS.uniq)',
      "end",
      "",
    ].join("\n"),
  );
  appendFileSync(join(app, "Capfile"), `\nload ${JSON.stringify(join(app, "..", "ran.rake"))}\n`);
  const out: Record<string, string[]> = {};
  for (const st of stages) {
    const r = spawnSync("cap", [st, "r2k:ran"], { cwd: app, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, LANG: "C.UTF-8", RUBYOPT: `-r${join(app, "..", "prelude.rb")} -rjson` } });
    const line = r.stdout.split("\n").find((l) => l.includes("R2K-RAN"));
    expect(line, `cap ${st}: ${r.stderr}`).toBeDefined();
    out[st] = JSON.parse(line!.slice(line!.indexOf("R2K-RAN") + 7));
  }
  return out;
}

async function migrate(dir: string): Promise<void> {
  const io = recordingIo();
  expect(await runMigrate(dir, { yes: true }, io, env), io.stderr()).toBe(0);
}

describe("a jobs-only stage (no server with the web or app role)", () => {
  it("its overlay deletes the web objects and keeps workers and CronJobs; MIGRATION.md and the report say why, at the stage's server line", async () => {
    const dir = withJobsStage();
    // Real cap reads the stage's one server and its roles as the tool does.
    const app = prepareCopy(dir);
    cleanup.push(join(app, ".."));
    const view = await runCap(app, "production-jobs");
    expect(view.servers.map((s) => [s.host, s.roles.sort()])).toEqual([["jobs1.shop.example.com", ["db", "worker"]]]);

    await migrate(dir);
    const model = await analyzeDir(dir);
    expect(model.webServer?.notStartedOn?.map((n) => n.stage)).toEqual(["production-jobs"]);
    const jobs = kustomizeBuild(dir, "k8s/overlays/production-jobs");
    for (const o of jobs) validateObject(o);
    expect(webObjects(jobs)).toEqual([]);
    expect(jobs.some((o) => o.kind === "Deployment" && o["metadata"].labels?.["app.kubernetes.io/component"] !== "web")).toBe(true);
    expect(jobs.some((o) => o.kind === "CronJob")).toBe(true);
    for (const o of ["production", "staging"]) {
      const objs = kustomizeBuild(dir, `k8s/overlays/${o}`);
      for (const x of objs) validateObject(x);
      expect(new Set(webObjects(objs).map((x) => x.kind)), o).toEqual(new Set(["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress"]));
    }
    expect(model.gaps.some((g) => g.id === "stage.production-jobs.max_replicas" || g.id === "stage.production-jobs.hosts")).toBe(false);
    const guide = readFileSync(join(dir, "MIGRATION.md"), "utf8");
    expect(guide).toMatch(/- stage production-jobs: no web Deployment, Service, HPA, PodDisruptionBudget or edge route in its overlay \(deleted from base with `\$patch: delete`\): a jobs-only stage: no server of it has a role unicorn ran on \(:web, :app.*jobs1\.shop\.example\.com roles \[worker, db\] \(config\/deploy\/production-jobs\.rb:2\)/);
    expect(renderReport(model, { color: false })).toMatch(/not started on stage production-jobs: .*a jobs-only stage.*config\/deploy\/production-jobs\.rb:2/);
  });

  it("the pair production + production-jobs is named: one base name with a role suffix, one RAILS_ENV, one database.yml entry", async () => {
    const dir = withJobsStage();
    await migrate(dir);
    const model = await analyzeDir(dir);
    const pair = model.hazards.filter((h) => h.id === "stage.split-by-role");
    expect(pair).toHaveLength(1);
    expect(pair[0]!.message).toMatch(/^stages production and production-jobs look like one app split by role.*one base \("production"\) with role suffixes, both run RAILS_ENV=production \(config\/deploy\/production\.rb:\d+, config\/deploy\/production-jobs\.rb:4\).*config\/database\.yml is linked/);
    expect(readFileSync(join(dir, "MIGRATION.md"), "utf8")).toMatch(/\*\*stages production and production-jobs look like one app split by role/);
    // A stage of the same environment with an unrelated name is no pair; neither is one of another environment.
    expect(pair[0]!.message).not.toMatch(/staging/);
  });

  it("agrees with real cap on where the deploy's own restart ran: on roles(:app) it never ran on the job box", async () => {
    const dir = ownRestart("roles(:app)");
    const ran = await capRestartHosts(dir, ["production", "production-jobs", "staging"]);
    expect(ran["production-jobs"]).toEqual([]);
    expect(ran["production"]!.length).toBeGreaterThan(0);
    const model = await analyzeDir(dir);
    expect(model.webServer?.kind).toBe("unicorn");
    expect(model.webServer?.notStartedOn?.map((n) => n.stage) ?? []).toEqual(Object.keys(ran).filter((s) => ran[s]!.length === 0));
  });

  it("agrees with real cap when the restart runs on the job box's role too: the stage keeps its web objects", async () => {
    const dir = ownRestart("roles(:app, :worker)");
    const ran = await capRestartHosts(dir, ["production-jobs"]);
    expect(ran["production-jobs"]).toEqual(["jobs1.shop.example.com"]);
    const model = await analyzeDir(dir);
    expect(model.webServer?.notStartedOn).toBeUndefined();
    expect(model.problems.some((p) => /stage\.web-roles-unknown/.test(p.message))).toBe(false);
  });

  it("roles it cannot read decide nothing: the overlay keeps its web objects and a warning says why, at the stage's file", async () => {
    const dir = ownRestart("roles(*fetch(:restart_roles))");
    appendFileSync(join(dir, "config/deploy.rb"), "\nset :restart_roles, %i[app]\n");
    await migrate(dir);
    const model = await analyzeDir(dir);
    expect(model.webServer?.notStartedOn).toBeUndefined();
    const warn = model.problems.find((p) => /stage\.web-roles-unknown/.test(p.message));
    expect(warn?.file).toBe("config/deploy/production-jobs.rb");
    expect(warn?.message).toMatch(/stage production-jobs: no server has a role unicorn ran on .*keeps the web Deployment.*names no literal roles/);
    expect(webObjects(kustomizeBuild(dir, "k8s/overlays/production-jobs")).length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, "MIGRATION.md"), "utf8")).toMatch(/stage\.web-roles-unknown: stage production-jobs/);
  });
});

// The web server started by a supervisor the deploy drives: a Procfile foreman exports, a systemd
// unit or a monit check kept in the repo. It ran where the deploy lines that run, restart or install
// it ran; real cap's recording backend lists those hosts per stage.
type Supervisor = "foreman" | "systemd" | "monit";
const UNIT = ["[Unit]", "Description=shop web (unicorn)", "", "[Service]", "User=deploy", "WorkingDirectory=/var/www/shop/current", "ExecStart=/usr/local/bin/bundle exec unicorn -c config/unicorn/production.rb -E production", "KillSignal=SIGQUIT", "", "[Install]", "WantedBy=multi-user.target", ""].join("\n");
const CHECK = [
  "# monit keeps the app server up; the deploy restarts it by the check's name.",
  "check process shop_unicorn with pidfile /var/www/shop/shared/tmp/pids/unicorn.pid",
  `  start program = "/bin/sh -c 'cd /var/www/shop/current && bundle exec unicorn -c config/unicorn/production.rb -E production -D'" as uid deploy`,
  `  stop program = "/bin/sh -c 'kill -QUIT $(cat /var/www/shop/shared/tmp/pids/unicorn.pid)'"`,
  "",
].join("\n");
/** The deploy's restart of each supervisor, run `on` the roles given. */
const RESTART: Record<Supervisor, string[]> = {
  foreman: ["      within current_path do", '        execute :bundle, :exec, :foreman, :export, :systemd, "/etc/systemd/system", "-a", "shop", "-u", "deploy"', "      end", '      execute :sudo, :systemctl, :restart, "shop.target"'],
  systemd: ['      execute :sudo, :systemctl, :restart, "shop-web"'],
  monit: ['      execute :sudo, :monit, :restart, "shop_unicorn"'],
};

function supervised(by: Supervisor, on: string, restart = RESTART[by]): string {
  const dir = withJobsStage();
  writeFileSync(join(dir, "Capfile"), readFileSync(join(dir, "Capfile"), "utf8").replace('require "capistrano3/unicorn"\n', ""));
  if (by === "foreman") writeFileSync(join(dir, "Procfile"), "web: bundle exec unicorn -c config/unicorn/production.rb -E production\n");
  if (by === "systemd") mkdirSync(join(dir, "config/systemd")), writeFileSync(join(dir, "config/systemd/shop-web.service"), UNIT);
  if (by === "monit") mkdirSync(join(dir, "config/monit")), writeFileSync(join(dir, "config/monit/web.monitrc"), CHECK);
  const deployRb = readFileSync(join(dir, "config/deploy.rb"), "utf8");
  writeFileSync(join(dir, "config/deploy.rb"), deployRb.replace('    invoke "unicorn:reload"\n', [`    on ${on} do`, ...restart, "    end", ""].join("\n")));
  return dir;
}

describe("a jobs-only stage whose web server a supervisor starts (foreman export, systemd unit, monit check)", () => {
  for (const by of ["foreman", "systemd", "monit"] as const) {
    it(`${by}: restarted on roles(:app), it never ran on the job box; the stage drops its web objects, as real cap places the restart`, async () => {
      const dir = supervised(by, "roles(:app)");
      const ran = await capRestartHosts(dir, ["production", "production-jobs", "staging"]);
      expect(ran["production-jobs"]).toEqual([]);
      expect(ran["production"]!.length).toBeGreaterThan(0);
      const model = await analyzeDir(dir);
      expect(model.webServer?.kind).toBe("unicorn");
      expect(model.problems.filter((p) => /stage\.web-roles-unknown/.test(p.message)).map((p) => p.message)).toEqual([]);
      expect(model.webServer?.notStartedOn?.map((n) => n.stage) ?? []).toEqual(Object.keys(ran).filter((s) => ran[s]!.length === 0));
    });

    it(`${by}: restarted on the job box's role too, the stage keeps its web objects, as real cap places the restart`, async () => {
      const dir = supervised(by, "roles(:app, :worker)");
      const ran = await capRestartHosts(dir, ["production-jobs"]);
      expect(ran["production-jobs"]).toEqual(["jobs1.shop.example.com"]);
      const model = await analyzeDir(dir);
      expect(model.webServer?.notStartedOn).toBeUndefined();
      expect(model.problems.some((p) => /stage\.web-roles-unknown/.test(p.message))).toBe(false);
    });
  }

  it("a unit no deploy line starts, restarts or installs by name decides nothing: the stage is named with the unit", async () => {
    const dir = supervised("systemd", "roles(:app)", ["      execute :sudo, :systemctl, :daemon_reload"]);
    const model = await analyzeDir(dir);
    expect(model.webServer?.notStartedOn).toBeUndefined();
    const warn = model.problems.find((p) => /stage\.web-roles-unknown/.test(p.message));
    expect(warn?.file).toBe("config/deploy/production-jobs.rb");
    expect(warn?.message).toMatch(/a service definition \(config\/systemd\/shop-web\.service:7\) starts unicorn, and no deploy line starts, restarts or installs config\/systemd\/shop-web\.service by name/);
  });

  it("a Procfile the deploy only links (no line runs it) decides nothing", async () => {
    const dir = supervised("foreman", "roles(:app)", ['      execute :sudo, :systemctl, :restart, "shop.target"']);
    appendFileSync(join(dir, "config/deploy.rb"), '\nappend :linked_files, "Procfile"\n');
    const model = await analyzeDir(dir);
    expect(model.webServer?.notStartedOn).toBeUndefined();
    expect(model.problems.find((p) => /stage\.web-roles-unknown/.test(p.message))?.message).toMatch(/the Procfile's web line \(Procfile:1\) runs wherever the Procfile was run, and no deploy line runs it \(config\/deploy\.rb:\d+ only name it\)/);
  });
});
