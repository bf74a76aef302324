// Text for the terminal. A value read from the repo may hold ESC (a terminal sequence can recolour,
// move the cursor, retitle the window or write to the clipboard), CR, BEL, C1 controls, or bidi
// overrides that reorder what is read: every such character is shown as `\u001b`-style text.
//
// Our own colours must survive that escaping while a value can never forge one. The painter marks
// colour with a random token chosen per rendering (a value cannot hold a token it cannot know),
// escapes the finished line, then turns the tokens into real SGR sequences.
import { randomBytes } from "node:crypto";
import { CONTROL, escapeControls } from "../../src/model/controls.js";

/** A value shown on the terminal: controls escaped, newlines too (one value, one line); a tab is harmless and stays. */
export const termText = (value: string): string => escapeControls(value, true);

/** Multi-line text (a file in a diff): each line escaped, the line breaks kept. */
export const termLines = (text: string): string => text.split("\n").map(termText).join("\n");

export interface Painter {
  /** Wraps `s` in SGR `open` … `close` (a no-op when colour is off). */
  wrap(open: string, close: string): (s: string) => string;
  /** One finished line: controls escaped, the painter's colours made real. */
  line(s: string): string;
  /** Finished lines, each as `line` makes it, joined with newlines. */
  lines(ls: string[]): string;
}

/** CONTROL without tab and newline: what a report joined with newlines may not hold to be shown as it is. */
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_TAB_NL = new RegExp(CONTROL.source.replace("\\u0000-\\u001f", "\\u0000-\\u0008\\u000b-\\u001f"));

export function painter(color: boolean): Painter {
  const mark = `\u{E000}${randomBytes(12).toString("hex")}\u{E001}`;
  const line = (s: string) => termText(s).split(mark).join("\x1b[");
  return {
    wrap: (open, close) => (s) => (color ? `${mark}${open}m${s}${mark}${close}m` : s),
    line,
    lines(ls) {
      const text = ls.join("\n");
      // A report of 10,000 stages is 8 MB in 90,000 lines: when no line holds a control, a newline
      // or a colour, one test of the whole text stands for escaping each line.
      if (!color && !CONTROL_BUT_TAB_NL.test(text) && !text.includes(mark) && newlines(text) === ls.length - 1) return text;
      return ls.map(line).join("\n");
    },
  };
}

function newlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** JSON for the terminal: the same value, with the characters JSON.stringify leaves raw (C1, line separators, bidi) written as \u escapes. */
export function termJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}
