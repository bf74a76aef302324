// One Sidekiq unit file in the repo that names one stage (its file name `sidekiq-production.service`, or
// its `-e production`) is that stage's: never summed into every stage, and the stages the repo gives no
// unit are named. A stage whose deploy's hooked task restarts that very unit on its servers ran it (a
// missing unit fails `systemctl restart`, aborting the deploy): counted there, the doubt named.
// A start line's literal `-e` that no stage running it has as its rails_env is said (the pod leaves it out
// and runs with its stage's RAILS_ENV), as a Procfile's RAILS_ENV=x is (pinned-env.ts).
// The app ("larch", hosts under fen.example.org) is this test's own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import type { AppModel } from "../../src/model.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { pluginApp } from "./app.js";

beforeAll(async () => {
  requireKubectl();
  await initPrism();
});
afterAll(() => removeTrees());

const STAGES = {
  production: 'server "jobs1.fen.example.org", roles: %w[web app db]\nserver "jobs2.fen.example.org", roles: %w[app]\nset :deploy_to, "/srv/larch"\n',
  staging: 'server "stage1.fen.example.org", roles: %w[web app db]\nset :deploy_to, "/srv/larch"\nset :rails_env, "staging"\n',
};
const unit = (cmd: string) => `[Unit]\nDescription=job runner\n[Service]\nExecStart=/bin/bash -lc 'cd /srv/larch/current && bundle exec ${cmd}'\nRestart=on-failure\n[Install]\nWantedBy=multi-user.target\n`;
const RESTART = (name: string) => `namespace :jobs do\n  task :bounce do\n    on roles(:app) do\n      execute :sudo, :systemctl, :restart, "${name.replace(/\.service$/, "")}"\n    end\n  end\nend\nafter "deploy:published", "jobs:bounce"\n`;
const analyzeUnit = (name: string, cmd: string) => analyzeFiles(pluginApp(RESTART(name), STAGES, { "config/sidekiq.yml": ":concurrency: 4\n:queues:\n  - default\n", [`config/systemd/${name}`]: unit(cmd) }, { sidekiq: "6.4.1" }, ""), "larch");
const counts = (app: AppModel) => app.workers.filter((w) => w.backend === "sidekiq").map((w) => Object.fromEntries(Object.entries(w.perStage ?? {}).map(([s, v]) => [s, v.processes])));

describe("a single Sidekiq unit file that names one stage", () => {
  it.each([
    ["its file name", "sidekiq-production.service", "sidekiq -C config/sidekiq.yml"],
    ["its -e", "sidekiq.service", "sidekiq -C config/sidekiq.yml -e production"],
  ])("named by %s: the other stage, whose deploy's hooked task restarts that unit on its servers, ran it too (the doubt named)", async (_, name, cmd) => {
    const app = await analyzeUnit(name, cmd);
    // `systemctl restart` of a unit a server lacks fails and aborts the deploy: staging's server had it.
    expect(counts(app)).toEqual([{ production: 1, staging: 1 }]);
    const st = app.workers.find((w) => w.backend === "sidekiq")!.perStage!["staging"]!;
    expect(st.source).toEqual({ file: "config/deploy.rb", line: 6 });
    expect(st.unknown).toContain(`whether stage staging's servers ran config/systemd/${name} as the repo has it`);
    const said = app.problems.find((p) => p.message.startsWith(`Sidekiq: config/systemd/${name} is stage production's own unit`));
    expect([said?.file, said?.line]).toEqual([`config/systemd/${name}`, 4]);
    expect(said!.message).toContain("the repo holds no unit for stage staging");
    // Its `-e production` is production's own: no pinned-env warning.
    expect(app.problems.find((p) => /passes Sidekiq `-e/.test(p.message))).toBeUndefined();
    const { stages } = emitAndBuild(app);
    expect((find(stages["production"]!, "Deployment", "-worker") as { spec: { replicas: number } }).spec.replicas).toBe(2);
    expect((find(stages["staging"]!, "Deployment", "-worker") as { spec: { replicas: number } }).spec.replicas).toBe(1);
  });

  it("a restart task no hook runs is no part of the deploy: the other stage still runs none from it", async () => {
    const app = await analyzeFiles(pluginApp(RESTART("sidekiq-production.service").replace(/after .*\n$/, ""), STAGES, { "config/sidekiq.yml": ":concurrency: 4\n:queues:\n  - default\n", "config/systemd/sidekiq-production.service": unit("sidekiq -C config/sidekiq.yml") }, { sidekiq: "6.4.1" }, ""), "larch");
    expect(counts(app)).toEqual([{ production: 1, staging: 0 }]);
    const { stages } = emitAndBuild(app);
    expect((find(stages["staging"]!, "Deployment", "-worker") as { spec: { replicas: number } }).spec.replicas).toBe(0);
  });
});

describe("a start line's literal -e that a stage running it does not have", () => {
  it("is said at the line, naming each such stage and its rails_env", async () => {
    const app = await analyzeUnit("sidekiq.service", "sidekiq -C config/sidekiq.yml -e qa");
    const w = app.problems.filter((p) => /passes Sidekiq `-e qa`/.test(p.message));
    expect(w.map((p) => [p.file, p.line])).toEqual([["config/systemd/sidekiq.service", 4]]);
    expect(w[0]!.message).toContain("stages production (rails_env production), staging (rails_env staging) run another environment");
    // Tied to no stage: it counts on every stage, as before.
    expect(counts(app)).toEqual([{}]);
  });
});
