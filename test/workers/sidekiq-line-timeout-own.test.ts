// Two Sidekiq lines of a root Procfile that decides (nothing else starts Sidekiq), read one by one
// (sidekiq-procfile.ts → sidekiq-line.ts): the first line's `-t 30` is that line's Deployment's only.
// The loose scan of analyzers/sidekiq.ts once took it as every process's timeout, so the second
// line's Deployment ran `-t 30` and a 30 s grace period, where its servers' process drained with
// Sidekiq's default. App "parcel" (pluginApp), written here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initPrism } from "../../analyzers/ruby/prism.js";
import { analyzeFiles } from "../../src/analyze.js";
import { workerGracePeriod } from "../../emitters/kustomize/rules/shutdown.js";
import { emitAndBuild } from "../kustomize/built.js";
import { requireKubectl, removeTrees } from "../kustomize/kubectl.js";
import { pluginApp } from "./app.js";

const STAGES = { production: 'server "app1.tally.example.net", roles: %w[web app db]\nset :rails_env, "production"\n' };
const PROCFILE = "web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq -q critical -c 4 -t 30\nmailer: bundle exec sidekiq -q mailers -c 2\n";

beforeAll(async () => {
  requireKubectl();
  await initPrism();
}, 60_000);
afterAll(() => removeTrees());

describe("one Procfile line's -t", () => {
  it("stays on its own Deployment; the other line's drains with Sidekiq 6's default", async () => {
    const a = await analyzeFiles(pluginApp("", STAGES, { Procfile: PROCFILE }, { sidekiq: "6.4.1" }, ""), "ledger");
    expect(a.sidekiq?.commandTimeout).toBeUndefined();
    const { stages } = emitAndBuild(a);
    const deps = stages["production"]!.filter((o: any) => o.kind === "Deployment" && o.spec.template.spec.containers[0].args?.includes("sidekiq"));
    const byQueue = (q: string) => deps.find((d: any) => d.spec.template.spec.containers[0].args.includes(q));
    const critical = byQueue("critical")!;
    const mailers = byQueue("mailers")!;
    expect(critical.spec.template.spec.containers[0].args).toEqual(["bundle", "exec", "sidekiq", "-q", "critical", "-c", "4", "-t", "30"]);
    expect(critical.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(30));
    expect(mailers.spec.template.spec.containers[0].args).toEqual(["bundle", "exec", "sidekiq", "-q", "mailers", "-c", "2"]);
    expect(mailers.spec.template.spec.terminationGracePeriodSeconds).toBe(workerGracePeriod(25));
  }, 120_000);
});
