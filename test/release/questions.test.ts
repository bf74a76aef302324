// The release questions that only one choice uses are asked only after that choice.
import { describe, expect, it } from "vitest";
import { walkGaps } from "../../src/answers.js";
import { releaseGaps } from "../../src/gaps/release.js";
import { shopModel } from "../kustomize/models.js";

const asked = async (choices: Record<string, string>) => {
  const gaps = releaseGaps(shopModel());
  const { answers, skipped } = await walkGaps(gaps, (g) => choices[g.id] ?? g.default);
  return { asked: Object.keys(answers), skipped: skipped.map((s) => s.gap.id) };
};

describe("release questions", () => {
  it("the defaults (push, env-files): no Argo CD, store or SOPS question", async () => {
    const r = await asked({});
    expect(r.asked).toEqual(expect.arrayContaining(["ci.provider", "deploy.mode", "secrets.backend", "ci.cluster_access"]));
    expect(r.skipped).toEqual(expect.arrayContaining(["argocd.repo_url", "external_secrets.store", "external_secrets.key_scheme", "sops.recipient"]));
  });
  it("each choice brings its own questions", async () => {
    const r = await asked({ "deploy.mode": "argocd", "secrets.backend": "external-secrets" });
    expect(r.asked).toEqual(expect.arrayContaining(["argocd.repo_url", "external_secrets.store", "external_secrets.key_scheme"]));
    expect(r.skipped).toContain("sops.recipient");
    const none = await asked({ "ci.provider": "none" });
    expect(none.skipped).toEqual(expect.arrayContaining(["ci.cluster_access", "ci.aws.role_arn", "ci.eks.cluster"]));
  });
});
