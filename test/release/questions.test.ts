// The release questions that only one choice uses are asked only after that choice.
import { describe, expect, it } from "vitest";
import { walkGaps } from "../../src/answers.js";
import { releaseGaps } from "../../src/gaps/release.js";
import { findGaps } from "../../src/gaps/index.js";
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

  it("the pipeline's AWS role is asked for EKS access or an ECR image; the EKS cluster only for EKS access (never under kubeconfig)", async () => {
    const ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop";
    const walk = async (choices: Record<string, string>) => {
      const { answers, skipped } = await walkGaps(findGaps(shopModel()), (g) => choices[g.id] ?? g.default);
      return { asked: Object.keys(answers), skipped: Object.fromEntries(skipped.map((s) => [s.gap.id, s.because])) };
    };
    const cases: [Record<string, string>, boolean, boolean][] = [
      // [answers, role asked, cluster asked]
      [{ "ci.cluster_access": "kubeconfig", "image.repository": "ghcr.io/acme/shop" }, false, false],
      [{ "ci.cluster_access": "kubeconfig", "image.repository": ECR }, true, false],
      [{ "ci.cluster_access": "auto", "image.repository": "ghcr.io/acme/shop" }, false, false],
      [{ "ci.cluster_access": "auto", "image.repository": ECR }, true, true],
      [{ "ci.cluster_access": "eks", "image.repository": "ghcr.io/acme/shop" }, true, true],
    ];
    for (const [choices, role, cluster] of cases) {
      const r = await walk(choices);
      const what = JSON.stringify(choices);
      expect(r.asked.includes("ci.aws.role_arn"), what).toBe(role);
      expect(r.asked.includes("ci.eks.cluster"), what).toBe(cluster);
    }
    const kube = await walk({ "ci.cluster_access": "kubeconfig", "image.repository": "ghcr.io/acme/shop" });
    expect(kube.skipped["ci.aws.role_arn"]).toBe("ci.cluster_access is kubeconfig, not eks (and image.repository is not an ECR repository)");
    expect(kube.skipped["ci.eks.cluster"]).toBe("ci.cluster_access is kubeconfig, not auto or eks");
  });
});
