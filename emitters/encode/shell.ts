// Shell words for values read from the repo. A value is first held to the grammar of its field where
// the field has one (a version is a version); what fails is refused, naming where it came from. What
// passes is still quoted: POSIX single quotes take every byte literally, so no `$`, backtick, `;`,
// newline or glob in a value can become code, whatever shell (sh, dash, bash, busybox) reads it.
import type { Source } from "../../src/model.js";
import { RefusedInput } from "./refuse.js";

/** Characters no shell gives a meaning to in a bare word: such a word is written as it is. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One shell word that expands to exactly `value` (single-quoted unless it is plain). */
export function shellWord(value: string): string {
  if (value.includes("\0")) throw new Error("a shell word cannot hold NUL");
  if (PLAIN.test(value)) return value;
  return "'" + value.replace(/'/g, `'\\''`) + "'";
}

/** Several words, space-separated. */
export const shellWords = (values: readonly string[]): string => values.map(shellWord).join(" ");

/**
 * A RubyGems version as Bundler writes it (`2.4.22`, `2.5.0.pre1`, `2.6.0.dev`): dot-separated
 * segments of letters and digits, starting with a number. Gem::Version also takes `-` forms, which
 * Bundler never writes into BUNDLED WITH; anything else is not a version.
 */
export const GEM_VERSION = /^\d+(?:\.[0-9A-Za-z]+)*$/;

/** The value if it matches `grammar` (described to the user as `expected`), else a refusal naming the source. */
export function checked(value: string, grammar: RegExp, what: string, source: Source, expected = describe(grammar)): string {
  if (!grammar.test(value)) throw new RefusedInput(source, `${what} ${JSON.stringify(value)} is not ${expected}; refusing to write it into a shell command`);
  return value;
}

function describe(grammar: RegExp): string {
  return grammar === GEM_VERSION ? "a version (digits and dot-separated segments, like 2.4.22 or 2.5.0.pre1)" : `of the form ${grammar.source}`;
}
