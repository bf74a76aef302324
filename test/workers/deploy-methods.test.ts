// Units the deploy restarts through a method of its own, called with literal names: each call is
// one unit, on the roles around the call (`primary(:role)`: one server). With the unit files in the
// repo each becomes a worker with its own command and queue; without them each is named.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { pluginApp } from "./app.js";

const DEPLOY = `
def bounce(unit)
  if test("systemctl --quiet is-active #{unit}")
    execute :sudo, "systemctl reload #{unit}"
  else
    execute :sudo, "systemctl start #{unit}"
  end
end

namespace :deploy do
  task :bounce_units do
    on roles(:app) do
      bounce("ledger-puma")
    end
    on roles(:worker) do
      bounce("ledger-reports")
    end
    on primary(:worker) do
      bounce("ledger-housekeeping")
    end
  end
end
after "deploy:published", "deploy:bounce_units"
`;

const UNITS = {
  "config/systemd/ledger-reports.service": "[Unit]\nDescription=report jobs\n\n[Service]\nEnvironment=RAILS_ENV=production QUEUES=reports\nExecStart=/bin/bash -lc 'bundle exec rake jobs:work'\nRestart=always\n",
  "config/systemd/ledger-housekeeping.service": '[Service]\nEnvironment="QUEUE=housekeeping"\nExecStart=/usr/bin/env bundle exec rake jobs:work\n',
};

const app = (extra: Record<string, string>) =>
  analyzeFiles(
    pluginApp(
      DEPLOY,
      {
        production: `server "a1.ledger.example.org", roles: %w[web app db]\nserver "w1.ledger.example.org", roles: %w[worker]\nserver "w2.ledger.example.org", roles: %w[worker]\nserver "w3.ledger.example.org", roles: %w[worker]\nset :rails_env, "production"\n`,
      },
      extra,
      { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" },
      "",
    ),
    "ledger",
  );

let without: AppModel;
let withUnits: AppModel;
beforeAll(async () => {
  requireKubectl();
  without = await app({});
  withUnits = await app(UNITS);
});
afterAll(removeTrees);

describe("units restarted through the deploy's own method", () => {
  it("without their files: each unit is named at its call, with its roles; no 'named through a variable' line", () => {
    const u = without.uncarried ?? [];
    expect(u.some((x) => /variable/.test(x.why))).toBe(false);
    const reports = u.find((x) => x.name === "ledger-reports")!;
    expect(reports.source).toEqual({ file: "config/deploy.rb", line: 18 });
    expect(reports.why).toMatch(/through `bounce`.*roles\(:worker\)/);
    // The delayed_job worker carried with the standard command runs on that role: said, to compare queues.
    expect(reports.why).toMatch(/worker-delayed-job \(`bundle exec rake jobs:work`.*same :worker role/);
    const hk = u.find((x) => x.name === "ledger-housekeeping")!;
    expect(hk.source.line).toBe(21);
    expect(hk.why).toMatch(/primary\(:worker\): one server only/);
    // The web unit is the web Deployment's.
    expect(u.some((x) => x.name === "ledger-puma")).toBe(false);
  });

  it("with their files: one worker per unit, its own command and queue, on its call's roles", () => {
    const ws = withUnits.workers!.filter((w) => w.backend === "delayed-job");
    expect(ws.map((w) => w.name).sort()).toEqual(["worker-delayed-job-ledger-housekeeping", "worker-delayed-job-ledger-reports"]);
    const reports = ws.find((w) => w.name.endsWith("reports"))!;
    expect(reports.args).toEqual(["bundle", "exec", "rake", "jobs:work"]);
    expect(reports.env).toEqual({ QUEUES: "reports" });
    expect(reports.queues).toEqual(["reports"]);
    expect(reports.roles).toEqual(["worker"]);
    expect(reports.primaryOnly).toBeUndefined();
    const hk = ws.find((w) => w.name.endsWith("housekeeping"))!;
    expect(hk.queues).toEqual(["housekeeping"]);
    expect(hk.primaryOnly?.role).toBe("worker");
  });

  it("replicas: every worker server for the :worker unit, one for the primary(:worker) one", () => {
    const { stages } = emitAndBuild(withUnits);
    expect(find(stages["production"]!, "Deployment", "-worker-delayed-job-ledger-reports").spec.replicas).toBe(3);
    expect(find(stages["production"]!, "Deployment", "-worker-delayed-job-ledger-housekeeping").spec.replicas).toBe(1);
  });
});

describe("a unit left on the servers is named stage by stage, on the servers its call ran on", () => {
  it("roles(:worker): every worker server of each stage; primary(:worker): the primary-flagged one, else the first", async () => {
    const m = await analyzeFiles(
      pluginApp(
        DEPLOY,
        {
          production: `server "a1.ledger.example.org", roles: %w[web app db]\nserver "w1.ledger.example.org", roles: %w[worker]\nserver "w2.ledger.example.org", roles: %w[worker]\nset :rails_env, "production"\n`,
          staging: `server "s1.ledger.example.org", roles: %w[web app db]\nserver "sq1.ledger.example.org", roles: %w[worker]\nserver "sq2.ledger.example.org", roles: %w[worker], primary: true\nset :rails_env, "staging"\n`,
          demo: `server "d1.ledger.example.org", roles: %w[web app db]\nset :rails_env, "production"\n`,
        },
        {},
        { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" },
        "",
      ),
      "ledger",
    );
    const u = m.uncarried ?? [];
    expect(u.find((x) => x.name === "ledger-reports")!.why).toContain("[stage demo: no server with the role, not run; stage production: w1.ledger.example.org, w2.ledger.example.org; stage staging: sq1.ledger.example.org, sq2.ledger.example.org]");
    expect(u.find((x) => x.name === "ledger-housekeeping")!.why).toContain("[stage demo: no server with the role, not run; stage production: w1.ledger.example.org; stage staging: sq2.ledger.example.org]");
  });

  it("a stage whose servers are not all read (a loop over ENV): never 'not run', the servers are said to be not all known", async () => {
    const m = await analyzeFiles(
      pluginApp(
        DEPLOY,
        {
          production: `server "a1.ledger.example.org", roles: %w[web app db]\nArray(ENV["WORKER_HOSTS"]).each { |h| server h, roles: %w[worker] }\nset :rails_env, "production"\n`,
          staging: `server "s1.ledger.example.org", roles: %w[web app db]\nserver "sq1.ledger.example.org", roles: %w[worker]\nArray(ENV["MORE"]).each { |h| server h, roles: %w[worker] }\nset :rails_env, "staging"\n`,
        },
        {},
        { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" },
        "",
      ),
      "ledger",
    );
    const why = m.uncarried!.find((x) => x.name === "ledger-reports")!.why;
    expect(why).not.toContain("not run");
    expect(why).toContain("[stage production: servers not all known (config/deploy/production.rb:2 declares servers the analysis does not read); stage staging: sq1.ledger.example.org, and servers not all known (config/deploy/staging.rb:3 declares servers the analysis does not read)]");
  });

  it("`service delayed_job restart` in on roles(:app): the worker runs the standard command, and the restart line says that is a default", async () => {
    const m = await analyzeFiles(
      pluginApp(
        `namespace :deploy do\n  task :bounce do\n    on roles(:app) do\n      execute :sudo, "service delayed_job restart"\n    end\n  end\nend\nafter "deploy:published", "deploy:bounce"\n`,
        { production: `server "a1.ledger.example.org", roles: %w[web app db]\nserver "a2.ledger.example.org", roles: %w[app]\nset :rails_env, "production"\n` },
        {},
        { delayed_job: "4.1.11", delayed_job_active_record: "4.1.8" },
        "",
      ),
      "ledger",
    );
    const w = m.workers!.find((x) => x.backend === "delayed-job")!;
    expect([w.commandFrom, w.args, w.roles]).toEqual(["standard", ["bundle", "exec", "rake", "jobs:work"], ["app"]]);
    expect(m.problems).toContainEqual(
      expect.objectContaining({
        file: "config/deploy.rb",
        line: 6,
        severity: "warning",
        message: expect.stringMatching(/the deploy restarts the unit `delayed_job` on roles\(:app\), whose ExecStart \(or init script\) is on the servers, not in the repo: the worker runs .*standard command `bundle exec rake jobs:work` \(the backend's default, not what the unit ran/),
      }),
    );
  });
});
