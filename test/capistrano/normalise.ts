// Our RValues as Ruby would hold them with every ENV variable unset: an EnvRef is its default, an
// interpolation is joined, an Unknown becomes the UNKNOWN marker (so tests can say where).
import type { RValue } from "../../src/model.js";
import { isEnvRef, isInterp, isUnknown, isHash, rubyToS } from "../../analyzers/ruby/evaluate.js";

export const UNKNOWN = "<<unknown>>";

export function withEnvUnset(v: RValue): unknown {
  if (Array.isArray(v)) return v.map(withEnvUnset);
  if (v === null || typeof v !== "object") return v;
  if (isUnknown(v)) return UNKNOWN;
  if (isEnvRef(v)) return v.default === null ? null : withEnvUnset(v.default);
  if (isInterp(v)) {
    const parts = v.interp.map(withEnvUnset);
    if (parts.includes(UNKNOWN)) return UNKNOWN;
    return parts.map((p) => rubyToS(p as RValue) ?? UNKNOWN).join("");
  }
  if (isHash(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withEnvUnset(x)]));
  return v;
}
