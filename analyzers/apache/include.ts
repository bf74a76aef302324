// Apache's Include / IncludeOptional, followed into the repo. As httpd reads them (core.c,
// config.c): the path is absolute or relative to ServerRoot (never to the including file); the
// ServerRoot is the last `ServerRoot` read before the line, else the one compiled into the servers'
// httpd (/etc/apache2 on Debian), which is no file of the repo; fnmatch wildcards may stand in any
// component; a directory means every file under it, recursively, in alphabetical order; the
// included directives take the Include's place. Include refuses to start when nothing matches;
// IncludeOptional skips it silently (the file may have lived on the servers only), here a warning.
//
// A server path reaches the repo only through the deployed release (`…/<app>/current/<path>` or
// `…/releases/<id>/<path>`, the checkout of this repo, outside the OS's own trees such as /etc: see
// releasePaths); every other path is a file of the servers.
// The repo is untrusted: the mapped path is normalised lexically and must be one of the repo's
// listed files (the walk already refused links out of the repo), so no Include reads outside it.
// Depth and file count are bounded, and a file that includes itself is said, not followed.
import type { ApacheDirective, Problem } from "../../src/model.js";
import { parseApache } from "./parse.js";

/** How deep includes are followed (httpd's own limit, AP_MAX_INCLUDE_DEPTH, is 128: a real config nests a few). */
export const MAX_INCLUDE_DEPTH = 16;
/** Included files read for one config at most: a fan-out of wildcards cannot multiply work without bound. */
export const MAX_INCLUDED_FILES = 256;

const INCLUDE = /^include(optional)?$/i;
const WILDCARD = /[*?[]/;
/** Trees of the OS itself: a `current` under them (/etc/letsencrypt/current/…) is no deployed app. */
const SYSTEM_TREES = new Set(["etc", "usr", "proc", "sys", "dev", "boot", "bin", "sbin", "lib", "lib32", "lib64", "run"]);

/**
 * The repo paths a server path may stand for, in the order tried. The rule: outside the OS's own
 * trees, a `current` or `releases/<id>` component with an app directory before it
 * (`/var/www/<app>/current/…`) is the deployed release, and what follows it a repo path; the first
 * such component wins, a later one only when the first names no repo file.
 */
function releasePaths(abs: string): string[] {
  const parts = abs.split("/").filter(Boolean);
  if (SYSTEM_TREES.has(parts[0] ?? "")) return [];
  const out: string[] = [];
  for (let k = 1; k < parts.length; k++) {
    if (parts[k] === "current") out.push(parts.slice(k + 1).join("/"));
    else if (parts[k] === "releases" && k + 1 < parts.length) out.push(parts.slice(k + 2).join("/"));
  }
  return out;
}

/**
 * The repo path a server path stands for, by the stage's deploy_to: `<deploy_to>/current/<p>` and
 * `<deploy_to>/releases/<id>/<p>` are the deployed checkout, and `<p>` the repo path; any other path
 * is a file of the servers (a `current` elsewhere is some other tree). Null: not under deploy_to.
 */
function releasePathUnder(abs: string, deployTo: string): string | null {
  const d = normalize(deployTo);
  if (d === null || d === "") return null;
  if (abs === `${d}/current`) return "";
  if (abs.startsWith(`${d}/current/`)) return abs.slice(d.length + "/current/".length);
  const m = /^releases\/[^/]+(?:\/(.*))?$/.exec(abs.startsWith(`${d}/`) ? abs.slice(d.length + 1) : "");
  return m ? (m[1] ?? "") : null;
}

export interface IncludeReader {
  /**
   * The stage's deploy_to, which says where the deployed checkout sat on its servers: a string when
   * known; null when the config is read for no stage or the stage's deploy_to is not known (then a
   * path is mapped by its `current`/`releases` component, said with a warning).
   */
  deployTo?: string | null;
  paths: readonly string[];
  read: (path: string) => string | null;
  problem: (p: Problem) => void;
  /**
   * An included `.erb` template rendered as the including config is (for its stage): the text to
   * parse, its template line of each output line, and the directives with unknown values restored.
   */
  render?: (file: string, text: string) => { body: string; lineOf: (n: number) => number; restore: (nodes: ApacheDirective[]) => ApacheDirective[] };
}

/** `a/./b/../c` → `a/c`; null when `..` climbs above the start. */
function normalize(p: string): string | null {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (!out.length) return null;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

type Token = { star: true } | { any: true } | { ch: string } | { ranges: [string, string][]; negate: boolean };

/**
 * One component of an fnmatch pattern read as apr_fnmatch reads it (httpd matches each directory
 * entry with APR_FNM_PERIOD): `\x` is x; `[` opens a class, `!` or `^` first negates it, a `]` first
 * is a member, `a-z` a range (`z-a` matches nothing), `-` before `]` a member; a class with no
 * closing `]` is no class, its `[` a plain character.
 */
function tokens(c: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < c.length; i++) {
    const ch = c[i]!;
    if (ch === "*") {
      if (!("star" in (out.at(-1) ?? {}))) out.push({ star: true });
    } else if (ch === "?") out.push({ any: true });
    else if (ch === "\\" && i + 1 < c.length) out.push({ ch: c[++i]! });
    else if (ch === "[") {
      const cls = bracket(c, i);
      if (cls) {
        out.push(cls.token);
        i = cls.end;
      } else out.push({ ch });
    } else out.push({ ch });
  }
  return out;
}

/** The class opening at `open`, and the index of its `]`; null when it never closes. */
function bracket(c: string, open: number): { token: Token; end: number } | null {
  let k = open + 1;
  const negate = c[k] === "!" || c[k] === "^";
  if (negate) k++;
  const ranges: [string, string][] = [];
  for (let first = true; k < c.length; first = false) {
    if (c[k] === "]" && !first) return { token: { ranges, negate }, end: k };
    if (c[k] === "\\" && ++k >= c.length) return null;
    const lo = c[k]!;
    if (c[k + 1] === "-" && c[k + 2] !== "]") {
      k += c[k + 2] === "\\" ? 3 : 2;
      if (k >= c.length) return null;
      ranges.push([lo, c[k]!]);
    } else ranges.push([lo, lo]);
    k++;
  }
  return null;
}

const matches1 = (t: Token, ch: string): boolean =>
  "any" in t ? true : "ch" in t ? t.ch === ch : "ranges" in t ? t.ranges.some(([lo, hi]) => ch >= lo && ch <= hi) !== t.negate : false;

/**
 * Whether a file name matches a pattern component. Two pointers, going back only to the last `*`:
 * time is bounded by the product of the lengths, never exponential (a RegExp of `[^/]*` runs was).
 * A name's leading `.` matches only a literal `.` (APR_FNM_PERIOD).
 */
export function fnmatch(pattern: string, name: string): boolean {
  const p = tokens(pattern);
  if (name.startsWith(".") && !(p[0] && "ch" in p[0] && p[0].ch === ".")) return false;
  let i = 0;
  let j = 0;
  let star = -1;
  let from = 0;
  while (j < name.length) {
    const t = p[i];
    if (t && "star" in t) {
      star = i++;
      from = j;
    } else if (t && matches1(t, name[j]!)) {
      i++;
      j++;
    } else if (star >= 0) {
      i = star + 1;
      j = ++from;
    } else return false;
  }
  while (i < p.length && "star" in p[i]!) i++;
  return i === p.length;
}

/** Apache's order: each directory's entries by name, a subdirectory's files in its place. */
function byComponents(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
}

/** The repo files a repo path (maybe with wildcards, maybe a directory) names, in Apache's order. */
export function matchRepoFiles(rel: string, paths: readonly string[]): string[] {
  const parts = rel.split("/");
  const out = new Set<string>();
  if (!WILDCARD.test(rel)) {
    if (paths.includes(rel)) return [rel];
    for (const p of paths) if (rel === "" || p.startsWith(`${rel}/`)) out.add(p);
    return [...out].sort(byComponents);
  }
  for (const p of paths) {
    const ps = p.split("/");
    if (ps.length < parts.length) continue;
    if (!parts.every((pat, i) => (WILDCARD.test(pat) ? fnmatch(pat, ps[i]!) : ps[i] === pat))) continue;
    // Exactly the pattern's depth: a file; deeper: inside a directory the pattern matched.
    out.add(p);
  }
  return [...out].sort(byComponents);
}

type Resolved = { rel: string; byPattern?: true } | { outside: string } | { unknown: string };

/** Where an Include's argument leads: repo files, a path of the servers, or not known. */
function resolve(arg: string, root: string | null, paths: readonly string[], deployTo: string | null | undefined): Resolved {
  if (arg.includes("<%") || arg.includes("R2K_REF_")) return { unknown: `its path ${JSON.stringify(arg)} has a value no stage knows` };
  if (arg.includes("${")) return { unknown: `its path ${JSON.stringify(arg)} uses a Define (\${…}) set on the servers` };
  const abs = arg.startsWith("/") ? arg : root !== null ? `${root.replace(/\/+$/, "")}/${arg}` : null;
  if (abs === null) return { outside: `${arg}, relative to the servers' ServerRoot (the config sets none; httpd's compiled-in one, /etc/apache2 on Debian)` };
  const norm = normalize(abs);
  if (norm === null) return { outside: abs };
  if (deployTo) {
    const rel = releasePathUnder(norm, deployTo.replace(/^\/+/, ""));
    return rel === null ? { outside: `/${norm}` } : { rel };
  }
  const rels = releasePaths(norm);
  if (!rels.length) return { outside: `/${norm}` };
  return { rel: rels.find((rel) => matchRepoFiles(rel, paths).length) ?? rels[0]!, byPattern: true };
}

interface Walk {
  reader: IncludeReader;
  /** Files included so far for this config (the bound), and every file reached. */
  count: number;
  reached: Set<string>;
  root: string | null;
}

/**
 * The directives with each Include replaced by what it includes, read from the repo; every Include
 * that cannot be followed is a warning at its line. `reached` gets every file included.
 */
export function expandIncludes(file: string, nodes: ApacheDirective[], reader: IncludeReader, reached: Set<string> = new Set()): ApacheDirective[] {
  const w: Walk = { reader, count: 0, reached, root: null };
  return expand(nodes, [file], w);
}

function expand(nodes: ApacheDirective[], stack: string[], w: Walk): ApacheDirective[] {
  const out: ApacheDirective[] = [];
  for (const d of nodes) {
    if (d.name.toLowerCase() === "serverroot" && d.args.length === 1) w.root = d.args[0]!;
    if (!INCLUDE.test(d.name)) {
      out.push(d.block ? { ...d, block: expand(d.block, stack, w) } : d);
      continue;
    }
    const optional = /optional$/i.test(d.name);
    const say = (message: string) => w.reader.problem({ ...d.source, message: `apache.include: ${d.name} ${d.args.join(" ")}: ${message}`, severity: "warning" });
    if (d.args.length !== 1) {
      say("httpd takes one path; not followed");
      continue;
    }
    const r = resolve(d.args[0]!, w.root, w.reader.paths, w.reader.deployTo);
    if ("unknown" in r) {
      say(`${r.unknown}; its directives are not read`);
      continue;
    }
    if ("outside" in r) {
      say(`resolves to ${r.outside}, a file of the servers outside the deployed app${w.reader.deployTo ? ` (the stage's deploy_to is ${w.reader.deployTo})` : ""}: not in the repo, so its directives are not read`);
      continue;
    }
    if (r.byPattern)
      w.reader.problem({ ...d.source, severity: "warning", message: `apache.release-by-pattern: ${d.name} ${d.args.join(" ")}: read as the repo's ${r.rel || "root"} because its path has a current/ or releases/ component; the stage's deploy_to is not known, so that this is the app's own checkout was not checked` });
    let files = matchRepoFiles(r.rel, w.reader.paths);
    // A file the deploy rendered from a template: the repo holds only `<path>.erb`.
    const templates = !files.length && r.rel && !WILDCARD.test(r.rel) ? matchRepoFiles(`${r.rel}.erb`, w.reader.paths) : [];
    if (templates.length) {
      say(`resolves to ${r.rel}, which the repo holds only as the template ${templates.join(", ")}: read from it, rendered with the stage's variables (the servers held what the deploy rendered from it)`);
      files = templates;
    }
    if (!files.length) {
      say(
        optional
          ? `resolves to ${r.rel || "the app's root"} in the repo, where nothing matches (IncludeOptional skips it; the servers may have held the file): nothing is read from it`
          : `resolves to ${r.rel || "the app's root"} in the repo, which has no such file (httpd refuses to start when an Include matches nothing, unless the servers held it): nothing is read from it`,
      );
      continue;
    }
    for (const f of files) {
      if (stack.includes(f)) {
        say(`${f} includes itself (${[...stack.slice(stack.indexOf(f)), f].join(" → ")}): httpd refuses such a config; not followed`);
        continue;
      }
      if (stack.length > MAX_INCLUDE_DEPTH) {
        say(`includes nest deeper than ${MAX_INCLUDE_DEPTH}; ${f} is not read`);
        break;
      }
      if (++w.count > MAX_INCLUDED_FILES) {
        say(`more than ${MAX_INCLUDED_FILES} included files for one config; ${f} and the rest are not read`);
        return out;
      }
      const text = w.reader.read(f);
      if (text === null) {
        say(`${f} cannot be read as text; not followed`);
        continue;
      }
      const rendered = f.endsWith(".erb") && w.reader.render ? w.reader.render(f, text) : null;
      const parsed = rendered ? parseApache(f, rendered.body, rendered.lineOf) : parseApache(f, text);
      if (parsed.error) {
        w.reader.problem({ file: f, line: parsed.error.line, message: `not a valid Apache config (${parsed.error.message}); the Include at ${d.source.file}:${d.source.line} reads nothing from it`, severity: "warning" });
        continue;
      }
      w.reached.add(f);
      out.push(...expand(rendered ? rendered.restore(parsed.directives) : parsed.directives, [...stack, f], w));
    }
  }
  return out;
}
