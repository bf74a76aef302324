// The kubernetes family's gaps: asked only when the repo does not say, with defaults argued from it.
import { describe, expect, it } from "vitest";
import { kubernetesGaps } from "../../src/gaps/kubernetes.js";
import { ledgerModel, shopModel } from "./models.js";
import { inContext } from "../../src/model/answers.js";

const byId = (gaps: ReturnType<typeof kubernetesGaps>) => Object.fromEntries(gaps.map((g) => [g.id, g]));

describe("kubernetesGaps", () => {
  it("shop: ALB by AWS evidence, TZ hint for cron, hosts known for both stages", () => {
    const g = byId(kubernetesGaps(shopModel()));
    expect(g["edge.target"]!.default).toBe("alb");
    expect(g["edge.target"]!.choices).toEqual(["gateway", "alb", "ingress-nginx"]);
    expect(g["edge.target"]!.why).toMatch(/aws-sdk-s3/);
    expect(g["stage.production.hosts"]).toBeUndefined();
    expect(g["stage.staging.hosts"]).toBeUndefined();
    expect(g["cron.time_zone"]!.default).toBe("America/New_York");
    expect(g["cron.time_zone"]!.why).toMatch(/hint/);
    expect(g["stage.production.max_replicas"]!.default).toBe(4);
    expect(g["stage.staging.max_replicas"]!.default).toBe(2);
    expect(g["health.path"]).toBeUndefined(); // /health route found
    expect(g["edge.tls"]).toBeUndefined(); // no ssl in nginx
    expect(g["resources.web"]!.default).toEqual({ requests: { cpu: "2000m", memory: "1200Mi" }, limits: { cpu: "2000m", memory: "1450Mi" } });
    expect(g["resources.worker"]).toBeTruthy();
    expect(g["secret.keys"]!.default).toEqual(["DATABASE_PASSWORD", "PAYMENT_API_KEY", "SECRET_KEY_BASE"]);
  });

  it("ledger: Gateway without AWS evidence; hosts asked for stages the plain nginx file cannot name; TLS asked", () => {
    const g = byId(kubernetesGaps(ledgerModel()));
    expect(g["edge.target"]!.default).toBe("gateway");
    expect(g["stage.production.hosts"]).toBeUndefined();
    // Obviously placeholders, under the reserved .invalid domain: never a host that could be real.
    expect(g["stage.staging.hosts"]!.default).toEqual(["set-me.staging.ledger.invalid"]);
    expect(g["stage.demo.hosts"]!.default).toEqual(["set-me.demo.ledger.invalid"]);
    expect(g["stage.demo.hosts"]!.why).toMatch(/set-me\.demo\.ledger\.invalid is a placeholder .*never resolves/);
    expect(g["stage.demo.hosts"]!.why).toMatch(/never reused/);
    expect(g["edge.tls"]!.choices).toEqual(["cert-manager", "secret", "acm"]);
    expect(g["gateway.listener.https"]!.default).toBe("https");
    expect(g["cron.time_zone"]).toBeUndefined();
    expect(g["resources.worker"]).toBeUndefined();
    expect(g["stage.production.max_replicas"]!.default).toBe(6);
  });

  it("asks for the health path when nothing names one, defaulting to /", () => {
    const m = ledgerModel();
    m.rails.healthPaths = [];
    const g = byId(kubernetesGaps(m));
    expect(g["health.path"]!.default).toBe("/");
    m.rails.gems["okcomputer"] = { value: "1.18.5", source: { file: "Gemfile.lock", line: 40 } };
    expect(byId(kubernetesGaps(m))["health.path"]).toBeUndefined();
  });

  it("cron time zone defaults to UTC without a hint, and says config.time_zone is not cron's", () => {
    const m = shopModel();
    for (const s of m.stages) delete (s.variables["default_env"]!.value as Record<string, unknown>)["TZ"];
    const g = byId(kubernetesGaps(m))["cron.time_zone"]!;
    expect(g.default).toBe("Etc/UTC");
    expect(g.why).toMatch(/Eastern Time.*not cron's/);
  });

  it("questions that depend on the edge target say so; the edge's why follows a registry answered before it", () => {
    const g = byId(kubernetesGaps(ledgerModel()));
    const gw = [{ id: "edge.target", oneOf: ["gateway"] }];
    expect(g["gateway.name"]!.askIf).toEqual(gw);
    expect(g["gateway.namespace"]!.askIf).toEqual(gw);
    expect(g["gateway.listener.https"]!.askIf).toEqual(gw);
    expect(g["edge.tls"]!.askIf).toEqual([{ id: "edge.target", oneOf: ["ingress-nginx"] }]);
    expect(g["edge.tls.issuer"]!.askIf).toEqual([
      { id: "edge.target", oneOf: ["ingress-nginx"] },
      { id: "edge.tls", oneOf: ["cert-manager"] },
    ]);
    expect(g["edge.tls.issuer"]!.why).not.toMatch(/gateway/i);
    const ecr = inContext(g["edge.target"]!, { "image.repository": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ledger" });
    expect(ecr.default).toBe("alb");
    expect(ecr.why).toMatch(/Amazon ECR/);
    expect(ecr.why).not.toMatch(/no sign of AWS/);
    const gcr = inContext(g["edge.target"]!, { "image.repository": "europe-docker.pkg.dev/acme/ledger/web" });
    expect(gcr.default).toBe("gateway");
    expect(gcr.why).toMatch(/GKE/);
    expect(inContext(g["edge.target"]!, { "image.repository": "ghcr.io/acme/ledger" }).why).toMatch(/no sign of AWS/);
    // The repo's own AWS evidence is not overridden by a registry.
    expect(byId(kubernetesGaps(shopModel()))["edge.target"]!.whyIf).toBeUndefined();
  });

  it("each answer type has its validator: replicas bounded below by today's servers, zones, resources, env var names", () => {
    const g = byId(kubernetesGaps(shopModel()));
    expect(g["stage.production.max_replicas"]).toMatchObject({ format: "replicas", min: 2 });
    expect(g["cron.time_zone"]!.format).toBe("time-zone");
    expect(g["resources.web"]!.format).toBe("resources");
    expect(g["resources.worker"]!.format).toBe("resources");
    expect(g["secret.keys"]!.format).toBe("env-var-list");
    expect(g["gateway.name"]!.format).toBe("dns-subdomain");
    expect(g["gateway.namespace"]!.format).toBe("dns-label");
  });

  it("every gap id is unique and every default is set", () => {
    for (const m of [shopModel(), ledgerModel()]) {
      const gaps = kubernetesGaps(m);
      expect(new Set(gaps.map((g) => g.id)).size).toBe(gaps.length);
      for (const g of gaps) expect(g.default, g.id).not.toBeUndefined();
    }
  });
});
