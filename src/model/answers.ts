// What an emitter reads of the answers besides their values (an emitter is `(model, answers) →
// files`): the file they are saved in, which a generated file names as a value's source, and whether
// a question applied given the answers before it. The answers file itself (parsing, each answer's
// rule, writing) is src/answers.ts; the Answers type is the model's.
import type { Answers, AskCondition, Gap } from "../model.js";

/** The answers file in the repo, unless --answers names another. */
export const ANSWERS_FILE = ".rails2k8s.yml";

/** Whether one askIf condition holds, given the answers before it. */
export function conditionHolds(c: AskCondition, earlier: Answers): boolean {
  const v = earlier[c.id];
  if (typeof v === "string" && c.oneOf.includes(v)) return true;
  const other = c.or ? earlier[c.or.id] : undefined;
  return typeof other === "string" && new RegExp(c.or!.matches).test(other);
}

/** Whether a gap is asked, given the answers before it (each an answer or its default). */
export const applies = (gap: Gap, earlier: Answers): boolean => (gap.askIf ?? []).every((c) => conditionHolds(c, earlier));

/** The gap as the answers before it make it: an earlier answer that says more than the repo changes its why (and default, question, minimum). */
export function inContext(gap: Gap, earlier: Answers): Gap {
  for (const w of gap.whyIf ?? []) {
    const v = earlier[w.id];
    if (typeof v === "string" && new RegExp(w.matches).test(v)) return { ...gap, why: w.why, ...(w.default !== undefined ? { default: w.default } : {}), ...(w.question !== undefined ? { question: w.question } : {}), ...(w.min !== undefined ? { min: w.min } : {}) };
  }
  return gap;
}

/** Why a gap is not asked, from its first unmet condition. */
export function notAskedBecause(gap: Gap, earlier: Answers): string {
  const c = (gap.askIf ?? []).find((c) => !conditionHolds(c, earlier));
  if (!c) return "";
  const v = earlier[c.id];
  const or = c.or ? ` (and ${c.or.id} is not ${c.or.label})` : "";
  return v === undefined ? `${c.id} is not asked${or}` : `${c.id} is ${typeof v === "string" ? v : JSON.stringify(v)}, not ${c.oneOf.join(" or ")}${or}`;
}
