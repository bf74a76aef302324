// A value from the repo that no encoder may write (a Bundler version that is not a version, an
// env key that is not a name): the emitter refuses it, naming where it came from, and migrate
// ends with exit 2 and writes nothing. Unusable input, not a bug of rails2k8s.
import type { Source } from "../../src/model.js";

export class RefusedInput extends Error {
  constructor(
    readonly source: Source,
    readonly why: string,
  ) {
    super(`${source.file}${source.line ? `:${source.line}` : ""}: ${why}`);
  }
}
