// The env-file encoder, judged by the real `kubectl kustomize`: what the configMapGenerator reads
// back is exactly each value, comments never become entries; and the kustomize emitter with
// planted default_env values and stage names.
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import fc from "fast-check";
import { envComment, envExpressible, envLine, isEnvKey } from "../../emitters/encode/envfile.js";
import { envFiles } from "../../emitters/kustomize/config.js";
import { kustomizeBuild, removeTrees, requireKubectl, writeTree } from "../kustomize/kubectl.js";
import { emitAndBuild, find } from "../kustomize/built.js";
import { shopModel } from "../kustomize/models.js";

beforeAll(() => void requireKubectl());
afterAll(removeTrees);

const KUSTOMIZATION = "configMapGenerator:\n- name: c\n  envs: [a.env]\ngeneratorOptions:\n  disableNameSuffixHash: true\n";

function readBack(envText: string): Record<string, string> {
  const root = writeTree([
    { path: "k/kustomization.yaml", content: KUSTOMIZATION },
    { path: "k/a.env", content: envText },
  ]);
  return kustomizeBuild(root, "k")[0]!.data ?? {};
}

const HOSTILE = ["  lead", "trail  ", '"quoted"', "'single'", "a=b#c", "#x", "", "\\n", "é漢🙂", "\u001b[31m", "\t", "x\0y", "$HOME", "${A}"];

describe("envLine", () => {
  it("kustomize reads back every expressible value exactly (planted and generated)", () => {
    const gen = fc.string({ unit: "binary", maxLength: 30 }).map((s) => s.toWellFormed()).filter(envExpressible);
    const values = [...HOSTILE, ...fc.sample(gen, { numRuns: 300, seed: 5 })];
    // Comments with anything in them, between the entries: none may become an entry.
    const comments = fc.sample(fc.string({ unit: "binary", maxLength: 30 }), { numRuns: values.length, seed: 6 });
    const text = values.map((v, i) => envComment(comments[i]!) + envLine(`K${i}`, v)).join("");
    const data = readBack(text);
    expect(Object.keys(data).length).toBe(values.length);
    values.forEach((v, i) => expect(data[`K${i}`], JSON.stringify(v)).toBe(v));
  });

  it("a line break, a CR or a lone surrogate is not expressible; keys must be names", () => {
    for (const v of ["a\nb", "a\r", "\r\n", "\ud800"]) expect(envExpressible(v)).toBe(false);
    expect(() => envLine("A", "x\nB=1")).toThrow();
    for (const k of ["A-B", "1A", "", "A B", "A\nB", "A=B"]) expect(isEnvKey(k), k).toBe(false);
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]*$/), isEnvKey));
  });
});

describe("the kustomize emitter with planted env values", () => {
  it("a stage name holding a newline stays inside the header comment", () => {
    const files = envFiles("prod\nEVIL=1", { config: [["A", "1"]], secrets: [["S", ""]], unset: [{ name: "U", source: { file: "x\nBAD=2", line: 1 }, fallback: null }] });
    for (const f of files) {
      expect(f.content).not.toMatch(/^(EVIL|BAD)=/m);
      for (const line of f.content.split("\n").filter(Boolean)) expect(line, f.path).toMatch(/^(#|[A-Za-z_][A-Za-z0-9_]*=)/);
    }
  });

  it("default_env: a multi-line value and a key that is not a name are left out, each with a note, and kustomize builds", () => {
    const m = shopModel();
    const env = m.stages[0]!.variables["default_env"]!;
    env.value = { ...(env.value as Record<string, string>), MULTI: "line1\nINJECTED=1", "BAD-KEY": "x", SPACED: "  kept  " };
    const built = emitAndBuild(m);
    const cm = find(built.stages["production"]!, "ConfigMap");
    expect(cm.data["SPACED"]).toBe("  kept  ");
    expect(cm.data).not.toHaveProperty("MULTI");
    expect(cm.data).not.toHaveProperty("INJECTED");
    expect(cm.data).not.toHaveProperty("BAD-KEY");
    const notes = built.result.notes.map((n) => n.message);
    expect(notes.some((n) => n.includes("MULTI") && n.includes("line break"))).toBe(true);
    expect(notes.some((n) => n.includes('"BAD-KEY"') && n.includes("not an environment variable name"))).toBe(true);
    // Not listed as carried over.
    expect(built.result.provenance.some((p) => p.what.startsWith("MULTI "))).toBe(false);
    expect(built.result.provenance.some((p) => p.what.startsWith("BAD-KEY "))).toBe(false);
  });
});
