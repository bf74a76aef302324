// How an RValue reads in terminal output and generated docs. Secrets never reach here as values:
// the analyzers keep secret values out of facts meant for display (see analyzers/secrets.ts).
import { isDateValue, isFloatValue, isSym, isTimeValue, type RValue } from "../model.js";

export function formatValue(v: RValue): string {
  if (v === null) return "nil";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
  const o = v as Record<string, RValue>;
  if (isSym(o)) return `:${o.sym}`;
  if (typeof o.env === "string" && "default" in o) return `ENV[${JSON.stringify(o.env)}]${o.default === null ? "" : ` (default ${formatValue(o.default)})`}`;
  if (typeof o.cap === "string") return `fetch(:${o.cap})`;
  if (typeof o.unknown === "string") return `<unknown: ${o.unknown}${o.expr ? ` — ${o.expr}` : ""}>`;
  if (Array.isArray(o.interp)) return `"${o.interp.map((p) => (typeof p === "string" ? p : `#{${formatValue(p)}}`)).join("")}"`;
  if (isFloatValue(o)) return o.float;
  if (isDateValue(o)) return o.date;
  if (isTimeValue(o)) return o.time;
  return `{${Object.entries(o).map(([k, x]) => `${k}: ${formatValue(x)}`).join(", ")}}`;
}
