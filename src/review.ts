// The review shown before anything is written, like Yeoman's conflicter: a unified diff per file
// against the working tree, then one summary line per file. Secret files never show their content.
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import { termText } from "../emitters/encode/terminal.js";

export type ReviewStatus = "new" | "changed" | "unchanged" | "conflict" | "overwrite" | "skipped" | "kept";

export interface ReviewItem {
  path: string;
  status: ReviewStatus;
  before: string | null;
  after: string | null;
  secret?: boolean;
  /** Shown in the summary only (the generated-file record: hashes are noise in a diff). */
  quiet?: boolean;
  reason?: string;
}

// Paths, reasons and file content come from the repo: each is escaped for the terminal (termText)
// before our own colour is put around it.
const paint = (on: boolean, code: string, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** A unified diff of one file (empty for unchanged ones); secrets show a placeholder instead. */
export function renderDiff(item: ReviewItem, color: boolean): string {
  // Skipped and kept files are not written: the summary says why, a diff would mislead.
  if (item.status === "unchanged" || item.status === "kept" || item.status === "skipped" || item.quiet) return "";
  if (item.secret) return `${paint(color, "1", `--- ${termText(item.path)}`)}\n  (secret values hidden)\n`;
  if (item.before !== null && item.before.includes("\0")) return `${paint(color, "1", `--- ${termText(item.path)}`)}\n  (binary file)\n`;
  const patch = unifiedDiff(item.before === null ? "/dev/null" : `a/${item.path}`, `b/${item.path}`, item.before ?? "", item.after ?? "");
  return patch
    .split("\n")
    .map(termText)
    .map((l) => {
      if (!color || l === "") return l;
      if (l.startsWith("+++") || l.startsWith("---")) return paint(true, "1", l);
      if (l.startsWith("@@")) return paint(true, "36", l);
      if (l.startsWith("+")) return paint(true, "32", l);
      if (l.startsWith("-")) return paint(true, "31", l);
      return l;
    })
    .join("\n");
}

/**
 * Myers' diff costs (lines of both files) × (lines changed): two large files that differ a lot
 * would take minutes. Past this many line-steps the review says how the file changes instead.
 */
export const DIFF_BUDGET = 20_000_000;

/** `diff -u` text of one file, as the diff package writes it, in time linear in the files' size. */
export function unifiedDiff(oldName: string, newName: string, before: string, after: string): string {
  const opts = { context: 3, headerOptions: FILE_HEADERS_ONLY };
  // The headers as the package writes them (it quotes unusual names): a diff of two empty texts.
  const head = () => createTwoFilesPatch(oldName, newName, "", "", undefined, undefined, opts);
  // A new file is all additions: written directly (the package's Myers run is quadratic here).
  if (before === "") {
    if (after === "") return head();
    const lines = after.split("\n");
    const eol = lines[lines.length - 1] === "";
    if (eol) lines.pop();
    return `${head()}@@ -0,0 +1,${lines.length} @@\n+${lines.join("\n+")}\n${eol ? "" : "\\ No newline at end of file\n"}`;
  }
  const size = lineCount(before) + lineCount(after);
  const maxEditLength = Math.max(100, Math.floor(DIFF_BUDGET / size));
  const patch = createTwoFilesPatch(oldName, newName, before, after, undefined, undefined, { ...opts, maxEditLength });
  if (patch !== undefined) return patch;
  return `${head()}  (more than ${maxEditLength} lines differ: ${lineCount(before)} lines before, ${lineCount(after)} after; the diff is not shown)\n`;
}

const lineCount = (s: string): number => {
  let n = s.length && !s.endsWith("\n") ? 1 : 0;
  for (let at = s.indexOf("\n"); at >= 0; at = s.indexOf("\n", at + 1)) n++;
  return n;
};

const LABEL: Record<ReviewStatus, [string, string]> = {
  new: ["new", "32"],
  changed: ["changed", "33"],
  unchanged: ["unchanged", "2"],
  conflict: ["conflict", "31;1"],
  overwrite: ["overwrite", "31;1"],
  skipped: ["skipped", "35"],
  kept: ["kept", "2"],
};

/** One line per file: status, path, and why for conflicts, skipped and kept files. */
export function renderSummary(items: ReviewItem[], color: boolean): string {
  const width = Math.max(...Object.values(LABEL).map(([l]) => l.length));
  return items
    .map((i) => {
      const [label, code] = LABEL[i.status];
      const note = [i.secret ? "secret, git-ignored" : "", i.reason ?? ""].filter(Boolean).join("; ");
      return `  ${paint(color, code, label.padEnd(width))}  ${termText(i.path)}${note ? `  (${termText(note)})` : ""}`;
    })
    .join("\n")
    .concat(items.length ? "\n" : "");
}

/** Counts for the closing line: "3 new, 2 changed, 10 unchanged, 1 skipped". */
export function countLine(items: ReviewItem[]): string {
  const order: ReviewStatus[] = ["new", "changed", "overwrite", "unchanged", "conflict", "skipped", "kept"];
  return order
    .map((s) => [s, items.filter((i) => i.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(", ");
}
