// Every fixture app (fixtures/apps/*): analyze it, emit with the gaps' defaults, and build every
// overlay with the real `kubectl kustomize`; each built object validates and passes "restricted".
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeDir } from "../../src/analyze.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { defaultAnswers } from "./answers.js";
import { kustomizeBuild, requireKubectl, writeTree, removeTrees } from "./kubectl.js";
import { restrictedViolations } from "./restricted.js";
import { validateObject } from "./validate.js";

const ROOT = join(import.meta.dirname, "../../fixtures/apps");
const APPS = existsSync(ROOT) ? readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, "Gemfile")) || existsSync(join(ROOT, d, "config"))).sort() : [];

beforeAll(() => {
  requireKubectl();
});
afterAll(removeTrees);

const models = new Map<string, ReturnType<typeof analyzeDir>>();
const analyzed = (app: string) => {
  if (!models.has(app)) models.set(app, analyzeDir(join(ROOT, app)));
  return models.get(app)!;
};

it("there are fixture apps to build", () => {
  expect(APPS.length).toBeGreaterThan(0);
});

describe.each(APPS)("fixture %s", (app) => {
  for (const target of ["gateway", "alb", "ingress-nginx"])
    it(`builds every overlay (edge ${target})`, async () => {
      const model = await analyzed(app);
      const result = emitKustomize(model, defaultAnswers(model, { "edge.target": target }));
      const root = writeTree(result.files);
      const stages = model.stages.length ? model.stages.map((s) => s.name) : ["production"];
      const overlays = result.files.filter((f) => /^k8s\/overlays\/[^/]+\/kustomization\.yaml$/.test(f.path)).map((f) => f.path.split("/")[2]);
      expect(overlays.sort()).toEqual([...stages].sort());
      for (const s of stages) {
        const objects = kustomizeBuild(root, `k8s/overlays/${s}`);
        expect(objects.some((o) => o.kind === "Deployment")).toBe(true);
        for (const o of objects) {
          validateObject(o);
          expect(restrictedViolations(o), `${app}/${s} ${o.kind}/${o.metadata.name}`).toEqual([]);
        }
      }
    });
});
