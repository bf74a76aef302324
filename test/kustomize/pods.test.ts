// What a platform engineer checks before production, on the built objects: spread over zones and
// nodes, PDBs for workers that have more than one pod, CPU limit = request, the HPA on the app
// container, the version label, a Namespace enforcing Pod Security restricted, TLS at every edge.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { kubernetesGaps } from "../../src/gaps/kubernetes.js";
import { formatProblem } from "../../src/answers.js";
import { all, emitAndBuild, find } from "./built.js";
import { removeTrees, requireKubectl } from "./kubectl.js";
import { defaultAnswers } from "./answers.js";
import { ledgerModel, shopModel } from "./models.js";
import { podSpecOf } from "./restricted.js";

beforeAll(() => {
  requireKubectl();
});
afterAll(removeTrees);

const twoWorkers = () => {
  const m = shopModel();
  m.stages[0]!.variables["sidekiq_processes"] = { value: 2, source: { file: "config/deploy/production.rb", line: 30 } };
  return m;
};

describe("placement and disruption", () => {
  it("web and worker spread by zone and by node, ScheduleAnyway, selecting their own pods", () => {
    const { stages } = emitAndBuild(twoWorkers(), { "container.nginx_sidecar": true });
    for (const d of all(stages["production"]!, "Deployment")) {
      const spread = d["spec"].template.spec.topologySpreadConstraints;
      expect(spread.map((c: any) => c.topologyKey)).toEqual(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
      for (const c of spread) {
        expect(c.whenUnsatisfiable).toBe("ScheduleAnyway");
        expect(c.labelSelector.matchLabels).toEqual(d["spec"].selector.matchLabels);
      }
    }
    for (const k of ["Job", "CronJob"]) for (const o of all(stages["production"]!, k)) expect(podSpecOf(o)!.spec.topologySpreadConstraints).toBeUndefined();
  });

  it("a PDB for the worker only where it has more than one replica", () => {
    const { stages } = emitAndBuild(twoWorkers());
    const prodPdbs = all(stages["production"]!, "PodDisruptionBudget").map((p) => [p.metadata.name, p["spec"]]);
    expect(prodPdbs).toContainEqual(["shop-worker", { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "shop", "app.kubernetes.io/component": "worker" } } }]);
    expect(find(stages["production"]!, "Deployment", "-worker")["spec"].replicas).toBeGreaterThan(1);
    expect(all(stages["staging"]!, "PodDisruptionBudget").map((p) => p.metadata.name)).toEqual(["shop-web"]);
  });
});

describe("resources, autoscaling and labels", () => {
  it("every container's CPU limit equals its request, answers included", () => {
    const { stages } = emitAndBuild(shopModel(), { "container.nginx_sidecar": true, "resources.web": { requests: { cpu: "300m", memory: "1Gi" }, limits: { cpu: "4", memory: "2Gi" } } });
    for (const objs of Object.values(stages))
      for (const o of objs) {
        const pod = podSpecOf(o);
        if (pod) for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) expect(c.resources.limits.cpu, `${o.metadata.name}/${c.name}`).toBe(c.resources.requests.cpu);
      }
    expect(find(stages["production"]!, "Deployment", "-web")["spec"].template.spec.containers[0].resources.limits).toEqual({ cpu: "300m", memory: "2Gi" });
  });

  it("the HPA measures the app container, not the nginx sidecar", () => {
    const { stages } = emitAndBuild(shopModel(), { "container.nginx_sidecar": true });
    expect(find(stages["production"]!, "HorizontalPodAutoscaler")["spec"].metrics).toEqual([
      { type: "ContainerResource", containerResource: { name: "cpu", container: "app", target: { type: "Utilization", averageUtilization: 70 } } },
    ]);
  });

  it("labels objects and pods with app.kubernetes.io/version, never selectors", () => {
    const { stages } = emitAndBuild(shopModel(), { "image.tag": "release_2024_10" });
    const web = find(stages["production"]!, "Deployment", "-web");
    expect(web.metadata.labels["app.kubernetes.io/version"]).toBe("release_2024_10");
    expect(web["spec"].template.metadata.labels["app.kubernetes.io/version"]).toBe("release_2024_10");
    expect(web["spec"].selector.matchLabels["app.kubernetes.io/version"]).toBeUndefined();
  });
});

describe("Namespace", () => {
  it("each overlay writes its namespace, enforcing Pod Security restricted", () => {
    const { stages } = emitAndBuild(shopModel());
    for (const [stage, objs] of Object.entries(stages)) {
      const ns = find(objs, "Namespace");
      expect(ns.metadata.name).toBe(`shop-${stage}`);
      expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    }
  });

  it("behind the ALB (target-type ip) the namespace asks the controller for pod readiness gates; other edges do not", () => {
    const GATE = "elbv2.k8s.aws/pod-readiness-gate-inject";
    for (const target of ["alb", "gateway", "ingress-nginx"]) {
      const { stages } = emitAndBuild(shopModel(), { "edge.target": target });
      for (const objs of Object.values(stages)) {
        expect(find(objs, "Namespace").metadata.labels[GATE]).toBe(target === "alb" ? "enabled" : undefined);
        if (target === "alb") expect(find(objs, "Ingress").metadata.annotations["alb.ingress.kubernetes.io/target-type"]).toBe("ip");
      }
    }
    // A namespace made by others: the label is asked for in a note instead.
    const notes = emitKustomize(shopModel(), { ...defaultAnswers(shopModel()), "edge.target": "alb", "kubernetes.create_namespace": false }).notes.map((n) => n.message);
    expect(notes.filter((n) => n.includes(GATE))).toHaveLength(2);
    const own = emitKustomize(shopModel(), { ...defaultAnswers(shopModel()), "edge.target": "alb" }).notes.map((n) => n.message);
    expect(own.filter((n) => n.includes(GATE))).toEqual([]);
  });

  it("a team that cannot create namespaces answers kubernetes.create_namespace false", () => {
    const m = shopModel();
    expect(kubernetesGaps(m).find((g) => g.id === "kubernetes.create_namespace")?.default).toBe(true);
    const { stages } = emitAndBuild(m, { "kubernetes.create_namespace": false });
    expect(all(stages["production"]!, "Namespace")).toEqual([]);
    expect(find(stages["production"]!, "Deployment", "-web").metadata.namespace).toBe("shop-production");
  });
});

describe("TLS at the edge", () => {
  it("ALB: the certificate ARN answer, listen-ports and ssl-redirect; the ARN is a gap with a format", () => {
    const m = ledgerModel();
    const gap = kubernetesGaps(m).find((g) => g.id === "stage.production.alb.certificate_arn")!;
    expect(gap.format).toBe("acm-certificate-arn");
    expect(formatProblem("acm-certificate-arn", "arn:aws:acm:eu-west-1:123456789012:certificate/0b5e1f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")).toBeNull();
    expect(formatProblem("acm-certificate-arn", "")).toBeNull();
    expect(formatProblem("acm-certificate-arn", "arn:aws:iam::123:server-certificate/x")).toMatch(/ACM certificate ARN/);
    const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0b5e1f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
    const { stages } = emitAndBuild(m, { "edge.target": "alb", "stage.production.alb.certificate_arn": arn });
    const a = find(stages["production"]!, "Ingress").metadata.annotations;
    expect(a["alb.ingress.kubernetes.io/certificate-arn"]).toBe(arn);
    expect(a["alb.ingress.kubernetes.io/ssl-redirect"]).toBe("443");
    expect(JSON.parse(a["alb.ingress.kubernetes.io/listen-ports"])).toEqual([{ HTTP: 80 }, { HTTPS: 443 }]);
  });

  for (const target of ["gateway", "alb", "ingress-nginx"])
    it(`${target}: HTTPS when the user says so, though nginx had no ssl`, () => {
      const m = shopModel();
      const { stages } = emitAndBuild(m, { "edge.target": target, "edge.https": true });
      const objs = stages["production"]!;
      if (target === "gateway") {
        expect(find(objs, "HTTPRoute", "-web")["spec"].parentRefs[0].sectionName).toBe("https");
        expect(find(objs, "HTTPRoute", "-https-redirect")["spec"].parentRefs[0].sectionName).toBe("http");
      } else if (target === "alb") {
        const a = find(objs, "Ingress").metadata.annotations;
        expect(a["alb.ingress.kubernetes.io/ssl-redirect"]).toBe("443");
        expect(a["alb.ingress.kubernetes.io/listen-ports"]).toBeTruthy();
      } else {
        const ing = find(objs, "Ingress");
        expect(ing.metadata.annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt");
        expect(ing.metadata.annotations["nginx.ingress.kubernetes.io/ssl-redirect"]).toBe("true");
        expect(ing["spec"].tls[0].secretName).toBe("shop-tls");
      }
    });

  it("no TLS objects when neither nginx nor the answer asks for it", () => {
    const m = shopModel();
    const result = emitKustomize(m, defaultAnswers(m, { "edge.target": "gateway" }));
    const edge = result.files.find((f) => f.path === "k8s/overlays/production/httproute.yaml");
    expect(edge?.content ?? "").not.toMatch(/https-redirect/);
  });
});
