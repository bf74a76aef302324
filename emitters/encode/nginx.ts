// nginx config words for values read from the repo. A word is written bare only when nginx's
// tokenizer (ngx_conf_read_token) reads it back as that one word; otherwise it is double-quoted,
// with `\` and `"` escaped (nginx decodes `\\` and `\"` in every word). Tabs, newlines and every
// other control character have no place in a value the sidecar carries: such a value is refused
// (the caller leaves its directive out, with a warning), never written.
//
// `$` is left as it is. Every word that reaches the sidecar config was nginx config on the servers
// (the app's own files, or its templates as Capistrano rendered them), where nginx expanded its
// variables the same way, in quoted words too: a `$` there was meant, and quoting does not change
// what nginx makes of it. Values the emitter makes itself hold no `$` but the ones it means.

import { hasControls } from "../../src/model/controls.js";

/** A bare word: no space, no quote, no `;{}` or `#`, no backslash, nothing nginx reads as syntax. */
const BARE = /^[^\s;{}#"'\\]+$/;
/** Why a value cannot be written as an nginx word, or null when it can. */
export function nginxRefusal(value: string): string | null {
  if (/[\ud800-\udfff]/.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))) return "it is not valid UTF-8 text";
  // The shared set (src/model/controls.ts): C0, DEL, C1, and the line separators and bidi controls that would
  // make the committed config read differently from what nginx runs.
  if (hasControls(value)) return "it holds a control character (a newline, a tab, NUL, a terminal escape, a bidi override)";
  return null;
}

/** The value as one nginx word; throws when nginxRefusal names a reason (check it first). */
export function nginxWord(value: string): string {
  const why = nginxRefusal(value);
  if (why) throw new Error(`not an nginx word: ${why}`);
  if (value !== "" && BARE.test(value)) return value;
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

/** A directive name: a plain word, never quoted (nginx looks names up as written). */
export const NGINX_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A repo value shown in an nginx comment (a file name): as it is when plain, else quoted with controls escaped, so it stays on its one line. */
export function nginxCommentValue(value: string): string {
  if (/^[A-Za-z0-9_./@+-]+$/.test(value)) return value;
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
