// File globs as Ruby's Dir.glob reads them, for the patterns deploy configs use: `*` (not across
// `/`), `**/` (any depth), `?`, `{a,b}` and `[abc]`. Dotfiles are not matched by `*`, as in Ruby.
//
// Matched without a regular expression: a pattern comes from repo text (any string literal with a
// `*` in a task file), and a regex with one `[^/]*` per star backtracks exponentially on a banner
// of asterisks (`"*****…"`), which hung analyze. Here a segment is matched with the two-pointer
// wildcard walk (time bounded by pattern × path length) and `**/` by a memo over segment pairs.

export interface GlobMatcher {
  test(path: string): boolean;
  /** The pattern's `{a,b}` alternatives ran past MAX_ALTERNATIVES: the later ones are not matched (the caller names it). */
  bracesCut: boolean;
}

/**
 * Brace alternatives beyond this many are not expanded (each is tried against every path: the cost
 * stays bounded); the matcher says so (bracesCut), so the caller names what it did not match.
 */
export const MAX_ALTERNATIVES = 256;

type Token = { t: "lit"; c: string } | { t: "any" } | { t: "star" } | { t: "set"; neg: boolean; ranges: [string, string][] };
// A pattern segment: `**` (any depth, from `**/`) or the tokens of one path segment.
type Seg = "**" | Token[];

export function compileGlob(pattern: string): GlobMatcher {
  const state = { cut: false };
  const alternatives = expandBraces(pattern, state).map(compileOne);
  return { test: (path) => alternatives.some((segs) => matchSegs(segs, path.split("/"))), bracesCut: state.cut };
}

function compileOne(pattern: string): Seg[] {
  const parts = pattern.split("/");
  const segs: Seg[] = [];
  parts.forEach((part, i) => {
    // `**` as a whole segment followed by `/` is any depth; elsewhere `**` is `*` (as in Ruby).
    if (part === "**" && i < parts.length - 1) {
      if (segs[segs.length - 1] !== "**") segs.push("**");
    } else segs.push(tokens(part));
  });
  return segs;
}

function tokens(seg: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "*") {
      // A run of stars is one star: it matches the same strings.
      if (out[out.length - 1]?.t !== "star") out.push({ t: "star" });
    } else if (c === "?") out.push({ t: "any" });
    else if (c === "[" && seg.indexOf("]", i + 1) > i + 1) {
      const end = seg.indexOf("]", i + 1);
      let body = seg.slice(i + 1, end);
      const neg = body.startsWith("^") || body.startsWith("!");
      if (neg) body = body.slice(1);
      const ranges: [string, string][] = [];
      for (let j = 0; j < body.length; j++) {
        if (body[j + 1] === "-" && j + 2 < body.length) {
          ranges.push([body[j], body[j + 2]]);
          j += 2;
        } else ranges.push([body[j], body[j]]);
      }
      out.push({ t: "set", neg, ranges });
      i = end;
    } else out.push({ t: "lit", c });
  }
  return out;
}

function oneChar(tok: Token, ch: string): boolean {
  if (ch === "/") return false;
  if (tok.t === "lit") return tok.c === ch;
  if (tok.t === "any") return true;
  if (tok.t === "set") return tok.ranges.some(([a, b]) => ch >= a && ch <= b) !== tok.neg;
  return false;
}

/** One path segment against one pattern segment: the classic walk, backing up only to the last star. */
function matchSegment(toks: Token[], s: string): boolean {
  // `*` at the start of a segment does not match a leading dot (Ruby's Dir.glob without FNM_DOTMATCH).
  if (toks[0]?.t === "star" && s.startsWith(".")) return false;
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < s.length) {
    const tok = toks[p];
    if (tok && tok.t === "star") {
      starP = p++;
      starI = i;
    } else if (tok && oneChar(tok, s[i])) {
      p++;
      i++;
    } else if (starP >= 0) {
      p = starP + 1;
      i = ++starI;
    } else return false;
  }
  while (toks[p]?.t === "star") p++;
  return p === toks.length;
}

function matchSegs(segs: Seg[], path: string[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (a: number, b: number): boolean => {
    const key = a * (path.length + 1) + b;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let r: boolean;
    if (a === segs.length) r = b === path.length;
    else if (segs[a] === "**") {
      // Zero directories, or one more that is not a dot directory.
      r = go(a + 1, b) || (b < path.length - 1 && !path[b].startsWith(".") && go(a, b + 1));
    } else r = b < path.length && matchSegment(segs[a] as Token[], path[b]) && go(a + 1, b + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/** `{a,b}` alternatives as separate patterns (nested braces too), at most MAX_ALTERNATIVES of them. */
function expandBraces(pattern: string, state: { cut: boolean }): string[] {
  const open = pattern.indexOf("{");
  if (open < 0) return [pattern];
  let depth = 0;
  let close = -1;
  const commas: number[] = [];
  for (let i = open; i < pattern.length; i++) {
    if (pattern[i] === "{") depth++;
    else if (pattern[i] === "}" && --depth === 0) {
      close = i;
      break;
    } else if (pattern[i] === "," && depth === 1) commas.push(i);
  }
  // An unclosed `{` is a literal character.
  if (close < 0) return [pattern];
  const head = pattern.slice(0, open);
  const bounds = [open, ...commas, close];
  const out: string[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const alt = pattern.slice(bounds[k] + 1, bounds[k + 1]);
    for (const rest of expandBraces(alt + pattern.slice(close + 1), state)) {
      if (out.length >= MAX_ALTERNATIVES) {
        state.cut = true;
        return out;
      }
      out.push(head + rest);
    }
  }
  return out;
}
