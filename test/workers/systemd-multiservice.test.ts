// capistrano-systemd-multiservice installs the repo's `config/systemd/<service>{,@}.*.erb` units,
// rendered per stage with the plugin's binding (groovenauts/capistrano-systemd-multiservice,
// system_service.rb): those units are what the servers ran. A unit named for a job backend whose
// ExecStart is a placeholder (`/bin/true`) ran no worker, even though the gem and its config are
// in the repo; a unit that does run the backend gives its command, roles and stop timeout.
// A `<service>@.service` template runs one unit per entry of systemd_<service>_instances on each
// server: that many processes per server; a list the analysis cannot count is named, not guessed.
// Real `ruby -rerb` renders the template as the plugin does (its trim mode), and is the oracle for
// the command; `kubectl kustomize` builds the overlays whose replicas are checked.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { pluginApp } from "./app.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { requireKubectl } from "../kustomize/kubectl.js";
import { systemdSeconds } from "../../analyzers/workers/systemd-multiservice.js";

beforeAll(async () => {
  await initPrism();
});

const CAPFILE = 'require "capistrano/systemd/multiservice"\ninstall_plugin Capistrano::Systemd::MultiService.new_service("sidekiq")\ninstall_plugin Capistrano::Systemd::MultiService.new_service(:api)\n';
const DEPLOY = 'set :deploy_to, "/srv/lantern"\nafter "deploy:publishing", "systemd:sidekiq:restart"\nafter "deploy:publishing", "systemd:api:restart"\n';
const STAGES = {
  production: 'server "p1.lantern.example.org", roles: %w[app web db]\nserver "p2.lantern.example.org", roles: %w[app]\nset :rails_env, "production"\n',
  staging: 'server "s1.lantern.example.org", roles: %w[app web db]\nset :rails_env, "staging"\n',
};
const API_UNIT = "[Unit]\nDescription=<%= fetch(:application) %> api\n\n[Service]\nWorkingDirectory=<%= current_path %>\nExecStart=/bin/bash -lc 'exec bundle exec puma -C config/puma.rb'\n";
const SIDEKIQ_YML = ":concurrency: 6\n:queues:\n  - default\n  - mail\n";

const placeholder = "[Unit]\nDescription=<%= fetch(:application) %> jobs (moved elsewhere)\n\n[Service]\nType=simple\nEnvironment=RAILS_ENV=<%= fetch(:rails_env) %>\nWorkingDirectory=<%= current_path %>\nExecStart=/bin/true\nTimeoutSec=15\n";

const running = `[Unit]
Description=<%= fetch(:application) %> jobs

[Service]
Type=simple
WorkingDirectory=<%= current_path %>
ExecStart=/bin/bash -lc 'exec bundle exec sidekiq -C <%= current_path %>/config/sidekiq.yml -q mail -q default -c 4'
ExecStop=/bin/kill -TSTP $MAINPID
TimeoutStopSec=<%= fetch(:jobs_drain) %>
KillSignal=SIGTERM

[Install]
WantedBy=multi-user.target
`;

/** The template rendered by real ERB with Capistrano's fetch/current_path standing in, as the plugin's binding answers them. */
function realRender(template: string, vars: Record<string, string>, deployTo: string): string {
  const dir = mkdtempSync(join(tmpdir(), "multiservice-"));
  writeFileSync(join(dir, "t.erb"), template);
  const defs = `V = ${JSON.stringify(vars)}; def fetch(k); V.fetch(k.to_sym); end; def current_path; ${JSON.stringify(deployTo + "/current")}; end`;
  // The gem renders with `ERB.new(File.read(src), nil, 2)` (system_service.rb `setup`): legacy trim
  // mode 2 is "<>" (a line that starts with <% and ends with %> loses its newline); `-` is not on.
  const r = spawnSync("ruby", ["-rerb", "-e", `${defs}; print ERB.new(File.read(ARGV[0]), trim_mode: "<>").result(binding)`, join(dir, "t.erb")], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe("capistrano-systemd-multiservice: the repo's unit templates are what the servers ran", () => {
  it("a sidekiq unit whose ExecStart is /bin/true: no Sidekiq worker, named at the unit's line", async () => {
    const m = await analyzeFiles(
      pluginApp(DEPLOY, STAGES, { "config/systemd/sidekiq.service.erb": placeholder, "config/systemd/api.service.erb": API_UNIT, "config/sidekiq.yml": SIDEKIQ_YML }, { sidekiq: "7.2.4" }, CAPFILE),
      "lantern",
    );
    expect(realRender(placeholder, { application: "lantern", rails_env: "staging" }, "/srv/lantern")).toContain("\nExecStart=/bin/true\n");
    const sk = m.workers!.filter((w) => w.backend === "sidekiq");
    expect(sk).toHaveLength(1);
    expect(sk[0]!.carried).toBe(false);
    expect(sk[0]!.notStarted).toBe(true);
    expect(sk[0]!.why).toContain("config/systemd/sidekiq.service.erb:8");
    const p = m.problems.find((x) => x.message.startsWith("systemd-multiservice.not-a-backend:"));
    expect(p && `${p.file}:${p.line}`).toBe("config/systemd/sidekiq.service.erb:8");
    expect(p!.message).toContain("stages production, staging");
    expect(m.gaps.some((g) => g.id === "resources.worker")).toBe(false);
    const { stages } = emitAndBuild(m);
    for (const docs of Object.values(stages)) expect(docs.some((d) => (d as { kind?: string }).kind === "Deployment" && /worker/.test((d as { metadata: { name: string } }).metadata.name))).toBe(false);
  });

  it("a Procfile line that runs Sidekiq still starts it: the worker stays, the placeholder unit is still named", async () => {
    const m = await analyzeFiles(
      pluginApp(DEPLOY, STAGES, { "config/systemd/sidekiq.service.erb": placeholder, "config/sidekiq.yml": SIDEKIQ_YML, Procfile: "web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq -C config/sidekiq.yml\n" }, { sidekiq: "7.2.4" }, CAPFILE),
      "lantern",
    );
    expect(m.workers!.find((w) => w.backend === "sidekiq")!.carried).toBe(true);
    expect(m.problems.some((x) => x.message.startsWith("systemd-multiservice.not-a-backend:") && x.file === "config/systemd/sidekiq.service.erb" && x.line === 8)).toBe(true);
  });

  it("a sidekiq unit that runs Sidekiq: its rendered ExecStart is the command, its role the roles, TimeoutStopSec the drain", async () => {
    const stages = { ...STAGES, production: STAGES.production + "set :jobs_drain, 45\nset :systemd_sidekiq_role, :db\n", staging: STAGES.staging + "set :jobs_drain, 45\nset :systemd_sidekiq_role, :db\n" };
    const m = await analyzeFiles(pluginApp(DEPLOY, stages, { "config/systemd/sidekiq.service.erb": running, "config/sidekiq.yml": SIDEKIQ_YML }, { sidekiq: "7.2.4" }, CAPFILE), "lantern");
    const out = realRender(running, { application: "lantern", jobs_drain: "45" }, "/srv/lantern");
    const exec = /\nExecStart=(.*)\n/.exec(out)![1]!;
    expect(exec).toBe("/bin/bash -lc 'exec bundle exec sidekiq -C /srv/lantern/current/config/sidekiq.yml -q mail -q default -c 4'");
    expect(/\nTimeoutStopSec=(.*)\n/.exec(out)![1]).toBe("45");
    const w = m.workers!.find((x) => x.backend === "sidekiq")!;
    expect(w.carried).toBe(true);
    expect(w.commandFrom).toBe("service");
    // The words inside the wrapper, as real ERB rendered them (the release path mapped to the repo's file by commandOf).
    // Exactly: the servers' release path (/srv/lantern/current/…) must not be left in the pod.
    expect(w.args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "-q", "mail", "-q", "default", "-c", "4"]);
    expect(w.queues).toEqual(["mail", "default"]);
    expect(w.roles).toEqual(["db"]);
    expect(w.stopTimeout).toEqual({ seconds: 45, source: { file: "config/systemd/sidekiq.service.erb", line: 9 } });
  });

  it("a sidekiq@.service template with four instances on two app servers: eight processes, in the built overlay", async () => {
    requireKubectl();
    // One unit per instance: the gem restarts sidekiq@0 … sidekiq@3 on each server of its role
    // (system_service.rb: the template's name with `@<i>.service` for each of systemd_<svc>_instances).
    const template = running.replace("Description=<%= fetch(:application) %> jobs", "Description=<%= fetch(:application) %> jobs, slot %i");
    const deploy = DEPLOY + "set :systemd_sidekiq_instances, [0, 1, 2, 3]\nset :jobs_drain, 30\n";
    const m = await analyzeFiles(pluginApp(deploy, STAGES, { "config/systemd/sidekiq@.service.erb": template, "config/sidekiq.yml": SIDEKIQ_YML }, { sidekiq: "7.2.4" }, CAPFILE), "lantern");
    const out = realRender(template, { application: "lantern", jobs_drain: "30" }, "/srv/lantern");
    expect(out).toContain("Description=lantern jobs, slot %i\n");
    const w = m.workers!.find((x) => x.backend === "sidekiq")!;
    expect(w.carried).toBe(true);
    expect(w.args).toEqual(["bundle", "exec", "sidekiq", "-C", "config/sidekiq.yml", "-q", "mail", "-q", "default", "-c", "4"]);
    expect(m.problems.some((p) => p.message.startsWith("systemd-multiservice.instances-unknown:"))).toBe(false);
    const { stages } = emitAndBuild(m);
    // production: p1 and p2 have :app (the gem's default role), 4 instances each; staging: s1 only.
    const replicas = (st: string) => (find(stages[st]!, "Deployment", "-worker") as { spec: { replicas: number } }).spec.replicas;
    expect(replicas("production")).toBe(8);
    expect(replicas("staging")).toBe(4);
  });

  it("instances the analysis cannot count: named at the set line, not guessed", async () => {
    const deploy = DEPLOY + "set :systemd_sidekiq_instances, -> { (0...fetch(:job_slots)).to_a }\nset :jobs_drain, 30\n";
    const m = await analyzeFiles(pluginApp(deploy, STAGES, { "config/systemd/sidekiq@.service.erb": running, "config/sidekiq.yml": SIDEKIQ_YML }, { sidekiq: "7.2.4" }, CAPFILE), "lantern");
    const p = m.problems.find((x) => x.message.startsWith("systemd-multiservice.instances-unknown:"));
    expect(p?.message).toContain("not a literal list");
    expect(p && `${p.file}:${p.line}`).toBe("config/deploy.rb:6");
  });

  it("systemd time spans", () => {
    expect(systemdSeconds("30")).toBe(30);
    expect(systemdSeconds("1min 30s")).toBe(90);
    expect(systemdSeconds("2m")).toBe(120);
    expect(systemdSeconds("infinity")).toBe(null);
  });
});
