// The body of an OpenResty `*_by_lua_block { ... }`: ngx_http_lua reads it with a Lua-aware
// scanner, so `{`/`}` inside Lua strings ('', "", [[...]], [==[...]==]) and comments (--, --[[...]])
// do not open or close anything. Returns the code between the braces and where reading resumes.
import type { ConfError } from "./conf-parser.js";

export type LuaScan = { code: string; end: number; line: number } | { error: ConfError };

const LF = 0x0a;

/** `pos` is just after the opening `{`; scans to the matching `}`. */
export function scanLuaBlock(b: Uint8Array, pos: number, line: number): LuaScan {
  const begin = pos;
  let depth = 0;
  const eof = (): LuaScan => ({ error: { message: 'unexpected end of file, expecting "}"', line } });
  /** Length of a long-bracket opener `[==[` at p (its level), or -1. */
  const longOpen = (p: number): number => {
    if (b[p] !== 0x5b) return -1;
    let q = p + 1;
    while (b[q] === 0x3d) q++;
    return b[q] === 0x5b ? q - p - 1 : -1;
  };
  const skipLong = (p: number, level: number): number => {
    // p is at the opener; find `]` + level `=` + `]`.
    let q = p + level + 2;
    for (; q < b.length; q++) {
      if (b[q] === LF) line++;
      if (b[q] === 0x5d) {
        let k = q + 1;
        let n = 0;
        while (b[k] === 0x3d) {
          k++;
          n++;
        }
        if (n === level && b[k] === 0x5d) return k + 1;
      }
    }
    return -1;
  };
  while (pos < b.length) {
    const c = b[pos];
    if (c === LF) {
      line++;
      pos++;
      continue;
    }
    if (c === 0x2d && b[pos + 1] === 0x2d) {
      const level = longOpen(pos + 2);
      if (level >= 0) {
        const e = skipLong(pos + 2, level);
        if (e < 0) return eof();
        pos = e;
      } else {
        while (pos < b.length && b[pos] !== LF) pos++;
      }
      continue;
    }
    if (c === 0x22 || c === 0x27) {
      let q = pos + 1;
      for (; q < b.length && b[q] !== c; q++) {
        if (b[q] === 0x5c) q++;
        else if (b[q] === LF) line++;
      }
      if (q >= b.length) return eof();
      pos = q + 1;
      continue;
    }
    const level = longOpen(pos);
    if (level >= 0) {
      const e = skipLong(pos, level);
      if (e < 0) return eof();
      pos = e;
      continue;
    }
    if (c === 0x7b) depth++;
    if (c === 0x7d) {
      if (depth === 0) {
        const code = new TextDecoder().decode(b.subarray(begin, pos));
        return { code, end: pos + 1, line };
      }
      depth--;
    }
    pos++;
  }
  return eof();
}
