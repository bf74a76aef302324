// One nginx config as nginx sees it: the entry file's directives with every `include` that points
// into the repo replaced by the included files' directives (ngx_conf_include: a glob is expanded
// with glob(3), sorted bytewise; a relative path is relative to the main config's directory).
// Includes that point outside the repo (/etc/nginx/mime.types on the server) stay as directives.
import type { RepoFiles, Problem } from "../../src/model.js";
import { parseConf, type ConfNode } from "./conf-parser.js";
import { globToRegExp, hasGlob } from "./glob.js";
import { hasPath } from "../../src/model.js";

/** A directive of the flattened tree, with the file it was written in. */
export interface TreeNode extends ConfNode {
  file: string;
  block?: TreeNode[];
}

export interface TreeOptions {
  /**
   * Maps an absolute include path to a repo path (or a glob over repo paths), or null when it is
   * not in the repo. Default: `<anything>/current/<p>` and `<anything>/releases/<id>/<p>` — the
   * Capistrano layout — map to `<p>`.
   */
  absolute?: (abs: string) => string | null;
  /** Maps a parsed line of the entry file back to the line written (rendered templates). */
  entryLine?: (line: number) => number;
  /** The entry file's text, when it is not the file as stored (a rendered template). */
  entryText?: string;
}

export interface Tree {
  entry: string;
  directives: TreeNode[];
  /** Every file read, in the order nginx opens them (each once). */
  files: string[];
}

const MAX_DEPTH = 16;

export function capistranoPath(abs: string): string | null {
  const m = /\/(?:current|releases\/[^/]+)\/(.+)$/.exec(abs);
  return m ? m[1] : null;
}

export function loadTree(repo: RepoFiles, entry: string, problem: (p: Problem) => void, opts: TreeOptions = {}): Tree {
  const files: string[] = [];
  const mainDir = dirOf(entry);
  const absolute = opts.absolute ?? capistranoPath;

  const load = (file: string, text: string, stack: string[], lineOf: (n: number) => number): TreeNode[] => {
    if (!files.includes(file)) files.push(file);
    const parsed = parseConf(text);
    if (parsed.error) problem({ file, line: lineOf(parsed.error.line), message: parsed.error.message, severity: "error" });
    return splice(file, parsed.directives, stack, lineOf);
  };

  const splice = (file: string, nodes: ConfNode[], stack: string[], lineOf: (n: number) => number): TreeNode[] => {
    const out: TreeNode[] = [];
    for (const n of nodes) {
      const node: TreeNode = { ...n, file, line: lineOf(n.line), endLine: lineOf(n.endLine), block: undefined };
      if (n.block) node.block = splice(file, n.block, stack, lineOf);
      else delete node.block;
      if (n.name === "include" && n.args.length === 1 && !n.block) {
        const targets = resolveInclude(n.args[0], file);
        if (targets) {
          for (const t of targets) {
            if (stack.includes(t) || stack.length >= MAX_DEPTH) {
              problem({ file, line: node.line, message: `include of ${t} loops back to a file being read: not followed`, severity: "error" });
              continue;
            }
            const read = repo.read(t);
            if ("error" in read) {
              problem({ file, line: node.line, message: `include ${t}: ${read.error}`, severity: "warning" });
              continue;
            }
            out.push(...load(t, read.text, [...stack, t], (x) => x));
          }
          continue;
        }
        // An absolute path names the server's own files (mime.types, snippets); a relative one
        // was meant to be in the repo.
        if (!n.args[0].startsWith("/") && !hasGlob(n.args[0]))
          problem({ file, line: node.line, message: `include ${n.args[0]}: no such file in the repo, its directives are not read`, severity: "warning" });
      }
      out.push(node);
    }
    return out;
  };

  /** Repo paths an include names (sorted as glob(3) returns them), or null when outside the repo. */
  const resolveInclude = (arg: string, from: string): string[] | null => {
    const candidates: string[] = [];
    if (arg.startsWith("/")) {
      const mapped = absolute(arg);
      if (mapped === null) return null;
      candidates.push(mapped);
    } else {
      // nginx's conf prefix is the main config's directory; the including file's own directory and
      // the repo root are what a team means when the file is kept elsewhere in the repo.
      candidates.push(join(mainDir, arg), join(dirOf(from), arg), normalize(arg));
    }
    for (const c of candidates) {
      if (hasGlob(c)) {
        const re = globToRegExp(c);
        const hits = repo.paths.filter((p) => re.test(p));
        if (hits.length || c === candidates[candidates.length - 1]) return hits.sort(byteOrder);
      } else if (hasPath(repo, c)) {
        return [c];
      }
    }
    return null;
  };

  const text = opts.entryText ?? readText(repo, entry);
  const directives = text === null ? [] : load(entry, text, [entry], opts.entryLine ?? ((x) => x));
  return { entry, directives, files };
}

function readText(repo: RepoFiles, file: string): string | null {
  const r = repo.read(file);
  return "text" in r ? r.text : null;
}

const byteOrder = (a: string, b: string) => {
  const x = Buffer.from(a),
    y = Buffer.from(b);
  return Buffer.compare(x, y);
};

const dirOf = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
const join = (dir: string, p: string) => normalize(dir ? `${dir}/${p}` : p);

/** Folds `.` and `..` (never above the repo root). */
function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}
