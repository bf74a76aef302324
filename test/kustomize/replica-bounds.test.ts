// Huge per-server worker counts and replica answers: the HPA's minimum taken from servers × pods per
// server is capped (MAX_WEB_PODS_FROM_SERVERS) with a note naming the uncapped count; an answer for
// the maximum past MAX_REPLICAS_ANSWER is refused. The real kubectl kustomize builds the overlay and
// kubernetes-models validates the HPA (int32 fields).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { memoryRepo } from "../../src/repo.js";
import { answerProblem } from "../../src/answers.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { makePlan } from "../../emitters/kustomize/plan.js";
import { MAX_REPLICAS_ANSWER, MAX_WEB_PODS_FROM_SERVERS } from "../../emitters/kustomize/rules/web.js";
import { defaultAnswers } from "./answers.js";
import { kustomizeBuild, removeTrees, requireKubectl, writeTree } from "./kubectl.js";
import { validateObject } from "./validate.js";

const LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (1.0.0)\n    unicorn (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n  unicorn\n\nBUNDLED WITH\n   2.4.22\n";
const model = (workers: string, servers = 1) =>
  analyzeFiles(
    memoryRepo({
      Gemfile: 'source "https://rubygems.org"\n',
      "Gemfile.lock": LOCK,
      Capfile: 'require "capistrano/setup"\nrequire "capistrano/deploy"\nrequire "capistrano3/unicorn"\n',
      "config/deploy.rb": 'set :application, "ledger"\nset :repo_url, "git@example.com:acme/ledger.git"\n',
      "config/deploy/production.rb": Array.from({ length: servers }, (_, i) => `server "app${i}.example.internal", roles: %w[web app db]\n`).join(""),
      "config/unicorn/production.rb": `worker_processes ${workers}\n`,
    }),
    "ledger",
  );

beforeAll(async () => {
  requireKubectl();
  await initPrism();
});
afterAll(() => removeTrees());

describe("web pods taken from a server count", () => {
  it.each([
    ["4000", 1, 1000],
    ["9999999999999", 1, 2500000000000],
    ["30", 20, 160],
  ])("worker_processes %s on %i server(s): capped, said, and the overlay builds", async (workers, servers, wanted) => {
    const m = await model(workers, servers);
    const answers = defaultAnswers(m, {});
    const plan = makePlan(m, answers);
    const sp = plan.stages[0]!;
    expect(sp.minReplicas).toBe(MAX_WEB_PODS_FROM_SERVERS);
    expect(sp.maxReplicas).toBe(2 * MAX_WEB_PODS_FROM_SERVERS);
    const gap = m.gaps.find((g) => g.id === "stage.production.max_replicas")!;
    expect(gap.default).toBe(2 * MAX_WEB_PODS_FROM_SERVERS);
    const out = emitKustomize(m, answers);
    const note = out.notes.find((n) => /HPA minimum is capped at 100/.test(n.message));
    expect(note?.message).toContain(`would be ${wanted.toLocaleString("en-US")} web pods`);
    expect(out.files.find((f) => f.path.endsWith("production/config.env"))!.content).toMatch(/^WEB_CONCURRENCY=[1-4]$/m);
    const root = writeTree(out.files);
    const hpa = kustomizeBuild(root, "k8s/overlays/production").find((o) => o.kind === "HorizontalPodAutoscaler")!;
    expect(hpa.spec).toMatchObject({ minReplicas: 100, maxReplicas: 200 });
    validateObject(hpa);
  });

  it("below the cap nothing changes: 30 workers on one server are 8 pods, no note", async () => {
    const m = await model("30");
    const answers = defaultAnswers(m, {});
    expect(makePlan(m, answers).stages[0]!.minReplicas).toBe(8);
    expect(emitKustomize(m, answers).notes.some((n) => /capped at/.test(n.message))).toBe(false);
  });
});

describe("the max_replicas answer", () => {
  it("is refused past the ceiling, accepted at it", async () => {
    const m = await model("2");
    const gap = m.gaps.find((g) => g.id === "stage.production.max_replicas")!;
    expect(answerProblem(gap, 99999999999999999999)).toMatch(/at most 1000 pods/);
    expect(answerProblem(gap, MAX_REPLICAS_ANSWER + 1)).toMatch(/at most 1000 pods/);
    expect(answerProblem(gap, MAX_REPLICAS_ANSWER)).toBeNull();
  });
});
