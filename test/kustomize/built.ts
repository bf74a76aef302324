// Emit + kubectl kustomize in one call, for tests that look at the built objects of each stage.
import type { AppModel, Answers, EmitResult } from "../../src/model.js";
import { emitKustomize } from "../../emitters/kustomize/index.js";
import { defaultAnswers } from "./answers.js";
import { kustomizeBuild, writeTree, type K8sObject } from "./kubectl.js";

export interface Built {
  result: EmitResult;
  stages: Record<string, K8sObject[]>;
}

export function emitAndBuild(model: AppModel, overrides: Answers = {}): Built {
  const result = emitKustomize(model, defaultAnswers(model, overrides));
  const root = writeTree(result.files);
  const stages: Record<string, K8sObject[]> = {};
  for (const s of model.stages.length ? model.stages.map((x) => x.name) : ["production"]) stages[s] = kustomizeBuild(root, `k8s/overlays/${s}`);
  return { result, stages };
}

export const find = (objs: K8sObject[], kind: string, suffix = ""): K8sObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name.endsWith(suffix));
  if (!o) throw new Error(`no ${kind} *${suffix} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
  return o;
};

export const all = (objs: K8sObject[], kind: string): K8sObject[] => objs.filter((x) => x.kind === kind);
