// Audit B13: an eye file per stage (`eye load …/config/eye/#{fetch(:stage)}.eye`), each starting
// Sidekiq on its own queues. Each stage's servers ran their own file's line, so each overlay's
// Sidekiq must run that stage's queues, as `kubectl kustomize` builds it; the load line no longer
// says the worker ignores them. The app ("parcel", three stages, a Sidekiq deploy without
// capistrano-sidekiq) and its eye files are written for this test.
import { afterAll, describe, expect, it } from "vitest";
import { analyzeFiles } from "../../src/analyze.js";
import { EMITTERS } from "../../emitters/index.js";
import { defaultAnswers } from "../kustomize/answers.js";
import { kustomizeBuild, removeTrees, writeTree } from "../kustomize/kubectl.js";
import { pluginApp } from "./app.js";

afterAll(removeTrees);

const EYE = (queues: string) =>
  `Eye.application "parcel" do\n  working_dir "/srv/parcel/current"\n  process "sidekiq" do\n    start_command "bundle exec sidekiq -c 5 ${queues}"\n    daemonize true\n    stop_grace 30.seconds\n  end\nend\n`;
const LOAD = 'namespace :eye do\n  task :load do\n    on roles(:jobs) do\n      execute :eye, :load, "#{current_path}/config/eye/#{fetch(:stage)}.eye"\n    end\n  end\nend\nafter "deploy:published", "eye:load"\n';
const stages = {
  production: 'server "p1.parcel.example.org", roles: %w[web app db jobs]\n',
  staging: 'server "s1.parcel.example.org", roles: %w[web app db jobs]\n',
  qa: 'server "q1.parcel.example.org", roles: %w[web app db jobs]\n',
};
const files = { "config/eye/production.eye": EYE("-q mail -q default"), "config/eye/staging.eye": EYE("-q reports"), "config/eye/qa.eye": EYE("-q reports -q mail") };

describe("eye files per stage with their own Sidekiq queues", () => {
  it("each overlay runs its own stage's queues", async () => {
    const m = await analyzeFiles(pluginApp(LOAD, stages, files, { sidekiq: "7.2.4" }, ""), "parcel");
    expect(m.problems.filter((p) => p.message.startsWith("workers.supervisor-stage-files:"))).toEqual([]);
    const answers = defaultAnswers(m, {});
    const root = writeTree(EMITTERS.flatMap((e) => e.emit(m, answers).files));
    const queuesOf = (stage: string) => {
      const d = kustomizeBuild(root, `k8s/overlays/${stage}`).find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-worker"))!;
      const args: string[] = d.spec.template.spec.containers[0].args;
      return args.flatMap((a, i) => (a === "-q" ? [args[i + 1]!] : []));
    };
    expect(queuesOf("production")).toEqual(["mail", "default"]);
    expect(queuesOf("staging")).toEqual(["reports"]);
    expect(queuesOf("qa")).toEqual(["reports", "mail"]);
  });

  it("a stage whose file is missing keeps the warning, and no stage takes another's queues", async () => {
    const { "config/eye/qa.eye": _qa, ...two } = files;
    const m = await analyzeFiles(pluginApp(LOAD, stages, two, { sidekiq: "7.2.4" }, ""), "parcel");
    const w = m.problems.filter((p) => p.message.startsWith("workers.supervisor-stage-files:"));
    expect(w.map((p) => p.message).join("\n")).toMatch(/the Sidekiq worker does not take each stage's command.*stage qa's config\/eye\/qa\.eye is not in the repo/);
    expect(m.workers!.find((x) => x.backend === "sidekiq")?.stageSidekiqOptions).toBeUndefined();
  });
});

// Audit B s26 #2: taking each stage's options must not drop each file's process count and stop grace.
const COUNTED = (n: number, queues: string, grace: number) =>
  `Eye.application "parcel" do\n  working_dir "/srv/parcel/current"\n  ${n}.times do |i|\n    process "sidekiq#{i}" do\n      start_command "bundle exec sidekiq -c 5 ${queues}"\n      daemonize true\n      stop_grace ${grace}.seconds\n    end\n  end\nend\n`;
const two = { production: stages.production, staging: stages.staging };

describe("eye files per stage: process count and stop grace", () => {
  it("where the stages' counts and graces differ, the load line names each stage's and nothing is carried as if known", async () => {
    const m = await analyzeFiles(pluginApp(LOAD, two, { "config/eye/production.eye": COUNTED(4, "-q mail", 120), "config/eye/staging.eye": COUNTED(1, "-q reports", 10) }, { sidekiq: "7.2.4" }, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "sidekiq")!;
    expect(w.stageSidekiqOptions).toBeDefined();
    expect(w.processesPerServer).toBeUndefined();
    const said = m.problems.filter((p) => p.message.startsWith("workers.supervisor-stage-files:"));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toMatch(/production: config\/eye\/production\.eye:\d+ starts 4 ×, stop grace 120s.*staging: config\/eye\/staging\.eye:\d+ starts 1 ×, stop grace 10s/);
    expect(said[0]!.message).toMatch(/set replicas and terminationGracePeriodSeconds per stage/);
  });

  it("where every stage's file states the same, the count and the grace are carried from the files", async () => {
    const m = await analyzeFiles(pluginApp(LOAD, two, { "config/eye/production.eye": COUNTED(3, "-q mail", 90), "config/eye/staging.eye": COUNTED(3, "-q reports", 90) }, { sidekiq: "7.2.4" }, ""), "parcel");
    const w = m.workers!.find((x) => x.backend === "sidekiq")!;
    expect(w.processesPerServer).toMatchObject({ value: 3, source: { file: "config/eye/production.eye" } });
    expect(w.stopTimeout).toMatchObject({ seconds: 90, source: { file: "config/eye/production.eye", line: 7 } });
    expect(m.problems.filter((p) => p.message.startsWith("workers.supervisor-stage-files:"))).toEqual([]);
  });
});
