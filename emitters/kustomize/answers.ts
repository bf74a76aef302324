// Reading answers defensively: the pipeline fills every gap, but an answers file is user-edited,
// and some answers (image, namespace, nginx sidecar) belong to other families and may be absent.
import type { Answers, RValue } from "../../src/model.js";

export function answerString(answers: Answers, id: string, fallback: string): string {
  const v = answers[id];
  if (typeof v === "string" && v.trim() !== "") return v.trim();
  if (typeof v === "number") return String(v);
  return fallback;
}

export function answerNumber(answers: Answers, id: string, fallback: number): number {
  const v = answers[id];
  const n = typeof v === "number" ? v : typeof v === "string" && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function answerBool(answers: Answers, id: string, fallback: boolean): boolean {
  const v = answers[id];
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    if (/^(true|yes|y|on|1)$/i.test(v.trim())) return true;
    if (/^(false|no|n|off|0)$/i.test(v.trim())) return false;
  }
  return fallback;
}

/** A list answer: a YAML list, or one string with items separated by commas or spaces. */
export function answerList(answers: Answers, id: string, fallback: string[]): string[] {
  const v = answers[id];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string" && x.trim() !== "").map((x) => x.trim());
  if (typeof v === "string") return v.split(/[\s,]+/).filter(Boolean);
  return fallback;
}

export interface ResourceSpec {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** `{requests: {cpu, memory}, limits: {cpu, memory}}`; any missing part comes from the fallback. */
export function answerResources(answers: Answers, id: string, fallback: ResourceSpec): ResourceSpec {
  const v = answers[id];
  const part = (o: RValue | undefined, key: "requests" | "limits") => {
    const p = isObject(o) ? o[key] : undefined;
    const f = fallback[key];
    if (!isObject(p)) return { ...f };
    const q = (x: RValue | undefined, d: string) => (typeof x === "string" && x.trim() ? x.trim() : typeof x === "number" ? String(x) : d);
    return { cpu: q(p["cpu"], f.cpu), memory: q(p["memory"], f.memory) };
  };
  return { requests: part(v, "requests"), limits: part(v, "limits") };
}

export function isObject(v: RValue | undefined): v is { [key: string]: RValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !("sym" in v && Object.keys(v).length === 1);
}
