// Sneakers as capistrano-sneakers started it: `WORKERS=<:sneakers_workers> rake sneakers:run` on the
// :sneakers_role servers (default :app), :sneakers_processes times each; and an app whose
// Sneakers.configure daemonizes (the plugin's start returned because of it), which in a pod would
// leave the container's main process to exit at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { pluginApp } from "./app.js";

const GEMS = { sneakers: "2.11.0", "capistrano-sneakers": "1.2.0" };
const INIT = [
  'Sneakers.configure(',
  '  amqp: ENV["AMQP_URL"],',
  '  daemonize: !Rails.env.development?,',
  '  workers: 2',
  ')',
  "",
].join("\n");

const app = (production: string, staging: string, init = INIT, deploy = "set :sneakers_role, :consumers\n", gems: Record<string, string> = GEMS) =>
  analyzeFiles(
    pluginApp(
      deploy,
      {
        production: `server "m1.parcel.example.org", roles: %w[web app db]\nserver "m2.parcel.example.org", roles: %w[app]\nset :rails_env, "production"\n${production}`,
        staging: `server "s1.parcel.example.org", roles: %w[web app db]\nset :rails_env, "staging"\n${staging}`,
      },
      { "config/initializers/rabbit.rb": init },
      gems,
      'require "capistrano/sneakers"\n',
    ),
    "parcel",
  );

let m: AppModel;
beforeAll(async () => {
  requireKubectl();
  m = await app('set :sneakers_workers, ["Inbound::Orders", "Inbound::Refunds"]\nset :sneakers_processes, 2\n', 'set :sneakers_workers, %w[Inbound::Orders Inbound::Refunds]\n');
});
afterAll(removeTrees);

describe("capistrano-sneakers", () => {
  it("WORKERS is the plugin's :sneakers_workers, on its default :app role (1.2.0 reads :sneakers_roles; :sneakers_role is not its name)", () => {
    const w = m.workers!.find((x) => x.backend === "sneakers")!;
    expect(w.args).toEqual(["bundle", "exec", "rake", "sneakers:run"]);
    expect(w.env).toEqual({ WORKERS: "Inbound::Orders,Inbound::Refunds" });
    expect(w.roles).toEqual(["app"]);
    expect(w.carried).toBe(true);
  });

  it("Deployments: WORKERS set, replicas = app servers × :sneakers_processes", () => {
    const { stages } = emitAndBuild(m);
    const prod = find(stages["production"]!, "Deployment", "-worker-sneakers");
    expect(prod.spec.template.spec.containers[0].env).toContainEqual({ name: "WORKERS", value: "Inbound::Orders,Inbound::Refunds" });
    expect(prod.spec.replicas).toBe(4);
    expect(find(stages["staging"]!, "Deployment", "-worker-sneakers").spec.replicas).toBe(1);
  });

  it("a daemonizing Sneakers.configure is a warning naming its line", () => {
    const d = m.problems.filter((p) => /daemonize/.test(p.message));
    expect(d.map((p) => `${p.file}:${p.line}`)).toEqual(["config/initializers/rabbit.rb:3"]);
  });

  it("daemonize: false says nothing", async () => {
    const quiet = await app('set :sneakers_workers, ["A"]\n', 'set :sneakers_workers, ["A"]\n', INIT.replace("!Rails.env.development?", "false"));
    expect(quiet.problems.filter((p) => /daemonize/.test(p.message))).toEqual([]);
  });

  it("log to a file and a pid file outside tmp/ and log/ are named warnings with their lines; STDOUT and tmp/pids are not", async () => {
    // Written without parentheses, options over lines, one of them an ENV read, one a lambda hook.
    const init = [
      "require 'sneakers'",
      "Sneakers.configure amqp: ENV['CLOUDAMQP_URL'],",
      "                   daemonize: true,",
      "                   log: 'log/sneakers.log', # the servers' logrotate picked it up",
      "                   pid_path: ENV.fetch('SNEAKERS_PID', 'sneakers.pid'),",
      "                   hooks: { after_fork: -> { ActiveRecord::Base.establish_connection } },",
      "                   workers: 3",
      "Sneakers.logger.level = Logger::WARN",
      "Tracker.configure log: 'log/tracker.log'",
      "",
    ].join("\n");
    const x = await app(W, W, init);
    const named = (id: string) => x.problems.filter((p) => p.message.startsWith(`${id}:`)).map((p) => `${p.file}:${p.line}`);
    expect(named("sneakers.daemonize")).toEqual(["config/initializers/rabbit.rb:3"]);
    expect(named("sneakers.log-file")).toEqual(["config/initializers/rabbit.rb:4"]);
    expect(named("sneakers.pid-path")).toEqual(["config/initializers/rabbit.rb:5"]);
    const fine = await app(W, W, "Sneakers.configure(\n  log: STDOUT,\n  pid_path: 'tmp/pids/sneakers.pid',\n  daemonize: false\n)\n");
    expect(fine.problems.filter((p) => /^sneakers\./.test(p.message))).toEqual([]);
    const logger = await app(W, W, "Sneakers.configure(log: Logger.new($stdout), pid_path: '/var/run/app/sneakers.pid')\n");
    expect(logger.problems.filter((p) => /^sneakers\./.test(p.message)).map((p) => p.message.split(":")[0])).toEqual(["sneakers.pid-path"]);
  });

  it("the warnings quote the option alone, never the rest of the line (Bunny's `pass:` sits beside it)", async () => {
    const x = await app(W, W, 'Sneakers.configure(amqp: "amqp://mq.internal", user: "orders", pass: "bunnyhop42", log: "log/sneakers.log", daemonize: true, pid_path: "/var/run/sneakers.pid")\n');
    const said = x.problems.filter((p) => /^sneakers\./.test(p.message));
    expect(said.map((p) => p.message.split(":")[0]).sort()).toEqual(["sneakers.daemonize", "sneakers.log-file", "sneakers.pid-path"]);
    expect(said.map((p) => /\(`([^`]*)`\)/.exec(p.message)?.[1]).sort()).toEqual(["daemonize: true", 'log: "log/sneakers.log"', 'pid_path: "/var/run/sneakers.pid"']);
    for (const p of said) expect(p.message).not.toMatch(/bunnyhop42/);
  });

  it("classes that differ between stages: no WORKERS, and a warning that says so", async () => {
    const split = await app('set :sneakers_workers, ["A"]\n', 'set :sneakers_workers, ["B"]\n');
    expect(split.workers!.find((x) => x.backend === "sneakers")!.env).toEqual({});
    expect(split.problems.some((p) => /sneakers_workers differs between stages \(production: A; staging: B\)/.test(p.message))).toBe(true);
  });

  const W = 'set :sneakers_workers, ["A"]\n';
  const roles = (x: AppModel) => x.workers!.find((w) => w.backend === "sneakers")!.roles;
  it("the roles variable is the one the locked plugin version reads: :sneakers_roles from 0.1.0, :sneakers_role in 0.0.x", async () => {
    expect(roles(await app(W, W, INIT, "set :sneakers_roles, :consumers\n"))).toEqual(["consumers"]);
    const old = { ...GEMS, "capistrano-sneakers": "0.0.2" };
    expect(roles(await app(W, W, INIT, "set :sneakers_roles, :consumers\n", old))).toEqual(["app"]);
    expect(roles(await app(W, W, INIT, "set :sneakers_role, :consumers\n", old))).toEqual(["consumers"]);
  });

  it("no locked version: both names are read, and a disagreement is a warning naming both lines", async () => {
    const x = await app(W, W, INIT, "set :sneakers_role, :app\nset :sneakers_roles, :consumers\n", { sneakers: "2.11.0" });
    expect(roles(x)).toEqual(["consumers"]);
    expect(x.problems.filter((p) => /:sneakers_roles \(consumers\) and :sneakers_role \(app, config\/deploy\.rb:3\) differ/.test(p.message)).map((p) => `${p.file}:${p.line}`)).toEqual(["config/deploy.rb:4"]);
  });

  it(":sneakers_run_config false: the plugin's start ran no rake sneakers:run, said with the line", async () => {
    const x = await app(W + "set :sneakers_run_config, false\n", W);
    expect(x.problems.filter((p) => /sneakers_run_config false/.test(p.message)).map((p) => `${p.file}:${p.line} ${p.message}`)).toEqual([expect.stringMatching(/^config\/deploy\/production\.rb:5 .*1\.2\.0 starts nothing then/)]);
  });
});

