// A generated file the team edited and keeps is not rewritten, but the files around it are: a host
// changed by an answer lands in the HTTPRoute and not in the kept config.env. The set must never
// be silently inconsistent, so for each kept file this finds what its new version changes (values
// by key in YAML and env files, else lines), which files just written hold the new values, and
// which files refer to the kept one. The new version itself is written beside it.
import { posix } from "node:path";
import { parseAllDocuments } from "yaml";
import type { ReviewItem } from "./review.js";
import { MIGRATION_GUIDE } from "../emitters/migration-guide.js";

/** Where the new version of a kept file is written, for the team to compare and merge. */
export const besidePath = (path: string): string => `${path}.rails2k8s-new`;

export interface Disagreement {
  /** A key path (`spec.hostnames[0]`, `APP_HOST`), or `line` for files read line by line. */
  key: string;
  /** The value in the kept file (null: the key is not there). */
  yours: string | null;
  /** The value in the new version (null: the new version drops the key). */
  generated: string | null;
  /** Files written in this run that hold the new value. */
  alsoIn: string[];
}

export interface KeptReport {
  path: string;
  beside: string;
  disagreements: Disagreement[];
  /** Generated files that name the kept file, or that its new version names: they go with it. */
  related: string[];
}

/** At most this many differences are named per file; the rest are counted. */
export const MAX_NAMED = 12;

/** Scalars by key path; null when the text is not YAML this can read. */
function yamlValues(text: string): Map<string, string> | null {
  const out = new Map<string, string>();
  try {
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) return null;
    for (const [n, doc] of docs.entries()) {
      if (doc.errors.length) return null;
      const walk = (v: unknown, key: string) => {
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${key}[${i}]`));
        else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k);
        else out.set(key, v === null ? "null" : String(v));
      };
      walk(doc.toJS(), docs.length > 1 ? `[${n}]` : "");
    }
    return out;
  } catch {
    return null;
  }
}

/** KEY=value lines (env files); null when some line is neither that, a comment nor blank. */
function envValues(text: string): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$/.exec(line);
    if (!m) return null;
    out.set(m[1]!, m[2]!);
  }
  return out;
}

const valuesOf = (path: string, text: string): Map<string, string> | null => (/\.ya?ml$/.test(path) ? yamlValues(text) : /(^|\/)[^/]*\.env(\.example)?$/.test(path) ? envValues(text) : null);

/** What changes between the kept file and its new version, key by key (or line by line). */
function differences(item: ReviewItem): { key: string; yours: string | null; generated: string | null }[] {
  const mine = item.before ?? "";
  const theirs = item.after ?? "";
  const a = valuesOf(item.path, mine);
  const b = valuesOf(item.path, theirs);
  if (a && b) {
    const out: { key: string; yours: string | null; generated: string | null }[] = [];
    for (const [k, v] of b) if (a.get(k) !== v) out.push({ key: k, yours: a.get(k) ?? null, generated: v });
    for (const [k, v] of a) if (!b.has(k)) out.push({ key: k, yours: v, generated: null });
    return out;
  }
  // Other files: the lines only the new version has, and those only yours has.
  const mineLines = new Set(mine.split("\n").map((l) => l.trim()));
  const theirLines = new Set(theirs.split("\n").map((l) => l.trim()));
  return [
    ...[...theirLines].filter((l) => l !== "" && !mineLines.has(l)).map((l) => ({ key: "line", yours: null, generated: l })),
    ...[...mineLines].filter((l) => l !== "" && !theirLines.has(l)).map((l) => ({ key: "line", yours: l, generated: null })),
  ];
}

/** A value worth looking for elsewhere: short ones (`1`, `true`) would match everywhere. */
const distinctive = (v: string): boolean => v.length >= 4 && !/^(true|false|null|\d+)$/.test(v);

/** `text` names the file at `path` (from `from`'s directory, as kustomization.yaml does, or from the root). */
function mentions(text: string, from: string, path: string): boolean {
  const refs = new Set([path, posix.relative(posix.dirname(from), path)]);
  const esc = (r: string) => r.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return [...refs].some((r) => new RegExp(`(^|[^\\w./-])${esc(r)}($|[^\\w/-])`, "m").test(text));
}

const written = (i: ReviewItem): boolean => i.status === "new" || i.status === "changed" || i.status === "overwrite" || i.status === "unchanged";

/**
 * One report per kept file (`skipped`: the team's edit stays; `conflict`: a dry run, where it would
 * be): the values its new version changes, with the files just written that hold them, and the
 * files that go with it. Secret files are never looked into.
 */
export function keptReports(items: ReviewItem[], generatedPaths: Set<string>): KeptReport[] {
  // The guide cites every file and value: naming it would say nothing.
  const others = items.filter((i) => written(i) && !i.secret && i.after !== null && generatedPaths.has(i.path) && i.path !== MIGRATION_GUIDE);
  const reports: KeptReport[] = [];
  for (const item of items) {
    if ((item.status !== "skipped" && item.status !== "conflict") || item.secret || item.before === null || item.before.includes("\0")) continue;
    const disagreements = differences(item).map((d) => {
      // A list value (`APP_HOSTS=a,b`) is found elsewhere item by item: the new items yours lacks.
      // A whole line (a Dockerfile's, a .dockerignore's) is looked for whole: its words are prose and
      // paths every file shares, and a comment is no value at all.
      const needles =
        d.generated === null || (d.key === "line" && d.generated.startsWith("#"))
          ? []
          : d.key === "line"
            ? [d.generated].filter(distinctive)
            : [d.generated, ...d.generated.split(/[\s,]+/).filter((x) => x !== d.generated && !(d.yours ?? "").split(/[\s,]+/).includes(x))].filter(distinctive);
      return { ...d, alsoIn: others.filter((o) => o.path !== item.path && needles.some((n) => o.after!.includes(n))).map((o) => o.path) };
    });
    const related = others
      .filter((o) => o.path !== item.path)
      .filter((o) => mentions(o.after!, o.path, item.path) || mentions(item.after ?? "", item.path, o.path))
      .map((o) => o.path);
    reports.push({ path: item.path, beside: besidePath(item.path), disagreements, related });
  }
  return reports;
}

/** The report as terminal lines (the caller escapes them). */
export function describeKept(r: KeptReport, kept: boolean): string {
  const lines = [
    `${r.path}: ${kept ? "your edited version is kept" : "your edited version would be kept"}; the new version is ${kept ? "written" : "to be written"} beside it, to ${r.beside}.`,
  ];
  const shown = r.disagreements.slice(0, MAX_NAMED);
  if (shown.length) lines.push(`  They disagree on:`);
  for (const d of shown) {
    const what =
      d.key === "line"
        ? d.generated !== null
          ? `only the new version has the line ${JSON.stringify(d.generated)}`
          : `only yours has the line ${JSON.stringify(d.yours)}`
        : `${d.key}: yours ${d.yours === null ? "has none" : JSON.stringify(d.yours)}, the new version ${d.generated === null ? "has none" : JSON.stringify(d.generated)}`;
    lines.push(`    - ${what}${d.alsoIn.length ? `; the new value is in ${d.alsoIn.join(", ")}, written now` : ""}`);
  }
  if (r.disagreements.length > shown.length) lines.push(`    - and ${r.disagreements.length - shown.length} more difference(s): compare the two files`);
  if (r.related.length) lines.push(`  Files that go with it (they name it, or it names them): ${r.related.join(", ")}.`);
  lines.push(`  Merge what you need from ${r.beside} into ${r.path}, then delete ${r.beside}; until then the set is not one consistent output.`);
  return lines.join("\n");
}
