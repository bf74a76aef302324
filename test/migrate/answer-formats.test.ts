// Answers that become names, image references or hosts: an answers file may come with the repo, so
// a saved answer is held to its grammar like a typed one, and one that does not fit is asked again
// in the wizard (under --yes or --answers: exit 2) before any emitter sees it.
import { describe, it, expect } from "vitest";
import { answerProblem, checkSaved, formatProblem, hostProblem, problemLine, quantityValue, unknownAnswers, walkGaps } from "../../src/answers.js";
import { applies, inContext, notAskedBecause } from "../../src/model/answers.js";
import { TIME_ZONE_NAMES } from "../../src/model/time-zones.js";
import { answerResources } from "../../emitters/kustomize/answers.js";
import { promptFor } from "../../src/wizard.js";
import type { Gap } from "../../src/model.js";

const gap = (format: Gap["format"], d: Gap["default"]): Gap => ({ id: "x", question: "q", why: "w", default: d, format });

describe("answer formats", () => {
  it("image repositories: registry hosts with ports, lower-case paths, no tag, no shell", () => {
    for (const ok of ["registry.example.com/shop", "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop", "localhost:5000/acme/shop", "ghcr.io/acme/shop-web", "shop"])
      expect(formatProblem("image-repository", ok), ok).toBeNull();
    for (const bad of ["registry.example.com/ledger $(touch /tmp/PWN) #", "ghcr.io/Acme/Shop", "shop:latest", "a//b", "x\ny", ""])
      expect(formatProblem("image-repository", bad), bad).not.toBeNull();
  });

  it("image tags follow the OCI grammar; latest names no build", () => {
    for (const ok of ["3f9c2d1", "v1.2.3", "release-2024-10", "V1_Bad", "_x", "a".repeat(128)]) expect(formatProblem("image-tag", ok), ok).toBeNull();
    // latest names no build (issue 16): asked again, never deployed.
    for (const bad of ["latest", "V1 Bad", "-x", ".x", "a".repeat(129), "x;y", ""]) expect(formatProblem("image-tag", bad), bad).not.toBeNull();
  });

  it("names and host lists", () => {
    expect(formatProblem("dns-label", "gateway-system")).toBeNull();
    expect(formatProblem("dns-label", "gw\ninjected: true")).not.toBeNull();
    expect(formatProblem("host-list", ["shop.example.com", "*.example.com"])).toBeNull();
    expect(formatProblem("host-list", ["x; touch y"])).not.toBeNull();
    expect(formatProblem("host-list", ["UPPER_bad..host"])).not.toBeNull();
    expect(formatProblem("host-list", "shop.example.com")).not.toBeNull();
  });

  it("a saved answer that does not fit is refused; the wizard refuses the same typed answer", () => {
    expect(answerProblem(gap("image-tag", "latest"), "V1 Bad")).toMatch(/image tag/);
    const spec = promptFor(gap("image-tag", "latest"));
    if (spec.kind !== "input") throw new Error(spec.kind);
    expect(spec.config.validate("V1 Bad")).toMatch(/image tag/);
    expect(spec.config.validate("v1.2.3")).toBe(true);
    const hosts = promptFor(gap("host-list", ["a.example.com"]));
    if (hosts.kind !== "input") throw new Error(hosts.kind);
    expect(hosts.config.validate("a.example.com, x; touch y")).toMatch(/host names/);
  });
});

describe("one validator per answer type", () => {
  it("Kubernetes names: RFC 1123 labels (namespaces) and subdomains (object names), with their lengths", () => {
    for (const bad of ["Kube System/../x", "kube_system", "-x", "x-", "a".repeat(64), ""]) expect(formatProblem("dns-label", bad), bad).not.toBeNull();
    expect(formatProblem("dns-label", "a".repeat(63))).toBeNull();
    expect(formatProblem("dns-label", "a".repeat(64))).toMatch(/at most 63 characters \(this one has 64\)/);
    for (const ok of ["gateway", "public.gw", "a".repeat(253)]) expect(formatProblem("dns-subdomain", ok), ok).toBeNull();
    for (const bad of ["Gateway", "gw..x", "gw/x", ".gw", "a".repeat(254)]) expect(formatProblem("dns-subdomain", bad), bad).not.toBeNull();
  });

  it("time zones: the IANA names the API server's LoadLocation knows, not ICU's extras", () => {
    for (const ok of ["Etc/UTC", "UTC", "America/New_York", "US/Eastern", "Asia/Kolkata", "Asia/Calcutta", "Europe/Kyiv", "EST5EDT", "Etc/GMT+5"]) expect(formatProblem("time-zone", ok), ok).toBeNull();
    for (const bad of ["Eastern", "Mars/Olympus", "PST", "IST", "SystemV/AST4", "US/Pacific-New", "Local", "america/new_york", "+05:00", "", 5])
      expect(formatProblem("time-zone", bad as never), String(bad)).toMatch(/IANA time zone/);
    expect(formatProblem("time-zone", "america/new_york")).toMatch(/case-sensitive: America\/New_York\?/);
    // Every name of the list is a real zone (ICU, a separate copy of the database, knows it).
    for (const z of TIME_ZONE_NAMES) if (z !== "Factory") expect(() => new Intl.DateTimeFormat("en", { timeZone: z }), z).not.toThrow();
  });

  it("quantities: Kubernetes' grammar and values", () => {
    const cases: [string, number | null][] = [["250m", 0.25], ["1", 1], ["1.5", 1.5], [".5", 0.5], ["512Mi", 512 * 2 ** 20], ["1Gi", 2 ** 30], ["1e3", 1000], ["1E", 1e18], ["2k", 2000], ["1 Gi", null], ["1gb", null], ["Mi", null], ["1.2.3", null]];
    for (const [q, v] of cases) expect(quantityValue(q), q).toBe(v);
  });

  it("resources: named fields replace the default's, null limits mean none, a request above its limit is refused", () => {
    const d = { requests: { cpu: "500m", memory: "600Mi" }, limits: { cpu: "1000m", memory: "856Mi" } };
    const g = { ...gap("resources", d) };
    expect(answerProblem(g, { requests: { cpu: 2 } })).toMatch(/requests\.cpu 2 is above limits\.cpu 1000m \(the default limit: name a limit, or null for none\)/);
    expect(answerProblem(g, { requests: { cpu: 2 }, limits: { cpu: null } })).toBeNull();
    expect(answerProblem(g, { requests: { cpu: 2 }, limits: { cpu: "1500m" } })).toMatch(/requests\.cpu 2 is above limits\.cpu 1500m$/);
    expect(answerProblem(g, { limits: { memory: "512Mi" } })).toMatch(/requests\.memory 600Mi is above limits\.memory 512Mi/);
    expect(answerProblem(g, { requests: { cpu: null } })).toMatch(/null is for limits only/);
    expect(answerProblem(g, { requests: { cpu: "two" } })).toMatch(/"two" is not a Kubernetes quantity/);
    expect(answerProblem(g, { requests: { memory: "512m" } })).toMatch(/fraction of a byte/);
    expect(answerProblem(g, { requests: { gpu: 1 } })).toMatch(/unknown key "requests\.gpu"/);
    expect(answerProblem(g, { request: { cpu: 1 } })).toMatch(/unknown key "request"/);
    expect(answerProblem(g, "1 core")).toMatch(/expected a mapping/);
    expect(answerResources({ r: { requests: { cpu: 2 }, limits: { cpu: null } } }, "r", d)).toEqual({ requests: { cpu: "2", memory: "600Mi" }, limits: { cpu: null, memory: "856Mi" } });
  });

  it("env var names: secret keys must be names a shell and an env file take", () => {
    expect(formatProblem("env-var-list", ["DATABASE_URL", "_X1"])).toBeNull();
    expect(formatProblem("env-var-list", ["DATABASE_URL", "America/New_York", "1X"])).toMatch(/"America\/New_York", "1X": not an env var name/);
    expect(formatProblem("env-var-list", "DATABASE_URL")).toMatch(/a list/);
  });

  it("hosts: a wildcard first label on every target; no IP; the ALB also wants a dot, letters after the last one, at most 128", () => {
    for (const target of ["gateway", "alb", "ingress-nginx"]) {
      expect(hostProblem("*.example.com", target), target).toBeNull();
      expect(hostProblem("shop.example.com", target), target).toBeNull();
      expect(hostProblem("10.0.0.1", target), target).toMatch(/IP address/);
      expect(hostProblem("a.*.example.com", target), target).not.toBeNull();
      expect(hostProblem("Shop.example.com", target), target).not.toBeNull();
    }
    expect(hostProblem("shop", "gateway")).toBeNull();
    expect(hostProblem("shop", "alb")).toMatch(/ALB/);
    expect(hostProblem("shop.example.c0m", "alb")).toMatch(/letters only after the last/);
    const long = `${"a".repeat(60)}.${"b".repeat(60)}.example.com`;
    expect(hostProblem(long, "gateway")).toBeNull();
    expect(hostProblem(long, "alb")).toMatch(/128/);
    // The rule follows the edge target answered before the hosts.
    const hosts = gap("host-list", ["shop.example.com"]);
    expect(answerProblem(hosts, ["shop"], { "edge.target": "gateway" })).toBeNull();
    expect(answerProblem(hosts, ["shop"], { "edge.target": "alb" })).toMatch(/"shop": an ALB host-header.*\(edge target alb\)/);
  });

  it("replicas: a maximum below the minimum is refused, never raised", () => {
    const g = { ...gap("replicas", 4), min: 2 };
    expect(answerProblem(g, 2)).toBeNull();
    expect(answerProblem(g, 1)).toMatch(/at least 2 .*never raised silently/);
    expect(answerProblem(g, 2.5)).toMatch(/whole number/);
    expect(answerProblem(g, "3")).toMatch(/whole number/);
  });
});

describe("questions that depend on earlier answers", () => {
  const target: Gap = { id: "edge.target", question: "edge?", why: "no sign of AWS in the repo", default: "gateway", choices: ["gateway", "alb", "ingress-nginx"], whyIf: [{ id: "image.repository", matches: "\\.dkr\\.ecr\\.", why: "ECR: likely EKS", default: "alb" }] };
  const gwName: Gap = { id: "gateway.name", question: "gw?", why: "w", default: "gateway", format: "dns-subdomain", askIf: [{ id: "edge.target", oneOf: ["gateway"] }] };
  const repo: Gap = { id: "image.repository", question: "repo?", why: "w", default: "registry.example.com/app", format: "image-repository" };

  it("askIf and whyIf: asked only when the earlier answer says so; why and default from the earlier answer", () => {
    expect(applies(gwName, { "edge.target": "gateway" })).toBe(true);
    expect(applies(gwName, { "edge.target": "alb" })).toBe(false);
    expect(notAskedBecause(gwName, { "edge.target": "alb" })).toBe("edge.target is alb, not gateway");
    expect(inContext(target, { "image.repository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x" })).toMatchObject({ why: "ECR: likely EKS", default: "alb" });
    expect(inContext(target, { "image.repository": "ghcr.io/acme/x" }).why).toBe("no sign of AWS in the repo");
  });

  it("checkSaved: every problem, in order, each in the context of the answers before it", () => {
    const hosts: Gap = { ...gap("host-list", ["x.example.com"]), id: "stage.production.hosts" };
    const { usable, problems } = checkSaved([repo, target, gwName, hosts], { "image.repository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x", "gateway.name": "GW", "stage.production.hosts": ["shop"] });
    // The ECR repository made alb the default edge: "shop" breaks the ALB's host rule.
    expect(problems.map((p) => p.id)).toEqual(["gateway.name", "stage.production.hosts"]);
    expect(problemLine(problems[1]!)).toMatch(/^stage\.production\.hosts: \["shop"\] — .*ALB/);
    expect(Object.keys(usable)).toEqual(["image.repository"]);
  });

  it("walkGaps skips what does not apply and says why", async () => {
    const { answers, skipped } = await walkGaps([repo, target, gwName], (g) => (g.id === "image.repository" ? "123456789012.dkr.ecr.us-east-1.amazonaws.com/x" : g.default));
    expect(answers).toEqual({ "image.repository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x", "edge.target": "alb" });
    expect(skipped.map((s) => [s.gap.id, s.because])).toEqual([["gateway.name", "edge.target is alb, not gateway"]]);
  });

  it("unknown keys and stages are found, by stage when the id names one", () => {
    const u = unknownAnswers([repo], { "image.repository": "x", "stage.prod2.namespace": "a", "cap.prod2.branch": "b", colour: "blue", "stage.production.namespace": "p" }, ["production"]);
    expect([...u.stages]).toEqual([["prod2", ["cap.prod2.branch", "stage.prod2.namespace"]]]);
    expect(u.keys).toEqual(["colour", "stage.production.namespace"]);
  });

  it("the wizard's prompt holds a typed answer to the same rule, with the answers before it", () => {
    const hosts = promptFor(gap("host-list", ["a.example.com"]), { "edge.target": "alb" });
    if (hosts.kind !== "input") throw new Error(hosts.kind);
    expect(hosts.config.validate("shop")).toMatch(/ALB/);
    expect(hosts.config.validate("*.example.com")).toBe(true);
    const res = promptFor(gap("resources", { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } }));
    if (res.kind !== "input") throw new Error(res.kind);
    expect(res.config.validate("{requests: {cpu: 2}}")).toMatch(/above limits\.cpu 1/);
    expect(res.config.validate("{requests: {cpu: 2}, limits: {cpu: null}}")).toBe(true);
    const max = promptFor({ ...gap("replicas", 4), min: 2 });
    if (max.kind !== "input") throw new Error(max.kind);
    expect(max.config.validate("1")).toMatch(/at least 2/);
    expect(max.config.validate("3")).toBe(true);
  });
});
