// Answers as the pipeline hands them to emitters: every gap of the kubernetes family filled with its
// default, plus the defaults of answers other families own (namespace per stage, image repository).
import type { AnalyzerContext, AppModel, Answers } from "../../src/model.js";
import { kubernetesGaps } from "../../src/gaps/kubernetes.js";
import { dnsLabel, stageInstance } from "../../emitters/kustomize/names.js";

export function defaultAnswers(model: AppModel, overrides: Answers = {}): Answers {
  const answers: Answers = {};
  for (const g of kubernetesGaps(model)) answers[g.id] = g.default;
  const app = dnsLabel(model.name.value, 40);
  const stages = model.stages.length ? model.stages.map((s) => s.name) : ["production"];
  for (const s of stages) answers[`stage.${s}.namespace`] = stageInstance(app, s);
  answers["image.repository"] = `registry.example.com/${app}`;
  answers["image.tag"] = "3f9c2ab";
  return { ...answers, ...overrides };
}

export type { AnalyzerContext };
