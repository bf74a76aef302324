// The codemod: `Global.payment.endpoint` → `Rails.configuration.x.payment.endpoint`. The analysis
// located each `Global` receiver with Prism (byte ranges, not a regex over text); only calls whose
// first method names a namespace that now lives in config/custom are rewritten, so
// `Global.configure`, `Global.reload!` and unknown names stay as they are.
import type { FilePatch, GlobalCallSite } from "../../src/model.js";

export const REPLACEMENT = "Rails.configuration.x";

export function codemodPatches(calls: GlobalCallSite[], namespaces: Set<string>): FilePatch[] {
  const byFile = new Map<string, GlobalCallSite[]>();
  for (const c of calls) {
    if (c.converted || c.manual) continue;
    const first = /^(?:::)?Global\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(c.expr)?.[1];
    if (!first || !namespaces.has(first)) continue;
    const list = byFile.get(c.file) ?? [];
    list.push(c);
    byFile.set(c.file, list);
  }
  return [...byFile.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([file, list]) => ({
      path: file,
      source: { file, line: list[0].line },
      edits: list
        .sort((a, b) => a.offset - b.offset)
        .map((c) => ({ offset: c.offset, length: c.length, expect: c.expr.startsWith("::") ? "::Global" : "Global", replacement: REPLACEMENT })),
    }));
}
