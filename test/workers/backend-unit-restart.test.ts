// A unit named for a job backend with the app's name around it (`ledger-sneakers`, `sneakers_ledger`)
// that the deploy's hooked task restarts: its file is on the servers, not in the repo, so what it ran
// (its WORKERS, its process count) is not known. The worker runs on the task's roles with the
// backend's standard command, and a warning at the restart line says so, as for a bare `inst_jobs`
// unit. A restart in a task no hook runs places nothing. The app ("ledger", hosts under
// ledger.example.net) is this test's own.
import { beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import { pluginApp } from "./app.js";

beforeAll(async () => {
  await initPrism();
});

const STAGES = {
  production: 'server "web1.ledger.example.net", roles: %w[web app db]\nserver "mq1.ledger.example.net", roles: %w[consumers]\nserver "mq2.ledger.example.net", roles: %w[consumers]\nserver "w1.ledger.example.net", roles: %w[worker]\nset :rails_env, "production"\n',
};
const deploy = (unit: string, hook: boolean) => `set :deploy_to, "/srv/ledger"
namespace :sneakers do
  task :restart do
    on roles(:consumers) do
      execute :sudo, :systemctl, :restart, "${unit}"
    end
  end
end
${hook ? 'after "deploy:published", "sneakers:restart"\n' : ""}`;
const INIT = { "config/initializers/rabbit.rb": 'require "sneakers"\nSneakers.configure(amqp: ENV["LEDGER_AMQP_URL"])\n' };
const analyze = (unit: string, hook = true, extra: Record<string, string> = {}) => analyzeFiles(pluginApp(deploy(unit, hook), STAGES, { ...INIT, ...extra }, { sneakers: "2.12.0" }, ""), "ledger");
const offRepo = (m: { problems: { file: string; line: number; message: string }[] }) => m.problems.filter((p) => /whose ExecStart \(or init script\) is on the servers, not in the repo/.test(p.message));

describe("a backend-named unit of the app that the deploy restarts", () => {
  for (const unit of ["ledger-sneakers", "sneakers_ledger", "ledger-sneakers.service"])
    it(`${unit}: the off-repo warning at the restart line, the task's roles, one pod per server of them`, async () => {
      const m = await analyze(unit);
      const w = m.workers!.find((x) => x.backend === "sneakers")!;
      expect(w).toMatchObject({ carried: true, commandFrom: "standard", args: ["bundle", "exec", "rake", "sneakers:run"], roles: ["consumers"] });
      expect(w.rolesGuessed).toBeUndefined();
      const warned = offRepo(m);
      expect(warned.map((p) => `${p.file}:${p.line}`)).toEqual(["config/deploy.rb:7"]);
      expect(warned[0]!.message).toContain(`Sneakers: the deploy restarts the unit \`${unit.replace(/\.service$/, "")}\` on roles(:consumers)`);
      const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
      expect(spec.stages.map((s) => s.replicas)).toEqual([2]);
    });

  it("a restart in a task no hook runs: no placement and no warning (the usual roles, said as guessed)", async () => {
    const m = await analyze("ledger-sneakers", false);
    const w = m.workers!.find((x) => x.backend === "sneakers")!;
    expect(offRepo(m)).toEqual([]);
    expect(w.roles).not.toEqual(["consumers"]);
  });

  it("a unit whose name only contains the word inside another (`ledgersneakers`): not read as the backend's", async () => {
    const m = await analyze("ledgersneakers");
    expect(offRepo(m)).toEqual([]);
  });

  it("the repo holds the unit file: nothing says it is only on the servers", async () => {
    const m = await analyze("ledger-sneakers", true, { "config/systemd/ledger-sneakers.service": "[Service]\nExecStart=/srv/ledger/current/bin/consumers\n" });
    expect(offRepo(m)).toEqual([]);
  });
});
