// The repo on disk as the analyzers see it (RepoFiles): a walk that lists paths, skipping trees no
// analyzer wants, and a lazy reader with limits. Everything that can go wrong with a file (too big,
// binary, not UTF-8, unreadable, a symlink out of the repo) is a message, never an exception.
import { readdirSync, readFileSync, lstatSync, realpathSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { RepoFiles, FileRead, Problem } from "./model.js";
import { LIMITS } from "./model/limits.js";

/** Trees skipped by name anywhere (dependencies, VCS, caches): never an app's own config. */
const SKIP_DIRS = new Set([".git", ".hg", ".svn", "node_modules", ".bundle", ".yarn", ".cache", ".rails2k8s"]);
/**
 * Trees skipped only at these paths: the app's runtime data and build output. By name anywhere
 * they would hide config such as config/global/storage/s3.yml or config/global/log/app.yml.
 */
const SKIP_PATHS = new Set(["vendor", "tmp", "log", "coverage", "storage", "dist", "public/assets", "public/packs", "public/packs-test", "public/system", "public/uploads", "app/assets/builds"]);

export interface WalkResult {
  repo: RepoFiles;
  problems: Problem[];
}

export function readRepo(root: string): WalkResult {
  const walkProblems: Problem[] = [];
  const problems = walkProblems;
  const paths: string[] = [];
  const realRoot = realpathSync(root);
  // `into` is the list a walk fills: the repo's paths, or a skipped tree's files listed on demand
  // (skippedUnder), where the skipped trees are walked into since that is what was asked for.
  const walk = (dir: string, rel: string, depth: number, into: string[] = paths, problems: Problem[] = walkProblems) => {
    if (depth > LIMITS.depth) {
      problems.push({ file: rel, line: 0, message: `directory nesting deeper than ${LIMITS.depth}: not read`, severity: "warning" });
      return;
    }
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      problems.push({ file: rel || ".", line: 0, message: `cannot read directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, severity: "warning" });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      if (into.length >= LIMITS.files) return;
      const relPath = rel ? `${rel}/${ent.name}` : ent.name;
      const abs = `${dir}${sep}${ent.name}`;
      if (ent.isDirectory()) {
        if (SKIP_DIRS.has(ent.name) || (into === paths && SKIP_PATHS.has(relPath))) continue;
        walk(abs, relPath, depth + 1, into, problems);
      } else if (ent.isFile()) {
        into.push(relPath);
      } else if (ent.isSymbolicLink()) {
        // A link is followed only to a file inside the repo; linked directories are not walked
        // (they are how loops and escapes happen, and deploy trees link shared/ dirs).
        let target: string;
        try {
          target = realpathSync(abs);
        } catch {
          problems.push({ file: relPath, line: 0, message: "broken symlink: not followed", severity: "warning" });
          continue;
        }
        const inside = target === realRoot || target.startsWith(realRoot + sep);
        if (!inside) {
          problems.push({ file: relPath, line: 0, message: "symlink leaves the repo: not followed", severity: "warning" });
          continue;
        }
        try {
          if (statSync(target).isFile()) into.push(relPath);
        } catch {
          /* vanished: ignore */
        }
      }
    }
  };
  walk(realRoot, "", 0);
  if (paths.length >= LIMITS.files) {
    problems.push({ file: ".", line: 0, message: `more than ${LIMITS.files} files: the rest of the tree was not read`, severity: "warning" });
  }
  const cache = new Map<string, FileRead>();
  const read = (path: string): FileRead => {
    const hit = cache.get(path);
    if (hit) return hit;
    const result = readOne(realRoot, path);
    cache.set(path, result);
    return result;
  };
  const set = new Set(paths);
  const listed = new Map<string, string[]>();
  const skippedUnder = (dir: string): readonly string[] => {
    const d = dir.replace(/^\.\//, "").replace(/\/+$/, "");
    const hit = listed.get(d);
    if (hit) return hit;
    const segs = d.split("/");
    const inSkipped = [...SKIP_PATHS].some((sp) => d === sp || d.startsWith(`${sp}/`));
    const out: string[] = [];
    // Only a tree the walk skipped by its path, reached by plain segments (no `..`, no skipped name).
    if (inSkipped && segs.every((x) => x && x !== "." && x !== ".." && !SKIP_DIRS.has(x))) {
      const abs = join(realRoot, ...segs);
      let inside = false;
      try {
        const real = realpathSync(abs);
        inside = real.startsWith(realRoot + sep) && statSync(real).isDirectory() && !lstatSync(abs).isSymbolicLink();
      } catch {
        /* no such directory: nothing listed */
      }
      // Its problems (a symlink out of the repo...) concern files no analysis reads: not reported.
      if (inside) walk(abs, d, segs.length, out, []);
    }
    for (const p of out) set.add(p);
    listed.set(d, out);
    return out;
  };
  return {
    repo: {
      paths,
      read: (p) => (set.has(p) ? read(p) : { error: "no such file" }),
      skippedUnder,
    },
    problems,
  };
}

function readOne(root: string, path: string): FileRead {
  const abs = join(root, path);
  try {
    const st = lstatSync(abs);
    const size = st.isSymbolicLink() ? statSync(abs).size : st.size;
    if (size > LIMITS.fileBytes) return { error: `file is ${size} bytes, over the ${LIMITS.fileBytes}-byte limit: not read` };
    const buf = readFileSync(abs);
    return decodeText(buf);
  } catch (e) {
    return { error: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

/** One strict decoder for every file: building one per file costs more than the read itself. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 text or a reason: binary (NUL bytes) and invalid UTF-8 are refused. */
export function decodeText(buf: Uint8Array): FileRead {
  if (buf.subarray(0, 8192).includes(0)) return { error: "binary file (NUL bytes): not read", invalid: true };
  try {
    let text = UTF8.decode(buf);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { text };
  } catch {
    return { error: "not valid UTF-8: not read", invalid: true };
  }
}

/** An in-memory RepoFiles, for tests and for analyzers handed files directly. */
export function memoryRepo(files: Record<string, string>): RepoFiles {
  const paths = Object.keys(files).sort();
  return { paths, read: (p) => (p in files ? { text: files[p] } : { error: "no such file" }) };
}

export const toPosix = (p: string) => p.split(sep).join("/");
export { relative };
