// The review shown before anything is written, like Yeoman's conflicter: a unified diff per file
// against the working tree, then one summary line per file. Secret files never show their content.
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import { termLines, termText } from "../emitters/encode/terminal.js";
import { CONTROL } from "./model/controls.js";

export type ReviewStatus = "new" | "changed" | "unchanged" | "conflict" | "overwrite" | "skipped" | "kept" | "delete";

export interface ReviewItem {
  path: string;
  status: ReviewStatus;
  before: string | null;
  after: string | null;
  secret?: boolean;
  /** Shown in the summary only (the generated-file record: hashes are noise in a diff). */
  quiet?: boolean;
  reason?: string;
  /** Why the file is written at all (the summary's last column); see whyWritten(). */
  why?: string;
}

// Paths, reasons and file content come from the repo: each is escaped for the terminal (termText)
// before our own colour is put around it.
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_TAB_NL = new RegExp(CONTROL.source.replace("\\u0000-\\u001f", "\\u0000-\\u0008\\u000b-\\u001f"));
const paint = (on: boolean, code: string, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** A unified diff of one file (empty for unchanged ones); secrets show a placeholder instead. */
export function renderDiff(item: ReviewItem, color: boolean): string {
  // Skipped and kept files are not written: the summary says why, a diff would mislead.
  if (item.status === "unchanged" || item.status === "kept" || item.status === "skipped" || item.quiet) return "";
  if (item.secret) return `${paint(color, "1", `--- ${termText(item.path)}`)}\n  (secret values hidden)\n`;
  if (item.before !== null && item.before.includes("\0")) return `${paint(color, "1", `--- ${termText(item.path)}`)}\n  (binary file)\n`;
  const patch = unifiedDiff(item.before === null ? "/dev/null" : `a/${item.path}`, item.status === "delete" ? "/dev/null" : `b/${item.path}`, item.before ?? "", item.after ?? "");
  // Without colour each line is only escaped (one pass fewer over a diff of megabytes); a diff with
  // no control but tabs and newlines (most are megabytes of plain config) is its own escaping.
  if (!color) return CONTROL_BUT_TAB_NL.test(patch) ? termLines(patch) : patch;
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
  // A deleted file is all removals, likewise.
  if (after === "") {
    const lines = before.split("\n");
    const eol = lines[lines.length - 1] === "";
    if (eol) lines.pop();
    return `${head()}@@ -1,${lines.length} +0,0 @@\n-${lines.join("\n-")}\n${eol ? "" : "\\ No newline at end of file\n"}`;
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
  delete: ["delete", "31"],
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
  const order: ReviewStatus[] = ["new", "changed", "overwrite", "delete", "unchanged", "conflict", "skipped", "kept"];
  return order
    .map((s) => [s, items.filter((i) => i.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(", ");
}

// --- the summary table ---------------------------------------------------------------------------

/**
 * Why each generated file exists, by path: the default for a file whose emitter gave no `why`. One
 * table, so that the reasons read alike; a path it does not know says which emitter wrote it.
 */
const WHY: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Dockerfile$/, () => "builds the app image the pods run (Ruby, gems, assets)"],
  [/^\.dockerignore$/, () => "keeps secrets, logs and git history out of the image"],
  [/^bin\/docker-entrypoint$/, () => "the image's entrypoint: clears stale pid files, then runs the command"],
  [/^config\/(unicorn|puma)\/kubernetes\.rb$/, (m) => `${m[1]} in a container: listen, workers and timeout from each stage's config`],
  [/^docker\/nginx\/Dockerfile$/, () => "builds the nginx image of the web pod's sidecar"],
  [/^docker\/nginx\/nginx\.conf$/, () => "the nginx rules the edge cannot express, run in the sidecar"],
  [/^config\/custom\/.+\.yml$/, () => "Global's settings as a config_for file"],
  [/^config\/initializers\/.*rails2k8s.*\.rb$/, () => "loads config/custom/ so that Global-style reads keep working"],
  [/^lib\/tasks\/rails2k8s\.rake$/, () => "rails2k8s:verify_config: proves the new config equals Global's on each server"],
  [/^k8s\/\.gitignore$/, () => "keeps the filled-in secrets.env files out of git"],
  [/^k8s\/base\/kustomization\.yaml$/, () => "lists the resources every stage shares"],
  [/^k8s\/base\/web-deployment\.yaml$/, () => "runs the web role (app server, nginx sidecar if any) as pods"],
  [/^k8s\/base\/worker-deployment\.yaml$/, () => "runs the job workers as pods"],
  [/^k8s\/base\/cronjobs\.yaml$/, () => "the whenever schedule, as CronJobs"],
  [/^k8s\/base\/migration-job\.yaml$/, () => "runs db:migrate once per release, before the rollout"],
  [/^k8s\/base\/hpa\.yaml$/, () => "scales the web pods between each stage's bounds"],
  [/^k8s\/base\/pdb\.yaml$/, () => "keeps web pods serving while nodes are drained"],
  [/^k8s\/base\/service\.yaml$/, () => "gives the web pods one address inside the cluster"],
  [/^k8s\/overlays\/([^/]+)\/kustomization\.yaml$/, (m) => `stage ${m[1]}: namespace, image, config and secrets`],
  [/^k8s\/overlays\/([^/]+)\/patches\.yaml$/, (m) => `stage ${m[1]}: replicas, resources and grace periods`],
  [/^k8s\/overlays\/([^/]+)\/config\.env$/, (m) => `stage ${m[1]}: settings that are not secret (a ConfigMap)`],
  [/^k8s\/overlays\/([^/]+)\/secrets\.env$/, (m) => `stage ${m[1]}: secret values, filled in by hand`],
  [/^k8s\/overlays\/([^/]+)\/secrets\.env\.example$/, (m) => `stage ${m[1]}: the secret keys to fill in, without values`],
  [/^k8s\/overlays\/([^/]+)\/(httproute|ingress)\.yaml$/, (m) => `stage ${m[1]}: the hosts and TLS nginx served`],
  [/^MIGRATION\.md$/, () => "the steps of the move, and where each value came from"],
];

/** Why a generated file is written: its emitter's own reason, else the table's, else its emitter. */
export function whyWritten(path: string, by: string, given?: string): string {
  if (given) return given;
  for (const [re, why] of WHY) {
    const m = re.exec(path);
    if (m) return why(m);
  }
  return `written by the ${by} emitter`;
}

/** Lines added and removed, from the diff as renderDiff prints it; null when no diff is shown. */
export function diffStat(item: ReviewItem): { added: number; removed: number } | null {
  if (item.status === "unchanged" || item.status === "kept" || item.status === "skipped") return null;
  // A new file is all additions, its every line: no diff to write and read back (7 MB of them for a large Global tree).
  if (!item.before) return { added: lineCount(item.after ?? ""), removed: 0 };
  if (item.status === "delete") return { added: 0, removed: lineCount(item.before) };
  const patch = unifiedDiff(item.before === null ? "/dev/null" : `a/${item.path}`, `b/${item.path}`, item.before ?? "", item.after ?? "");
  let added = 0;
  let removed = 0;
  let body = false;
  for (const l of patch.split("\n")) {
    if (l.startsWith("@@")) body = true;
    else if (!body) continue;
    else if (l.startsWith("+")) added++;
    else if (l.startsWith("-")) removed++;
  }
  // Past the diff budget there are no hunks: the whole files, as the diff note says.
  if (!body && item.before !== item.after) return { added: lineCount(item.after ?? ""), removed: lineCount(item.before ?? "") };
  return { added, removed };
}

/**
 * The review's first screen: one row per file with its status, path, lines added and removed, and
 * why it is written (with the reason a file is kept, skipped or in conflict).
 */
export function renderTable(items: ReviewItem[], color: boolean): string {
  if (!items.length) return "";
  const statusWidth = Math.max(...Object.values(LABEL).map(([l]) => l.length));
  const rows = items.map((i) => {
    const stat = diffStat(i);
    const lines = stat === null ? "" : `+${stat.added}${stat.removed ? ` -${stat.removed}` : ""}`;
    const note = [i.reason ?? "", i.secret ? "secret, git-ignored" : ""].filter(Boolean).join("; ");
    return { i, path: termText(i.path), lines, stat, why: termText([i.why ?? "", note ? `(${note})` : ""].filter(Boolean).join("  ")) };
  });
  // Long paths overflow their column rather than push every row far right.
  const pathWidth = Math.min(56, Math.max(4, ...rows.map((r) => r.path.length)));
  const linesWidth = Math.max(5, ...rows.map((r) => r.lines.length));
  const head = `  ${"status".padEnd(statusWidth)}  ${"file".padEnd(pathWidth)}  ${"lines".padEnd(linesWidth)}  why`;
  const body = rows.map(({ i, path, lines, stat, why }) => {
    const [label, code] = LABEL[i.status];
    const shownLines =
      color && stat ? `${paint(true, "32", `+${stat.added}`)}${stat.removed ? ` ${paint(true, "31", `-${stat.removed}`)}` : ""}${" ".repeat(linesWidth - lines.length)}` : lines.padEnd(linesWidth);
    return `  ${paint(color, code, label.padEnd(statusWidth))}  ${path.padEnd(pathWidth)}  ${shownLines}  ${why}`.trimEnd();
  });
  return [paint(color, "1", head), ...body].join("\n") + "\n";
}
