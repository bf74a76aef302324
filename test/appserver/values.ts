// What a value is when the process runs with none of the ENV variables it reads set: each EnvRef
// becomes its default (that is what the oracles run with), interpolations are joined.
import type { RValue } from "../../src/model.js";
import { isEnvRef, isInterp, rubyToS } from "../../analyzers/ruby/evaluate.js";

export function withEnvDefaults(v: RValue): RValue {
  if (isEnvRef(v)) return v.default === null ? null : withEnvDefaults(v.default);
  if (isInterp(v)) return v.interp.map((p) => rubyToS(withEnvDefaults(p)) ?? "?").join("");
  if (Array.isArray(v)) return v.map(withEnvDefaults);
  return v;
}
