// A whenever_command written as one String with a blank, under whenever's Capistrano 3 task.
//
// whenever 1.0's task (lib/whenever/capistrano/v3/tasks/whenever.rake) runs
//   within(whenever_path) { with(whenever_command_environment_variables) { execute(*Array(whenever_command), whenever_update_flags, "--roles=<host roles>", "-f <whenever_load_file>") } }
// and SSHKit 1.21 (lib/sshkit/command.rb) sends a command whose first word holds a blank as written:
// `to_command` returns `command.to_s`, which for such a command is the String alone. So everything
// the task adds is dropped: the `--update-crontab <identifier> --set <whenever_variables>` flags, the
// `--roles=` of the host, the `-f` load file, the `cd` into whenever_path and the `export`s. whenever
// ran with what the String says, in the login shell's directory unless the String `cd`s:
// - `NAME=value` words before `whenever` (and `export NAME=value` before it) are its process's env;
// - its own `--set`/`-s` word is whenever's variables (JobList#pre_set);
// - without `-i`/`--update-crontab`/`-w`/`--write-crontab` it only printed the crontab;
// - without `-r`/`--roles` whenever writes every job, whatever its `roles:` (JobList, roles.empty?).
import type { RValue, Source, Stage, Unknown } from "../../src/model.js";
import { isInterp, isSym, isUnknown } from "../../src/model.js";
import { formatValue } from "../../src/model/format.js";

/** A literal run of text, a value not known, or a Capistrano path reference (`#{release_path}`). */
export type Piece = string | Unknown | { cap: string };
export const isCap = (p: unknown): p is { cap: string } => typeof p === "object" && p !== null && typeof (p as { cap?: unknown }).cap === "string" && Object.keys(p).length === 1;

export function piecesOf(v: RValue): Piece[] {
  if (typeof v === "string") return [v];
  if (isInterp(v)) return v.interp.flatMap((p): Piece[] => (typeof p === "string" ? [p] : typeof p === "number" ? [String(p)] : isCap(p) || isUnknown(p) ? [p] : [{ unknown: `${formatValue(p)}, not known statically` }]));
  if (isUnknown(v) || isCap(v)) return [v];
  return [{ unknown: `${formatValue(v)}, not known statically` }];
}

/** A literal word's text, null when a piece of it is not literal. */
export const literal = (ps: Piece[]): string | null => (ps.every((p) => typeof p === "string") ? (ps as string[]).join("") : null);

/** A shell command line's simple commands: their words (quotes removed), and the operator that ended each. */
export function shellSegments(pieces: Piece[]): { words: Piece[][]; sep: string | null }[] {
  const out: { words: Piece[][]; sep: string | null }[] = [];
  let words: Piece[][] = [];
  let word: Piece[] = [];
  let inWord = false;
  let quote: "'" | '"' | null = null;
  // `#` at the start of a word comments out the rest of its line (bash without -i still does).
  let comment = false;
  const push = (p: Piece) => {
    inWord = true;
    const last = word[word.length - 1];
    if (typeof p === "string" && typeof last === "string") word[word.length - 1] = last + p;
    else word.push(p);
  };
  const end = () => {
    if (inWord) words.push(word);
    word = [];
    inWord = false;
  };
  for (const piece of pieces) {
    if (typeof piece !== "string") {
      if (!comment) push(piece);
      continue;
    }
    for (let i = 0; i < piece.length; i++) {
      const ch = piece[i]!;
      if (comment) {
        if (ch !== "\n") continue;
        comment = false;
      }
      if (quote) {
        if (ch === quote) quote = null;
        else if (quote === '"' && ch === "\\" && i + 1 < piece.length) push(piece[++i]!);
        else push(ch);
      } else if (ch === "'" || ch === '"') {
        quote = ch;
        inWord = true;
      } else if (ch === "\\" && i + 1 < piece.length) {
        // a backslash before a newline joins the lines
        if (piece[i + 1] === "\n") i++;
        else push(piece[++i]!);
      } else if (ch === "#" && !inWord) comment = true;
      else if (ch === "\n") {
        // a newline ends a command as `;` does
        end();
        if (words.length) out.push({ words, sep: "\n" });
        words = [];
      } else if (/\s/.test(ch)) end();
      else if (ch === "&" || ch === ";" || ch === "|") {
        end();
        const sep = (ch === "&" || ch === "|") && piece[i + 1] === ch ? ch + piece[++i]! : ch;
        out.push({ words, sep });
        words = [];
      } else push(ch);
    }
  }
  end();
  if (words.length) out.push({ words, sep: null });
  return out;
}

export interface WheneverRun {
  /** The environment its process got from the line: `NAME=value` before it, `export NAME=value` earlier. */
  env: Record<string, string>;
  /** Names the line assigns a value not known statically. */
  envUnknown: string[];
  /** Its arguments after `whenever`, as words. */
  args: Piece[][];
  /** `-i`/`--update-crontab`, `-w`/`--write-crontab`: it installed a crontab; null: it only printed one. */
  installs: "update" | "write" | null;
  /** Its `-r`/`--roles` list, null when it got none (every job is written). */
  roles: string[] | null;
  /** A `cd` ran before it on the line (else it ran in the login shell's directory). */
  cd: boolean;
  /** An unquoted `&` right after it: the shell ran it in the background and went on. */
  background: boolean;
}

const WHENEVER_WORD = /^(?:[\w./-]*\/)?whenever$/;
const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)=/;

/** The whenever run a shell line holds (through one `bash -l -c '…'`), or null when it runs no whenever. */
export function wheneverRunIn(pieces: Piece[], depth = 0): WheneverRun | null {
  const env: Record<string, string> = {};
  const envUnknown: string[] = [];
  let cd = false;
  const exported = new Set<string>();
  const segments = shellSegments(pieces);
  for (let s = 0; s < segments.length; s++) {
    const words = segments[s]!.words;
    const first = words[0] ? literal(words[0]) : null;
    if (first === "cd") {
      cd = true;
      continue;
    }
    if (first === "export") {
      for (const w of words.slice(1)) {
        assign(w, env, envUnknown);
        const name = assignedName(w) ?? literal(w);
        if (name !== null && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) exported.add(name);
      }
      continue;
    }
    // `bash -l -c '…'`, `sh -c '…'`: the quoted line is the command.
    if (first !== null && /^(?:\/bin\/|\/usr\/bin\/)?(?:ba)?sh$/.test(first) && depth < 2) {
      const c = words.findIndex((w) => literal(w) === "-c" || literal(w) === "-lc");
      if (c > 0 && words[c + 1]) {
        const inner = wheneverRunIn(words[c + 1]!, depth + 1);
        if (inner) return { ...inner, env: { ...env, ...inner.env }, envUnknown: [...envUnknown, ...inner.envUnknown], cd: cd || inner.cd };
      }
      continue;
    }
    const lead = words.findIndex((w) => !isAssignment(w));
    if (lead < 0) {
      // `NAME=value` alone: a shell variable, which reaches a later command only when it was exported
      for (const w of words) if (exported.has(assignedName(w)!)) assign(w, env, envUnknown);
      continue;
    }
    const at = commandWord(words, lead);
    if (at < 0) continue;
    const own: Record<string, string> = {};
    const ownUnknown: string[] = [];
    for (const w of words.slice(0, at)) {
      const t = literal(w);
      // `sudo` resets the environment (env_reset): what came before it does not reach whenever.
      if (t !== null && /^(?:[\w./-]*\/)?sudo$/.test(t)) {
        for (const k of Object.keys(own)) delete own[k];
        ownUnknown.length = 0;
        for (const k of Object.keys(env)) delete env[k];
        envUnknown.length = 0;
      } else assign(w, own, ownUnknown);
    }
    const args = words.slice(at + 1);
    const lits = args.map(literal);
    const installs = lits.some((t) => t !== null && /^(?:-i|--update-crontab(?:=.*)?)$/.test(t)) ? "update" : lits.some((t) => t !== null && /^(?:-w|--write-crontab(?:=.*)?)$/.test(t)) ? "write" : null;
    let roles: string[] | null = null;
    lits.forEach((t, i) => {
      if (t === "-r" || t === "--roles") roles = (lits[i + 1] ?? "").split(",").filter(Boolean);
      else if (t !== null && /^--roles=/.test(t)) roles = t.slice("--roles=".length).split(",").filter(Boolean);
    });
    return { env: { ...env, ...own }, envUnknown: [...envUnknown, ...ownUnknown], args, installs, roles, cd, background: segments[s]!.sep === "&" };
  }
  return null;
}

const isAssignment = (w: Piece[]): boolean => assignedName(w) !== null;
const assignedName = (w: Piece[]): string | null => (typeof w[0] === "string" ? ASSIGN.exec(w[0])?.[1] ?? null : null);

/**
 * The index of the whenever word when the simple command runs whenever, else -1: the command word
 * (the first word that is no assignment) is whenever, or a wrapper that runs what follows it
 * (`bundle exec`, `env NAME=v`, `nice -n 5`, `nohup`, `sudo -u x`, `exec`, `command`, `time`).
 * `echo … whenever -i` runs echo: whenever is only a word there.
 */
function commandWord(words: Piece[][], lead: number): number {
  let i = lead;
  for (let guard = 0; guard < 16 && i < words.length; guard++) {
    const t = literal(words[i]!);
    if (t === null) return -1;
    if (WHENEVER_WORD.test(t)) return i;
    const base = t.replace(/^.*\//, "");
    if (base === "bundle" && literal(words[i + 1] ?? []) === "exec") i += 2;
    else if (base === "env" || base === "nohup" || base === "exec" || base === "command" || base === "time" || base === "nice" || base === "sudo") {
      i++;
      while (i < words.length) {
        const o = literal(words[i]!);
        if (o === null) break;
        if ((base === "env" && ASSIGN.test(o)) || (o.startsWith("-") && o !== "-")) {
          // an option that takes the next word as its value
          if ((base === "nice" && o === "-n") || (base === "sudo" && /^-[ugCDhprT]$/.test(o)) || (base === "env" && /^-[uC]$/.test(o))) i++;
          i++;
        } else break;
      }
    } else return -1;
  }
  return -1;
}

/** `NAME=value` into env (or envUnknown), true when the word is an assignment. */
function assign(w: Piece[], env: Record<string, string>, unknown: string[]): boolean {
  const head = typeof w[0] === "string" ? ASSIGN.exec(w[0]) : null;
  if (!head) return false;
  const rest: Piece[] = [w[0]!.toString().slice(head[0].length), ...w.slice(1)];
  const value = literal(rest);
  if (value === null) unknown.push(head[1]!);
  else env[head[1]!] = value;
  return true;
}

export interface StageStringCommand {
  stage: string;
  /** whenever_command's line. */
  source: Source;
  /** What whenever ran with, or null when the String runs no whenever. */
  run: WheneverRun | null;
}

/**
 * Per stage that loads whenever's Capistrano 3 task with a whenever_command SSHKit sends as written
 * (its first word holds a blank), what the String ran. (whenever_command_environment_variables is a
 * default of the v3 task only: its presence says the stage loads that task.)
 */
export function stringCommands(stages: Stage[]): StageStringCommand[] {
  const out: StageStringCommand[] = [];
  for (const st of stages) {
    const command = st.variables["whenever_command"];
    if (!command || !st.variables["whenever_command_environment_variables"] || mapped(command.value)) continue;
    out.push({ stage: st.name, source: command.source, run: wheneverRunIn(piecesOf(command.value)) });
  }
  return out;
}

/** SSHKit maps a command whose first word holds no blank: `[:bundle, :exec, :whenever]`, `"whenever"`. */
export function mapped(v: RValue): boolean {
  const first = Array.isArray(v) ? v[0] : v;
  const word = isSym(first) ? first.sym : typeof first === "string" ? first : null;
  return word !== null && word !== "" && !/\s/.test(word);
}

/**
 * Names whose value the warning may show: they choose Rails' environment or the bundle, and hold no
 * secret by any rule. Every other env word is shown by its name only: a value the line holds
 * (PGPASSWORD=…, a token under a name no rule knows) must not reach the terminal or MIGRATION.md.
 */
const SHOWN_VALUES = new Set(["RAILS_ENV", "RACK_ENV", "BUNDLE_GEMFILE"]);
const envWordText = (name: string, value: string): string => (SHOWN_VALUES.has(name) ? `${name}=${value}` : name);

/** The warning for each such stage (one per whenever_command line): what the String dropped and what it ran. */
export function stringCommandWarnings(cmds: StageStringCommand[], stages: Stage[], warn: (at: Source, message: string) => void): void {
  const byLine = new Map<string, StageStringCommand[]>();
  for (const c of cmds) {
    const k = `${c.source.file}:${c.source.line}:${JSON.stringify(c.run)}`;
    byLine.set(k, [...(byLine.get(k) ?? []), c]);
  }
  for (const group of byLine.values()) {
    const c = group[0]!;
    const st = stages.find((s) => s.name === c.stage)!;
    const flags = st.variables["whenever_update_flags"];
    const flagsText = flags && typeof flags.value === "string" ? `\`${flags.value}\`` : "whenever_update_flags";
    const names = group.map((g) => g.stage).join(", ");
    const r = c.run;
    const ran = !r
      ? "it runs no whenever command at all (what it installs is not read here): which jobs its servers' crontab held is not known from the schedule"
      : [
          r.installs ? `it ${r.installs === "write" ? "writes the whole crontab" : "updates the crontab"} itself` : "it has no --update-crontab/--write-crontab, so whenever only printed the crontab and installed nothing: the deploy did not change the servers' crontab (its jobs are carried, as the schedule says; check `crontab -l` on the servers)",
          !r.installs ? "" : r.roles ? `with --roles ${r.roles.join(",")}` : "with no --roles, so whenever wrote every job on each whenever_roles server, whatever the job's `roles:`",
          Object.keys(r.env).length ? `with ${Object.entries(r.env).map(([k, v]) => envWordText(k, v)).join(" ")} in its environment` : "",
          r.envUnknown.length ? `with ${r.envUnknown.join(", ")} set to a value not known statically` : "",
          r.cd ? "" : "in the login shell's directory (no cd)",
        ].filter(Boolean).join("; ");
    warn(c.source, `cron.whenever-command-string: stage${group.length > 1 ? "s" : ""} ${names}: whenever_command is one String with a blank, which SSHKit sends as written: whenever:update_crontab's own flags (${flagsText}, --roles=<the server's roles>, -f <whenever_load_file>), its cd into whenever_path and its export of whenever_command_environment_variables are all dropped: ${ran}`);
  }
}
