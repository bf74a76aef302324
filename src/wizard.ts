// The wizard: one prompt per unanswered gap, with why it is asked and where the fact came from.
// The kind of prompt follows the gap: a select for choices, a confirm for yes/no, a list typed
// comma-separated, a mapping typed as YAML flow, anything else as text. promptFor() is pure so
// each kind can be tested keystroke by keystroke (@inquirer/testing) without a terminal.
import { confirm, input, password, select } from "@inquirer/prompts";
import { parse, stringify } from "yaml";
import type { Answers, Gap, RValue } from "./model.js";
import { termLines, termText } from "../emitters/encode/terminal.js";
import { answerProblem, walkGaps } from "./answers.js";
import { applies, inContext } from "./model/answers.js";

export type PromptSpec =
  | { kind: "select"; config: { message: string; choices: { name: string; value: string }[]; default?: string }; parse: (v: string) => RValue }
  | { kind: "confirm"; config: { message: string; default: boolean }; parse: (v: boolean) => RValue }
  | { kind: "input"; config: { message: string; default?: string; validate: (s: string) => true | string }; parse: (v: string) => RValue }
  | { kind: "password"; config: { message: string; mask: string }; parse: (v: string) => RValue };

/** The prompt for a gap; `earlier` are the answers before it (some rules depend on them). */
export function promptFor(gap: Gap, earlier: Answers = {}): PromptSpec {
  const fits = (v: RValue): true | string => answerProblem(gap, v, earlier) ?? true;
  // Questions and choices name repo values: shown with their controls escaped.
  const message = termText(gap.question);
  const d = gap.default;
  if (gap.secret) return { kind: "password", config: { message, mask: "*" }, parse: (v) => v };
  if (gap.choices?.length) {
    const choices = gap.choices.map((c) => ({ name: termText(c), value: c }));
    return { kind: "select", config: { message, choices, ...(typeof d === "string" && gap.choices.includes(d) ? { default: d } : {}) }, parse: (v) => v };
  }
  if (typeof d === "boolean") return { kind: "confirm", config: { message, default: d }, parse: (v) => v };
  if (typeof d === "number")
    return {
      kind: "input",
      config: { message, default: String(d), validate: (s) => (s.trim() !== "" && Number.isFinite(Number(s)) ? fits(Number(s)) : "a number, please") },
      parse: (s) => Number(s),
    };
  if (Array.isArray(d) && d.every((x) => typeof x === "string"))
    return {
      kind: "input",
      config: { message: `${message} (comma-separated)`, default: d.join(", "), validate: (s) => fits(splitList(s)) },
      parse: splitList,
    };
  if (d !== null && typeof d === "object") {
    const want = Array.isArray(d) ? "a YAML list" : "a YAML mapping";
    const read = (s: string): unknown => {
      try {
        return parse(s);
      } catch {
        return undefined;
      }
    };
    return {
      kind: "input",
      config: {
        message: `${message} (YAML)`,
        default: stringify(d, { collectionStyle: "flow", lineWidth: 0 }).trim(),
        validate: (s) => {
          const v = read(s);
          return v !== null && typeof v === "object" && Array.isArray(v) === Array.isArray(d) ? fits(v as RValue) : `${want}, please`;
        },
      },
      parse: (s) => read(s) as RValue,
    };
  }
  // A string, or no known value at all (null): free text; empty means "still unknown".
  return {
    kind: "input",
    config: { message, ...(typeof d === "string" && d !== "" ? { default: d } : {}), validate: (s) => (s.trim() === "" && d === null ? true : fits(s.trim())) },
    parse: (s) => (s.trim() === "" && d === null ? null : s.trim()),
  };
}

const splitList = (s: string): string[] => s.split(",").map((x) => x.trim()).filter((x) => x !== "");


/** Two lines before each question: why it is asked, and where the fact (or its absence) is. */
export function gapContext(gap: Gap): string {
  const lines = [`  why: ${gap.why}`];
  if (gap.source) lines.push(`  from: ${gap.source.file}${gap.source.line ? `:${gap.source.line}` : ""}`);
  return lines.join("\n") + "\n";
}

/** The prompt functions (swappable in tests). */
export interface Prompts {
  input: typeof input;
  select: typeof select;
  confirm: typeof confirm;
  password: typeof password;
}
export const realPrompts: Prompts = { input, select, confirm, password };

export async function ask(spec: PromptSpec, prompts: Prompts = realPrompts): Promise<RValue> {
  switch (spec.kind) {
    case "select":
      return spec.parse(await prompts.select(spec.config));
    case "confirm":
      return spec.parse(await prompts.confirm(spec.config));
    case "input":
      return spec.parse(await prompts.input(spec.config));
    case "password":
      return spec.parse(await prompts.password(spec.config));
  }
}

/**
 * Walks the gaps in order: an answer in `known` (saved) is taken, a gap that does not apply given
 * the answers before it is skipped, any other is asked, its why computed from those answers. A
 * typed answer that breaks the gap's rule is refused by the prompt, which says why and asks again.
 */
export async function askGaps(gaps: Gap[], out: (s: string) => void, prompts: Prompts = realPrompts, known: Answers = {}): Promise<Record<string, RValue>> {
  let asked = 0;
  const { answers } = await walkGaps(gaps, async (gap, earlier) => {
    if (Object.hasOwn(known, gap.id) && !gap.secret) return known[gap.id]!;
    asked += 1;
    out(`\n[${asked}/${asked + toAsk(gaps, gap, earlier, known)}] ${termText(gap.id)}\n${termLines(gapContext(gap))}`);
    return ask(promptFor(gap, earlier), prompts);
  });
  return answers;
}

/** How many questions follow `after`, if each takes its default: the count the wizard shows. */
function toAsk(gaps: Gap[], after: Gap, earlier: Answers, known: Answers): number {
  const ahead = { ...earlier, [after.id]: after.default };
  let n = 0;
  for (const raw of gaps.slice(gaps.findIndex((g) => g.id === after.id) + 1)) {
    if (!applies(raw, ahead)) continue;
    const g = inContext(raw, ahead);
    const saved = Object.hasOwn(known, g.id) && !g.secret;
    if (!saved) n += 1;
    ahead[g.id] = saved ? known[g.id]! : g.default;
  }
  return n;
}

/** Ctrl-C (or a closed terminal) inside an @inquirer prompt. */
export const isPromptExit = (e: unknown): boolean => e instanceof Error && (e.name === "ExitPromptError" || e.name === "AbortPromptError");
