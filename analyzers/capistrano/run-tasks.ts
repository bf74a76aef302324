// Which of a repo's Capistrano tasks a deploy runs, for the rule that a link or a copy in a task the
// deploy never runs is not the servers' file. A doubt COUNTS the task: reading the repo's own
// (development) database.yml as production's is the worse error, so every way a task may be run —
// a hook (conditional ones too, their condition kept), Capistrano's flow, a Rake prerequisite, an
// invoke by a literal or an interpolated name, a Capistrano 2 method call — counts it.
//
// Linear in the task files: each line is scanned once (strings and comments blanked by a hand
// scanner, never a backtracking regex), identifiers are looked up in one Set of candidate names.
import type { ConditionalHook, HookDef, TaskDef } from "../../src/model.js";

/**
 * Capistrano's own deploy flow tasks: a repo task of that name (Capistrano 2 replaces the built-in,
 * Capistrano 3's Rake appends to it) runs in every deploy without a hook. Capistrano 2's
 * lib/capistrano/recipes/deploy.rb (deploy, update, update_code, finalize_update, symlink,
 * create_symlink, restart, migrate, migrations, cleanup, cold, start) and Capistrano 3's
 * tasks/framework.rake and deploy.rake.
 */
const FLOW_TASKS: Record<2 | 3, readonly string[]> = {
  2: ["deploy", "deploy:default", "deploy:update", "deploy:update_code", "deploy:finalize_update", "deploy:symlink", "deploy:create_symlink", "deploy:restart", "deploy:migrate", "deploy:migrations", "deploy:cleanup", "deploy:cold", "deploy:start"],
  3: ["deploy", "deploy:starting", "deploy:started", "deploy:updating", "deploy:updated", "deploy:publishing", "deploy:published", "deploy:finishing", "deploy:finished", "deploy:symlink:shared", "deploy:symlink:linked_files", "deploy:symlink:linked_dirs", "deploy:symlink:release", "deploy:cleanup"],
};

export interface RunTasks {
  /** Every task counted as run. */
  ran: Set<string>;
  /** Tasks run only through conditional hooks: the condition's words, for the link's wording. */
  onlyIf: Map<string, string>;
  /**
   * Every name a task body runs by name, repo task or not (a plugin's `resque:restart`): invoked
   * (literal, or the literal ends of an interpolated name), a Rake prerequisite, a Capistrano 2
   * namespace call (`resque.restart`); `any` when some invoke's name is computed (any task).
   */
  named: { names: Set<string>; patterns: { prefix: string; suffix: string }[]; any: boolean };
}

/**
 * One line with its string contents and its comment blanked to spaces (same length, so offsets
 * agree with the line): quotes stay, so `"…"` is still seen as a string. A linear scan; an
 * unclosed string ends at the line's end.
 */
export function blankStrings(line: string): string {
  let out = "";
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "#") return out + " ".repeat(line.length - i);
    if (c === '"' || c === "'") {
      out += c;
      let j = i + 1;
      while (j < line.length && line[j] !== c) j += line[j] === "\\" ? 2 : 1;
      const end = Math.min(j, line.length);
      out += " ".repeat(end - i - 1);
      if (j < line.length) out += c;
      i = end + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** The literal parts of an invoked name written as a string: `"db:#{t}"` → prefix db:, suffix "" (any task between). */
type NamePattern = { exact: string } | { prefix: string; suffix: string };

/** The invoked name at `at` in the line's code (quotes kept): a literal, an interpolation's literal ends, or null (computed: any task). */
function invokedName(code: string, at: number): NamePattern | null {
  const c = code[at];
  if (c === ":") {
    const m = /^:"?([\w:]+)/.exec(code.slice(at, at + 200));
    return m ? { exact: m[1]! } : null;
  }
  if (c === '"' || c === "'") {
    const end = code.indexOf(c, at + 1);
    if (end < 0) return null;
    const body = code.slice(at + 1, end);
    if (c === '"' && body.includes("#{")) return { prefix: body.slice(0, body.indexOf("#{")), suffix: body.slice(body.lastIndexOf("}") + 1) };
    return { exact: body.replace(/^:/, "") };
  }
  return null;
}

/** The task names after a Rake task's `=>` / `name:` (its prerequisites), read from the line's code: symbols, strings, %w/%i words. */
function prerequisites(code: string, bare: string): string[] | null {
  const head = /^\s*(?:Rake::)?task\s*\(?\s*(?::?" *"|:?' *'|:\w+[?!]?|(\w+):(?!:))/.exec(bare);
  if (!head) return null;
  // `task configure: …` (a label) or `task :a => …` / `task :a, [:arg] => …`
  let rest: number;
  if (head[1] !== undefined) rest = head[0].length;
  else {
    const arrow = bare.indexOf("=>", head[0].length);
    if (arrow < 0) return null;
    rest = arrow + 2;
  }
  const stop = bare.slice(rest).search(/\bdo\b|\{/);
  const tail = code.slice(rest, stop < 0 ? code.length : rest + stop);
  const names: string[] = [];
  for (const m of tail.matchAll(/[\w:]+/g)) {
    const w = m[0].replace(/^:+/, "");
    if (w && !/^(?:w|i)$/.test(w)) names.push(w);
  }
  return names;
}

// A call of invoke (not `task :invoke`, `x.invoke`, `invoke_command`, `def invoke`).
const INVOKE = /(?<![.\w:@$])(?<!\bdef\s+)(?:invoke(?:!|(?![\w?=]))|find_and_execute_task\b|Rake::Task\s*\[)[ \t]*\(?[ \t]*/g;
const WORD = /(?<![\w:@$"'])\w+(?![\w"'?!:])/g;
// A Capistrano 2 namespace method call, `resque.restart` or `top.deploy.web.disable` (a lower-case chain, not `File.join`).
const DOTTED = /(?<![\w:@$."'])(?:top\.)?([a-z_]\w*(?:\.[a-z_]\w*)+)(?![\w?!(])/g;

/** The tasks a deploy runs: hooked (conditionally or not), Capistrano's flow tasks, prerequisites, and those some task invokes or calls. */
export function deployRunTasks(hooks: HookDef[], condHooks: readonly ConditionalHook[], tasks: TaskDef[], major: 2 | 3, text: (file: string) => string): RunTasks {
  const ran = new Set([...hooks.map((h) => h.task.replace(/^:/, "")), ...FLOW_TASKS[major]]);
  const onlyIf = new Map<string, string>();
  for (const h of condHooks) {
    const t = h.task.replace(/^:/, "");
    if (ran.has(t)) continue;
    const words = `only on deploys where the condition on ${h.condition.file}:${h.condition.line} held (its hook ${h.kind} ${h.target} is conditional)`;
    onlyIf.set(t, onlyIf.has(t) ? `${onlyIf.get(t)}; or ${words}` : words);
  }
  // Capistrano 2.0-2.5 also ran `before_<task>` / `after_<task>` by name around a task (its
  // callbacks' find_hook, searched up the namespaces; later 2.x dropped it): run, on the safe side.
  if (major === 2) for (const t of tasks) if (/(?:^|:)(?:before|after)_\w+$/.test(t.name)) ran.add(t.name);
  // invoked names: literal ones, and the literal ends of interpolated ones
  const exact = new Set<string>();
  const patterns: { prefix: string; suffix: string }[] = [];
  // Rake prerequisites resolve from the task's scope up (db:link, then link): any task of that last name counts.
  const prereqs = new Set<string>();
  // Capistrano 2's tasks are methods of their namespace: `symlink_config` (or `deploy.symlink_config`,
  // `top.deploy.symlink_config`) in another task's body runs it. Any such call by its last name,
  // outside its own definition line, counts the task. Strings (a path that holds the name) and
  // comments are not calls. Occurrences per last name, as file:line keys (two are enough to know).
  const shorts = new Set(major === 2 ? tasks.map((t) => t.name.split(":").pop()!).filter((s) => /^\w+$/.test(s)) : []);
  const calls = new Map<string, Set<string>>();
  const dotted = new Set<string>();
  let anyTask = false;
  for (const file of new Set(tasks.map((t) => t.source.file))) {
    const lines = text(file).split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const code = lines[i]!;
      if (!/\w/.test(code)) continue;
      const bare = blankStrings(code);
      // (a string argument's contents are blank in `bare`; read them from `code` at the same offset)
      const codeNoComment = code.slice(0, bare.length);
      for (const m of bare.matchAll(INVOKE)) {
        const at = m.index! + m[0].length;
        // what follows must be an argument: a name, or an expression (a variable, a call) naming any task
        if (!/^[\w"':@$]/.test(codeNoComment.slice(at, at + 1)) || /^(?:do|if|unless|and|or|then|end)\b/.test(bare.slice(at, at + 8))) continue;
        const p = invokedName(codeNoComment, at);
        if (p === null) anyTask = true;
        else if ("exact" in p) exact.add(p.exact);
        else patterns.push(p);
      }
      if (major === 3) for (const n of prerequisites(codeNoComment, bare) ?? []) prereqs.add(n.split(":").pop()!), prereqs.add(n);
      if (major === 2) for (const m of bare.matchAll(DOTTED)) dotted.add(m[1]!.replace(/\./g, ":"));
      if (shorts.size)
        for (const m of bare.matchAll(WORD)) {
          const w = m[0];
          if (!shorts.has(w)) continue;
          const after = bare.slice(m.index! + w.length, m.index! + w.length + 40);
          if (/^\s*(?:=[^=~]|,\s*:roles)/.test(after)) continue;
          const seen = calls.get(w) ?? new Set<string>();
          if (seen.size < 2) seen.add(`${file}:${i + 1}`), calls.set(w, seen);
        }
    }
  }
  for (const t of tasks) {
    const short = t.name.split(":").pop()!;
    if (anyTask || prereqs.has(t.name) || prereqs.has(short)) ran.add(t.name);
    else if (exact.has(t.name) || patterns.some((p) => t.name.length >= p.prefix.length + p.suffix.length && t.name.startsWith(p.prefix) && t.name.endsWith(p.suffix))) ran.add(t.name);
    else {
      const seen = calls.get(short);
      if (seen && [...seen].some((k) => k !== `${t.source.file}:${t.source.line}`)) ran.add(t.name);
    }
  }
  for (const n of exact) ran.add(n);
  for (const t of ran) onlyIf.delete(t);
  for (const t of onlyIf.keys()) ran.add(t);
  return { ran, onlyIf, named: { names: new Set([...exact, ...prereqs, ...dotted]), patterns, any: anyTask } };
}
