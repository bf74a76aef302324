// Runs the real `kubectl kustomize` on emitted files written to a temp dir. kubectl must be on the
// machine: without it these tests fail loudly, they never skip.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { EmittedFile } from "../../src/model.js";

export function requireKubectl(): string {
  try {
    return execFileSync("kubectl", ["version", "--client"], { encoding: "utf8" });
  } catch (e) {
    throw new Error(`kubectl is required for the kustomize tests and was not found or failed: ${(e as Error).message}`);
  }
}

const created: string[] = [];

/** Removes the temp dirs writeTree made (call from afterAll). */
export function removeTrees(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function writeTree(files: EmittedFile[]): string {
  const root = mkdtempSync(join(tmpdir(), "rails2k8s-kustomize-"));
  created.push(root);
  for (const f of files) {
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
  }
  return root;
}

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

export function kustomizeBuild(root: string, dir: string): K8sObject[] {
  const text = execFileSync("kubectl", ["kustomize", join(root, dir)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return parseAllDocuments(text).map((d) => d.toJSON() as K8sObject).filter(Boolean);
}
