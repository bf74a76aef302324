// Paths under the repo reached without following a symbolic link. The repo is untrusted: a `k8s`
// or `.rails2k8s` that is a link would carry reads, writes and deletes to wherever it points, so
// every component is lstat'd from the repo root down. A link is refused even when it stays inside
// the repo: telling the two apart needs the link resolved, and refusing both is simpler and safe.
import * as nodeFs from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { hasControls, quotedText } from "./model/controls.js";

/** An output path that is, or passes through, a symbolic link: exit 2, nothing written. */
export class LinkRefused extends Error {
  constructor(
    /** The path rails2k8s meant to read or write (repo-relative, or absolute outside the repo). */
    readonly path: string,
    /** The component that is a link. */
    readonly link: string,
  ) {
    super(
      link === path
        ? `${showPath(path)}: a symbolic link; rails2k8s does not read or write through links`
        : `${showPath(path)}: passes through ${showPath(link)}, a symbolic link; rails2k8s does not read or write through links`,
    );
  }
}

/**
 * The first component of `rel` (repo-relative, `/`-separated) that is a symbolic link, as a
 * repo-relative path, or null. The walk ends at the first missing component or non-directory:
 * nothing below it can exist, so nothing below it can be a link.
 */
export function linkOnPath(root: string, rel: string, lstat: typeof nodeFs.lstatSync = nodeFs.lstatSync): string | null {
  const parts = rel.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join("/");
    let st: nodeFs.Stats;
    try {
      st = lstat(join(root, sub));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw e;
    }
    if (st.isSymbolicLink()) return sub;
    if (!st.isDirectory()) return null;
  }
  return null;
}

/** `abs` relative to `root` with `/`, or null when it is not strictly inside the root. */
export function insideRoot(root: string, abs: string): string | null {
  const rel = relative(root, abs);
  if (!rel || isAbsolute(rel) || rel === ".." || rel.startsWith(".." + sep)) return null;
  return rel.split(sep).join("/");
}

/** Throws LinkRefused when `abs` (inside the root, or outside: then only the file itself counts) is or passes through a link. */
export function refuseLinks(root: string, abs: string, shown: string, lstat: typeof nodeFs.lstatSync = nodeFs.lstatSync): void {
  const rel = insideRoot(root, abs);
  if (rel !== null) {
    const link = linkOnPath(root, rel, lstat);
    if (link !== null) throw new LinkRefused(shown, rel === link ? shown : link);
    return;
  }
  // A file outside the repo (an --answers file the user named): its directories are the user's
  // own choice; the file itself must not be a link.
  try {
    if (lstat(abs).isSymbolicLink()) throw new LinkRefused(shown, shown);
  } catch (e) {
    if (e instanceof LinkRefused) throw e;
  }
}

/** A path in a message: control characters (a planted file name) shown as escapes, never sent to the terminal. */
export const showPath = (p: string): string => (hasControls(p) ? quotedText(p) : p);
