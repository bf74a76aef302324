// Markdown (CommonMark with GitHub's tables) for MIGRATION.md. A value from the repo stays one
// inline piece of the line it is put in: its line breaks and other controls are shown as `\u000a`
// text, it cannot open a heading, quote or list where a line or list item starts, cannot end a
// table cell, and cannot become HTML, an entity or a link. In a code span it is literal: the fence
// is longer than any run of backticks inside.
import { escapeControls } from "../../src/model/controls.js";

/** Escapes what would make text (our prose with values inside) more than inline text. */
export function mdText(text: string, inTable = false): string {
  let s = escapeControls(text)
    // Raw HTML and autolinks start with `<` then a letter, `/`, `!` or `?`; entities are `&…;`.
    .replace(/<(?=[A-Za-z/!?])/g, "\\<")
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, "\\&")
    // An inline link or image needs `](` side by side.
    .replace(/\]\(/g, "]\\(");
  if (inTable) s = s.replace(/\|/g, "\\|");
  // A block marker where the text starts a line or a list item: heading, quote, list, rule, fence.
  // (A fence is three backticks or tildes: one backtick opens a code span, which is inline.)
  s = s.replace(/^( *)([#>+*=-]|`(?=``)|~(?=~~))/, "$1\\$2").replace(/^( *\d+)([.)])/, "$1\\$2");
  // Leading spaces (four make a code block) as character references, which read as spaces.
  return s.replace(/^ +/, (sp) => "&#32;".repeat(sp.length));
}

/** A table cell of prose. */
export const mdCell = (text: string): string => mdText(text, true);

/** A code span showing exactly `value` (controls as `\u001b` text). In a table cell `|` is escaped, which GitHub reads inside code spans too. */
export function mdCode(value: string, inTable = false): string {
  let v = escapeControls(value);
  if (inTable) v = v.replace(/\|/g, "\\|");
  if (v === "") return "` `";
  const longest = Math.max(0, ...[...v.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  // One space each side is stripped by the reader: it lets a value start or end with a backtick,
  // and keeps a value that itself starts and ends with a space intact.
  const pad = v.startsWith("`") || v.endsWith("`") || (v.startsWith(" ") && v.endsWith(" ") && v.trim() !== "") ? " " : "";
  return fence + pad + v + pad + fence;
}
