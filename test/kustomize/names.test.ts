// Names from the repo (app name, stage names, whenever job names) become Kubernetes names, label
// values, namespaces and overlay directories. Whatever the text, what comes out is valid by
// Kubernetes' own rules (the patterns of k8s.io/apimachinery/pkg/util/validation, written out
// here rather than imported from src/model/names.ts, so the test does not check the code against itself).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { appName, stageInstance } from "../../emitters/kustomize/names.js";
import { cronJobBaseName } from "../../emitters/kustomize/rules/cron-names.js";
import { placeholderHost } from "../../emitters/kustomize/rules/hosts.js";
import { k8sOverlay } from "../../emitters/contract.js";
import { dnsLabel, joinLabel, stageSlug } from "../../src/model/names.js";
import { hostProblem } from "../../src/answers.js";
import type { AppModel, CronJob } from "../../src/model.js";
import { parseAllDocuments } from "yaml";
import { defaultAnswers } from "./answers.js";
import { shopModel } from "./models.js";

// IsDNS1123Label / IsDNS1123Subdomain (validation.go).
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// IsValidLabelValue: empty, or ≤ 63 of alphanumerics, `-`, `_`, `.` starting and ending alphanumeric.
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const isLabel = (s: string, max = 63) => s.length <= max && LABEL.test(s);
const isSubdomain = (s: string, max = 253) => s.length <= max && SUBDOMAIN.test(s);

/** Any text, with the characters planted names use most: newlines, `/`, `..`, unicode, upper case. */
const hostile = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.stringMatching(/^[A-Za-z0-9_. \n/\\-]{0,90}$/),
  fc.constantFrom("..", ".", "", "/", "a/../../b", "Prod\nx", "ünïcødé", "☃", "-", "_", "x".repeat(300), "A_B.C-D"),
);
/** Names of stage files as teams write them, and long ones: the mapped side of stageSlug. */
const stageLike = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,80}$/);

describe("names from repo text", () => {
  it("dnsLabel: always an RFC 1123 label within its limit", () => {
    fc.assert(
      fc.property(hostile, fc.integer({ min: 1, max: 63 }), (text, max) => {
        expect(isLabel(dnsLabel(text, max), max), JSON.stringify(text)).toBe(true);
      }),
      { numRuns: 2000, seed: 1123 },
    );
  });

  it("joinLabel: a label within its limit; two different long names stay different", () => {
    fc.assert(
      fc.property(fc.array(hostile.map((t) => dnsLabel(t)), { minLength: 1, maxLength: 4 }), fc.integer({ min: 20, max: 63 }), (parts, max) => {
        expect(isLabel(joinLabel(parts, max), max), JSON.stringify(parts)).toBe(true);
      }),
      { numRuns: 1000, seed: 7 },
    );
    const a = joinLabel(["shop", "x".repeat(70) + "a"]);
    const b = joinLabel(["shop", "x".repeat(70) + "b"]);
    expect(a).not.toBe(b);
    expect([a.length, b.length]).toEqual([63, 63]);
  });

  it("stageSlug: refused, or one label that is a safe path segment, namespace and label value", () => {
    fc.assert(
      fc.property(fc.oneof(hostile, stageLike), (name) => {
        const r = stageSlug(name);
        if ("refused" in r) {
          expect(r.refused).toContain(JSON.stringify(name));
          return;
        }
        expect(isLabel(r.slug), JSON.stringify(name)).toBe(true);
        expect(LABEL_VALUE.test(r.slug)).toBe(true);
        expect(k8sOverlay(name)).toBe(`k8s/overlays/${r.slug}`);
        expect(isLabel(stageInstance(dnsLabel(name, 40), name))).toBe(true);
      }),
      { numRuns: 3000, seed: 42 },
    );
  });

  it("stageSlug: maps what stage files are named like, refuses the rest", () => {
    expect(stageSlug("Production")).toEqual({ slug: "production" });
    expect(stageSlug("staging_1")).toEqual({ slug: "staging-1" });
    expect(stageSlug("QA_Blue.v2")).toEqual({ slug: "qa-blue-v2" });
    // capistrano-multiconfig's nested stages
    expect(stageSlug("shop:production")).toEqual({ slug: "shop-production" });
    for (const bad of [".", "..", "_", "-", "", "qa\nx", "qa x", "qa/x", "prödüction", "x".repeat(64)]) expect(stageSlug(bad), JSON.stringify(bad)).toHaveProperty("refused");
    fc.assert(
      fc.property(stageLike, (name) => {
        const accepted = /[A-Za-z0-9]/.test(name) && name.replace(/^[_.:-]+|[_.:-]+$/g, "").replace(/[_.:-]+/g, "-").length <= 63;
        expect("slug" in stageSlug(name), name).toBe(accepted);
      }),
      { numRuns: 2000, seed: 5 },
    );
  });

  it("CronJob names from whenever job names: ≤ 48 before the schedule suffix, so ≤ 52 with it", () => {
    fc.assert(
      fc.property(hostile, hostile, (app, task) => {
        const job = { task, type: "rake", schedules: [], roles: [], source: { file: "config/schedule.rb", line: 1 } } as unknown as CronJob;
        const base = cronJobBaseName(dnsLabel(app, 40), job);
        expect(isSubdomain(base, 48), JSON.stringify([app, task])).toBe(true);
        expect(isSubdomain(`${base}-99`, 52)).toBe(true);
      }),
      { numRuns: 2000, seed: 9 },
    );
  });

  it("placeholder hosts are DNS subdomains", () => {
    fc.assert(
      fc.property(hostile, stageLike, (app, stage) => {
        fc.pre("slug" in stageSlug(stage));
        const host = placeholderHost(dnsLabel(app, 40), stage);
        expect(isSubdomain(host)).toBe(true);
        // Reserved (RFC 2606): it can never resolve, and reads as a placeholder.
        expect(host).toMatch(/^set-me\.[^.]+\.[^.]+\.invalid$/);
        // Our own answer rule takes it for every edge target (the ALB's included: ≤ 128, letters last).
        for (const target of ["gateway", "alb", "ingress-nginx"]) expect(hostProblem(host, target), `${host} ${target}`).toBeNull();
      }),
      { numRuns: 1000, seed: 3 },
    );
  });
});

/** The shop model with its app and stages renamed (hosts and templates then no longer match: placeholders). */
function renamed(app: string, stages: string[]): AppModel {
  const m = shopModel();
  m.name = { ...m.name, value: app };
  m.stages = stages.map((name, i) => ({ ...m.stages[i % m.stages.length]!, name, source: { file: `config/deploy/${name}.rb`, line: 1 } }));
  return m;
}

describe("the kustomize output, whatever the app and stage names", () => {
  it("every object name, namespace, label value and overlay path is valid", () => {
    const distinct = fc.uniqueArray(stageLike.filter((s) => "slug" in stageSlug(s)), { minLength: 1, maxLength: 3, selector: (s) => (stageSlug(s) as { slug: string }).slug });
    fc.assert(
      fc.property(hostile, distinct, (app, stages) => {
        const model = renamed(app, stages);
        const result = emitKustomize(model, defaultAnswers(model));
        for (const f of result.files) {
          const segments = f.path.split("/");
          expect(segments.every((s) => s !== "" && s !== "." && s !== ".." && !/[\s\\]/.test(s)), f.path).toBe(true);
          if (f.path.startsWith("k8s/overlays/")) expect(isLabel(segments[2]!), f.path).toBe(true);
          if (!f.path.endsWith(".yaml")) continue;
          for (const doc of parseAllDocuments(f.content)) {
            const o = doc.toJSON() as Record<string, any> | null;
            if (!o) continue;
            if (o.kind === "Kustomization") {
              if (o.namespace !== undefined) expect(isLabel(o.namespace), `${f.path} namespace ${o.namespace}`).toBe(true);
              for (const l of o.labels ?? []) for (const v of Object.values(l.pairs ?? {})) expect(LABEL_VALUE.test(v as string) && (v as string).length <= 63, `${f.path} label ${v}`).toBe(true);
              continue;
            }
            // A transformer configuration (kustomizeconfig.yaml) is not an object: it names none.
            if (!o.kind) continue;
            const name: string = o.metadata?.name;
            // A Job's name gets kustomize's 11-character hash suffix (its inputs Secret's), within 63.
            const limit = o.kind === "CronJob" ? 52 : o.kind === "Job" ? 52 : o.kind === "Service" ? 63 : 253;
            expect(o.kind === "Service" ? isLabel(name, limit) : isSubdomain(name, limit), `${f.path} ${o.kind}/${name}`).toBe(true);
            for (const v of Object.values(o.metadata?.labels ?? {})) expect(LABEL_VALUE.test(v as string) && (v as string).length <= 63, `${f.path} label ${v}`).toBe(true);
          }
        }
      }),
      { numRuns: 40, seed: 11 },
    );
  });
});
