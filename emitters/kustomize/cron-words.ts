// The words of a cron command as the shell reads them, and which of them name files. A path is told
// from a pattern by the grammar of the program that gets it, not by its leading `/`: grep's first
// operand (or `-e` value) is a regular expression, sed's a script, awk's a program, find's `-name`
// value a glob, a `rails runner` argument Ruby code (whose string literals may name files, and whose
// `/regex/` literals do not), `echo`'s words text. The rules follow each tool's own synopsis (GNU grep
// 3.8, sed 4.9, gawk 5.2, findutils 4.9 manuals; Rails' `runner` command).

// The shell's words are read in one place for the analyzers and emitters both (src/model/shell-words.ts).
import { simpleCommands, type ShellWord } from "../../src/model/shell-words.js";
export { simpleCommands, type ShellWord };

/** What a word of a command is, by the grammar of its program. */
export type WordRole = "program" | "path" | "text" | "ruby";

/** Each word of one simple command with its role: a `path` may name a file, `text` never does, `ruby` is Ruby code. */
export function wordRoles(words: ShellWord[]): { word: ShellWord; role: WordRole }[] {
  const out: { word: ShellWord; role: WordRole }[] = [];
  let i = 0;
  // Redirections and their targets may stand anywhere; assignments (`DIR=/x cmd`) before the program.
  const rest: ShellWord[] = [];
  for (let j = 0; j < words.length; j++) {
    const w = words[j]!;
    if (w.redirect) {
      out.push({ word: w, role: "text" });
      // `2>&1` duplicates a descriptor: no file follows it.
      if (!/&[\d-]*$/.test(w.text) && words[j + 1]) out.push({ word: words[++j]!, role: "path" });
      continue;
    }
    rest.push(w);
  }
  while (i < rest.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[i]!.text)) out.push({ word: rest[i++]!, role: "path" });
  // Wrappers that run the rest of the line: `bundle exec`, `env` (with its assignments), `nice`, `nohup`, `exec`.
  for (;;) {
    const w = rest[i]?.text.replace(/^\/(?:usr\/)?bin\//, "");
    if (w === "bundle" && rest[i + 1]?.text === "exec") out.push({ word: rest[i++]!, role: "text" }, { word: rest[i++]!, role: "text" });
    else if (w === "env" || w === "nice" || w === "nohup" || w === "exec" || w === "command" || w === "time") {
      out.push({ word: rest[i++]!, role: "text" });
      while (i < rest.length && (rest[i]!.text.startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[i]!.text))) out.push({ word: rest[i++]!, role: rest[i - 1]!.text.startsWith("-") ? "text" : "path" });
    } else break;
  }
  if (i >= rest.length) return out;
  const program = rest[i]!;
  out.push({ word: program, role: "program" });
  const args = rest.slice(i + 1);
  const base = program.text.replace(/^.*\//, "");
  const grammar = PROGRAMS[base] ?? (RUNNER.test(program.text) || (base === "rails" && (args[0]?.text === "runner" || args[0]?.text === "r")) ? runner : null);
  const roles = grammar ? grammar(args.map((a) => a.text)) : args.map((): WordRole => "path");
  args.forEach((word, k) => out.push({ word, role: roles[k] ?? "path" }));
  // In the line's own order, so the first path named is the first written.
  // Each word's position looked up once (a Map), not an indexOf per comparison: linear in the words.
  const at = new Map(words.map((w, k) => [w, k] as const));
  return out.sort((a, b) => (at.get(a.word) ?? -1) - (at.get(b.word) ?? -1));
}

/** `script/runner`, `bin/rails runner` as one word: Rails 2's runner script. */
const RUNNER = /(?:^|\/)script\/runner$/;

type Grammar = (args: string[]) => WordRole[];

/**
 * A command's operands: options (a table of the short and long options that take a value, and what
 * that value is), then operands, the first of them being `first` when no option gave it.
 */
function withOptions(takes: Record<string, WordRole>, first: WordRole | null, givenBy: string[]): Grammar {
  return (args) => {
    const roles: WordRole[] = [];
    let given = false;
    let firstDone = first === null;
    let ended = false;
    for (let k = 0; k < args.length; k++) {
      const a = args[k]!;
      if (!ended && a === "--") {
        roles.push("text");
        ended = true;
        continue;
      }
      if (!ended && /^--[\w-]+/.test(a)) {
        const [name, value] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, null];
        const role = takes[name];
        if (role && givenBy.includes(name)) given = true;
        if (role && value === null && k + 1 < args.length) roles.push("text", role), k++;
        else roles.push(role ?? "text");
        continue;
      }
      if (!ended && /^-[A-Za-z]/.test(a)) {
        // A cluster of short options: the first that takes a value takes the rest of the word, or the next word.
        let pushed = false;
        for (let c = 1; c < a.length; c++) {
          const role = takes[`-${a[c]}`];
          if (!role) continue;
          if (givenBy.includes(`-${a[c]}`)) given = true;
          if (c === a.length - 1 && k + 1 < args.length) roles.push("text", role), k++;
          else roles.push(role);
          pushed = true;
          break;
        }
        if (!pushed) roles.push("text");
        continue;
      }
      if (!firstDone && !given) {
        roles.push(first!);
        firstDone = true;
        continue;
      }
      roles.push("path");
    }
    return roles;
  };
}

const grep = withOptions({ "-e": "text", "--regexp": "text", "-f": "path", "--file": "path", "-A": "text", "-B": "text", "-C": "text", "-m": "text", "-d": "text", "-D": "text", "--include": "text", "--exclude": "text", "--exclude-dir": "text", "--exclude-from": "path", "--label": "text", "--color": "text" }, "text", ["-e", "--regexp", "-f", "--file"]);
const sed = withOptions({ "-e": "text", "--expression": "text", "-f": "path", "--file": "path", "-l": "text", "--line-length": "text" }, "text", ["-e", "--expression", "-f", "--file"]);
const awk = withOptions({ "-f": "path", "--file": "path", "-v": "text", "--assign": "text", "-F": "text", "--field-separator": "text" }, "text", ["-f", "--file"]);
const textOnly: Grammar = (args) => args.map(() => "text");

/** find: the starting points are paths; the values of its name and pattern tests are globs or regexes. */
const find: Grammar = (args) => {
  const roles: WordRole[] = [];
  let inExpression = false;
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (/^[-(!]/.test(a) && a !== "-") inExpression = true;
    if (!inExpression) {
      roles.push("path");
      continue;
    }
    roles.push("text");
    if (FIND_PATTERN_TESTS.has(a) && k + 1 < args.length) roles.push("text"), k++;
  }
  return roles;
};
const FIND_PATTERN_TESTS = new Set(["-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex", "-lname", "-ilname", "-mtime", "-mmin", "-size", "-type", "-user", "-group", "-perm", "-maxdepth", "-mindepth", "-newermt", "-printf", "-fprintf"]);

/** An interpreter's `-e`/`-c` code; without one, its first operand is the script it runs (a file). */
function interpreter(flag: string, code: WordRole): Grammar {
  return (args) => {
    const roles: WordRole[] = [];
    for (let k = 0; k < args.length; k++) {
      if (args[k] === flag && k + 1 < args.length) {
        roles.push("text", code);
        k++;
      } else roles.push(args[k]!.startsWith("-") ? "text" : "path");
    }
    return roles;
  };
}

/** Rails' runner: `[runner|r] [-e ENV] CODE_OR_FILE args…` — the code is Ruby (a `.rb` operand is a file). */
const runner: Grammar = (args) => {
  const roles: WordRole[] = [];
  let codeDone = false;
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (!codeDone && (a === "runner" || a === "r") && k === 0) roles.push("text");
    else if (!codeDone && (a === "-e" || a === "--environment") && k + 1 < args.length) roles.push("text", "text"), k++;
    else if (!codeDone && a.startsWith("-")) roles.push("text");
    else if (!codeDone) {
      roles.push(/^[\w./-]+\.rb$/.test(a) ? "path" : "ruby");
      codeDone = true;
    } else roles.push("text");
  }
  return roles;
};

const PROGRAMS: Record<string, Grammar> = {
  grep, egrep: grep, fgrep: grep, zgrep: grep, rg: grep,
  sed,
  awk, gawk: awk, mawk: awk, nawk: awk,
  find,
  echo: textOnly, printf: textOnly, logger: textOnly,
  ruby: interpreter("-e", "ruby"),
  perl: interpreter("-e", "text"),
  python: interpreter("-c", "text"), python3: interpreter("-c", "text"),
  node: interpreter("-e", "text"),
  sh: interpreter("-c", "text"), bash: interpreter("-c", "text"),
  runner,
};

/**
 * The absolute paths Ruby code names: the text of its string literals that starts with `/`. A
 * `/regex/` literal, `%r{}` and division are not strings. (`File.join("/data", x)` names /data.)
 */
export function rubyStringPaths(code: string): string[] {
  const out: string[] = [];
  let prev = "";
  let spaced = false;
  for (let i = 0; i < code.length; i++) {
    const ch = code[i]!;
    const wasSpaced = spaced;
    spaced = /\s/.test(ch);
    if (ch === "'" || ch === '"') {
      let s = "";
      for (i++; i < code.length && code[i] !== ch; i++) {
        if (code[i] === "\\" && i + 1 < code.length) i++;
        s += code[i];
      }
      if (s.startsWith("/") && !s.startsWith("//")) out.push(s);
      prev = ch;
    } else if (ch === "/" && !/\s/.test(code[i + 1] ?? " ") && (/^$|[(,=~!|&{[;:?]/.test(prev) || (wasSpaced && /\w/.test(prev)))) {
      // a regex literal where Ruby starts one: after an operator, an opening bracket, the start, or
      // as a method's spaced argument (`split /,/`); `a / b` and `a/b` divide
      for (i++; i < code.length && code[i] !== "/"; i++) if (code[i] === "\\") i++;
      prev = "/";
    } else if (ch === "%" && code[i + 1] === "r" && /[{([<|!/]/.test(code[i + 2] ?? "")) {
      const open = code[i + 2]!;
      const close = ({ "{": "}", "(": ")", "[": "]", "<": ">" } as Record<string, string>)[open] ?? open;
      for (i += 3; i < code.length && code[i] !== close; i++) if (code[i] === "\\") i++;
      prev = close;
    } else if (!spaced) prev = ch;
  }
  return out;
}

/**
 * The words of a command line that name a file by an absolute path, in order: operands and redirect
 * targets by each program's grammar, and the absolute paths in the string literals of Ruby code it
 * runs. Patterns, scripts, globs and text are left out. The program's own path is included.
 */
export function absolutePathWords(line: string): string[] {
  const out: string[] = [];
  for (const words of simpleCommands(line))
    for (const { word, role } of wordRoles(words)) {
      if (role === "ruby") out.push(...rubyStringPaths(word.text));
      else if (role === "path" || role === "program") {
        const t = word.text.replace(/^(?:--?[\w-]+|[A-Za-z_]\w*)=/, "");
        if (t.startsWith("/") && !t.startsWith("//")) out.push(t);
      }
    }
  return out;
}

/** Whether the program (a bare name) is one whose operands this module reads by its grammar: it runs no program given to it. */
export const hasGrammar = (program: string): boolean => Object.hasOwn(PROGRAMS, program);
