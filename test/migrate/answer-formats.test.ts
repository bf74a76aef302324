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

  it("image tags follow the OCI grammar; a tag the migration Job's name ends with is also a name", () => {
    for (const ok of ["latest", "3f9c2d1", "v1.2.3", "release-2024-10", "V1_Bad", "_x", "a".repeat(128)]) expect(formatProblem("image-tag", ok), ok).toBeNull();
    for (const bad of ["V1 Bad", "-x", ".x", "a".repeat(129), "x;y", ""]) expect(formatProblem("image-tag", bad), bad).not.toBeNull();
    for (const ok of ["latest", "3f9c2d1", "v1.2.3", "release-2024-10"]) expect(formatProblem("job-image-tag", ok), ok).toBeNull();
    for (const bad of ["V1 Bad", "release_2024_10", "-x", "a".repeat(64), "x;y", "V1"]) expect(formatProblem("job-image-tag", bad), bad).not.toBeNull();
    // The room the Job's name leaves (63 minus `<app>-migrate-`).
    const tag = gap("job-image-tag", "latest");
    expect(formatProblem("job-image-tag", "a".repeat(50), { gap: { ...tag, maxLength: 50 } })).toBeNull();
    expect(formatProblem("job-image-tag", "a".repeat(51), { gap: { ...tag, maxLength: 50 } })).toMatch(/at most 50 characters \(this one has 51\)/);
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
