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
// Copies are read the same way (GNU cp/mv/install 9.1 `--help`, checked against the real commands
// in test/capistrano/shared-copies-cp.test.ts): the operand rules are ln's (`-t DIR`, `-T`, the last
// operand a directory when it ends in `/`, names an existing directory, or there are several sources).
// A file copied from shared/ over the release's is what the app read, as with a link.
// `cp -n` / `mv -n` (`--no-clobber`) leave a file the checkout holds: such a copy changes nothing there.
// `cp -u` / `--update` copies only when the source is newer than the destination (real cp 9.1: an
// older or same-age source leaves the destination). Over a file the checkout holds, whose time is the
// deployed commit's (Capistrano 3's `git archive`), shared/'s file landed only if it was written after
// that commit: read as the servers' file (the safe side), with that doubt named (`condition`).
// A copy guarded on the same line by `test -f SRC &&`, `[ -f SRC ] &&` or `if test -f SRC; then`
// ran only where the servers held SRC: read as a copy, with that condition named. So did one in the
// `then` branch of an `if test -f SRC` whose `then` and `fi` are on later lines (a heredoc, a string
// over several lines, nested ifs), as bash reads it; in its `else` or after its `fi` it is not guarded.
import type { RepoFiles } from "../../src/model.js";
import { MAX_START_LINE } from "../appserver/started.js";
import type { RunLine } from "./task-loops.js";

/**
 * The longest value a task local is remembered with. Only a path under shared/ or the release is
 * remembered, and a path is short: a longer one (`a = "#{a}#{a}"` doubling) is unknown, never cut.
 */
const MAX_LOCAL = 4096;

export type CopyCommand = "cp" | "mv" | "install" | "cat";

export interface ManualLink {
  /** The path the app sees in the release. */
  path: string;
  kind: "file" | "dir";
  /** The ln (or cp, mv, install, cat) line. */
  line: number;
  /** Not a link but a copy of the shared file (`cp`, `mv`, `install`, `cat x > y`): the same file for the app. */
  via?: CopyCommand;
  /**
   * The copy's source is a file of the release itself (`cp #{release_path}/config/database.yml.#{rails_env}
   * #{release_path}/config/database.yml`): the release-relative path as written, `#{…}` left for each
   * stage to resolve. The servers ran that repo file under `path`; nothing came from shared/.
   */
  fromRelease?: string;
  /**
   * The copy spreads what shared/ holds over `path` without naming the files (`cp shared/config/*.yml
   * release/config`, `cp -r shared/config release/`): the shared source as written. Which files it
   * replaced is known only on the servers.
   */
  spread?: string;
  /**
   * The link went inside a directory the checkout already held, without a `/` to say so: ln put
   * it at <dir>/<basename>, and the release kept the repo's <dir> (a named warning).
   */
  intoExisting?: string;
  /** When the copy landed, where that is not always (cp -u over a checkout's file; a `test -f` guard): in words. */
  condition?: string;
  /**
   * The shared/ file it came from, when not shared/<path> (`ln -nfs #{deploy_to}/shared/database.yml
   * #{current_path}/config/database.yml` links shared/database.yml): what a task must write to be the file.
   */
  shared?: string;
}

const SHARED = /^#\{\s*(?:shared_path|fetch\(\s*:shared_path\s*\))\s*\}|^#\{\s*(?:deploy_to|fetch\(\s*:deploy_to\s*\))\s*\}\/shared(?=\/|$)/;
const RELEASE = /^#\{\s*(?:release_path|latest_release|current_release|current_path|fetch\(\s*:(?:release_path|current_path)\s*\))\s*\}|^#\{\s*(?:deploy_to|fetch\(\s*:deploy_to\s*\))\s*\}\/current(?=\/|$)/;

/** The links `text` (a task body's source) makes from shared/ into the release. `line0` is the text's first line. */
export function manualLinksIn(text: string, line0: number, repo: RepoFiles): ManualLink[] {
  return manualLinksOfLines(text.split("\n").map((t, i) => ({ text: t, line: line0 + i })), repo);
}

/** The links a task's lines as run (task-loops.ts: its loops unrolled) make from shared/ into the release. */
export function manualLinksOfLines(runLines: readonly RunLine[], repo: RepoFiles): ManualLink[] {
  const out: ManualLink[] = [];
  const removed = new Set<string>();
  const made = new Set<string>();
  const locals = new Map<string, string>();
  // The shell `if`s open at the start of a line (a guard's `then` and `fi` on later lines, in a
  // heredoc or a string over several lines): the paths they test, while in their `then` branch.
  const blocks: IfStack = { open: [], over: 0 };
  runLines.forEach(({ text: raw0, line: at }) => {
    // A commented-out line (`# run "ln -nfs …"`) runs nothing.
    if (/^\s*#(?!\{)/.test(raw0)) return;
    // A line longer than MAX_START_LINE is no command anyone types: no pattern runs on it.
    if (raw0.length > MAX_START_LINE) return;
    // A local holding a path (`config_dir = "#{shared_path}/config"`), put back where it is interpolated.
    // Put back, a line over MAX_START_LINE is read as written (its locals unknown).
    const raw = withLocals(raw0, locals, MAX_START_LINE) ?? raw0;
    const local = /^\s*([a-z_]\w*)\s*=\s*"([^"]*)"\s*$/.exec(raw);
    if (local) {
      // Only a path under shared/ or the release is of use here; any other value, or one too long,
      // leaves the name unknown (so its `#{name}` stays as written and reads as no shared path).
      const v = local[2]!;
      if (v.length <= MAX_LOCAL && (SHARED.test(v) || RELEASE.test(v))) locals.set(local[1]!, v);
      else locals.delete(local[1]!);
    }
    const guards = [...guardsIn(raw).map((path) => ({ path, line: at })), ...openGuards(blocks)];
    shellIfs(raw, at, blocks);
    for (const cmd of commandsIn(sshkitCall(raw) ?? raw)) {
      const words = wordsOf(cmd);
      if (words[0] === "rm") for (const w of words.slice(1)) if (!w.startsWith("-")) { const p = releaseRel(w); if (p !== null) removed.add(p.replace(/\/+$/, "")); }
      if (words[0] === "mkdir") for (const w of words.slice(1)) if (!w.startsWith("-")) { const p = releaseRel(w); if (p !== null) made.add(p.replace(/\/+$/, "")); }
      const isDir = (rel: string) => made.has(rel) || (!removed.has(rel) && repoDir(repo, rel));
      let ln: LnCall | null = null;
      let via: CopyCommand | undefined;
      if (words[0] === "ln") {
        ln = parseLn(words.slice(1));
        if (!ln || !ln.symbolic) continue;
      } else if (words[0] === "cp" || words[0] === "mv" || words[0] === "install") {
        via = words[0];
        ln = parseCopy(words[0], words.slice(1));
        if (!ln) continue;
      } else if (words[0] === "cat") {
        // `cat SRC > DEST` (one source, a plain `>`; `>>` appends to the release's own file).
        const gt = words.findIndex((w) => w === ">" || (w.startsWith(">") && !w.startsWith(">>")));
        if (gt < 0) continue;
        const dest = words[gt] === ">" ? words[gt + 1] : words[gt]!.slice(1);
        const srcs = words.slice(1, gt).filter((w) => !w.startsWith("-"));
        if (!dest || srcs.length !== 1) continue;
        via = "cat";
        ln = { symbolic: false, recursive: false, noTargetDir: true, targetDir: null, operands: [srcs[0]!, dest] };
      } else continue;
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
        // A copy of one of the release's own files (a per-stage database.yml.<stage> the repo holds).
        const own = via && shared === null ? releaseRel(src) : null;
        if (shared === null && !own) continue;
        const from = (shared ?? own)!;
        const base = from.replace(/\/+$/, "").split("/").pop() ?? "";
        let path: string | null;
        let into: string | undefined;
        if (dir !== null) {
          const d = releaseRel(dir);
          if (d === null || !base) continue;
          const dd = d.replace(/\/+$/, "");
          path = dd ? `${dd}/${base}` : base;
          if (!via && !dir.endsWith("/") && ln.targetDir === null) into = dd;
        } else path = releaseRel(name!)?.replace(/\/+$/, "") ?? null;
        if (path === null || (!path && !via)) continue;
        // What shared/<x> holds is on the servers: a trailing `/` or a dotless name reads as a directory.
        const last = path.split("/").pop()!;
        // A copy without -r of a directory fails, so a dotless name copied so is a file (`Procfile`).
        const kind = via && !ln.recursive && !from.endsWith("/") ? "file" : from.endsWith("/") || !last.includes(".") ? "dir" : "file";
        if (via && shared !== null && (/[*?[]/.test(shared) || (ln.recursive && kind === "dir"))) {
          // A glob or a whole tree: the files are the servers'. `cp -r shared/config release/` puts config/ in the release.
          const target = /[*?[]/.test(shared) ? (dir !== null ? releaseRel(dir)!.replace(/\/+$/, "") : path) : path;
          out.push({ path: target, kind: "dir", line: at, via, spread: shared });
          continue;
        }
        // `cp -n`: over a file the checkout holds (and the task did not remove) the copy changes
        // nothing, so the release kept the repo's file (real cp 9.1 in shared-copies-cp.test.ts).
        if (ln.noClobber && kind === "file" && repoFile(repo, path) && !removed.has(path)) continue;
        const conditions: string[] = [];
        const guard = guards.find((g) => g.path === src || (sharedRel(g.path) !== null && sharedRel(g.path) === shared));
        if (via && guard !== undefined) conditions.push(`only where the servers held ${guard.path} (the copy is guarded by a test of it on line ${guard.line})`);
        if (ln.update && kind === "file" && repoFile(repo, path) && !removed.has(path))
          conditions.push(`only if that file was newer than the release's ${path} (cp -u): the release's file has the deployed commit's time (a git archive checkout), so a shared file written after that commit (rendered by the same deploy) landed, one written before it did not`);
        const condition = conditions.length ? conditions.join("; and ") : undefined;
        if (own) {
          if (kind !== "file" || own === path) continue;
          out.push({ path, kind, line: at, via: via!, fromRelease: own, ...(condition ? { condition } : {}) });
          continue;
        }
        const fromShared = shared!.replace(/\/+$/, "");
        out.push({ path, kind, line: at, ...(via ? { via } : {}), ...(into !== undefined ? { intoExisting: into } : {}), ...(condition ? { condition } : {}), ...(fromShared !== path ? { shared: fromShared } : {}) });
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
  // `run "ln …"`, `sudo ln …`: the command word may follow a Ruby call or a sudo; `then cp …` (an
  // `if …; then cp …; fi` on one line) is the command after the shell keyword.
  return out.map((c) => c.replace(/^(?:then|else|do)\s+/, "").replace(/^(?:run|execute|sudo|#\{\s*try_sudo\s*\})\s+/, "").replace(/^(?:sudo|#\{\s*try_sudo\s*\})\s+/, ""));
}

/**
 * The paths a line tests before a copy runs: `test -f P &&`, `[ -f P ] &&`, `if test -f P; then`,
 * `if [ -f P ]; then` (also -e, -r, -s). A copy of P on that line ran only where P existed.
 */
function guardsIn(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/(?:\btest|\[)\s+-[efrs]\s+(['"]?)([^\s'"\]]+)\1\s*\]?\s*(?:&&|;\s*then\b)/g)) out.push(m[2]!);
  return out;
}

/**
 * How deep the shell `if`s are read: bash scripts rarely nest past a handful, and an `if` that is
 * never closed (an unbalanced one, or a Ruby `if !…` read as a shell one) stays open to the end of
 * the text. Past this depth an `if` is counted (its `fi` closes it) but guards nothing, so each line
 * costs at most this many open guards, however many `if`s the text leaves open.
 */
const MAX_IF_DEPTH = 64;

/** The open shell `if`s: the first MAX_IF_DEPTH of them, and how many are open past those. */
interface IfStack {
  open: ShellIf[];
  over: number;
}

interface ShellIf {
  /** The path the `if` tests for (`if test -f P`, `if [ -e P ]`), or null for any other condition. */
  guard: string | null;
  line: number;
  /** Past its `else`/`elif`: the test is no longer what lets a command run. */
  inElse: boolean;
}

/**
 * Opens and closes the shell `if`s of one line, in order, as bash reads them: `if COND` opens one
 * (its `then` may be on this line or the next), `else`/`elif` ends its `then` branch, `fi` closes
 * it. An `if … fi` on one line opens and closes (its guard is guardsIn's). A Ruby `if` is no shell
 * `if`: only one followed by a shell test (`test`, `[`, `[[`, `!`) opens a block; a Ruby `else` or
 * `end` with no shell block open changes nothing.
 */
function shellIfs(line: string, at: number, blocks: IfStack): void {
  const re = /(?:^|[\s;"'`(])(?:if\s+(?:(?:test|\[)\s+-[efrs]\s+(['"]?)([^\s'";\]]+)\1(?=$|[\s;"'`\]])|!|test\b|\[\[?(?=\s))|(else|elif|fi)(?=$|[\s;"'`)]))/g;
  const open = blocks.open;
  for (const m of line.matchAll(re)) {
    if (m[3] === undefined) {
      if (open.length < MAX_IF_DEPTH) open.push({ guard: m[2] ?? null, line: at, inElse: false });
      else blocks.over++;
    } else if (blocks.over > 0) {
      // the innermost `if` is one past the cap, which guards nothing: its else changes nothing
      if (m[3] === "fi") blocks.over--;
    } else if (!open.length) continue;
    else if (m[3] === "fi") open.pop();
    else open[open.length - 1]!.inElse = true;
  }
}

/** The paths the open `if`s test, while in their `then` branch: at most MAX_IF_DEPTH of them. */
function openGuards(blocks: IfStack): { path: string; line: number }[] {
  const out: { path: string; line: number }[] = [];
  for (const b of blocks.open) if (b.guard !== null && !b.inElse) out.push({ path: b.guard, line: b.line });
  return out;
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
  /** cp -r/-R/-a: a directory source is copied whole. */
  recursive: boolean;
  /** cp/mv -n, --no-clobber, --update=none: a destination that exists is left as it is. */
  noClobber?: boolean;
  /** cp/mv -u, --update (=older): a destination as new as the source or newer is left as it is. */
  update?: boolean;
  noTargetDir: boolean;
  targetDir: string | null;
  operands: string[];
}

/**
 * Coreutils' option syntax (9.1), shared by ln, cp, mv and install: `--` ends the options;
 * `--opt=val`, or `--opt val` for a long option that takes one (`longWithArg`); short options
 * cluster, and one that takes an argument (`shortWithArg`) ends its cluster, the rest of it or the
 * next word being its value. Flags are kept as written (`-s`, `--symbolic`), values by option, the
 * last one winning as in getopt.
 */
function coreutilsOptions(args: string[], shortWithArg: string, longWithArg: readonly string[]): { flags: Set<string>; values: Map<string, string | null>; operands: string[] } {
  const flags = new Set<string>();
  const values = new Map<string, string | null>();
  const operands: string[] = [];
  // Re-set at the end, so the map's order is the order the values came in (targetDirOf's "last").
  const set = (k: string, v: string | null) => (values.delete(k), values.set(k, v));
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const [opt, val] = a.split("=", 2) as [string, string | undefined];
      if (val !== undefined) set(opt, val);
      else if (longWithArg.includes(opt)) set(opt, args[++i] ?? null);
      else flags.add(opt);
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (shortWithArg.includes(c)) {
          set(`-${c}`, a.slice(j + 1) || args[++i] || "");
          break;
        }
        flags.add(`-${c}`);
      }
      continue;
    }
    operands.push(a);
  }
  return { flags, values, operands };
}

/** The target directory `-t DIR` / `--target-directory[=]DIR` names, whichever came last. */
function targetDirOf(o: ReturnType<typeof coreutilsOptions>): string | null {
  let out: string | null = null;
  for (const [k, v] of o.values) if (k === "-t" || k === "--target-directory") out = v;
  return out;
}

/** ln's options (coreutils 9.1): -t and -S take an argument. */
function parseLn(args: string[]): LnCall | null {
  const o = coreutilsOptions(args, "tS", ["--target-directory", "--suffix"]);
  const has = (...f: string[]) => f.some((x) => o.flags.has(x));
  return { symbolic: has("-s", "--symbolic"), recursive: false, noTargetDir: has("-T", "--no-target-directory"), targetDir: targetDirOf(o), operands: o.operands };
}

/**
 * cp, mv and install (coreutils 9.1): those that take an argument are cp/mv `-S SUFFIX`, `-t DIR`
 * and install's `-g -m -o -S -t`. install's `-d` makes directories and copies nothing.
 */
function parseCopy(cmd: "cp" | "mv" | "install", args: string[]): LnCall | null {
  const o = coreutilsOptions(args, cmd === "install" ? "gmoSt" : "St", cmd === "install" ? ["--group", "--mode", "--owner", "--suffix", "--strip-program", "--target-directory"] : ["--suffix", "--target-directory", "--sparse", "--no-preserve"]);
  const has = (...f: string[]) => f.some((x) => o.flags.has(x));
  if (cmd === "install" && has("-d", "--directory")) return null;
  const r: LnCall = { symbolic: false, recursive: cmd === "mv" || has("--recursive", "--archive") || (cmd === "cp" && has("-r", "-R", "-a")), noTargetDir: has("-T", "--no-target-directory"), targetDir: targetDirOf(o), operands: o.operands };
  if (cmd !== "install" && (has("-n", "--no-clobber") || o.values.get("--update") === "none")) r.noClobber = true;
  else if (cmd !== "install" && (has("-u", "--update") || o.values.get("--update") === "older")) r.update = true;
  return r;
}

/**
 * SSHKit's `execute :cp, "#{shared_path}/x", release_path.join("x")` (Capistrano 3) as the shell line
 * it runs (`cp … …`), so the same reading applies; null when the line is no such call.
 */
function sshkitCall(line: string): string | null {
  // One way to match each space (no `\s+\s*`, no lazy `.*?` before `\s*$`): linear on a long line.
  const m = /^\s*(?:execute|sudo|test)(\s*\(\s*|\s+)((?::sudo\s*,\s*)?:(?:cp|mv|install|ln|cat|rm|mkdir)\b.*)$/.exec(line.trimEnd());
  if (!m) return null;
  const args = m[1]!.includes("(") ? m[2]!.replace(/\)$/, "") : m[2]!;
  const words: string[] = [];
  for (const arg of splitArgs(args)) {
    const a = arg.trim();
    let w: RegExpExecArray | null;
    if ((w = /^:(\w+)$/.exec(a))) words.push(w[1]!);
    else if ((w = /^"([^"]*)"$/.exec(a)) || (w = /^'([^']*)'$/.exec(a))) words.push(w[1]!);
    else if ((w = /^(shared_path|release_path|current_path|deploy_to)\.join\(\s*["']([^"']*)["']\s*\)$/.exec(a))) words.push(`#{${w[1]}}/${w[2]}`);
    else if ((w = /^(shared_path|release_path|current_path)$/.exec(a))) words.push(`#{${w[1]}}`);
    else return null;
  }
  return words.join(" ");
}

/** A call's arguments split at top-level commas (quotes and parentheses kept whole). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let depth = 0;
  let quote: string | null = null;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = null;
      cur += c;
    } else if (c === '"' || c === "'") (quote = c), (cur += c);
    else if (c === "(" || c === "{") depth++, (cur += c);
    else if (c === ")" || c === "}") depth--, (cur += c);
    else if (c === "," && depth === 0) out.push(cur), (cur = "");
    else cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

/** `#{config_dir}/x` with `config_dir = "#{shared_path}/config"` earlier in the task: the local's text put back. */
function withLocals(line: string, locals: Map<string, string>, max: number): string | null {
  if (!locals.size) return line;
  let out = "";
  let at = 0;
  for (const m of line.matchAll(/#\{\s*([a-z_]\w*)\s*\}/g)) {
    out += line.slice(at, m.index) + (locals.get(m[1]!) ?? m[0]);
    at = m.index + m[0].length;
    if (out.length > max) return null;
  }
  out += line.slice(at);
  return out.length > max ? null : out;
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

const fileSets = new WeakMap<readonly string[], Set<string>>();
/** Whether the checkout holds a file at `rel`. */
function repoFile(repo: RepoFiles, rel: string): boolean {
  let s = fileSets.get(repo.paths);
  if (!s) fileSets.set(repo.paths, (s = new Set(repo.paths)));
  return s.has(rel);
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

/** Whether a copy of shared/<spread> over the release's <path> (a glob or a tree) can land on config/database.yml. */
export function spreadHitsDatabase(path: string, spread: string): boolean {
  const glob = /[*?[]/.test(spread);
  if (!glob) return "config/database.yml".startsWith(path ? `${path}/` : "");
  if (path !== "config") return false;
  const last = spread.split("/").pop()!;
  // A shell bracket class (`[dD]`, `[!a]`, or an unclosed `[` the shell takes literally) is not
  // read here: such a name may hit. Every other regex character is escaped, so the pattern is valid.
  if (last.includes("[")) return true;
  const re = new RegExp(`^${last.replace(/[.+^${}()|[\]\\/-]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
  return re.test("database.yml");
}
