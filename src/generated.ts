// The record of what rails2k8s last wrote (`.rails2k8s/generated.json`: path → sha256 of the
// bytes). It is how a re-run tells "still our output" (safe to replace) from "edited by the team
// since" (a conflict, never overwritten silently). Committed with the rest, so teammates share it.
import { createHash } from "node:crypto";
import { termJson } from "../emitters/encode/terminal.js";

export const RECORD_PATH = ".rails2k8s/generated.json";
/**
 * The hashes of the generated secret files live apart, git-ignored: a committed hash of a file
 * that holds secret values could be checked against guesses offline.
 */
export const SECRET_RECORD_PATH = ".rails2k8s/secret-files.json";

export type GeneratedRecord = Record<string, string>;

export const sha256 = (bytes: Buffer | string): string => "sha256:" + createHash("sha256").update(bytes).digest("hex");

/** Reads the record; a damaged one counts as empty (every existing file then is a conflict: safe side). */
export function parseRecord(text: string | null, file = RECORD_PATH): { record: GeneratedRecord; warning?: string } {
  if (text === null) return { record: {} };
  try {
    const j = JSON.parse(text) as { files?: unknown };
    const files = j && typeof j === "object" ? j.files : undefined;
    if (!files || typeof files !== "object" || Array.isArray(files)) throw new Error("no `files` object");
    const record: GeneratedRecord = {};
    for (const [k, v] of Object.entries(files as Record<string, unknown>)) if (typeof v === "string") record[k] = v;
    return { record };
  } catch (e) {
    return { record: {}, warning: `${file} is not readable (${(e as Error).message}): every existing generated file is treated as edited` };
  }
}

/** Sorted keys, one file per line: diffs of the record stay small and re-runs byte-identical. */
export function renderRecord(record: GeneratedRecord, secret = false): string {
  const files: GeneratedRecord = {};
  for (const k of Object.keys(record).sort()) files[k] = record[k]!;
  const comment = secret
    ? "Written by rails2k8s migrate: hashes of the secret files it generated. Git-ignored: never commit it."
    : "Written by rails2k8s migrate: hashes of the files it generated, to spot edits made since. Commit it.";
  // A path from the repo may hold C1 or bidi controls that JSON leaves raw: `git diff` of this
  // committed file would print them to a terminal.
  return termJson(JSON.stringify({ comment, files }, null, 2)) + "\n";
}

export type GeneratedStatus =
  | "new" // nothing on disk
  | "unchanged" // disk already holds this output
  | "changed" // disk holds what rails2k8s wrote last time: safe to replace
  | "conflict" // disk was edited since, or was never written by rails2k8s
  | "kept"; // a secret file the team filled in: never replaced

/** How a generated file relates to what is on disk and to the record. */
export function classifyGenerated(
  path: string,
  disk: Buffer | null,
  content: string,
  record: GeneratedRecord,
  secret: boolean,
): { status: GeneratedStatus; reason?: string } {
  if (disk === null) return { status: "new" };
  if (disk.equals(Buffer.from(content, "utf8"))) return { status: "unchanged" };
  const recorded = record[path];
  if (recorded !== undefined && recorded === sha256(disk)) return { status: "changed" };
  if (secret) return { status: "kept", reason: "holds the values the team filled in; never overwritten (compare it with its .example)" };
  return {
    status: "conflict",
    reason: recorded === undefined ? "exists and was not written by rails2k8s" : "edited since rails2k8s wrote it",
  };
}
