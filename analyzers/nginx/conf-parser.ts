// nginx's configuration grammar, read the way nginx 1.2x reads it (src/core/ngx_conf_file.c:
// ngx_conf_read_token + ngx_conf_parse). The state machine below follows nginx's own flags one for
// one — last_space, need_space, quoted, s_quoted, d_quoted, variable, sharp_comment — because the
// odd corners matter for real files: `${var}` does not open a block, `"a")` ends a quoted word at
// the `)` of an `if`, `"a"b` is an error, a word may hold `}`, escapes are decoded only for
// \" \' \\ \t \r \n, and a word (or comment) longer than nginx's 4096-byte read buffer is refused.
// Errors carry nginx's message and the line nginx would name; parsing stops there, as nginx does.
//
// Work is on UTF-8 bytes, like nginx: offsets and the buffer limit are byte counts.
import { scanLuaBlock } from "./lua-block.js";

/** A directive as parsed from one file, before includes are spliced in. */
export interface ConfNode {
  name: string;
  args: string[];
  /** Line of the directive's first word (its name). */
  line: number;
  /** Line of the `;` or `{` ending it: the line nginx names in its messages about the directive. */
  endLine: number;
  /** Byte range of the name word as written (quotes included), for tools that edit the file. */
  nameStart: number;
  nameEnd: number;
  block?: ConfNode[];
  /** The Lua code of a `*_by_lua_block { ... }`, kept as text (nginx hands it to Lua whole). */
  raw?: string;
}

export interface ConfError {
  message: string;
  line: number;
}

export interface ParsedConf {
  directives: ConfNode[];
  /** The first syntax error; the directives before it are kept (nginx stops at it). */
  error: ConfError | null;
}

/** nginx's NGX_CONF_BUFFER: one word (from its first byte) must fit in it. */
export const NGX_CONF_BUFFER = 4096;

/** Blocks nested deeper than this are refused (nginx has no limit but its C stack; ours is smaller). */
export const MAX_BLOCK_DEPTH = 64;

/**
 * Blocks whose lines nginx hands to a custom handler (cf->handler) instead of directive lookup:
 * entries there are "name args;" pairs and a nested `{` is an error.
 */
const HANDLER_BLOCKS = new Set(["types", "map", "geo", "split_clients", "charset_map"]);

const enum Rc {
  Ok,
  BlockStart,
  BlockDone,
  FileDone,
  Error,
}

interface Word {
  text: string;
  start: number;
  end: number;
  line: number;
}

const SP = 0x20,
  TAB = 0x09,
  CR = 0x0d,
  LF = 0x0a;
const isSpace = (c: number) => c === SP || c === TAB || c === CR || c === LF;

class Reader {
  pos = 0;
  line = 1;
  /** File offset up to which nginx has read into its buffer (file.offset). */
  bufEnd = 0;
  args: Word[] = [];
  /** Line of the token that ended the last read (`;`, `{`, `}`). */
  error: ConfError | null = null;
  private dec = new TextDecoder("utf-8", { fatal: false });

  constructor(readonly b: Uint8Array) {}

  private fail(message: string, line = this.line): Rc {
    this.error = { message, line };
    return Rc.Error;
  }

  /** ngx_conf_read_token. */
  read(): Rc {
    const b = this.b;
    const size = b.length;
    let found = false,
      needSpace = false,
      lastSpace = true,
      sharpComment = false,
      variable = false,
      quoted = false,
      sQuoted = false,
      dQuoted = false;
    this.args = [];
    let start = this.pos;
    let startLine = this.line;

    for (;;) {
      if (this.pos >= this.bufEnd) {
        if (this.bufEnd >= size) {
          if (this.args.length > 0 || !lastSpace) return this.fail('unexpected end of file, expecting ";" or "}"');
          return Rc.FileDone;
        }
        const len = this.pos - start;
        if (len === NGX_CONF_BUFFER) {
          this.line = startLine;
          if (dQuoted || sQuoted) return this.fail(`too long parameter, probably missing terminating "${dQuoted ? '"' : "'"}" character`);
          return this.fail(`too long parameter "${this.dec.decode(b.subarray(start, start + 10))}..." started`);
        }
        this.bufEnd = Math.min(size, start + NGX_CONF_BUFFER);
      }

      const ch = b[this.pos++];
      if (ch === LF) {
        this.line++;
        if (sharpComment) sharpComment = false;
      }
      if (sharpComment) continue;
      if (quoted) {
        quoted = false;
        continue;
      }
      if (needSpace) {
        if (isSpace(ch)) {
          lastSpace = true;
          needSpace = false;
          continue;
        }
        if (ch === 0x3b /* ; */) return Rc.Ok;
        if (ch === 0x7b /* { */) return Rc.BlockStart;
        if (ch === 0x29 /* ) */) {
          lastSpace = true;
          needSpace = false;
        } else {
          return this.fail(`unexpected "${String.fromCharCode(ch)}"`);
        }
      }

      if (lastSpace) {
        start = this.pos - 1;
        startLine = this.line;
        if (isSpace(ch)) continue;
        switch (ch) {
          case 0x3b: // ;
          case 0x7b: // {
            if (this.args.length === 0) return this.fail(`unexpected "${String.fromCharCode(ch)}"`);
            return ch === 0x7b ? Rc.BlockStart : Rc.Ok;
          case 0x7d: // }
            if (this.args.length !== 0) return this.fail('unexpected "}"');
            return Rc.BlockDone;
          case 0x23: // #
            sharpComment = true;
            continue;
          case 0x5c: // backslash
            quoted = true;
            lastSpace = false;
            continue;
          case 0x22: // "
            start++;
            dQuoted = true;
            lastSpace = false;
            continue;
          case 0x27: // '
            start++;
            sQuoted = true;
            lastSpace = false;
            continue;
          case 0x24: // $
            variable = true;
            lastSpace = false;
            continue;
          default:
            lastSpace = false;
        }
      } else {
        if (ch === 0x7b && variable) continue;
        variable = false;
        if (ch === 0x5c) {
          quoted = true;
          continue;
        }
        if (ch === 0x24) {
          variable = true;
          continue;
        }
        if (dQuoted) {
          if (ch === 0x22) {
            dQuoted = false;
            needSpace = true;
            found = true;
          }
        } else if (sQuoted) {
          if (ch === 0x27) {
            sQuoted = false;
            needSpace = true;
            found = true;
          }
        } else if (isSpace(ch) || ch === 0x3b || ch === 0x7b) {
          lastSpace = true;
          found = true;
        }
        if (found) {
          const end = this.pos - 1;
          const rawStart = needSpace ? start - 1 : start;
          this.args.push({ text: this.unescape(start, end), start: rawStart, end: needSpace ? end + 1 : end, line: startLine });
          if (ch === 0x3b) return Rc.Ok;
          if (ch === 0x7b) return Rc.BlockStart;
          found = false;
        }
      }
    }
  }

  /** The word copy loop of ngx_conf_read_token: only \" \' \\ \t \r \n are escapes. */
  private unescape(from: number, to: number): string {
    const b = this.b;
    const out: number[] = [];
    let src = from;
    while (src < to) {
      if (b[src] === 0x5c) {
        const n = b[src + 1];
        if (n === 0x22 || n === 0x27 || n === 0x5c) {
          src++;
        } else if (n === 0x74 || n === 0x72 || n === 0x6e) {
          out.push(n === 0x74 ? TAB : n === 0x72 ? CR : LF);
          src += 2;
          continue;
        }
      }
      out.push(b[src++]);
    }
    return this.dec.decode(Uint8Array.from(out));
  }
}

/** Parses one file's text (ngx_conf_parse with its recursion into blocks). Never throws. */
export function parseConf(text: string): ParsedConf {
  const bytes = new TextEncoder().encode(text);
  const r = new Reader(bytes);
  const directives: ConfNode[] = [];
  parseBlock(r, directives, "file", null, 0);
  return { directives, error: r.error };
}

function parseBlock(r: Reader, out: ConfNode[], type: "file" | "block", parent: string | null, depth: number): boolean {
  const handlerBlock = parent !== null && HANDLER_BLOCKS.has(parent);
  for (;;) {
    const rc = r.read();
    if (rc === Rc.Error) return false;
    if (rc === Rc.BlockDone) {
      if (type !== "block") {
        r.error = { message: 'unexpected "}"', line: r.line };
        return false;
      }
      return true;
    }
    if (rc === Rc.FileDone) {
      if (type === "block") {
        r.error = { message: 'unexpected end of file, expecting "}"', line: r.line };
        return false;
      }
      return true;
    }
    const [name, ...args] = r.args;
    const node: ConfNode = {
      name: name.text,
      args: args.map((a) => a.text),
      line: name.line,
      endLine: r.line,
      nameStart: name.start,
      nameEnd: name.end,
    };
    out.push(node);
    if (rc === Rc.BlockStart) {
      if (handlerBlock) {
        r.error = { message: 'unexpected "{"', line: r.line };
        return false;
      }
      if (node.name.endsWith("_by_lua_block")) {
        // ngx_http_lua reads the block with its own Lua-aware scanner: braces in Lua strings and
        // comments do not count.
        const lua = scanLuaBlock(r.b, r.pos, r.line);
        if ("error" in lua) {
          r.error = lua.error;
          return false;
        }
        node.raw = lua.code;
        node.block = [];
        r.pos = lua.end;
        r.line = lua.line;
        r.bufEnd = Math.max(r.bufEnd, r.pos);
        continue;
      }
      node.block = [];
      if (depth >= MAX_BLOCK_DEPTH) {
        r.error = { message: `blocks nested deeper than ${MAX_BLOCK_DEPTH}: not read`, line: r.line };
        return false;
      }
      if (!parseBlock(r, node.block, "block", node.name, depth + 1)) return false;
    }
  }
}
