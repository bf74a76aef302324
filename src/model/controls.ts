// Characters that change how text is shown rather than being shown: C0 and C1 controls (ESC starts
// a terminal sequence, CR rewrites a line, BEL rings), DEL, the Unicode line and paragraph
// separators, and the bidi overrides and isolates that reorder what a reader sees (Trojan Source).
// Markdown, terminal and comment encoders write them as visible `\u001b` text instead.

// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const hex4 = (ch: string) => "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0");

/**
 * `value` with every control character written as `\uXXXX` (tab and newline too: callers that
 * keep lines split first). A backslash already in the value is left as it is: this text is read by
 * people, and a file's own `\u00e9` must look like itself.
 */
export function escapeControls(value: string, keepTab = false): string {
  return value.replace(CONTROL, (ch) => (keepTab && ch === "\t" ? ch : hex4(ch)));
}

export const hasControls = (value: string): boolean => new RegExp(CONTROL.source).test(value);

/** `value` in double quotes (JSON's escapes for quotes, backslashes and C0), every other control written as `\uXXXX`. */
export const quotedText = (value: string): string => escapeControls(JSON.stringify(value));
