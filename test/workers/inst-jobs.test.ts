// inst-jobs (Instructure's delayed_job fork) gets a worker of its own: its executable in the
// foreground, drained by QUIT as the gem's pool does (backends.ts cites the gem's files). The app,
// its deploy task and its Procfile are written for this test.
import { describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { workerSpecs } from "../../emitters/kustomize/worker-deployment.js";
import { pluginApp } from "./app.js";

const STAGE = {
  production: 'server "a1.tally.example.org", roles: %w[web app db]\nserver "q1.tally.example.org", roles: %w[queue app]\nserver "q2.tally.example.org", roles: %w[queue app]\nset :rails_env, "production"\n',
};
const TASK = `namespace :deploy do
  task :bounce do
    on roles(:queue) do
      execute "sudo service inst_jobs restart"
    end
  end
end
after "deploy:publishing", "deploy:bounce"
`;

describe("inst-jobs", () => {
  it("a unit named inst_jobs the deploy restarts on a role: the gem's run command, on that role's servers, QUIT to drain", async () => {
    const m = await analyzeFiles(pluginApp("", STAGE, { "lib/capistrano/tasks/bounce.rake": TASK }, { "inst-jobs": "3.1.18.1" }, 'Dir.glob("lib/capistrano/tasks/*.rake").each { |r| import r }\n'), "tally");
    const w = m.workers!.find((x) => x.backend === "inst-jobs")!;
    expect(w).toMatchObject({ carried: true, args: ["bundle", "exec", "inst_jobs", "run"], commandFrom: "standard", roles: ["queue"], stopSignal: "QUIT", stopTimeout: { seconds: 22, source: null } });
    expect(w.evidence.map((e) => e.value)).toContain("the deploy restarts inst_jobs on roles(:queue); its unit file is on the servers, not in the repo");
    expect(m.uncarried ?? []).not.toContainEqual(expect.objectContaining({ name: "inst_jobs" }));
    const spec = workerSpecs(makePlan(m, {})).find((s) => s.facts === w)!;
    expect(spec.stages.map((s) => s.replicas)).toEqual([2]);
  });

  it("a Procfile line running inst_jobs is the command", async () => {
    const m = await analyzeFiles(pluginApp("", STAGE, { Procfile: "web: bundle exec puma\njobs: bundle exec inst_jobs run --no-tail\n" }, { "inst-jobs": "3.1.18.1" }, ""), "tally");
    const w = m.workers!.find((x) => x.backend === "inst-jobs")!;
    expect(w).toMatchObject({ carried: true, args: ["bundle", "exec", "inst_jobs", "run", "--no-tail"], commandFrom: "procfile" });
  });
});
