// The environment a systemd unit of the repo gives the process its ExecStart= runs (systemd.exec(5)):
// - `Environment=` holds space-separated assignments, each may be quoted ("A=1 2" or 'A=1'); a later
//   assignment of a name wins, and an empty `Environment=` resets the list;
// - `EnvironmentFile=` names files read just before the process starts, whose settings override
//   `Environment=`'s; a `-` prefix lets the file be missing.
// Nothing else of the deploy reaches it: Capistrano's default_env is the environment of the commands
// SSHKit runs, and `systemctl restart` hands none of it to the unit (systemd starts the process from
// the manager's own environment). A file the repo does not hold may set any name: said, not guessed.
import { readUnit } from "../services/unit-file.js";
import { SERVER_PLACEMENT } from "./start-line.js";

/** A systemd unit file kept in the repo (a `.service`, or its ERB template). */
export const isUnitFile = (file: string): boolean => /\.service(\.erb)?$/.test(file);

export interface UnitEnvironment {
  /** Literal values the process saw, by name, each with its line (the last assignment). */
  vars: Record<string, { value: string; line: number }>;
  /** Names whose value the servers' systemd gives (a `%h`-style specifier) or whose line systemd refuses, with why. */
  unknown: Record<string, { line: number; why: string }>;
  /** Names whose value the deploy fills in (ERB), which the analysis does not know. */
  filled: Record<string, number>;
  /** `EnvironmentFile=` entries: files of the servers that may set any name. */
  files: { path: string; line: number; optional: boolean }[];
  /** Names left out: the servers' Ruby and user placement, the stage's RAILS_ENV (its ConfigMap sets it). */
  dropped: string[];
}

/**
 * The C-style escapes systemd decodes in an `Environment=` value, in and out of quotes (systemd.syntax(7)
 * "QUOTING": "C-style escapes are supported"; systemd's cunescape_one, src/basic/escape.c): `\a \b \f
 * \n \r \t \v \\ \" \' \s` (a space), `\xNN`, octal `\NNN`, `\uXXXX`, `\UXXXXXXXX`. A NUL is refused.
 * null: an escape systemd does not know, for which it ignores the whole line ("Invalid syntax").
 */
const ESCAPES: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"', "'": "'", s: " " };
function escapeAt(text: string, i: number): { ch: string; len: number } | null {
  const c = text[i + 1];
  if (c === undefined) return null;
  if (c in ESCAPES) return { ch: ESCAPES[c]!, len: 2 };
  const hex = (n: number) => {
    const h = text.slice(i + 2, i + 2 + n);
    if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) return null;
    const code = parseInt(h, 16);
    return code === 0 || code > 0x10ffff ? null : { ch: String.fromCodePoint(code), len: 2 + n };
  };
  if (c === "x") return hex(2);
  if (c === "u") return hex(4);
  if (c === "U") return hex(8);
  if (/[0-7]/.test(c)) {
    const o = text.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(o)) return null;
    const code = parseInt(o, 8);
    return code === 0 || code > 255 ? null : { ch: String.fromCharCode(code), len: 4 };
  }
  return null;
}

/**
 * systemd's words of an `Environment=` value (systemd.syntax(7)): whitespace-separated, a `"…"` or
 * `'…'` part may stand anywhere in a word and is taken off, escapes decoded in both; null when systemd
 * refuses the line (an escape it does not know, a quote that does not close).
 */
export function environmentWords(value: string): string[] | null {
  const out: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\") {
      const e = escapeAt(value, i);
      if (!e) return null;
      word += e.ch;
      inWord = true;
      i += e.len - 1;
    } else if (quote) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return null;
  if (inWord) out.push(word);
  return out;
}

/**
 * systemd resolves specifiers on the line before it splits it (systemd.unit(5) "SPECIFIERS"): `%%` is
 * `%`; any other `%x` is the servers' (`%h`, `%i`) or refused. Each is marked here with a character of
 * Unicode's private use area, so that after the split only the words that hold one are not known (a
 * line that already holds such a character is not read).
 */
const PERCENT = "\uE000";
const SPECIFIER = "\uE001";
const markSpecifiers = (value: string): string | null => (/[\uE000\uE001]/.test(value) ? null : value.replace(/%(%|[\s\S]|$)/g, (_, c: string) => (c === "%" ? PERCENT : SPECIFIER + c)));

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/;
/** What the deploy fills in before the unit reaches the servers. */
const DEPLOY_FILLED = /<%|#\{/;

/** The `[Service]` environment of a unit's text; null when it sets none. */
export function unitEnvironment(text: string): UnitEnvironment | null {
  const out: UnitEnvironment = { vars: {}, unknown: {}, filled: {}, files: [], dropped: [] };
  let any = false;
  for (const e of readUnit(text)) {
    if (e.section !== "Service") continue;
    if (e.key === "Environment") {
      any = true;
      if (e.value === "") {
        out.vars = {};
        out.unknown = {};
        out.filled = {};
        continue;
      }
      // systemd resolves specifiers on the line first, then splits it into words (systemd.exec(5) "Environment=").
      const marked = DEPLOY_FILLED.test(e.value) ? null : markSpecifiers(e.value);
      const decoded = marked === null ? null : environmentWords(marked);
      // Where the line is not read to its values, its names are still told (a word's `NAME=` as written).
      const ws = decoded ?? (e.value.match(/"(?:[^"\\]|\\.)*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']/, ""));
      const lineWhy = DEPLOY_FILLED.test(e.value) ? null : decoded === null ? "systemd refuses its line (an escape systemd.syntax(7) does not know, or a quote that does not close) and ignores it" : null;
      for (const w of ws) {
        const m = ASSIGNMENT.exec(w);
        if (!m) continue;
        const name = m[1]!;
        const value = m[2]!.replaceAll(PERCENT, "%");
        const why = lineWhy ?? (value.includes(SPECIFIER) ? "it holds a systemd specifier (`%…`) the servers' systemd filled in" : null);
        delete out.vars[name];
        delete out.unknown[name];
        delete out.filled[name];
        // The servers' Ruby and user, the release's directory, the stage's Rails env: the image and the ConfigMap set them.
        if (SERVER_PLACEMENT.test(name) || name === "PWD" || name === "RAILS_ENV" || name === "RACK_ENV") {
          if (!out.dropped.includes(name)) out.dropped.push(name);
        } else if (DEPLOY_FILLED.test(value)) out.filled[name] = e.line;
        else if (why) out.unknown[name] = { line: e.line, why };
        else out.vars[name] = { value, line: e.line };
      }
    } else if (e.key === "EnvironmentFile") {
      any = true;
      if (e.value === "") out.files = [];
      else out.files.push({ path: e.value.replace(/^-/, ""), line: e.line, optional: e.value.startsWith("-") });
    }
  }
  return any ? out : null;
}
