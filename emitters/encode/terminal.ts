// Text for the terminal. A value read from the repo may hold ESC (a terminal sequence can recolour,
// move the cursor, retitle the window or write to the clipboard), CR, BEL, C1 controls, or bidi
// overrides that reorder what is read: every such character is shown as `\u001b`-style text.
//
// Our own colours must survive that escaping while a value can never forge one. The painter marks
// colour with a random token chosen per rendering (a value cannot hold a token it cannot know),
// escapes the finished line, then turns the tokens into real SGR sequences.
import { randomBytes } from "node:crypto";
import { escapeControls } from "./controls.js";

/** A value shown on the terminal: controls escaped, newlines too (one value, one line); a tab is harmless and stays. */
export const termText = (value: string): string => escapeControls(value, true);

/** Multi-line text (a file in a diff): each line escaped, the line breaks kept. */
export const termLines = (text: string): string => text.split("\n").map(termText).join("\n");

export interface Painter {
  /** Wraps `s` in SGR `open` … `close` (a no-op when colour is off). */
  wrap(open: string, close: string): (s: string) => string;
  /** One finished line: controls escaped, the painter's colours made real. */
  line(s: string): string;
}

export function painter(color: boolean): Painter {
  const mark = `\u{E000}${randomBytes(12).toString("hex")}\u{E001}`;
  return {
    wrap: (open, close) => (s) => (color ? `${mark}${open}m${s}${mark}${close}m` : s),
    line: (s) => termText(s).split(mark).join("\x1b["),
  };
}

/** JSON for the terminal: the same value, with the characters JSON.stringify leaves raw (C1, line separators, bidi) written as \u escapes. */
export function termJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}
