// One guard for the items a big reader goes through one by one (each nginx file, each worker
// source, each Unicorn/Puma config, each Global file). The items are independent, so an exception
// while reading one (a bug of ours, an input shape nothing foresaw) costs that item alone: it is
// named with its file (and line when known) as a warning, and the reader goes on with the rest.
// Without it, src/analyze.ts's section guard turned the one throw into a null section: every
// nginx file, every worker, the whole Global config lost for one line.
import type { AnalyzerContext } from "../src/model.js";

export interface ItemAt {
  file: string;
  line?: number;
}

/** `fn()`, or `fallback` with an `analyze.item-unread` warning at `at` when it throws. */
export function perItem<T>(ctx: Pick<AnalyzerContext, "problem">, at: ItemAt, what: string, fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    ctx.problem({ file: at.file, line: at.line ?? 0, severity: "warning", message: `analyze.item-unread: ${what} could not be read (internal error: ${why}); it is left out, and the rest was read without it` });
    return fallback;
  }
}
