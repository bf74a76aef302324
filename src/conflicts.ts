// Generated files against the working tree and the record of what rails2k8s last wrote: which are
// new, unchanged, safe to replace, or edited by the team (conflicts). Conflicts are skipped unless
// --force or a yes at the prompt; filled-in secret files are always kept. Returns the review items
// and the updated record.
import type { Tree } from "./tree.js";
import { classifyGenerated, sha256, type GeneratedRecord } from "./generated.js";
import type { ReviewItem } from "./review.js";

export interface GeneratedFile {
  path: string;
  content: string;
  secret: boolean;
  /** Why it is written (the review's summary). */
  why?: string;
}

export interface ConflictPolicy {
  force: boolean;
  /** Asks whether to overwrite one conflict; null = do not ask (--yes, --dry-run, no terminal). */
  ask: ((item: ReviewItem) => Promise<boolean>) | null;
  /** Dry run: conflicts stay shown as conflicts (nothing is decided). */
  dryRun: boolean;
  warn: (message: string) => void;
}

export async function settleGenerated(tree: Tree, files: GeneratedFile[], record: GeneratedRecord, policy: ConflictPolicy): Promise<{ items: ReviewItem[]; record: GeneratedRecord }> {
  const items: ReviewItem[] = [];
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const disk = tree.original(f.path);
    const item: ReviewItem = { path: f.path, status: "new", before: disk.kind === "file" ? disk.bytes.toString("utf8") : null, after: f.content, secret: f.secret, ...(f.why ? { why: f.why } : {}) };
    if (disk.kind === "other") Object.assign(item, { status: "conflict", reason: `${disk.what} stands there` });
    else {
      const c = classifyGenerated(f.path, disk.kind === "file" ? disk.bytes : null, f.content, record, f.secret);
      item.status = c.status;
      if (c.reason) item.reason = c.reason;
    }
    if (item.status === "kept") tree.revert(f.path);
    items.push(item);
  }

  for (const item of items.filter((i) => i.status === "conflict")) {
    const overwrite = policy.force || (!policy.dryRun && policy.ask !== null && (await policy.ask(item)));
    if (overwrite) {
      item.status = "overwrite";
      continue;
    }
    tree.revert(item.path);
    if (policy.dryRun) continue;
    item.status = "skipped";
    if (policy.ask === null) policy.warn(`${item.path} ${item.reason}: skipped (--force overwrites it)`);
  }

  // Skipped and kept files keep their old hash: the team's edit stays a conflict on every re-run.
  const next: GeneratedRecord = { ...record };
  for (const i of items) if (i.status === "new" || i.status === "unchanged" || i.status === "changed" || i.status === "overwrite") next[i.path] = sha256(i.after ?? "");
  return { items, record: next };
}
