// Answers that become names, image references or hosts: an answers file may come with the repo, so
// a saved answer is held to its grammar like a typed one, and one that does not fit is asked again
// (or, with --yes, replaced by the default) before any emitter sees it.
import { describe, it, expect } from "vitest";
import { answerProblem, formatProblem } from "../../src/answers.js";
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

  it("image tags are what a Job name can end with", () => {
    for (const ok of ["3f9c2d1", "v1.2.3", "release-2024-10"]) expect(formatProblem("image-tag", ok), ok).toBeNull();
    // latest names no build (issue 16): asked again, never deployed.
    for (const bad of ["latest", "V1 Bad", "release_2024_10", "-x", "a".repeat(64), "x;y"]) expect(formatProblem("image-tag", bad), bad).not.toBeNull();
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
