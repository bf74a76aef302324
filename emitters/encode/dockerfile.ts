// Dockerfile text for values read from the repo. Instruction arguments are split on whitespace,
// `$` expands build args, `\` escapes and a line ending in `\` continues the instruction, so a value
// is written either bare (when it holds none of these) or double-quoted with `\`, `"` and `$`
// escaped. A line break cannot be written inside a value at all: it is refused, naming its source.
// Paths (COPY) and image tags (FROM) are held to a strict grammar instead of being quoted, because
// COPY globs its sources and a tag has its own syntax.
import type { Source } from "../../src/model.js";
import { escapeControls, hasControls } from "../../src/model/controls.js";
import { RefusedInput } from "./refuse.js";

const BARE = /^[A-Za-z0-9_.,:/@+=%-]+$/;

/** A value for ARG/ENV/LABEL: bare when plain, else double-quoted. Refuses line breaks. */
export function dockerValue(value: string, source: Source | null, what = "value"): string {
  return BARE.test(value) ? value : dockerQuoted(value, source, what);
}

/** Always double-quoted (ENV lines keep one style). */
export function dockerQuoted(value: string, source: Source | null, what = "value"): string {
  // eslint-disable-next-line no-control-regex
  if (/[\r\n\u0000]/.test(value)) {
    const why = `${what} ${JSON.stringify(value)} holds a line break, which a Dockerfile instruction cannot carry`;
    if (source) throw new RefusedInput(source, why);
    throw new Error(why);
  }
  return '"' + value.replace(/[\\"$]/g, (c) => "\\" + c) + '"';
}

/** `KEY=value` for ENV/ARG/LABEL; the key must be a name. */
export function dockerPair(key: string, value: string, source: Source | null, quoted = false): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new Error(`not a Dockerfile key: ${JSON.stringify(key)}`);
  return `${key}=${quoted ? dockerQuoted(value, source, key) : dockerValue(value, source, key)}`;
}

/**
 * A relative path inside the build context, for COPY: letters, digits and `._/@+-` only, no `..`
 * component, not absolute. COPY would glob `*?[`, expand `$` and split on spaces; such a path is
 * refused rather than escaped, naming its source.
 */
export function dockerPath(path: string, source: Source, what = "path"): string {
  const ok = /^[A-Za-z0-9_.@+][A-Za-z0-9_./@+-]*$/.test(path) && !path.split("/").some((c) => c === "..");
  if (!ok) throw new RefusedInput(source, `${what} ${JSON.stringify(path)} is not a plain relative path inside the repo (letters, digits, . _ / @ + -); refusing to write it into a COPY line`);
  return path;
}

/** An image tag (ruby:<tag>-slim): Docker's tag grammar, shorter. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/;

export function imageTag(tag: string, source: Source, what: string): string {
  if (!IMAGE_TAG.test(tag)) throw new RefusedInput(source, `${what} ${JSON.stringify(tag)} is not a version an image tag can name; refusing to write it into the Dockerfile`);
  return tag;
}

/** A `#` comment line: a value in it cannot start a new instruction, its controls are shown escaped. */
export function dockerComment(text: string): string {
  return "# " + escapeControls(text);
}

/**
 * A .dockerignore line matching exactly the repo path `path` (anchored at the context root). Docker
 * reads each line as a Go filepath.Match pattern, `\` escaping: `*`, `?`, `[` and `\` in a name are
 * escaped, and the leading `/` keeps a `!` or `#` in the name from reading as a negation or comment.
 * A path holding a line break or another control is not expressible: null, for the caller to say so.
 */
export function dockerignorePath(path: string, dir: boolean): string | null {
  const p = path.replace(/^\/+|\/+$/g, "");
  if (p === "" || hasControls(p)) return null;
  return `/${p.replace(/[*?[\]\\]/g, (c) => "\\" + c)}${dir ? "/" : ""}`;
}
