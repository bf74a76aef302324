// workers.backend-not-migrated's advice (analyzers/hazards.ts otherJobBackends): "Add resque to the
// Gemfile" fits only a backend whose gem is missing. Audit B s26 #8: a Resque pool whose config the
// deploy wrote was not carried, resque was in the lockfile, and the advice still said to add it.
import { describe, expect, it } from "vitest";
import { findHazards } from "../../analyzers/hazards.js";
import { baseModel, baseRails } from "./base-model.js";
import type { WorkerFacts } from "../../src/model.js";

const src = (file: string, line: number) => ({ file, line });
const AS_OF = new Date("2026-01-01");
const notCarried = { name: "worker-resque-pool", backend: "resque", carried: false, why: "its pool config is written at deploy by `rake config:pool` (lib/tasks/config.rake:4)", evidence: [{ value: "resque-pool", source: src("Gemfile.lock", 30) }] } as unknown as WorkerFacts;

describe("workers.backend-not-migrated advice", () => {
  it("with the backend's gem in the lockfile, does not tell to add it", () => {
    const gems = { resque: { value: "2.6.0", source: src("Gemfile.lock", 29) } };
    const h = findHazards(baseModel({ rails: baseRails({ gems }), workers: [notCarried] }), AS_OF).filter((x) => x.id === "workers.backend-not-migrated");
    expect(h).toHaveLength(1);
    expect(h[0]!.advice).not.toMatch(/Add resque to the Gemfile/);
    expect(h[0]!.advice).toMatch(/bundle exec rake resque:work/);
  });

  it("without it, still does", () => {
    const h = findHazards(baseModel({ rails: baseRails({ gems: {} }), workers: [notCarried] }), AS_OF).filter((x) => x.id === "workers.backend-not-migrated");
    expect(h[0]!.advice).toMatch(/^Add resque to the Gemfile/);
  });
});
