// The wizard: one prompt per unanswered gap, with why it is asked and where the fact came from.
// The kind of prompt follows the gap: a select for choices, a confirm for yes/no, a list typed
// comma-separated, a mapping typed as YAML flow, anything else as text. promptFor() is pure so
// each kind can be tested keystroke by keystroke (@inquirer/testing) without a terminal.
import { confirm, input, password, select } from "@inquirer/prompts";
import { parse, stringify } from "yaml";
import type { Gap, RValue } from "./model.js";
import { termLines, termText } from "../emitters/encode/terminal.js";
import { formatProblem } from "./answers.js";

export type PromptSpec =
  | { kind: "select"; config: { message: string; choices: { name: string; value: string }[]; default?: string }; parse: (v: string) => RValue }
  | { kind: "confirm"; config: { message: string; default: boolean }; parse: (v: boolean) => RValue }
  | { kind: "input"; config: { message: string; default?: string; validate: (s: string) => true | string }; parse: (v: string) => RValue }
  | { kind: "password"; config: { message: string; mask: string }; parse: (v: string) => RValue };

export function promptFor(gap: Gap): PromptSpec {
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
      config: { message, default: String(d), validate: (s) => (s.trim() !== "" && Number.isFinite(Number(s)) ? true : "a number, please") },
      parse: (s) => Number(s),
    };
  if (Array.isArray(d) && d.every((x) => typeof x === "string"))
    return {
      kind: "input",
      config: { message: `${message} (comma-separated)`, default: d.join(", "), validate: (s) => fits(gap, splitList(s)) },
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
          return v !== null && typeof v === "object" && Array.isArray(v) === Array.isArray(d) ? true : `${want}, please`;
        },
      },
      parse: (s) => read(s) as RValue,
    };
  }
  // A string, or no known value at all (null): free text; empty means "still unknown".
  return {
    kind: "input",
    config: { message, ...(typeof d === "string" && d !== "" ? { default: d } : {}), validate: (s) => (s.trim() === "" && d === null ? true : fits(gap, s.trim())) },
    parse: (s) => (s.trim() === "" && d === null ? null : s.trim()),
  };
}

const splitList = (s: string): string[] => s.split(",").map((x) => x.trim()).filter((x) => x !== "");

/** A typed answer is held to the gap's grammar, as a saved one is (src/answers.ts). */
const fits = (gap: Gap, v: RValue): true | string => (gap.format ? (formatProblem(gap.format, v) ?? true) : true);

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

/** Asks each gap in turn; the caller catches Ctrl-C (ExitPromptError). */
export async function askGaps(gaps: Gap[], out: (s: string) => void, prompts: Prompts = realPrompts): Promise<Record<string, RValue>> {
  const answers: Record<string, RValue> = {};
  for (const [i, gap] of gaps.entries()) {
    out(`\n[${i + 1}/${gaps.length}] ${termText(gap.id)}\n${termLines(gapContext(gap))}`);
    answers[gap.id] = await ask(promptFor(gap), prompts);
  }
  return answers;
}

/** Ctrl-C (or a closed terminal) inside an @inquirer prompt. */
export const isPromptExit = (e: unknown): boolean => e instanceof Error && (e.name === "ExitPromptError" || e.name === "AbortPromptError");
