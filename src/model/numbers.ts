// A count as a deploy file wrote it, read the one way the analyzers and the emitters both need
// (replicas, processes per server, workers): analyzers may not import the emitters' rules.
import type { RValue } from "../model.js";

/** A number, a numeric string, a Ruby Float, or the default of an `ENV.fetch`; null for anything else. */
export function numberOf(v: RValue | undefined): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  const o = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  if (o && typeof o["float"] === "string") return numberOf(Number(o["float"]));
  if (o && "env" in o) return numberOf((o as { default: RValue }).default);
  return null;
}
