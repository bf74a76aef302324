// Every overlay of the hand-built models, for every edge target, with and without the nginx sidecar:
// `kubectl kustomize` builds it, every object validates against the Kubernetes (and Gateway API)
// schemas, every pod passes Pod Security "restricted", every container has requests and limits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { defaultAnswers } from "./answers.js";
import { kustomizeBuild, requireKubectl, writeTree, type K8sObject, removeTrees } from "./kubectl.js";
import { ledgerModel, shopModel } from "./models.js";
import { podSpecOf, restrictedViolations } from "./restricted.js";
import { validateObject } from "./validate.js";

beforeAll(() => {
  requireKubectl();
});
afterAll(removeTrees);

const CASES = [
  { name: "shop (unicorn, sidekiq, cron, 2 stages)", model: shopModel },
  { name: "ledger (puma, ssl, 3 stages)", model: ledgerModel },
];

export function checkBuilt(objects: K8sObject[]): void {
  expect(objects.length).toBeGreaterThan(0);
  for (const o of objects) {
    validateObject(o);
    expect(restrictedViolations(o), `${o.kind}/${o.metadata.name}`).toEqual([]);
    const pod = podSpecOf(o);
    if (pod) {
      expect(pod.spec.enableServiceLinks, `${o.kind}/${o.metadata.name} enableServiceLinks`).toBe(false);
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
        for (const k of ["requests", "limits"]) for (const r of ["cpu", "memory"]) expect(c.resources?.[k]?.[r], `${o.metadata.name}/${c.name} ${k}.${r}`).toBeTruthy();
        expect(c.envFrom ?? [{ configMapRef: {} }]).not.toEqual([]);
      }
    }
    expect(o.metadata.labels?.["app.kubernetes.io/name"], `${o.kind}/${o.metadata.name} labels`).toBeTruthy();
  }
}

describe.each(CASES)("$name", ({ model }) => {
  for (const target of ["gateway", "alb", "ingress-nginx"])
    for (const sidecar of [false, true])
      it(`builds every overlay: edge ${target}, nginx sidecar ${sidecar}`, () => {
        const m = model();
        const result = emitKustomize(m, defaultAnswers(m, { "edge.target": target, "container.nginx_sidecar": sidecar }));
        const root = writeTree(result.files);
        for (const st of m.stages) {
          const objects = kustomizeBuild(root, `k8s/overlays/${st.name}`);
          checkBuilt(objects);
          for (const o of objects)
            if (o.kind === "Namespace") expect(o.metadata.name).toBe(`${m.name.value}-${st.name}`);
            else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(`${m.name.value}-${st.name}`);
          const kinds = new Set(objects.map((o) => o.kind));
          for (const k of ["Namespace", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap", "Secret", "Job"]) expect(kinds).toContain(k);
          expect(kinds).toContain(target === "gateway" ? "HTTPRoute" : "Ingress");
          const web = objects.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-web"))!;
          const names = web["spec"].template.spec.containers.map((c: any) => c.name);
          expect(names).toEqual(sidecar ? ["app", "nginx"] : ["app"]);
        }
      });
});

describe("restricted checker", () => {
  it("flags a pod that breaks the profile", () => {
    const bad: K8sObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "bad" },
      spec: { template: { spec: { hostNetwork: true, volumes: [{ name: "h", hostPath: { path: "/" } }], containers: [{ name: "c", securityContext: { capabilities: { add: ["SYS_ADMIN"] } } }] } } },
    };
    const v = restrictedViolations(bad).join("\n");
    for (const s of ["hostNetwork", "hostPath", "SYS_ADMIN", "allowPrivilegeEscalation", "runAsNonRoot", "seccompProfile", "drop ALL"]) expect(v).toContain(s);
  });
});

describe("edge cases", () => {
  it("a model without stages, sidekiq, cron or database still builds one production overlay", async () => {
    const { emptyModel } = await import("./models.js");
    const m = emptyModel("Tiny App");
    const result = emitKustomize(m, defaultAnswers(m));
    const root = writeTree(result.files);
    const objects = kustomizeBuild(root, "k8s/overlays/production");
    checkBuilt(objects);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      expect.arrayContaining(["Deployment/tiny-app-web", "Service/tiny-app-web", "HorizontalPodAutoscaler/tiny-app-web"]),
    );
    expect(objects.some((o) => o.kind === "Job" || o.kind === "CronJob")).toBe(false);
    expect(result.notes.some((n) => /no Capistrano stage/.test(n.message))).toBe(true);
  });

  it("is deterministic: the same model and answers give the same files", () => {
    const a = emitKustomize(shopModel(), defaultAnswers(shopModel()));
    const b = emitKustomize(shopModel(), defaultAnswers(shopModel()));
    expect(a).toEqual(b);
  });
});
