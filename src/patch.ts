// Applies an emitter's in-place edits of a file the team wrote (the codemod) to the Tree: only when
// every byte range still holds the text the analysis saw, so an edit never lands in the wrong place.
import type { FilePatch } from "./model.js";
import type { Tree } from "./tree.js";

/** Stages the patched file; returns why it was skipped, or null when applied. */
export function applyPatch(tree: Tree, patch: FilePatch, by: string): string | null {
  const text = tree.read(patch.path);
  if (text === null) return `${patch.path}: not found; ${by} edit skipped`;
  let out = Buffer.from(text, "utf8");
  // From the end backwards, so earlier offsets stay valid.
  for (const e of [...patch.edits].sort((a, b) => b.offset - a.offset)) {
    if (out.subarray(e.offset, e.offset + e.length).toString("utf8") !== e.expect) return `${patch.path}: changed since the analysis; ${by} edit skipped`;
    out = Buffer.concat([out.subarray(0, e.offset), Buffer.from(e.replacement, "utf8"), out.subarray(e.offset + e.length)]);
  }
  tree.write(patch.path, out.toString("utf8"), { origin: "patched", by });
  return null;
}
