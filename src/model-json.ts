// The AppModel as `analyze --json` prints it. A repo's Hash whose keys spell a tagged value
// (`{sym: "short"}` in a Global file) is told apart in memory by a brand JSON cannot carry: printed
// as is, it would read as the Symbol :short. It is written wrapped instead (HashValue in
// src/model.ts: `{"hash": {"sym": "short"}}`), and a Hash shaped like that wrapper is wrapped too,
// so every object of the JSON has one reading.
import { isPlainHash, type AppModel } from "./model.js";

export function modelJson(model: AppModel): string {
  // The spread copy has the Hash's own keys (`__proto__` included, as data) and not its brand, so
  // the replacer, called again on it under `hash`, leaves it as it is.
  return JSON.stringify(model, (_key, v: unknown) => (isPlainHash(v) ? { hash: { ...(v as object) } } : v), 2);
}
