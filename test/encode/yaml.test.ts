// The Kubernetes YAML writer (emitters/kustomize/yaml.ts): any string, key or value, reads back
// exactly (the yaml library and the real `kubectl kustomize`), and no character a terminal or an
// editor acts on is left raw: the library itself writes C1 controls (0x9b is CSI), separators and
// bidi controls raw even inside double quotes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { toYaml } from "../../emitters/kustomize/yaml.js";
import { kustomizeBuild, removeTrees, requireKubectl, writeTree } from "../kustomize/kubectl.js";

beforeAll(() => void requireKubectl());
afterAll(removeTrees);

const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
const PLANTED = ["a\x9b31mb", "\u202eevil", "x\u2028y", "\ufeffbom", "\x1b]0;t\x07", "del\x7f", "\u2066iso\u2069", "plain", "#{x} $(y) `z`", "line1\nline2\x85"];

const objectOf = (values: string[]) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: Object.fromEntries(values.map((v, i) => [`k${i}`, v])), plain: Object.fromEntries(values.map((v) => [v, v])) });

describe("toYaml", () => {
  it("any string (planted and generated) reads back exactly, with no raw control (property)", () => {
    const gen = fc.string({ unit: "binary", maxLength: 20 }).map((s) => s.toWellFormed());
    const check = (v: string) => {
      const text = toYaml([{ k: v, [v || "empty"]: [v] }], `from ${v}`);
      expect(text.split("\n").filter((l) => RAW.test(l.replace(/\t/g, "")))).toEqual([]);
      const back = parseAllDocuments(text)[0]!.toJS();
      expect(back).toEqual({ k: v, [v || "empty"]: [v] });
    };
    for (const v of PLANTED) check(v);
    fc.assert(fc.property(gen, check), { numRuns: 400, seed: 11 });
  });

  it("kubectl kustomize reads each planted value back (those Go's YAML emitter writes again: it refuses C0, C1 and a BOM, and folds line separators)", () => {
    const PLANTED = ["\u202eevil", "\u2066iso\u2069", "plain", "#{x} $(y) `z`", "line1\nline2"];
    const root = writeTree([
      { path: "k/kustomization.yaml", content: "resources: [cm.yaml]\n" },
      { path: "k/cm.yaml", content: toYaml([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: objectOf(PLANTED).data }]) },
    ]);
    expect(kustomizeBuild(root, "k")[0]!.data).toEqual(objectOf(PLANTED).data);
  });
});
