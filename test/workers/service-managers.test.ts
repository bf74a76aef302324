// src/model/service-managers.ts is the one reader of the servers' service managers. These tests hold it to
// the patterns it replaced (kept here as the reference): the same files and the same restarted units
// on every fixture path and on a table of deploy lines; the only difference is the union of the two
// near-twin file patterns (a `.socket` unit for the worker reader, a nested monit/god folder for the
// app server evidence), stated below.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SERVICE_FILE, SERVICE_TEMPLATE_CONF, SERVICE_MANAGERS, INIT_SYSTEMS, startedUnits, SERVICE_START_ANY } from "../../src/model/service-managers.js";
import { serverOnlyProgram } from "../../emitters/kustomize/rules/cron-server-only.js";

const OLD_WORKERS = /(^|\/)(systemd|monit|god|upstart|init\.d)(\/|$)|\.(service|monitrc|god)(\.erb)?$|^(lib\/capistrano\/templates|config\/deploy\/templates|script|config\/upstart)\/[^/]+\.conf(\.erb)?$/;
const OLD_STARTED = /(?:^|\/)[^/]*\.(?:service|socket)(?:\.erb)?$|(?:^|\/)(?:init\.d|upstart|systemd|monit|god)\/[^/]+$|\.(?:monitrc|god)(?:\.erb)?$/;
const OLD_SYSTEMCTL = /\bsystemctl\s+(?:--user\s+)?(?:start|restart|reload|reload-or-restart|try-restart|enable\s+--now)\s+([\w@.\s-]+)/;
const OLD_SERVICE = /\bservice\s+([\w.-]+)\s+(?:start|restart|reload)\b/;
const OLD_INITCTL = /\binitctl\s+(?:start|restart)\s+([\w.-]+)/;
const OLD_ANY = /\b(systemctl\s+(--user\s+)?(start|restart|reload|try-restart)|service\s+\S+\s+(start|restart)|initctl\s+(start|restart))\b/;

const oldUnits = (text: string): string[] => {
  const units: string[] = [];
  const sc = OLD_SYSTEMCTL.exec(text);
  if (sc) units.push(...sc[1]!.trim().split(/\s+/).filter((u) => !/^-/.test(u) && !/^(do|end|if|then|and|or)$/.test(u)));
  for (const re of [OLD_SERVICE, OLD_INITCTL]) {
    const m = re.exec(text);
    if (m) units.push(m[1]!);
  }
  return units;
};

const fixturePaths = (): string[] => {
  const root = join(import.meta.dirname, "../../fixtures/apps");
  return execFileSync("find", [".", "-type", "f"], { cwd: root, encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map((p) => p.replace(/^\.\/[^/]+\//, ""));
};

const TABLE = [
  "config/systemd/sidekiq.service",
  "config/deploy/templates/puma.service.erb",
  "lib/capistrano/templates/sidekiq_upstart.conf.erb",
  "script/worker.god",
  "config/god/resque.god",
  "config/monit/sidekiq",
  "config/upstart/app.conf",
  "etc/init.d/unicorn",
  "config/puma.service.socket",
  "config/nginx.conf",
  "config/deploy.rb",
  "script/delayed_job",
  "lib/tasks/god.rake",
];

describe("one reader of the service managers", () => {
  it("service files: the workers' reader and the app server evidence see what they saw before", () => {
    for (const p of [...fixturePaths(), ...TABLE]) {
      expect([p, SERVICE_FILE.test(p) || SERVICE_TEMPLATE_CONF.test(p)]).toEqual([p, OLD_WORKERS.test(p) || OLD_STARTED.test(p)]);
      if (!/\.socket$|\/(monit|god|systemd|upstart|init\.d)\/.+\//.test(p)) expect([p, SERVICE_FILE.test(p)]).toEqual([p, OLD_STARTED.test(p) || (OLD_WORKERS.test(p) && !SERVICE_TEMPLATE_CONF.test(p))]);
    }
    // The union of the twins: a socket unit, a monit folder nested one deeper.
    expect(SERVICE_FILE.test("config/puma.socket")).toBe(true);
    expect(SERVICE_FILE.test("deploy/monit/conf.d/sidekiq")).toBe(true);
  });

  it("restarted units: the same units from the same deploy lines", () => {
    const lines = [
      "sudo systemctl restart sidekiq-production puma",
      "execute :sudo, :systemctl, :restart, :sidekiq",
      "systemctl --user reload-or-restart app-web.service",
      "systemctl enable --now shop-worker",
      "sudo service unicorn_shop restart",
      "service nginx reload",
      "sudo initctl restart workers",
      "initctl start shop-jobs",
      "systemctl status puma",
      "service shop status",
      "run 'god restart workers'",
    ].map((l) => l.replace(/[:'",()]/g, " ").replace(/\s+/g, " "));
    for (const l of lines) expect([l, startedUnits(l)]).toEqual([l, oldUnits(l)]);
  });

  it("a restart through a variable: the verbs the named units have", () => {
    for (const l of ["systemctl restart #{fetch x }", "sudo systemctl --user try-restart #{unit}", "service #{name} restart", "initctl start #{job}", "systemctl status #{x}", "service #{x} status"])
      expect([l, SERVICE_START_ANY.test(l)]).toEqual([l, OLD_ANY.test(l)]);
  });

  it("server programs in cron lines: the same reasons", () => {
    expect([...SERVICE_MANAGERS].sort()).toEqual(["god", "initctl", "monit", "service", "systemctl"]);
    expect(INIT_SYSTEMS).toEqual(["systemctl", "service", "initctl"]);
    expect(serverOnlyProgram("sudo systemctl restart sidekiq")).toBe("sudo");
    expect(serverOnlyProgram("systemctl restart sidekiq")).toBe("systemctl");
    expect(serverOnlyProgram("monit restart all")).toBe("monit");
    expect(serverOnlyProgram("god start -c /opt/app/current/config/w.god")).toBe("/opt/app/current/config/w.god");
    expect(serverOnlyProgram("bundle exec rake x")).toBeNull();
  });
});
