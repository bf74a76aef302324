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
  /** null: no limit (the container is not capped on that resource). */
  limits: { cpu: string | null; memory: string | null };
}

/**
 * `{requests: {cpu, memory}, limits: {cpu, memory}}`: each field named replaces the fallback's,
 * `null` under limits means no limit; a field not named keeps the fallback. Refusing a request
 * above its limit is src/answers.ts' job, before any emitter runs.
 */
export function answerResources(answers: Answers, id: string, fallback: ResourceSpec): ResourceSpec {
  const v = answers[id];
  const q = (x: RValue | undefined): string | null | undefined => (typeof x === "string" && x.trim() ? x.trim() : typeof x === "number" ? String(x) : x === null ? null : undefined);
  const given = (key: "requests" | "limits") => {
    const p = isObject(v) ? v[key] : undefined;
    return isObject(p) ? p : {};
  };
  const req = given("requests");
  const lim = given("limits");
  return {
    requests: { cpu: q(req["cpu"]) ?? fallback.requests.cpu, memory: q(req["memory"]) ?? fallback.requests.memory },
    limits: {
      cpu: Object.hasOwn(lim, "cpu") && q(lim["cpu"]) !== undefined ? q(lim["cpu"])! : fallback.limits.cpu,
      memory: Object.hasOwn(lim, "memory") && q(lim["memory"]) !== undefined ? q(lim["memory"])! : fallback.limits.memory,
    },
  };
}

export function isObject(v: RValue | undefined): v is { [key: string]: RValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !("sym" in v && Object.keys(v).length === 1);
}
