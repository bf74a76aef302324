// Links a deploy task makes by hand from shared/ into the release (`run "ln -nfs #{shared_path}/x
// #{release_path}/y"`, the Capistrano 2 way), read with ln's own rules (GNU coreutils `ln --help`,
// checked against real `ln` 9.1 in test/capistrano/manual-links.test.ts):
//   ln [OPTION]... TARGET LINK_NAME      a link named LINK_NAME
//   ln [OPTION]... TARGET... DIRECTORY   a link in DIRECTORY for each TARGET, named as the TARGET's basename
//   ln [OPTION]... -t DIRECTORY TARGET...
// The last operand is a DIRECTORY when it ends in `/` or names an existing directory; `-T` says it
// never is; `-n` only stops a *symlink* to a directory from counting as one. In the release, the
// existing directories are the checkout's (the repo's), unless the same task removed the path first
// (`rm -rf #{release_path}/tmp && ln -nfs …`). So `ln -nfs #{shared_path}/config/database.yml
// #{release_path}/config/` links the file config/database.yml, not the directory config.
import type { RepoFiles } from "../../src/model.js";

export interface ManualLink {
  /** The path the app sees in the release. */
  path: string;
  kind: "file" | "dir";
  /** The ln line. */
  line: number;
  /**
   * The link went inside a directory the checkout already held, without a `/` to say so: ln put
   * it at <dir>/<basename>, and the release kept the repo's <dir> (a named warning).
   */
  intoExisting?: string;
}

const SHARED = /^#\{\s*(?:shared_path|fetch\(\s*:shared_path\s*\))\s*\}|^#\{\s*(?:deploy_to|fetch\(\s*:deploy_to\s*\))\s*\}\/shared(?=\/|$)/;
const RELEASE = /^#\{\s*(?:release_path|latest_release|current_release|current_path|fetch\(\s*:(?:release_path|current_path)\s*\))\s*\}/;

/** The links `text` (a task body's source) makes from shared/ into the release. `line0` is the text's first line. */
export function manualLinksIn(text: string, line0: number, repo: RepoFiles): ManualLink[] {
  const out: ManualLink[] = [];
  const removed = new Set<string>();
  const made = new Set<string>();
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    // A commented-out line (`# run "ln -nfs …"`) runs nothing.
    if (/^\s*#(?!\{)/.test(raw)) return;
    for (const cmd of commandsIn(raw)) {
      const words = wordsOf(cmd);
      if (words[0] === "rm") for (const w of words.slice(1)) if (!w.startsWith("-")) { const p = releaseRel(w); if (p !== null) removed.add(p.replace(/\/+$/, "")); }
      if (words[0] === "mkdir") for (const w of words.slice(1)) if (!w.startsWith("-")) { const p = releaseRel(w); if (p !== null) made.add(p.replace(/\/+$/, "")); }
      if (words[0] !== "ln") continue;
      const ln = parseLn(words.slice(1));
      if (!ln || !ln.symbolic) continue;
      const isDir = (rel: string) => made.has(rel) || (!removed.has(rel) && repoDir(repo, rel));
      let dir: string | null = null;
      let sources = ln.operands;
      let name: string | null = null;
      if (ln.targetDir !== null) dir = ln.targetDir;
      else {
        if (ln.operands.length < 2) continue;
        const last = ln.operands[ln.operands.length - 1]!;
        sources = ln.operands.slice(0, -1);
        if (ln.noTargetDir) name = last;
        else if (ln.operands.length > 2 || last.endsWith("/")) dir = last;
        else {
          const rel = releaseRel(last);
          if (rel !== null && isDir(rel.replace(/\/+$/, ""))) dir = last;
          else name = last;
        }
      }
      for (const src of sources) {
        const shared = sharedRel(src);
        if (shared === null) continue;
        const base = shared.replace(/\/+$/, "").split("/").pop() ?? "";
        let path: string | null;
        let into: string | undefined;
        if (dir !== null) {
          const d = releaseRel(dir);
          if (d === null || !base) continue;
          const dd = d.replace(/\/+$/, "");
          path = dd ? `${dd}/${base}` : base;
          if (!dir.endsWith("/") && ln.targetDir === null) into = dd;
        } else path = releaseRel(name!)?.replace(/\/+$/, "") ?? null;
        if (!path) continue;
        // What shared/<x> holds is on the servers: a trailing `/` or a dotless name reads as a directory.
        const last = path.split("/").pop()!;
        const kind = shared.endsWith("/") || !last.includes(".") ? "dir" : "file";
        out.push({ path, kind, line: line0 + i, ...(into !== undefined ? { intoExisting: into } : {}) });
      }
    }
  });
  return out;
}

/** The shell commands of one source line: split at `&&`, `||`, `;`, `|` and the quotes around a `run "…"`. */
function commandsIn(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "#" && line[i + 1] === "{") depth++, (cur += "#{"), i++;
    else if (c === "}" && depth > 0) depth--, (cur += c);
    else if (depth === 0 && (c === ";" || c === "|" || c === "&" || c === '"' || c === "'" || c === "`" || c === "(" || c === ")")) {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  // `run "ln …"`, `sudo ln …`: the command word may follow a Ruby call or a sudo.
  return out.map((c) => c.replace(/^(?:run|execute|sudo|#\{\s*try_sudo\s*\})\s+/, "").replace(/^(?:sudo|#\{\s*try_sudo\s*\})\s+/, ""));
}

/** Whitespace-separated words, a `#{…}` kept whole. */
function wordsOf(cmd: string): string[] {
  const out: string[] = [];
  let cur = "";
  let depth = 0;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === "#" && cmd[i + 1] === "{") depth++, (cur += "#{"), i++;
    else if (c === "}" && depth > 0) depth--, (cur += c);
    else if (depth === 0 && /\s/.test(c)) {
      if (cur) out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

interface LnCall {
  symbolic: boolean;
  noTargetDir: boolean;
  targetDir: string | null;
  operands: string[];
}

/** ln's options (coreutils 9.1): the short ones cluster; -t and -S take an argument. */
function parseLn(args: string[]): LnCall | null {
  const r: LnCall = { symbolic: false, noTargetDir: false, targetDir: null, operands: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      r.operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const [opt, val] = a.split("=", 2) as [string, string | undefined];
      if (opt === "--symbolic") r.symbolic = true;
      else if (opt === "--no-target-directory") r.noTargetDir = true;
      else if (opt === "--target-directory") r.targetDir = val ?? args[++i] ?? null;
      else if (opt === "--suffix" && val === undefined) i++;
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === "s") r.symbolic = true;
        else if (c === "T") r.noTargetDir = true;
        else if (c === "t" || c === "S") {
          const val = a.slice(j + 1) || args[++i] || "";
          if (c === "t") r.targetDir = val;
          break;
        }
      }
      continue;
    }
    r.operands.push(a);
  }
  return r;
}

/** `#{release_path}/config/` → `config/`; `#{release_path}` → ``; anything else null. */
function releaseRel(word: string): string | null {
  const m = RELEASE.exec(word);
  if (!m) return null;
  const rest = word.slice(m[0].length);
  if (rest === "" || rest === "/") return "";
  return rest.startsWith("/") ? rest.replace(/^\/+/, "") : null;
}

/** `#{shared_path}/config/x.yml` → `config/x.yml`; else null. */
function sharedRel(word: string): string | null {
  const m = SHARED.exec(word);
  if (!m) return null;
  const rest = word.slice(m[0].length);
  return rest.startsWith("/") && rest.length > 1 ? rest.replace(/^\/+/, "") : null;
}

const dirSets = new WeakMap<readonly string[], Set<string>>();
/** Whether the checkout holds a directory at `rel` ("" is the release itself). */
export function repoDir(repo: RepoFiles, rel: string): boolean {
  if (rel === "") return true;
  let s = dirSets.get(repo.paths);
  if (!s) {
    s = new Set();
    for (const p of repo.paths) {
      const parts = p.split("/");
      for (let k = 1; k < parts.length; k++) s.add(parts.slice(0, k).join("/"));
    }
    dirSets.set(repo.paths, s);
  }
  return s.has(rel);
}
